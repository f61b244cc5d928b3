"""Alerts: the webhook notifier against a real local HTTP server, and idle sources on SQLite.

Fixtures: ``receiver`` (tests/deploy/conftest.py, a ``Receiver`` from tests/webhook_receiver.py)
and ``sqlite_url`` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ingest.alerts import (
    IdleLimits,
    IdleSource,
    IdleSourcesNotifier,
    IngestAlertNotifier,
    Webhook,
    idle_sources,
)
from ingest.config import ConfigError
from ingest.registry import SQLRegistry, open_registry
from webhook_receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
SECRET_DSN = "postgresql://ingest:hunter2@db.internal/ingest"


def _context(op_kwargs: dict[str, Any], error: Exception | None) -> dict[str, Any]:
    """What Airflow hands a task callback: the task instance, the task, the exception."""
    ti = SimpleNamespace(
        dag_id="afp_ingest", task_id="ingest_drop_chunk", run_id="manual__2026-11-27",
        map_index=3, try_number=2, max_tries=2,
        log_url="http://airflow/dags/afp_ingest/runs/manual__2026-11-27/tasks/x/mapped/3",
    )
    return {"ti": ti, "task": SimpleNamespace(op_kwargs=op_kwargs), "exception": error}


def test_a_failed_mapped_task_posts_what_where_which_try_and_the_log(receiver: Receiver) -> None:
    keys = ["drop/afp-1.xml", "drop/afp-2.xml", "drop/afp-3.xml"]
    IngestAlertNotifier("failed")(_context({"keys": keys}, ConnectionError(SECRET_DSN)))

    [hit] = receiver.received
    assert hit["path"] == "/hooks/ingest"
    assert hit["auth"] == "Bearer token-123"
    alert = hit["json"]
    assert alert["dag_id"] == "afp_ingest" and alert["task_id"] == "ingest_drop_chunk"
    assert alert["map_index"] == 3 and alert["try_number"] == 2
    assert alert["items"] == 3
    assert alert["subject"] == "keys=3 from drop/afp-1.xml"
    assert alert["error"] == "ConnectionError"
    assert alert["log_url"].endswith("/mapped/3")
    assert alert["text"] == (
        "[ingest] afp_ingest.ingest_drop_chunk for keys=3 from drop/afp-1.xml failed on try "
        "2/3, 3 item(s) affected: ConnectionError. Log: " + alert["log_url"]
    )
    assert "hunter2" not in hit["raw"] and "token-123" not in hit["raw"]


def test_a_partner_retry_names_the_partner(receiver: Receiver) -> None:
    IngestAlertNotifier("up for retry")(_context({"partner_id": "demo-news"}, None))

    [hit] = receiver.received
    assert hit["json"]["subject"] == "partner_id=demo-news"
    assert hit["json"]["items"] is None and hit["json"]["error"] is None
    assert "for partner_id=demo-news up for retry on try 2/3" in hit["json"]["text"]


def test_without_the_connection_the_callback_logs_and_returns(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_INGEST_ALERTS")
    IngestAlertNotifier("failed")(_context({"partner_id": "demo-news"}, None))
    assert receiver.received == []


def test_a_webhook_that_refuses_does_not_fail_the_callback(receiver: Receiver) -> None:
    receiver.status = 503
    IngestAlertNotifier("failed")(_context({"partner_id": "demo-news"}, None))
    assert len(receiver.received) == 1


def test_the_webhook_url_can_come_whole_from_extra() -> None:
    conn = SimpleNamespace(conn_type="http", host=None, port=None, schema=None, password=None,
                           extra_dejson={"url": "https://hooks.example.com/T1/B2",
                                         "headers": {"X-Team": "ops"}})
    assert Webhook.from_connection(conn) == Webhook(
        "https://hooks.example.com/T1/B2", {"X-Team": "ops"}
    )
    with pytest.raises(ConfigError, match="ingest_alerts"):
        Webhook.from_connection(SimpleNamespace(**{**vars(conn), "extra_dejson": {}}))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, IdleLimits()),
        ("45", IdleLimits(default=timedelta(minutes=45))),
        ("drop=30, afp-api=15,default=90",
         IdleLimits(timedelta(minutes=90),
                    {"drop": timedelta(minutes=30), "afp-api": timedelta(minutes=15)})),
    ],
)
def test_idle_limits_parse(raw: str | None, expected: IdleLimits) -> None:
    assert IdleLimits.parse(raw) == expected


@pytest.mark.parametrize("raw", ["drop=soon", "drop=0", "=10", "-5"])
def test_idle_limits_reject_what_is_not_minutes(raw: str) -> None:
    with pytest.raises(ConfigError, match="INGEST_IDLE_ALERT_MINUTES"):
        IdleLimits.parse(raw)


@pytest.fixture
def registry(sqlite_url: str) -> Iterator[SQLRegistry]:
    with open_registry(sqlite_url) as reg:
        reg.upgrade()
        yield reg


def _received(registry: SQLRegistry, source: str, at: datetime, n: int) -> None:
    registry.record_raw(key=f"raw/{source}/{n}", source=source, sha256=f"{n:064d}", size=1,
                        received_at=at)


def test_idle_sources_are_judged_on_their_newest_item(registry: SQLRegistry) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    _received(registry, "drop", now - timedelta(hours=5), 1)
    _received(registry, "drop", now - timedelta(minutes=20), 2)
    _received(registry, "afp-api", now - timedelta(minutes=50), 3)
    _received(registry, "web", now - timedelta(hours=3), 4)
    limits = IdleLimits(default=timedelta(hours=2),
                        per_source={"afp-api": timedelta(minutes=30), "drop": timedelta(hours=1),
                                    "partner-wire": timedelta(hours=1)})

    idle = idle_sources(registry, now, limits)

    assert idle == [
        IdleSource("afp-api", now - timedelta(minutes=50), timedelta(minutes=30)),
        IdleSource("partner-wire", None, timedelta(hours=1)),
        IdleSource("web", now - timedelta(hours=3), timedelta(hours=2)),
    ]
    assert [s.describe(now) for s in idle] == [
        "afp-api: nothing for 50 min (limit 30 min)",
        "partner-wire: nothing received yet (limit 60 min)",
        "web: nothing for 180 min (limit 120 min)",
    ]
    assert idle_sources(registry, now - timedelta(hours=3), IdleLimits()) == []


def test_after_a_run_quiet_sources_are_posted(
    receiver: Receiver, registry: SQLRegistry, sqlite_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The afp_ingest DAG callback, judged as of the run's data interval end."""
    end = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    _received(registry, "drop", end - timedelta(minutes=90), 1)
    monkeypatch.delenv("AIRFLOW_CONN_INGEST_REGISTRY", raising=False)
    monkeypatch.setenv("INGEST_REGISTRY_URL", sqlite_url)
    monkeypatch.setenv("INGEST_PROJECT_DIR", str(REPO))
    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INGEST_IDLE_ALERT_MINUTES", "drop=60,default=600")

    IdleSourcesNotifier()({"data_interval_end": end})
    IdleSourcesNotifier()({"data_interval_end": end - timedelta(minutes=60)})

    [hit] = receiver.received
    assert hit["json"]["sources"] == ["drop"]
    assert hit["json"]["text"] == (
        "[ingest] sources gone quiet at 2026-11-27T12:00:00+00:00: "
        "drop: nothing for 90 min (limit 60 min)"
    )
