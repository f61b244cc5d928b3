"""Archive backfill throughput and memory, from disk and through S3, beside the I/O floor.

    .venv/bin/python bench/backfill.py 10000 [--concurrency 8] [--databases sqlite,postgres]

Generates N NewsML-G2 items (one template, varied ids), puts them in a folder and in a
local S3 server (moto, over HTTP), and runs the backfill (publish on, so article objects
are written) from each into a store of the same kind, on each registry database: SQLite in
the run's home, and PostgreSQL (``--postgres URL``, a fresh schema per run). The floor beside it
reads the same N raw objects and writes as many article objects as the backfill wrote
under ``articles/`` (each story's version and its ``latest.json``), article-sized, with
plain file I/O or boto3 at the same concurrency, without parsing. The backfill's own
copies of the raw bytes (``raw/``) are not in the floor: keeping them is the backfill's
cost. Each run is its own process; its peak memory is the highest sum of its own PSS and
its parser processes' (sampled every 20 ms by this bench's process, so the sampling takes
no time from the run), beside the load average when it ended.

``--sources disk`` (or ``s3``) runs one side only; ``--checkpoint-every N`` sets the
backfill's batch (the default is the backfill's own).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest.backfill import DEFAULT_CHECKPOINT_EVERY

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <header><sent>2026-11-27T08:31:02Z</sent><sender>afp.com</sender></header>
  <itemSet>
    <newsItem guid="urn:newsml:afp.com:20261127T083012Z:doc-bench{n:07d}" version="1"
        standard="NewsML-G2" standardversion="2.35" conformance="power" xml:lang="en">
      <rightsInfo><copyrightHolder uri="http://www.afp.com"><name>AFP</name></copyrightHolder>
        <copyrightNotice>© AFP 2026</copyrightNotice></rightsInfo>
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <provider qcode="nprov:AFP"><name>AFP</name></provider>
        <versionCreated>2026-11-27T08:30:12Z</versionCreated>
        <pubStatus qcode="stat:usable"/>
      </itemMeta>
      <contentMeta>
        <urgency>3</urgency>
        <language tag="en"/>
        <subject qcode="medtop:20000251"><name>energy and resource</name></subject>
        <slugline>Bench-story-{n}</slugline>
        <headline>Benchmark story number {n} about wind farms</headline>
        <dateline>STOCKHOLM, Nov 27, 2026 (AFP) -</dateline>
      </contentMeta>
      <contentSet>
        <inlineXML contenttype="application/xhtml+xml">
          <html xmlns="http://www.w3.org/1999/xhtml"><head><title>Story {n}</title></head>
            <body>
              <p>Paragraph one of story {n}: parliament approved a wind farm off Gotland.</p>
              <p>Paragraph two of story {n}: the vote was 201 to 148 in favour.</p>
              <p>Paragraph three of story {n}: fishing groups vowed to appeal.</p>
            </body>
          </html>
        </inlineXML>
      </contentSet>
    </newsItem>
  </itemSet>
</newsMessage>
"""
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BUCKET = "bench-archive"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(root: Path, count: int) -> None:
    for n in range(count):
        folder = root / f"{n // 1000:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"story-{n:07d}.xml").write_text(TEMPLATE.format(n=n), encoding="utf-8")


def upload(root: Path, concurrency: int) -> None:
    from ingest.publish.objectstore import make_s3_client

    client = make_s3_client()
    client.create_bucket(Bucket=BUCKET)
    paths = sorted(p for p in root.rglob("*.xml"))

    def put(path: Path) -> None:
        client.put_object(Bucket=BUCKET, Key=path.relative_to(root).as_posix(),
                          Body=path.read_bytes())

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(put, paths))


