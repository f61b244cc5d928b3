"""``reconcile``'s accounting, case by case: each way a raw object is accounted for is
counted exactly, and each way it can fail to be (above all the "unaccounted object": stored
and recorded, but no version, duplicate or quarantine) is named per key.

States are made through the real registry (SQLite) and a directory store; where the
pipeline cannot leave a gap on purpose, the registry's own calls leave it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wire_items import g2

from ingest.pipeline import ingest_items, raw_key
from ingest.publish.objectstore import LocalObjectStore
from ingest.reconcile import NO_OUTCOME, NOT_RECORDED, NOT_STORED, reconcile
from ingest.registry import SQLRegistry, open_registry
from ingest.sources.base import RawItem

DAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
STORY = g2("urn:newsml:afp.com:20261127T083012Z:doc-m1", body="<p>A story told twice.</p>")


@pytest.fixture
def registry(sqlite_url: str) -> Iterator[SQLRegistry]:
    with open_registry(sqlite_url) as reg:
        yield reg


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def _stored_and_recorded(
    registry: SQLRegistry, store: LocalObjectStore, name: str, data: bytes
) -> str:
    """A raw object as the pipeline leaves it just before parsing (then killed)."""
    item = RawItem("afp", name, data)
    key = raw_key(item, DAY)
    store.put(key, data)
    registry.record_raw(key=key, source="afp", sha256=key.rsplit("/", 1)[1], size=len(data),
                        received_at=DAY)
    return key


def test_each_unaccounted_object_is_a_gap_of_its_own(
    registry: SQLRegistry, store: LocalObjectStore
) -> None:
    lost = [_stored_and_recorded(registry, store, f"lost-{n}.xml", f"<x n='{n}'/>".encode())
            for n in range(3)]
    report = reconcile(registry, store)
    assert report.gaps == dict.fromkeys(lost, NO_OUTCOME)
    assert not report.ok
    assert (report.stored, report.recorded, report.versions) == (3, 3, 0)
    lines = report.lines()
    assert lines[-4] == "unaccounted: 3"
    assert lines[-3:] == [f"  {key}: {NO_OUTCOME}" for key in sorted(lost)]


def test_a_quarantined_member_accounts_for_its_archive_but_not_for_others(
    registry: SQLRegistry, store: LocalObjectStore
) -> None:
    archive = _stored_and_recorded(registry, store, "bundle.zip", b"PK-bundle")
    other = _stored_and_recorded(registry, store, "other.zip", b"PK-other")
    registry.quarantine(raw_key=f"{archive}#inner/a.xml", source="drop",
                        reason="malformed_xml", detail="member a", at=DAY)
    registry.quarantine(raw_key=f"{archive}#inner/b#2.xml", source="drop",  # "#" in a name
                        reason="unknown_format", detail="member b", at=DAY)
    report = reconcile(registry, store)
    assert report.gaps == {other: NO_OUTCOME}
    assert sum(report.quarantined.values()) == 1  # one archive, counted once
    assert report.source_failures == 0


def test_source_failures_are_counted_and_account_for_no_object(
    registry: SQLRegistry, store: LocalObjectStore
) -> None:
    stray = _stored_and_recorded(registry, store, "stray.xml", b"<stray/>")
    for n in range(2):
        registry.quarantine(raw_key=f"afp-api:page-{n}", source="afp-api",
                            reason="fetch_failed", detail="HTTP 503", at=DAY)
    report = reconcile(registry, store)
    assert report.source_failures == 2
    assert report.quarantined == {}
    assert report.gaps == {stray: NO_OUTCOME}
    assert "source failures (no raw object): 2" in report.lines()


def test_quarantine_of_an_unrecorded_object_still_leaves_it_unrecorded(
    registry: SQLRegistry, store: LocalObjectStore
) -> None:
    """Stored, quarantined, never recorded as raw: a gap, and not a source failure."""
    item = RawItem("afp", "half.xml", b"<half")
    key = raw_key(item, DAY)
    store.put(key, item.data)
    registry.quarantine(raw_key=key, source="afp", reason="malformed_xml", detail="", at=DAY)
    report = reconcile(registry, store)
    assert report.gaps == {key: NOT_RECORDED}
    assert (report.source_failures, report.stored, report.recorded) == (0, 1, 0)


def test_a_recorded_object_whose_bytes_are_gone_is_a_gap_even_if_quarantined(
    registry: SQLRegistry, store: LocalObjectStore
) -> None:
    key = _stored_and_recorded(registry, store, "gone.xml", b"<gone")
    registry.quarantine(raw_key=key, source="afp", reason="malformed_xml", detail="", at=DAY)
    store.delete(key)
    report = reconcile(registry, store)
    assert report.gaps == {key: NOT_STORED}
    assert report.source_failures == 0 and report.quarantined == {}


def test_every_outcome_is_counted_exactly(registry: SQLRegistry, store: LocalObjectStore) -> None:
    """Two stories, the first re-sent on two later days, three broken files (two reasons)."""
    other = g2("urn:newsml:afp.com:20261127T083012Z:doc-m2", body="<p>Another story.</p>")
    items = [RawItem("afp", "story.xml", STORY, "newsml-g2"),
             RawItem("afp", "other.xml", other, "newsml-g2"),
             RawItem("afp", "broken-1.xml", STORY[:90], "newsml-g2"),
             RawItem("afp", "broken-2.xml", STORY[:120], "newsml-g2"),
             RawItem("afp", "empty.xml", b"", "newsml-g2")]
    ingest_items(items, registry=registry, store=store, received_at=DAY)
    for days in (1, 2):
        ingest_items([RawItem("afp", "story.xml", STORY, "newsml-g2")], registry=registry,
                     store=store, received_at=DAY + timedelta(days))
    report = reconcile(registry, store)
    assert report.ok, report.lines()
    assert (report.stored, report.recorded, report.versions) == (7, 7, 2)
    assert report.duplicates == {"duplicate": 2}
    assert report.quarantined == {"malformed_xml": 2, "empty": 1}
    assert report.lines()[:3] == [
        "raw objects: 7 stored, 7 recorded",
        "  became versions: 2",
        "  duplicates: 2 {'duplicate': 2}",
    ]
    assert report.lines()[3] == "  quarantined: 3 {'empty': 1, 'malformed_xml': 2}"
