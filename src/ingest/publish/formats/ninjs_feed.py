"""A ninjs 3.1 feed: one JSON document listing each entry as a complete ninjs item.

Kills are ninjs items with ``pubStatus: canceled``; a correction keeps its ``edNote``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.jsonout import dumps
from ingest.model import iso
from ingest.publish.formats import Entry, FeedFormat, FeedMeta

PROFILE = "urn:x-ingest:ninjs-feed:1"


def render(meta: FeedMeta, entries: Sequence[Entry]) -> bytes:
    doc = {
        "profile": PROFILE,
        "partner": meta.partner_id,
        "title": meta.title,
        "feedUrl": meta.self_url,
        "updated": iso(meta.updated),
        "items": [e.article.to_ninjs() for e in entries],
    }
    return dumps(doc, html_safe=True, separators=(",", ":")).encode()


FORMAT = FeedFormat("ninjs", "ninjs.json", "application/json; charset=utf-8", render)
