"""NewsML-G2 (AFP's current XML) -> Articles: a ``newsItem``, or a ``newsMessage`` of them.

In a newsMessage, picture items (``ninat:picture``/``ninat:graphic``) linked from a text
item by ``itemMeta/link@residref`` travel as that article's pictures, with their own
credit and rights; a picture no text item links to becomes a picture article itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, PubStatus, Rendition, Subject
from ingest.parsers.base import ParsedItem, ParseOutcome
from ingest.parsers.body import render_body, xml_blocks
from ingest.parsers.identity import (
    AFP,
    clean_text,
    country_code,
    finish,
    integer,
    language_tag,
    parse_date,
    picture_rights,
    signals,
    urgency,
    uri_from_guid,
    version_number,
)
from ingest.parsers.outcomes import each_item
from ingest.xmlsafe import parse_xml

NS = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PICTURE_CLASSES = frozenset({"ninat:picture", "ninat:graphic"})
_STATUSES: dict[str, PubStatus] = {
    "stat:usable": "usable", "stat:withheld": "withheld", "stat:canceled": "canceled"
}


def _p(path: str) -> str:
    """``itemMeta/pubStatus`` -> the same path in the G2 namespace, built once per path."""
    return "/".join(part if part == "." else f"{{{NS}}}{part}" for part in path.split("/"))


_NEWS_ITEM, _NEWS_MESSAGE = _p("newsItem"), _p("newsMessage")
_MESSAGE_ITEMS = _p("itemSet/newsItem")
_ITEM_CLASS, _LINK = _p("itemMeta/itemClass"), _p("itemMeta/link")
_HOLDER, _NOTICE = _p("rightsInfo/copyrightHolder"), _p("rightsInfo/copyrightNotice")
_USAGE, _NAME = _p("rightsInfo/usageTerms"), _p("name")
_PROVIDER, _SERVICE = _p("itemMeta/provider"), _p("itemMeta/service")
_VERSION_CREATED, _FIRST_CREATED = _p("itemMeta/versionCreated"), _p("itemMeta/firstCreated")
_EMBARGOED, _PUB_STATUS = _p("itemMeta/embargoed"), _p("itemMeta/pubStatus")
_ED_NOTE, _SIGNAL = _p("itemMeta/edNote"), _p("itemMeta/signal")
_CONTENT_META = _p("contentMeta")
_URGENCY, _CONTENT_CREATED = _p("urgency"), _p("contentCreated")
_LOCATED, _BROADER = _p("located"), _p("broader")
_CREATOR, _BY, _DATELINE = _p("creator"), _p("by"), _p("dateline")
_LANGUAGE, _GENRE, _SUBJECT = _p("language"), _p("genre"), _p("subject")
_SLUGLINE, _HEADLINE, _DESCRIPTION = _p("slugline"), _p("headline"), _p("description")
_CREDITLINE, _KEYWORD, _INFO_SOURCE = _p("creditline"), _p("keyword"), _p("infoSource")
_INLINE_XML, _REMOTE = _p("contentSet/inlineXML"), _p("contentSet/remoteContent")


class NewsMLG2Parser:
    """NewsML-G2 2.x items as AFP sends them (works for other providers' items too)."""

    name = "newsml-g2"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        root = parse_xml(raw)
        if root.tag == _NEWS_ITEM:
            items, many = [root], False
        elif root.tag == _NEWS_MESSAGE:
            items, many = root.findall(_MESSAGE_ITEMS), True
        else:
            raise IngestError(Reason.UNSUPPORTED_ITEM, f"root is {root.tag!r}, not a G2 newsItem")
        if not items:
            raise IngestError(Reason.EMPTY, "newsMessage holds no newsItem")
        kinds = {item: _is_picture(item) for item in items}
        pictures = {item.get("guid", ""): item for item in items if kinds[item]}
        texts = [item for item in items if not kinds[item]]
        linked = {link.get("residref") for item in texts for link in item.iterfind(_LINK)}
        standalone = [item for guid, item in pictures.items() if guid not in linked]

        def build(item: etree._Element) -> ParsedItem:
            if kinds[item]:
                return ParsedItem(_picture_article(item))
            refs = [link.get("residref") for link in item.iterfind(_LINK)]
            attached = [_picture(pictures[r]) for r in refs if r in pictures]
            return _text_article(item, attached)

        yield from each_item(
            texts + standalone, build, lambda i, item: item.get("guid") or f"item[{i}]", many=many
        )


def _is_picture(item: etree._Element) -> bool:
    return _qcode(item.find(_ITEM_CLASS)) in _PICTURE_CLASSES


def _text_article(item: etree._Element, pictures: list[Picture]) -> ParsedItem:
    article = _common(item)
    article.pictures = pictures
    inline = item.find(_INLINE_XML)
    if inline is not None:
        article.body_html, stripped = render_body(xml_blocks(inline))
    else:
        stripped = []
    return ParsedItem(finish(article), stripped)


def _picture_article(item: etree._Element) -> Article:
    """A picture nobody linked to: an article of type picture carrying itself."""
    article = _common(item)
    article.type = "picture"
    article.pictures = [_picture(item)]
    article.standfirst = article.standfirst or article.pictures[0].caption
    return finish(article)


def _common(item: etree._Element) -> Article:
    """Everything a text and a picture item share: ids, management, rights, descriptions."""
    guid = item.get("guid")
    if not guid:
        raise IngestError(Reason.MISSING_ID, "newsItem has no guid")
    uri, alt_ids = uri_from_guid(guid)
    meta = item.find(_CONTENT_META)
    cm = meta if meta is not None else etree.Element("contentMeta")
    version = version_number(item.get("version"), "version")
    headlines = item.findall(_p("contentMeta/headline"))
    located = cm.find(_LOCATED)
    return Article(
        uri=uri,
        version=version,
        pub_status=_STATUSES.get(_qcode(item.find(_PUB_STATUS)) or "", "usable"),
        version_created=parse_date(_text(item, _VERSION_CREATED), "versionCreated"),
        first_created=parse_date(
            _text(item, _FIRST_CREATED) or _text(cm, _CONTENT_CREATED), "firstCreated"
        ),
        embargoed_until=parse_date(_text(item, _EMBARGOED), "embargoed"),
        signals=signals([s.get("qcode", "") for s in item.iterfind(_SIGNAL)]),
        ed_note=_text(item, _ED_NOTE),
        urgency=urgency(_text(cm, _URGENCY)),
        language=language_tag(_attr(cm.find(_LANGUAGE), "tag") or item.get(XML_LANG)),
        headline=_headline(headlines, sub=False),
        subheadline=_headline(headlines, sub=True),
        standfirst=_description(cm, "summary"),
        byline=_text(cm, _BY) or _names(cm.iterfind(_CREATOR)),
        dateline=_text(cm, _DATELINE),
        located=_text(located, _NAME) if located is not None else None,
        country=_country(located),
        slugline=_text(cm, _SLUGLINE),
        genres=[_concept(g) for g in cm.iterfind(_GENRE)],
        subjects=[_concept(s) for s in cm.iterfind(_SUBJECT)],
        keywords=[k for k in (clean_text(k.text) for k in cm.iterfind(_KEYWORD)) if k],
        products=[p for p in (_label(s) for s in item.iterfind(_SERVICE)) if p],
        provider=_provider(item.find(_PROVIDER)),
        copyright_holder=_label(item.find(_HOLDER)),
        copyright_notice=_text(item, _NOTICE),
        usage_terms=_text(item, _USAGE),
        info_sources=[s for s in (_label(i) for i in cm.iterfind(_INFO_SOURCE)) if s],
        alt_ids=alt_ids,
    )


def _picture(item: etree._Element) -> Picture:
    """A picture item as an association: its own caption, credit, rights and renditions."""
    article = _common(item)
    credit = _text(item, _p("contentMeta/creditline"))
    holder, notice = picture_rights(credit, article.version_created or article.first_created)
    meta = item.find(_CONTENT_META)
    return Picture(
        uri=article.uri,
        caption=_description(meta, "caption") if meta is not None else None,
        by=article.byline,
        credit=credit,
        copyright_holder=article.copyright_holder or holder,
        copyright_notice=article.copyright_notice or notice,
        usage_terms=article.usage_terms,
        renditions=[_rendition(r) for r in item.iterfind(_REMOTE)],
    )


def _rendition(remote: etree._Element) -> Rendition:
    href = remote.get("href")
    if not href:
        raise IngestError(Reason.INVALID_FIELD, "remoteContent without href")
    return Rendition(
        name=(remote.get("rendition") or "rendition").rpartition(":")[2],
        href=href,
        content_type=remote.get("contenttype"),
        width=integer(remote.get("width"), "width"),
        height=integer(remote.get("height"), "height"),
        size_in_bytes=integer(remote.get("size"), "size"),
    )


def _text(parent: etree._Element | None, path: str) -> str | None:
    element = parent.find(path) if parent is not None else None
    return clean_text("".join(element.itertext())) if element is not None else None


def _attr(element: etree._Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _qcode(element: etree._Element | None) -> str | None:
    return _attr(element, "qcode")


def _label(element: etree._Element | None) -> str | None:
    """A concept's display value: its name, else its literal, else its qcode's code."""
    if element is None:
        return None
    name = _text(element, _NAME) or clean_text(element.text)
    code = element.get("literal") or (element.get("qcode") or "").rpartition(":")[2]
    return name or clean_text(code)


def _provider(element: etree._Element | None) -> str | None:
    label = _label(element)
    uri = _attr(element, "uri") or ""
    return AFP if (label or "").upper() == AFP or "afp.com" in uri else label


def _concept(element: etree._Element) -> Subject:
    return Subject(code=element.get("qcode") or element.get("literal"), name=_text(element, _NAME))


def _names(elements: Iterator[etree._Element]) -> str | None:
    names = [n for n in (_label(e) for e in elements) if n]
    return ", ".join(names) or None


def _headline(headlines: list[etree._Element], *, sub: bool) -> str | None:
    for headline in headlines:
        role = (headline.get("role") or "main").rpartition(":")[2].lower()
        if role.startswith("sub") == sub:
            return clean_text("".join(headline.itertext()))
    return None


def _description(meta: etree._Element, role: str) -> str | None:
    for description in meta.iterfind(_DESCRIPTION):
        if (description.get("role") or "").rpartition(":")[2] == role:
            return clean_text("".join(description.itertext()))
    return None


def _country(located: etree._Element | None) -> str | None:
    if located is None:
        return None
    for concept in (located, *located.iterfind(_BROADER)):
        scheme, _, code = (concept.get("qcode") or "").partition(":")
        if scheme == "iso3166-1a3":
            return country_code(code)
    return None

