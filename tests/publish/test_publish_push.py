"""Push against a real local HTTP server: signatures, retries, final 4xx, order, isolation,
and the registry's push log: every attempt a row, failures retried by the next run until
delivered or given up."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest

from ingest.model import Article
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
E = "tag:feeds.example.com,2026-01-01:story:urn:"  # entry ids (RFC 4151) of urn:… stories


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
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder,
) -> None:
    recorder(registry, _stories(4))
    partner = _partner("hooked", endpoint.url)
    endpoint.script = {f"{E}en:1/v1": [503, 500], f"{E}en:2/v1": [400]}
    delays: list[float] = []
    pusher = Pusher(policy=RetryPolicy(attempts=4, backoff=0.5), environ={"PUSH_SECRET": SECRET},
                    sleep=delays.append)
    with pusher:
        outcomes = push_partners(registry, [partner], NOW, pusher)["hooked"]

    assert [e for e, _, _ in endpoint.requests] == [
        f"{E}en:0/v1", f"{E}en:1/v1", f"{E}en:1/v1", f"{E}en:1/v1", f"{E}en:2/v1",
        f"{E}en:3/v1"]
    assert delays == [0.5, 1.0]  # exponential backoff between the 5xx retries
    for _entry, signature, body in endpoint.requests:
        t = int(signature.split(",")[0][2:])
        assert verify_signature(SECRET.encode(), signature, body, now=t)
        assert json.loads(body)["pubStatus"] == "usable"
    by_id = {o.entry_id: o for o in outcomes}
    assert by_id[f"{E}en:1/v1"].delivered and by_id[f"{E}en:1/v1"].attempts == 3
    refused = by_id[f"{E}en:2/v1"]
    assert (refused.delivered, refused.final, refused.status, refused.attempts) == (
        False, True, 400, 1)

    # a rerun pushes nothing; a kill of a delivered story is pushed, as ninjs canceled
    endpoint.requests.clear()
    kill = Article(uri="urn:en:3", version=2, pub_status="canceled", headline="Story 3",
                   language="en", version_created=NOW + timedelta(minutes=5))
    with Pusher(environ={"PUSH_SECRET": SECRET}, sleep=delays.append) as again:
        push_partners(registry, [partner], NOW + timedelta(minutes=1), again)
        assert endpoint.requests == []
        recorder(registry, [kill])
        push_partners(registry, [partner], NOW + timedelta(minutes=6), again)
    assert [e for e, _, _ in endpoint.requests] == [f"{E}en:3/v2"]
    assert json.loads(endpoint.requests[0][2])["pubStatus"] == "canceled"


def test_5xx_until_attempts_run_out_is_not_final(
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder,
) -> None:
    recorder(registry, _stories(1))
    endpoint.script = {f"{E}en:0/v1": [502, 502, 502]}
    partner = _partner("flaky", endpoint.url)
    with Pusher(policy=RetryPolicy(attempts=3), environ={"PUSH_SECRET": SECRET},
                sleep=lambda _s: None) as pusher:
        [outcome] = push_partners(registry, [partner], NOW, pusher)["flaky"]
        assert (outcome.delivered, outcome.final, outcome.attempts) == (False, False, 3)
        [retried] = push_partners(registry, [partner], NOW, pusher)["flaky"]
    assert retried.delivered  # not settled, so the next run tries again
    assert len(endpoint.requests) == 4


def test_a_stuck_partner_does_not_hold_back_another(
    registry: SQLRegistry, recorder: Recorder,
) -> None:
    recorder(registry, [*_stories(3, "fr"), *_stories(3, "en")])
    gate = threading.Event()
    with serve(Endpoint(gate=gate)) as stuck, serve(Endpoint()) as quick:
        slow = _partner("slow", stuck.url, languages=["fr"])
        fast = _partner("fast", quick.url, languages=["en"])
        with Pusher(environ={"PUSH_SECRET": SECRET}) as pusher:
            held = pusher.submit(slow, pending_pushes(registry, slow, NOW))
            done = pusher.submit(fast, pending_pushes(registry, fast, NOW))
            outcomes = done.result(timeout=60)  # completes while "slow" is still stuck
            assert not held.done()
            gate.set()
            assert all(o.delivered for o in held.result(timeout=60))
    assert [o.entry_id for o in outcomes] == [f"{E}en:0/v1", f"{E}en:1/v1", f"{E}en:2/v1"]
    assert all(o.delivered for o in outcomes)
    assert [e for e, _, _ in stuck.requests] == [f"{E}fr:0/v1", f"{E}fr:1/v1", f"{E}fr:2/v1"]


# --- the push log in the registry ---------------------------------------------------------


def _log(registry: SQLRegistry, partner: str) -> list[tuple[str, int, str, int | None]]:
    """The partner's push log as (entry, attempt, result, status) rows, oldest first."""
    from sqlalchemy import select

    from ingest.registry import schema as t

    p = t.push_attempts.c
    stmt = select(p.entry_id, p.attempt, p.result, p.status).where(
        p.partner == partner).order_by(p.id)
    with registry.engine.connect() as conn:
        return [(r.entry_id, r.attempt, r.result, r.status) for r in conn.execute(stmt)]


