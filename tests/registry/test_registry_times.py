"""Version times (wire, recorded, published), the 0008 migration on rows recorded before
it, and latency percentiles against values worked out by hand.

Databases: ``registry_url`` / ``registry`` (tests/conftest.py, tests/registry/conftest.py),
once on SQLite and once on PostgreSQL; articles from ``story_factory``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, insert, select, update
from story_factory import T0, article

from ingest.model import Subject
from ingest.parsers.identity import ALERT_GENRE
from ingest.registry import SQLRegistry, upgrade_database
from ingest.registry import schema as t
from ingest.registry.latency import ALL, hourly, last_hour, percentiles
from migration_support import migrate

NEW_COLUMNS = {"wire_at", "recorded_at", "published_at", "urgency_class"}
ALERT = Subject(code=ALERT_GENRE[0], name=ALERT_GENRE[1], uri=ALERT_GENRE[2])


def _clock() -> datetime:
    """Python's clock floored to the millisecond: SQLite's ``'now'`` keeps milliseconds, so a
    stamp taken just after this reading can be below it by the microseconds it drops."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _times(reg: SQLRegistry) -> dict[tuple[str, int], Any]:
    v = t.versions.c
    with reg.engine.connect() as conn:
        rows = conn.execute(select(v.uri, v.version, v.wire_at, v.recorded_at, v.published_at,
                                   v.urgency_class))
        return {(r.uri, r.version): r for r in rows}


def test_times_and_class_are_recorded(registry: SQLRegistry) -> None:
    before = _clock()
    registry.record_version(article("urn:a", 1), raw_key=None, received_at=T0)
    registry.record_version(replace(article("urn:b", 1), version_created=None, urgency=2),
                            raw_key=None, received_at=T0)
    registry.record_version(replace(article("urn:c", 1), urgency=1, genres=[ALERT]),
                            raw_key=None, received_at=T0)
    recorded = datetime.now(UTC)
    published_from = _clock()
    registry.mark_written_many([("urn:a", 1, "articles/a/v1.json"), ("urn:b", 1, "")])
    after = datetime.now(UTC)
    times = _times(registry)
    a, b, c = times[("urn:a", 1)], times[("urn:b", 1)], times[("urn:c", 1)]
    assert a.wire_at == T0 + timedelta(minutes=1) and b.wire_at == T0
    assert all(before <= r.recorded_at <= recorded for r in (a, b, c))
    assert published_from <= a.published_at <= after
    assert b.published_at is None and c.published_at is None  # refused; not written yet
    assert (a.urgency_class, b.urgency_class, c.urgency_class) == ("other", "urgent", "alert")


def test_a_repeat_shares_its_versions_key_but_not_its_publish_time(
    registry: SQLRegistry,
) -> None:
    """A SAME_CONTENT repeat is never written itself: marking the version it repeats gives
    it the key, and the publish time only to the version written."""
    first_version = article("urn:a", 1)
    registry.record_version(first_version, raw_key=None, received_at=T0)
    registry.record_version(replace(first_version, version=2), raw_key=None, received_at=T0)
    before = _clock()
    registry.mark_written_many([("urn:a", 1, "articles/a/v1.json")])
    first, repeat = _times(registry)[("urn:a", 1)], _times(registry)[("urn:a", 2)]
    assert before <= first.published_at <= datetime.now(UTC)
    assert repeat.published_at is None
    latest = registry.latest("urn:a")
    assert latest is not None and latest.published_key == "articles/a/v1.json"


def _old_row(uri: str, **given: Any) -> dict[str, Any]:
    row = {"uri": uri, "version": 1, "content_hash": uri, "substance_hash": uri,
           "status": "usable", "version_created": None, "received_at": T0, "raw_key": None,
           "published_key": None, "pending": False, "same_as": None, "signals": [],
           "products": [], "record": {"urgency": None, "genres": []}}
    return {**row, **given}


