"""Published versions are immutable by mechanism, on every store, not only by outcome.

A second write of a key through ``put_if_absent`` is refused and leaves the first bytes;
on S3 the refusal is the server's (``If-None-Match: *``, a real precondition on moto's
server), so two writers racing for one key cannot both win. ``publish_versions`` writes a
version only that way: a version already in the store (an earlier run, another worker)
is never overwritten, and is counted as already there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.model import Article
from ingest.publish.articles import publish_versions, version_key
from ingest.publish.objectstore import (
    LocalObjectStore,
    ObjectStore,
    S3ObjectStore,
    make_s3_client,
    open_store,
)
from ingest.registry import SQLRegistry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
KEY = "articles/story-1/v1.json"


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """An empty store of each kind: a directory, and a bucket prefix on moto's S3 server."""
    if request.param == "file":
        return LocalObjectStore(tmp_path / "store")
    bucket = str(request.getfixturevalue("s3_bucket"))
    return S3ObjectStore(bucket, "published")


@pytest.mark.parametrize("name", ["My Archive", "archive 100%", "Année 2026"])
def test_a_folder_opened_by_its_url_is_the_folder_itself(tmp_path: Path, name: str) -> None:
    """``Path.as_uri`` percent-encodes a space, ``%`` and non-ASCII (RFC 8089): a parser
    process opens the store by that URL and must write where the parent reads."""
    folder = tmp_path / name
    LocalObjectStore(folder).put("raw/a.xml", b"<a/>")
    reopened = open_store(folder.as_uri())
    assert reopened.get("raw/a.xml") == b"<a/>"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_second_write_is_refused_and_the_first_bytes_stay(store: ObjectStore) -> None:
    assert store.put_if_absent(KEY, b'{"v": "first"}', content_type="application/json")
    etag = store.head(KEY)
    assert store.put_if_absent(KEY, b'{"v": "second, longer"}') is False
    assert store.put_if_absent(KEY, b'{"v": "first"}') is False  # same bytes: still refused
    assert store.get(KEY) == b'{"v": "first"}'
    assert store.head(KEY) == etag
    assert [info.key for info in store.list("articles/")] == [KEY]  # no temp file left


def test_racing_writers_of_one_key_have_exactly_one_winner(store: ObjectStore) -> None:
    writers = 8
    start = threading.Barrier(writers)
    won: list[bytes] = []

    def write(n: int) -> None:
        data = f"writer {n}".encode()
        start.wait()
        if store.put_if_absent(KEY, data):
            won.append(data)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert store.get(KEY) == won[0]


def test_a_missing_key_is_written_with_its_metadata(store: ObjectStore) -> None:
    assert store.put_if_absent(KEY, b"{}", content_type="application/json",
                               cache_control="max-age=60")
    info = store.head(KEY)
    assert info is not None and (info.key, info.size) == (KEY, 2)
    if isinstance(store, S3ObjectStore):  # the directory store keeps no metadata
        assert (info.content_type, info.cache_control) == ("application/json", "max-age=60")


def test_the_s3_write_carries_the_precondition(s3_bucket: str) -> None:
    """What the server is asked, seen on the wire: the version PUT says ``If-None-Match: *``."""
    client = make_s3_client()
    sent: list[tuple[str, Any]] = []

    def note(request: Any, **_: Any) -> None:
        if request.method == "PUT":
            sent.append((request.url, request.headers.get("If-None-Match")))

    client.meta.events.register("before-send.s3.PutObject", note)
    store = S3ObjectStore(s3_bucket, "p", client=client)
    store.put_if_absent(KEY, b"{}")
    store.put("feeds/x/rss.xml", b"<rss/>")  # a replacement: no precondition
    assert [(url.rsplit("/", 1)[1], match) for url, match in sent] == [
        ("v1.json", b"*"), ("rss.xml", None)
    ]


