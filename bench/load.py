"""Load: generated AFP traffic through the ``afp_ingest`` use case, then every partner feed.

Items arrive in windows (one ``ingest_items`` call per window, as the DAG runs one per
data interval): NewsML-G2 files and API Core JSON pages, with re-sent duplicates, later
versions of earlier stories, kills, and 2% broken items. Every ten windows (and at the
end) ``publish_articles`` runs and the feeds of 20 generated partners are rebuilt, so
kills land on stories partners already received. SQLite registry, local object store.

    .venv/bin/python bench/load.py [--items 50000] [--window 1000]

Prints: items per second, peak RSS, quarantine counts by reason, duplicate feed entries
(must be 0), items lost per reconcile (must be 0), kills not delivered (must be 0).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "hostile"))
from wire_items import api_doc, api_page, g2

from feeds import partners
from ingest.pipeline import ingest_items
from ingest.publish.articles import publish_versions
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.objectstore import LocalObjectStore
from ingest.reconcile import reconcile
from ingest.registry import open_registry
from ingest.sources.base import RawItem

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
WINDOW_MINUTES = 5
LANGS = ("en", "fr", "de")
SUBJECTS = ("04000000", "09000000", "15000000", "11000000")


def item(story: int, version: int, *, kill: bool, rng: random.Random, at: datetime) -> RawItem:
    """Story ``story`` at ``version``: even stories as G2 files, odd ones as API pages."""
    stamp = f"{at:%Y-%m-%dT%H:%M:%SZ}"
    words = " ".join(rng.choice(("wind", "council", "vote", "market", "rain", "court"))
                     for _ in range(40))
    lang = LANGS[story % 3]
    if story % 2 == 0:
        guid = f"urn:newsml:afp.com:20261127T000000Z:doc-l{story}"
        data = g2(guid, version, headline=f"Story {story} v{version}", lang=lang,
                  body=f"<p>{words}.</p><p>Version {version}.</p>",
                  status="canceled" if kill else "usable", created=stamp)
        return RawItem("afp", f"g2/{story}/v{version}", data, "newsml-g2")
    doc = api_doc(f"newsml.afp.com.20261127T000000Z.doc-l{story}", version, lang=lang,
                  headline=f"Story {story} v{version}", news=[f"{words}.", f"Version {version}."],
                  status="Canceled" if kill else "Usable", published=stamp,
                  iptc=[SUBJECTS[story % 4]], urgency=1 + story % 6)
    return RawItem("afp-api", f"api/{story}/v{version}", api_page(doc), "afp-api")


def windows(total: int, size: int, seed: int = 7) -> list[tuple[datetime, list[RawItem]]]:
    """``total`` items in windows: 70% new stories, 15% new versions, 8% re-sent items,
    3% kills, 2% broken (truncated) and 2% the same story again in the other format."""
    rng = random.Random(seed)
    versions: dict[int, int] = {}
    killed: set[int] = set()
    sent: list[RawItem] = []
    out: list[tuple[datetime, list[RawItem]]] = []
    for w in range(0, total, size):
        at = START + timedelta(minutes=WINDOW_MINUTES * (w // size))
        batch: list[RawItem] = []
        for _ in range(min(size, total - w)):
            roll = rng.random()
            live = [s for s in versions if s not in killed] if roll >= 0.70 else []
            if roll < 0.70 or not live or not sent:
                story = len(versions)
                versions[story] = 1
                new = item(story, 1, kill=False, rng=rng, at=at)
            elif roll < 0.85:
                story = rng.choice(live[-500:])
                versions[story] += 1
                new = item(story, versions[story], kill=False, rng=rng, at=at)
            elif roll < 0.93:
                new = rng.choice(sent[-2000:])
            elif roll < 0.96:
                story = rng.choice(live[-500:])
                versions[story] += 1
                killed.add(story)
                new = item(story, versions[story], kill=True, rng=rng, at=at)
            elif roll < 0.98:
                good = item(len(versions) + 10**6, 1, kill=False, rng=rng, at=at)
                new = RawItem(good.source, good.name + "/broken", good.data[: len(good.data) // 2],
                              good.fmt)
            else:
                original = rng.choice(sent[-2000:])
                new = RawItem(original.source, original.name + "/again", original.data + b"\n",
                              original.fmt)
            batch.append(new)
            sent.append(new)
        out.append((at, batch))
    return out


def feed_entry_ids(data: bytes, name: str) -> list[str]:
    if name.endswith(".json"):
        doc = json.loads(data)
        return [str(e.get("id") or f"{e.get('uri')}#{e.get('version')}") for e in doc["items"]]
    root = etree.fromstring(data)
    ids = root.xpath("//*[local-name()='item' or local-name()='entry']/*[local-name()='guid' "
                     "or local-name()='id']/text() | //*[local-name()='newsItem']/@guid")
    return [str(i) for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=1000)
    args = parser.parse_args()
    contracts = partners(20)
    plan = windows(args.items, args.window)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalObjectStore(Path(tmp) / "store")
        registry = open_registry(f"sqlite:///{Path(tmp) / 'registry.db'}")
        started = time.perf_counter()
        ingest_seconds = publish_seconds = 0.0
        for n, (at, batch) in enumerate(plan, 1):
            t0 = time.perf_counter()
            ingest_items(batch, registry=registry, store=store, received_at=at)
            t1 = time.perf_counter()
            ingest_seconds += t1 - t0
            if n % 10 == 0 or n == len(plan):
                now = at + timedelta(minutes=WINDOW_MINUTES)
                publish_versions(registry, store, now)
                for partner in contracts:
                    build_partner_feeds(registry, store, partner, now)
                publish_seconds += time.perf_counter() - t1
            print(f"window {n}/{len(plan)}: {sum(len(b) for _, b in plan[:n])} items, "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        wall = time.perf_counter() - started
        duplicates = 0
        for info in store.list("feeds/"):
            if "/archive/" in info.key:
                continue
            ids = feed_entry_ids(store.get(info.key), info.key)
            duplicates += len(ids) - len(set(ids))
        report = reconcile(registry, store)
        with registry.engine.connect() as conn:
            undelivered = conn.execute(text(
                "SELECT count(*) FROM (SELECT DISTINCT d.partner, d.format, d.uri "
                "FROM deliveries d JOIN stories s ON s.uri = d.uri AND s.killed "
                "WHERE d.kind = 'item') r "
                "WHERE NOT EXISTS (SELECT 1 FROM deliveries k WHERE k.partner = r.partner AND "
                "k.format = r.format AND k.uri = r.uri AND k.kind = 'kill')"
            )).scalar_one()
            reasons = Counter(dict(conn.execute(text(
                "SELECT reason, count(*) FROM quarantine GROUP BY reason")).all()))
            kills = conn.execute(text("SELECT count(*) FROM stories WHERE killed")).scalar_one()
        registry.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("items", f"{args.items} in {len(plan)} windows of {args.window}"),
        ("ingest items/s", f"{args.items / ingest_seconds:.0f}"),
        ("end-to-end items/s (ingest + publish + 20 partners' feeds)", f"{args.items / wall:.0f}"),
        ("wall time", f"{wall:.0f} s (publish and feeds {publish_seconds:.0f} s)"),
        ("peak RSS", f"{rss_mb:.0f} MB"),
        ("quarantined by reason", json.dumps(dict(sorted(reasons.items())))),
        ("raw objects: versions / duplicates / quarantined",
         f"{report.versions} / {sum(report.duplicates.values())} / "
         f"{sum(report.quarantined.values())}"),
        ("stories killed", str(kills)),
        ("duplicate feed entries (must be 0)", str(duplicates)),
        ("items lost per reconcile (must be 0)", str(len(report.gaps))),
        ("kills not delivered (must be 0)", str(undelivered)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    sys.exit(0 if not (duplicates or report.gaps or undelivered) else 1)


if __name__ == "__main__":
    main()
