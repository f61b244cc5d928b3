"""Atom 1.0 (RFC 4287) with RFC 5005 archived pages.

The current feed links ``prev-archive`` to the newest archive page; each archive page
carries ``<fh:archive/>``, a ``current`` link and its own ``prev-archive`` link, so a
partner can page back through history. Archive pages are written once and never change,
and share the current feed's ``id``: they are one logical feed, split across documents.
Every entry carries ``content`` (its body, or its summary as text when it has none).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ingest.model import iso
from ingest.publish.formats import (
    INGEST_NS,
    STATUS_SCHEME,
    Entry,
    FeedFormat,
    FeedMeta,
    best_rendition,
    media_type,
    num,
    sub,
    web_uri,
    xml_bytes,
)

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"
NSMAP = {None: ATOM, "fh": FH, "ingest": INGEST_NS}
A = f"{{{ATOM}}}"


def render(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    feed = etree.Element(f"{A}feed", nsmap=NSMAP)
    sub(feed, f"{A}id", meta.feed_id)
    sub(feed, f"{A}title", meta.title)
    sub(feed, f"{A}updated", iso(meta.updated))
    sub(sub(feed, f"{A}author"), f"{A}name", meta.title)
    sub(feed, f"{A}link", rel="self", href=meta.self_url, type="application/atom+xml")
    sub(feed, f"{A}link", rel="alternate", href=meta.home_url)
    if meta.current_url:
        sub(feed, f"{{{FH}}}archive")
        sub(feed, f"{A}link", rel="current", href=meta.current_url,
            type="application/atom+xml")
    if meta.prev_archive:
        sub(feed, f"{A}link", rel="prev-archive", href=meta.prev_archive,
            type="application/atom+xml")
    for entry in entries:
        _entry(sub(feed, f"{A}entry"), entry)
    return xml_bytes(feed)


def _entry(node: etree._Element, entry: Entry) -> None:
    a = entry.article
    sub(node, f"{A}id", entry.id)
    sub(node, f"{A}title", entry.title, type="text")
    sub(node, f"{A}updated", iso(entry.updated))
    sub(node, f"{A}published", iso(entry.published))
    if a.byline:
        sub(sub(node, f"{A}author"), f"{A}name", a.byline)
    if link := web_uri(a.canonical_url):
        sub(node, f"{A}link", rel="alternate", href=link, type="text/html")
    sub(node, f"{A}category", term=entry.status, scheme=STATUS_SCHEME)
    for term, label in entry.categories:
        sub(node, f"{A}category", term=term, label=label)
    if a.copyright_notice:
        sub(node, f"{A}rights", a.copyright_notice, type="text")
    if entry.summary:
        sub(node, f"{A}summary", entry.summary, type="text")
    if a.body_html:
        sub(node, f"{A}content", a.body_html, type="html")
    else:  # RFC 4287: content, or else an alternate link, which not every story has
        sub(node, f"{A}content", entry.summary or entry.title, type="text")
    for picture in a.pictures:
        rendition = best_rendition(picture)
        href = web_uri(rendition.href) if rendition else None
        if rendition is not None and href is not None:
            size = rendition.size_in_bytes
            sub(node, f"{A}link", rel="enclosure", href=href,
                type=media_type(rendition.content_type),
                length=num(size) if size is not None and size >= 0 else None,
                title=picture.caption or None)
    sub(node, f"{{{INGEST_NS}}}status", entry.status)
    sub(node, f"{{{INGEST_NS}}}version", str(a.version))
    if a.ed_note:
        sub(node, f"{{{INGEST_NS}}}edNote", a.ed_note)
    if a.usage_terms:
        sub(node, f"{{{INGEST_NS}}}usageTerms", a.usage_terms)
    for credit in entry.credits:
        sub(node, f"{{{INGEST_NS}}}credit", credit)


FORMAT = FeedFormat("atom", "atom.xml", "application/atom+xml; charset=utf-8", render)
