"""How the registry scales: ingest rate and one partner's feed, at 10k and 1M stories.

    .venv/bin/python bench/registry.py [--sizes 10000 1000000] [--url URL] [--sample 5000]
                                       [--cache /tmp/ingest-bench]

For each size it bulk-loads a fresh registry (SQLite files under /tmp by default; with
``--url`` a PostgreSQL schema per size, dropped afterwards; a loaded SQLite registry is
kept under ``--cache`` by size, migrated and copied on later runs
because loading 1M stories takes minutes), times ``record_version`` on a
sample of new versions, and times one partner's feed: iterate ``feed_items`` keeping
English stories until 100 are found (median of several runs). The target is a feed that
slows by at most 20% from the smallest to the largest registry.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, make_url, text

from ingest.model import Article
from ingest.registry import SQLRegistry, open_registry
from ingest.registry import schema as t
from ingest.registry.engine import fresh_schema
from ingest.registry.migrate import upgrade_database
from ingest.registry.sql import substance_hash

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=400)
LANGUAGES = ("en", "fr", "de", "es", "ar")
BATCH = 5_000
FEED_RUNS = 9
BODY = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 6 + "</p>"


def story(i: int, version: int, rng: random.Random) -> Article:
    roll = rng.random()
    status = "canceled" if roll < 0.01 else "withheld" if roll < 0.02 else "usable"
    return Article(
        uri=f"urn:newsml:afp.com:2024:{i:08d}",
        version=version,
        pub_status=status,  # type: ignore[arg-type]
        version_created=T0 + timedelta(seconds=rng.randrange(365 * 86_400)),
        headline=f"Story {i} version {version}",
        body_html=BODY,
        language=rng.choice(LANGUAGES),
        provider="AFP",
        products=["news"],
    )


def rows(article: Article) -> tuple[dict[str, Any], dict[str, Any]]:
    """The story and version rows ``record_version`` would leave for a first version."""
    at = article.version_created or T0
    killed = article.pub_status == "canceled"
    story_row = {
        "uri": article.uri,
        "latest_version": article.version,
        "status": article.pub_status,
        "embargoed_until": None,
        "feed_at": at,
        "killed": killed,
        "kill_version": article.version if killed else None,
        "killed_at": at if killed else None,
        "visible": article.pub_status == "usable",
        "updated_at": at,
    }
    record = article.to_record()
    version_row = {
        "uri": article.uri,
        "version": article.version,
        "content_hash": article.content_hash(),
        "substance_hash": substance_hash(record),
        "status": article.pub_status,
        "embargoed_until": None,
        "version_created": at,
        "received_at": at,
        "raw_key": None,
        "published_key": f"articles/{article.uri}/v{article.version}.json",
        "pending": False,
        "same_as": None,
        "signals": [],
        "ed_note": None,
        "language": article.language,
        "provider": article.provider,
        "country": None,
        "products": article.products,
        "record": record,
    }
    return story_row, version_row


def bulk_load(reg: SQLRegistry, size: int, rng: random.Random) -> None:
    for start in range(0, size, BATCH):
        pairs = [rows(story(i, 1, rng)) for i in range(start, min(size, start + BATCH))]
        with reg.engine.begin() as conn:
            conn.execute(insert(t.stories), [s for s, _ in pairs])
            conn.execute(insert(t.versions), [v for _, v in pairs])
    with reg.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def ingest_rate(reg: SQLRegistry, size: int, sample: int, rng: random.Random) -> float:
    """Versions per second through ``record_version``: half updates, half new stories."""
    articles = [
        story(rng.randrange(size), 2, rng) if n % 2 else story(size + n, 1, rng)
        for n in range(sample)
    ]
    started = time.perf_counter()
    for a in articles:
        reg.record_version(a, raw_key=None, received_at=NOW)
    return sample / (time.perf_counter() - started)


def feed_ms(reg: SQLRegistry) -> float:
    """Median time to take one partner's 100 newest English items."""
    timings = []
    for _ in range(FEED_RUNS):
        started = time.perf_counter()
        taken = 0
        for item in reg.feed_items(NOW):
            if item.article.language == "en":
                taken += 1
                if taken == 100:
                    break
        timings.append(time.perf_counter() - started)
        assert taken == 100
    return statistics.median(timings) * 1000


def kept_file(cache: Path, size: int) -> Path:
    """Where a loaded SQLite registry is kept (migrated to the newest schema when reused)."""
    return cache / f"registry-{size}.db"


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file, WAL included."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@contextmanager
def database(url: str | None, size: int, cache: Path) -> Iterator[tuple[str, bool]]:
    """A database for one size and whether it is already loaded (a copy of a kept one).

    SQLite: a file, a copy of the one kept in ``cache`` if there is one.
    PostgreSQL: a fresh schema, dropped afterwards.
    """
    if url is None:
        path = Path(f"/tmp/ingest-bench-registry-{size}.db")
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        kept = kept_file(cache, size)
        if kept.exists():
            upgrade_database(f"sqlite:///{kept}")
            copy_sqlite(kept, path)
        yield f"sqlite:///{path}", kept.exists()
        return
    with fresh_schema(url, f"bench_registry_{size}") as scoped:
        yield scoped, False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--url", help="PostgreSQL URL (default: SQLite files under /tmp)")
    parser.add_argument("--sample", type=int, default=5_000, help="versions to time ingest on")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ingest-bench"),
                        help="where loaded SQLite registries are kept between runs")
    args = parser.parse_args()
    backend = "sqlite" if args.url is None else make_url(args.url).get_backend_name()
    print(f"registry on {backend}: ingest through record_version, feed = 100 newest 'en' items")
    print(f"{'stories':>10} {'build s':>9} {'ingest rows/s':>14} {'feed ms (median)':>17}")
    feeds: dict[int, float] = {}
    for size in args.sizes:
        with database(args.url, size, args.cache) as (url, loaded), open_registry(url) as reg:
            started = time.perf_counter()
            if not loaded:
                bulk_load(reg, size, random.Random(size))
                if args.url is None:
                    args.cache.mkdir(parents=True, exist_ok=True)
                    copy_sqlite(Path(make_url(url).database or ""), kept_file(args.cache, size))
            build = time.perf_counter() - started
            rate = ingest_rate(reg, size, args.sample, random.Random(-size))
            feeds[size] = feed_ms(reg)
        print(f"{size:>10,} {build:>9.1f} {rate:>14,.0f} {feeds[size]:>17.2f}")
    smallest, largest = min(feeds), max(feeds)
    if smallest != largest:
        ratio = feeds[largest] / feeds[smallest]
        print(f"feed time {largest:,}/{smallest:,} = {ratio:.2f} (target <= 1.20)")


if __name__ == "__main__":
    main()
