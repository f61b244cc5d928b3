"""Parser processes end with what started them: a chunk run on its own (an Airflow task per
chunk, no shared pool) stops its own before it returns, and a whole backfill's chunks use
the backfill's pool instead of starting more. Otherwise each chunk leaves its workers
behind until the interpreter exits; a chunk given a pool must not start one beside it.

The archive is ``generate_stories``' NewsML-G2 stories; the expected count (every story
new) is the archive's size. Found by ``make mutants`` (docs/testing.md): with the
``shutdown`` skipped, every other backfill test still passes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backfill_helpers import generate_stories

from ingest.backfill import (
    BackfillRequest,
    ChunkOptions,
    plan_backfill,
    run_backfill,
    run_chunk,
)
from ingest.backfill_parse import open_pool
from ingest.runtime import Runtime

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STORIES = 4


@pytest.fixture
def rt(tmp_path: Path, runtimes: Callable[[Path, str, str], Runtime]) -> Runtime:
    """A runtime of the test's own, beside an archive of ``STORIES`` stories in tmp."""
    generate_stories(tmp_path / "archive", STORIES)
    return runtimes(tmp_path / "bf", f"sqlite:///{tmp_path / 'r.db'}",
                    (tmp_path / "store").as_uri())


def test_a_chunk_that_starts_its_own_parsers_stops_them(tmp_path: Path, rt: Runtime) -> None:
    plan = plan_backfill(rt.store, BackfillRequest((tmp_path / "archive").as_uri(),
                                                   chunk_size=STORIES), now=NOW)
    before = set(multiprocessing.active_children())
    options = ChunkOptions(workers=1, concurrency=1, checkpoint_every=2)
    report = run_chunk(rt.registry, rt.store, plan, 0, options)
    assert report.results["new"] == STORIES
    assert set(multiprocessing.active_children()) == before


def test_a_chunk_given_a_pool_starts_no_parsers_of_its_own(tmp_path: Path, rt: Runtime) -> None:
    plan = plan_backfill(rt.store, BackfillRequest((tmp_path / "archive").as_uri(),
                                                   chunk_size=STORIES), now=NOW)
    options = ChunkOptions(workers=1, concurrency=1, checkpoint_every=2)
    pool = open_pool(options.workers)
    try:
        before = set(multiprocessing.active_children())
        report = run_chunk(rt.registry, rt.store, plan, 0, options, parsers=pool)
        assert report.results["new"] == STORIES
        assert set(multiprocessing.active_children()) == before  # the given pool's only
    finally:
        assert pool is not None
        pool.shutdown()


def test_a_backfill_leaves_no_parser_process_behind(tmp_path: Path, rt: Runtime) -> None:
    before = set(multiprocessing.active_children())
    request = BackfillRequest((tmp_path / "archive").as_uri(), chunk_size=2)
    options = ChunkOptions(workers=1, concurrency=1, checkpoint_every=2)
    result = run_backfill(rt, request, now=NOW, options=options)
    assert result.plan.chunks == 2 and result.report.results["new"] == STORIES
    assert set(multiprocessing.active_children()) == before


def _pool_in(results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """In a daemonic process: open a pool of two, parse nothing, report the answer."""
    pool = open_pool(2)
    assert pool is not None
    results.put(pool.submit(sum, [1, 2]).result())
    pool.shutdown()


def test_a_pool_opens_in_a_daemonic_process() -> None:
    """A Celery worker runs each task in a daemonic process (prefork pool), where
    multiprocessing refuses children: archive_backfill's ``load_chunks`` failed there with
    'daemonic processes are not allowed to have children' (found by
    bench/cluster_backfill.py). The pool must open there too."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_pool_in, args=(results,), daemon=True)
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert results.get(timeout=5) == 3
