"""An element's children by tag, built in one pass.

The AFP parsers read some forty fields an item; one pass over the children then a dict hit
per field costs a fraction of as many ElementPath searches.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

ChildIndex = dict[object, list[etree._Element]]


def index_children(parents: Iterable[etree._Element]) -> ChildIndex:
    """The children of ``parents`` by tag, each list in document order."""
    index: ChildIndex = {}
    for parent in parents:
        for child in parent:
            found = index.get(child.tag)
            if found is None:
                index[child.tag] = [child]
            else:
                found.append(child)
    return index


def first(index: ChildIndex, tag: str) -> etree._Element | None:
    """The first child with ``tag``, or None."""
    found = index.get(tag)
    return found[0] if found else None
