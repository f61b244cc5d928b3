"""A NewsML-G2 2.35 ``newsMessage`` carrying one ``newsItem`` per entry.

Kills are news items with ``stat:canceled``; corrections carry ``sig:correction`` and
their ``edNote``. The body travels as XHTML in ``inlineXML``, rebuilt element by
element from the sanitised fragment (never pasted in as a string).

The 2.35 XSD requires an ``itemSet`` holding at least one item, so a message with no
stories to send carries one ``packageItem`` with no groups: the partner's feed, empty,
named by the feed's id and dated by the build.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree, html

from ingest.model import Subject, iso
from ingest.publish.formats import (
    Entry,
    FeedFormat,
    FeedMeta,
    best_rendition,
    feed_language,
    num,
    sub,
    xml_bytes,
)

G2 = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_36.xml"
N = f"{{{G2}}}"
_STANDARD = {"standard": "NewsML-G2", "standardversion": "2.35", "conformance": "power"}
_QCODE = re.compile(r"[^\s:]+:\S+")  # the XSD's QCodeType pattern
_BREAKS = re.compile(r"[\t\n\r]")  # XSD's \s, bar the space


def render(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    message = etree.Element(f"{N}newsMessage", nsmap={None: G2})
    header = sub(message, f"{N}header")
    sub(header, f"{N}sent", iso(meta.updated))
    sub(header, f"{N}catalogRef", href=CATALOG)
    sub(header, f"{N}sender", meta.title)
    sub(header, f"{N}transmitId", f"{meta.self_url}@{iso(meta.updated)}")
    item_set = sub(message, f"{N}itemSet")
    for entry in entries:
        _news_item(sub(item_set, f"{N}newsItem"), entry)
    if not entries:
        _empty_package(sub(item_set, f"{N}packageItem"), meta)
    return xml_bytes(message)


def _empty_package(item: etree._Element, meta: FeedMeta) -> None:
    item.attrib.update({"guid": meta.feed_id, "version": "1", **_STANDARD})
    sub(item, f"{N}catalogRef", href=CATALOG)
    item_meta = sub(item, f"{N}itemMeta")
    sub(item_meta, f"{N}itemClass", qcode="ninat:composite")
    _party(item_meta, "provider", meta.title)
    sub(item_meta, f"{N}versionCreated", iso(meta.updated))
    sub(item_meta, f"{N}pubStatus", qcode="stat:usable")
    sub(item_meta, f"{N}edNote", "Nothing to deliver: this feed holds no stories.")


def _news_item(item: etree._Element, entry: Entry) -> None:
    a = entry.article
    item.attrib.update({"guid": a.uri, "version": str(a.version), **_STANDARD})
    if language := feed_language(a.language):
        item.set(XML_LANG, language)
    sub(item, f"{N}catalogRef", href=CATALOG)
    if a.copyright_holder or a.copyright_notice or a.usage_terms:
        rights = sub(item, f"{N}rightsInfo")
        if a.copyright_holder:
            sub(sub(rights, f"{N}copyrightHolder"), f"{N}name", _flat(a.copyright_holder))
        if a.copyright_notice:
            sub(rights, f"{N}copyrightNotice", a.copyright_notice)
        if a.usage_terms:
            sub(rights, f"{N}usageTerms", a.usage_terms)
    _item_meta(sub(item, f"{N}itemMeta"), entry)
    _content_meta(sub(item, f"{N}contentMeta"), entry)
    if a.body_html:
        inline = sub(sub(item, f"{N}contentSet"), f"{N}inlineXML",
                     contenttype="application/xhtml+xml")
        _xhtml(inline, a.body_html)


def _item_meta(meta: etree._Element, entry: Entry) -> None:
    a = entry.article
    sub(meta, f"{N}itemClass", qcode=f"ninat:{a.type}")
    _party(meta, "provider", a.provider or "unknown")
    sub(meta, f"{N}versionCreated", iso(entry.updated))
    sub(meta, f"{N}firstCreated", iso(entry.published))
    if a.embargoed_until:
        sub(meta, f"{N}embargoed", iso(a.embargoed_until))
    sub(meta, f"{N}pubStatus", qcode=f"stat:{a.pub_status}")
    if a.ed_note:
        sub(meta, f"{N}edNote", a.ed_note)
    for signal in a.signals:
        if _QCODE.fullmatch(qcode := f"sig:{signal}"):
            sub(meta, f"{N}signal", qcode=qcode)
    for picture in a.pictures:
        rendition = best_rendition(picture)
        if rendition is not None:
            link = sub(meta, f"{N}link", rel="irel:associatedWith", href=rendition.href,
                       contenttype=rendition.content_type, size=num(rendition.size_in_bytes))
            if picture.caption:
                sub(link, f"{N}title", picture.caption)


def _content_meta(meta: etree._Element, entry: Entry) -> None:
    a = entry.article
    if a.urgency is not None:
        sub(meta, f"{N}urgency", str(a.urgency))
    if place := a.located or a.dateline:
        _party(meta, "located", place)
    for source in a.info_sources:
        _party(meta, "infoSource", source)
    if language := feed_language(a.language):
        sub(meta, f"{N}language", tag=language)
    for genre in a.genres:
        _concept(meta, "genre", genre)
    for keyword in a.keywords:
        sub(meta, f"{N}keyword", _flat(keyword))
    for subject in a.subjects:
        _concept(meta, "subject", subject)
    if a.slugline:
        sub(meta, f"{N}slugline", _flat(a.slugline))
    sub(meta, f"{N}headline", entry.title)
    if a.dateline:
        sub(meta, f"{N}dateline", a.dateline)
    if a.byline:
        sub(meta, f"{N}by", a.byline)
    if entry.credits:
        sub(meta, f"{N}creditline", _flat("; ".join(entry.credits)))
    if entry.summary:
        sub(meta, f"{N}description", entry.summary, role="drol:summary")


def _concept(meta: etree._Element, tag: str, concept: Subject) -> None:
    code = concept.code or ""
    key = "qcode" if _QCODE.fullmatch(code) else "literal"
    value = code or concept.name
    node = sub(meta, f"{N}{tag}", **{key: _flat(value) if value else None})
    if concept.name:
        sub(node, f"{N}name", _flat(concept.name))


def _party(parent: etree._Element, tag: str, value: str) -> None:
    """``<tag literal="value"><name>value</name></tag>`` (provider, place, source)."""
    line = _flat(value)
    sub(sub(parent, f"{N}{tag}", literal=line), f"{N}name", line)


def _flat(text: str) -> str:
    """``text`` on one line: names, literals and keywords are ``g2normalizedString``s,
    whose pattern ``[\\S ]*`` admits no tab, line feed or carriage return."""
    return _BREAKS.sub(" ", text)


def _xhtml(parent: etree._Element, fragment: str) -> None:
    """Rebuild a sanitised HTML fragment as an XHTML document under ``parent``."""
    page = etree.SubElement(parent, f"{{{XHTML}}}html", nsmap={None: XHTML})
    sub(sub(page, f"{{{XHTML}}}head"), f"{{{XHTML}}}title")
    body = sub(page, f"{{{XHTML}}}body")
    wrapper = html.fragment_fromstring(fragment, create_parent="div")
    body.text = wrapper.text
    for child in wrapper:
        _copy(body, child)


def _copy(parent: etree._Element, node: html.HtmlElement) -> None:
    if not isinstance(node.tag, str):  # comments and processing instructions: dropped
        return
    out = etree.SubElement(parent, f"{{{XHTML}}}{node.tag}", dict(node.attrib))
    out.text = node.text
    out.tail = node.tail
    for child in node:
        _copy(out, child)


FORMAT = FeedFormat(
    "newsml-g2", "newsml-g2.xml", "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8",
    render,
)