def test_every_attempt_is_a_row_and_the_next_run_retries_what_failed(
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder,
) -> None:
    recorder(registry, _stories(2))
    one, two = f"{E}en:0/v1", f"{E}en:1/v1"
    endpoint.script = {one: [503, 503, 500], two: [404]}  # one fails a whole run, then 204
    partner = _partner("logged", endpoint.url)
    with Pusher(policy=RetryPolicy(attempts=2), environ={"PUSH_SECRET": SECRET},
                sleep=lambda _s: None) as pusher:
        push_partners(registry, [partner], NOW, pusher)
        assert _log(registry, "logged") == [
            (one, 1, "failed", 503), (one, 2, "failed", 503), (two, 1, "refused", 404)]
        assert [e.id for e in pending_pushes(registry, partner, NOW)] == [one]

        later = NOW + timedelta(hours=1)
        push_partners(registry, [partner], later, pusher)
        push_partners(registry, [partner], later, pusher)  # nothing left: no request, no row
    assert _log(registry, "logged")[3:] == [(one, 3, "failed", 500), (one, 4, "delivered", 204)]
    assert [e for e, _, _ in endpoint.requests] == [one, one, two, one, one]
    [summary] = registry.push_summary()
    assert (summary.partner, summary.entries) == ("logged", {"delivered": 1, "refused": 1})
    assert summary.last_at == later and summary.last_error == "HTTP 500"
    assert registry.push_problems() == []
    # the delivered entry is a delivery of format "push", as feeds record theirs
    from ingest.ops.queries import format_deliveries

    assert [(d.partner, d.format, d.items, d.kills) for d in format_deliveries(
        registry.engine)] == [("logged", "push", 1, 0)]


def test_an_entry_failing_past_give_up_after_is_given_up_without_a_request(
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder,
) -> None:
    recorder(registry, _stories(1))
    entry = f"{E}en:0/v1"
    endpoint.script = {entry: [502] * 10}
    [partner] = parse_partners({"partners": [{
        "id": "patient", "name": "P", "formats": ["ninjs"], "max_age": "7d",
        "rights": {"providers": ["*"]},
        "delivery": {"push": {"url": endpoint.url, "secret_env": "PUSH_SECRET",
                              "give_up_after": "6h"}}}]})
    assert partner.push is not None and partner.push.give_up_after == timedelta(hours=6)
    with Pusher(policy=RetryPolicy(attempts=1), environ={"PUSH_SECRET": SECRET},
                sleep=lambda _s: None) as pusher:
        for hours in (0, 3, 5):  # still inside the 6 hours: tried each run
            push_partners(registry, [partner], NOW + timedelta(hours=hours, minutes=59), pusher)
        [failing] = registry.push_problems()
        assert (failing.entry_id, failing.attempts, failing.last.result) == (entry, 3, "failed")
        for hours in (7, 8):  # past it: given up once, then left alone
            push_partners(registry, [partner], NOW + timedelta(hours=hours), pusher)
    assert len(endpoint.requests) == 3
    assert [row[1:3] for row in _log(registry, "patient")] == [
        (1, "failed"), (2, "failed"), (3, "failed"), (4, "given_up")]
    [given_up] = registry.push_problems()
    assert given_up.last.result == "given_up" and given_up.first_at == NOW + timedelta(minutes=59)
    assert given_up.last.error is not None and "HTTP 502" in given_up.last.error
    assert registry.push_summary()[0].entries == {"given_up": 1}
    assert pending_pushes(registry, partner, NOW + timedelta(hours=9)) == []


