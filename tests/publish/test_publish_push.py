"""Push against a real local HTTP server: signatures, retries, final 4xx, order, isolation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.model import Article
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import Partner, parse_partners
from ingest.publish.push import (
    SIGNATURE_HEADER,
    Pusher,
    RetryPolicy,
    pending_pushes,
    push_partners,
    sign,
    verify_signature,
)
from ingest.registry import SQLRegistry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECRET = "s3cr3t-for-tests"
Recorder = Callable[[SQLRegistry, list[Article]], None]


@dataclass
class Endpoint:
    """A partner endpoint: logs requests; answers from a per-entry script of statuses."""

    url: str = ""
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # entry, sig, body
    script: dict[str, list[int]] = field(default_factory=dict)
    gate: threading.Event | None = None  # when set, hold every answer until it opens


@contextmanager
def serve(state: Endpoint) -> Iterator[Endpoint]:
    """Run ``state`` as an HTTP endpoint on a free local port."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            entry = self.headers["X-Ingest-Entry"]
            if state.gate is not None:
                state.gate.wait(timeout=30)
            with lock:
                state.requests.append((entry, self.headers[SIGNATURE_HEADER], body))
                codes = state.script.get(entry, [])
                code = codes.pop(0) if codes else 204
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        if state.gate is not None:
            state.gate.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with serve(Endpoint()) as state:
        yield state


def _partner(pid: str, url: str, **filters: object) -> Partner:
    [partner] = parse_partners({"partners": [{
        "id": pid, "name": pid, "formats": ["ninjs"], "max_items": 50, "max_age": "2d",
        "filters": filters, "rights": {"providers": ["*"]},
        "delivery": {"push": {"url": url, "secret_env": "PUSH_SECRET"}}}]})
    return partner


def _stories(n: int, language: str = "en") -> list[Article]:
    return [Article(uri=f"urn:{language}:{i}", language=language, headline=f"Story {i}",
                    body_html=f"<p>Body {i}.</p>",
                    version_created=NOW - timedelta(hours=n - i)) for i in range(n)]


def test_signature_roundtrip_and_tampering() -> None:
    header = sign(b"k", 1_800_000_000, b"{}")
    assert verify_signature(b"k", header, b"{}", now=1_800_000_010)
    assert not verify_signature(b"k", header, b"{ }", now=1_800_000_010)
    assert not verify_signature(b"other", header, b"{}", now=1_800_000_010)
    assert not verify_signature(b"k", header, b"{}", now=1_800_009_999)  # stale
    assert not verify_signature(b"k", "garbage", b"{}", now=1_800_000_000)


def test_push_signs_retries_stops_on_4xx_and_keeps_order(
    endpoint: Endpoint, registry: SQLRegistry, tmp_path: Path, recorder: Recorder,
) -> None:
    recorder(registry, _stories(4))
    partner = _partner("hooked", endpoint.url)
    endpoint.script = {"urn:en:1#v1": [503, 500], "urn:en:2#v1": [400]}
    store = LocalObjectStore(tmp_path / "objects")
    delays: list[float] = []
    pusher = Pusher(policy=RetryPolicy(attempts=4, backoff=0.5), environ={"PUSH_SECRET": SECRET},
                    sleep=delays.append)
    with pusher:
        outcomes = push_partners(registry, store, [partner], NOW, pusher)["hooked"]

    assert [e for e, _, _ in endpoint.requests] == [
        "urn:en:0#v1", "urn:en:1#v1", "urn:en:1#v1", "urn:en:1#v1", "urn:en:2#v1", "urn:en:3#v1"]
    assert delays == [0.5, 1.0]  # exponential backoff between the 5xx retries
    for _entry, signature, body in endpoint.requests:
        t = int(signature.split(",")[0][2:])
        assert verify_signature(SECRET.encode(), signature, body, now=t)
        assert json.loads(body)["pubStatus"] == "usable"
    by_id = {o.entry_id: o for o in outcomes}
    assert by_id["urn:en:1#v1"].delivered and by_id["urn:en:1#v1"].attempts == 3
    refused = by_id["urn:en:2#v1"]
    assert (refused.delivered, refused.final, refused.status, refused.attempts) == (
        False, True, 400, 1)

    # a rerun pushes nothing; a kill of a delivered story is pushed, as ninjs canceled
    endpoint.requests.clear()
    kill = Article(uri="urn:en:3", version=2, pub_status="canceled", headline="Story 3",
                   language="en", version_created=NOW + timedelta(minutes=5))
    with Pusher(environ={"PUSH_SECRET": SECRET}, sleep=delays.append) as again:
        push_partners(registry, store, [partner], NOW + timedelta(minutes=1), again)
        assert endpoint.requests == []
        recorder(registry, [kill])
        push_partners(registry, store, [partner], NOW + timedelta(minutes=6), again)
    assert [e for e, _, _ in endpoint.requests] == ["urn:en:3#v2"]
    assert json.loads(endpoint.requests[0][2])["pubStatus"] == "canceled"


def test_5xx_until_attempts_run_out_is_not_final(
    endpoint: Endpoint, registry: SQLRegistry, tmp_path: Path, recorder: Recorder,
) -> None:
    recorder(registry, _stories(1))
    endpoint.script = {"urn:en:0#v1": [502, 502, 502]}
    partner = _partner("flaky", endpoint.url)
    store = LocalObjectStore(tmp_path / "objects")
    with Pusher(policy=RetryPolicy(attempts=3), environ={"PUSH_SECRET": SECRET},
                sleep=lambda _s: None) as pusher:
        [outcome] = push_partners(registry, store, [partner], NOW, pusher)["flaky"]
        assert (outcome.delivered, outcome.final, outcome.attempts) == (False, False, 3)
        [retried] = push_partners(registry, store, [partner], NOW, pusher)["flaky"]
    assert retried.delivered  # not settled, so the next run tries again
    assert len(endpoint.requests) == 4


def test_a_stuck_partner_does_not_hold_back_another(
    registry: SQLRegistry, tmp_path: Path, recorder: Recorder,
) -> None:
    recorder(registry, [*_stories(3, "fr"), *_stories(3, "en")])
    store = LocalObjectStore(tmp_path / "objects")
    gate = threading.Event()
    with serve(Endpoint(gate=gate)) as stuck, serve(Endpoint()) as quick:
        slow = _partner("slow", stuck.url, languages=["fr"])
        fast = _partner("fast", quick.url, languages=["en"])
        with Pusher(environ={"PUSH_SECRET": SECRET}) as pusher:
            held = pusher.submit(slow, pending_pushes(registry, store, slow, NOW))
            done = pusher.submit(fast, pending_pushes(registry, store, fast, NOW))
            outcomes = done.result(timeout=60)  # completes while "slow" is still stuck
            assert not held.done()
            gate.set()
            assert all(o.delivered for o in held.result(timeout=60))
    assert [o.entry_id for o in outcomes] == ["urn:en:0#v1", "urn:en:1#v1", "urn:en:2#v1"]
    assert all(o.delivered for o in outcomes)
    assert [e for e, _, _ in stuck.requests] == ["urn:fr:0#v1", "urn:fr:1#v1", "urn:fr:2#v1"]
