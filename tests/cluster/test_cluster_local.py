"""The scale-out deployment proved on one machine: Celery workers, scheduler, DAG processor
and API server as separate processes on PostgreSQL and Redis (deploy/cluster.py).

Slow (minutes) and heavy (six Airflow processes), so it runs only from ``make
test-cluster``, which sets ``INGEST_CLUSTER_TEST=1``; it skips, saying why, when Redis or
PostgreSQL is not there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, func, select, text

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("INGEST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(os.environ.get("INGEST_CLUSTER_TEST") != "1",
                       reason="the local cluster runs only via `make test-cluster`"),
]


def _load_cluster() -> ModuleType:
    """deploy/cluster.py, under the name its workers import it by (``cluster``)."""
    spec = importlib.util.spec_from_file_location("cluster", REPO / "deploy" / "cluster.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["cluster"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def redis_server() -> str:
    url = urlparse(REDIS_URL)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), 3) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                pytest.skip(f"no Redis answering PING at {REDIS_URL}")
    except OSError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(scope="module")
def result(postgres_server: str, redis_server: str) -> Iterator[dict[str, Any]]:
    """One cluster run: start, trigger afp_ingest, wait for partner_feeds, stop (always)."""
    cluster_module = _load_cluster()
    cluster = cluster_module.LocalCluster(postgres_url=postgres_server, redis_url=redis_server)
    try:
        with cluster.running():
            started = list(cluster.processes)
            outcome: dict[str, Any] = cluster.prove()
            outcome["registry"] = _registry_counts(cluster.registry_db)
            outcome["rss"] = (cluster.store_dir / "feeds/demo-news/rss.xml").read_bytes()
            outcome["databases"] = list(cluster.databases)
        outcome["left_running"] = [p.name for p in started if _group_alive(p.popen.pid)]
        outcome["databases_left"] = _existing(postgres_server, outcome["databases"])
        shown = {k: v for k, v in outcome.items() if k not in ("rss", "task_instances", "objects")}
        print(json.dumps({**shown, "objects": len(outcome["objects"])}, indent=1, default=str))
        yield outcome
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


def _group_alive(pgid: int) -> bool:
    """Whether anything of a process group (a worker and its task runners) is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _registry_counts(url: str) -> dict[str, int]:
    from ingest.registry import schema

    tables = (schema.raw_objects, schema.versions, schema.quarantine, schema.deliveries)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in tables}
    finally:
        engine.dispose()


def _existing(admin_url: str, names: list[str]) -> list[str]:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT datname FROM pg_database"))
            return [name for (name,) in rows if name in names]
    finally:
        engine.dispose()


def test_afp_ingest_then_partner_feeds_succeed(result: dict[str, Any]) -> None:
    assert result["afp_state"] == "success"
    assert result["feeds_states"] and set(result["feeds_states"]) == {"success"}
    assert all(state == "success" for _, _, state in result["runs"]), result["runs"]


def test_tasks_ran_on_both_workers(result: dict[str, Any]) -> None:
    assert result["hosts"] == ["worker-1", "worker-2"]
    ran = {(t["dag_id"], t["task_id"]) for t in result["task_instances"]}
    assert ("afp_ingest", "ingest_drop_chunk") in ran
    assert ("partner_feeds", "build_partner") in ran


def test_articles_feeds_and_registry_rows_were_written(result: dict[str, Any]) -> None:
    import feedparser

    articles = [k for k in result["objects"] if k.startswith("articles/") and "/v" in k]
    assert articles
    assert "feeds/demo-news/rss.xml" in result["objects"]
    assert any(k.startswith("raw/drop/") for k in result["objects"])
    feed = feedparser.parse(result["rss"])
    assert not feed.bozo and feed.entries
    counts = result["registry"]
    assert counts["raw_objects"] >= 1 and counts["versions"] >= 1
    assert counts["quarantine"] >= 1  # samples/broken-truncated.xml, quarantined with a reason


def test_the_cluster_is_gone_afterwards(result: dict[str, Any]) -> None:
    assert result["left_running"] == []
    assert result["databases_left"] == []
