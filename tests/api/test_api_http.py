"""The partner API through real HTTP: keys, cursor pages, items, ETags, quotas, long polls.

Stories come from ``Article`` values written here; what each partner should get follows
from its contract (languages, providers) read by eye, not from the API's own code.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from api_server import Api, partner, running_api

from ingest.api.keys import create_key
from ingest.model import Article, PubStatus
from ingest.publish.objectstore import LocalObjectStore
from ingest.registry import SQLRegistry

NEWS = partner("news", languages=["en"])
FRENCH = partner("french", languages=["fr"])
TIGHT = partner("tight", per_minute=3)


def story(uri: str, version: int = 1, status: PubStatus = "usable", *, language: str = "en",
          embargo: datetime | None = None) -> Article:
    return Article(uri=uri, version=version, pub_status=status, language=language,
                   headline=f"{uri} v{version}", body_html=f"<p>{uri} at v{version}.</p>",
                   version_created=datetime.now(UTC), embargoed_until=embargo, provider="AFP")


@pytest.fixture
def api(registry: SQLRegistry, store: LocalObjectStore) -> Iterator[Api]:
    with running_api(registry, store, [NEWS, FRENCH, TIGHT], poll_seconds=0.05) as running:
        yield running


def _uris(response: object) -> list[tuple[str, str, str]]:
    doc = response.json()  # type: ignore[attr-defined]
    return [(i["uri"], i["version"], i["pubStatus"]) for i in doc["items"]]


def test_a_missing_wrong_or_revoked_key_gets_401(api: Api) -> None:
    bad = [api.get("/v1/feed"),
           api.get("/v1/feed", "ingest_000000000000_not-the-secret"),
           api.get("/v1/feed", "not a key at all"),
           api.get("/v1/feed", headers={"Authorization": f"Basic {api.keys['news']}"})]
    key_id = api.keys["news"].split("_")[1]
    assert api.feed("news").status_code == 200
    assert api.registry.revoke_partner_key(key_id, datetime.now(UTC))
    bad.append(api.feed("news"))
    for response in bad:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"
    assert api.get("/v1/items/urn:x").status_code == 401
    assert api.get("/v1/feed", params={"limit": 1000}).status_code == 401  # before validation


def test_the_feed_pages_in_release_order_and_a_cursor_replays_its_page(api: Api) -> None:
    api.release(story("urn:a"), story("urn:b"), story("urn:fr", language="fr"))
    api.release(story("urn:c"), story("urn:a", 2))  # one run: arrival order, then by uri
    first = api.feed("news", limit=2)
    assert first.status_code == 200
    assert _uris(first) == [("urn:a", "1", "usable"), ("urn:b", "1", "usable")]
    cursor = first.json()["next_cursor"]
    second = api.feed("news", cursor=cursor, limit=2)
    assert _uris(second) == [("urn:a", "2", "usable"), ("urn:c", "1", "usable")]
    again = api.feed("news", cursor=cursor, limit=2)
    assert again.content == second.content
    assert again.headers["ETag"] == second.headers["ETag"]
    end = api.feed("news", cursor=second.json()["next_cursor"])
    assert end.json()["items"] == []
    assert _uris(api.feed("french")) == [("urn:fr", "1", "usable")]


def test_bad_cursor_is_400_and_limit_past_100_is_422(api: Api) -> None:
    # not base64; "r1" padded (the API never pads); "x12"; "r-1"
    for cursor in ("nonsense!", "cjE=", "eDEy", "ci0x"):
        response = api.feed("news", cursor=cursor)
        assert response.status_code == 400, cursor
        assert response.json()["error"] == "bad_cursor"
    too_many = api.feed("news", limit=101)
    assert too_many.status_code == 422 and too_many.json()["error"] == "invalid_request"
    assert too_many.headers["ETag"]
    assert api.feed("news", limit=100).status_code == 200
    assert api.feed("news", wait=31).status_code == 422


def test_kills_reach_only_partners_that_received_the_story(api: Api) -> None:
    api.release(story("urn:k"), story("urn:kfr", language="fr"))
    cursor = api.feed("news").json()["next_cursor"]
    api.release(story("urn:k", 2, "canceled"), story("urn:kfr", 2, "canceled"))
    later = api.feed("news", cursor=cursor)
    assert _uris(later) == [("urn:k", "2", "canceled")]
    kill = later.json()["items"][0]
    assert "Withdrawn" in kill["bodies"][0]["value"]
    assert _uris(api.feed("french")) == [("urn:kfr", "1", "usable"), ("urn:kfr", "2", "canceled")]


def test_an_embargoed_version_comes_once_released(api: Api) -> None:
    lift = datetime.now(UTC) + timedelta(hours=1)
    api.release(story("urn:e", embargo=lift))
    assert api.feed("news").json()["items"] == []
    assert api.item("news", "urn:e").status_code == 404
    api.release(at=lift + timedelta(seconds=1))  # the next publish run after the embargo
    assert _uris(api.feed("news")) == [("urn:e", "1", "usable")]


def test_items_answer_404_alike_for_unknown_and_unlicensed_stories(api: Api) -> None:
    api.release(story("urn:afp:2026:one/two"), story("urn:fr:x", language="fr"))
    api.release(story("urn:afp:2026:one/two", 2))
    latest = api.item("news", "urn:afp:2026:one/two")
    assert latest.status_code == 200
    assert (latest.json()["uri"], latest.json()["version"]) == ("urn:afp:2026:one/two", "2")
    first = api.item("news", "urn:afp:2026:one/two", 1)
    assert first.json()["version"] == "1"
    unlicensed, missing = api.item("news", "urn:fr:x"), api.item("news", "urn:nothing")
    assert unlicensed.status_code == missing.status_code == 404
    assert unlicensed.content == missing.content
    assert unlicensed.headers["ETag"] == missing.headers["ETag"]
    assert api.item("news", "urn:afp:2026:one/two", 7).content == missing.content
    assert api.item("french", "urn:fr:x").status_code == 200
    api.release(story("urn:afp:2026:one/two", 3, "canceled"))
    killed = api.item("news", "urn:afp:2026:one/two")
    assert killed.json()["pubStatus"] == "canceled"
    assert api.item("news", "urn:afp:2026:one/two", 1).content == missing.content


def test_if_none_match_gives_304_on_every_get(api: Api) -> None:
    api.release(story("urn:tag"))
    key = api.keys["news"]
    for path in ("/v1/feed", "/v1/items/urn%3Atag", "/v1/items/urn%3Atag/versions/1",
                 "/healthz"):
        first = api.get(path, key)
        etag = first.headers["ETag"]
        assert first.status_code == 200 and etag.startswith('"') and not etag.startswith('W/')
        again = api.get(path, key, headers={"If-None-Match": f'"other", {etag}'})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        assert api.get(path, key, headers={"If-None-Match": '"other"'}).status_code == 200


def test_past_the_quota_429_says_when_to_retry(api: Api) -> None:
    codes = [api.feed("tight").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200]
    if codes[3] == 200:  # the three fell across a minute boundary: one more minute's worth
        codes += [api.feed("tight").status_code for _ in range(3)]
    assert codes[-1] == 429
    over = api.feed("tight")
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert api.feed("news").status_code == 200  # another key's quota is its own


def test_a_long_poll_returns_as_soon_as_a_story_is_released(api: Api) -> None:
    cursor = api.feed("news").json()["next_cursor"]
    timer = threading.Timer(0.5, lambda: api.release(story("urn:late")))
    started = time.monotonic()
    timer.start()
    try:
        response = api.feed("news", cursor=cursor, wait=20)
    finally:
        timer.join()
    assert time.monotonic() - started < 10
    assert _uris(response) == [("urn:late", "1", "usable")]
    started = time.monotonic()
    empty = api.feed("news", cursor=response.json()["next_cursor"], wait=1)
    assert empty.json()["items"] == [] and time.monotonic() - started >= 1


def _api_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ingest.api"]


def test_one_log_line_a_request_never_with_the_key(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ingest.api"):
        api.feed("news", cursor="bad!")
        api.get("/v1/feed", "ingest_000000000000_guess")
        # the server logs a request once its response is sent, so after the client has it
        deadline = time.monotonic() + 5
        while len(_api_records(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = [json.loads(r.getMessage()) for r in _api_records(caplog)]
    key_id = api.keys["news"].split("_")[1]
    assert lines[0] == {**lines[0], "method": "GET", "path": "/v1/feed", "status": 400,
                        "partner": "news", "key_id": key_id}
    assert lines[1]["status"] == 401 and lines[1]["key_id"] is None
    assert all(isinstance(line["ms"], float) for line in lines)
    text = caplog.text
    assert api.keys["news"] not in text and "guess" not in text
    # ``ingest_<id>_<secret>``; the secret is URL-safe base64, which may itself hold ``_``
    secret = api.keys["news"].split("_", 2)[2]
    assert len(secret) >= 40 and secret not in text


def test_openapi_and_health_need_no_key(api: Api) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/v1/feed", "/v1/items/{uri}", "/healthz"} <= set(spec["paths"])
    assert api.get("/healthz").json() == {"status": "ok"}


def test_a_key_of_a_partner_no_longer_in_the_contracts_is_refused(api: Api) -> None:
    _, key = create_key(api.registry, "gone", datetime.now(UTC))
    assert api.get("/v1/feed", key).status_code == 401
