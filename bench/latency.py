"""Latency from wire to partner: items dropped at random times, timed to the feed and push.

Starts Airflow as ops would on one machine (``bench/latency_stack.py``: scheduler,
triggerer, dag-processor, API server, LocalExecutor, PostgreSQL for Airflow's database;
the registry, store and drop folder on their embedded defaults in a temp ``INGEST_HOME``)
and a local HTTP partner that takes pushes, with one partner contract (a ninjs feed and a
push URL) in a temp ``INGEST_PARTNERS_FILE``. After a warm-up item has gone all the way
through, it drops ``--items`` NewsML-G2 items (``--alerts`` of them AFP alerts: urgency 1,
genre ``afpattribute:Alert``) into the drop folder at seeded random times over
``--minutes``, and times each from landing (the rename into the folder) to its first
appearance in the partner's ``feeds/<partner>/ninjs.json`` (polled in the store) and to
its signed push being received.

    nice -n 10 .venv/bin/python bench/latency.py [--items 200] [--minutes 3] [--keep]

Prints p50, p95 and max per class (alerts, others, all) for the feed, the push and
"delivered" (the later of the two), beside what the 10-minute schedule alone would give
for the same landings: the next 10-minute boundary once the file has settled, plus the
processing the run measured here (median ``afp_ingest`` + median ``partner_feeds``
duration). The last line is ``latency p95: all N s, alerts M s`` (delivered). An item not
delivered within ``--wait`` seconds of the last drop counts with its time waited so far
(a lower bound) and is reported missing. Everything started is stopped on exit, Ctrl-C
or failure: components by SIGINT to their process group, the database dropped, the temp
dir removed (kept with ``--keep``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from lxml import etree

from ingest.publish.objectstore import ObjectNotFound, open_store
from ingest.publish.partners import load_partners
from latency_stack import PARTNER_ID, LatencyStack, PushReceiver, partners_yaml

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "tests" / "fixtures" / "afp" / "g2-story-v1.xml"
NS = "http://iptc.org/std/nar/2006-10-01/"
SCHEDULE_SECONDS = 600  # afp_ingest's safety-net schedule
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Item:
    n: int
    alert: bool
    offset: float  # seconds after the start of the drops
    uri: str = ""
    landed: float = math.nan  # epoch seconds


class Items:
    """NewsML-G2 stories from the v1 fixture's text item (its picture item and link left
    out: the bench times text), each with its own guid, times, urgency and headline."""

    def __init__(self, tag: str) -> None:
        item = etree.parse(str(TEMPLATE)).getroot().find(f".//{{{NS}}}newsItem")
        meta = None if item is None else item.find(f"{{{NS}}}itemMeta")
        if item is None or meta is None:
            raise RuntimeError(f"{TEMPLATE}: no newsItem with itemMeta")
        for link in meta.findall(f"{{{NS}}}link"):
            meta.remove(link)
        self._item: etree._Element = item
        self.tag = tag

    def render(self, item: Item, at: datetime, urgency: int) -> tuple[str, bytes]:
        doc = deepcopy(self._item)
        stamp = at.strftime("%Y%m%dT%H%M%SZ")
        uri = f"urn:newsml:afp.com:{stamp}:latency-{self.tag}-{item.n:05d}"
        doc.set("guid", uri)
        when = at.isoformat(timespec="seconds").replace("+00:00", "Z")
        for name in ("versionCreated", "firstCreated", "contentCreated"):
            for node in doc.iter(f"{{{NS}}}{name}"):
                node.text = when
        self._set(doc, "urgency", str(urgency))
        headline = (f"Baltic wind farm vote passes, item {item.n}" if item.alert
                    else f"Swedish parliament backs wind farm number {item.n}")
        self._set(doc, "headline", headline)
        if item.alert:
            genre = doc.find(f".//{{{NS}}}genre")
            assert genre is not None
            genre.set("qcode", "afpattribute:Alert")
            genre[0].text = "Alert"
            self._set(doc, "slugline", "ALERT")
        return uri, etree.tostring(doc, xml_declaration=True, encoding="UTF-8")

    @staticmethod
    def _set(doc: etree._Element, name: str, value: str) -> None:
        node = doc.find(f".//{{{NS}}}{name}")
        assert node is not None
        node.text = value


def plan(count: int, minutes: float, alert_share: float, rng: random.Random) -> list[Item]:
    """``count`` items at uniform random times (random intervals) over ``minutes``."""
    alerts = set(rng.sample(range(count), round(count * alert_share)))
    offsets = sorted(rng.uniform(0, minutes * 60) for _ in range(count))
    return [Item(n, n in alerts, offset) for n, offset in enumerate(offsets)]


def land(drop: Path, name: str, data: bytes) -> float:
    """Write under a name the drop source skips (``.tmp``), then rename: the landing."""
    tmp = drop / f"{name}.tmp"
    tmp.write_bytes(data)
    tmp.replace(drop / name)
    return time.time()


class FeedWatch(threading.Thread):
    """Polls the partner's ninjs feed and keeps when each story uri first appeared."""

    def __init__(self, store_url: str, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.store = open_store(store_url)
        self.key = f"feeds/{PARTNER_ID}/ninjs.json"
        self.every = every
        self.first: dict[str, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        last = b""
        while not self.stopping.wait(self.every):
            try:
                data = self.store.get(self.key)
            except ObjectNotFound:
                continue
            at = time.time()
            if data == last:
                continue
            last = data
            for entry in json.loads(data)["items"]:
                self.first.setdefault(str(entry["uri"]), at)


def wait_until(what: str, done: Callable[[], bool], timeout: float, check: Callable[[], object]
               ) -> bool:
    """Poll ``done`` every half second (``check`` raises if a component died)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            print(f"  gave up waiting for {what} after {timeout:.0f}s", file=sys.stderr)
            return False
        check()
        time.sleep(0.5)
    return True


def nearest_rank(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def schedule_only(landed: float, settle: float, processing: float) -> float:
    """What the 10-minute schedule alone gives: the first boundary after the file settled,
    plus a run's processing."""
    boundary = math.ceil((landed + settle) / SCHEDULE_SECONDS) * SCHEDULE_SECONDS
    return boundary - landed + processing


def report(items: list[Item], feed: dict[str, float], push: dict[str, float], ended: float,
           settle: float, processing: float) -> tuple[float, float]:
    """Print the table; return the delivered p95 for all items and for alerts."""
    def timings(item: Item) -> dict[str, tuple[float, bool]]:
        """measure -> (seconds from landing, missing: counted up to ``ended``)"""
        f, p = (seen.get(item.uri, ended) - item.landed for seen in (feed, push))
        lost_f, lost_p = item.uri not in feed, item.uri not in push
        return {"feed": (f, lost_f), "push": (p, lost_p),
                "delivered": (max(f, p), lost_f or lost_p),
                "10-min schedule": (schedule_only(item.landed, settle, processing), False)}

    measured = {item.n: timings(item) for item in items}
    classes = {"alerts": [i for i in items if i.alert], "others": [i for i in items if not i.alert],
               "all": items}
    print(f"\n{'class':8} {'n':>4}  {'measure':16} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"
          f" {'missing':>8}")
    p95: dict[str, float] = {}
    for name, group in classes.items():
        for measure in ("feed", "push", "delivered", "10-min schedule"):
            values = [measured[i.n][measure][0] for i in group]
            if not values:
                continue
            missing = sum(measured[i.n][measure][1] for i in group)
            print(f"{name:8} {len(group):>4}  {measure:16} {statistics.median(values):>7.1f}"
                  f" {nearest_rank(values, 0.95):>7.1f} {max(values):>7.1f} {missing:>8}")
            if measure == "delivered":
                p95[name] = nearest_rank(values, 0.95)
    print(f"(10-min schedule: boundary after landing + {settle:g}s settle, plus {processing:.1f}s"
          " processing measured here)")
    return p95.get("all", math.nan), p95.get("alerts", math.nan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--alerts", type=float, default=0.05, help="share of alerts")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--settle", type=int, default=2, help="INGEST_DROP_SETTLE_SECONDS")
    parser.add_argument("--wait", type=float, default=720,
                        help="seconds after the last drop to wait for stragglers")
    parser.add_argument("--postgres", default=os.environ.get("INGEST_TEST_POSTGRES_URL",
                                                             DEFAULT_POSTGRES))
    parser.add_argument("--keep", action="store_true", help="leave the temp dir")
    args = parser.parse_args(argv)
    if not 1 <= args.items < 1000:
        parser.error("--items: 1 to 999 (the partner's feed keeps 1000, the warm-up item too)")

    def terminate(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, terminate)
    # Started in the background, SIGINT may come ignored, and the components would inherit that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    root = Path(tempfile.mkdtemp(prefix="ingest-latency-"))
    secret = secrets.token_hex(16)
    receiver = PushReceiver(secret.encode())
    stack = LatencyStack(postgres_url=args.postgres, root=root, push_secret=secret,
                         settle_seconds=args.settle)
    watch = FeedWatch(stack.store_dir.as_uri())
    try:
        receiver.start()
        stack.partners_file.write_text(partners_yaml(receiver.url), encoding="utf-8")
        load_partners(stack.partners_file)  # a bad contract fails here, not in a task
        say(f"starting Airflow in {root}")
        stack.start()
        watch.start()
        return measure(args, stack, watch, receiver)
    except KeyboardInterrupt as exc:
        say(f"interrupted ({str(exc) or 'SIGINT'})")
        return 130
    except Exception:
        for proc in stack.processes:
            print(f"--- {proc.name} (last lines)\n{stack.tail(proc.name, 15)}", file=sys.stderr)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip this
        say("tearing down")
        watch.stopping.set()
        stack.stop()
        receiver.stop()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace, stack: LatencyStack, watch: FeedWatch,
            receiver: PushReceiver) -> int:
    rng = random.Random(args.seed)
    items = Items(stack.tag)
    check = stack._alive

    def delivered(uris: Sequence[str]) -> Callable[[], bool]:
        return lambda: all(u in watch.first and u in receiver.first for u in uris)

    say("warm-up: one item through, then the DAGs idle")
    probe = Item(99999, alert=False, offset=0)
    probe.uri, data = items.render(probe, datetime.now(UTC), urgency=4)
    land(stack.drop, "warmup.xml", data)
    if not wait_until("the warm-up item", delivered([probe.uri]), SCHEDULE_SECONDS + 120, check):
        return 1
    wait_until("the DAGs to be idle", stack.idle, 300, check)

    schedule = plan(args.items, args.minutes, args.alerts, rng)
    say(f"dropping {len(schedule)} items ({sum(i.alert for i in schedule)} alerts) over "
        f"{args.minutes:g} min")
    started = time.time()
    for item in schedule:
        time.sleep(max(0.0, started + item.offset - time.time()))
        urgency = 1 if item.alert else rng.choice((3, 4, 5))
        item.uri, data = items.render(item, datetime.now(UTC), urgency)
        item.landed = land(stack.drop, f"item-{item.n:05d}.xml", data)
    say(f"all dropped; waiting up to {args.wait:.0f}s for feed and push")
    wait_until("every item", delivered([i.uri for i in schedule]), args.wait, check)
    ended = time.time()
    wait_until("the DAGs to be idle", stack.idle, 120, check)
    runs = stack.run_durations(started)
    processing = sum(statistics.median(d) if d else 0.0 for d in runs.values())
    print(f"runs during the drops: {', '.join(f'{k} {len(v)}' for k, v in runs.items())}; "
          f"pushes received {receiver.received}, bad signatures {receiver.bad_signatures}")
    all_p95, alert_p95 = report(schedule, watch.first, receiver.first, ended, args.settle,
                                processing)
    print(f"latency p95: all {all_p95:.1f} s, alerts {alert_p95:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
