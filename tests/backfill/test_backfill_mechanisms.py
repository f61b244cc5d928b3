"""Resume by mechanism: a resumed chunk reads only the objects after its checkpoint.

Ingest is idempotent, so a chunk that restarted from zero would end in the same registry
state as one that resumed: the end state cannot tell them apart. What can is the archive
store itself, wrapped so that it notes every object read (the real directory store
underneath, not a mock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backfill_helpers import generate_stories

import ingest.backfill as backfill
from ingest.backfill import BackfillRequest, Checkpoint, ChunkOptions, run_backfill
from ingest.pipeline import SKIPPED, IngestReport
from ingest.publish.objectstore import LocalObjectStore, ObjectStore
from ingest.runtime import Runtime

MakeRuntime = Callable[[Path, str, str], Runtime]
STORIES = 30
EVERY = 5
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class ReadRecordingStore:
    """The archive's directory store, noting each key read; optionally failing one read."""

    def __init__(self, inner: ObjectStore, fail_at: int | None = None) -> None:
        self.inner, self.fail_at = inner, fail_at
        self.reads: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def get(self, key: str) -> bytes:
        self.reads.append(key)
        if len(self.reads) == self.fail_at:
            raise ConnectionError("archive unreachable")
        return self.inner.get(key)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """``STORIES`` NewsML-G2 stories and nothing else: one object, one item."""
    root = tmp_path / "archive"
    generate_stories(root, STORIES)
    return root


def _run(
    rt: Runtime, archive: Path, store: ReadRecordingStore, monkeypatch: pytest.MonkeyPatch,
    progress: list[IngestReport] | None = None, run_id: str | None = None,
) -> backfill.BackfillResult:
    monkeypatch.setattr(backfill, "open_store", lambda url: store)
    request = BackfillRequest(archive.as_uri(), chunk_size=STORIES, run_id=run_id)
    # One reader thread: reads happen in manifest order, so the log is exact.
    options = ChunkOptions(concurrency=1, checkpoint_every=EVERY)
    on_object = None if progress is None else progress.append
    return run_backfill(rt, request, now=NOW, options=options, on_object=on_object)


def test_a_resumed_chunk_reads_only_what_follows_its_checkpoint(
    tmp_path: Path, archive: Path, runtimes: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"generated/story-{n:06d}.xml" for n in range(STORIES)]
    rt = runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'bf.db'}",
                  (tmp_path / "store").as_uri())
    inner = LocalObjectStore(archive)

    # The 13th read fails: objects 0-9 were ingested in two batches of 5, each checkpointed.
    failing = ReadRecordingStore(inner, fail_at=13)
    with pytest.raises(ConnectionError):
        _run(rt, archive, failing, monkeypatch)
    plan = backfill.load_plan(rt.store, BackfillRequest(archive.as_uri(),
                                                        chunk_size=STORIES).backfill_id)
    assert plan is not None and plan.chunks == 1
    saved = rt.registry.get_checkpoint(plan.backfill_id, "00000")
    assert saved is not None
    checkpoint = Checkpoint.load(saved)
    assert (checkpoint.offset, checkpoint.done) == (10, False)
    assert checkpoint.report.raw_items == 10

    resumed = ReadRecordingStore(inner)
    progress: list[IngestReport] = []
    result = _run(rt, archive, resumed, monkeypatch, progress)
    assert resumed.reads == keys[10:]  # each object after the checkpoint, once, in order
    assert result.report.raw_items == STORIES  # the chunk's whole counts, carried over
    assert [p.raw_items for p in progress] == [1] * 20  # one report per object read
    saved = rt.registry.get_checkpoint(plan.backfill_id, "00000")
    assert saved is not None and Checkpoint.load(saved).done is True

    finished = ReadRecordingStore(inner)
    again = _run(rt, archive, finished, monkeypatch)
    assert finished.reads == []  # a finished chunk is never read again
    assert again.report.raw_items == STORIES


def test_a_chunk_killed_before_its_first_checkpoint_starts_again_from_zero(
    tmp_path: Path, archive: Path, runtimes: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [f"generated/story-{n:06d}.xml" for n in range(STORIES)]
    rt = runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'bf.db'}",
                  (tmp_path / "store").as_uri())
    inner = LocalObjectStore(archive)
    with pytest.raises(ConnectionError):
        _run(rt, archive, ReadRecordingStore(inner, fail_at=3), monkeypatch)
    resumed = ReadRecordingStore(inner)
    result = _run(rt, archive, resumed, monkeypatch)
    assert resumed.reads == keys
    assert result.report.raw_items == STORIES


