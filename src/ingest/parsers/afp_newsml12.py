"""AFP NewsML 1.2 (archives and FTP drops) -> Articles, one per ``NewsItem``.

The story uri is the PublicIdentifier without its revision (``RevisionId`` orders the
versions); a correction is flagged by ``Property FormalName="Version" Value="Correction"``
and explained by the AdvisoryLine. Photos are nested NewsComponents whose ContentItems
carry an ``Href``; their NewsLines give the credit.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    iptc_subject,
    language_tag,
    parse_date,
    picture_rights,
    signals,
    urgency,
    version_number,
)
from ingest.parsers.outcomes import each_item
from ingest.xmlsafe import parse_xml

_STATUSES: dict[str, PubStatus] = {
    "usable": "usable", "embargoed": "usable", "withheld": "withheld", "canceled": "canceled",
    "cancelled": "canceled",
}


class AFPNewsML12Parser:
    """AFP's NewsML 1.2 profile: NITF or bare ``<p>`` bodies, photo components."""

    name = "afp-newsml12"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        root = parse_xml(raw)
        if root.tag == "NewsML":
            items = root.findall("NewsItem")
        elif root.tag == "NewsItem":
            items = [root]
        else:
            raise IngestError(Reason.UNSUPPORTED_ITEM, f"root is {root.tag!r}, not NewsML")
        if not items:
            raise IngestError(Reason.EMPTY, "NewsML holds no NewsItem")
        products = [p for p in (e.get("FormalName") for e in root.iterfind(".//NewsProduct")) if p]
        priority = _formal(root.find("NewsEnvelope/Priority"))
        yield from each_item(
            items,
            lambda item: _article(item, products, priority),
            lambda i, item: item.findtext("Identification/NewsIdentifier/PublicIdentifier")
            or f"NewsItem[{i}]",
            many=len(items) > 1,
        )


def _article(item: etree._Element, products: list[str], priority: str | None) -> ParsedItem:
    ident = item.find("Identification/NewsIdentifier")
    date_id = _text(ident, "DateId")
    item_id = _text(ident, "NewsItemId")
    if ident is None or not date_id or not item_id:
        raise IngestError(Reason.MISSING_ID, "NewsItem has no DateId/NewsItemId")
    provider_id = _text(ident, "ProviderId") or "afp.com"
    version = version_number(_text(ident, "RevisionId"), "RevisionId")
    alt_ids = afp_ids(date_id, item_id)
    public_id = _text(ident, "PublicIdentifier")
    if public_id:
        alt_ids["afp-public-identifier"] = public_id
    mgmt = item.find("NewsManagement")
    main = item.find("NewsComponent")
    if main is None:
        raise IngestError(Reason.UNSUPPORTED_ITEM, f"{item_id}: NewsItem has no NewsComponent")
    lines = main.find("NewsLines")
    desc = main.find("DescriptiveMetadata")
    origin = desc.find("Location[@HowPresent='Origin']") if desc is not None else None
    status = (_formal(_find(mgmt, "Status")) or "Usable").lower()
    if status not in _STATUSES:
        raise IngestError(Reason.INVALID_FIELD, f"{item_id}: unknown Status {status!r}")
    advisory = _advisory(lines)
    correction = _property(desc, "Version") == "Correction"
    created = parse_date(_text(mgmt, "ThisRevisionCreated"), "ThisRevisionCreated")
    article = Article(
        uri=f"urn:newsml:{provider_id}:{date_id}:{item_id}",
        version=version,
        pub_status=_STATUSES[status],
        version_created=created,
        first_created=parse_date(_text(mgmt, "FirstCreated"), "FirstCreated"),
        embargoed_until=parse_date(
            _text(mgmt, "StatusWillChange/DateAndTime"), "StatusWillChange"
        ),
        signals=signals([], correction=correction),
        ed_note=advisory,
        urgency=urgency(_formal(_find(mgmt, "Urgency")) or priority),
        language=language_tag(_formal(_find(desc, "Language")) or item.get(
            "{http://www.w3.org/XML/1998/namespace}lang")),
        headline=_text(lines, "HeadLine"),
        subheadline=_text(lines, "SubHeadLine"),
        byline=_text(lines, "ByLine"),
        dateline=_text(lines, "DateLine"),
        located=_property(origin, "City"),
        country=country_code(_property(origin, "Country")),
        slugline=_text(lines, "SlugLine") or _text(item, "Identification/NameLabel"),
        genres=[Subject(name=g) for g in _formals(desc, "Genre")],
        subjects=[iptc_subject(c) for c in _formals(desc, "SubjectCode/*")],
        keywords=_properties(desc, "Keyword"),
        products=products,
        provider=AFP if provider_id == "afp.com" else provider_id,
        copyright_notice=_text(lines, "CopyrightLine"),
        usage_terms=_text(main, "RightsMetadata/UsageRights/UsageType"),
        alt_ids=alt_ids,
    )
    text_item = _text_content(main)
    stripped: list[Stripped] = []
    if text_item is not None:
        article.body_html, stripped = render_body(xml_blocks(text_item))
    article.pictures = [
        _picture(c, article.uri, created) for c in main.iterfind("NewsComponent") if _is_photo(c)
    ]
    return ParsedItem(finish(article), stripped)


