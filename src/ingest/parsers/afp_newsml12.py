"""AFP NewsML 1.2 (archives and FTP drops) -> Articles, one per ``NewsItem``.

The story uri is the PublicIdentifier without its revision (``RevisionId`` orders the
versions); a correction is flagged by ``Property FormalName="Version" Value="Correction"``
and explained by the AdvisoryLine. Photos are nested NewsComponents whose ContentItems
carry an ``Href``; their NewsLines give the credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, PubStatus, Rendition, Subject
from ingest.parsers.base import ParsedItem, ParseOutcome, Stripped
from ingest.parsers.body import render_body, xml_blocks
from ingest.parsers.identity import (
    AFP,
    afp_ids,
    clean_text,
    country_code,
    finish,
    integer,
    is_alert,
    language_tag,
    parse_date,
    picture_rights,
    resolve_href,
    signals,
    urgency,
    version_number,
)
from ingest.parsers.outcomes import each_item
from ingest.parsers.xmlindex import ChildIndex, first, index_children, text_of
from ingest.vocab import places
from ingest.xmlsafe import parse_xml

_STATUSES: dict[str, PubStatus] = {
    "usable": "usable", "embargoed": "usable", "withheld": "withheld", "canceled": "canceled",
    "cancelled": "canceled",
}


# A file's ``Format`` FormalName (AFP writes ``JPG``) -> its media type, for a ContentItem
# that gives no ``MimeType``; the first word is the format (``JPEG Baseline``)
_FORMAT_TYPES = {
    "JPG": "image/jpeg", "JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
    "TIF": "image/tiff", "TIFF": "image/tiff", "WEBP": "image/webp",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NONE: list[etree._Element] = []


class AFPNewsML12Parser:
    """AFP's NewsML 1.2 profile: NITF or bare ``<p>`` bodies, photo components."""

    name = "afp-newsml12"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        root = parse_xml(raw)
        if root.tag == "NewsML":
            items = list(root.iterchildren("NewsItem"))
        elif root.tag == "NewsItem":
            items = [root]
        else:
            raise IngestError(Reason.UNSUPPORTED_ITEM, f"root is {root.tag!r}, not NewsML")
        if not items:
            raise IngestError(Reason.EMPTY, "NewsML holds no NewsItem")
        products = [
            p for p in (e.get("FormalName") for e in root.iterdescendants("NewsProduct")) if p
        ]
        priority = _formal(_under((root,), "NewsEnvelope", "Priority"))
        yield from each_item(
            items,
            lambda item: _article(item, products, priority, source),
            lambda i, item: item.findtext("Identification/NewsIdentifier/PublicIdentifier")
            or f"NewsItem[{i}]",
            many=len(items) > 1,
        )


