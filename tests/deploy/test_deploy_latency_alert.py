"""The latency alert of ``partner_feeds``: the last hour's published p95 against the limit.

Fixtures: ``registry_url`` (each test on SQLite and on PostgreSQL) and ``tmp_path`` from
tests/conftest.py and pytest; ``receiver`` (a live webhook wired as ``ingest_alerts``) from
tests/deploy/conftest.py. Versions are recorded through the registry, then given known wire,
recorded and published times, as tests/registry/test_registry_times.py does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from ingest.alerts import LatencyNotifier, latency_alert
from ingest.config import ConfigError
from ingest.model import Article
from ingest.registry import SQLRegistry, open_registry
from ingest.registry import schema as t
from ingest.registry.latency import latency_limit
from webhook_receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)  # the run's data interval end
# uri: (urgency, wire, recorded, published) in seconds before NOW
SEEDED = {
    "urn:o1": (None, 100, 90, 80),  # other, published latency 20
    "urn:o2": (None, 100, 70, 40),  # other, 60
    "urn:o3": (None, 100, 40, 10),  # other, 90
    "urn:u1": (1, 50, 45, 40),  # urgent, 10
    "urn:u2": (2, 50, 45, 20),  # urgent, 30
    "urn:archive": (None, 3 * 86400, 60, 30),  # wire 3 days before recording: left out
    "urn:earlier": (None, 9000, 7200, 100),  # recorded 2 h before the run: outside the hour
}
# published latencies in the hour, nearest rank p95 = rank ceil(0.95 n):
# other 20, 60, 90 -> rank 3 = 90; urgent 10, 30 -> rank 2 = 30; all five -> rank 5 = 90


def _article(uri: str, urgency: int | None) -> Article:
    return Article(uri=uri, version=1, pub_status="usable", version_created=NOW,
                   embargoed_until=None, headline=f"{uri} headline",
                   body_html=f"<p>Body of {uri}.</p>", language="en", signals=[],
                   ed_note=None, provider="AFP", urgency=urgency)


@pytest.fixture
def registry(registry_url: str) -> Iterator[SQLRegistry]:
    """A migrated registry holding ``SEEDED``, all from the ``drop`` source."""
    with open_registry(registry_url) as reg:
        reg.upgrade()
        reg.record_raw(key="raw/drop/1", source="drop", sha256="1" * 64, size=1,
                       received_at=NOW)
        for uri, (urgency, *_) in SEEDED.items():
            reg.record_version(_article(uri, urgency), raw_key="raw/drop/1", received_at=NOW)
        v = t.versions.c
        with reg.engine.begin() as conn:
            for uri, (_, wire, recorded, published) in SEEDED.items():
                conn.execute(update(t.versions).where(v.uri == uri).values(
                    wire_at=NOW - timedelta(seconds=wire),
                    recorded_at=NOW - timedelta(seconds=recorded),
                    published_at=NOW - timedelta(seconds=published)))
        yield reg


@pytest.fixture
def run_env(registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifier's runtime reads the registry from the environment, as on a worker."""
    monkeypatch.delenv("AIRFLOW_CONN_INGEST_REGISTRY", raising=False)
    monkeypatch.setenv("INGEST_REGISTRY_URL", registry_url)
    monkeypatch.setenv("INGEST_PROJECT_DIR", str(REPO))
    monkeypatch.setenv("INGEST_HOME", str(tmp_path / "home"))


def test_over_the_limit_names_each_class_its_p95_the_limit_and_the_count(
    registry: SQLRegistry,
) -> None:
    alert = latency_alert(registry.engine, NOW, 60.0)

    assert alert is not None
    assert alert["event"] == "latency" and alert["limit_seconds"] == 60.0
    assert alert["over"] == [{"class": "all", "p95": 90.0, "count": 5},
                             {"class": "other", "p95": 90.0, "count": 3}]
    assert alert["text"] == (
        "[ingest] published latency over 60 s in the hour to 2026-11-27T12:30:00+00:00: "
        "all: p95 90 s over 5 version(s); other: p95 90 s over 3 version(s)"
    )
    low = latency_alert(registry.engine, NOW, 29.0)
    assert low is not None
    assert [(o["class"], o["p95"]) for o in low["over"]] == [
        ("all", 90.0), ("urgent", 30.0), ("other", 90.0)]


def test_at_or_below_the_limit_or_without_one_it_stays_silent(registry: SQLRegistry) -> None:
    assert latency_alert(registry.engine, NOW, 90.0) is None
    assert latency_alert(registry.engine, NOW, 120.0) is None
    assert latency_alert(registry.engine, NOW, None) is None
    # an hour later the seeded versions are out of the window
    assert latency_alert(registry.engine, NOW + timedelta(hours=1), 1.0) is None


@pytest.mark.usefixtures("run_env")
def test_after_a_run_the_slow_hour_is_posted_once(
    receiver: Receiver, registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Judged at the run's data interval end: a wall-clock hour would hold no version."""
    monkeypatch.setenv("INGEST_LATENCY_ALERT_SECONDS", "60")

    LatencyNotifier()({"data_interval_end": NOW})
    LatencyNotifier()({"data_interval_end": NOW + timedelta(hours=2)})

    [hit] = receiver.received
    assert hit["auth"] == "Bearer token-123"
    assert hit["json"]["over"] == [{"class": "all", "p95": 90.0, "count": 5},
                                   {"class": "other", "p95": 90.0, "count": 3}]


@pytest.mark.usefixtures("run_env")
@pytest.mark.parametrize("raw", [None, "", "90"])
def test_unset_or_not_exceeded_posts_nothing(
    raw: str | None, receiver: Receiver, registry: SQLRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if raw is None:
        monkeypatch.delenv("INGEST_LATENCY_ALERT_SECONDS", raising=False)
    else:
        monkeypatch.setenv("INGEST_LATENCY_ALERT_SECONDS", raw)
    LatencyNotifier()({"data_interval_end": NOW})
    assert receiver.received == []


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "inf"])
def test_a_bad_limit_is_a_config_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="INGEST_LATENCY_ALERT_SECONDS"):
        latency_limit(raw)
    monkeypatch.setenv("INGEST_LATENCY_ALERT_SECONDS", raw)
    with pytest.raises(ConfigError, match="INGEST_LATENCY_ALERT_SECONDS"):
        LatencyNotifier()({"data_interval_end": NOW})