def _text_content(main: etree._Element) -> etree._Element | None:
    """The DataContent of the text: the main component's own, else its first text part."""
    own = main.find("ContentItem/DataContent")
    if own is not None:
        return own
    for component in main.iterfind("NewsComponent"):
        if not _is_photo(component):
            found = component.find(".//ContentItem/DataContent")
            if found is not None:
                return found
    return None


def _is_photo(component: etree._Element) -> bool:
    return component.find(".//ContentItem[@Href]") is not None


def _picture(component: etree._Element, story: str, created: datetime | None) -> Picture:
    """A photo component: its Duid names it within the story, else its first file does."""
    lines = component.find("NewsLines")
    credit = _text(lines, "CreditLine")
    holder, notice = picture_rights(credit, created)
    renditions = []
    for part in component.iterfind(".//ContentItem[@Href]"):
        role = _formal(_find(part.getparent(), "Role")) or "rendition"
        chars = part.find("Characteristics")
        renditions.append(Rendition(
            name=role,
            href=part.get("Href", ""),
            content_type=_formal(part.find("MimeType")),
            width=integer(_property(chars, "Width"), "Width"),
            height=integer(_property(chars, "Height"), "Height"),
            size_in_bytes=integer(_text(chars, "SizeInBytes"), "SizeInBytes"),
        ))
    caption = next((_text(c, ".//DataContent") for c in component.iterfind("NewsComponent")
                    if _formal(c.find("Role")) == "Caption"), None)
    duid = component.get("Duid")
    return Picture(
        uri=f"{story}#{duid}" if duid else renditions[0].href,
        caption=caption or _text(lines, "HeadLine"),
        by=_text(lines, "ByLine"),
        credit=credit,
        copyright_holder=holder,
        copyright_notice=_text(lines, "CopyrightLine") or notice,
        usage_terms=_text(component, "RightsMetadata/UsageRights/UsageType"),
        renditions=renditions,
    )


def _advisory(lines: etree._Element | None) -> str | None:
    if lines is None:
        return None
    notes = [_text(line, "NewsLineText") for line in lines.iterfind("NewsLine")
             if _formal(line.find("NewsLineType")) == "AdvisoryLine"]
    return " ".join(n for n in notes if n) or None


def _find(parent: etree._Element | None, path: str) -> etree._Element | None:
    return parent.find(path) if parent is not None else None


def _text(parent: etree._Element | None, path: str) -> str | None:
    element = _find(parent, path)
    return clean_text("".join(element.itertext())) if element is not None else None


def _formal(element: etree._Element | None) -> str | None:
    return clean_text(element.get("FormalName")) if element is not None else None


def _formals(parent: etree._Element | None, path: str) -> list[str]:
    if parent is None:
        return []
    return [f for f in (_formal(e) for e in parent.iterfind(path)) if f]


def _properties(parent: etree._Element | None, name: str) -> list[str]:
    if parent is None:
        return []
    found = parent.iterfind(f"Property[@FormalName='{name}']")
    values = (clean_text(p.get("Value")) for p in found)
    return [v for v in values if v]


def _property(parent: etree._Element | None, name: str) -> str | None:
    values = _properties(parent, name)
    return values[0] if values else None