def _article(
    item: etree._Element, products: list[str], priority: str | None, source: str
) -> ParsedItem:
    """One NewsItem; ``source`` locates it, and the photo files it names beside it."""
    top = _kids(item)
    ident = _under(top.get("Identification", _NONE), "NewsIdentifier")
    ids = _kids(ident)
    date_id = text_of(first(ids, "DateId"))
    item_id = text_of(first(ids, "NewsItemId"))
    if ident is None or not date_id or not item_id:
        raise IngestError(Reason.MISSING_ID, "NewsItem has no DateId/NewsItemId")
    provider_id = text_of(first(ids, "ProviderId")) or "afp.com"
    version = version_number(text_of(first(ids, "RevisionId")), "RevisionId")
    alt_ids = afp_ids(date_id, item_id)
    public_id = text_of(first(ids, "PublicIdentifier"))
    if public_id:
        alt_ids["afp-public-identifier"] = public_id
    mgmt = _kids(first(top, "NewsManagement"))
    main = first(top, "NewsComponent")
    if main is None:
        raise IngestError(Reason.UNSUPPORTED_ITEM, f"{item_id}: NewsItem has no NewsComponent")
    parts = _kids(main)
    lines = _kids(first(parts, "NewsLines"))
    desc = _kids(first(parts, "DescriptiveMetadata"))
    origin = next((e for e in desc.get("Location", _NONE) if e.get("HowPresent") == "Origin"), None)
    status = (_formal(first(mgmt, "Status")) or "Usable").lower()
    if status not in _STATUSES:
        raise IngestError(Reason.INVALID_FIELD, f"{item_id}: unknown Status {status!r}")
    advisory = _advisory(lines)
    correction = _property(desc.get("Property", _NONE), "Version") == "Correction"
    created = parse_date(text_of(first(mgmt, "ThisRevisionCreated")), "ThisRevisionCreated")
    located = _tagged(origin, "Property")
    article = Article(
        uri=f"urn:newsml:{provider_id}:{date_id}:{item_id}",
        version=version,
        pub_status=_STATUSES[status],
        version_created=created,
        first_created=parse_date(text_of(first(mgmt, "FirstCreated")), "FirstCreated"),
        embargoed_until=parse_date(
            text_of(_under(mgmt.get("StatusWillChange", _NONE), "DateAndTime")), "StatusWillChange"
        ),
        signals=signals([], correction=correction),
        ed_note=advisory,
        urgency=urgency(_formal(first(mgmt, "Urgency")) or priority),
        language=language_tag(_formal(first(desc, "Language")) or item.get(_XML_LANG)),
        headline=text_of(first(lines, "HeadLine")),
        subheadline=text_of(first(lines, "SubHeadLine")),
        byline=text_of(first(lines, "ByLine")),
        dateline=text_of(first(lines, "DateLine")),
        located=_property(located, "City"),
        country=country_code(_property(located, "Country")),
        places=places((None, _property(located, "City")), (_property(located, "Country"), None)),
        slugline=text_of(first(lines, "SlugLine"))
        or text_of(_under(top.get("Identification", _NONE), "NameLabel")),
        genres=[Subject(name=g) for g in _formals(desc.get("Genre", _NONE))],
        subjects=[Subject(c) for c in _formals(_subject_codes(desc))],
        keywords=_properties(desc.get("Property", _NONE), "Keyword"),
        products=products,
        provider=AFP if provider_id == "afp.com" else provider_id,
        copyright_notice=text_of(first(lines, "CopyrightLine")),
        usage_terms=text_of(_under(parts.get("RightsMetadata", _NONE), "UsageRights", "UsageType")),
        alt_ids=alt_ids,
    )
    components = [(c, _is_photo(c)) for c in parts.get("NewsComponent", _NONE)]
    text_item = _text_content(parts, [c for c, photo in components if not photo])
    stripped: list[Stripped] = []
    if text_item is not None:
        article.body_html, stripped = render_body(xml_blocks(text_item))
    article.pictures = [
        _picture(c, article.uri, created, source) for c, photo in components if photo
    ]
    alert = is_alert(_formal(first(mgmt, "NewsItemType")))
    return ParsedItem(finish(article, alert=alert), stripped)


def _subject_codes(desc: ChildIndex) -> list[etree._Element]:
    """``SubjectCode/*``: every element inside every SubjectCode."""
    return [code for group in desc.get("SubjectCode", _NONE) for code in group.iterchildren("*")]


def _text_content(parts: ChildIndex, texts: list[etree._Element]) -> etree._Element | None:
    """The DataContent of the text: the main component's own, else its first text part."""
    own = _under(parts.get("ContentItem", _NONE), "DataContent")
    if own is not None:
        return own
    for component in texts:
        found = next(_data_contents(component), None)
        if found is not None:
            return found
    return None


def _data_contents(component: etree._Element) -> Iterator[etree._Element]:
    """``component.iterfind(".//ContentItem/DataContent")`` without ElementPath."""
    for content in component.iterdescendants("ContentItem"):
        yield from content.iterchildren("DataContent")


def _files(component: etree._Element) -> Iterator[etree._Element]:
    """``component.iterfind(".//ContentItem[@Href]")``: the ContentItems naming a file."""
    return (c for c in component.iterdescendants("ContentItem") if c.get("Href") is not None)


def _is_photo(component: etree._Element) -> bool:
    return next(_files(component), None) is not None