class RecordingStore:
    """A real store that notes which method wrote which key."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.writes: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put(self, key: str, data: bytes, **meta: Any) -> str:
        self.writes.append(("put", key))
        return self.inner.put(key, data, **meta)

    def put_if_absent(self, key: str, data: bytes, **meta: Any) -> bool:
        self.writes.append(("put_if_absent", key))
        return self.inner.put_if_absent(key, data, **meta)


@pytest.fixture
def recorded(
    registry: SQLRegistry, fixture_articles: list[Article], recorder: Any
) -> Iterator[list[Article]]:
    stories = fixture_articles[:3]  # three stories' first versions (tests/fixtures/publish)
    assert len({a.uri for a in stories}) == 3
    recorder(registry, stories)
    yield stories


def test_versions_are_written_only_by_conditional_puts(
    store: ObjectStore, registry: SQLRegistry, recorded: list[Article]
) -> None:
    recording = RecordingStore(store)
    report = publish_versions(registry, recording, NOW)
    version_writes = [(how, key) for how, key in recording.writes
                      if key.startswith("articles/") and not key.endswith("/latest.json")]
    assert report.written == len(version_writes) > 0
    assert {how for how, _ in version_writes} == {"put_if_absent"}


def test_a_version_already_in_the_store_is_never_overwritten(
    store: ObjectStore, registry: SQLRegistry, recorded: list[Article]
) -> None:
    """Another worker (or an earlier, cut-off run) wrote the version first: its bytes stay."""
    first = recorded[0]
    assert first.version is not None
    key = version_key(first.uri, first.version)
    store.put_if_absent(key, b'{"written": "by another worker"}')
    report = publish_versions(registry, store, NOW)
    assert store.get(key) == b'{"written": "by another worker"}'
    assert report.already_there == 1
    assert report.written == len(recorded) - 1
    again = publish_versions(registry, store, NOW)  # nothing left to write
    assert (again.written, again.already_there) == (0, 0)


@pytest.mark.parametrize(
    "key", ["", ".", "..", "../x", "a/../b", "a/./b", "a//b", "a/", "/abs", "-x", ".hidden",
            "a b", "a\\b", "a\nb", "é.json", "a?b", "a#b"],
)
def test_unsafe_keys_are_refused_by_every_write_and_read(store: ObjectStore, key: str) -> None:
    """A key must be relative, made of ``[A-Za-z0-9._-/=+]``, with no empty or dot segment."""
    for call in (lambda: store.put(key, b"x"), lambda: store.put_if_absent(key, b"x"),
                 lambda: store.get(key), lambda: store.uri_for(key)):
        with pytest.raises(ValueError, match="unsafe object key"):
            call()
    assert list(store.list("")) == []


@pytest.mark.parametrize("key", ["a", "raw/afp/2026/11/27/0f3a", "feeds/p-1/rss.xml",
                                 "x=1+2/y_z.json", "9/.8"])
def test_plain_keys_are_kept_as_given(store: ObjectStore, key: str) -> None:
    store.put(key, b"x")
    assert [info.key for info in store.list("")] == [key]
    assert store.get(key) == b"x"


def test_s3_keys_live_under_the_prefix_with_their_metadata(s3_bucket: str) -> None:
    client = make_s3_client()
    store = S3ObjectStore(s3_bucket, "/team/feeds/", client=client)
    store.put("p/rss.xml", b"<rss/>", cache_control="max-age=60")
    store.put_if_absent("p/feed.json", b"{}")
    assert store.uri_for("p/rss.xml") == f"s3://{s3_bucket}/team/feeds/p/rss.xml"
    listed = client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["team/feeds/p/feed.json", "team/feeds/p/rss.xml"]
    rss = client.head_object(Bucket=s3_bucket, Key="team/feeds/p/rss.xml")
    assert (rss["ContentType"], rss["CacheControl"]) == ("application/xml", "max-age=60")
    feed = client.head_object(Bucket=s3_bucket, Key="team/feeds/p/feed.json")
    assert feed["ContentType"] == "application/json" and "CacheControl" not in feed


def test_a_replacement_is_whole_and_returns_the_new_etag(store: ObjectStore) -> None:
    store.put("feeds/p/rss.xml", b"old")
    etag = store.put("feeds/p/rss.xml", b"new, longer")
    assert store.get("feeds/p/rss.xml") == b"new, longer"
    info = store.head("feeds/p/rss.xml")
    assert info is not None and etag == info.etag and len(etag) == 32  # MD5 hex, no quotes
    assert [i.key for i in store.list("feeds/")] == ["feeds/p/rss.xml"]


def test_local_writes_stage_beside_the_key_and_are_never_listed_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file is made in the key's own directory (so the final link or rename
    is atomic, on one filesystem, whatever ``TMPDIR`` is) and named so that listings skip
    it: a lister running while the bytes are being flushed sees only finished objects."""
    import os
    import tempfile

    store = LocalObjectStore(tmp_path / "store")
    store.put("feeds/p/atom.xml", b"<feed/>")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-dir"))
    seen_mid_write: list[list[str]] = []
    real_fsync = os.fsync

    def listing_fsync(fd: int) -> None:
        seen_mid_write.append([info.key for info in store.list("")])
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", listing_fsync)
    store.put("feeds/p/rss.xml", b"<rss/>")
    assert store.put_if_absent("feeds/p/feed.json", b"{}")
    assert seen_mid_write == [["feeds/p/atom.xml"], ["feeds/p/atom.xml", "feeds/p/rss.xml"]]
    assert sorted(p.name for p in (tmp_path / "store/feeds/p").iterdir()) == [
        "atom.xml", "feed.json", "rss.xml"]


def test_a_bare_412_from_an_s3_compatible_server_is_a_refusal(tmp_path: Path) -> None:
    """Some S3-compatible servers answer a failed precondition with a bodiless 412, which
    botocore reports as error code ``"412"`` rather than ``PreconditionFailed``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import boto3
    from botocore.config import Config

    class Refusing(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(412)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{server.server_port}", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 0}, s3={"addressing_style": "path"}),
        )
        assert S3ObjectStore("bucket", client=client).put_if_absent(KEY, b"{}") is False
    finally:
        server.shutdown()
        server.server_close()
