"""The drop folder watched by polling (the embedded default): an event per batch of files
that became ready, as ``afp_ingest`` itself would judge them.

"Ready" is ``DropFolderSource.pending``'s rule, run on the registry's own cursors: not a
name a writer uses while writing, unchanged since the previous listing, older than the
settle time, and not done. The trigger's polls are listings like any other, so a file it
saw growing is remembered as growing by the DAG's run too. What it has fired for is kept in
memory (file, shape and when), so a file fires once per shape, and again every
``refire`` seconds while it stays ready and not done: an event Airflow queued behind a
running ``afp_ingest`` can be consumed by a run that lists before it (Airflow 3.3 keeps
one queue row per DAG and asset, with the first event's time), and without a later event
the file would wait for the 10-minute safety net. A new trigger (the triggerer restarted)
fires once more for ready files no run has taken yet; ingest's idempotence makes every
repeat harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from airflow.triggers.base import TriggerEvent

from ingest.publish.objectstore import ObjectStore, open_store
from ingest.sources.drop import CursorStore, DropFolderSource
from ingest.triggers.base import (
    NOTIFY_ENV,
    IngestEventTrigger,
    batched,
    fired,
    idle,
    open_runtime,
    seconds,
)

log = logging.getLogger(__name__)

POLL_ENV = "INGEST_DROP_POLL_SECONDS"
REFIRE_ENV = "INGEST_DROP_REFIRE_SECONDS"
DONE = "done "


class CachedCursors:
    """The registry's cursors, with ``done`` values kept: a file done in one shape stays
    done in it, so each poll reads the registry only for files not yet taken."""

    def __init__(self, cursors: CursorStore) -> None:
        self._cursors = cursors
        self._done: dict[str, str] = {}

    def get_cursor(self, source: str) -> str | None:
        if source in self._done:
            return self._done[source]
        value = self._cursors.get_cursor(source)
        if value is not None and value.startswith(DONE):
            self._done[source] = value
        return value

    def set_cursor(self, source: str, value: str) -> None:
        self._cursors.set_cursor(source, value)
        self._done.pop(source, None)


class DropWatch:
    """One polling watch of a drop folder; plain and synchronous (the trigger runs it in a
    thread, so the triggerer's event loop never waits on a listing)."""

    def __init__(self, store: ObjectStore, cursors: CursorStore, settle_seconds: float,
                 refire_seconds: float = 15.0) -> None:
        self.store = store
        self._cursors = CachedCursors(cursors)
        self._settle = settle_seconds
        self._refire = timedelta(seconds=refire_seconds)
        # key -> the shape an event was fired for, and when
        self._fired: dict[str, tuple[str, datetime]] = {}

    def poll(self, now: datetime) -> list[str]:
        """Keys ready now that no event has named in their current shape yet, or not for
        ``refire_seconds`` (still not done: the run its event started did not take them)."""
        source = DropFolderSource(
            self.store, cursors=self._cursors, now=now, settle_seconds=self._settle)
        fired: dict[str, tuple[str, datetime]] = {}
        new: list[str] = []
        for file in source.pending():
            shape, at = self._fired.get(file.key, ("", now))
            if shape != file.state or now - at >= self._refire:
                new.append(file.key)
                shape, at = file.state, now
            fired[file.key] = (shape, at)
        # Done, changed or gone files leave the map: it never outgrows the ready set.
        self._fired = fired
        return new


class DropFolderTrigger(IngestEventTrigger):
    """Polls ``INGEST_DROP_URL`` (``file://`` or ``s3://``) every ``poll_seconds``
    (``INGEST_DROP_POLL_SECONDS``, default 2), firing again for files still waiting every
    ``INGEST_DROP_REFIRE_SECONDS`` (default 15); idle when ``INGEST_DROP_NOTIFY`` names a
    queue instead. ``drop_url`` and ``settle_seconds`` override the settings (tests)."""

    def __init__(
        self, *, poll_seconds: float | None = None, max_keys: int = 500,
        drop_url: str | None = None, settle_seconds: float | None = None,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds, max_keys=max_keys, drop_url=drop_url,
                         settle_seconds=settle_seconds)
        self.poll_seconds, self.max_keys = poll_seconds, max_keys
        self.drop_url, self.settle_seconds = drop_url, settle_seconds

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if os.environ.get(NOTIFY_ENV) and self.drop_url is None:
            await idle("drop polling", f"{NOTIFY_ENV} is set")
        rt = await asyncio.to_thread(open_runtime)
        try:
            interval = seconds(self.poll_seconds, os.environ, POLL_ENV, 2.0)
            url = self.drop_url or rt.settings.drop_url
            settle = (rt.settings.drop_settle_seconds if self.settle_seconds is None
                      else self.settle_seconds)
            refire = seconds(None, os.environ, REFIRE_ENV, 15.0)
            watch = DropWatch(open_store(url), rt.registry, settle, refire)
            while True:
                try:
                    keys = await asyncio.to_thread(watch.poll, datetime.now(UTC))
                except Exception:  # a store or registry outage must not end the watch
                    log.exception("drop poll of %s failed; polling on", watch.store.url)
                    keys = []
                for batch in batched(keys, self.max_keys):
                    yield fired("drop", batch, url=watch.store.url)
                await asyncio.sleep(interval)
        finally:
            await asyncio.to_thread(rt.close)

