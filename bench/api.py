"""The partner API under load: ``GET /v1/feed`` latency by registry size, long polls held.

    .venv/bin/python bench/api.py [--sizes 10000 1000000] [--requests 500] [--clients 500]
                                  [--registry postgresql+psycopg://127.0.0.1:5432/test]

For each size, a registry of that many stories (``bench/api_fill.py``: built in bulk and
kept under ``bench/out/``, or a kept PostgreSQL schema) is served by ``ingest serve`` in
a process of its own on 127.0.0.1. One keep-alive client, with a key made as
``ingest partners key create`` makes it, times ``--requests`` calls of each kind for a
partner taking English (one story in five, so a page of 100 reads ~500 releases): the
first page (no cursor), a random cursor, the last page, and ``/v1/items/{uri}``; p50
and p99 over HTTP, client included, and the server process's CPU time a call (its own
work, which the machine's other load does not inflate). Then ``--clients`` long polls
(``wait=30`` at the log's end) are opened in steps on the same process; its RSS is read
at 0, 100, 250 and 500 waiting clients, one new release is published as the
partner_feeds DAG does, and every client must get it. Targets: p99 under 50 ms at 1M
stories; 500 waiting clients held with flat memory. Times are wall clock on whatever
else the machine is running.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import delete, make_url

from api_fill import LANGUAGES, registry_for, uri
from ingest.api.keys import create_key
from ingest.api.view import encode_cursor
from ingest.model import Article
from ingest.publish.articles import publish_versions
from ingest.publish.objectstore import LocalObjectStore
from ingest.registry import SQLRegistry, open_registry
from ingest.registry import schema as t

PARTNER = "bench-en"
PARTNERS_YAML = f"""\
partners:
  - id: {PARTNER}
    name: Bench English
    formats: [ninjs]
    max_age: 3650d
    filters: {{languages: [en]}}
    rights: {{providers: ["*"]}}
    api: {{requests_per_minute: 100000}}
