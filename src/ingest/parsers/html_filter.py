"""Filtering the container's blocks by evidence that holds in any language.

Captions set as plain paragraphs (ending in a picture's credit) go; link-dense blocks go
unless they sit between paragraphs of prose; a label (a few words, no sentence end) goes
at the body's edges or when repeated on the page, and stays between paragraphs (a
subhead); the body's ends lose their tails: blocks repeated on the page, and short ones
set apart in one emphasis with a link or carrying links (a bio, a disclaimer, a call to
action, a newsletter plug); a plain sentence opening the body is its lead, however linked.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.clean.boilerplate import audit, classify_text
from ingest.parsers.base import Stripped
from ingest.parsers.html_blocks import (
    CELLS,
    HEADINGS,
    MAX_CAPTION_CHARS,
    Unit,
    ends_sentence,
    size,
    word_count,
)
from ingest.parsers.text import normalised

# The body's tag for a block of each source tag (``p`` for the rest).
OUTPUT_TAG = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h4", "h6": "h4",
              "li": "li", "blockquote": "blockquote"}
# A block with more link text than this share is a link list and goes...
KEEP_LINK_DENSITY = 0.5
# ...unless it sits between paragraphs of prose this long (a linked line or subhead).
STORY_PROSE_CHARS = 80
# Labels ("Share", "Latest News") have at most this many words and no sentence end; one
# between two paragraphs is a subhead and stays, one at the body's edges goes.
MAX_STUB_WORDS = 3
# Edges: a short block repeated on the page, or one at the body's start or end that is a
# whole-emphasis aside or carries links (a bio, a disclaimer, a call to action), goes;
# at most this share of the body is trimmed so.
MAX_REPEATED_CHARS = 200
EDGE_LINK_DENSITY = 0.3
# At the start, where a lead paragraph often links, only a short block with links goes.
HEAD_LINK_DENSITY = 0.15
MAX_HEAD_CHARS = 160
MAX_EDGE_CHARS = 500
MAX_EDGE_SHARE = 0.25
EMPHASIS = frozenset({"em", "i", "strong", "b", "small"})

# A caption set as a plain paragraph ends with its picture's credit: "... © Jane Doe".
_CREDITED = re.compile(r"\S\s*©\s*[^.!?。]{1,60}$")


def _is_stub(text: str) -> bool:
    """A label, not a sentence: "Share", "Latest News", "Updated on", "最新ニュース"."""
    return word_count(text) <= MAX_STUB_WORDS and not ends_sentence(text)


def _emphasised(unit: Unit) -> bool:
    """The whole block set apart in one emphasis (an italic disclaimer, a bold call to action)."""
    el = unit.element
    if el.tag in EMPHASIS:
        return True
    children = [child for child in el if isinstance(child.tag, str)]
    return (unit.whole and len(children) == 1 and children[0].tag in EMPHASIS
            and not (el.text or "").strip() and not (children[0].tail or "").strip())


def _edge_furniture(unit: Unit, repeated: set[str], link_density: float,
                    max_chars: int) -> bool:
    """A block that, at the body's start or end, belongs to the page rather than the story."""
    if normalised(unit.text) in repeated:
        return True
    if size(unit.text) > max_chars or unit.tag in HEADINGS:
        return False
    return unit.links >= link_density * len(unit.text) or (
        _emphasised(unit) and unit.links > 0)


def _lead_sentence(unit: Unit, repeated: set[str]) -> bool:
    """A sentence of several words, not set apart in emphasis: the lead, however linked."""
    return (ends_sentence(unit.text) and word_count(unit.text) > MAX_STUB_WORDS
            and not _emphasised(unit) and normalised(unit.text) not in repeated)


def _trim_edges(kept: list[Unit], repeated: set[str]) -> tuple[list[Unit], list[Unit]]:
    """The body without edge furniture at its end and start, and what was trimmed."""
    budget = MAX_EDGE_SHARE * sum(size(u.text) for u in kept)

    def trims(unit: Unit, link_density: float, max_chars: int) -> bool:
        nonlocal budget
        if size(unit.text) > budget or not _edge_furniture(unit, repeated, link_density,
                                                           max_chars):
            return False
        budget -= size(unit.text)
        return True

    end = len(kept)
    while end > 0 and trims(kept[end - 1], EDGE_LINK_DENSITY, MAX_EDGE_CHARS):
        end -= 1
    start = 0
    while start < end and not _lead_sentence(kept[start], repeated) and trims(
            kept[start], HEAD_LINK_DENSITY, MAX_HEAD_CHARS):
        start += 1
    return kept[start:end], kept[:start] + kept[end:]


def _repeated(page: list[Unit]) -> set[str]:
    """Short non-link texts that occur more than once on the page (labels, promos, ads)."""
    counts = Counter(normalised(u.text) for u in page if len(u.text) <= MAX_REPEATED_CHARS
                     and u.links <= KEEP_LINK_DENSITY * len(u.text))
    return {text for text, count in counts.items() if count > 1 and text}


def _dense(unit: Unit) -> bool:
    return unit.links > KEEP_LINK_DENSITY * len(unit.text)


def _in_story(inside: list[Unit], at: int) -> bool:
    """A link-dense block the story holds: a linked line or subhead between two
    paragraphs of prose (a run of teasers has no prose before its first headline)."""
    def prose(i: int) -> bool:
        return 0 <= i < len(inside) and not _dense(inside[i]) and (
            size(inside[i].text) >= STORY_PROSE_CHARS)

    return prose(at - 1) and prose(at + 1)


def filter_blocks(inside: list[Unit], page: list[Unit],
            stripped: list[Stripped]) -> list[Unit]:
    """The container's blocks less captions, link lists, edge labels, repeated lines, tails."""
    repeated = _repeated(page)
    unlinked: list[Unit] = []
    for at, unit in enumerate(inside):
        if len(unit.text) <= MAX_CAPTION_CHARS and _CREDITED.search(unit.text):
            stripped.append(audit("other", unit.text))
        elif _dense(unit) and not _in_story(inside, at):
            stripped.append(audit("related_links", unit.text))
        else:
            unlinked.append(unit)
    prose = [i for i, u in enumerate(unlinked) if not _is_stub(u.text)]
    kept: list[Unit] = []
    for i, unit in enumerate(unlinked):
        label = unit.tag not in OUTPUT_TAG and unit.tag not in CELLS and _is_stub(unit.text)
        if label and (not prose or not prose[0] < i < prose[-1]
                      or normalised(unit.text) in repeated):
            stripped.append(audit(classify_text(unit.text) or "other", unit.text))
            continue
        kept.append(unit)
    body, trimmed = _trim_edges(kept, repeated)
    stripped.extend(audit(classify_text(u.text) or "other", u.text) for u in trimmed)
    return body
