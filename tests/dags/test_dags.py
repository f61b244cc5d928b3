"""DAG policy (imports, owners, retries, tags, runbooks) and end-to-end runs with dag.test()."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ALLOWED_TAGS = {"ingest", "afp", "web", "publish", "backfill"}
EXPECTED_DAGS = {"afp_ingest", "partner_feeds", "web_ingest", "archive_backfill"}


def test_every_dag_imports_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= EXPECTED_DAGS


def test_every_dag_has_owner_retries_alerts_tags_and_runbook(dagbag: Any) -> None:
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and "When it fails" in dag.doc_md, dag_id
        assert dag.tags and set(dag.tags) <= ALLOWED_TAGS, dag_id
        for task in dag.tasks:
            assert task.owner == "ingest", (dag_id, task.task_id)
            assert task.retries >= 1, (dag_id, task.task_id)
            assert task.on_failure_callback, (dag_id, task.task_id)


def test_partner_feeds_is_scheduled_on_the_articles_asset(dagbag: Any) -> None:
    from ingest.dag_defaults import ARTICLES

    feeds = dagbag.dags["partner_feeds"]
    producers = [t for t in dagbag.dags["afp_ingest"].tasks if ARTICLES in t.outlets]
    assert producers, "afp_ingest must update the articles Asset"
    assert ARTICLES in feeds.timetable.asset_condition.objects


def test_afp_api_task_uses_the_shared_pool(dagbag: Any) -> None:
    task = dagbag.dags["afp_ingest"].get_task("ingest_afp_api_window")
    assert task.pool == "afp_api"


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An INGEST_HOME in tmp with the bundled samples (kill held back) in a drop folder."""
    drop = tmp_path / "drop"
    shutil.copytree(REPO / "samples", drop, ignore=shutil.ignore_patterns("*kill*", "README*"))
    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INGEST_PROJECT_DIR", str(REPO))
    monkeypatch.setenv("INGEST_DROP_URL", drop.as_uri())
    monkeypatch.setenv("INGEST_DROP_SETTLE_SECONDS", "0")
    for name in ("INGEST_REGISTRY_URL", "INGEST_STORE_URL", "INGEST_AFP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _objects(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.airflow
@pytest.mark.slow
def test_demo_runs_end_to_end_and_a_rerun_publishes_nothing(
    dagbag: Any, airflow_db: None, demo_env: Path
) -> None:
    import feedparser

    store = demo_env / "home" / "objectstore"
    afp, feeds = dagbag.dags["afp_ingest"], dagbag.dags["partner_feeds"]

    assert afp.test().state == "success"
    assert feeds.test().state == "success"

    published = _objects(store)
    articles = [k for k in published if k.startswith("articles/") and "/v" in k]
    assert any("wind" in k.lower() or "afp.com" in k for k in articles), articles
    for key in articles:
        doc = json.loads(published[key])
        assert doc["uri"] and doc["version"]
    rss = feedparser.parse(published["feeds/demo-news/rss.xml"])
    assert rss.bozo == 0
    titles = [e.title for e in rss.entries]
    assert any("Kim Jong Un" in t for t in titles), titles
    raw = [k for k in published if k.startswith("raw/")]
    assert raw, "raw bytes must be stored before parsing"

    # Second run on the same inputs: nothing new anywhere in the store.
    assert afp.test().state == "success"
    assert feeds.test().state == "success"
    assert _objects(store) == published

    # The kill arrives: the partner that received the story is told, the story leaves the feed.
    for kill in (REPO / "samples").glob("*kill*"):
        shutil.copy(kill, demo_env / "drop" / kill.name)
    assert afp.test().state == "success"
    assert feeds.test().state == "success"
    after = _objects(store)
    rss = feedparser.parse(after["feeds/demo-news/rss.xml"])
    killed = [e for e in rss.entries if e.title.startswith("[KILL]")]
    assert killed, [e.title for e in rss.entries]