def test_upgrade_from_0007_gives_rows_their_times(registry_url: str) -> None:
    migrate(registry_url, "0007")
    table = Table("versions", MetaData(), *(c._copy() for c in t.versions.columns
                                            if c.name not in NEW_COLUMNS))
    created = T0 - timedelta(minutes=5)
    released = T0 + timedelta(seconds=40)
    engine = create_engine(registry_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table), [
                _old_row("urn:released", version_created=created,
                         published_key="articles/r/v1.json",
                         record={"urgency": 1, "genres": []}),
                _old_row("urn:written", published_key="articles/w/v1.json",
                         record={"urgency": 4, "genres": [{"code": ALERT_GENRE[0]}]}),
                _old_row("urn:refused", published_key="",
                         record={"urgency": 5, "genres": [{"code": "x"}],
                                 "headline": "afpattribute:Alert"}),
                _old_row("urn:pending", pending=True),
            ])
            conn.execute(insert(t.releases), [
                {"uri": "urn:released", "version": 1, "released_at": released}])
    finally:
        engine.dispose()
    upgrade_database(registry_url)
    with SQLRegistry(registry_url) as reg:
        times = {uri: r for (uri, _), r in _times(reg).items()}
    assert times["urn:released"].wire_at == created
    assert times["urn:released"].published_at == released
    assert times["urn:written"].wire_at == T0 and times["urn:written"].published_at == T0
    assert times["urn:refused"].published_at is None and times["urn:pending"].published_at is None
    assert all(r.recorded_at == T0 for r in times.values())
    assert {uri: r.urgency_class for uri, r in times.items()} == {
        "urn:released": "urgent", "urn:written": "alert", "urn:refused": "other",
        "urn:pending": "other"}


def test_nearest_rank_percentiles_by_hand() -> None:
    # 20 values 1..20: p50 at rank ceil(10) = 10, p95 at rank ceil(19) = 19
    assert percentiles([float(x) for x in range(20, 0, -1)]) == percentiles(
        [float(x) for x in range(1, 21)])
    p = percentiles([float(x) for x in range(1, 21)])
    assert (p.count, p.p50, p.p95) == (20, 10.0, 19.0)
    # 3 values: p50 rank ceil(1.5) = 2, p95 rank ceil(2.85) = 3
    assert percentiles([7.0, 1.0, 4.0]).p50 == 4.0 and percentiles([7.0, 1.0, 4.0]).p95 == 7.0
    assert percentiles([]).p95 is None


def test_latency_by_group_and_hour(registry: SQLRegistry) -> None:
    """Known wire, recorded and published times set on recorded rows: the latencies follow."""
    now = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)
    registry.record_raw(key="raw/drop/1", source="drop", sha256="1" * 64, size=1,
                        received_at=now)
    v = t.versions.c
    seeded = {  # uri: (urgency, wire, recorded, published) in seconds before ``now``
        "urn:1": (None, 100, 90, 80), "urn:2": (None, 100, 70, 40),
        "urn:3": (None, 100, 40, 10), "urn:4": (1, 50, 45, None),
        "urn:old": (None, 3 * 86400, 60, 30),  # an archive load: left out
    }
    for uri, (urgency, *_) in seeded.items():
        registry.record_version(replace(article(uri, 1), urgency=urgency), raw_key="raw/drop/1",
                                received_at=now)
    with registry.engine.begin() as conn:
        for uri, (_, wire, rec, pub) in seeded.items():
            at = lambda s: None if s is None else now - timedelta(seconds=s)  # noqa: E731
            conn.execute(update(t.versions).where(v.uri == uri).values(
                wire_at=at(wire), recorded_at=at(rec), published_at=at(pub)))
    hour = last_hour(registry.engine, now)
    other = hour[("drop", "other")]
    # recorded - wire: 10, 30, 60; published - wire: 20, 60, 90
    assert (other.recorded.p50, other.recorded.p95) == (30.0, 60.0)
    assert (other.published.p50, other.published.p95, other.waiting) == (60.0, 90.0, 0)
    urgent = hour[("drop", "urgent")]
    assert (urgent.recorded.p95, urgent.published.count, urgent.waiting) == (5.0, 0, 1)
    assert hour[(ALL, ALL)].recorded.count == 4
    day = hourly(registry.engine, now)
    assert day.start == datetime(2026, 11, 26, 13, tzinfo=UTC)
    assert day.groups[("drop", "other")][-1].published.p95 == 90.0
    assert all(b.recorded.count == 0 for b in day.groups[("drop", "other")][:-1])
