"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) with an ``_ingest`` extension object."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ingest.jsonout import dumps
from ingest.model import iso
from ingest.publish.formats import (
    Entry,
    FeedFormat,
    FeedMeta,
    best_rendition,
    feed_language,
    media_type,
    web_uri,
)

VERSION = "https://jsonfeed.org/version/1.1"


def render(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    doc = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": f"{meta.title}: stories licensed to {meta.partner_id}",
        "authors": [{"name": meta.title}],
        "items": [_item(e) for e in entries],
    }
    return dumps(doc, html_safe=True, separators=(",", ":")).encode()


def _item(entry: Entry) -> dict[str, Any]:
    a = entry.article
    item: dict[str, Any] = {
        "id": entry.id,
        "title": entry.title,
        "content_html": a.body_html or f"<p>{html.escape(entry.summary or entry.title)}</p>",
        "date_published": iso(entry.published),
        "date_modified": iso(entry.updated),
        "tags": [entry.status, *(term for term, _ in entry.categories)],
    }
    if url := web_uri(a.canonical_url):
        item["url"] = url
    if entry.summary:
        item["summary"] = entry.summary
    if a.byline:
        item["authors"] = [{"name": a.byline}]
    if language := feed_language(a.language):
        item["language"] = language
    attachments = [_attachment(p.caption, url, r.content_type, r.size_in_bytes)
                   for p in a.pictures if (r := best_rendition(p)) is not None
                   and (url := web_uri(r.href)) is not None]
    if attachments:
        item["attachments"] = attachments
    item["_ingest"] = {
        "status": entry.status,
        "uri": a.uri,
        "version": a.version,
        "ed_note": a.ed_note,
        "copyright_notice": a.copyright_notice,
        "usage_terms": a.usage_terms,
        "credits": list(entry.credits),
    }
    return item


def _attachment(title: str | None, url: str, mime: str | None, size: int | None
                ) -> dict[str, Any]:
    out: dict[str, Any] = {"url": url, "mime_type": media_type(mime) or "application/octet-stream"}
    if title:
        out["title"] = title
    if size is not None and size >= 0:
        out["size_in_bytes"] = size
    return out


FORMAT = FeedFormat("jsonfeed", "feed.json", "application/feed+json; charset=utf-8", render)