def test_give_up_after_must_be_a_duration() -> None:
    from ingest.publish.partners import PartnerConfigError

    with pytest.raises(PartnerConfigError, match="give_up_after"):
        parse_partners({"partners": [{
            "id": "x", "name": "X", "formats": ["ninjs"], "rights": {"providers": ["*"]},
            "delivery": {"push": {"url": "https://h.example/", "secret_env": "S",
                                  "give_up_after": "soon"}}}]})
    [default] = parse_partners({"partners": [{
        "id": "x", "name": "X", "formats": ["ninjs"], "rights": {"providers": ["*"]},
        "delivery": {"push": {"url": "https://h.example/", "secret_env": "S"}}}]})
    assert default.push is not None and default.push.give_up_after == timedelta(hours=24)


def test_push_log_queries_on_both_databases(registry_url: str) -> None:
    from ingest.registry import open_registry
    from ingest.registry.api import PushAttempt

    def row(partner: str, entry: str, attempt: int, minutes: int, result: str,
            error: str | None = None) -> PushAttempt:
        return PushAttempt(partner, entry, f"urn:{entry}", 1, "item", attempt,
                           NOW + timedelta(minutes=minutes), result, None, error)

    with open_registry(registry_url) as registry:
        registry.upgrade()
        registry.record_push_attempts([
            row("a", "e1", 1, 0, "failed", "HTTP 503"), row("a", "e1", 2, 5, "delivered"),
            row("a", "e2", 1, 0, "failed", "timeout"), row("b", "e1", 1, 1, "refused"),
            row("b", "e3", 1, 2, "failed", "HTTP 500"),
            row("b", "e3", 2, 9, "given_up", "gave up"),
        ])
        states = registry.push_states("a", ["e1", "e2", "e9"])
        assert sorted(states) == ["e1", "e2"]
        assert (states["e1"].attempts, states["e1"].first_at, states["e1"].settled) == (
            2, NOW, True)
        assert (states["e2"].last.error, states["e2"].settled) == ("timeout", False)
        assert [(s.partner, s.entries, s.last_at, s.last_error)
                for s in registry.push_summary()] == [
            ("a", {"delivered": 1, "failed": 1}, NOW + timedelta(minutes=5), "timeout"),
            ("b", {"refused": 1, "given_up": 1}, NOW + timedelta(minutes=9), "gave up"),
        ]
        assert [(s.last.partner, s.entry_id) for s in registry.push_problems()] == [
            ("b", "e3"), ("a", "e2")]


def test_ops_view_and_status_show_the_push_log_per_partner(
    endpoint: Endpoint, tmp_path: Path, recorder: Recorder,
) -> None:
    import yaml

    from ingest.config import Settings
    from ingest.ops.status import ops_status, push_lines
    from ingest.runtime import Runtime

    partners_file = tmp_path / "partners.yaml"
    partners_file.write_text(yaml.safe_dump({"partners": [{
        "id": "hooked", "name": "Hooked", "formats": ["ninjs"], "max_age": "7d",
        "rights": {"providers": ["*"]},
        "delivery": {"push": {"url": endpoint.url, "secret_env": "PUSH_SECRET"}}}]}))
    rt = Runtime(Settings.from_env({"INGEST_HOME": str(tmp_path / "home"),
                                    "INGEST_PARTNERS_FILE": str(partners_file)}))
    try:
        rt.registry.upgrade()
        recorder(rt.registry, _stories(2))
        failing = f"{E}en:1/v1"
        endpoint.script = {failing: [503] * 5}
        [partner] = parse_partners(yaml.safe_load(partners_file.read_text()))
        with Pusher(policy=RetryPolicy(attempts=2), environ={"PUSH_SECRET": SECRET},
                    sleep=lambda _s: None) as pusher:
            push_partners(rt.registry, [partner], NOW, pusher)

        status = ops_status(rt, NOW + timedelta(minutes=1))
        [hooked] = status["partners"]
        push = hooked["push"]
        assert (push["delivered"], push["unsettled"], push["failing"], push["given_up"]) == (
            1, 1, 1, 0)
        assert push["last_attempt"] == "2026-11-27T12:00:00Z"
        assert push["last_error"] == "HTTP 503"
        [problem] = status["push_problems"]
        assert [problem[k] for k in ("partner", "entry_id", "attempts", "result")] == [
            "hooked", failing, 2, "failed"]
        assert push_lines(rt) == [
            "  pushed to hooked: 1 delivered, 1 failed; last attempt 2026-11-27T12:00:00Z; "
            "last error: HTTP 503"]
        assert list(rt.store.list("feeds/")) == []  # no push-state.json, nor anything else
    finally:
        rt.close()


