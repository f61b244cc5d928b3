"""The ops view's read queries on both databases, over the demo's two runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_support import FIRST, KILL, KILLED_URI, NOW, SECOND, fill

from ingest.ops import queries as q
from ingest.runtime import Runtime


@pytest.fixture
def filled(tmp_path: Path, registry_url: str) -> Iterator[tuple[Runtime, list]]:
    rt, reports = fill(tmp_path / "ingest", FIRST, SECOND, registry_url=registry_url)
    yield rt, reports
    rt.registry.close()


def test_hourly_counts_put_each_run_in_its_hour(filled: tuple[Runtime, list]) -> None:
    rt, reports = filled
    hourly = q.hourly(rt.registry.engine, now=NOW)
    assert hourly.start == NOW.replace(minute=0) - 23 * q.HOUR
    hour = {at: int((at - hourly.start) / q.HOUR) for at in (FIRST, SECOND)}
    drop = hourly.ingested["drop"]
    assert [drop[hour[FIRST]], drop[hour[SECOND]]] == [
        sum(r.results.get(k, 0) for k in ("new", "same_content")) for r in reports
    ]
    assert sum(drop) == drop[hour[FIRST]] + drop[hour[SECOND]]
    assert hourly.quarantined["drop"][hour[FIRST]] == sum(reports[0].quarantined.values()) == 1


def test_windows_newest_item_and_sources(filled: tuple[Runtime, list]) -> None:
    rt, _ = filled
    engine = rt.registry.engine
    windows = q.last_windows(engine)
    assert windows["drop"].position.endswith(f"/drop/{KILL}")  # the newest done file
    assert "afp-api" not in windows  # no AFP API configured in the demo
    assert q.raw_sources(engine) == ["drop"]
    assert set(q.newest_publication(engine)) == {"drop"}


def test_deliveries_and_kills(filled: tuple[Runtime, list]) -> None:
    rt, _ = filled
    engine = rt.registry.engine
    by_feed = {(d.partner, d.format): d for d in q.format_deliveries(engine)}
    assert by_feed[("demo-news", "rss")].items >= 1
    assert by_feed[("demo-news", "rss")].kills == 1
    kill = q.last_kills(engine)["demo-news"]
    assert (kill.uri, kill.version, kill.at) == (KILLED_URI, 4, SECOND)
    assert "markets-wire" not in q.last_kills(engine)  # never received the story


def test_quarantine_facets_and_row(filled: tuple[Runtime, list]) -> None:
    rt, _ = filled
    engine = rt.registry.engine
    assert q.quarantine_facets(engine) == [
        {"source": "drop", "reason": "malformed_xml", "total": 1, "pending": 1}
    ]
    (row,) = rt.registry.quarantined()
    assert q.quarantine_row(engine, row.raw_key) == row
    assert q.quarantine_row(engine, "raw/none") is None
    published = q.recently_published(engine)
    assert any(p.uri == KILLED_URI and p.status == "canceled" for p in published)
