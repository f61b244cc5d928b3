"""NewsML-G2 (AFP's current XML) -> Articles: a ``newsItem``, or a ``newsMessage`` of them.

In a newsMessage, picture items (``ninat:picture``/``ninat:graphic``) linked from a text
item by ``itemMeta/link@residref`` travel as that article's pictures, with their own
credit and rights; a picture no text item links to becomes a picture article itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, PubStatus, Rendition, Subject, collapse_space
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
from ingest.parsers.xmlindex import ChildIndex, first, index_children
from ingest.xmlsafe import parse_xml

NS = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PICTURE_CLASSES = frozenset({"ninat:picture", "ninat:graphic"})
_STATUSES: dict[str, PubStatus] = {
    "stat:usable": "usable", "stat:withheld": "withheld", "stat:canceled": "canceled"
}


def _q(name: str) -> str:
    """``pubStatus`` -> ``{http://iptc.org/std/nar/2006-10-01/}pubStatus``."""
    return f"{{{NS}}}{name}"


_NEWS_ITEM, _NEWS_MESSAGE, _ITEM_SET = _q("newsItem"), _q("newsMessage"), _q("itemSet")
_ITEM_META, _RIGHTS_INFO = _q("itemMeta"), _q("rightsInfo")
_CONTENT_META, _CONTENT_SET = _q("contentMeta"), _q("contentSet")
# children of itemMeta
_ITEM_CLASS, _LINK, _PROVIDER, _SERVICE = _q("itemClass"), _q("link"), _q("provider"), _q("service")
_VERSION_CREATED, _FIRST_CREATED = _q("versionCreated"), _q("firstCreated")
_EMBARGOED, _PUB_STATUS = _q("embargoed"), _q("pubStatus")
_ED_NOTE, _SIGNAL = _q("edNote"), _q("signal")
# children of rightsInfo
_HOLDER, _NOTICE, _USAGE = _q("copyrightHolder"), _q("copyrightNotice"), _q("usageTerms")
# children of contentMeta
_URGENCY, _CONTENT_CREATED, _LOCATED = _q("urgency"), _q("contentCreated"), _q("located")
_CREATOR, _BY, _DATELINE = _q("creator"), _q("by"), _q("dateline")
_LANGUAGE, _GENRE, _SUBJECT = _q("language"), _q("genre"), _q("subject")
_SLUGLINE, _HEADLINE, _DESCRIPTION = _q("slugline"), _q("headline"), _q("description")
_CREDITLINE, _KEYWORD, _INFO_SOURCE = _q("creditline"), _q("keyword"), _q("infoSource")
# children of contentSet
_INLINE_XML, _REMOTE = _q("inlineXML"), _q("remoteContent")
# children of concepts
_NAME, _BROADER = _q("name"), _q("broader")

_NONE: list[etree._Element] = []


class NewsMLG2Parser:
    """NewsML-G2 2.x items as AFP sends them (works for other providers' items too)."""

    name = "newsml-g2"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        root = parse_xml(raw)
        tag = root.tag
        if tag == _NEWS_ITEM:  # one item, no message around it to hold its pictures
            item = _Item(root)
            yield ParsedItem(_picture_article(item)) if item.is_picture else _text_article(item, [])
            return
        if tag != _NEWS_MESSAGE:
            raise IngestError(Reason.UNSUPPORTED_ITEM, f"root is {tag!r}, not a G2 newsItem")
        elements = [n for s in root.iterchildren(_ITEM_SET) for n in s.iterchildren(_NEWS_ITEM)]
        if not elements:
            raise IngestError(Reason.EMPTY, "newsMessage holds no newsItem")
        items = [_Item(element) for element in elements]
        pictures = {item.element.get("guid", ""): item for item in items if item.is_picture}
        texts = [item for item in items if not item.is_picture]
        linked = {link.get("residref") for item in texts for link in item.meta.get(_LINK, _NONE)}
        standalone = [item for guid, item in pictures.items() if guid not in linked]

        def build(item: _Item) -> ParsedItem:
            if item.is_picture:
                return ParsedItem(_picture_article(item))
            refs = [link.get("residref") for link in item.meta.get(_LINK, _NONE)]
            attached = [_picture(pictures[r]) for r in refs if r in pictures]
            return _text_article(item, attached)

        yield from each_item(
            texts + standalone,
            build,
            lambda i, item: item.element.get("guid") or f"item[{i}]",
            many=True,
        )


class _Item:
    """A newsItem with its metadata children indexed by tag, in one pass over the tree.

    The pools match what ElementPath would search: ``meta`` holds the children of every
    ``itemMeta`` in document order (as ``itemMeta/x`` searches them all), likewise
    ``rights`` and ``sets``; ``cm`` holds those of the first ``contentMeta`` only, ``cms``
    those of every ``contentMeta``.
    """

    __slots__ = ("cm", "cms", "element", "is_picture", "meta", "rights", "sets")

    def __init__(self, element: etree._Element) -> None:
        top = index_children((element,))
        content_metas = top.get(_CONTENT_META, _NONE)
        self.element = element
        self.meta = index_children(top.get(_ITEM_META, _NONE))
        self.rights = index_children(top.get(_RIGHTS_INFO, _NONE))
        self.sets = index_children(top.get(_CONTENT_SET, _NONE))
        self.cm = index_children(content_metas[:1])
        self.cms = self.cm if len(content_metas) < 2 else index_children(content_metas)
        self.is_picture = _qcode(first(self.meta, _ITEM_CLASS)) in _PICTURE_CLASSES


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """``parent.find(tag)`` for a plain tag, without ElementPath (concepts have few
    children)."""
    for child in parent:
        if child.tag == tag:
            return child
    return None


def _text_article(item: _Item, pictures: list[Picture]) -> ParsedItem:
    article = _common(item)
    article.pictures = pictures
    inline = first(item.sets, _INLINE_XML)
    if inline is not None:
        article.body_html, stripped = render_body(xml_blocks(inline))
    else:
        stripped = []
    return ParsedItem(finish(article), stripped)


def _picture_article(item: _Item) -> Article:
    """A picture nobody linked to: an article of type picture carrying itself."""
    article = _common(item)
    article.type = "picture"
    article.pictures = [_picture(item, article)]
    article.standfirst = article.standfirst or article.pictures[0].caption
    return finish(article)


def _common(item: _Item) -> Article:
    """Everything a text and a picture item share: ids, management, rights, descriptions."""
    element, meta, rights, cm = item.element, item.meta, item.rights, item.cm
    guid = element.get("guid")
    if not guid:
        raise IngestError(Reason.MISSING_ID, "newsItem has no guid")
    uri, alt_ids = uri_from_guid(guid)
    version = version_number(element.get("version"), "version")
    headline, subheadline = _headlines(item.cms.get(_HEADLINE, _NONE))
    located = first(cm, _LOCATED)
    return Article(
        uri=uri,
        version=version,
        pub_status=_STATUSES.get(_qcode(first(meta, _PUB_STATUS)) or "", "usable"),
        version_created=parse_date(_text(first(meta, _VERSION_CREATED)), "versionCreated"),
        first_created=parse_date(
            _text(first(meta, _FIRST_CREATED)) or _text(first(cm, _CONTENT_CREATED)),
            "firstCreated",
        ),
        embargoed_until=parse_date(_text(first(meta, _EMBARGOED)), "embargoed"),
        signals=signals([s.get("qcode", "") for s in meta.get(_SIGNAL, _NONE)]),
        ed_note=_text(first(meta, _ED_NOTE)),
        urgency=urgency(_text(first(cm, _URGENCY))),
        language=language_tag(_attr(first(cm, _LANGUAGE), "tag") or element.get(XML_LANG)),
        headline=headline,
        subheadline=subheadline,
        standfirst=_description(cm, "summary"),
        byline=_text(first(cm, _BY)) or _names(cm.get(_CREATOR, _NONE)),
        dateline=_text(first(cm, _DATELINE)),
        located=_text(_child(located, _NAME)) if located is not None else None,
        country=_country(located),
        slugline=_text(first(cm, _SLUGLINE)),
        genres=[_concept(g) for g in cm.get(_GENRE, _NONE)],
        subjects=[_concept(s) for s in cm.get(_SUBJECT, _NONE)],
        keywords=[k for k in (clean_text(k.text) for k in cm.get(_KEYWORD, _NONE)) if k],
        products=[p for p in (_label(s) for s in meta.get(_SERVICE, _NONE)) if p],
        provider=_provider(first(meta, _PROVIDER)),
        copyright_holder=_label(first(rights, _HOLDER)),
        copyright_notice=_text(first(rights, _NOTICE)),
        usage_terms=_text(first(rights, _USAGE)),
        info_sources=[s for s in (_label(i) for i in cm.get(_INFO_SOURCE, _NONE)) if s],
        alt_ids=alt_ids,
    )


def _picture(item: _Item, article: Article | None = None) -> Picture:
    """A picture item as an association: its own caption, credit, rights and renditions.

    ``article`` is the item's own ``_common`` when the caller already built it."""
    if article is None:
        article = _common(item)
    credit = _text(first(item.cms, _CREDITLINE))
    holder, notice = picture_rights(credit, article.version_created or article.first_created)
    return Picture(
        uri=article.uri,
        caption=_description(item.cm, "caption"),
        by=article.byline,
        credit=credit,
        copyright_holder=article.copyright_holder or holder,
        copyright_notice=article.copyright_notice or notice,
        usage_terms=article.usage_terms,
        renditions=[_rendition(r) for r in item.sets.get(_REMOTE, _NONE)],
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


def _text(element: etree._Element | None) -> str | None:
    """All the text inside ``element``, whitespace collapsed; None if absent or blank."""
    if element is None:
        return None
    # clean_text, inlined (this runs some twenty times an item); a leaf's text is all its text
    text = element.text if not len(element) else "".join(element.itertext())
    if text is None:
        return None
    return collapse_space(text) or None


def _attr(element: etree._Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _qcode(element: etree._Element | None) -> str | None:
    return _attr(element, "qcode")


def _label(element: etree._Element | None) -> str | None:
    """A concept's display value: its name, else its literal, else its qcode's code."""
    if element is None:
        return None
    name = _text(_child(element, _NAME)) or clean_text(element.text)
    if name:
        return name
    return clean_text(element.get("literal") or (element.get("qcode") or "").rpartition(":")[2])


def _provider(element: etree._Element | None) -> str | None:
    label = _label(element)
    uri = _attr(element, "uri") or ""
    return AFP if (label or "").upper() == AFP or "afp.com" in uri else label


def _concept(element: etree._Element) -> Subject:
    return Subject(
        code=element.get("qcode") or element.get("literal"), name=_text(_child(element, _NAME))
    )


def _names(elements: list[etree._Element]) -> str | None:
    names = [n for n in (_label(e) for e in elements) if n]
    return ", ".join(names) or None


def _headlines(headlines: list[etree._Element]) -> tuple[str | None, str | None]:
    """(main, sub): the first headline of each kind; a ``role`` of ``sub…`` is a sub."""
    main = sub = None
    for headline in headlines:
        role = (headline.get("role") or "main").rpartition(":")[2].lower()
        if role.startswith("sub"):
            sub = sub or _text(headline)
        else:
            main = main or _text(headline)
    return main, sub


def _description(cm: ChildIndex, role: str) -> str | None:
    for description in cm.get(_DESCRIPTION, _NONE):
        if (description.get("role") or "").rpartition(":")[2] == role:
            return _text(description)
    return None


def _country(located: etree._Element | None) -> str | None:
    if located is None:
        return None
    for concept in (located, *located):
        if concept is located or concept.tag == _BROADER:
            scheme, _, code = (concept.get("qcode") or "").partition(":")
            if scheme == "iso3166-1a3":
                return country_code(code)
    return None
