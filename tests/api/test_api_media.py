"""``GET /v1/media/{key}`` through real HTTP: a partner fetches a picture copy by the exact
href its ``/v1/feed`` ninjs gives, and only when its rights and the story allow it.

The picture is the media fixture JPEG (tests/fixtures/media/README.md); its key is the
``sha256sum`` of that file, written here by hand. Which partner may see it follows from
the contracts below, read by eye.
"""

from __future__ import annotations

import dataclasses
import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from api_server import Api, partner, serving

from ingest.api import create_app
from ingest.api.keys import create_key
from ingest.model import Article, Picture, PubStatus, Rendition
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import load_partners, parse_partners
from ingest.registry import SQLRegistry
from ingest.registry.migrate import upgrade_database
from migration_support import migrate

PHOTO = Path(__file__).resolve().parent.parent / "fixtures/media/afp-newsml12-harbour-turbine.jpg"
SHA = "892430bdd3354138d4ad36047973cba3f908c07e2c41bbe2a5f1395604037758"
KEY = f"media/{SHA}.jpg"
OTHER = f"media/{'0' * 64}.jpg"  # a well-formed key no story links and the store lacks

LICENSED = partner("licensed", languages=["en"])
NO_PICTURES = partner("no-pictures", languages=["en"], pictures=False)
FRENCH = partner("french", languages=["fr"])  # licensed for pictures, but not the story


class RecordingStore(LocalObjectStore):
    """A local store that remembers every key read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.read: list[str] = []

    def get(self, key: str) -> bytes:
        self.read.append(key)
        return super().get(key)


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    recording = RecordingStore(tmp_path / "objects")
    recording.put(KEY, PHOTO.read_bytes(), content_type="image/jpeg")
    recording.put("articles/secret/v1.json", b'{"secret": true}')
    recording.put("raw/drop/2026/12/01/abc", b"\xff\xd8\xff raw bytes")
    return recording


@contextmanager
def media_api(registry: SQLRegistry, store: RecordingStore) -> Iterator[Api]:
    """The API with partners whose ``media_base_url`` is this very server's ``/v1/``."""
    app: dict[str, Any] = {}

    async def deferred(scope: Any, receive: Any, send: Any) -> None:
        await app["asgi"](scope, receive, send)

    with serving(deferred) as url:
        partners = [dataclasses.replace(p, media_base_url=f"{url}/v1/")
                    for p in (LICENSED, NO_PICTURES, FRENCH)]
        app["asgi"] = create_app(registry, store, partners, poll_seconds=0.05)
        keys = {p.id: create_key(registry, p.id, datetime.now(UTC))[1] for p in partners}
        yield Api(url, registry, store, keys)


@pytest.fixture
def api(registry: SQLRegistry, store: RecordingStore) -> Iterator[Api]:
    with media_api(registry, store) as running:
        yield running


def story(uri: str = "urn:photo-story", version: int = 1, status: PubStatus = "usable",
          *, href: str = KEY) -> Article:
    picture = Picture(uri="urn:picture:1", caption="A turbine in the harbour",
                      renditions=[Rendition(name="highRes", href=href,
                                            content_type="image/jpeg")])
    return Article(uri=uri, version=version, pub_status=status, language="en",
                   headline=f"{uri} v{version}", body_html="<p>Turbines.</p>",
                   version_created=datetime.now(UTC), provider="AFP", pictures=[picture])


def picture_hrefs(api: Api, pid: str) -> list[str]:
    items = api.feed(pid).json()["items"]
    return [r["href"] for item in items for a in item.get("associations", [])
            for r in a.get("renditions", [])]


def fetch(url: str, key: str | None, **headers: str) -> requests.Response:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return requests.get(url, headers=headers, timeout=20)


def test_a_licensed_partner_fetches_the_picture_by_the_href_its_feed_gives(api: Api) -> None:
    api.release(story())
    hrefs = picture_hrefs(api, "licensed")
    assert hrefs == [f"{api.url}/v1/media/{SHA}.jpg"]
    response = fetch(hrefs[0], api.keys["licensed"])
    assert response.status_code == 200
    assert response.content == PHOTO.read_bytes()
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["ETag"] == f'"{SHA}"'
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_the_etag_gives_304_without_the_bytes(api: Api) -> None:
    api.release(story())
    url = f"{api.url}/v1/media/{SHA}.jpg"
    for sent in (f'"{SHA}"', f'W/"{SHA}"', f'"other", "{SHA}"'):
        again = fetch(url, api.keys["licensed"], **{"If-None-Match": sent})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["ETag"] == f'"{SHA}"'
    assert fetch(url, api.keys["licensed"], **{"If-None-Match": '"other"'}).status_code == 200
    assert api.store.read == [KEY]  # type: ignore[attr-defined]  # only the one 200 read it


def _same_404(response: requests.Response, missing: requests.Response) -> None:
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    assert response.headers["Content-Type"] == missing.headers["Content-Type"]
    assert response.headers.get("ETag") == missing.headers.get("ETag")


