"""The ingest and publish use cases end to end, on the bundled samples, without Airflow."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.pipeline import (
    ingest_drop_files,
    ingest_items,
    list_drop_chunks,
    partner_ids,
    publish_articles,
    publish_partner,
)
from ingest.publish.articles import latest_key, version_key
from ingest.runtime import Runtime
from ingest.sources.base import RawItem
from ingest.sources.drop import is_picture_file

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
WIND_FARM = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def sample_items(*, kill: bool = False) -> list[RawItem]:
    return [
        RawItem("drop", path.name, path.read_bytes())
        for path in sorted(SAMPLES.iterdir())
        if path.is_file() and not path.name.startswith("README")
        and not is_picture_file(path.name)  # a picture beside its item, as the drop skips it
        and ("kill" in path.name) == kill
    ]


def test_samples_are_ingested_quarantined_and_a_rerun_changes_nothing(
    tmp_path: Path, registry_url: str, open_runtime: Callable[..., Runtime]
) -> None:
    rt = open_runtime(tmp_path, registry_url)
    first = ingest_items(sample_items(), registry=rt.registry, store=rt.store, received_at=NOW)

    assert first.raw_items == first.raw_new == 8
    assert first.quarantined == {"malformed_xml": 1}
    # wind farm v1 (G2, its picture attached), v2 (NewsML 1.2), v3 correction (G2), its
    # alert (NewsML 1.2), the harbour photo story (NewsML 1.2), three API Core docs, the
    # seed page
    assert first.results == {"new": 9}
    assert first.stripped["donation_appeal"] >= 1
    latest = rt.registry.latest(WIND_FARM)
    assert latest is not None and latest.version == 3
    assert "correction" in latest.article.signals
    broken = rt.registry.quarantined(reason="malformed_xml")
    assert [q.source for q in broken] == ["drop"]
    # raw bytes of every item are kept, the broken one included, before any parsing
    raw_keys = {info.key for info in rt.store.list("raw/")}
    assert broken[0].raw_key in raw_keys and len(raw_keys) == 8

    objects = {info.key for info in rt.store.list()}
    again = ingest_items(sample_items(), registry=rt.registry, store=rt.store, received_at=NOW)
    assert again.raw_new == 0
    assert again.results == {"duplicate": 9}
    assert {info.key for info in rt.store.list()} == objects
    assert rt.registry.quarantined(reason="malformed_xml")[0].attempts == 2


def test_publishing_writes_versions_once_and_the_kill_removes_latest(
    tmp_path: Path, open_runtime: Callable[..., Runtime]
) -> None:
    rt = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    ingest_items(sample_items(), registry=rt.registry, store=rt.store, received_at=NOW)

    report = publish_articles(rt, now=NOW)
    published_keys = [info.key for info in rt.store.list("articles/")]
    assert version_key(WIND_FARM, 3) in published_keys
    assert report["written"] == sum(not k.endswith("/latest.json") for k in published_keys)
    assert report["pointers_changed"] == sum(k.endswith("/latest.json") for k in published_keys)
    pointer = json.loads(rt.store.get(latest_key(WIND_FARM)))
    assert pointer["version"] == 3
    published = json.loads(rt.store.get(version_key(WIND_FARM, 3)))
    assert published["uri"] == WIND_FARM and published["pubStatus"] == "usable"
    assert publish_articles(rt, now=NOW)["written"] == 0

    ingest_items(sample_items(kill=True), registry=rt.registry, store=rt.store, received_at=NOW)
    after_kill = publish_articles(rt, now=NOW)
    assert after_kill["written"] == 1 and after_kill["pointers_changed"] == 1
    assert rt.store.head(latest_key(WIND_FARM)) is None
    kill = json.loads(rt.store.get(version_key(WIND_FARM, 4)))
    assert kill["pubStatus"] == "canceled"


def test_drop_folder_chunks_take_each_file_once(
    tmp_path: Path, open_runtime: Callable[..., Runtime]
) -> None:
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLES, drop, ignore=shutil.ignore_patterns("README*"))
    rt = open_runtime(
        tmp_path, f"sqlite:///{tmp_path / 'registry.db'}",
        INGEST_DROP_URL=drop.as_uri(), INGEST_DROP_SETTLE_SECONDS="0",
    )
    now = datetime.now(UTC)  # the files were just copied: a run after that instant

    chunks = list_drop_chunks(rt, now=now, chunk_size=3)
    assert [len(c) for c in chunks] == [3, 3, 3]  # the harbour photo's JPEG is not an item
    total = sum(ingest_drop_files(rt, chunk, now=now).raw_items for chunk in chunks)
    assert total == 9
    assert list_drop_chunks(rt, now=now, chunk_size=3) == []


def test_the_s3_path_publishes_articles_and_feeds_over_http(
    tmp_path: Path, s3_bucket: str, open_runtime: Callable[..., Runtime]
) -> None:
    rt = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", f"s3://{s3_bucket}/ingest")
    ingest_items(sample_items(), registry=rt.registry, store=rt.store, received_at=NOW)
    publish_articles(rt, now=NOW)
    for partner in partner_ids(rt):
        publish_partner(rt, partner, now=NOW)

    from ingest.publish.objectstore import make_s3_client

    client = make_s3_client()
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert f"ingest/{version_key(WIND_FARM, 3)}" in keys
    assert "ingest/feeds/demo-news/rss.xml" in keys
    head = client.head_object(Bucket=s3_bucket, Key="ingest/feeds/demo-news/rss.xml")
    assert head["ContentType"].startswith("application/rss+xml")
    article = client.head_object(Bucket=s3_bucket, Key=f"ingest/{version_key(WIND_FARM, 3)}")
    assert article["ContentType"] == "application/json"

    # a second publication finds every version in place: the conditional put writes nothing
    etag = article["ETag"]
    assert publish_articles(rt, now=NOW)["written"] == 0
    again = client.head_object(Bucket=s3_bucket, Key=f"ingest/{version_key(WIND_FARM, 3)}")
    assert again["ETag"] == etag
    assert rt.store.put_if_absent(version_key(WIND_FARM, 3), b"{}") is False
    assert json.loads(rt.store.get(version_key(WIND_FARM, 3)))["uri"] == WIND_FARM


@pytest.mark.parametrize("path", ["../escape.json", "/abs.json", "a/../b.json", "a//b"])
def test_object_keys_cannot_escape_the_store(tmp_path: Path, path: str) -> None:
    from ingest.publish.objectstore import LocalObjectStore

    store = LocalObjectStore(tmp_path / "store")
    with pytest.raises(ValueError, match="unsafe object key"):
        store.put(path, b"x")


def test_status_summarises_what_was_ingested_quarantined_and_delivered(
    tmp_path: Path, open_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ingest.cli import main

    rt = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    ingest_items(sample_items(), registry=rt.registry, store=rt.store, received_at=NOW)
    publish_articles(rt, now=NOW)
    publish_partner(rt, "demo-news", now=NOW)
    for name, value in {
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_REGISTRY_URL": f"sqlite:///{tmp_path / 'registry.db'}",
        "INGEST_STORE_URL": (tmp_path / "store").as_uri(),
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "quarantined: 1" in out and "malformed_xml: broken-truncated.xml" in out
    assert "boilerplate removed: " in out and "'donation_appeal': 4" in out
    assert "delivered to demo-news (rss): 6 stories" in out  # the alert, the harbour photo
    assert (tmp_path / "store" / "feeds/demo-news/rss.xml").as_uri() in out


def test_publishing_in_small_batches_ends_as_one_big_batch(
    tmp_path: Path, open_runtime: Callable[..., Runtime]
) -> None:
    """Pointers move batch by batch: a story whose versions fall in several batches (here
    one version a batch) must end where one pass over everything leaves it, each pointer
    moved once: never dropped while a newer version waits in a later batch. The same
    through a backfill's parser processes (``publish_on``), where the next batch is
    written while one is noted and its pointers moved."""
    from ingest.backfill_parse import open_pool
    from ingest.backfill_publish import publish_on
    from ingest.publish.articles import publish_versions

    runtimes = {
        batch: open_runtime(tmp_path / batch, f"sqlite:///{tmp_path / f'{batch}.db'}")
        for batch in ("1", "1000", "1 on processes")
    }
    pool = open_pool(2)
    assert pool is not None
    publish = {
        "1": lambda rt: publish_versions(rt.registry, rt.store, NOW, batch=1),
        "1000": lambda rt: publish_versions(rt.registry, rt.store, NOW, batch=1000),
        "1 on processes": lambda rt: publish_on(pool, rt.registry, rt.store, NOW, batch=1),
    }
    rounds = [  # the wind farm story: v1 (with the others), then v2 and v3 together, then v4
        [i for i in sample_items() if "-v2-" not in i.name and "-v3-" not in i.name],
        [i for i in sample_items() if "-v2-" in i.name or "-v3-" in i.name],
        sample_items(kill=True),
    ]
    try:
        for items in rounds:
            stores, reports = {}, {}
            for batch, rt in runtimes.items():
                ingest_items(items, registry=rt.registry, store=rt.store, received_at=NOW)
                reports[batch] = publish[batch](rt)
                stores[batch] = {info.key: rt.store.get(info.key) for info in rt.store.list("")
                                 if info.key.startswith(("articles/", "audit/"))}
            assert stores["1"] == stores["1000"] == stores["1 on processes"]
            assert reports["1"] == reports["1000"] == reports["1 on processes"]
    finally:
        pool.shutdown()
    assert reports["1"].written == 1 and latest_key(WIND_FARM) not in stores["1"]
