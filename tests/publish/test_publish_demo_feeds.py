"""The demo's own publication (``make demo``: the samples dropped, ``afp_ingest`` then
``partner_feeds``, the kill in a second round) through the library calls its DAG tasks
make, without Airflow; every feed written is checked by every rule of ``feed_rules``
(RFC 4287, RSS 2.0, the W3C Feed Validator's errors, JSON Feed, ninjs, the NewsML-G2 XSD).
The inputs are the repository's ``samples/`` and ``config/partners.yaml``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feed_rules import format_problems

from ingest.config import Settings
from ingest.pipeline import (
    ingest_drop_files,
    list_drop_chunks,
    partner_ids,
    publish_articles,
    publish_partner,
)
from ingest.publish.formats import formats
from ingest.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # the samples' day


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Runtime, Path]]:
    drop = tmp_path / "drop"
    shutil.copytree(REPO / "samples", drop, ignore=shutil.ignore_patterns("*kill*", "README*"))
    for path in drop.iterdir():  # dropped before the run (the drop waits for files to settle)
        _dropped_at(path, NOW - timedelta(hours=1))
    rt = Runtime(Settings.from_env({
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_DROP_URL": drop.as_uri(), "INGEST_DROP_SETTLE_SECONDS": "0"}))
    rt.registry.upgrade()
    try:
        yield rt, drop
    finally:
        rt.close()


def _dropped_at(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def _run_dags(rt: Runtime, now: datetime) -> None:
    """What ``afp_ingest`` (its drop tasks) and ``partner_feeds`` call, in their order."""
    for chunk in list_drop_chunks(rt, now=now, chunk_size=200):
        ingest_drop_files(rt, chunk, now=now)
    publish_articles(rt, now=now)
    for pid in partner_ids(rt):
        publish_partner(rt, pid, now=now)


def _feeds(rt: Runtime) -> dict[str, tuple[str, bytes]]:
    """Every document under ``feeds/``, with its format (archive pages are Atom)."""
    by_file = {f.filename: f.name for f in formats().values()}
    out = {}
    for info in rt.store.list("feeds/"):
        name = info.key.rsplit("/", 1)[-1]
        fmt = "atom" if "/archive/atom-" in info.key else by_file[name]
        out[info.key] = (fmt, rt.store.get(info.key))
    return out


def test_every_feed_the_demo_writes_passes_every_rule(demo: tuple[Runtime, Path]) -> None:
    rt, drop = demo
    _run_dags(rt, NOW)
    first = _feeds(rt)
    formats_seen = {fmt for fmt, _ in first.values()}
    assert formats_seen == set(formats())  # config/partners.yaml takes all five
    for key, (fmt, data) in first.items():
        assert format_problems(fmt, data) == [], key

    for kill in (REPO / "samples").glob("*kill*"):  # round 2: the kill arrives
        shutil.copy(kill, drop / kill.name)
        _dropped_at(drop / kill.name, NOW + timedelta(minutes=1))
    _run_dags(rt, NOW + timedelta(minutes=5))
    after = _feeds(rt)
    assert any(b"[KILL]" in data for _, data in after.values())
    for key, (fmt, data) in after.items():
        assert format_problems(fmt, data) == [], key
