"""Choosing the article container: the element whose blocks say "article here" the most.

Every block's size, weighted by how much of it is link text, is credited to its
ancestors. The best-scoring element, narrowed to a child holding most of its score, is
the container; it is never a single paragraph or list (a container holds blocks). An
article split into sibling blocks sharing a class (``story-part``, ``story-part``...) is
taken whole.
"""

from __future__ import annotations

from lxml import etree

from ingest.parsers.html_blocks import CELLS, HEADINGS, Unit, size

MIN_PARAGRAPH_CHARS = 40
MAX_LINK_DENSITY = 0.35
JUNK_WEIGHT = 0.6
CELL_WEIGHT = 0.5
SHORT_WEIGHT = 0.2
PARAGRAPH_COST = 25
FURNITURE_WEIGHT = 0.3
FURNITURE = frozenset({"header", "footer", "nav", "aside"})
# The container narrows to a child holding this share of its score (a footer's prose left out).
DOMINANT_SHARE = 0.8
# Elements that are one block of text, never a container of the article's blocks.
LEAVES = frozenset({"p", "ul", "ol", "dl", "li", "dd", "dt", "blockquote", "pre", "a", "span",
                    "em", "strong", "b", "i", "font", "small", "figure", "label", *HEADINGS})


def value(unit: Unit) -> float:
    """How much a block says "article here": long low-link prose for, link lists against."""
    length = size(unit.text)
    density = unit.links / len(unit.text)
    if unit.tag in HEADINGS:
        return 0.0
    if density >= MAX_LINK_DENSITY:
        return -JUNK_WEIGHT * length
    if length >= MIN_PARAGRAPH_CHARS:
        return length * (1 - density) - PARAGRAPH_COST
    if unit.tag in CELLS and not unit.links:
        return CELL_WEIGHT * length
    return 0.0 if unit.tag == "li" else -SHORT_WEIGHT * length


def _scores(units: list[Unit]) -> dict[etree._Element, float]:
    """Every element's total of its blocks' values.

    Text inside page furniture (a header the page never closed, a mega-menu) counts only
    a fraction of its value.
    """
    scores: dict[etree._Element, float] = {}
    for unit in units:
        worth = value(unit)
        lineage = (unit.element, *unit.element.iterancestors())
        if worth > 0 and any(el.tag in FURNITURE for el in lineage):
            worth *= FURNITURE_WEIGHT
        for el in lineage:
            scores[el] = scores.get(el, 0.0) + worth
    return scores


def _signature(el: etree._Element) -> tuple[str, str] | None:
    classes = el.get("class", "").split()
    return (str(el.tag), " ".join(sorted(classes))) if classes else None


def _parts(container: etree._Element, scores: dict[etree._Element, float]) -> list[etree._Element]:
    """The container and its siblings of the same tag and class that hold prose too."""
    signature = _signature(container)
    parent = container.getparent()
    if signature is None or parent is None:
        return [container]
    return [el for el in parent if el is container or (
        _signature(el) == signature and scores.get(el, 0.0) > 0)]


def article_units(units: list[Unit], body: etree._Element) -> list[Unit]:
    """Blocks of the article container, less its sub-elements that score below zero.

    Prose blocks of the wider best-scoring element that come before the narrowed container
    (a standfirst, an intro in the article's header) are kept too, what follows it (bios,
    footers) is not.
    """
    scores = _scores(units)
    candidates = [(el, score) for el, score in scores.items() if el.tag not in LEAVES]
    top = max(candidates, key=lambda item: item[1], default=(body, 0.0))[0]
    container = top
    while scores[container] > 0:
        best = max((child for child in container
                    if child in scores and child.tag not in LEAVES),
                   key=lambda child: scores[child], default=None)
        if best is None or scores[best] < DOMINANT_SHARE * scores[container]:
            break
        container = best
    parts = set(_parts(container, scores))
    kept: list[Unit] = []
    before = container is not top
    for unit in units:
        lead_in = before and value(unit) > 0
        for el in (unit.element, *unit.element.iterancestors()):
            if el in parts:
                kept.append(unit)
                before = False
                break
            if el is top:
                if lead_in:
                    kept.append(unit)
                break
            if el is not unit.element and scores[el] < 0:
                break
            lead_in = lead_in and el.tag not in FURNITURE
    return kept
