"""archive_backfill: policy, and dag.test() runs on a small archive with publish off and on."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_archive_backfill_is_manual_with_params(dagbag: Any) -> None:
    dag = dagbag.dags["archive_backfill"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None
    assert {"source", "date_from", "date_to", "format", "chunk_size", "reprocess", "publish",
            "dry_run", "backfill_id"} <= set(dag.params)
    assert "airflow backfill create --dag-id afp_ingest" in dag.doc_md
    from ingest.dag_defaults import ARTICLES

    assert [t.task_id for t in dag.tasks if ARTICLES in t.outlets] == ["announce"]


@pytest.fixture
def backfill_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    archive = tmp_path / "archive"
    shutil.copytree(REPO / "samples", archive, ignore=shutil.ignore_patterns("README*"))
    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INGEST_PROJECT_DIR", str(REPO))
    for name in ("INGEST_REGISTRY_URL", "INGEST_STORE_URL", "INGEST_AFP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.airflow
@pytest.mark.slow
def test_backfill_runs_publishes_only_when_asked(
    dagbag: Any, airflow_db: None, backfill_env: Path
) -> None:
    from sqlalchemy import func, select

    from ingest.registry import open_registry
    from ingest.registry import schema as t

    dag = dagbag.dags["archive_backfill"]
    store = backfill_env / "home" / "objectstore"
    # Every Param given each time: dag.test() keeps the last run's conf on the DAG object.
    conf = {"source": (backfill_env / "archive").as_uri(), "chunk_size": 2, "dry_run": False,
            "publish": False, "backfill_id": None}

    dry = dag.test(run_conf={**conf, "dry_run": True})
    assert dry.state == "success"
    assert not store.exists() or not any(store.rglob("*.jsonl"))

    quiet = dag.test(run_conf=conf)
    assert quiet.state == "success"
    assert quiet.get_task_instance("announce").state == "skipped"
    assert len(list(store.glob("backfill/*/manifest/*.jsonl"))) == 5  # 9 items, 2 per chunk
    with open_registry(f"sqlite:///{backfill_env / 'home' / 'registry.db'}") as registry:
        with registry.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(t.versions)).scalar_one() > 0
        assert list(registry.feed_items(quiet.run_after)) == []  # archive kept from partners
        assert registry.versions_to_write(quiet.run_after) == []
    assert not (store / "articles").exists()

    loud = dag.test(run_conf={**conf, "publish": True, "backfill_id": "published"})
    assert loud.state == "success"
    assert loud.get_task_instance("announce").state == "success"
