"""Replay a quarantined item: its stored raw bytes through today's parsers, cleaning and rules.

The pipeline's own ``ingest_one`` does the work, so a replay is exactly what a fresh
arrival at ``now`` would be. The row is marked replayed unless the replay quarantined it
again under the same key (``SQLRegistry.quarantine`` then bumps its attempts and keeps it
pending). A replay on a later day stores the bytes under that day's raw key; should it fail
again, the new row carries the failure and the old one is marked replayed.
"""

from __future__ import annotations

from datetime import datetime

from ingest.ops.queries import quarantine_row
from ingest.pipeline import IngestReport, ingest_one
from ingest.publish.objectstore import ObjectNotFound
from ingest.runtime import Runtime
from ingest.sources.base import RawItem


class NotReplayable(LookupError):
    """No such quarantined item, or nothing was stored for it (a source-level failure)."""


def stored_key(raw_key: str) -> str:
    """The object holding a quarantined item's bytes: ``raw/...`` without the ``#item`` part."""
    return raw_key.split("#", 1)[0]


def raw_bytes(rt: Runtime, raw_key: str) -> bytes:
    """The stored bytes behind a quarantine row; ``NotReplayable`` if there are none."""
    if quarantine_row(rt.registry.engine, raw_key) is None:
        raise NotReplayable(f"{raw_key!r} is not in quarantine")
    key = stored_key(raw_key)
    if not key.startswith("raw/"):
        raise NotReplayable(f"{raw_key!r} failed before its bytes were stored")
    try:
        return rt.store.get(key)
    except ObjectNotFound:
        raise NotReplayable(f"{key!r} is missing from the object store") from None


def replay(rt: Runtime, raw_key: str, now: datetime) -> IngestReport:
    """Re-run one quarantined item through the current rules, received at ``now``."""
    data = raw_bytes(rt, raw_key)
    row = quarantine_row(rt.registry.engine, raw_key)
    assert row is not None  # raw_bytes checked it
    item = RawItem(row.source, stored_key(raw_key), data)
    report = ingest_one(
        item, registry=rt.registry, store=rt.store, received_at=now,
        max_item_bytes=rt.settings.max_item_bytes,
    )
    after = quarantine_row(rt.registry.engine, raw_key)
    if after is not None and after.attempts == row.attempts:
        rt.registry.mark_replayed(raw_key)
    return report
