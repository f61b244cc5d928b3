"""A feed page's reads in one query (``feed_batch``) and quotas claimed a few at a time.

``feed_batch`` must read what the two queries it replaces read: ``screened_releases``,
then ``story_releases`` of those stories up to the batch's end (each tested on its own in
test_api_screen.py and test_api_registry.py). Checked on both backends over a log built
here by hand (corrections, kills, languages a screen keeps or drops, a story released
across batches), for every start, batch size and language set. Quotas: the ceiling is the
partner's ``requests_per_minute``, from the contract, counted by the test itself.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from ingest.api.quota import MOST_CLAIMED, Quota
from ingest.model import Article, PubStatus
from ingest.registry import SQLRegistry
from ingest.registry import schema as t
from ingest.registry.api import Release
from ingest.registry.feedreads import feed_batch
from ingest.registry.usage import claim_requests

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# (story, version, language, status) in release order
LOG: list[tuple[str, int, str | None, PubStatus]] = [
    ("a", 1, "en", "usable"), ("b", 1, "fr", "usable"), ("c", 1, "EN-gb", "usable"),
    ("a", 2, "en", "usable"), ("d", 1, "de", "usable"), ("b", 2, "fr", "canceled"),
    ("e", 1, "\u212a", "usable"), ("c", 2, "en", "canceled"), ("f", 1, None, "usable"),
    ("d", 2, "en", "usable"), ("a", 3, "en", "usable"), ("g", 1, "en_us", "usable"),
]


@pytest.fixture
def logged(registry: SQLRegistry) -> SQLRegistry:
    for story, version, language, status in LOG:
        article = Article(uri=f"urn:reads:{story}", version=version, headline="h",
                          body_html="<p>b</p>", version_created=T0, language=language,
                          provider="AFP", pub_status=status)
        registry.record_version(article, raw_key=None, received_at=T0)
        registry.mark_written_many([(article.uri, version, f"k/{story}/{version}")])
    return registry


def _two_queries(
    registry: SQLRegistry, after: int, upto: int, languages: tuple[str, ...] | None, limit: int
) -> tuple[int, dict[str, list[Release]]]:
    batch = registry.screened_releases(after, upto, languages=languages, limit=limit)
    end = batch[-1][0] if len(batch) == limit else upto
    wanted = sorted({uri for _, uri in batch})
    return end, registry.story_releases(wanted, upto=end) if wanted else {}


def test_one_query_reads_what_the_two_did(logged: SQLRegistry) -> None:
    last = logged.last_release()
    first = last - len(LOG)
    compared = 0
    for languages in (None, ("en",), ("fr", "de"), ("k",), ("zz",)):
        for after in range(first, last + 1):
            for limit in (1, 2, 3, 5, 20):
                for upto in (last, min(last, after + 4)):
                    got = feed_batch(logged, after, upto, languages=languages, limit=limit)
                    assert (got.end, got.histories) == _two_queries(
                        logged, after, upto, languages, limit), (languages, after, limit)
                    compared += bool(got.histories)
    assert compared > 100  # most batches found something to compare


def test_a_batch_of_english_stops_at_its_limit_with_each_story_whole(
    logged: SQLRegistry
) -> None:
    first = logged.last_release() - len(LOG)
    got = feed_batch(logged, first, first + len(LOG), languages=("en",), limit=3)
    # screened: a1, c1 (EN-gb), a2; the batch ends at a2, the fourth release
    assert got.end == first + 4
    assert {uri: [r.row.version for r in releases]
            for uri, releases in got.histories.items()} == {
        "urn:reads:a": [1, 2], "urn:reads:c": [1]}
    # no Zulu: the kills b2 and c2, and the Kelvin sign (not ASCII: always kept)
    none = feed_batch(logged, first, first + len(LOG), languages=("zz",), limit=3)
    assert none.end == first + 8
    assert {uri: [r.row.version for r in releases]
            for uri, releases in none.histories.items()} == {
        "urn:reads:b": [1, 2], "urn:reads:c": [1, 2], "urn:reads:e": [1]}
    empty = feed_batch(logged, first + len(LOG), first + len(LOG) + 5, languages=None,
                       limit=3)
    assert (empty.end, empty.histories) == (first + len(LOG) + 5, {})


def _counted(registry: SQLRegistry, key_id: str, minute: int) -> int:
    u = t.api_usage.c
    with registry.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(u.requests), 0)).where(
            u.key_id == key_id, u.minute == minute)).scalar_one())


def test_a_claim_is_granted_up_to_the_limit_and_counted_whole(registry: SQLRegistry) -> None:
    assert claim_requests(registry, "k", 100, 4, 10) == 4
    assert claim_requests(registry, "k", 100, 4, 10) == 4
    assert claim_requests(registry, "k", 100, 4, 10) == 2  # 8 claimed: 2 left of 10
    assert claim_requests(registry, "k", 100, 4, 10) == 0
    assert _counted(registry, "k", 100) == 16
    assert claim_requests(registry, "other", 100, 3, 10) == 3  # per key
    assert claim_requests(registry, "k", 101, 1, 10) == 1  # a new minute; older dropped
    assert _counted(registry, "k", 100) == 0


# (quota, most registry writes for it): one a request under 20; then claims of 1, 2, 4 …
# up to a tenth of the quota, at most 100 (5000: 1 … 64, then 49 of 100)
@pytest.mark.parametrize(("limit", "writes"), [(1, 2), (7, 8), (120, 14), (5000, 57)])
def test_one_process_admits_exactly_the_quota(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch, limit: int, writes: int
) -> None:
    claims: list[int] = []

    def claim(*args: object) -> int:
        claims.append(1)
        return claim_requests(*args)  # type: ignore[arg-type]

    monkeypatch.setattr("ingest.api.quota.claim_requests", claim)
    quota = Quota(registry)
    admitted = sum(quota.admit("k", 100, limit) for _ in range(limit + 30))
    assert admitted == limit
    assert len(claims) <= writes
    assert not quota.admit("k", 100, limit)
    assert len(claims) <= writes  # refused without asking the registry again
    assert quota.admit("k", 101, limit)  # the next minute
    assert quota.admit("other", 100, limit)  # another key


def test_processes_sharing_a_registry_never_pass_the_quota(registry: SQLRegistry) -> None:
    limit = 500
    processes = [Quota(registry), Quota(registry), Quota(registry)]
    admitted = 0
    for n in range(3 * limit):
        admitted += processes[n % 3].admit("k", 100, limit)
    largest_claim = min(limit // 10, MOST_CLAIMED)
    assert limit - 3 * (largest_claim - 1) <= admitted <= limit
    assert not any(q.admit("k", 100, limit) for q in processes)


def test_worker_threads_of_one_process_admit_exactly_the_quota(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One claim of a key at a time: threads that did not wait for the claim in flight
    would claim again, or write over what it got, and requests would be lost or doubled."""
    in_flight, most = 0, 0
    count = threading.Lock()

    def slow_claim(*args: object) -> int:  # a registry round trip, long enough to overlap
        nonlocal in_flight, most
        with count:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.005)
        try:
            return claim_requests(*args)  # type: ignore[arg-type]
        finally:
            with count:
                in_flight -= 1

    monkeypatch.setattr("ingest.api.quota.claim_requests", slow_claim)
    quota, limit = Quota(registry), 1000  # claims grow to 100: many in flight at once
    with ThreadPoolExecutor(32) as pool:
        admitted = sum(pool.map(lambda _: quota.admit("k", 100, limit), range(limit + 100)))
    assert most == 1
    assert admitted == limit