def _picture(
    component: etree._Element, story: str, created: datetime | None, source: str
) -> Picture:
    """A photo component: its Duid names it within the story, else its first file does.
    Every file is a rendition, its ``Href`` resolved against the item's ``source``."""
    parts = _kids(component)
    lines = _kids(first(parts, "NewsLines"))
    credit = text_of(first(lines, "CreditLine"))
    holder, notice = picture_rights(credit, created)
    renditions = []
    for part in _files(component):
        parent = part.getparent()
        role = _formal(_under((parent,), "Role") if parent is not None else None) or "rendition"
        chars = _under((part,), "Characteristics")
        properties = _tagged(chars, "Property")
        renditions.append(Rendition(
            name=role,
            href=resolve_href(part.get("Href", ""), source),
            content_type=_content_type(part),
            width=integer(_property(properties, "Width"), "Width"),
            height=integer(_property(properties, "Height"), "Height"),
            size_in_bytes=integer(
                text_of(_under((chars,), "SizeInBytes") if chars is not None else None),
                "SizeInBytes",
            ),
        ))
    caption = next(
        (
            text_of(next(c.iterdescendants("DataContent"), None))
            for c in parts.get("NewsComponent", _NONE)
            if _formal(_under((c,), "Role")) == "Caption"
        ),
        None,
    )
    duid = component.get("Duid")
    return Picture(
        uri=f"{story}#{duid}" if duid else renditions[0].href,
        caption=caption or text_of(first(lines, "HeadLine")),
        by=text_of(first(lines, "ByLine")),
        credit=credit,
        copyright_holder=holder,
        copyright_notice=text_of(first(lines, "CopyrightLine")) or notice,
        usage_terms=text_of(_under(parts.get("RightsMetadata", _NONE), "UsageRights", "UsageType")),
        renditions=renditions,
    )


def _content_type(content: etree._Element) -> str | None:
    """A ContentItem's media type: its ``MimeType``, else what its ``Format`` names."""
    given = _formal(_under((content,), "MimeType"))
    if given:
        return given
    name = (_formal(_under((content,), "Format")) or "").partition(" ")[0]
    return _FORMAT_TYPES.get(name.upper())


def _advisory(lines: ChildIndex) -> str | None:
    notes = [
        text_of(_under((line,), "NewsLineText"))
        for line in lines.get("NewsLine", _NONE)
        if _formal(_under((line,), "NewsLineType")) == "AdvisoryLine"
    ]
    return " ".join(n for n in notes if n) or None


def _kids(parent: etree._Element | None) -> ChildIndex:
    return index_children(() if parent is None else (parent,))


def _under(parents: Iterable[etree._Element], *tags: str) -> etree._Element | None:
    """The first element at path ``tags`` below ``parents``, in document order: what
    ``parent.find("A/B")`` returns for plain tags, without ElementPath."""
    head, rest = tags[0], tags[1:]
    for parent in parents:
        for child in parent:
            if child.tag == head:
                if not rest:
                    return child
                found = _under((child,), *rest)
                if found is not None:
                    return found
    return None


def _tagged(parent: etree._Element | None, tag: str) -> list[etree._Element]:
    """The children of ``parent`` with ``tag``; none when there is no parent."""
    return [] if parent is None else [c for c in parent if c.tag == tag]


def _formal(element: etree._Element | None) -> str | None:
    return clean_text(element.get("FormalName")) if element is not None else None


def _formals(elements: list[etree._Element]) -> list[str]:
    return [f for f in (_formal(e) for e in elements) if f]


def _properties(elements: list[etree._Element], name: str) -> list[str]:
    """Values of the ``Property`` elements among ``elements`` whose FormalName is ``name``
    (``Property[@FormalName='name']``)."""
    values = (
        clean_text(p.get("Value"))
        for p in elements
        if p.tag == "Property" and p.get("FormalName") == name
    )
    return [v for v in values if v]


def _property(elements: list[etree._Element], name: str) -> str | None:
    values = _properties(elements, name)
    return values[0] if values else None
