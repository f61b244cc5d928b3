"""A worker SIGKILLed in the middle of an ingest batch or a feed build: the rerun converges
to exactly what an uninterrupted run leaves (registry rows and published bytes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.publish.objectstore import LocalObjectStore
from ingest.reconcile import reconcile
from ingest.registry import SQLRegistry

WORKER = Path(__file__).resolve().parent / "kill_worker.py"


def run_worker(home: Path, kill_at: str | None = None) -> list[str]:
    """Run the worker; with ``kill_at``, SIGKILL it as soon as it prints that line."""
    home.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, str(WORKER), str(home)], stdout=subprocess.PIPE,
                            text=True, cwd=WORKER.parent)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if lines[-1] == kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.stdout.close()
    code = proc.wait(timeout=300)
    assert code == (-signal.SIGKILL if kill_at else 0), lines[-3:]
    return lines


def state(home: Path) -> tuple[list[tuple[object, ...]], dict[str, bytes]]:
    db = sqlite3.connect(home / "registry.db")
    rows = db.execute(
        "SELECT uri, version, content_hash, raw_key, published_key, pending FROM versions "
        "UNION ALL SELECT 'delivery', partner || format || uri || version || kind, '', '', '', 0 "
        "FROM deliveries ORDER BY 1, 2"
    ).fetchall()
    db.close()
    store = LocalObjectStore(home / "store")
    return rows, {i.key: store.get(i.key) for i in store.list() if not i.key.startswith("audit/")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, ...]:
    home = tmp_path_factory.mktemp("whole")
    run_worker(home)
    return state(home)


@pytest.mark.parametrize("kill_at", ["item 37", "articles", "feed archive-library"])
def test_rerun_after_sigkill_converges(
    kill_at: str, uninterrupted: tuple[object, ...], tmp_path: Path
) -> None:
    home = tmp_path / "killed"
    seen = run_worker(home, kill_at)
    assert seen[-1] == kill_at
    run_worker(home)
    assert state(home) == uninterrupted
    with SQLRegistry(f"sqlite:///{home / 'registry.db'}") as registry:
        report = reconcile(registry, LocalObjectStore(home / "store"))
    assert report.ok, report.lines()
    assert report.stored == 80  # wire(0, 40): 40 G2 files and 40 API pages, all distinct
