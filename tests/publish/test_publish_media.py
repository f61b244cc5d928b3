"""Picture copies: from the drop folder (disk and moto S3), the web and AFP's API, over real
local HTTP servers; checked, capped, retried, written once, linked only where licensed."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import feedparser
import pytest

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, Rendition
from ingest.pipeline import ingest_items
from ingest.publish.articles import publish_versions, version_key
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.media import MediaCopier, is_media_key, link_media, sniff
from ingest.publish.objectstore import LocalObjectStore, ObjectStore, S3ObjectStore
from ingest.publish.partners import Partner, parse_partners
from ingest.registry import SQLRegistry
from ingest.sources.base import RawItem
from ingest.sources.media import AFPFiles, StoreFiles, WebFiles
from ingest.sources.watchlist import FetchSettings
from ingest.sources.web import Fetcher

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
ITEM, PHOTO = "afp-newsml12-harbour-turbine.xml", "afp-newsml12-harbour-turbine.jpg"
# sha256sum of the fixture JPEG (see tests/fixtures/media/README.md)
PHOTO_KEY = "media/892430bdd3354138d4ad36047973cba3f908c07e2c41bbe2a5f1395604037758.jpg"
STORY = "urn:newsml:afp.com:20261127T101500Z:doc-39xm7qd"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BASE = "https://feeds.example.com/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
GIF = b"GIF89a" + b"\x00" * 24
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16


def _jpeg() -> bytes:
    return (MEDIA / PHOTO).read_bytes()


def _partners() -> dict[str, Partner]:
    """One partner licensed for pictures, one not (the same stories otherwise)."""
    rights = {"providers": ["afp"]}
    doc = {"base_url": BASE, "partners": [
        {"id": "licensed", "name": "L", "formats": ["rss", "ninjs"], "max_age": "3650d",
         "rights": {**rights, "pictures": True}},
        {"id": "textonly", "name": "T", "formats": ["rss", "ninjs"], "max_age": "3650d",
         "rights": {**rights, "pictures": False}},
    ]}
    return {p.id: p for p in parse_partners(doc)}


def _keys(store: ObjectStore, prefix: str = "media/") -> list[str]:
    return [info.key for info in store.list(prefix)]


# --- the magic bytes, not the name, say what a file is ------------------------------------


def test_sniff_knows_the_four_picture_types_and_nothing_else() -> None:
    kinds = [sniff(data) for data in (_jpeg(), PNG, GIF, WEBP)]
    assert [(k.ext, k.content_type) if k else None for k in kinds] == [
        ("jpg", "image/jpeg"), ("png", "image/png"), ("gif", "image/gif"), ("webp", "image/webp")]
    for other in (b"<html><body>not a picture</body></html>", b"RIFF\x10\x00\x00\x00WAVE",
                  b"%PDF-1.7", b"", b"\xff\xd8"):
        assert sniff(other) is None


# --- files beside the item: the drop folder -----------------------------------------------


def test_dropped_item_and_picture_published_and_linked_only_where_licensed(
    tmp_path: Path, registry: SQLRegistry,
) -> None:
    drop = tmp_path / "drop"
    (drop / "2026").mkdir(parents=True)
    for name in (ITEM, PHOTO):
        shutil.copy(MEDIA / name, drop / "2026" / name)
    store = LocalObjectStore(tmp_path / "objects")
    copier = MediaCopier(store, StoreFiles(LocalObjectStore(drop)))
    item = RawItem("drop", f"2026/{ITEM}", (drop / "2026" / ITEM).read_bytes())

    report = ingest_items([item], registry=registry, store=store, received_at=NOW, media=copier)
    assert report.media == {"copied": 1}
    assert _keys(store) == [PHOTO_KEY]
    assert store.get(PHOTO_KEY) == _jpeg()
    assert store.head(PHOTO_KEY).content_type == "image/jpeg"  # type: ignore[union-attr]

    # the registry keeps the store-relative key; the stored version names it under the base
    [(row, _)] = registry.latest_many([STORY]).values()
    [rendition] = row.article.pictures[0].renditions
    assert (rendition.href, rendition.content_type, rendition.size_in_bytes) == (
        PHOTO_KEY, "image/jpeg", 2345)
    publish_versions(registry, store, NOW, media_base=BASE)
    stored = json.loads(store.get(version_key(STORY, 1)))
    [association] = stored["associations"]
    assert association["renditions"] == [{
        "name": "Preview", "href": BASE + PHOTO_KEY, "contentType": "image/jpeg",
        "width": 240, "height": 160, "sizeInBytes": 2345}]

    partners = _partners()
    for partner in partners.values():
        build_partner_feeds(registry, store, partner, NOW)
    licensed = feedparser.parse(store.get("feeds/licensed/rss.xml"))
    [entry] = licensed.entries
    assert [m["url"] for m in entry.media_content] == [BASE + PHOTO_KEY]
    [ninjs] = json.loads(store.get("feeds/licensed/ninjs.json"))["items"]
    assert ninjs["associations"][0]["renditions"][0]["href"] == BASE + PHOTO_KEY
    # the partner without picture rights gets the story, and no trace of the copy
    for name in ("rss.xml", "ninjs.json"):
        feed = store.get(f"feeds/textonly/{name}")
        assert b"Visby harbour" in feed
        assert b"media/" not in feed and b"doc-39xm7qe" not in feed

    # a rerun copies nothing new and records nothing new
    again = ingest_items([item], registry=registry, store=store, received_at=NOW, media=copier)
    assert again.media == {"copied": 1} and _keys(store) == [PHOTO_KEY]
    assert again.results == {"duplicate": 1}


def test_drop_on_s3_copies_keys_inside_its_bucket_only(s3_env: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_env)
    for bucket in ("c3-drop", "c3-store", "c3-elsewhere"):
        client.create_bucket(Bucket=bucket)
    drop = S3ObjectStore("c3-drop", "afp")
    drop.put("2026/photo.jpg", _jpeg())
    S3ObjectStore("c3-elsewhere").put("secret.jpg", _jpeg())
    store = S3ObjectStore("c3-store", "prod")
    copier = MediaCopier(store, StoreFiles(drop))

    assert copier.copy("2026/photo.jpg").key == PHOTO_KEY
    assert copier.copy("s3://c3-drop/afp/2026/photo.jpg").key == PHOTO_KEY
    assert client.get_object(Bucket="c3-store", Key="prod/" + PHOTO_KEY)["Body"].read() == _jpeg()
    for refused in ("s3://c3-elsewhere/secret.jpg", "s3://c3-drop/other/photo.jpg",
                    "2026/missing.jpg", "../2026/photo.jpg", "a.zip!photo.jpg"):
        with pytest.raises(IngestError) as caught:
            copier.copy(refused)
        assert caught.value.reason is Reason.FETCH_FAILED, refused
    assert _keys(store) == [PHOTO_KEY]
    # a store that fails (here: its bucket is gone) is a failed copy, not a crashed batch
    gone = MediaCopier(store, StoreFiles(S3ObjectStore("c3-no-such-bucket")))
    with pytest.raises(IngestError) as caught:
        gone.copy("2026/photo.jpg")
    assert caught.value.reason is Reason.FETCH_FAILED and "NoSuchBucket" in caught.value.detail


def test_drop_file_past_the_cap_or_not_a_picture_is_refused(tmp_path: Path) -> None:
    drop = LocalObjectStore(tmp_path / "drop")
    drop.put("big.jpg", _jpeg() + b"\x00" * 1000)
    drop.put("page.jpg", b"<!doctype html><title>Photo</title>")
    store = LocalObjectStore(tmp_path / "objects")
    copier = MediaCopier(store, StoreFiles(drop), max_bytes=len(_jpeg()) + 999)
    with pytest.raises(IngestError) as too_big:
        copier.copy("big.jpg")
    with pytest.raises(IngestError) as html:
        copier.copy("page.jpg")
    assert (too_big.value.reason, html.value.reason) == (Reason.TOO_LARGE, Reason.UNKNOWN_FORMAT)
    assert _keys(store) == []


def test_a_failed_copy_keeps_its_href_and_counts_why(tmp_path: Path) -> None:
    drop = LocalObjectStore(tmp_path / "drop")
    copier = MediaCopier(LocalObjectStore(tmp_path / "objects"), StoreFiles(drop))
    web = "https://media.afp.com/photos/x.jpg"  # not the drop's to fetch: left alone
    article = Article(uri="urn:x", headline="H", pictures=[Picture(
        uri="urn:x#p", renditions=[Rendition("a", "gone.jpg"), Rendition("b", web)])])
    assert copier.localise(article) == {"fetch_failed": 1}
    assert [r.href for r in article.pictures[0].renditions] == ["gone.jpg", web]


def test_partners_are_given_only_copies_of_photos_and_every_package_link() -> None:
    afp = "https://media.afp.com/photos/x-hd.jpg"  # needs AFP's credentials: never copied here
    text = "https://api.afp.com/objects/api/medias/x.xml"
    article = Article(uri="urn:x", headline="H", pictures=[
        Picture(uri="urn:x#p", caption="Turbines", renditions=[
            Rendition("highRes", afp), Rendition("thumbnail", PHOTO_KEY)]),
        Picture(uri="urn:x#q", caption="Uncopied", renditions=[Rendition("highRes", afp)]),
        Picture(uri="urn:x#t", type="text", renditions=[Rendition("text", text)]),
    ])
    seen = _partners()["licensed"].view(article)
    assert [[r.href for r in p.renditions] for p in seen.pictures] == [
        [f"{BASE}{PHOTO_KEY}"], [], [text]]
    assert [p.caption for p in seen.pictures] == ["Turbines", "Uncopied", None]
    assert [r.href for r in article.pictures[0].renditions] == [afp, PHOTO_KEY]  # record kept


def test_link_media_leaves_an_article_without_copies_as_it_is() -> None:
    article = Article(uri="urn:x", headline="H", pictures=[Picture(
        uri="urn:x#p", renditions=[Rendition("a", "https://example.org/a.jpg")])])
    assert link_media(article, lambda key: BASE + key) is article
    assert is_media_key(PHOTO_KEY)
    assert not is_media_key("media/../x.jpg") and not is_media_key("media/abc.jpg")


# --- the web, over a real local server ----------------------------------------------------


@dataclass
class Server:
    """Answers GET ``path`` from a script of (status, body, headers) per path."""

    port: int = 0
    script: dict[str, list[tuple[int, bytes, dict[str, str]]]] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                state.hits.append((self.path, dict(self.headers.items())))
                answers = state.script.get(self.path, [])
                status, body, headers = (answers.pop(0) if len(answers) > 1 else
                                         answers[0] if answers else (404, b"", {}))
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web_copier(tmp_path: Path) -> Iterator[tuple[MediaCopier, list[float]]]:
    sleeps: list[float] = []
    settings = FetchSettings(allow=("127.0.0.1",), attempts=3, backoff=0.5, max_bytes=10_000,
                             connect_timeout=2.0, read_timeout=2.0)
    with Fetcher(settings, sleep=sleeps.append) as fetcher:
        yield MediaCopier(LocalObjectStore(tmp_path / "objects"), WebFiles(fetcher),
                          max_bytes=10_000), sleeps


def test_web_picture_copied_and_an_html_page_named_jpg_refused(
    server: Server, web_copier: tuple[MediaCopier, list[float]],
) -> None:
    copier, _ = web_copier
    server.script = {
        "/photo.jpg": [(200, _jpeg(), {"Content-Type": "image/jpeg"})],
        "/fake.jpg": [(200, b"<!doctype html><p>Login</p>", {"Content-Type": "image/jpeg"})],
    }
    assert copier.copy(server.url("/photo.jpg")).key == PHOTO_KEY
    with pytest.raises(IngestError) as refused:
        copier.copy(server.url("/fake.jpg"))
    assert refused.value.reason is Reason.UNKNOWN_FORMAT
    assert _keys(copier.store) == [PHOTO_KEY]


def test_web_picture_past_the_cap_is_refused_unwritten(
    server: Server, web_copier: tuple[MediaCopier, list[float]],
) -> None:
    copier, _ = web_copier
    big = _jpeg() + b"\x00" * 10_000
    server.script = {"/big.jpg": [(200, big, {})]}
    with pytest.raises(IngestError) as refused:
        copier.copy(server.url("/big.jpg"))
    assert refused.value.reason is Reason.TOO_LARGE
    assert _keys(copier.store) == []


def test_web_picture_failing_twice_is_retried_then_copied(
    server: Server, web_copier: tuple[MediaCopier, list[float]],
) -> None:
    copier, sleeps = web_copier
    server.script = {"/flaky.jpg": [(503, b"", {}), (502, b"", {}), (200, _jpeg(), {})]}
    assert copier.copy(server.url("/flaky.jpg")).key == PHOTO_KEY
    assert [path for path, _ in server.hits] == ["/flaky.jpg"] * 3
    assert len(sleeps) == 2


def test_web_picture_on_a_private_address_is_refused_before_any_request(
    server: Server, tmp_path: Path,
) -> None:
    server.script = {"/photo.jpg": [(200, _jpeg(), {})]}
    with Fetcher(FetchSettings(attempts=1)) as guarded:  # nothing allow-listed
        copier = MediaCopier(LocalObjectStore(tmp_path / "objects"), WebFiles(guarded))
        with pytest.raises(IngestError) as refused:
            copier.copy(server.url("/photo.jpg"))
    assert "loopback" in refused.value.detail
    assert server.hits == []


# --- AFP's API: the token, to its own host only -------------------------------------------


def test_afp_rendition_fetched_with_the_token_and_retried(
    server: Server, tmp_path: Path,
) -> None:
    server.script = {"/objects/photo.jpg": [(500, b"", {}), (200, _jpeg(), {})]}
    tokens: list[str] = []

    def authorization() -> str:
        tokens.append("Bearer t0k3n")
        return tokens[-1]

    afp = AFPFiles(authorization, "127.0.0.1", sleep=lambda _s: None)
    copier = MediaCopier(LocalObjectStore(tmp_path / "objects"), afp)
    article = Article(uri="urn:afp", headline="H", pictures=[Picture(uri="urn:afp#p", renditions=[
        Rendition("hd", server.url("/objects/photo.jpg")),
        Rendition("other", "https://elsewhere.example/photo.jpg")])])
    assert copier.localise(article) == {"copied": 1}
    assert [r.href for r in article.pictures[0].renditions] == [
        PHOTO_KEY, "https://elsewhere.example/photo.jpg"]
    assert [headers.get("Authorization") for _, headers in server.hits] == ["Bearer t0k3n"] * 2
    assert not afp.handles("https://elsewhere.example/photo.jpg")
