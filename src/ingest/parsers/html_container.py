"""Choosing the article container: the element whose blocks say "article here" the most.

Every block's size, weighted by how much of it is link text, is credited to its
ancestors. The best-scoring element, narrowed to a child holding most of its score, is
the container; it is never a single paragraph or list (a container holds blocks). An
article split into sibling blocks sharing a class (``story-part``, ``story-part``...) is
taken whole. On a page with too little prose to outweigh its link lists, the element the
markup calls the article (``<article>``, ``<main>``, ``itemprop=articleBody``) is taken.
"""

from __future__ import annotations

from lxml import etree

from ingest.parsers.html_blocks import CELLS, HEADINGS, Unit, size

MIN_PARAGRAPH_CHARS = 40
MAX_LINK_DENSITY = 0.35
# A paragraph with link text under this share is prose that links a lot (a news lead
# naming people and places), not a link list.
PROSE_LINK_DENSITY = 0.5
JUNK_WEIGHT = 0.6
CELL_WEIGHT = 0.5
SHORT_WEIGHT = 0.2
PARAGRAPH_COST = 25
FURNITURE_WEIGHT = 0.3
FURNITURE = frozenset({"header", "footer", "nav", "aside"})
# The container narrows to a child holding this share of its score (a footer's prose left out).
DOMINANT_SHARE = 0.8
# Below this best score the page has too little prose to outweigh its link lists: the
# element marked as the article, if any holds more prose, is taken instead.
WEAK_SCORE = 150
# Lists, tables and code a story sets between its paragraphs, short lines as they are.
LISTS = frozenset({"ul", "ol", "dl", "table", "tbody", "tr", "pre"})
# Elements that are one block of text, never a container of the article's blocks.
LEAVES = frozenset({"p", "ul", "ol", "dl", "li", "dd", "dt", "blockquote", "pre", "a", "span",
                    "em", "strong", "b", "i", "font", "small", "figure", "label", *HEADINGS})


def value(unit: Unit) -> float:
    """How much a block says "article here": long low-link prose for, link lists against."""
    length = size(unit.text)
    density = unit.links / len(unit.text)
    if unit.tag in HEADINGS:
        return 0.0
    if density >= MAX_LINK_DENSITY and not (
            density < PROSE_LINK_DENSITY and length >= MIN_PARAGRAPH_CHARS):
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


def _is_marked(el: etree._Element) -> bool:
    """Markup that says "the article": ``<article>``, ``<main>``, role or itemprop."""
    return el.tag in ("article", "main") or el.get("role") in ("main", "article") or (
        el.get("itemprop") == "articleBody")


def _marked_article(units: list[Unit], best: float) -> etree._Element | None:
    """The marked element holding the most prose, when that beats the best score.

    On a page with little prose (a short post above a long link list or a sidebar),
    link lists outweigh the article everywhere; the markup still says where it is. It
    narrows, like the container, to a child holding most of its prose.
    """
    prose: dict[etree._Element, float] = {}
    for unit in units:
        worth = value(unit)
        if worth > 0:
            for el in unit.element.iterancestors():
                prose[el] = prose.get(el, 0.0) + worth
    marked = max((el for el in prose if _is_marked(el)), key=lambda el: prose[el],
                 default=None)
    if marked is None or prose[marked] <= max(best, 0.0):
        return None
    while True:
        child = max((c for c in marked if c in prose and c.tag not in LEAVES),
                    key=lambda c: prose[c], default=None)
        if child is None or prose[child] < DOMINANT_SHARE * prose[marked]:
            return marked
        marked = child


def article_units(units: list[Unit], body: etree._Element) -> list[Unit]:
    """Blocks of the article container, less its sub-elements at its edges scoring below zero.

    Prose blocks of the wider best-scoring element that come before the narrowed container
    (a standfirst, an intro in the article's header) are kept too, what follows it (bios,
    footers) is not. Between the container's paragraphs of prose, a block inside a
    sub-element scoring below zero is kept when that element is a list, table or code,
    or scores so for its links (linked lines, as ``html_filter`` keeps a linked line); a
    box of short lines (a sign-up or sponsor box) is not.
    """
    scores = _scores(units)
    candidates = [(el, score) for el, score in scores.items() if el.tag not in LEAVES]
    top = max(candidates, key=lambda item: item[1], default=(body, 0.0))[0]
    if scores.get(top, 0.0) < WEAK_SCORE:
        marked = _marked_article(units, scores.get(top, 0.0))
        if marked is not None:
            return [u for u in units
                    if u.element is marked or marked in u.element.iterancestors()]
    container = top
    while scores[container] > 0:
        best = max((child for child in container
                    if child in scores and child.tag not in LEAVES),
                   key=lambda child: scores[child], default=None)
        if best is None or scores[best] < DOMINANT_SHARE * scores[container]:
            break
        container = best
    parts = set(_parts(container, scores))
    kept: list[tuple[Unit, etree._Element | None]] = []
    before = container is not top
    for unit in units:
        lead_in = before and value(unit) > 0
        negative: etree._Element | None = None
        for el in (unit.element, *unit.element.iterancestors()):
            if el in parts:
                kept.append((unit, negative))
                before = False
                break
            if el is top:
                if lead_in and negative is None:
                    kept.append((unit, None))
                break
            if negative is None and el is not unit.element and scores[el] < 0:
                negative = el
            lead_in = lead_in and el.tag not in FURNITURE
    prose = [i for i, (unit, negative) in enumerate(kept) if negative is None and value(unit) > 0]
    linked: dict[etree._Element, list[int]] = {}
    for unit, negative in kept:
        if negative is not None:
            counts = linked.setdefault(negative, [0, 0])
            counts[0] += unit.links
            counts[1] += len(unit.text)
    return [unit for i, (unit, negative) in enumerate(kept)
            if negative is None or (prose and prose[0] < i < prose[-1] and (
                negative.tag in LISTS
                or linked[negative][0] >= MAX_LINK_DENSITY * linked[negative][1]))]
