"""A backfill killed mid-chunk resumes from its checkpoint: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backfill_helpers import generate_stories, objects, registry_state
from sqlalchemy import create_engine, select

from ingest.backfill import DEFAULT_CHECKPOINT_EVERY, BackfillRequest, ChunkOptions, run_backfill
from ingest.publish.objectstore import LocalObjectStore, ObjectStore
from ingest.registry import schema as t
from ingest.runtime import Runtime

MakeRuntime = Callable[[Path, str, str], Runtime]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _offsets(url: str) -> list[dict[str, object]]:
    """Every chunk checkpoint (plain sqlite3 on SQLite: cheap enough to poll a live run)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as conn:
            rows = [value for (value,) in conn.execute("SELECT value FROM checkpoints")]
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                rows = list(conn.execute(select(t.checkpoints.c.value)).scalars())
        finally:
            engine.dispose()
    return [json.loads(value) for value in rows]


@pytest.mark.slow
def test_sigkill_mid_chunk_then_rerun_gives_the_clean_state(
    tmp_path: Path, archive: Path, runtimes: MakeRuntime
) -> None:
    generate_stories(archive, 600)  # four chunks of 150, each with checkpoints inside
    killed = runtimes(tmp_path / "killed", f"sqlite:///{tmp_path / 'killed.db'}",
                      (tmp_path / "killed-store").as_uri())
    killed.registry.upgrade()
    env = {**os.environ, "INGEST_HOME": str(killed.settings.home),
           "INGEST_REGISTRY_URL": killed.settings.registry_url,
           "INGEST_STORE_URL": killed.settings.store_url,
           "INGEST_PARTNERS_FILE": str(killed.settings.partners_file)}
    command = [sys.executable, "-m", "ingest.cli", "backfill", archive.as_uri(),
               "--chunk-size", "150", "--publish"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(not c["done"] and int(str(c["offset"])) >= DEFAULT_CHECKPOINT_EVERY
               for c in _offsets(killed.settings.registry_url)):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    process.communicate()
    assert process.returncode == -signal.SIGKILL, "the backfill finished before it was killed"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "quarantined:" in rerun.stdout and "raw items: " in rerun.stdout

    clean = runtimes(tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}",
                     (tmp_path / "clean-store").as_uri())
    request = BackfillRequest(archive.as_uri(), chunk_size=150, publish=True)
    run_backfill(clean, request, now=datetime.now(UTC))  # the CLI publishes at the real now
    assert registry_state(killed.settings.registry_url, exact=False) == registry_state(
        clean.settings.registry_url, exact=False
    )
    assert objects(killed.store, "articles/v") == {}
    assert objects(killed.store, "articles/") == objects(clean.store, "articles/")
    assert objects(killed.store, "raw/") == objects(clean.store, "raw/")
    assert all(c["done"] for c in _offsets(killed.settings.registry_url))


class FailingStore:
    """The archive's store, failing one read as an outage would (an infrastructure error)."""

    def __init__(self, inner: ObjectStore, fail_at: int) -> None:
        self.inner, self.fail_at, self.reads = inner, fail_at, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def get(self, key: str) -> bytes:
        self.reads += 1
        if self.reads == self.fail_at:
            raise ConnectionError("object store unreachable")
        return self.inner.get(key)


def test_a_failed_chunk_resumes_on_both_databases(
    tmp_path: Path, archive: Path, registry_url: str, runtimes: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.backfill as backfill

    generate_stories(archive, 60)
    request = BackfillRequest(archive.as_uri(), chunk_size=40)
    options = ChunkOptions(concurrency=2, checkpoint_every=5)
    failing = FailingStore(LocalObjectStore(archive), fail_at=57)
    monkeypatch.setattr(backfill, "open_store", lambda url: failing)
    rt = runtimes(tmp_path / "bf", registry_url, (tmp_path / "store").as_uri())
    with pytest.raises(ConnectionError):
        run_backfill(rt, request, now=NOW, options=options)
    partial = _offsets(registry_url)
    assert any(not c["done"] and int(str(c["offset"])) > 0 for c in partial)

    result = run_backfill(rt, request, now=NOW, options=options)
    clean = runtimes(tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}",
                     (tmp_path / "clean-store").as_uri())
    expected = run_backfill(clean, request, now=NOW, options=options)
    assert result.report.raw_items == expected.report.raw_items
    assert registry_state(registry_url, exact=False) == registry_state(
        clean.settings.registry_url, exact=False
    )
    assert objects(rt.store, "raw/") == objects(clean.store, "raw/")
