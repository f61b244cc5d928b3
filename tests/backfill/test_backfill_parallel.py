"""The parallel path's parts: batched raw writes, parsing ahead on processes, one result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backfill_helpers import build_archive, objects, registry_state

from ingest.backfill import BackfillRequest, ChunkOptions, run_backfill
from ingest.backfill_parse import Read, open_pool, parse_ahead
from ingest.pipeline import StoredItem, raw_key
from ingest.publish.objectstore import LocalObjectStore
from ingest.registry.api import RawRecord
from ingest.registry.sql import SQLRegistry
from ingest.runtime import Runtime
from ingest.sources.base import RawItem

MakeRuntime = Callable[[Path, str, str], Runtime]
AT = datetime(2026, 10, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_raw_writes_say_which_raw_objects_were_new(registry_url: str) -> None:
    with SQLRegistry(registry_url) as registry:
        registry.upgrade()
        registry.record_raw(key="raw/b", source="drop", sha256="b", size=2, received_at=AT)
        raws = [RawRecord(f"raw/{k}", "drop", k, 1, AT) for k in ("a", "b", "a", "c")]
        # b was known; the second a repeats the first in the same batch
        assert registry.record_raws(raws) == [True, False, False, True]
        assert registry.record_raws(raws[:1]) == [False]
        assert sorted(registry.raw_ledger().raw) == ["raw/a", "raw/b", "raw/c"]


def test_parse_ahead_gives_the_batches_read_before_a_failed_read(tmp_path: Path) -> None:
    def batches() -> Iterator[list[Read]]:
        for n in range(3):
            item = RawItem("drop", f"s{n}.xml", b"<?xml version='1.0'?><inventory%d/>" % n)
            yield [(AT, [StoredItem(item, raw_key(item, AT))])]
        raise ConnectionError("archive unreachable")

    store = LocalObjectStore(tmp_path / "store")
    pool = open_pool(1)
    assert pool is not None
    taken: list[str] = []
    try:
        with pytest.raises(ConnectionError):
            for batch, outcomes in parse_ahead(pool, batches(), store, max_item_bytes=1000,
                                               depth=2):
                taken.append(batch[0][1][0].key)  # type: ignore[union-attr]
                assert len(outcomes) == 1 and outcomes[0][0].reason == "unknown_format"  # type: ignore[union-attr]
    finally:
        pool.shutdown()
    assert len(taken) == 3
    assert sorted(info.key for info in store.list("raw/")) == sorted(taken)  # stored first


def test_parsing_in_processes_or_here_leaves_the_same_state(
    tmp_path: Path, runtimes: MakeRuntime
) -> None:
    archive = build_archive(tmp_path / "archive")
    states = []
    for workers in (0, 2):
        rt = runtimes(tmp_path / f"w{workers}", f"sqlite:///{tmp_path / f'w{workers}.db'}",
                      (tmp_path / f"store{workers}").as_uri())
        run_backfill(rt, BackfillRequest(archive.as_uri(), chunk_size=5, publish=True), now=NOW,
                     options=ChunkOptions(workers=workers, checkpoint_every=3))
        states.append((registry_state(rt.settings.registry_url), objects(rt.store, "articles/"),
                       objects(rt.store, "raw/")))
    assert states[0][0]["versions"] and states[0][1]  # the archive gave versions and articles
    assert states[0] == states[1]