def test_push_entry_ids_are_the_feed_ids_of_the_configured_tag_authority(
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder, tmp_path: Path,
) -> None:
    """INGEST_TAG_AUTHORITY names pushed entries as it names feed entries."""
    from ingest.config import Settings
    from ingest.publish.feeds import build_partner_feeds
    from ingest.publish.objectstore import LocalObjectStore

    partners_file = Path(__file__).resolve().parent.parent / "fixtures/publish/partners.yaml"
    ids = Settings.from_env({"INGEST_HOME": str(tmp_path), "INGEST_PARTNERS_FILE": str(
        partners_file), "INGEST_TAG_AUTHORITY": "news.example.org,2025-06"}).tag_ids
    recorder(registry, _stories(2))
    [partner] = parse_partners({"partners": [{
        "id": "both", "name": "Both", "formats": ["atom"], "max_age": "2d",
        "rights": {"providers": ["*"]},
        "delivery": {"push": {"url": endpoint.url, "secret_env": "PUSH_SECRET"}}}]})
    with Pusher(environ={"PUSH_SECRET": SECRET}) as pusher:
        push_partners(registry, [partner], NOW, pusher, ids)
    store = LocalObjectStore(tmp_path / "objects")
    build_partner_feeds(registry, store, partner, NOW, ids)
    feed = feedparser.parse(store.get(partner.prefix + "atom.xml"))

    pushed = [entry for entry, _, _ in endpoint.requests]
    assert pushed == ["tag:news.example.org,2025-06:story:urn:en:0/v1",
                      "tag:news.example.org,2025-06:story:urn:en:1/v1"]
    assert sorted(e.id for e in feed.entries) == pushed
    assert [e.id for e in pending_pushes(registry, partner, NOW, ids)] == []  # all settled


def test_a_pushed_kill_of_a_story_with_pictures_carries_none_of_them(
    endpoint: Endpoint, registry: SQLRegistry, recorder: Recorder,
) -> None:
    """The kill decision of ``formats`` holds for push too: no association, no picture URL."""
    from ingest.model import Picture, Rendition

    key = f"media/{'cd' * 32}.jpg"  # a copy in the store, the only pictures partners get
    photo = Picture("urn:x:photo", caption="Platform", credit="AFP",
                    renditions=[Rendition("hd", key, "image/jpeg", 1200, 800, 1234)])
    story = Article(uri="urn:en:pics", version=1, language="en", headline="Strike",
                    body_html="<p>Trains.</p>", pictures=[photo],
                    version_created=NOW - timedelta(hours=2))
    recorder(registry, [story])
    partner = _partner("hooked", endpoint.url)
    with Pusher(environ={"PUSH_SECRET": SECRET}) as pusher:
        push_partners(registry, [partner], NOW - timedelta(hours=1), pusher)
        kill = Article(uri="urn:en:pics", version=2, language="en", headline="Strike",
                       pub_status="canceled", pictures=[photo], version_created=NOW)
        recorder(registry, [kill])
        push_partners(registry, [partner], NOW, pusher)
    [(_, _, story_body), (entry, _, kill_body)] = endpoint.requests
    assert key.encode() in story_body  # the story had its picture
    assert entry == f"{E}en:pics/v2" and json.loads(kill_body)["pubStatus"] == "canceled"
    assert key.encode() not in kill_body and b"urn:x:photo" not in kill_body
    assert "associations" not in json.loads(kill_body)
