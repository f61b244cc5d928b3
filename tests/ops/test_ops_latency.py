"""The ops view's latency section: ``/api/status`` numbers and charts against values worked
out by hand, on SQLite and PostgreSQL.

Fixtures: ``registry_url`` (tests/conftest.py), ``auth_manager`` and ``tokens``
(tests/ops/conftest.py, Airflow's SimpleAuthManager); the demo data from
``ops_support.fill``. The registry stamps versions with the database's clock, so the test
then sets each version's times directly, relative to the operator's ``NOW``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ops_support import FIRST, NOW, SECOND, STARLETTE_HTTPX, fill
from sqlalchemy import func, select, update

from ingest.ops import create_app
from ingest.registry import schema as t
from ingest.runtime import Runtime

pytestmark = pytest.mark.filterwarnings(STARLETTE_HTTPX)

S = timedelta(seconds=1)
M = timedelta(minutes=1)


class Seed:
    """One version's times: recorded ``recorded_after`` the wire, written ``published_after``
    it (None: still queued), recorded at ``at``; ``embargo``: seconds after the wire."""

    def __init__(self, cls: str, at: datetime, recorded_after: int,
                 published_after: int | None, embargo: int | None = None) -> None:
        self.cls, self.at = cls, at
        self.wire = at - recorded_after * S
        self.published = None if published_after is None else self.wire + published_after * S
        self.embargo = None if embargo is None else self.wire + embargo * S


# NOW is 12:30: the last hour is [11:30, 12:30), the day's buckets start at 13:00 the day before.
DROP = [
    *(Seed("other", NOW - 10 * M, rec, rec + extra)
      for rec, extra in ((30, 10), (60, 20), (90, 30), (600, 40))),
    Seed("other", NOW - 5 * M, 5, None),  # queued for articles/, not written yet
    # embargoed until 10 s after recording: published latency counts from the embargo's end
    Seed("urgent", NOW - 45 * M, 20, 55, embargo=30),
    Seed("other", NOW.replace(hour=2, minute=10), 100, 200),  # earlier today: the chart only
    Seed("other", NOW - 2 * timedelta(days=1), 1, 2),  # a day too old: nowhere
    Seed("other", NOW - 20 * M, 25 * 3600, 25 * 3600 + 1),  # wire a day before: an archive
]
ALERT = Seed("alert", NOW - 30 * M, 3, 7)  # from afp-api

# (source, class): versions, recorded p50/p95, published p50/p95, not written yet
LAST_HOUR = {
    ("afp-api", "alert"): (1, 3, 3, 7, 7, 0),
    ("all", "alert"): (1, 3, 3, 7, 7, 0),
    # recorded 3 5 20 30 60 90 600: ranks 4 and 7; published 7 25 40 80 120 640: ranks 3, 6
    ("all", "all"): (7, 30, 600, 40, 640, 1),
    ("all", "other"): (5, 60, 600, 80, 640, 1),
    ("all", "urgent"): (1, 20, 20, 25, 25, 0),
    # recorded 5 30 60 90 600: ranks 3 and 5; published 40 80 120 640: ranks 2 and 4
    ("drop", "other"): (5, 60, 600, 80, 640, 1),
    ("drop", "urgent"): (1, 20, 20, 25, 25, 0),
}


def _seed(rt: Runtime) -> None:
    """The demo's one alert becomes afp-api's; its other versions take ``DROP`` in turn."""
    v = t.versions.c
    with rt.registry.engine.begin() as conn:
        rows = conn.execute(select(v.uri, v.version, v.raw_key, v.urgency_class)
                            .order_by(v.uri, v.version)).all()
        (alert,) = [r for r in rows if r.urgency_class == "alert"]
        shared = conn.execute(select(func.count()).where(v.raw_key == alert.raw_key)).scalar()
        assert shared == 1  # its raw object carries nothing else
        conn.execute(update(t.raw_objects).where(t.raw_objects.c.key == alert.raw_key)
                     .values(source="afp-api"))
        others = [r for r in rows if r is not alert]
        assert len(others) >= len(DROP)
        far = Seed("other", NOW - 10 * timedelta(days=1), 1, 2)  # any left over: out of range
        for row, seed in zip(others, [*DROP, *[far] * (len(others) - len(DROP))], strict=True):
            _set(conn, row, seed)
        _set(conn, alert, ALERT)


def _set(conn: Any, row: Any, seed: Seed) -> None:
    v = t.versions.c
    conn.execute(
        update(t.versions).where(v.uri == row.uri, v.version == row.version).values(
            urgency_class=seed.cls, wire_at=seed.wire, recorded_at=seed.at,
            published_at=seed.published, pending=seed.published is None,
            embargoed_until=seed.embargo,
        ))


@pytest.fixture
def latency(tmp_path: Path, registry_url: str, auth_manager: Any,
            tokens: dict[str, str]) -> Iterator[dict[str, Any]]:
    rt, _ = fill(tmp_path / "ingest", FIRST, SECOND, registry_url=registry_url)
    _seed(rt)
    try:
        with TestClient(create_app(lambda: rt, clock=lambda: NOW)) as client:
            client.cookies.set("_token", tokens["viewer"])
            page = client.get("/").raise_for_status().text
            assert "Latency (last 24 h)" in page and 'id="latency-rows"' in page
            yield client.get("/api/status").raise_for_status().json()["latency"]
    finally:
        rt.registry.close()


def test_last_hour_per_source_and_class(latency: dict[str, Any]) -> None:
    served = {
        (r["source"], r["class"]): (r["count"], r["recorded_p50"], r["recorded_p95"],
                                    r["published_p50"], r["published_p95"], r["waiting"])
        for r in latency["last_hour"]
    }
    assert served == LAST_HOUR
    assert list(served) == [  # the table's order: every source, every class first
        ("all", "all"), ("all", "alert"), ("all", "urgent"), ("all", "other"),
        ("afp-api", "alert"), ("drop", "urgent"), ("drop", "other"),
    ]


def test_hourly_buckets_by_recording_hour(latency: dict[str, Any]) -> None:
    assert latency["hours_start"] == "2026-11-26T13:00:00Z"
    series = {(h["source"], h["class"]): h for h in latency["hourly"]}
    assert set(series) == set(LAST_HOUR)
    drop = series[("drop", "other")]
    expected: list[float | None] = [None] * 24
    early, last = 2 + 24 - 13, 23  # 02:10 and 12:20 in hours since 13:00 the day before
    for key, values in (("recorded_p50", (100, 60)), ("recorded_p95", (100, 600)),
                        ("published_p50", (200, 80)), ("published_p95", (200, 640))):
        want = list(expected)
        want[early], want[last] = values
        assert drop[key] == want, key
    urgent = series[("drop", "urgent")]["published_p95"]
    assert urgent[22] == 25 and sum(v is not None for v in urgent) == 1  # 11:45


def _paths(svg: str) -> list[tuple[str, str]]:
    return re.findall(r'<path class="[^"]*" data-class="([^"]*)" data-kind="([^"]*)"', svg)


def test_one_line_per_class_and_percentile(latency: dict[str, Any]) -> None:
    charts = {c["source"]: c["svg"] for c in latency["charts"]}
    assert list(charts) == ["all", "afp-api", "drop"]  # every source first
    for source, classes in (("all", ["alert", "urgent", "other"]), ("afp-api", ["alert"]),
                            ("drop", ["urgent", "other"])):
        assert sorted(_paths(charts[source])) == sorted(
            (cls, kind) for cls in classes for kind in ("p95", "p50")), source
    drop = charts["drop"]
    assert ">640 s</text>" in drop  # y axis: the highest published p95
    assert 'class="line p50 other"' in drop and "solid p95, dashed p50" in drop
    # the hours between 02:00 and 12:00 have nothing: the other p95 line starts twice
    (other_p95,) = re.findall(r'class="line p95 other"[^>]*d="([^"]*)"', drop)
    assert other_p95.count("M") == 2