def test_a_partner_without_the_rights_or_the_story_gets_the_missing_picture_404(
    api: Api,
) -> None:
    api.release(story())
    assert picture_hrefs(api, "no-pictures") == []  # the picture is not linked...
    assert api.feed("no-pictures").json()["items"]  # ...though the story is delivered
    assert api.feed("french").json()["items"] == []
    for pid in ("no-pictures", "french", "licensed"):
        missing = api.get(f"/v1/media/{'0' * 64}.jpg", api.keys[pid])
        if pid != "licensed":
            _same_404(api.get(f"/v1/media/{SHA}.jpg", api.keys[pid]), missing)
        assert missing.json()["error"] == "not_found"
    assert api.store.read == []  # type: ignore[attr-defined]  # refused before reading


def test_no_key_or_a_wrong_key_gets_401(api: Api) -> None:
    api.release(story())
    for key in (None, "ingest_000000000000_not-the-secret"):
        response = api.get(f"/v1/media/{SHA}.jpg", key)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert raw_get(api, "/v1/media/../articles/secret/v1.json", None)[0] == 401


def raw_get(api: Api, path: str, key: str | None) -> tuple[int, bytes, str | None]:
    """GET ``path`` exactly as written: clients would resolve its ``..`` segments first."""
    connection = http.client.HTTPConnection(urlsplit(api.url).netloc, timeout=20)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {key}"} if key else {})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type")
    finally:
        connection.close()


def test_keys_outside_media_are_404_and_never_read(api: Api) -> None:
    api.release(story())
    key = api.keys["licensed"]
    missing = raw_get(api, f"/v1/media/{'0' * 64}.jpg", key)
    assert missing[0] == 404
    for path in ("../articles/secret/v1.json", "%2E%2E/articles/secret/v1.json",
                 "..%2Farticles%2Fsecret%2Fv1.json", "../raw/drop/2026/12/01/abc",
                 "raw/drop/2026/12/01/abc", f"{SHA}.jpg/../../articles/secret/v1.json",
                 f"../{KEY}", f"{SHA.upper()}.jpg", f"{SHA}.exe", SHA, KEY):
        assert raw_get(api, f"/v1/media/{path}", key) == missing, path
    assert api.store.read == []  # type: ignore[attr-defined]


def test_a_picture_goes_with_its_story_kill_and_stays_with_an_older_version(api: Api) -> None:
    api.release(story("urn:a"), story("urn:b"))
    api.release(story("urn:b", 2, href="https://media.example.com/other.jpg"))
    url = f"{api.url}/v1/media/{SHA}.jpg"
    # urn:b v2 dropped the copy, but the partner got v1 with it (and urn:a still links it)
    assert fetch(url, api.keys["licensed"]).status_code == 200
    api.release(story("urn:a", 2, "canceled"))
    # urn:a is killed; urn:b v1 is still a version the partner got, with this picture
    assert fetch(url, api.keys["licensed"]).status_code == 200
    api.release(story("urn:b", 3, "canceled"))
    assert fetch(url, api.keys["licensed"]).status_code == 404


def test_the_partners_file_names_the_media_base(tmp_path: Path) -> None:
    doc: dict[str, Any] = {"base_url": "https://feeds.example.com", "partners": [
        {"id": "p", "name": "P", "formats": ["rss"], "rights": {"providers": ["*"]}}]}
    without = parse_partners(doc)[0]
    assert without.media_url(KEY) == f"https://feeds.example.com/{KEY}"
    cdn = parse_partners({**doc, "media_base_url": "https://cdn.example.com/pics"})[0]
    assert cdn.media_url(KEY) == f"https://cdn.example.com/pics/{KEY}"
    with pytest.raises(ValueError, match="media_base_url"):
        parse_partners({**doc, "media_base_url": "file:///etc/"})
    # The bundled file points at `ingest serve` on its defaults, so the demo's links work.
    bundled = Path(__file__).resolve().parents[2] / "config/partners.yaml"
    demo = {p.id: p for p in load_partners(bundled)}["demo-news"]
    assert demo.media_url(KEY) == f"http://127.0.0.1:8000/v1/media/{SHA}.jpg"


def test_the_lookup_lists_the_versions_that_link_a_copy(registry: SQLRegistry) -> None:
    now = datetime.now(UTC)
    for article in (story("urn:a"), story("urn:a"), story("urn:b", 2), story("urn:c", href=OTHER)):
        registry.record_version(article, raw_key=None, received_at=now)
    assert registry.media_refs(KEY) == [("urn:a", 1), ("urn:b", 2)]
    assert registry.media_refs(OTHER) == [("urn:c", 1)]
    assert registry.media_refs(f"media/{'1' * 64}.png") == []


def test_the_migration_indexes_copies_recorded_before_it(registry: SQLRegistry) -> None:
    now = datetime.now(UTC)
    for article in (story("urn:a"), story("urn:b", 2), story("urn:c", href=OTHER),
                    story("urn:d", href="https://media.example.com/d.jpg")):
        registry.record_version(article, raw_key=None, received_at=now)
    migrate(registry.url, "0005", down=True)  # the registry as 0005 left it, with copies
    upgrade_database(registry.url)
    assert registry.media_refs(KEY) == [("urn:a", 1), ("urn:b", 2)]
    assert registry.media_refs(OTHER) == [("urn:c", 1)]
