"""An element's children by tag, built in one pass, and an element's text.

The AFP parsers read some forty fields an item; one pass over the children then a dict hit
per field costs a fraction of as many ElementPath searches.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ingest.model import collapse_space

ChildIndex = dict[object, list[etree._Element]]


def index_children(parents: Iterable[etree._Element]) -> ChildIndex:
    """The children of ``parents`` by tag, each list in document order."""
    index: ChildIndex = {}
    for parent in parents:
        for child in parent:
            tag = child.tag  # lxml builds the "{ns}name" string anew at each read
            found = index.get(tag)
            if found is None:
                index[tag] = [child]
            else:
                found.append(child)
    return index


def first(index: ChildIndex, tag: str) -> etree._Element | None:
    """The first child with ``tag``, or None."""
    found = index.get(tag)
    return found[0] if found else None


def text_at(index: ChildIndex, tag: str) -> str | None:
    """``text_of(first(index, tag))`` in one call (a Python call costs as much as a
    field's look-up, and the G2 parser reads a dozen fields so)."""
    found = index.get(tag)
    return text_of(found[0]) if found else None


def text_of(element: etree._Element | None) -> str | None:
    """All the text inside ``element``, whitespace collapsed; None if absent or blank."""
    if element is None:
        return None
    # a leaf's text is all its text (this runs some twenty times an item)
    text = element.text if not len(element) else "".join(element.itertext())
    if text is None:
        return None
    return collapse_space(text) or None
