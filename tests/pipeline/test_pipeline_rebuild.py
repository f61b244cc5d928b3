"""``partner_feeds`` rebuilds only the partners whose view changed (``ingest.rebuild``),
driven through the functions its tasks call, in their order (``run``).

Fixtures: ``registry_url`` (each test on SQLite and on PostgreSQL), ``sqlite_url`` and
``s3_bucket`` (a bucket on moto's S3 server, over HTTP) from tests/conftest.py; the object
store is that bucket or a folder under ``tmp_path``, the partners file is written there;
the push endpoint is a real HTTP server on 127.0.0.1 defined here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingest.model import iso
from ingest.pipeline import (
    Arrival,
    ingest_stored,
    partner_ids,
    publish_articles,
    publish_partner,
    store_raw,
)
from ingest.publish.objectstore import ObjectStore
from ingest.rebuild import SCAN_PAGE, last_build
from ingest.runtime import Runtime
from ingest.sources.base import RawItem
from local_http import QuietHandler, serving

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# "a" takes English; "b" French of urgency 1-4
FILTERS: dict[str, dict[str, Any]] = {"a": {"languages": ["en"]},
                                      "b": {"languages": ["fr"], "min_urgency": 4}}


def uri(name: str) -> str:
    return f"urn:newsml:afp.com:20261127T080000Z:{name}"


def doc(name: str, *, lang: str = "en", at: datetime = NOW - timedelta(hours=1),
        revision: int = 1, urgency: int = 4, status: str = "Usable",
        embargoed: datetime | None = None) -> RawItem:
    """An AFP API Core document, as AFP drops it."""
    fields = {
        "uno": f"newsml.afp.com.20261127T080000Z.{name}", "publicIdentifier": uri(name),
        "revision": revision, "created": iso(at), "published": iso(at), "status": status,
        "lang": lang, "product": "news", "class": "text", "genre": "Article",
        "urgency": urgency, "headline": f"Headline of {name}",
        "news": [f"The text of {name}.", "ilo/bc"],
        **({"embargoed": iso(embargoed)} if embargoed else {}),
    }
    return RawItem("drop", f"{name}-v{revision}.json", json.dumps(fields).encode())


def write_partners(path: Path, *, max_items: int = 50,
                   push: dict[str, str] | None = None) -> None:
    partners = [{"id": pid, "name": pid, "formats": ["rss", "ninjs"], "max_items": max_items,
                 "max_age": "2d", "filters": filters, "rights": {"providers": ["*"]},
                 **({"delivery": {"push": push}} if push and pid == "a" else {})}
                for pid, filters in FILTERS.items()]
    path.write_text(json.dumps({"partners": partners}))


@pytest.fixture
def open_rt(tmp_path: Path, open_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """Runtimes on a test's own partners file and store (a folder unless given)."""
    write_partners(tmp_path / "partners.yaml")

    def open_(registry_url: str, store_url: str | None = None, **extra: str) -> Runtime:
        return open_runtime(tmp_path, registry_url, store_url,
                            INGEST_PARTNERS_FILE=str(tmp_path / "partners.yaml"), **extra)

    return open_


def arrive(rt: Runtime, now: datetime, *items: RawItem) -> None:
    """Record the items, as one batch."""
    [report] = ingest_stored([Arrival(now, [store_raw(i, rt.store, now) for i in items])],
                             registry=rt.registry, store=rt.store,
                             max_item_bytes=rt.settings.max_item_bytes)
    assert sum(report.results.values()) == len(items) and not report.quarantined


def run(rt: Runtime, now: datetime) -> list[str]:
    """One ``partner_feeds`` run at ``now``: its tasks in order; the partners rebuilt."""
    publish_articles(rt, now=now)
    chosen = partner_ids(rt, now=now)
    for pid in chosen:
        publish_partner(rt, pid, now=now)
    return chosen


def first_builds(rt: Runtime, now: datetime = NOW) -> None:
    arrive(rt, now, doc("en-1"), doc("fr-1", lang="fr"))
    assert run(rt, now) == ["a", "b"]  # never built: both
    assert run(rt, now + timedelta(minutes=1)) == []  # nothing new: neither


def objects(store: ObjectStore, prefix: str) -> dict[str, tuple[str, datetime | None]]:
    """Each object under ``prefix``: its ETag and last modification time."""
    infos = {info.key: info.last_modified for info in store.list(prefix)}
    heads = {key: store.head(key) for key in infos}
    return {key: (head.etag, infos[key]) for key, head in heads.items() if head is not None}


def test_a_release_for_a_alone_rebuilds_a_and_leaves_b_untouched(
    registry_url: str, s3_bucket: str, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url, f"s3://{s3_bucket}/pub")
    first_builds(rt)
    b_feeds, b_build = objects(rt.store, "feeds/b/"), last_build(rt.registry, "b")
    assert set(b_feeds) == {"feeds/b/rss.xml", "feeds/b/ninjs.json"}

    later = NOW + timedelta(minutes=5)
    arrive(rt, later, doc("en-2"))
    assert run(rt, later) == ["a"]

    assert b"Headline of en-2" in rt.store.get("feeds/a/rss.xml")
    assert objects(rt.store, "feeds/b/") == b_feeds
    # unchanged bytes are never rewritten, so its build noted as before is what shows b
    # was not rebuilt at all
    assert last_build(rt.registry, "b") == b_build
    build = last_build(rt.registry, "a")
    assert build is not None and build.at == later and build.seen == rt.registry.last_release()


