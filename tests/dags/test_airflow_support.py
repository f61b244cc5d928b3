"""What tasks take from Airflow's context: the run's instant and the registry connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pendulum
import pytest

from ingest.airflow_support import run_time


def test_run_time_is_the_data_interval_end_as_plain_utc() -> None:
    end = pendulum.datetime(2026, 11, 27, 12, 10, tz="Europe/Paris")
    now = run_time({"data_interval_end": end})
    assert now == datetime(2026, 11, 27, 11, 10, tzinfo=UTC)
    # pendulum drops a stdlib tzinfo in arithmetic; the plain datetime keeps it
    assert (now - timedelta(days=7)).tzinfo is not None


def test_run_time_falls_back_to_run_after_for_asset_triggered_runs() -> None:
    run_after = pendulum.datetime(2026, 11, 27, 12, 0, tz="UTC")
    now = run_time({"data_interval_end": None, "dag_run": SimpleNamespace(run_after=run_after)})
    assert now == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert type(now) is datetime


def test_a_sqlite_registry_connection_keeps_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.airflow_support import REGISTRY_CONN_ID, _connection_uri

    monkeypatch.setenv(f"AIRFLOW_CONN_{REGISTRY_CONN_ID.upper()}", "sqlite:////tmp/i/registry.db")
    assert _connection_uri(REGISTRY_CONN_ID) == "sqlite:////tmp/i/registry.db"


def test_data_window_is_the_interval_or_a_default_span_for_manual_runs() -> None:
    from ingest.airflow_support import data_window

    start = pendulum.datetime(2026, 11, 27, 10, 0, tz="UTC")
    end = pendulum.datetime(2026, 11, 27, 10, 10, tz="UTC")
    assert data_window({"data_interval_start": start, "data_interval_end": end},
                       timedelta(minutes=5)) == (start, end)
    manual = {"data_interval_start": end, "data_interval_end": end}
    assert data_window(manual, timedelta(minutes=5)) == (end - timedelta(minutes=5), end)
