"""``reconcile`` and ``ingest reconcile``: every kind of gap is found and named, and a
re-sent file or the same story through another format counts as a recorded duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wire_items import api_doc, api_page, g2

from ingest.cli import main
from ingest.pipeline import ingest_items, raw_key
from ingest.publish.objectstore import LocalObjectStore
from ingest.reconcile import NO_OUTCOME, NOT_RECORDED, NOT_STORED, reconcile
from ingest.registry import open_registry
from ingest.sources.base import RawItem

DAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
STORY = g2("urn:newsml:afp.com:20261127T083012Z:doc-r1", body="<p>The same story.</p>")
ITEMS = [
    RawItem("afp", "story.xml", STORY, "newsml-g2"),
    RawItem("afp-api", "page.json", api_page(api_doc("newsml.afp.com.20261127T083012Z.doc-r2")),
            "afp-api"),
    RawItem("afp", "broken.xml", STORY[:100], "newsml-g2"),
]


def test_versions_duplicates_and_quarantine_balance(registry_url: str, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    with open_registry(registry_url) as registry:
        ingest_items(ITEMS, registry=registry, store=store, received_at=DAY)
        resent = RawItem("afp", "story-again.xml", STORY, "newsml-g2")  # another day: new key
        ingest_items([resent], registry=registry, store=store, received_at=DAY + timedelta(1))
        report = reconcile(registry, store)
    assert report.ok, report.lines()
    assert (report.stored, report.versions) == (4, 2)
    assert report.duplicates == {"duplicate": 1}
    assert report.quarantined == {"malformed_xml": 1}


def test_every_gap_is_listed_and_the_command_fails(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = LocalObjectStore(tmp_path / "store")
    with open_registry(sqlite_url) as registry:
        ingest_items(ITEMS, registry=registry, store=store, received_at=DAY)
        lost = raw_key(ITEMS[1], DAY)
        store.delete(lost)  # recorded, but its bytes are gone
        stray = RawItem("afp", "stray.xml", b"<x/>")
        store.put(raw_key(stray, DAY), stray.data)  # stored, never recorded
        orphan = RawItem("afp", "orphan.xml", b"<y/>")
        key = raw_key(orphan, DAY)
        store.put(key, orphan.data)
        registry.record_raw(key=key, source="afp", sha256=key.rsplit("/", 1)[1], size=4,
                            received_at=DAY)  # killed before it was parsed
        report = reconcile(registry, store)
    assert report.gaps == {lost: NOT_STORED, raw_key(stray, DAY): NOT_RECORDED, key: NO_OUTCOME}
    monkeypatch.setenv("INGEST_HOME", str(tmp_path))
    monkeypatch.setenv("INGEST_REGISTRY_URL", sqlite_url)
    monkeypatch.setenv("INGEST_STORE_URL", store.url)
    partners = Path(__file__).parents[2] / "config/partners.yaml"
    monkeypatch.setenv("INGEST_PARTNERS_FILE", str(partners))
    assert main(["reconcile"]) == 1
    out = capsys.readouterr().out
    assert "unaccounted: 3" in out and lost in out and key in out