def test_a_kill_of_a_story_b_was_sent_rebuilds_b_though_its_filters_refuse_the_kill(
    registry_url: str, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)
    later = NOW + timedelta(minutes=5)
    # the kill's urgency (6) is past b's filter: b is told only because it had the story
    arrive(rt, later, doc("fr-1", lang="fr", revision=2, urgency=6, status="Canceled"))
    assert run(rt, later) == ["b"]
    assert b"[KILL] Headline of fr-1" in rt.store.get("feeds/b/rss.xml")

    # a story b never had (urgency 6), then killed: nothing b can see changed
    arrive(rt, later, doc("fr-2", lang="fr", urgency=6))
    assert run(rt, later + timedelta(minutes=1)) == []
    arrive(rt, later, doc("fr-2", lang="fr", revision=2, urgency=6, status="Canceled"))
    assert run(rt, later + timedelta(minutes=2)) == []


def test_the_log_is_read_page_after_page_to_its_end(
    registry_url: str, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)
    later = NOW + timedelta(minutes=5)
    arrive(rt, later, *(doc(f"en-{n}") for n in range(2, SCAN_PAGE + 2)), doc("fr-2", lang="fr"))
    # b's only release is on the second page read after both partners' position
    assert run(rt, later) == ["a", "b"]


def test_a_contract_change_rebuilds_that_partner_and_a_new_tag_authority_every_one(
    registry_url: str, tmp_path: Path, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)
    partners = json.loads((tmp_path / "partners.yaml").read_text())
    partners["partners"][1]["max_items"] = 10
    (tmp_path / "partners.yaml").write_text(json.dumps(partners))
    later = NOW + timedelta(minutes=5)
    assert run(rt, later) == ["b"]
    assert run(rt, later) == []

    renamed = open_rt(rt.settings.registry_url, INGEST_TAG_AUTHORITY="example.org,2026")
    assert run(renamed, later) == ["a", "b"]
    assert b"tag:example.org,2026:" in renamed.store.get("feeds/a/rss.xml")


def test_the_safety_net_rebuilds_every_partner_an_hour_of_run_time_after_its_build(
    registry_url: str, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)  # built for NOW, days before this machine's clock
    assert run(rt, NOW + timedelta(minutes=60)) == []
    assert run(rt, NOW + timedelta(minutes=61)) == ["a", "b"]
    assert run(rt, NOW + timedelta(minutes=62)) == []  # counted from that build


def test_an_embargo_lifted_is_a_release_and_rebuilds_who_takes_it(
    registry_url: str, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)
    lifted = NOW + timedelta(minutes=30)
    arrive(rt, NOW, doc("en-held", status="Embargoed", embargoed=lifted))
    assert run(rt, NOW + timedelta(minutes=2)) == []  # still held: nothing released
    assert b"en-held" not in rt.store.get("feeds/a/rss.xml")
    assert run(rt, lifted) == ["a"]
    assert b"Headline of en-held" in rt.store.get("feeds/a/rss.xml")


def test_a_failed_build_is_not_noted_and_the_next_run_tries_it_again(
    registry_url: str, tmp_path: Path, open_rt: Callable[..., Runtime],
) -> None:
    rt = open_rt(registry_url)
    first_builds(rt)
    built = last_build(rt.registry, "a")
    later = NOW + timedelta(minutes=5)
    arrive(rt, later, doc("en-2"), doc("fr-2", lang="fr"))
    publish_articles(rt, now=later)
    assert partner_ids(rt, now=later) == ["a", "b"]
    feeds = tmp_path / "store" / "feeds" / "a"
    shutil.rmtree(feeds)
    feeds.write_text("a file where the partner's folder goes: every write fails")
    with pytest.raises(OSError):
        publish_partner(rt, "a", now=later)
    publish_partner(rt, "b", now=later)  # the other partners' tasks go on
    assert last_build(rt.registry, "a") == built

    feeds.unlink()
    retry = later + timedelta(minutes=1)
    arrive(rt, retry, doc("en-3"))
    # the log is read again from a's position; b, built past fr-2, is not taken by it
    assert run(rt, retry) == ["a"]
    assert b"Headline of en-2" in rt.store.get("feeds/a/rss.xml")
    assert run(rt, retry + timedelta(minutes=1)) == []


class _Endpoint(ThreadingHTTPServer):
    """A push endpoint answering ``status`` to every POST, counting them."""

    status = 503
    posts = 0


class _Handler(QuietHandler):
    server: _Endpoint

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts += 1
        self.reply(self.server.status)


@pytest.fixture
def endpoint() -> Iterator[_Endpoint]:
    with serving(_Handler, _Endpoint) as server:
        yield server


@pytest.mark.slow
def test_pushes_left_failing_rebuild_the_partner_until_they_are_delivered(
    sqlite_url: str, tmp_path: Path, endpoint: _Endpoint, open_rt: Callable[..., Runtime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite only: each failing push is retried with the pusher's real backoff (~8 s)."""
    monkeypatch.setenv("PUSH_SECRET", "s3cr3t-for-tests")
    write_partners(tmp_path / "partners.yaml", push={
        "url": f"http://127.0.0.1:{endpoint.server_address[1]}/a", "secret_env": "PUSH_SECRET"})
    rt = open_rt(sqlite_url)
    arrive(rt, NOW, doc("en-1"))
    assert run(rt, NOW) == ["a", "b"]
    build = last_build(rt.registry, "a")
    assert build is not None and build.push_failed == 1
    endpoint.status = 204
    assert run(rt, NOW + timedelta(minutes=1)) == ["a"]
    assert run(rt, NOW + timedelta(minutes=2)) == []
    assert endpoint.posts == 6  # five tries in the first build, one in the second
