"""NewsML-G2 (AFP's current XML) -> Articles: a ``newsItem`` or ``packageItem``, or a
``newsMessage`` of them.

In a newsMessage, picture items (``ninat:picture``/``ninat:graphic``) linked from a text
item by ``itemMeta/link@residref`` travel as that article's pictures, with their own
credit and rights; a picture no text item links to becomes a picture article itself. A
text item whose content is ``remoteContent`` (no inline body) keeps those as its own
renditions: links, not fetched. A package is a ``composite`` article whose associations
are its members (``newsml_g2_package``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.model import (
    Article,
    Picture,
    PubStatus,
    Rendition,
    Subject,
    is_file_ref,
    is_web_url,
)
from ingest.parsers import G2_NAMESPACE
from ingest.parsers.base import ParsedItem, ParseOutcome
from ingest.parsers.body import render_body, xml_blocks
from ingest.parsers.identity import (
    AFP,
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
    uri_from_guid,
    version_number,
)
from ingest.parsers.newsml_g2_package import package_members
from ingest.parsers.outcomes import each_item
from ingest.parsers.xmlindex import ChildIndex, first, index_children, text_at, text_of
from ingest.vocab import places
from ingest.xmlsafe import parse_xml

NS = G2_NAMESPACE.decode()
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PICTURE_CLASSES = frozenset({"ninat:picture", "ninat:graphic"})
_STATUSES: dict[str, PubStatus] = {
    "stat:usable": "usable", "stat:withheld": "withheld", "stat:canceled": "canceled"
}


def _q(name: str) -> str:
    """``pubStatus`` -> ``{http://iptc.org/std/nar/2006-10-01/}pubStatus``."""
    return f"{{{NS}}}{name}"


_NEWS_ITEM, _NEWS_MESSAGE, _ITEM_SET = _q("newsItem"), _q("newsMessage"), _q("itemSet")
_PACKAGE_ITEM, _TITLE = _q("packageItem"), _q("title")
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
            item = _Item(root, source)
            yield ParsedItem(_picture_article(item)) if item.is_picture else _text_article(item, [])
            return
        if tag == _PACKAGE_ITEM:
            yield _package_article(_Item(root, source))
            return
        if tag != _NEWS_MESSAGE:
            raise IngestError(Reason.UNSUPPORTED_ITEM, f"root is {tag!r}, not a G2 newsItem")
        sets = list(root.iterchildren(_ITEM_SET))
        elements = [n for s in sets for n in s.iterchildren(_NEWS_ITEM)]
        packages = [_Item(p, source) for s in sets for p in s.iterchildren(_PACKAGE_ITEM)]
        if not elements and not packages:
            raise IngestError(Reason.EMPTY, "newsMessage holds no newsItem")
        items = [_Item(element, source) for element in elements]
        pictures = {item.element.get("guid", ""): item for item in items if item.is_picture}
        texts = [item for item in items if not item.is_picture]
        linked = {link.get("residref") for item in texts for link in item.meta.get(_LINK, _NONE)}
        standalone = [item for guid, item in pictures.items() if guid not in linked]

        def build(item: _Item) -> ParsedItem:
            if item.element.tag == _PACKAGE_ITEM:
                return _package_article(item)
            if item.is_picture:
                return ParsedItem(_picture_article(item))
            refs = [link.get("residref") for link in item.meta.get(_LINK, _NONE)]
            attached = [_picture(pictures[r]) for r in refs if r in pictures]
            return _text_article(item, attached)

        yield from each_item(
            texts + standalone + packages,
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

    __slots__ = ("cm", "cms", "element", "is_picture", "meta", "rights", "sets", "source")

    def __init__(self, element: etree._Element, source: str) -> None:
        metas: list[etree._Element] = []
        rights: list[etree._Element] = []
        sets: list[etree._Element] = []
        content_metas: list[etree._Element] = []
        groups: dict[object, list[etree._Element]] = {
            _ITEM_META: metas, _RIGHTS_INFO: rights, _CONTENT_SET: sets,
            _CONTENT_META: content_metas,
        }
        for child in element:  # the item's own children, once: no index of them is kept
            group = groups.get(child.tag)
            if group is not None:
                group.append(child)
        self.element = element
        self.source = source  # where the item was read: relative hrefs resolve against it
        self.meta = index_children(metas)
        self.rights = index_children(rights)
        self.sets = index_children(sets)
        self.cm = index_children(content_metas[:1])
        self.cms = self.cm if len(content_metas) < 2 else index_children(content_metas)
        self.is_picture = _attr_at(self.meta, _ITEM_CLASS, "qcode") in _PICTURE_CLASSES


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
        article.renditions = _renditions(item)
    # An alert says so in its genre (finish reads those) or, in AFP's items, a signal.
    given = item.meta.get(_SIGNAL)
    alert = given is not None and any(is_alert(s.get("qcode")) for s in given)
    return ParsedItem(finish(article, alert=alert), stripped)


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
    located, country, where = _location(first(cm, _LOCATED))
    subjects, subject_places = _subjects(cm.get(_SUBJECT, _NONE))
    return Article(
        uri=uri,
        version=version,
        pub_status=_STATUSES.get(_attr_at(meta, _PUB_STATUS, "qcode") or "", "usable"),
        version_created=parse_date(text_at(meta, _VERSION_CREATED), "versionCreated"),
        first_created=parse_date(
            text_at(meta, _FIRST_CREATED) or text_at(cm, _CONTENT_CREATED),
            "firstCreated",
        ),
        embargoed_until=parse_date(text_at(meta, _EMBARGOED), "embargoed"),
        signals=signals([s.get("qcode", "") for s in meta.get(_SIGNAL, _NONE)]),
        ed_note=text_at(meta, _ED_NOTE),
        urgency=urgency(text_at(cm, _URGENCY)),
        language=language_tag(_attr_at(cm, _LANGUAGE, "tag") or element.get(XML_LANG)),
        headline=headline,
        subheadline=subheadline,
        standfirst=_description(cm, "summary"),
        byline=text_at(cm, _BY) or _names(cm.get(_CREATOR, _NONE)),
        dateline=text_at(cm, _DATELINE),
        located=located,
        country=country,
        places=places(*where, *subject_places),
        slugline=text_at(cm, _SLUGLINE),
        genres=[_concept(g) for g in cm.get(_GENRE, _NONE)],
        subjects=subjects,
        keywords=[k for e in cm.get(_KEYWORD, _NONE) if (k := clean_text(e.text))],
        products=[p for e in meta.get(_SERVICE, _NONE) if (p := _label(e))],
        provider=_provider(first(meta, _PROVIDER)),
        copyright_holder=_label(first(rights, _HOLDER)),
        copyright_notice=text_at(rights, _NOTICE),
        usage_terms=text_at(rights, _USAGE),
        info_sources=[s for e in cm.get(_INFO_SOURCE, _NONE) if (s := _label(e))],
        alt_ids=alt_ids,
    )


def _picture(item: _Item, article: Article | None = None) -> Picture:
    """A picture item as an association: its own caption, credit, rights and renditions.

    ``article`` is the item's own ``_common`` when the caller already built it."""
    if article is None:
        article = _common(item)
    credit = text_at(item.cms, _CREDITLINE)
    holder, notice = picture_rights(credit, article.version_created or article.first_created)
    return Picture(
        uri=article.uri,
        caption=_description(item.cm, "caption"),
        by=article.byline,
        credit=credit,
        copyright_holder=article.copyright_holder or holder,
        copyright_notice=article.copyright_notice or notice,
        usage_terms=article.usage_terms,
        renditions=_renditions(item),
    )


def _package_article(item: _Item) -> ParsedItem:
    """A packageItem: a composite article, its members as ordered associations."""
    article = _common(item)
    article.type = "composite"
    article.headline = article.headline or text_at(item.meta, _TITLE)
    article.pictures = package_members(item.element)
    return ParsedItem(finish(article))


def _renditions(item: _Item) -> list[Rendition]:
    """The item's remoteContent, hrefs resolved against where it was read; only web links
    and files (paths, s3:// keys) are kept."""
    found = [_rendition(r, item.source) for r in item.sets.get(_REMOTE, _NONE)]
    return [r for r in found if is_web_url(r.href) or is_file_ref(r.href)]


def _rendition(remote: etree._Element, source: str) -> Rendition:
    href = remote.get("href")
    if not href:
        raise IngestError(Reason.INVALID_FIELD, "remoteContent without href")
    return Rendition(
        name=(remote.get("rendition") or "rendition").rpartition(":")[2],
        href=resolve_href(href, source),
        content_type=remote.get("contenttype"),
        width=integer(remote.get("width"), "width"),
        height=integer(remote.get("height"), "height"),
        size_in_bytes=integer(remote.get("size"), "size"),
    )


def _attr(element: etree._Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _attr_at(index: ChildIndex, tag: str, name: str) -> str | None:
    """Attribute ``name`` of the first child with ``tag``, or None."""
    found = index.get(tag)
    return found[0].get(name) if found else None


def _label(element: etree._Element | None) -> str | None:
    """A concept's display value: its name, else its literal, else its qcode's code."""
    if element is None:
        return None
    name = text_of(_child(element, _NAME)) or clean_text(element.text)
    if name:
        return name
    return clean_text(element.get("literal") or (element.get("qcode") or "").rpartition(":")[2])


def _provider(element: etree._Element | None) -> str | None:
    label = _label(element)
    uri = _attr(element, "uri") or ""
    return AFP if (label or "").upper() == AFP or "afp.com" in uri else label


def _concept(element: etree._Element) -> Subject:
    return Subject(
        code=element.get("qcode") or element.get("uri") or element.get("literal"),
        name=text_of(_child(element, _NAME)),
    )


def _names(elements: list[etree._Element]) -> str | None:
    names = [n for e in elements if (n := _label(e))]
    return ", ".join(names) or None


def _headlines(headlines: list[etree._Element]) -> tuple[str | None, str | None]:
    """(main, sub): the first headline of each kind; a ``role`` of ``sub…`` is a sub."""
    main = sub = None
    for headline in headlines:
        role = (headline.get("role") or "main").rpartition(":")[2].lower()
        if role.startswith("sub"):
            sub = sub or text_of(headline)
        else:
            main = main or text_of(headline)
    return main, sub


def _description(cm: ChildIndex, role: str) -> str | None:
    for description in cm.get(_DESCRIPTION, _NONE):
        if (description.get("role") or "").rpartition(":")[2] == role:
            return text_of(description)
    return None


# A place's (code, name) as ``vocab.places`` takes it
_PlaceRef = tuple[str | None, str | None]


def _location(located: etree._Element | None) -> tuple[str | None, str | None, list[_PlaceRef]]:
    """(name, ISO 3166 alpha-3 country, places) of a ``located`` concept, read in one walk:
    the concept and its ``broader`` ones (city, region, country), the country the first
    of those in the ``iso3166-1a3`` scheme."""
    if located is None:
        return None, None, []
    name: etree._Element | None = None
    concepts = [located]
    for child in located:  # one pass: its name (the first) and its broader concepts
        tag = child.tag
        if tag == _BROADER:
            concepts.append(child)
        elif tag == _NAME and name is None:
            name = child
    where: list[_PlaceRef] = []
    country: str | None = None
    national = False  # whether an iso3166-1a3 concept was met (its code may be unusable)
    for concept in concepts:
        qcode = concept.get("qcode")
        concept_name = name if concept is located else _child(concept, _NAME)
        where.append((qcode or concept.get("uri"), text_of(concept_name)))
        if not national and qcode and qcode.startswith("iso3166-1a3:"):
            national, country = True, country_code(qcode[12:])
    return where[0][1], country, where


def _subjects(elements: list[etree._Element]) -> tuple[list[Subject], list[_PlaceRef]]:
    """(subjects, the places among them): a subject is a place if it is a
    ``cpnat:geoArea`` or has an ISO 3166 country code. One walk, each name read once."""
    subjects: list[Subject] = []
    found: list[_PlaceRef] = []
    for element in elements:
        qcode = element.get("qcode")
        name = text_of(_child(element, _NAME))
        subjects.append(Subject(qcode or element.get("uri") or element.get("literal"), name))
        if element.get("type") == "cpnat:geoArea" or (
            qcode and qcode.startswith(("iso3166-1a2:", "iso3166-1a3:"))
        ):
            found.append((qcode or element.get("uri"), name))
    return subjects, found