"""
LIMIT = 100
WAIT = 30
POLLS = 3  # a client whose wait ran out asks again from its next_cursor, as partners do
STEPS = (100, 250, 500)
SETTLE_SECONDS = 15  # for a step's clients to connect and park
WAKE_SECONDS = 20  # for every client to get the new release
WAKE_URI = "urn:newsml:afp.com:bench:wake-{}"
Request = Callable[[], tuple[str, dict[str, Any]]]


@dataclass
class Polls:
    """The long-poll run: how many were held, memory on the way, the wake-up."""

    clients: int
    held: int = 0  # still waiting (no answer) once the last step settled
    connections: int = 0  # sockets the server process had open for them then
    rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_held: float = 0.0  # the server's CPU share while all of them waited
    woke: int = 0  # clients that got the new release
    wake_s: float = float("nan")  # from the release to the last client having it


@dataclass
class Result:
    size: int
    build_s: float
    latency: dict[str, tuple[float, float, float]]  # p50, p99, server CPU (ms)
    polls: Polls | None


def _proc_status(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return float(line.split()[1])
    return float("nan")


def rss_mb(pid: int) -> float:
    return _proc_status(pid, "VmRSS") / 1024


def sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += str(fd.readlink()).startswith("socket:")
        except FileNotFoundError:  # closed while we looked
            continue
    return count


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(url: str, home: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``ingest serve`` on ``url``'s registry at a free port: its base URL and process."""
    (home / "partners.yaml").write_text(PARTNERS_YAML)
    env = {**os.environ, "INGEST_HOME": str(home), "INGEST_REGISTRY_URL": url,
           "INGEST_PARTNERS_FILE": str(home / "partners.yaml")}
    port = free_port()
    with (home / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "ingest.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (home / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"ingest serve did not start:\n{tail}")
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def requests_by_kind(size: int, last: int, rng: random.Random) -> dict[str, Request]:
    def english_story() -> str:
        return quote(uri(len(LANGUAGES) * rng.randrange(size // len(LANGUAGES))), safe="")

    return {
        "feed: first page": lambda: ("/v1/feed", {"limit": LIMIT}),
        "feed: random cursor": lambda: (
            "/v1/feed", {"limit": LIMIT, "cursor": encode_cursor(rng.randrange(last - 1000))}),
        "feed: last page": lambda: ("/v1/feed", {"limit": LIMIT,
                                                 "cursor": encode_cursor(last - 300)}),
        "items/{uri}": lambda: (f"/v1/items/{english_story()}", {}),
    }


def latencies(base: str, key: str, kinds: dict[str, Request], count: int, server: int
              ) -> dict[str, tuple[float, float, float]]:
    """p50 and p99 (ms) of ``count`` calls of each kind, after a few to warm up, and the
    server's CPU ms a call (what the machine's other load does not change)."""
    out = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=30) as client:
        for name, make in kinds.items():
            timings, cpu = [], 0.0
            for n in range(count + 10):
                if n == 10:
                    cpu = cpu_seconds(server)
                path, params = make()
                started = time.perf_counter()
                response = client.get(path, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (path, response.status_code, response.text)
                if name != "feed: last page" and path == "/v1/feed":
                    assert len(response.json()["items"]) == LIMIT, path
                if n >= 10:
                    timings.append(elapsed)
            cpu = (cpu_seconds(server) - cpu) * 1000 / count
            cuts = statistics.quantiles(timings, n=100)
            out[name] = (cuts[49], cuts[98], cpu)
    return out


def wake(url: str, home: Path, wake_uri: str) -> None:
    """One new English story, recorded and released as the ingest and partner_feeds DAGs do."""
    now = datetime.now(UTC)
    article = Article(uri=wake_uri, version_created=now, language="en", provider="AFP",
                      products=["news"], headline="Wake up", body_html="<p>News.</p>")
    with open_registry(url) as reg:
        reg.record_version(article, raw_key=None, received_at=now)
        publish_versions(reg, LocalObjectStore(home / "objectstore"), now)


async def long_polls(base: str, key: str, server: int, start: int, clients: int,
                     release: Callable[[], None], wake_uri: str) -> Polls:
    polls = Polls(clients)
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"},
                                 timeout=WAIT + 30, limits=limits) as client:

        async def waiter() -> float | None:
            cursor = encode_cursor(start)
            for _ in range(POLLS):
                response = await client.get("/v1/feed", params={"cursor": cursor, "wait": WAIT})
                if response.status_code != 200:
                    return None
                body = response.json()
                if any(item["uri"] == wake_uri for item in body["items"]):
                    return time.monotonic()
                cursor = body["next_cursor"]
            return None

        idle_sockets = sockets(server)
        polls.rss_mb["0"] = rss_mb(server)
        tasks: list[asyncio.Task[float | None]] = []
        for step in [s for s in STEPS if s < clients] + [clients]:
            tasks += [asyncio.create_task(waiter()) for _ in range(step - len(tasks))]
            deadline = time.monotonic() + SETTLE_SECONDS
            while sockets(server) - idle_sockets < step and time.monotonic() < deadline:
                await asyncio.sleep(0.25)
            await asyncio.sleep(2)  # parked: past auth and the first (empty) page
            polls.rss_mb[str(step)] = rss_mb(server)
        polls.held = sum(not task.done() for task in tasks)
        polls.connections = sockets(server) - idle_sockets
        cpu, started = cpu_seconds(server), time.monotonic()
        await asyncio.sleep(2)
        polls.cpu_held = (cpu_seconds(server) - cpu) / (time.monotonic() - started)
        await asyncio.to_thread(release)
        released = time.monotonic()
        done, _ = await asyncio.wait(tasks, timeout=WAKE_SECONDS + WAIT)
        arrivals = [a for task in done if not task.exception() and (a := task.result())]
        for task in tasks:
            task.cancel()
        polls.woke = len(arrivals)
        if arrivals:
            polls.wake_s = max(arrivals) - released
        await asyncio.sleep(1)
        polls.rss_mb["after"] = rss_mb(server)
    return polls


def forget(url: str, key_id: str, wake_uri: str) -> None:
    """Take out what the run added, so the kept registry stays as built."""
    with open_registry(url) as reg, reg.engine.begin() as conn:
        for table in (t.releases, t.versions, t.stories):
            conn.execute(delete(table).where(table.c.uri == wake_uri))
        conn.execute(delete(t.partner_keys).where(t.partner_keys.c.id == key_id))
        conn.execute(delete(t.api_usage).where(t.api_usage.c.key_id == key_id))


def run(size: int, postgres: str | None, requests: int, clients: int) -> Result:
    url, build_s = registry_for(size, postgres)
    with open_registry(url) as reg:
        key_id, key = create_key(reg, PARTNER, datetime.now(UTC))
        last = last_release(reg)
    wake_uri = WAKE_URI.format(time.time_ns())
    try:
        with tempfile.TemporaryDirectory(prefix="ingest-bench-api-") as tmp, \
                serving(url, Path(tmp)) as (base, server):
            kinds = requests_by_kind(size, last, random.Random(size))
            latency = latencies(base, key, kinds, requests, server.pid)
            polls = None
            if clients:
                polls = asyncio.run(long_polls(
                    base, key, server.pid, last, clients,
                    lambda: wake(url, Path(tmp), wake_uri), wake_uri))
    finally:
        forget(url, key_id, wake_uri)
    return Result(size, build_s, latency, polls)


def last_release(reg: SQLRegistry) -> int:
    last = reg.last_release()
    assert last > 1000, "the registry's release log is (nearly) empty"
    return last


def table(results: list[Result]) -> list[str]:
    width = 24
    lines = [f"{'':<26}" + "".join(f"{r.size:>{width},}" for r in results),
             f"{'(ms: p50 / p99 / CPU)':<26}" + "".join(f"{'stories':>{width}}"
                                                         for _ in results)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"{label:<26}" + "".join(f"{c:>{width}}" for c in cells))

    row("registry built (s)", [f"{r.build_s:.0f}" if r.build_s else "kept" for r in results])
    for kind in results[0].latency:
        row(kind, ["{:.1f} / {:.1f} / {:.1f}".format(*r.latency[kind]) for r in results])
    polled = [r.polls for r in results if r.polls]
    if len(polled) == len(results):
        row("long polls held", [f"{p.held} of {p.clients}" for p in polled])
        row("  their server sockets", [str(p.connections) for p in polled])
        for step in polled[0].rss_mb:
            row(f"  server RSS MB, {step}", [f"{p.rss_mb.get(step, float('nan')):.0f}"
                                             for p in polled])
        row("  server CPU while held", [f"{p.cpu_held:.0%}" for p in polled])
        row("  got the new release", [f"{p.woke} in {p.wake_s:.1f} s" for p in polled])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=500, help="timed calls of each kind")
    parser.add_argument("--clients", type=int, default=500, help="long polls (0: none)")
    parser.add_argument("--registry", metavar="URL",
                        help="a PostgreSQL URL (default: SQLite files under bench/out/)")
    args = parser.parse_args()
    backend = make_url(args.registry).get_backend_name() if args.registry else "sqlite"
    load = os.getloadavg()[0]
    print(f"partner API, registry on {backend}; partner '{PARTNER}' takes English (1 story "
          f"in 5); GET /v1/feed?limit={LIMIT}, {args.requests} calls each; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    results = [run(size, args.registry, args.requests, args.clients) for size in args.sizes]
    print("\n".join(table(results)))
    print("load average at the end {:.1f} / {:.1f} / {:.1f} (1, 5, 15 min); past the CPU "
          "count, wall times are inflated and server CPU a call is the figure to compare"
          .format(*os.getloadavg()))
    largest = max(results, key=lambda r: r.size)
    worst = max(p99 for name, (_, p99, _) in largest.latency.items() if name.startswith("feed"))
    print(f"target: feed p99 < 50 ms at {largest.size:,} stories: {worst:.1f} ms")
    if largest.polls:
        rss = largest.polls.rss_mb
        print(f"target: {largest.polls.clients} clients held with flat memory: "
              f"{largest.polls.held} held, RSS {rss['0']:.0f} -> "
              f"{max(rss.values()):.0f} MB at most")


if __name__ == "__main__":
    main()
