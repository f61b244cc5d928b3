"""RSS 2.0 with Dublin Core creators, Media RSS pictures and the ingest kill marker."""

from __future__ import annotations

import html
from collections.abc import Sequence
from email.utils import format_datetime

from lxml import etree

from ingest.model import iso
from ingest.publish.formats import (
    INGEST_NS,
    STATUS_SCHEME,
    Entry,
    FeedFormat,
    FeedMeta,
    best_rendition,
    feed_language,
    media_type,
    positive,
    sub,
    web_uri,
    xml_bytes,
)

DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
NSMAP = {"dc": DC, "media": MEDIA, "content": CONTENT, "atom": ATOM, "ingest": INGEST_NS}


def render(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    rss = etree.Element("rss", {"version": "2.0"}, nsmap=NSMAP)
    channel = sub(rss, "channel")
    sub(channel, "title", meta.title)
    sub(channel, "link", meta.home_url)
    sub(channel, "description", f"{meta.title}: stories licensed to {meta.partner_id}")
    sub(channel, f"{{{ATOM}}}link", href=meta.self_url, rel="self", type=FORMAT.content_type)
    notices = sorted({n for e in entries if (n := e.article.copyright_notice)})
    if notices:
        sub(channel, "copyright", "; ".join(notices))
    sub(channel, "lastBuildDate", format_datetime(meta.updated, usegmt=True))
    for entry in entries:
        _item(sub(channel, "item"), entry)
    return xml_bytes(rss)


def _item(item: etree._Element, entry: Entry) -> None:
    a = entry.article
    sub(item, "title", entry.title)
    if link := web_uri(a.canonical_url):
        sub(item, "link", link)
    sub(item, "guid", entry.id, isPermaLink="false")
    sub(item, "pubDate", format_datetime(entry.updated, usegmt=True))
    # RSS readers render <description> as HTML: plain text must be escaped once for HTML
    # (and once more by the XML writer), or "<svg onload=…>" in a summary goes live.
    sub(item, "description", html.escape(entry.summary, quote=False))
    if a.body_html:
        sub(item, f"{{{CONTENT}}}encoded", a.body_html)
    if a.byline:
        sub(item, f"{{{DC}}}creator", a.byline)
    if a.copyright_notice:
        sub(item, f"{{{DC}}}rights", a.copyright_notice)
    if language := feed_language(a.language):
        sub(item, f"{{{DC}}}language", language)
    sub(item, "category", entry.status, domain=STATUS_SCHEME)
    for term, _label in entry.categories:
        sub(item, "category", term)
    sub(item, f"{{{INGEST_NS}}}status", entry.status)
    sub(item, f"{{{INGEST_NS}}}version", str(a.version))
    sub(item, f"{{{INGEST_NS}}}updated", iso(entry.updated))
    if a.ed_note:
        sub(item, f"{{{INGEST_NS}}}edNote", a.ed_note)
    if a.usage_terms:
        sub(item, f"{{{INGEST_NS}}}usageTerms", a.usage_terms)
    for credit in entry.credits:
        sub(item, f"{{{INGEST_NS}}}credit", credit)
    for picture in a.pictures:
        rendition = best_rendition(picture)
        url = web_uri(rendition.href) if rendition else None
        if rendition is None or url is None:
            continue
        media = sub(item, f"{{{MEDIA}}}content", url=url, medium="image",
                    type=media_type(rendition.content_type),
                    width=positive(rendition.width), height=positive(rendition.height),
                    fileSize=positive(rendition.size_in_bytes))
        if picture.caption:
            sub(media, f"{{{MEDIA}}}description", picture.caption)
        if picture.credit or picture.by:
            sub(media, f"{{{MEDIA}}}credit", picture.credit or picture.by, role="author")
        if picture.copyright_notice:
            sub(media, f"{{{MEDIA}}}copyright", picture.copyright_notice)


FORMAT = FeedFormat("rss", "rss.xml", "application/rss+xml; charset=utf-8", render)
