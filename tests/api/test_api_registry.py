"""The registry's side of the API: the release log, keys and request counts, on both backends."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from ingest.model import Article
from ingest.registry import SQLRegistry, open_registry
from ingest.registry import schema as t
from ingest.registry.api import PartnerKey
from migration_support import migrate

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _version(uri: str, version: int) -> Article:
    return Article(uri=uri, version=version, headline=f"{uri} {version}",
                   body_html="<p>x</p>", version_created=T0, provider="AFP")


def _log(reg: SQLRegistry) -> list[tuple[str, int]]:
    return [(r.row.uri, r.row.version) for r in reg.releases_after(0, limit=100)]


def test_versions_are_released_once_in_the_order_written(registry: SQLRegistry) -> None:
    for uri, version in (("urn:a", 1), ("urn:b", 1), ("urn:a", 2), ("urn:c", 1)):
        registry.record_version(_version(uri, version), raw_key=None, received_at=T0)
    assert registry.last_release() == 0 and _log(registry) == []
    registry.mark_written_many([("urn:b", 1, "k/b1"), ("urn:a", 1, "k/a1"), ("urn:c", 1, "")])
    registry.mark_written_many([("urn:a", 2, "k/a2"), ("urn:b", 1, "k/b1")])  # b1 again
    assert _log(registry) == [("urn:b", 1), ("urn:a", 1), ("urn:a", 2)]  # c1 was refused
    seqs = [r.seq for r in registry.releases_after(0, limit=100)]
    assert seqs == sorted(seqs) and registry.last_release() == seqs[-1]
    assert [(r.row.uri, r.row.version) for r in registry.releases_after(seqs[0], limit=1)] == [
        ("urn:a", 1)]
    history = registry.story_releases(["urn:a", "urn:b", "urn:zz"], upto=seqs[1])
    assert {u: [r.row.version for r in rs] for u, rs in history.items()} == {
        "urn:a": [1], "urn:b": [1]}
    released = registry.releases_after(0, limit=1)[0].released_at
    assert registry.release_position(released - timedelta(seconds=1)) == 0
    assert registry.release_position(released + timedelta(hours=1)) == seqs[-1]


def test_keys_are_stored_and_revoked_once(registry: SQLRegistry) -> None:
    registry.add_partner_key(PartnerKey("abc", "demo", "0" * 64, T0, None))
    registry.add_partner_key(PartnerKey("def", "demo", "1" * 64, T0 + timedelta(1), None))
    assert registry.partner_key("abc") == PartnerKey("abc", "demo", "0" * 64, T0, None)
    assert registry.partner_key("nope") is None
    assert registry.revoke_partner_key("abc", T0 + timedelta(2))
    assert not registry.revoke_partner_key("abc", T0 + timedelta(3))
    assert not registry.revoke_partner_key("nope", T0)
    assert [(k.id, k.revoked_at) for k in registry.partner_keys()] == [
        ("abc", T0 + timedelta(2)), ("def", None)]


def test_requests_are_counted_per_key_and_minute(registry: SQLRegistry) -> None:
    assert [registry.count_request("k", 100) for _ in range(3)] == [1, 2, 3]
    assert registry.count_request("other", 100) == 1
    assert registry.count_request("k", 101) == 1  # a new minute; the old one is dropped
    with registry.engine.connect() as conn:
        rows = conn.execute(t.api_usage.select().order_by(t.api_usage.c.key_id)).all()
    assert [(r.key_id, r.minute, r.requests) for r in rows] == [("k", 101, 1), ("other", 100, 1)]


def test_the_migration_releases_what_was_already_written(registry_url: str) -> None:
    # Recorded by today's registry, then the schema taken back to 0003 with the rows in it
    # (today's inserts name columns 0003 lacks).
    migrate(registry_url, "head")
    with SQLRegistry(registry_url) as reg:
        reg.record_version(_version("urn:late", 1), raw_key=None, received_at=T0 + timedelta(1))
        reg.record_version(_version("urn:early", 1), raw_key=None, received_at=T0)
        reg.record_version(_version("urn:unwritten", 1), raw_key=None, received_at=T0)
        migrate(registry_url, "0003", down=True)
        v = t.versions.c
        with reg.engine.begin() as conn:  # written before 0004: no release log to append to
            conn.execute(update(t.versions).where(v.uri != "urn:unwritten")
                         .values(published_key="k", pending=False))
        migrate(registry_url, "head")
        assert _log(reg) == [("urn:early", 1), ("urn:late", 1)]


@pytest.mark.postgres
def test_a_release_committed_late_is_never_behind_a_reader(pg_url: str) -> None:
    """Writer A takes its position, then stalls before committing; writer B releases
    meanwhile. Were B's later position visible first, a reader there would skip A's."""
    with open_registry(pg_url) as reg:
        for uri in ("urn:a", "urn:b"):
            reg.record_version(_version(uri, 1), raw_key=None, received_at=T0)
        stalled = threading.Event()

        def stall_a(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "INSERT INTO releases" in statement and threading.current_thread().name == "A":
                stalled.set()
                time.sleep(0.5)

        event.listen(reg.engine, "after_cursor_execute", stall_a)
        a = threading.Thread(name="A", target=reg.mark_written_many, args=([("urn:a", 1, "k")],))
        a.start()
        assert stalled.wait(10)
        reg.mark_written_many([("urn:b", 1, "k")])  # waits for A's commit: positions in order
        seen = reg.releases_after(0, limit=10)
        a.join()
        seen += reg.releases_after(seen[-1].seq, limit=10)
        assert sorted(r.row.uri for r in seen) == ["urn:a", "urn:b"]
