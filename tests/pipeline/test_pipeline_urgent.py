"""The urgent lane (``ingest.urgent_lane``) through ``ingest_drop_files``: alerts and kills
are recorded, written and pushed before the rest of their chunk; files are done only once
all of them is recorded, so a worker killed between the lanes loses nothing.

Fixtures: ``registry_url`` (each test on SQLite and on PostgreSQL) from tests/conftest.py;
the drop folder, object store and partners file are local folders under ``tmp_path``; the
partners' push endpoint is a real HTTP server on 127.0.0.1 defined here. The crash test
runs the chunk in a child process and SIGKILLs it from the endpoint when the first push
arrives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.config import Settings
from ingest.model import Article
from ingest.pipeline import ingest_drop_files, list_drop_chunks, publish_partner
from ingest.publish.articles import version_key
from ingest.publish.objectstore import ObjectNotFound
from ingest.reconcile import reconcile
from ingest.runtime import Runtime
from ingest.urgent_lane import is_urgent
from local_http import QuietHandler, serving

REPO = Path(__file__).resolve().parents[2]
STORIES = 50
ALERT = "urn:newsml:afp.com:20261127T080000Z:alert-1"
KILLED = "urn:newsml:afp.com:20261127T080000Z:story-killed"


def story_uri(n: int) -> str:
    return f"urn:newsml:afp.com:20261127T080000Z:story-{n}"


def doc(uri: str, at: datetime, *, revision: int = 1, genre: str = "Article",
        urgency: int = 4, status: str = "Usable") -> bytes:
    """An AFP API Core document, as AFP drops it."""
    item = uri.rsplit(":", 1)[1]
    return json.dumps({
        "uno": f"newsml.afp.com.20261127T080000Z.{item}", "publicIdentifier": uri,
        "revision": revision, "created": f"{at:%Y-%m-%dT%H:%M:%SZ}",
        "published": f"{at:%Y-%m-%dT%H:%M:%SZ}", "status": status, "lang": "en",
        "product": "news", "class": "text", "genre": genre, "urgency": urgency,
        "headline": f"Headline of {item}", "news": [f"The text of {item}.", "ilo/bc"],
    }).encode()


@dataclass
class Endpoint:
    """A partner endpoint: each push's (partner path, uri, version, pubstatus) and what
    ``on_push`` saw when it arrived."""

    url: str = ""
    pushes: list[tuple[str, str, int, str]] = field(default_factory=list)
    seen: list[Any] = field(default_factory=list)
    on_push: Callable[[], Any] = lambda: None
    failing: set[str] = field(default_factory=set)  # uris answered 503


@contextmanager
def serve() -> Iterator[Endpoint]:
    state = Endpoint()
    lock = threading.Lock()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                state.seen.append(state.on_push())
                state.pushes.append((self.path, body["uri"], int(body["version"]),
                                     body["pubStatus"]))
            self.reply(503 if body["uri"] in state.failing else 204)

    with serving(Handler) as server:
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield state


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with serve() as state:
        yield state


@pytest.fixture
def env(tmp_path: Path, registry_url: str, endpoint: Endpoint,
        monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings of a test's own: a push partner taking everything, and one whose filters
    take only French (so none of these English items)."""
    (tmp_path / "drop").mkdir()
    partners = {"partners": [
        {"id": pid, "name": pid, "formats": ["ninjs"], "max_items": 200, "max_age": "2d",
         "filters": filters, "rights": {"providers": ["*"]},
         "delivery": {"push": {"url": f"{endpoint.url}/{pid}", "secret_env": "PUSH_SECRET"}}}
        for pid, filters in (("wire", {}), ("french", {"languages": ["fr"]}))]}
    (tmp_path / "partners.yaml").write_text(json.dumps(partners))
    monkeypatch.setenv("PUSH_SECRET", "s3cr3t-for-tests")
    return {
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_REGISTRY_URL": registry_url,
        "INGEST_STORE_URL": (tmp_path / "store").as_uri(),
        "INGEST_DROP_URL": (tmp_path / "drop").as_uri(), "INGEST_DROP_SETTLE_SECONDS": "0",
        "INGEST_PARTNERS_FILE": str(tmp_path / "partners.yaml"),
    }


@pytest.fixture
def rt(env: dict[str, str]) -> Iterator[Runtime]:
    with Runtime(Settings.from_env(env)) as runtime:
        runtime.registry.upgrade()
        yield runtime


