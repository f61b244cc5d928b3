"""A backfill leaves the registry and the store exactly as a live ingest of the same items."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backfill_helpers import make_bucket, objects, registry_state, upload

from ingest.backfill import BackfillRequest, ChunkOptions, run_backfill
from ingest.pipeline import SKIPPED, IngestReport, ingest_items, publish_articles
from ingest.publish.objectstore import ObjectStore, open_store
from ingest.runtime import Runtime
from ingest.sources.drop import ArchiveLimits, expand, is_picture_file

MakeRuntime = Callable[[Path, str, str], Runtime]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SMALL = ChunkOptions(concurrency=3, checkpoint_every=2)


def live_ingest(rt: Runtime, source: ObjectStore) -> IngestReport:
    """The reference: each archived file through ``ingest_items`` as the drop folder hands it."""
    report = IngestReport()
    for info in source.list(""):
        assert info.last_modified is not None
        if is_picture_file(info.key):  # a photo beside its item: the drop folder skips it
            continue
        items = expand(info.key, source.get(info.key), ArchiveLimits())
        report.merge(ingest_items(items, registry=rt.registry, store=rt.store,
                                  received_at=info.last_modified))
    publish_articles(rt, now=NOW)
    return report


def check_same_as_live(
    tmp_path: Path, source_url: str, live: Runtime, backfill: Runtime
) -> None:
    expected = live_ingest(live, open_store(source_url))
    request = BackfillRequest(source_url, chunk_size=4, publish=True)
    result = run_backfill(backfill, request, now=NOW, options=SMALL)

    assert result.plan.chunks == -(-result.plan.objects // 4)
    assert {"malformed_xml", "unknown_format", "missing_headline"} <= set(expected.quarantined)
    assert expected.results["new"] > 5 and expected.results["duplicate"] >= 1
    # Identical bytes met again (a copy, a zip member) are one raw object: the backfill skips
    # them where the live path parses them again (and bumps quarantine attempts).
    assert result.report.raw_items == expected.raw_items
    assert result.report.results[SKIPPED] > 0
    assert set(result.report.quarantined) == set(expected.quarantined)
    assert registry_state(backfill.settings.registry_url, exact=False) == registry_state(
        live.settings.registry_url, exact=False
    )
    assert objects(backfill.store, "articles/") == objects(live.store, "articles/")
    assert objects(backfill.store, "raw/") == objects(live.store, "raw/")

    # The same backfill again reuses its listing and checkpoints: nothing is written.
    state, stored = registry_state(backfill.settings.registry_url), objects(backfill.store, "")
    again = run_backfill(backfill, request, now=NOW, options=SMALL)
    assert again.report.to_dict() == result.report.to_dict()
    assert registry_state(backfill.settings.registry_url) == state
    assert objects(backfill.store, "") == stored

    # A new backfill id lists again but skips every raw object the registry already knows.
    fresh = run_backfill(backfill, BackfillRequest(source_url, publish=True, run_id="second"),
                         now=NOW, options=SMALL)
    assert fresh.report.raw_new == 0 and set(fresh.report.results) == {SKIPPED}
    # Only unreadable archives (no raw object to know them by) fail again: attempts go up.
    assert set(fresh.report.quarantined) == {"unknown_format"}
    assert registry_state(backfill.settings.registry_url, exact=False) == registry_state(
        live.settings.registry_url, exact=False
    )
    assert objects(backfill.store, "articles/") == objects(live.store, "articles/")


def test_backfill_from_disk_matches_live_ingest(
    tmp_path: Path, archive: Path, registry_url: str, runtimes: MakeRuntime
) -> None:
    live = runtimes(tmp_path / "live", f"sqlite:///{tmp_path / 'live.db'}",
                        (tmp_path / "live-store").as_uri())
    backfill = runtimes(tmp_path / "bf", registry_url, (tmp_path / "bf-store").as_uri())
    check_same_as_live(tmp_path, archive.as_uri(), live, backfill)


def test_backfill_from_s3_matches_live_ingest(
    tmp_path: Path, archive: Path, sqlite_url: str, s3_env: str, runtimes: MakeRuntime
) -> None:
    run = uuid.uuid4().hex[:8]
    source_url = make_bucket(f"archive-{run}")
    upload(archive, open_store(source_url))
    out = make_bucket(f"out-{run}")
    live = runtimes(tmp_path / "live", f"sqlite:///{tmp_path / 'live.db'}", out + "live")
    backfill = runtimes(tmp_path / "bf", sqlite_url, out + "backfill")
    check_same_as_live(tmp_path, source_url, live, backfill)


def test_reprocess_after_a_rules_change_renormalises_the_archive(
    tmp_path: Path, archive: Path, registry_url: str, runtimes: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Load an archive under older rules (sign-off lines kept in bodies), then reprocess it
    under today's: its versions, never syndicated, take the new normalisation and audit."""
    import re

    import ingest.parsers.body as body

    rt = runtimes(tmp_path / "bf", registry_url, (tmp_path / "store").as_uri())
    monkeypatch.setattr(body, "_SIGNOFF", re.compile(r"(?!)"))  # the "old rules"
    old = run_backfill(rt, BackfillRequest(archive.as_uri()), now=NOW, options=SMALL)
    assert "signoff" not in old.report.stripped and old.report.results["new"] > 5
    monkeypatch.undo()

    redo = BackfillRequest(archive.as_uri(), reprocess=True)
    result = run_backfill(rt, redo, now=NOW, options=SMALL)
    changed = result.report.results["renormalised"]
    assert changed >= 1 and result.report.stripped["signoff"] == changed
    # The same story through another format or file stays what it was (conflict/duplicate).
    assert set(result.report.results) <= {"renormalised", "duplicate", "conflict"}
    audits = objects(rt.store, "audit/").values()
    assert sum(b'"signoff"' in audit for audit in audits) == changed
    assert objects(rt.store, "articles/") == {}  # still the archive's, not syndicated
    with rt.registry.engine.connect() as conn:
        records = [r for (r,) in conn.exec_driver_sql("SELECT record FROM versions")]
    assert not any(re.search(r"<p>[a-z]+(/[a-z]+)+</p>", str(r)) for r in records)

    # A second reprocess under the same rules finds nothing to change.
    again = run_backfill(rt, BackfillRequest(archive.as_uri(), reprocess=True, run_id="again"),
                         now=NOW, options=SMALL)
    assert "renormalised" not in again.report.results

    # Back to the old rules: the sign-offs return to the bodies and their audits go.
    monkeypatch.setattr(body, "_SIGNOFF", re.compile(r"(?!)"))
    back = run_backfill(rt, BackfillRequest(archive.as_uri(), reprocess=True, run_id="back"),
                        now=NOW, options=SMALL)
    assert back.report.results["renormalised"] == changed
    assert not any(b'"signoff"' in audit for audit in objects(rt.store, "audit/").values())
