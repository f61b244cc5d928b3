"""The one way ingest parses XML: no entities, no DTD loading, no network, size-capped.

Nesting is bounded by libxml2 itself: without ``huge_tree`` it stops at ``MAX_DEPTH``
elements deep, as it stops at its other resource limits; those are refused as
``HOSTILE_XML`` like entity bombs, since no news item comes near them. Checking a lower
bound ourselves would mean walking every tree, a cost every item would pay.
"""

from __future__ import annotations

import re

from lxml import etree

from ingest.errors import IngestError, Reason

_PROLOG_LIMIT = 4096
MAX_DEPTH = 256  # libxml2's xmlParserMaxDepth without XML_PARSE_HUGE
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_xml(raw: bytes) -> etree._Element:
    """Parse ``raw`` or raise ``IngestError``; any DTD that declares entities is refused.

    Refusing entity declarations outright (rather than leaving them unexpanded) stops
    billion-laughs and external-entity payloads before they can matter.
    """
    head = raw[: _prolog_end(raw)]
    if b"<!" in head:  # both markers start with "<!": most items skip the upper-cased copy
        head = head.upper()
        if b"<!ENTITY" in head or (b"<!DOCTYPE" in head and b"SYSTEM" in head):
            raise IngestError(
                Reason.HOSTILE_XML, "document declares entities or an external DTD"
            )
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:  # depth, name or text length
            raise IngestError(Reason.HOSTILE_XML, f"past libxml2's limits: {text}") from None
        reason = Reason.BAD_ENCODING if "encod" in text.lower() else Reason.MALFORMED_XML
        raise IngestError(reason, text) from None
    if root is None:
        raise IngestError(Reason.EMPTY, "no root element")
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None and _declares_entities(tree):
        raise IngestError(Reason.HOSTILE_XML, "document declares entities")
    return root


def _prolog_end(raw: bytes) -> int:
    """Where the root element starts (at most 4096 bytes in): a DOCTYPE can only come
    before it, and scanning a whole item's markup for ``<!`` cost a tenth of parsing it.
    A comment that hides a ``<x`` ends the scan early; the check after parsing remains."""
    found = _ELEMENT_START.search(raw, 0, _PROLOG_LIMIT)
    return found.start() if found else _PROLOG_LIMIT


def _declares_entities(tree: etree._ElementTree) -> bool:
    dtd = tree.docinfo.internalDTD
    return dtd is not None and any(True for _ in dtd.iterentities())
