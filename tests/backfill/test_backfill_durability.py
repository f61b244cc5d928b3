"""A backfill syncs once a batch, not once a write, and never notes what is not yet synced.

The parser processes write raw copies, versions and pointers without an fsync each
(``worker_store``); the chunk and the publish flush the store (``syncfs``) before the
registry notes a batch. A machine crash cannot be staged in a test, so these tests check
the order itself: every object the registry is told about was written before the last
flush that preceded the telling (file mtimes against flush times, on the real directory
store and the real SQLite registry, parsing in this process and on a forked pool). The
kernel stamps mtimes from a coarse clock that lags the real one, so a write just after a
flush can look earlier (the check can miss a late write by a few ms) but a write before
one never looks later.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from backfill_helpers import generate_stories

import ingest.publish.objectstore as objectstore
from ingest.backfill import BackfillRequest, ChunkOptions, run_backfill
from ingest.publish.objectstore import LocalObjectStore, ObjectStore
from ingest.registry.api import RawRecord
from ingest.runtime import Runtime

MakeRuntime = Callable[[Path, str, str], Runtime]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class FlushTimes:
    """The run's store, noting when each flush returned."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.flushed: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def flush(self) -> None:
        self.inner.flush()
        self.flushed.append(time.time_ns())


class NotedAfterFlush:
    """The run's registry, checking at each note that the noted objects predate a flush."""

    def __init__(self, inner: Any, root: Path, store: FlushTimes, *, versions: bool) -> None:
        self.inner, self.root, self.store, self.versions = inner, root, store, versions
        self.checked = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _check(self, keys: Sequence[str]) -> None:
        last = self.store.flushed[-1] if self.store.flushed else 0
        for key in keys:
            assert (self.root / key).stat().st_mtime_ns <= last, f"{key} noted before a flush"
            self.checked += 1

    def record_raws(self, raws: Sequence[RawRecord]) -> list[bool]:
        self._check([raw.key for raw in raws])
        result: list[bool] = self.inner.record_raws(raws)
        return result

    def mark_written_many(self, written: Sequence[tuple[str, int, str]]) -> None:
        if self.versions:
            self._check([key for _, _, key in written if key])
        self.inner.mark_written_many(written)


@pytest.mark.parametrize("workers", [0, 2])
def test_raw_copies_and_versions_are_flushed_before_the_registry_notes_them(
    tmp_path: Path, runtimes: MakeRuntime, workers: int
) -> None:
    archive = tmp_path / "archive"
    generate_stories(archive, 12)
    rt = runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'bf.db'}",
                  (tmp_path / "store").as_uri())
    store = FlushTimes(rt.store)
    # Without parser processes the versions are published as a live run does, each write
    # synced on its own (``publish_articles``): only the raw copies wait for a flush.
    registry = NotedAfterFlush(rt.registry, tmp_path / "store", store, versions=workers > 0)
    rt.__dict__.update(store=store, registry=registry)
    result = run_backfill(rt, BackfillRequest(archive.as_uri(), chunk_size=12, publish=True),
                          now=NOW, options=ChunkOptions(workers=workers, checkpoint_every=4))
    assert result.report.raw_items == 12
    assert result.published["articles"]["written"] == 12
    assert registry.checked == (24 if workers else 12)  # 12 raw copies, 12 versions
    assert len(store.flushed) >= 3 + (2 if workers else 0)  # a batch of 4; a page, the end


def test_a_store_opened_without_sync_each_leaves_durability_to_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    syncfs: list[int] = []

    class Libc:
        def syncfs(self, fd: int) -> int:
            syncfs.append(fd)
            return 0

    monkeypatch.setattr(objectstore, "_LIBC", Libc())
    LocalObjectStore(tmp_path / "each").put_if_absent("a/b.json", b"{}")
    assert len(fsyncs) == 1 and syncfs == []
    bulk = LocalObjectStore(tmp_path / "bulk", sync_each=False)
    assert bulk.put_if_absent("a/b.json", b"{}")
    bulk.put("a/c.json", b"[]")
    assert len(fsyncs) == 1
    bulk.flush()
    assert len(syncfs) == 1
    assert bulk.get("a/b.json") == b"{}" and bulk.get("a/c.json") == b"[]"


def test_flush_falls_back_to_sync_where_syncfs_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Failing:
        def syncfs(self, fd: int) -> int:
            return -1

    synced: list[bool] = []
    monkeypatch.setattr(objectstore, "_LIBC", Failing())
    monkeypatch.setattr(os, "sync", lambda: synced.append(True))
    LocalObjectStore(tmp_path / "store", sync_each=False).flush()
    assert synced == [True]
