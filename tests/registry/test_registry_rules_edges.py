"""Registry rules at their edges, on SQLite and PostgreSQL: a kill notice is owed only to a
partner that was sent the story itself, and the feed's keyset pages neither skip nor
repeat stories that share a feed time across a page boundary.

Expected values are the rules in ``ArticleRegistry``'s docstrings (``kills_for``: "stories
that partner_id ever received"; ``feed_items``: "each visible story's latest version,
newest first"); articles come from ``story_factory``. Found by ``make mutants``
(docs/testing.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from story_factory import T0, article

from ingest.model import Article
from ingest.registry import Delivery, RecordResult, SQLRegistry
from ingest.registry.api import VersionRecord
from ingest.registry.sql import FEED_FIRST_PAGE

NOW = T0 + timedelta(days=1)


def test_a_kill_is_owed_only_to_partners_sent_the_story_itself(registry: SQLRegistry) -> None:
    for version in (article("urn:a", 1), article("urn:a", 2, "canceled")):
        registry.record_version(version, raw_key=None, received_at=T0)
    # p1 carried only the kill entry (it never had the story); p2 had the story.
    registry.record_deliveries("p1", "rss", [Delivery("urn:a", 2, "kill")], NOW)
    registry.record_deliveries("p2", "rss", [Delivery("urn:a", 1, "item")], NOW)
    assert registry.kills_for("p1", "rss") == []
    assert [(k.uri, k.version) for k in registry.kills_for("p2", "rss")] == [("urn:a", 2)]


def test_stories_sharing_a_feed_time_across_pages_come_once_each(registry: SQLRegistry) -> None:
    count = FEED_FIRST_PAGE + 20  # the tie straddles the first page's end
    uris = [f"urn:s{n:03d}" for n in range(count)]
    for uri in uris:  # one version_created for all: their feed time ties
        registry.record_version(article(uri, 1, created=T0), raw_key=None, received_at=T0)
    assert [r.uri for r in registry.feed_items(NOW)] == sorted(uris, reverse=True)


def test_versions_to_write_come_oldest_received_first_up_to_the_limit(
    registry: SQLRegistry,
) -> None:
    # Received in the reverse of their uri order, so neither order can pass for the other.
    for uri, hours in (("urn:a", 2), ("urn:b", 1), ("urn:c", 0)):
        registry.record_version(article(uri, 1), raw_key=None,
                                received_at=T0 + timedelta(hours=hours))
    assert [r.uri for r in registry.versions_to_write(NOW, limit=2)] == ["urn:c", "urn:b"]


def test_versions_to_write_after_a_row_go_on_from_it_in_the_same_order(
    registry: SQLRegistry,
) -> None:
    """The next page is read before the page being written is noted: ``after`` must give
    the rest in the same order, ties on arrival broken by uri and then version."""
    for uri, version, hours in (("urn:b", 1, 0), ("urn:a", 2, 0), ("urn:a", 1, 0),
                                ("urn:z", 1, -1), ("urn:c", 1, 1)):
        registry.record_versions([VersionRecord(article(uri, version), None,
                                                T0 + timedelta(hours=hours))])
    pages, after = [], None
    while page := registry.versions_to_write(NOW, limit=2, after=after):
        pages.append([(r.uri, r.version) for r in page])
        after = page[-1]
    assert pages == [[("urn:z", 1), ("urn:a", 1)], [("urn:a", 2), ("urn:b", 1)],
                     [("urn:c", 1)]]


def test_versions_received_together_are_written_in_version_order(registry: SQLRegistry) -> None:
    registry.record_versions([VersionRecord(article("urn:a", v), None, T0) for v in (3, 1, 2)])
    assert [r.version for r in registry.versions_to_write(NOW)] == [1, 2, 3]


def renormalised(registry: SQLRegistry, version: Article) -> RecordResult:
    """``version`` parsed again from the raw object it was first stored from."""
    again = replace(version, headline=f"{version.headline} (new rules)")
    record = VersionRecord(again, f"raw/{version.uri}/{version.version}", T0)
    [result] = registry.record_versions([record], renormalise=True)
    return result


def store(registry: SQLRegistry, *versions: Article, syndicate: bool = True) -> None:
    registry.record_versions(
        [VersionRecord(v, f"raw/{v.uri}/{v.version}", T0) for v in versions],
        syndicate=syndicate,
    )


def test_reprocessing_rewrites_only_a_version_no_partner_can_have_seen(
    registry: SQLRegistry,
) -> None:
    # Queued to be written (pending), not the story's latest any more.
    store(registry, article("urn:queued", 1), article("urn:queued", 2))
    # Written to articles/, not the latest any more.
    store(registry, article("urn:written", 1))
    registry.mark_written("urn:written", 1, "articles/written-1.json")
    store(registry, article("urn:written", 2))
    # An archive load (never queued, written or shown) that a partner was sent all the same.
    store(registry, article("urn:sent", 1), syndicate=False)
    registry.record_deliveries("p1", "rss", [Delivery("urn:sent", 1, "item")], NOW)
    # An archive load nobody saw: the only one reprocessing may rewrite.
    store(registry, article("urn:unseen", 1), syndicate=False)
    results = {uri: renormalised(registry, article(uri, 1))
               for uri in ("urn:queued", "urn:written", "urn:sent", "urn:unseen")}
    assert results == {"urn:queued": RecordResult.CONFLICT, "urn:written": RecordResult.CONFLICT,
                       "urn:sent": RecordResult.CONFLICT,
                       "urn:unseen": RecordResult.RENORMALISED}


def test_reprocessing_keeps_a_version_shown_as_its_storys_latest(registry: SQLRegistry) -> None:
    first = article("urn:shown", 1)
    same = replace(first, version=2, version_created=first.version_created + timedelta(hours=1))
    store(registry, first, same)  # v2 says what v1 said: seen only, never queued itself
    assert renormalised(registry, same) is RecordResult.CONFLICT  # it is what feeds show


def test_a_batch_folds_a_rewritten_version_like_one_call_per_version(
    registry: SQLRegistry,
) -> None:
    old = article("urn:a", 1)
    store(registry, old, syndicate=False)  # an archive load nobody saw
    new = replace(old, headline="Rewritten by the new rules")
    newer = replace(old, headline="Rewritten by newer rules")
    later = replace(newer, version=2, version_created=old.version_created + timedelta(hours=1))
    records = [VersionRecord(v, f"raw/urn:a/{v.version}", T0) for v in (new, new, newer, later)]
    assert registry.record_versions(records, renormalise=True) == [
        RecordResult.RENORMALISED, RecordResult.DUPLICATE,  # the same object read twice
        RecordResult.RENORMALISED, RecordResult.SAME_CONTENT]  # v2 repeats the newest v1
    assert registry.raw_ledger().duplicates == {}  # no version came from another object


def test_a_version_repeating_a_written_one_shares_its_published_copy(
    registry: SQLRegistry,
) -> None:
    first = article("urn:a", 1)
    store(registry, first)
    registry.mark_written("urn:a", 1, "articles/a-1.json")
    same = replace(first, version=2, version_created=first.version_created + timedelta(hours=1))
    store(registry, same)
    latest = registry.latest("urn:a")
    assert latest is not None
    assert (latest.version, latest.published_key, latest.pending) == (
        2, "articles/a-1.json", False)


def test_a_batch_protects_versions_it_stored_itself_like_one_call_per_version(
    registry: SQLRegistry,
) -> None:
    def again(version: Article) -> VersionRecord:
        return VersionRecord(replace(version, headline="Parsed again"),
                             f"raw/{version.uri}/{version.version}", T0)

    def batch(*versions: Article | VersionRecord, syndicate: bool = True) -> list[RecordResult]:
        records = [v if isinstance(v, VersionRecord) else
                   VersionRecord(v, f"raw/{v.uri}/{v.version}", T0) for v in versions]
        return registry.record_versions(records, syndicate=syndicate, renormalise=True)

    queued, latest = article("urn:q", 1), article("urn:q", 2)
    assert batch(queued, latest, again(queued))[2] is RecordResult.CONFLICT  # still queued
    archived = article("urn:arch", 1)
    assert batch(archived, again(archived), syndicate=False)[1] is RecordResult.RENORMALISED
    written = article("urn:w", 1)
    store(registry, written)
    registry.mark_written("urn:w", 1, "articles/w-1.json")
    repeat = replace(written, version=2,
                     version_created=written.version_created + timedelta(hours=1))
    # v2 repeats v1 and so shares its written copy: seen, even from an archive load.
    assert batch(repeat, again(repeat), syndicate=False) == [
        RecordResult.SAME_CONTENT, RecordResult.CONFLICT]


def test_an_older_version_from_an_archive_load_leaves_a_live_story_shown(
    registry: SQLRegistry,
) -> None:
    store(registry, article("urn:a", 2))
    store(registry, article("urn:a", 1), syndicate=False)  # the archive's older copy
    assert [(r.uri, r.version) for r in registry.feed_items(NOW)] == [("urn:a", 2)]
