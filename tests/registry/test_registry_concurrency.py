"""Several worker processes record overlapping versions of the same stories at once."""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from story_factory import T0, article

from ingest.registry import SQLRegistry, open_registry
from ingest.registry.api import VersionRecord

WORKERS = 3
STORIES = 8
VERSIONS = 6
KILLED = {0, 1}  # these stories get a kill at version 4


def _work(url: str, seed: int, batch: int, start: Any, results: Any) -> None:
    """Record every version of every story, in this worker's own order, ``batch`` at a time."""
    jobs = [(s, v) for s in range(STORIES) for v in range(1, VERSIONS + 1)]
    random.Random(seed).shuffle(jobs)
    records = [
        VersionRecord(
            article(f"urn:{s}", v, "canceled" if s in KILLED and v == 4 else "usable"),
            raw_key=f"raw/{seed}", received_at=T0,
        )
        for s, v in jobs
    ]
    counts: Counter[str] = Counter()
    with SQLRegistry(url) as reg:
        start.wait()
        for first in range(0, len(records), batch):
            counts.update(str(r) for r in reg.record_versions(records[first : first + batch]))
    results.put(dict(counts))


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"]
)
@pytest.mark.parametrize("batch", [1, 5])
def test_concurrent_workers_leave_one_row_per_version(
    backend: str, batch: int, request: pytest.FixtureRequest
) -> None:
    url = str(request.getfixturevalue("pg_url" if backend == "postgres" else "sqlite_url"))
    open_registry(url).close()
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(WORKERS), ctx.Queue()
    workers = [
        ctx.Process(target=_work, args=(url, n, batch, start, results))
        for n in range(WORKERS)
    ]
    for w in workers:
        w.start()
    counts: Counter[str] = Counter()
    for _ in workers:
        counts.update(results.get(timeout=120))
    for w in workers:
        w.join(30)
        assert w.exitcode == 0
    results.close()
    results.join_thread()

    # Each version is new exactly once; every other attempt saw it as a duplicate.
    assert counts == {"new": STORIES * VERSIONS, "duplicate": (WORKERS - 1) * STORIES * VERSIONS}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT uri, version, count(*) FROM versions GROUP BY 1, 2"))
            assert {(u, v): n for u, v, n in rows} == {
                (f"urn:{s}", v): 1 for s in range(STORIES) for v in range(1, VERSIONS + 1)
            }
    finally:
        engine.dispose()
    with SQLRegistry(url) as reg:
        for s in range(STORIES):
            latest = reg.latest(f"urn:{s}")
            assert latest is not None and latest.version == VERSIONS
            assert reg.story_status(f"urn:{s}") == ("canceled" if s in KILLED else "usable")
