"""Feeds built from a real SQLite registry and published to moto's S3 server over HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import feedparser
import pytest

from ingest.model import Article
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.objectstore import LocalObjectStore, S3ObjectStore
from ingest.publish.partners import load_partners, parse_partners
from ingest.registry import SQLRegistry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "publish"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
Recorder = Callable[[SQLRegistry, list[Article]], None]
TAG = "tag:feeds.example.com,2026-01-01:story:"  # RFC 4151 ids under the default authority


@pytest.fixture
def bucket(s3_env: str, request: pytest.FixtureRequest) -> S3ObjectStore:
    name = f"feeds-{hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]}"
    client = boto3.client("s3", endpoint_url=s3_env)
    client.create_bucket(Bucket=name)
    return S3ObjectStore(name)


def _by_id() -> dict[str, Any]:
    return {p.id: p for p in load_partners(FIXTURES / "partners.yaml")}


def test_layout_headers_and_rerun_writes_nothing(
    registry: SQLRegistry, bucket: S3ObjectStore, fixture_articles: list[Article],
    recorder: Recorder,
) -> None:
    recorder(registry, fixture_articles[:4])  # no kill yet
    partner = _by_id()["markets-wire"]  # all five formats, medtop:04 and urgency <= 4
    result = build_partner_feeds(registry, bucket, partner, NOW)
    names = ["rss.xml", "atom.xml", "feed.json", "ninjs.json", "newsml-g2.xml"]
    assert sorted(result.written) == sorted(f"feeds/markets-wire/{n}" for n in names)
    assert result.items == 1  # only the economy story (its correction is the latest)
    expected_types = {
        "rss.xml": "application/rss+xml; charset=utf-8",
        "atom.xml": "application/atom+xml; charset=utf-8",
        "feed.json": "application/feed+json; charset=utf-8",
        "ninjs.json": "application/json; charset=utf-8",
        "newsml-g2.xml": "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8",
    }
    for name, content_type in expected_types.items():
        info = bucket.head(f"feeds/markets-wire/{name}")
        assert info is not None
        assert info.content_type == content_type
        assert info.cache_control == "public, max-age=60, must-revalidate"
        data = bucket.get(f"feeds/markets-wire/{name}")
        assert info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
    rss = feedparser.parse(bucket.get("feeds/markets-wire/rss.xml"))
    assert rss.bozo == 0
    assert [e.id for e in rss.entries] == [
        f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v2"]
    assert "media_content" not in rss.entries[0]  # markets-wire is not licensed for pictures

    again = build_partner_feeds(registry, bucket, partner, NOW + timedelta(minutes=5))
    assert again.written == []
    assert len(again.unchanged) == 5
    assert again.new_deliveries == 0


def test_rights_and_filters_shape_each_partner(
    registry: SQLRegistry, tmp_path: Path, fixture_articles: list[Article], recorder: Recorder,
) -> None:
    recorder(registry, fixture_articles[:4])
    store = LocalObjectStore(tmp_path / "objects")
    partners = _by_id()
    for partner in partners.values():
        build_partner_feeds(registry, store, partner, NOW)
    demo = feedparser.parse(store.get("feeds/demo-news/rss.xml"))
    assert demo.bozo == 0
    assert {e.id for e in demo.entries} == {
        f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v2",
        f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-FRA01/v1",
        f"{TAG}https://www.example-paper.com/2026/11/27/floods/v1"}
    archive = feedparser.parse(store.get("feeds/archive-library/atom.xml"))
    ids = {e.id for e in archive.entries}
    # not the NO ARCHIVAL USE story, and AFP only
    assert ids == {f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v2"}
    assert "enclosure" not in {link.rel for e in archive.entries for link in e.get("links", [])}
    assert b"eco01-hd.jpg" not in store.get("feeds/archive-library/feed.json")
    fr = json.loads(store.get("feeds/presse-fr/ninjs.json"))
    assert [i["language"] for i in fr["items"]] == ["fr"]


def test_kill_reaches_partners_that_received_the_story(
    registry: SQLRegistry, tmp_path: Path, fixture_articles: list[Article], recorder: Recorder,
) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    partners = _by_id()
    recorder(registry, fixture_articles[:4])
    for partner in partners.values():
        build_partner_feeds(registry, store, partner, NOW)
    recorder(registry, fixture_articles[4:])  # the French story is killed
    later = NOW + timedelta(minutes=10)
    results = {p.id: build_partner_feeds(registry, store, p, later) for p in partners.values()}

    fr = json.loads(store.get("feeds/presse-fr/ninjs.json"))
    assert [(i["uri"].rsplit(":", 1)[-1], i["pubStatus"]) for i in fr["items"]] == [
        ("TX-PAR-FRA01", "canceled")]
    demo = feedparser.parse(store.get("feeds/demo-news/rss.xml"))
    kill = next(e for e in demo.entries if e.id.endswith("FRA01/v2"))
    assert kill.title.startswith("[KILL] ")
    assert results["demo-news"].kills == {"rss": 1}
    # the archive partner never received it (NO ARCHIVAL USE), so it gets no kill either
    assert results["archive-library"].kills == {"atom": 0, "jsonfeed": 0}
    assert results["markets-wire"].kills["rss"] == 0


def test_atom_archive_pages_are_written_once_and_chained(
    registry: SQLRegistry, tmp_path: Path, recorder: Recorder,
) -> None:
    [partner] = parse_partners({"partners": [{
        "id": "hist", "name": "History", "formats": ["atom"], "max_items": 2, "max_age": "3d",
        "rights": {"providers": ["*"]}}]})
    start = NOW - timedelta(days=2, hours=12)  # 25th 00:00; four stories a day
    stories = [Article(uri=f"urn:x:{i}", headline=f"Story {i}", body_html="<p>Text.</p>",
                       version_created=start + timedelta(hours=6 * i)) for i in range(10)]
    recorder(registry, stories)
    store = LocalObjectStore(tmp_path / "objects")
    first = build_partner_feeds(registry, store, partner, NOW)
    pages = sorted(k for k in first.written if "/archive/" in k)
    assert pages == ["feeds/hist/archive/atom-2026-11-25.xml",
                     "feeds/hist/archive/atom-2026-11-26.xml"]
    current = feedparser.parse(store.get("feeds/hist/atom.xml"))
    assert current.bozo == 0
    links = {link.rel: link.href for link in current.feed.links}
    assert links["prev-archive"].endswith("archive/atom-2026-11-26.xml")
    assert [e.id for e in current.entries] == [f"{TAG}urn:x:9/v1", f"{TAG}urn:x:8/v1"]
    page26 = feedparser.parse(store.get("feeds/hist/archive/atom-2026-11-26.xml"))
    assert page26.bozo == 0
    assert {e.id for e in page26.entries} == {f"{TAG}urn:x:{i}/v1" for i in (4, 5, 6, 7)}
    links26 = {link.rel: link.href for link in page26.feed.links}
    assert links26["prev-archive"].endswith("archive/atom-2026-11-25.xml")
    assert links26["current"].endswith("/feeds/hist/atom.xml")
    before = store.get("feeds/hist/archive/atom-2026-11-26.xml")

    # a day later: the 27th is archived, earlier pages are left alone
    recorder(registry, [Article(uri="urn:x:new", headline="New", body_html="<p>N.</p>",
                                version_created=NOW + timedelta(hours=13))])
    second = build_partner_feeds(registry, store, partner, NOW + timedelta(days=1))
    assert [k for k in second.written if "/archive/" in k] == [
        "feeds/hist/archive/atom-2026-11-27.xml"]
    assert store.get("feeds/hist/archive/atom-2026-11-26.xml") == before
    page27 = feedparser.parse(store.get("feeds/hist/archive/atom-2026-11-27.xml"))
    assert {link.rel: link.href for link in page27.feed.links}["prev-archive"].endswith(
        "atom-2026-11-26.xml")


def test_previous_feed_stays_readable_until_replaced(
    registry: SQLRegistry, bucket: S3ObjectStore, fixture_articles: list[Article],
    recorder: Recorder,
) -> None:
    partner = _by_id()["demo-news"]
    recorder(registry, fixture_articles[:1])
    build_partner_feeds(registry, bucket, partner, NOW)
    old = bucket.get("feeds/demo-news/rss.xml")
    recorder(registry, fixture_articles[1:2])
    build_partner_feeds(registry, bucket, partner, NOW + timedelta(minutes=1))
    new = bucket.get("feeds/demo-news/rss.xml")
    assert new != old
    assert feedparser.parse(old).bozo == 0 and feedparser.parse(new).bozo == 0
    assert len(feedparser.parse(new).entries) == 2
    listed = [o.key for o in bucket.list("feeds/demo-news/")]
    assert listed == ["feeds/demo-news/rss.xml"]  # one object, replaced in place
