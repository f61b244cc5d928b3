"""A NewsML-G2 ``packageItem``'s members, in the order its ``groupSet`` gives them.

A package is a ``composite`` article (``newsml_g2`` builds it like any item); its
associations are its ``itemRef``s, read from the root group down, each with the class,
title and description the reference gives of the item it names.
"""

from __future__ import annotations

from urllib.parse import quote

from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.model import Picture
from ingest.parsers import G2_NAMESPACE
from ingest.parsers.identity import uri_from_guid
from ingest.parsers.xmlindex import first, index_children, text_of

_NS = "{" + G2_NAMESPACE.decode() + "}"
GROUP_SET = _NS + "groupSet"
_GROUP, _ITEM_REF, _GROUP_REF = _NS + "group", _NS + "itemRef", _NS + "groupRef"
_ITEM_CLASS, _TITLE, _DESCRIPTION = _NS + "itemClass", _NS + "title", _NS + "description"
_MEMBER_TYPES = frozenset({"text", "picture", "graphic", "video", "audio", "composite"})
_NONE: list[etree._Element] = []
_URI_SAFE = "".join(map(chr, range(0x21, 0x7F)))  # printable ASCII: left as it is


def package_members(package: etree._Element) -> list[Picture]:
    """The members of a packageItem as ordered associations."""
    group_set = next(package.iterchildren(GROUP_SET), None)
    return [_member(ref) for ref in _item_refs(group_set)]


def _item_refs(group_set: etree._Element | None) -> list[etree._Element]:
    """The itemRefs of a groupSet in reading order: the root group's children in turn, a
    groupRef standing for its group's (each group once, so a cycle ends). A groupSet
    without a root is read group by group, top to bottom."""
    if group_set is None:
        return []
    groups = {g.get("id"): g for g in group_set.iterchildren(_GROUP)}
    root = group_set.get("root")
    order = [groups[root]] if root in groups else list(groups.values())
    refs: list[etree._Element] = []
    seen: set[int] = set()

    def walk(group: etree._Element) -> None:
        if id(group) in seen:
            return
        seen.add(id(group))
        for child in group:
            if child.tag == _ITEM_REF:
                refs.append(child)
            elif child.tag == _GROUP_REF and child.get("idref") in groups:
                walk(groups[child.get("idref")])

    for group in order:
        walk(group)
    return refs


def _member(ref: etree._Element) -> Picture:
    """An itemRef as an association: the item it names, its class, title and description."""
    residref = ref.get("residref")
    if not residref:
        raise IngestError(Reason.INVALID_FIELD, "itemRef without residref")
    own = index_children((ref,))
    item_class = first(own, _ITEM_CLASS)
    kind = ((item_class.get("qcode") if item_class is not None else None) or "ninat:text")
    kind = kind.rpartition(":")[2]
    return Picture(
        uri=_iri_to_uri(uri_from_guid(residref)[0]),
        type=kind if kind in _MEMBER_TYPES else "text",
        headline=text_of(first(own, _TITLE)),
        caption=next(filter(None, (text_of(d) for d in own.get(_DESCRIPTION, _NONE))), None),
    )


def _iri_to_uri(iri: str) -> str:
    """A guid is an IRI; ninjs wants a URI: non-ASCII characters percent-encoded as UTF-8
    (RFC 3987, 3.1), everything else left as it is."""
    return iri if iri.isascii() else quote(iri, safe=_URI_SAFE)