def run_backfill(
    kind: str, work: Path, concurrency: int, registry: str, checkpoint_every: int
) -> dict[str, float]:
    from ingest.backfill import BackfillRequest, ChunkOptions
    from ingest.backfill import run_backfill as backfill
    from ingest.config import Settings
    from ingest.runtime import Runtime

    partners = work / "partners.yaml"
    partners.write_text("partners: []\n", encoding="utf-8")
    name = f"{kind}-{'sqlite' if registry == 'sqlite' else 'postgres'}"
    store = (work / f"out-{name}").as_uri() if kind == "disk" else f"s3://{BUCKET}-{name}/"
    if kind == "s3":
        from ingest.publish.objectstore import make_s3_client

        make_s3_client().create_bucket(Bucket=f"{BUCKET}-{name}")
    source = (work / "archive").as_uri() if kind == "disk" else f"s3://{BUCKET}/"
    env = {"INGEST_HOME": str(work / f"home-{name}"), "INGEST_STORE_URL": store,
           "INGEST_PARTNERS_FILE": str(partners)}
    if registry != "sqlite":
        env["INGEST_REGISTRY_URL"] = registry
    rt = Runtime(Settings.from_env(env))
    rt.registry.upgrade()
    start = time.perf_counter()
    result = backfill(rt, BackfillRequest(source, chunk_size=1000, publish=True), now=NOW,
                      options=ChunkOptions(concurrency=concurrency,
                                           checkpoint_every=checkpoint_every))
    elapsed = time.perf_counter() - start
    articles = result.published["articles"]
    return {"items": result.report.raw_items, "seconds": elapsed,
            "writes": articles["written"] + articles["pointers_changed"]}


def run_floor(kind: str, work: Path, concurrency: int, writes: int) -> dict[str, float]:
    """Read every raw object and write ``writes`` article-sized objects, nothing else.

    Object ``i`` writes ``writes * (i + 1) // n - writes * i // n`` of them, spreading
    the writes evenly over the reads.
    """
    article = b"x" * 2500
    if kind == "disk":
        root, out = work / "archive", work / "floor-disk"
        paths = sorted(root.rglob("*.xml"))
        share = _shares(len(paths), writes)

        def one_file(index: int) -> None:
            path = paths[index]
            path.read_bytes()
            target = out / path.relative_to(root).with_suffix("")
            target.mkdir(parents=True, exist_ok=True)
            for copy in range(share(index)):
                (target / f"{copy}.json").write_bytes(article)

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one_file, range(len(paths))))
        return {"items": len(paths), "seconds": time.perf_counter() - start}
    from ingest.publish.objectstore import make_s3_client

    client = make_s3_client()
    client.create_bucket(Bucket=f"{BUCKET}-floor")
    start = time.perf_counter()
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])]
    share = _shares(len(keys), writes)

    def one_object(index: int) -> None:
        key = keys[index]
        client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        for copy in range(share(index)):
            client.put_object(Bucket=f"{BUCKET}-floor", Key=f"{key}/{copy}.json", Body=article)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one_object, range(len(keys))))
    return {"items": len(keys), "seconds": time.perf_counter() - start}


def _shares(objects: int, writes: int) -> Callable[[int], int]:
    return lambda i: writes * (i + 1) // objects - writes * i // objects


class TreePeak:
    """The highest memory of a process and its descendants together, sampled from outside
    (this bench process), so the sampling takes no time from the run it measures: the sum
    of their PSS (a page forked workers share with the parent is counted once, split).

    ``VmHWM`` alone would miss the parser processes, ``ru_maxrss`` of children gives the
    largest one, and a sum of RSS counts every shared page once per process. Linux only.
    """

    def __init__(self, root: int, every: float = 0.02) -> None:
        self.peak_kb, self._root, self._every = 0, root, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            self.peak_kb = max(self.peak_kb, sum(map(_pss_kb, _tree(self._root))))


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from each thread's ``children`` list in /proc."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in children.read_text().split())
            except OSError:  # the thread or process ended
                continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(args: argparse.Namespace) -> None:
    work = Path(args.work)
    what, kind = args.child.split(":")
    if what == "backfill":
        numbers = run_backfill(kind, work, args.concurrency, args.registry,
                               args.checkpoint_every)
    else:
        numbers = run_floor(kind, work, args.concurrency, args.writes)
    numbers["load"] = os.getloadavg()[0]
    print(json.dumps(numbers))