def drop(rt: Runtime, files: dict[str, bytes]) -> list[list[str]]:
    """Write files into the drop folder; the one chunk a run lists."""
    folder = Path(rt.settings.drop_url.removeprefix("file://"))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    [chunk] = list_drop_chunks(rt, now=datetime.now(UTC), chunk_size=200)
    return chunk


def stories(at: datetime) -> dict[str, bytes]:
    return {f"story-{n:02d}.json": doc(story_uri(n), at + timedelta(seconds=n))
            for n in range(STORIES)}


def feed_uris(rt: Runtime, partner_id: str) -> list[str] | None:
    """The stories a partner's ninjs feed lists, None before its first build."""
    try:
        feed = json.loads(rt.store.get(f"feeds/{partner_id}/ninjs.json"))
    except ObjectNotFound:
        return None
    return [item["uri"] for item in feed["items"]]


def recorded_stories(rt: Runtime) -> int:
    return sum(rt.registry.latest(story_uri(n)) is not None for n in range(STORIES))


def test_urgency_is_a_kill_an_alert_or_urgency_one_or_two() -> None:
    assert is_urgent(Article(uri="u", pub_status="canceled", urgency=4))
    assert is_urgent(Article(uri="u", urgency=2)) and not is_urgent(Article(uri="u", urgency=3))
    assert not is_urgent(Article(uri="u"))


