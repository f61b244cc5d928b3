"""Each registry rule, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from story_factory import T0, article

from ingest.model import Article
from ingest.registry import Delivery, RecordResult, SQLRegistry, sql

NOW = T0 + timedelta(days=1)


def record(reg: SQLRegistry, *versions: Article) -> list[RecordResult]:
    return [
        reg.record_version(v, raw_key=f"raw/{v.uri}/{v.version}", received_at=T0) for v in versions
    ]


def feed(
    reg: SQLRegistry, now: datetime = NOW, since: datetime | None = None
) -> list[tuple[str, int]]:
    return [(r.uri, r.version) for r in reg.feed_items(now, since=since)]


def test_record_raw_once(registry: SQLRegistry) -> None:
    for at, new in ((T0, True), (NOW, False)):
        assert (
            registry.record_raw(
                key="raw/afp/x", source="afp", sha256="ab" * 32, size=10, received_at=at
            )
            is new
        )


def test_same_item_twice_is_duplicate_and_changes_nothing(registry: SQLRegistry) -> None:
    v1 = article("urn:a", 1)
    assert record(registry, v1, v1) == [RecordResult.NEW, RecordResult.DUPLICATE]
    latest = registry.latest("urn:a")
    assert latest is not None
    assert (latest.version, latest.raw_key, latest.article) == (1, "raw/urn:a/1", v1)
    assert [r.version for r in registry.versions_to_write(NOW)] == [1]


def test_same_version_other_content_is_conflict_first_kept(registry: SQLRegistry) -> None:
    first, other = article("urn:a", 1), article("urn:a", 1, headline="something else")
    assert record(registry, first, other) == [RecordResult.NEW, RecordResult.CONFLICT]
    latest = registry.latest("urn:a")
    assert latest is not None and latest.article.headline == first.headline


def test_renormalising_rewrites_only_what_no_partner_can_have_seen(
    registry: SQLRegistry,
) -> None:
    """Reprocessing after a rules change: the archive's own versions (recorded unsyndicated,
    never written or sent) take the new normalisation; versions that went out do not."""
    from ingest.registry.api import VersionRecord

    def load(*versions: Article, syndicate: bool, renormalise: bool) -> list[RecordResult]:
        return registry.record_versions(
            [VersionRecord(v, f"raw/{v.uri}/{v.version}", T0) for v in versions],
            syndicate=syndicate, renormalise=renormalise,
        )

    archive = [article("urn:arch", 1), article("urn:arch", 2), article("urn:kill", 1)]
    live = [article("urn:written", 1), article("urn:queued", 1), article("urn:sent", 1)]
    assert load(*archive, syndicate=False, renormalise=False) == [RecordResult.NEW] * 3
    assert load(*live, syndicate=True, renormalise=False) == [RecordResult.NEW] * 3
    registry.mark_written("urn:written", 1, "articles/written/v1.json")
    registry.mark_written("urn:sent", 1, "articles/sent/v1.json")
    registry.record_deliveries("p1", "rss", [Delivery("urn:sent", 1, "item")], NOW)

    better = [replace(a, headline=f"{a.headline} (new rules)") for a in archive + live]
    killed = replace(article("urn:kill", 1, "canceled"), headline="a kill now")
    assert load(*better, killed, syndicate=False, renormalise=True) == [
        RecordResult.RENORMALISED, RecordResult.RENORMALISED, RecordResult.RENORMALISED,
        RecordResult.CONFLICT, RecordResult.CONFLICT, RecordResult.CONFLICT,
        RecordResult.CONFLICT,  # the status differs: not a normalisation change
    ]
    for uri, version, headline in [("urn:arch", 2, "(new rules)"), ("urn:written", 1, None)]:
        stored = registry.latest(uri)
        assert stored is not None and stored.version == version
        assert stored.article.headline.endswith("(new rules)") == (headline is not None)
        assert stored.content_hash == (
            better[1].content_hash() if headline else live[0].content_hash()
        )
    # The rewritten version is still the archive's: unsyndicated, nothing to write.
    assert {r.uri for r in registry.versions_to_write(NOW)} == {"urn:queued"}
    # Without renormalise the same changes stay conflicts, and a rerun is a duplicate.
    assert load(better[0], syndicate=False, renormalise=False) == [RecordResult.DUPLICATE]
    assert load(archive[0], syndicate=False, renormalise=False) == [RecordResult.CONFLICT]


def test_same_content_new_version_is_seen_not_a_change(registry: SQLRegistry) -> None:
    v1 = article("urn:a", 1)
    v2 = replace(v1, version=2, version_created=T0 + timedelta(hours=5))
    other = article("urn:b", 1, created=T0 + timedelta(hours=1))
    assert record(registry, v1, other, v2) == [
        RecordResult.NEW,
        RecordResult.NEW,
        RecordResult.SAME_CONTENT,
    ]
    assert record(registry, v2) == [RecordResult.DUPLICATE]
    # v2 is the latest, but it is not written again and does not jump the feed.
    assert [(r.uri, r.version) for r in registry.versions_to_write(NOW)] == [
        ("urn:a", 1),
        ("urn:b", 1),
    ]
    assert feed(registry) == [("urn:b", 1), ("urn:a", 2)]
    registry.mark_written("urn:a", 1, "articles/a/v1.json")
    latest = registry.latest("urn:a")
    assert latest is not None
    assert (latest.version, latest.published_key) == (2, "articles/a/v1.json")


def test_latest_is_highest_version_not_last_arrived(registry: SQLRegistry) -> None:
    results = record(registry, article("urn:a", 3), article("urn:a", 1), article("urn:a", 2))
    assert results == [RecordResult.NEW] * 3
    latest = registry.latest("urn:a")
    assert latest is not None and latest.version == 3
    assert feed(registry) == [("urn:a", 3)]
    assert registry.latest("urn:missing") is None
    assert registry.story_status("urn:missing") is None


def test_correction_supersedes_and_carries_signals_and_note(registry: SQLRegistry) -> None:
    record(registry, article("urn:a", 1), article("urn:a", 2, correction=True))
    latest = registry.latest("urn:a")
    assert latest is not None
    assert latest.version == 2
    assert latest.article.signals == ["correction"]
    assert latest.article.ed_note == "CORRECTS version 1"
    assert feed(registry) == [("urn:a", 2)]


def test_kill_is_forever_and_reaches_every_partner_who_received(registry: SQLRegistry) -> None:
    record(registry, article("urn:a", 1), article("urn:keep", 1))
    registry.mark_written("urn:a", 1, "articles/a/v1.json")
    assert registry.record_deliveries("p1", "rss", [Delivery("urn:a", 1, "item")], NOW) == 1
    assert registry.record_deliveries("p3", "rss", [Delivery("urn:keep", 1, "item")], NOW) == 1
    record(registry, article("urn:a", 2, "canceled"))
    # Neither a late older version nor a newer non-kill brings it back.
    record(registry, article("urn:a", 3), article("urn:a", 1, headline="late retransmission"))
    assert registry.story_status("urn:a") == "canceled"
    assert feed(registry) == [("urn:keep", 1)]
    kills = registry.kills_for("p1", "rss")
    assert [(k.uri, k.version, k.status) for k in kills] == [("urn:a", 2, "canceled")]
    assert registry.kills_for("p1", "atom") == []
    assert registry.kills_for("p3", "rss") == []
    # The kill notice is written; the version after it never is.
    assert [(r.uri, r.version) for r in registry.versions_to_write(NOW)] == [
        ("urn:a", 2),
        ("urn:keep", 1),
    ]


def test_kill_arriving_before_the_versions_it_kills(registry: SQLRegistry) -> None:
    record(registry, article("urn:a", 2, "canceled"), article("urn:a", 1))
    registry.record_deliveries("p1", "rss", [Delivery("urn:a", 1, "item")], NOW)
    assert registry.story_status("urn:a") == "canceled"
    assert feed(registry) == []
    assert [k.version for k in registry.kills_for("p1", "rss")] == [2]
    assert [r.version for r in registry.versions_to_write(NOW)] == [2]


def test_kills_since_keep_only_kill_versions_received_from_then_on(
    registry: SQLRegistry,
) -> None:
    later = T0 + timedelta(hours=5)
    record(registry, article("urn:old", 1), article("urn:new", 1), article("urn:again", 1))
    registry.record_deliveries(
        "p1", "rss", [Delivery(u, 1, "item") for u in ("urn:old", "urn:new", "urn:again")], NOW
    )
    record(registry, article("urn:old", 2, "canceled"), article("urn:again", 2, "canceled"))
    for kill in (article("urn:new", 2, "canceled"), article("urn:again", 3, "canceled")):
        registry.record_version(kill, raw_key=None, received_at=later)
    assert [(k.uri, k.version) for k in registry.kills_for("p1", "rss")] == [
        ("urn:new", 2), ("urn:again", 3), ("urn:old", 2)]  # newest first kill first
    # A second kill version arriving later counts from its own arrival.
    assert [(k.uri, k.version) for k in registry.kills_for("p1", "rss", since=later)] == [
        ("urn:new", 2), ("urn:again", 3)]
    assert registry.kills_for("p1", "rss", since=later + timedelta(seconds=1)) == []
    assert registry.kills_for("p2", "rss", since=T0) == []


def test_embargoed_version_waits_until_its_time(registry: SQLRegistry) -> None:
    lifted = NOW + timedelta(hours=2)
    record(registry, article("urn:a", 1, embargo=lifted))
    assert registry.latest("urn:a") is not None
    assert registry.versions_to_write(NOW) == []
    assert feed(registry) == []
    assert [r.version for r in registry.versions_to_write(lifted)] == [1]
    assert feed(registry, lifted) == [("urn:a", 1)]


def test_withheld_leaves_feed_without_a_kill(registry: SQLRegistry) -> None:
    record(registry, article("urn:a", 1))
    registry.record_deliveries("p1", "rss", [Delivery("urn:a", 1, "item")], NOW)
    record(registry, article("urn:a", 2, "withheld"))
    assert registry.story_status("urn:a") == "withheld"
    assert feed(registry) == []
    assert registry.kills_for("p1", "rss") == []
    record(registry, article("urn:a", 3))
    assert registry.story_status("urn:a") == "usable"
    assert feed(registry) == [("urn:a", 3)]


def test_feed_newest_first_in_pages_and_since(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "FEED_FIRST_PAGE", 1)
    monkeypatch.setattr(sql, "FEED_PAGE", 2)
    for i in range(5):
        record(registry, article(f"urn:{i}", 1, created=T0 + timedelta(hours=i)))
    # Two stories created at the same moment are ordered by uri, each exactly once.
    record(registry, article("urn:tie", 1, created=T0 + timedelta(hours=3)))
    expected = ["urn:4", "urn:tie", "urn:3", "urn:2", "urn:1", "urn:0"]
    assert [uri for uri, _ in feed(registry)] == expected
    since = T0 + timedelta(hours=3)
    assert [uri for uri, _ in feed(registry, since=since)] == expected[:3]


def test_deliveries_count_only_new_rows(registry: SQLRegistry) -> None:
    items = [Delivery("urn:a", 1, "item"), Delivery("urn:b", 1, "item")]
    assert registry.record_deliveries("p1", "rss", items, NOW) == 2
    assert registry.record_deliveries("p1", "rss", [*items, Delivery("urn:a", 2, "kill")], NOW) == 1
    assert registry.record_deliveries("p1", "atom", items, NOW) == 2
    assert registry.record_deliveries("p1", "atom", [], NOW) == 0


def test_quarantine_bumps_filters_and_replays(registry: SQLRegistry) -> None:
    registry.quarantine(raw_key="r1", source="afp", reason="empty", detail="d1", at=T0)
    registry.quarantine(raw_key="r2", source="web", reason="empty", detail="d2", at=T0)
    registry.quarantine(raw_key="r1", source="afp", reason="malformed_xml", detail="d3", at=NOW)
    rows = registry.quarantined()
    assert [(r.raw_key, r.attempts, r.reason, r.detail) for r in rows] == [
        ("r1", 2, "malformed_xml", "d3"),
        ("r2", 1, "empty", "d2"),
    ]
    assert (rows[0].first_seen, rows[0].last_seen) == (T0, NOW)
    assert [r.raw_key for r in registry.quarantined(source="web")] == ["r2"]
    assert [r.raw_key for r in registry.quarantined(reason="malformed_xml")] == ["r1"]
    assert len(registry.quarantined(limit=1)) == 1
    registry.mark_replayed("r1")
    assert [r.replayed for r in registry.quarantined(source="afp")] == [True]
    registry.quarantine(raw_key="r1", source="afp", reason="empty", detail="d4", at=NOW)
    assert [(r.replayed, r.attempts) for r in registry.quarantined(source="afp")] == [(False, 3)]


def test_cursors_and_checkpoints_keep_the_last_value(registry: SQLRegistry) -> None:
    assert registry.get_cursor("afp") is None
    registry.set_cursor("afp", "2024-05-01T00:00:00Z")
    registry.set_cursor("afp", "2024-05-02T00:00:00Z")
    assert registry.get_cursor("afp") == "2024-05-02T00:00:00Z"
    assert registry.get_checkpoint("run1", "chunk-3") is None
    registry.set_checkpoint("run1", "chunk-3", "offset=10")
    registry.set_checkpoint("run1", "chunk-3", "offset=20")
    registry.set_checkpoint("run1", "chunk-4", "offset=5")
    assert registry.get_checkpoint("run1", "chunk-3") == "offset=20"
    assert registry.get_checkpoint("run2", "chunk-3") is None