def run_child(
    name: str, args: argparse.Namespace, work: str, writes: int = 0, registry: str = "sqlite"
) -> dict[str, float]:
    # The run before left dirty pages; without this, this run's first syncfs writes them.
    os.sync()
    with subprocess.Popen(
        [sys.executable, __file__, str(args.n), "--concurrency", str(args.concurrency),
         "--checkpoint-every", str(args.checkpoint_every),
         "--child", name, "--work", work, "--writes", str(writes), "--registry", registry],
        stdout=subprocess.PIPE, text=True,
    ) as run:
        peak = TreePeak(run.pid)
        out, _ = run.communicate()
        peak_mb = peak.stop()
    if run.returncode:
        raise subprocess.CalledProcessError(run.returncode, run.args)
    numbers: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    numbers["peak_mb"] = peak_mb
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--checkpoint-every", type=int, default=DEFAULT_CHECKPOINT_EVERY,
                        help="objects a batch (one syncfs and checkpoint each)")
    parser.add_argument("--sources", default="disk,s3", help="disk, s3 or both (disk,s3)")
    parser.add_argument("--databases", default="sqlite,postgres",
                        help="sqlite, postgres or both (sqlite,postgres)")
    parser.add_argument("--postgres", default=POSTGRES, help="server for the postgres runs")
    parser.add_argument("--registry", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--writes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update({"AWS_ENDPOINT_URL": f"http://{host}:{port}",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    kinds = [k for k in ("disk", "s3") if k in args.sources.split(",")]
    databases = [d for d in ("sqlite", "postgres") if d in args.databases.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        work = Path(tmp)
        generate(work / "archive", args.n)
        if "s3" in kinds:
            upload(work / "archive", args.concurrency)
        for kind in kinds:
            for database in databases:
                with registry_url(database, args.postgres) as url:
                    rows[f"{kind}:{database}"] = run_child(f"backfill:{kind}", args, tmp,
                                                           registry=url)
            writes = int(rows[f"{kind}:{databases[0]}"]["writes"])
            rows[f"floor:{kind}"] = run_child(f"floor:{kind}", args, tmp, writes)
    server.stop()
    print(f"N={args.n} concurrency={args.concurrency} parser processes={os.cpu_count()} "
          f"checkpoint every={args.checkpoint_every} "
          "(moto S3 server in this process; load: 1-minute load average at the run's end)")
    print(f"{'from':<6}{'registry':<10}{'items/s':>9}{'peak MB':>9}{'articles':>10}{'load':>6}"
          f"{'floor items/s':>15}{'floor MB':>10}{'load':>6}{'ratio':>7}")
    for kind in kinds:
        floor = rows[f"floor:{kind}"]
        floor_rate = floor["items"] / floor["seconds"]
        for database in databases:
            run = rows[f"{kind}:{database}"]
            rate = run["items"] / run["seconds"]
            print(f"{kind:<6}{database:<10}{rate:>9.1f}{run['peak_mb']:>9.0f}"
                  f"{run['writes']:>10.0f}{run['load']:>6.1f}{floor_rate:>15.1f}"
                  f"{floor['peak_mb']:>10.0f}{floor['load']:>6.1f}{rate / floor_rate:>7.2f}")


@contextmanager
def registry_url(database: str, server: str) -> Iterator[str]:
    """``sqlite`` (the run's home), or a fresh schema on ``server``, dropped afterwards."""
    if database == "sqlite":
        yield "sqlite"
        return
    from ingest.registry.engine import fresh_schema

    with fresh_schema(server, "bench") as url:
        yield url


if __name__ == "__main__":
    main()