def test_an_alert_is_recorded_written_and_pushed_before_the_stories_of_its_chunk(
    rt: Runtime, endpoint: Endpoint,
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    chunk = drop(rt, {**stories(at), "zz-alert.json": doc(ALERT, at, genre="Alert", urgency=1)})
    alert_key = version_key(ALERT, 1)
    endpoint.on_push = lambda: (recorded_stories(rt), rt.store.head(alert_key) is not None,
                                feed_uris(rt, "wire"), feed_uris(rt, "french"))
    now = datetime.now(UTC)

    report = ingest_drop_files(rt, chunk, now=now)

    assert endpoint.pushes == [("/wire", ALERT, 1, "usable")]  # "french" takes no English
    # Written to articles/ and in the feed of the partner it is for, no story recorded yet;
    # the French partner's feeds, which the alert does not concern, not built.
    assert endpoint.seen == [(0, True, [ALERT], None)]
    assert recorded_stories(rt) == STORIES
    assert report.raw_items == report.raw_new == STORIES + 1
    assert dict(report.results) == {"new": STORIES + 1}
    assert list_drop_chunks(rt, now=now, chunk_size=200) == []

    # partner_feeds' run pushes the stories, and not the alert a second time.
    publish_partner(rt, "wire", now=now)
    assert [p[1] for p in endpoint.pushes].count(ALERT) == 1
    assert {p[1] for p in endpoint.pushes} == {ALERT, *map(story_uri, range(STORIES))}
    assert len(endpoint.pushes) == STORIES + 1


def test_the_urgent_lane_writes_its_own_stories_not_the_backlog_before_them(
    rt: Runtime, endpoint: Endpoint,
) -> None:
    """Versions still waiting for ``partner_feeds`` (here a whole earlier chunk) are not
    written ahead of the alert: the urgent lane writes only its own stories."""
    at = datetime.now(UTC) - timedelta(minutes=5)
    now = datetime.now(UTC)
    ingest_drop_files(rt, drop(rt, stories(at)), now=now)  # no urgent item: all pending
    ingest_drop_files(rt, drop(rt, {"zz-alert.json": doc(ALERT, at, genre="Alert")}), now=now)
    assert rt.store.head(version_key(ALERT, 1)) is not None
    assert [p[1] for p in endpoint.pushes] == [ALERT]
    assert all(rt.store.head(version_key(story_uri(n), 1)) is None for n in range(STORIES))
    assert len(rt.registry.versions_to_write(now, limit=STORIES + 1)) == STORIES


def test_a_kill_is_pushed_before_the_stories_of_its_chunk(
    rt: Runtime, endpoint: Endpoint,
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=30)
    now = datetime.now(UTC)
    ingest_drop_files(rt, drop(rt, {"killed-v1.json": doc(KILLED, at)}), now=now)
    publish_partner(rt, "wire", now=now)  # the partner has the story: it must hear of the kill
    assert endpoint.pushes == [("/wire", KILLED, 1, "usable")]
    endpoint.on_push = lambda: recorded_stories(rt)

    kill = doc(KILLED, at + timedelta(minutes=20), revision=2, status="Canceled")
    chunk = drop(rt, {**stories(at), "zz-killed-v2.json": kill})
    ingest_drop_files(rt, chunk, now=now)

    assert endpoint.pushes[1:] == [("/wire", KILLED, 2, "canceled")]
    assert endpoint.seen[1:] == [0]
    assert recorded_stories(rt) == STORIES


def test_a_failed_urgent_push_is_tried_once_and_partner_feeds_tries_it_again(
    rt: Runtime, endpoint: Endpoint,
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    endpoint.failing = {ALERT}
    now = datetime.now(UTC)
    ingest_drop_files(rt, drop(rt, {"alert.json": doc(ALERT, at, urgency=1)}), now=now)
    assert endpoint.pushes == [("/wire", ALERT, 1, "usable")]  # one try, no backoff
    [entry] = rt.registry.push_states("wire", _entry_ids(rt)).values()
    assert (entry.attempts, entry.last.result, entry.last.status) == (1, "failed", 503)

    endpoint.failing = set()
    publish_partner(rt, "wire", now=now + timedelta(minutes=1))
    [entry] = rt.registry.push_states("wire", [entry.entry_id]).values()
    assert (entry.attempts, entry.last.result) == (2, "delivered")
    assert [p[1] for p in endpoint.pushes] == [ALERT, ALERT]


def test_without_a_partners_file_the_urgent_lane_records_all_and_publishes_nothing(
    rt: Runtime, endpoint: Endpoint,
) -> None:
    rt.settings.partners_file.unlink()
    at = datetime.now(UTC) - timedelta(minutes=5)
    chunk = drop(rt, {**stories(at), "zz-alert.json": doc(ALERT, at, urgency=1)})
    now = datetime.now(UTC)

    report = ingest_drop_files(rt, chunk, now=now)

    assert dict(report.results) == {"new": STORIES + 1}
    assert endpoint.pushes == [] and rt.store.head(version_key(ALERT, 1)) is None
    assert list_drop_chunks(rt, now=now, chunk_size=200) == []


def _entry_ids(rt: Runtime) -> list[str]:
    """The push entry ids of the partner ``wire``'s current items."""
    from ingest.publish.feeds import partner_entries

    [wire] = [p for p in rt.partners() if p.id == "wire"]
    current, _ = partner_entries(rt.registry, wire, datetime.now(UTC), ids=rt.settings.tag_ids)
    return [e.id for e in current]


CHILD = """
import sys
from datetime import datetime
from ingest.pipeline import ingest_drop_files
from ingest.runtime import Runtime
chunk = __import__("json").loads(sys.argv[1])
with Runtime.from_env() as rt:
    ingest_drop_files(rt, chunk, now=datetime.fromisoformat(sys.argv[2]))
"""


def test_a_worker_killed_between_the_lanes_leaves_its_files_and_a_rerun_loses_nothing(
    rt: Runtime, endpoint: Endpoint, env: dict[str, str],
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=5)
    chunk = drop(rt, {**stories(at), "zz-alert.json": doc(ALERT, at, genre="Alert", urgency=1)})
    now = datetime.now(UTC)
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(chunk), now.isoformat()],
                             env={**os.environ, **env})
    endpoint.on_push = lambda: os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=120) == -signal.SIGKILL

    # Killed while pushing the alert: recorded and written, the stories not; nothing done.
    assert rt.registry.latest(ALERT) is not None and rt.store.head(version_key(ALERT, 1))
    assert recorded_stories(rt) == 0
    assert list_drop_chunks(rt, now=now, chunk_size=200) == [chunk]
    assert not reconcile(rt.registry, rt.store).ok  # the stories' raw bytes wait for a run

    endpoint.on_push = lambda: None
    report = ingest_drop_files(rt, chunk, now=now)

    assert dict(report.results) == {"new": STORIES, "duplicate": 1}
    assert report.raw_items == STORIES + 1 and report.raw_new == STORIES
    assert recorded_stories(rt) == STORIES
    assert list_drop_chunks(rt, now=now, chunk_size=200) == []
    accounted = reconcile(rt.registry, rt.store)
    assert accounted.ok and accounted.versions == STORIES + 1
    # The dead worker still held the partner's feed lease, past the urgent lane's wait:
    # the rerun leaves the partner to partner_feeds, whose build waits out the lease's
    # expiry. The push the kill cut short had no answer, so it goes again: at least once.
    assert [p[1] for p in endpoint.pushes] == [ALERT]
    publish_partner(rt, "wire", now=now)
    assert [p[1] for p in endpoint.pushes].count(ALERT) == 2
