"""afp_ingest on events or its 10-minute timetable: the schedule parses, serialises, runs."""

from __future__ import annotations

import importlib
import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TRIGGERS = {
    "ingest_drop_poll": "ingest.triggers.drop.DropFolderTrigger",
    "ingest_drop_redis": "ingest.triggers.notify.RedisDropTrigger",
    "ingest_drop_sqs": "ingest.triggers.notify.SQSDropTrigger",
    "ingest_afp_api_poll": "ingest.triggers.afp.AFPPollTrigger",
}


def test_afp_ingest_runs_on_wire_events_or_every_ten_minutes(dagbag: Any) -> None:
    from airflow.sdk import AssetOrTimeSchedule, DeltaDataIntervalTimetable

    dag = dagbag.dags["afp_ingest"]
    schedule = dag.timetable
    assert isinstance(schedule, AssetOrTimeSchedule)
    assert schedule.timetable == DeltaDataIntervalTimetable(timedelta(minutes=10))
    (asset,) = schedule.asset_condition.objects
    assert asset.uri == "ingest://events/wire"
    assert {w.name: w.trigger.serialize()[0] for w in asset.watchers} == TRIGGERS


def test_every_watcher_trigger_rebuilds_from_its_serialised_kwargs(dagbag: Any) -> None:
    (asset,) = dagbag.dags["afp_ingest"].timetable.asset_condition.objects
    for watcher in asset.watchers:
        classpath, kwargs = watcher.trigger.serialize()
        module, _, name = classpath.rpartition(".")
        again = getattr(importlib.import_module(module), name)(**kwargs)
        assert again.serialize() == (classpath, kwargs)
        assert all(v is None or isinstance(v, int | float | str) for v in kwargs.values())


def test_the_dag_serialises_with_its_watchers(dagbag: Any) -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dagbag.dags["afp_ingest"])
    text = str(data)
    for classpath in TRIGGERS.values():
        assert classpath in text


def test_parsing_the_dag_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network at parse time: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    parsed = DagBag(dag_folder=str(REPO / "dags" / "afp_ingest.py"))
    assert parsed.import_errors == {}
    assert "afp_ingest" in parsed.dag_ids


def test_a_run_events_started_lists_as_of_its_newest_event() -> None:
    from ingest.triggers.watchers import listing_time

    due = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    first = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
    newest = datetime(2026, 12, 1, 10, 0, 40, tzinfo=UTC)
    events = {"wire_events": [SimpleNamespace(timestamp=first),
                              SimpleNamespace(timestamp=newest)]}
    by_event = {"dag_run": SimpleNamespace(run_type="asset_triggered", run_after=first),
                "data_interval_end": None, "triggering_asset_events": events}
    timed = {"dag_run": SimpleNamespace(run_type="scheduled", run_after=due),
             "data_interval_end": due, "triggering_asset_events": {}}
    assert listing_time(by_event) == newest
    assert listing_time(timed) == due


@pytest.mark.airflow
def test_dag_test_still_ingests_the_drop_and_tells_partner_feeds(
    dagbag: Any, airflow_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingest.config import Settings
    from ingest.runtime import Runtime

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(REPO / "samples" / "afp-newsml12-wind-farm-alert.xml", drop / "alert.xml")
    env = {"INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
           "INGEST_DROP_URL": drop.as_uri(), "INGEST_DROP_SETTLE_SECONDS": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("INGEST_REGISTRY_URL", "INGEST_STORE_URL", "INGEST_AFP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    run = dagbag.dags["afp_ingest"].test()
    assert run.state == "success"
    with Runtime(Settings.from_env()) as rt:
        row = rt.registry.latest("urn:newsml:afp.com:20261127T061502Z:TX-PAR-QAB12")
        assert row is not None and row.article.version == 1
    # The chunk and the API window each told partner_feeds as they ended, with their counts.
    assert _articles_events(run.run_id) == [
        ("ingest_afp_api_window", -1, {"raw_new": 0, "versions": {}}),
        ("ingest_drop_chunk", 0, {"raw_new": 1, "versions": {"new": 1}}),
    ]


def _articles_events(run_id: str) -> list[tuple[str, int, dict[str, Any]]]:
    """The ``articles`` Asset events a run left: (task, map index, extra), by task."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.source_task_id, AssetEvent.source_map_index, AssetEvent.extra)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == "ingest://registry/articles",
                   AssetEvent.source_run_id == run_id)).all()
    return sorted((str(task), int(index), dict(extra)) for task, index, extra in rows)


@pytest.mark.airflow
def test_the_dag_processor_registers_the_watchers_for_the_triggerer(
    dagbag: Any, airflow_db: None,
) -> None:
    """What the triggerer will run: one Trigger row per watcher once afp_ingest is unpaused."""
    from airflow.dag_processing.dagbag import sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from sqlalchemy import select, update

    with create_session() as session:
        if session.get(DagBundleModel, "dags-folder") is None:
            session.add(DagBundleModel(name="dags-folder"))
    sync_bag_to_db(dagbag, "dags-folder", None)
    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == "afp_ingest")
                        .values(is_paused=False))
    sync_bag_to_db(dagbag, "dags-folder", None)  # the next parse sees it active
    with create_session() as session:
        rows = [(t.classpath, t.kwargs) for t in session.scalars(select(Trigger))]
        session.execute(update(DagModel).where(DagModel.dag_id == "afp_ingest")
                        .values(is_paused=True))
    registered = {classpath for classpath, _ in rows}
    assert registered >= set(TRIGGERS.values())
    drop_kwargs = next(kwargs for classpath, kwargs in rows
                       if classpath == TRIGGERS["ingest_drop_poll"])
    assert drop_kwargs["max_keys"] == 500 and drop_kwargs["drop_url"] is None
