"""The ops app behind Airflow's real auth: JWTs from SimpleAuthManager's login endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ops_support import BROKEN, FIRST, KILL, KILLED_URI, NOW, SAMPLES, SECOND, STARLETTE_HTTPX

from ingest.ops import create_app
from ingest.ops.status import partner_status
from ingest.pipeline import raw_key
from ingest.publish.feeds import partner_entries
from ingest.publish.partners import PushTarget, load_partners
from ingest.runtime import Runtime
from ingest.sources.base import RawItem

pytestmark = pytest.mark.filterwarnings(STARLETTE_HTTPX)

ROUTES = [
    ("GET", "/"),
    ("GET", "/static/ops.js"),
    ("GET", "/api/status"),
    ("GET", "/api/quarantine"),
    ("GET", "/api/quarantine/raw?key=raw/x"),
    ("POST", "/api/quarantine/replay"),
]


@pytest.fixture
def client(demo: Runtime, auth_manager: Any) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: demo, clock=lambda: NOW)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def broken_key(demo: Runtime) -> str:
    (row,) = demo.registry.quarantined(reason="malformed_xml")
    return row.raw_key


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_and_forged_requests_are_refused(
    client: TestClient, method: str, path: str
) -> None:
    assert client.request(method, path, json={"raw_key": "x"}).status_code == 401
    forged = client.request(method, path, json={"raw_key": "x"}, headers=bearer("not.a.jwt"))
    assert forged.status_code == 403


def test_page_and_assets_with_the_ui_cookie(client: TestClient, tokens: dict[str, str]) -> None:
    client.cookies.set("_token", tokens["admin"])
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="quarantine-rows"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/ops.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/../app.py").status_code == 404


def test_status_reports_sources_and_partners(
    client: TestClient, tokens: dict[str, str], demo: Runtime
) -> None:
    status = client.get("/api/status", headers=bearer(tokens["viewer"])).json()
    sources = {s["source"]: s for s in status["sources"]}
    assert set(sources) == {"afp-api", "drop"}
    assert sources["afp-api"]["window"] is None
    drop = sources["drop"]
    assert drop["window"]["position"].endswith(f"/drop/{KILL}")
    assert drop["hours_start"] == "2026-11-26T13:00:00Z"
    assert drop["ingested"][FIRST.hour - 13] > 0 and drop["ingested"][SECOND.hour - 13] == 1
    assert drop["quarantined"][FIRST.hour - 13] == sum(drop["quarantined"]) == 1
    assert drop["chart_svg"].count('class="quarantined"') == 1
    assert drop["lag_seconds"] > 0
    partners = {p["id"]: p for p in status["partners"]}
    assert partners["demo-news"]["last_kill"]["uri"] == KILLED_URI
    (rss,) = partners["demo-news"]["formats"]
    assert (rss["format"], rss["kills"]) == ("rss", 1)
    assert rss["url"].endswith("/feeds/demo-news/rss.xml") and rss["updated"]
    configured = {p.id: p for p in load_partners(demo.settings.partners_file)}
    assert {pid: p["push"] is None for pid, p in partners.items()} == {
        pid: p.push is None for pid, p in configured.items()
    }
    assert any(a["uri"] == KILLED_URI and a["version"] == 4 for a in status["published"])


def test_quarantine_filters(client: TestClient, tokens: dict[str, str]) -> None:
    get = lambda **params: client.get(  # noqa: E731
        "/api/quarantine", params=params, headers=bearer(tokens["viewer"])
    ).json()
    everything = get()
    assert [i["reason"] for i in everything["items"]] == ["malformed_xml"]
    assert everything["items"][0]["detail"].startswith(BROKEN)
    assert everything["facets"] == [
        {"source": "drop", "reason": "malformed_xml", "total": 1, "pending": 1}
    ]
    assert len(get(source="drop", reason="malformed_xml")["items"]) == 1
    assert get(reason="unknown_format")["items"] == []
    assert get(source="afp-api")["items"] == []


def test_raw_view_returns_the_stored_bytes(
    client: TestClient, tokens: dict[str, str], demo: Runtime
) -> None:
    key = broken_key(demo)
    raw = client.get("/api/quarantine/raw", params={"key": key},
                     headers=bearer(tokens["viewer"])).json()
    assert raw["text"] == (SAMPLES / BROKEN).read_text(encoding="utf-8")
    assert (raw["object"], raw["encoding"], raw["truncated"]) == (key, "utf-8", False)
    missing = client.get("/api/quarantine/raw", params={"key": "raw/drop/nothing"},
                         headers=bearer(tokens["viewer"]))
    assert missing.status_code == 404


def test_replay_still_broken_stays_pending(
    client: TestClient, tokens: dict[str, str], demo: Runtime
) -> None:
    key = broken_key(demo)
    result = client.post("/api/quarantine/replay", json={"raw_key": key},
                         headers=bearer(tokens["admin"])).json()
    assert result["report"]["quarantined"] == {"malformed_xml": 1}
    assert result["replayed"] is False
    (row,) = demo.registry.quarantined()
    assert (row.attempts, row.replayed, row.last_seen) == (2, False, NOW)


def test_replay_under_relaxed_rules_records_and_marks_replayed(
    client: TestClient, tokens: dict[str, str], demo: Runtime
) -> None:
    # An item an older rule refused: its bytes are stored, its row waits for a replay.
    data = (SAMPLES / "web-seed-article.txt").read_bytes() + b"\n\nA late paragraph.\n"
    key = raw_key(RawItem("drop", "late.txt", data), FIRST)
    demo.store.put_if_absent(key, data)
    demo.registry.quarantine(raw_key=key, source="drop", reason="missing_body",
                             detail="late.txt: refused by a rule since relaxed", at=FIRST)
    result = client.post("/api/quarantine/replay", json={"raw_key": key},
                         headers=bearer(tokens["admin"])).json()
    assert result["report"]["results"] == {"new": 1}
    assert result["replayed"] is True
    listing = client.get("/api/quarantine", params={"reason": "missing_body"},
                         headers=bearer(tokens["admin"])).json()
    assert listing["items"][0]["replayed"] is True


def test_replay_needs_run_rights_and_stored_bytes(
    client: TestClient, tokens: dict[str, str], demo: Runtime
) -> None:
    key = broken_key(demo)
    refused = client.post("/api/quarantine/replay", json={"raw_key": key},
                          headers=bearer(tokens["viewer"]))
    assert refused.status_code == 403
    demo.registry.quarantine(raw_key="drop:bomb.zip", source="drop", reason="too_large",
                             detail="archive has too many members", at=FIRST)
    nothing = client.post("/api/quarantine/replay", json={"raw_key": "drop:bomb.zip"},
                          headers=bearer(tokens["admin"]))
    assert nothing.status_code == 409
    assert demo.registry.quarantined(reason="malformed_xml")[0].attempts == 1


def test_push_status_counts_entries_not_yet_settled(demo: Runtime) -> None:
    partner = next(p for p in load_partners(demo.settings.partners_file) if p.id == "demo-news")
    pushing = replace(partner, push=PushTarget(url="https://hooks.example/in", secret_env="X"))
    status = partner_status(demo, pushing, NOW, carried={}, kill=None)
    current, _ = partner_entries(demo.registry, pushing, NOW)
    assert status["push"]["url"] == "https://hooks.example/in"
    assert status["push"]["delivered"] == 0
    assert status["push"]["unsettled"] == len(current) > 0  # nothing was pushed in the demo