def test_a_resumed_chunk_replays_one_batch_and_skips_known_objects_after_it(
    tmp_path: Path, archive: Path, runtimes: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay window is counted from the checkpoint, not from the batch: a second
    backfill of an archive the registry already holds, resumed at object 10, parses again
    only objects 10-14 (the batch after the checkpoint, maybe half done) and leaves 15-29
    alone as known, as it left 0-9 before the failure."""
    rt = runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'bf.db'}",
                  (tmp_path / "store").as_uri())
    inner = LocalObjectStore(archive)
    first = _run(rt, archive, ReadRecordingStore(inner), monkeypatch, run_id="first")
    assert first.report.results["new"] == STORIES

    with pytest.raises(ConnectionError):  # the 13th read fails: 0-9 checkpointed
        _run(rt, archive, ReadRecordingStore(inner, fail_at=13), monkeypatch, run_id="again")
    again = _run(rt, archive, ReadRecordingStore(inner), monkeypatch, run_id="again")
    results = again.report.results
    assert results[SKIPPED] == STORIES - EVERY
    assert sum(results.values()) - results[SKIPPED] == EVERY  # the replayed batch: parsed
    assert results["new"] == 0


@pytest.mark.parametrize("failing_batch", [1, 2])
def test_objects_half_recorded_by_a_crash_are_replayed_on_resume(
    tmp_path: Path, archive: Path, runtimes: MakeRuntime, monkeypatch: pytest.MonkeyPatch,
    failing_batch: int,
) -> None:
    """A crash between noting a batch's raw objects and recording their versions leaves
    objects the registry knows but never parsed. The resumed chunk must parse the batch
    after its checkpoint again (not skip it as known), whether the crash came before the
    first checkpoint (only the chunk's "started" mark) or after one."""
    from ingest.reconcile import reconcile

    rt = runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'bf.db'}",
                  (tmp_path / "store").as_uri())
    registry = rt.registry
    real = registry.record_versions  # the batch's versions, after its raw objects
    calls = 0

    def crash_on_batch(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == failing_batch:
            raise ConnectionError("registry lost mid-batch")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(registry, "record_versions", crash_on_batch)
    inner = LocalObjectStore(archive)
    with pytest.raises(ConnectionError):
        _run(rt, archive, ReadRecordingStore(inner), monkeypatch)
    assert registry.raw_ledger().raw, "the crash came after the raw objects were noted"
    result = _run(rt, archive, ReadRecordingStore(inner), monkeypatch)
    report = reconcile(registry, rt.store)
    assert report.ok, report.lines()
    assert report.versions == STORIES
    assert result.report.results["new"] == STORIES


def test_read_ahead_holds_at_most_its_budget_of_listed_bytes() -> None:
    """Exactly the budget may be in flight; one byte more waits for the oldest to be taken."""
    from concurrent.futures import ThreadPoolExecutor

    from ingest.backfill import Entry, read_ahead

    log: list[str] = []

    def entries() -> Iterator[Entry]:
        for n, size in enumerate([5, 5, 5, 4]):
            log.append(f"list {n}")
            yield Entry(f"k{n}", size, None)

    with ThreadPoolExecutor(max_workers=1) as pool:
        for key in read_ahead(pool, lambda e: e.key, entries(), window=10, budget=10):
            log.append(f"take {key}")
    assert log == ["list 0", "list 1", "list 2", "take k0", "list 3", "take k1", "take k2",
                   "take k3"]


def test_batches_end_at_checkpoints_and_at_the_byte_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingest.pipeline import StoredItem
    from ingest.sources.base import RawItem

    monkeypatch.setattr(backfill, "BATCH_BYTES", 10)
    reads: list[backfill.Read] = [
        (NOW, [StoredItem(RawItem("afp", f"o{n}", b"x" * size), f"raw/o{n}")])
        for n, size in enumerate([4, 5, 1, 3, 6, 1])
    ]
    sizes = [[len(items[0].item.data) for _, items in batch]  # type: ignore[union-attr]
             for batch in backfill._batches(reads, 0, every=100)]
    assert sizes == [[4, 5, 1], [3, 6, 1]]  # cut when a batch reaches 10 bytes
    cut = [len(batch) for batch in backfill._batches(reads, 3, every=5)]
    assert cut == [2, 3, 1]  # from offset 3: the checkpoint at 5, then 10 bytes, the rest
