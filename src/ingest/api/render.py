"""What ``/v1`` answers with, as JSON bytes: each item rendered once per partner, kept a while.

A released version never changes (the registry rewrites only versions no partner can have
seen), and an item's rendering reads nothing but its version and the partner's contract,
which a process holds fixed. So ``Delivered.ninjs`` of one (partner, uri, version, kind)
is the same bytes every time, and partners reading the newest releases, or one replaying
a page, have them rendered once. The newest ``ITEMS_KEPT`` are kept, so memory stays flat.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ingest import jsonout
from ingest.api import view
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds
from ingest.publish.partners import Partner

ITEMS_KEPT = 4096  # a few MB of rendered ninjs
_Key = tuple[str, str, int, str]


def json_bytes(document: Any) -> bytes:
    """``document`` as the API writes it: compact, line breaks escaped (``jsonout``)."""
    return jsonout.dumps(document, separators=(",", ":")).encode()


class RenderedItems:
    """Items' JSON by (partner, uri, version, kind), the least recently used dropped."""

    def __init__(self, ids: TagIds = DEFAULT_IDS, kept: int = ITEMS_KEPT) -> None:
        self._ids = ids
        self._kept = kept
        self._items: OrderedDict[_Key, bytes] = OrderedDict()
        self._lock = threading.Lock()  # routes render on worker threads

    def item(self, partner: Partner, delivered: view.Delivered) -> bytes:
        """``delivered.ninjs(partner)`` as JSON bytes."""
        row = delivered.release.row
        key = (partner.id, row.uri, row.version, delivered.kind)
        with self._lock:
            if (found := self._items.get(key)) is not None:
                self._items.move_to_end(key)
                return found
        rendered = json_bytes(delivered.ninjs(partner, self._ids))  # outside the lock
        with self._lock:
            self._items[key] = rendered
            if len(self._items) > self._kept:
                self._items.popitem(last=False)
        return rendered

    def page(self, partner: Partner, items: Sequence[view.Delivered], position: int) -> bytes:
        """``{"items": [...], "next_cursor": ...}``: the same bytes as ``json_bytes`` of
        the document, joined from the items' own."""
        cursor = json_bytes(view.encode_cursor(position))
        parts = b",".join(self.item(partner, d) for d in items)
        return b'{"items":[' + parts + b'],"next_cursor":' + cursor + b"}"
