"""Time to rebuild every partner feed, and whether it stays flat as the registry grows.

For each registry size: bulk-load N stories (SQLite, straight into the registry tables,
one every 30 s back from ``NOW``, so the recent window holds the same stories whatever
N is), then build 20 partners x 5 formats x up to 100 items into a local object store in
a temp dir. "cold" is the first build (everything written, Atom archive pages included);
"warm" is a rerun with nothing new (every feed rendered, compared, nothing written),
median of ``--runs``. "cold" and "warm/partner" call ``build_partner_feeds`` once per
partner, as the partner_feeds DAG does (one mapped task each); "warm/run" builds all 20
in one ``build_feeds`` call, which walks the registry once for them all.

Loading 1M stories takes minutes, so each loaded registry is kept under ``--cache``
(by size; migrated to the newest schema when reused) and copied into the temp dir.

    .venv/bin/python bench/feeds.py [--stories 100000 1000000] [--cache /tmp/ingest-bench]
                                    [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.model import Article, Picture, Rendition, Subject
from ingest.publish.feeds import build_feeds, build_partner_feeds
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import FORMAT_NAMES, Partner, parse_partners
from ingest.registry import open_registry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LANGS = ("en", "fr", "de")
SUBJECTS = ("medtop:04000000", "medtop:09000000", "medtop:15000000", "medtop:11000000")
PROVIDERS = ("AFP", "AFP", "AFP", "example-paper")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def partners(count: int = 20) -> list[Partner]:
    """A mix of contracts: open, by language, by subject, by urgency, rights-limited."""
    doc: list[dict[str, object]] = []
    for i in range(count):
        filters: dict[str, object] = {}
        if i % 4 == 1:
            filters["languages"] = [LANGS[i % 3]]
        if i % 4 == 2:
            filters["subjects"] = [SUBJECTS[i % 4][:9]]
        if i % 4 == 3:
            filters["min_urgency"] = 4
        doc.append(
            {
                "id": f"partner-{i:02d}",
                "name": f"Partner {i}",
                "formats": list(FORMAT_NAMES),
                "max_items": 100,
                "max_age": "2d",
                "filters": filters,
                "rights": {
                    "providers": ["AFP"] if i % 2 else ["*"],
                    "pictures": i % 3 != 0,
                    "excluded_usage_terms": ["NO ARCHIVAL USE"] if i % 5 == 0 else [],
                },
            }
        )
    return parse_partners({"partners": doc})


def article(i: int) -> Article:
    created = NOW - timedelta(seconds=30 * i)
    return Article(
        uri=f"urn:newsml:afp.com:bench:{i:08d}",
        version=1,
        version_created=created,
        first_created=created,
        urgency=1 + i % 9,
        language=LANGS[i % 3],
        headline=f"Story number {i} makes the news",
        standfirst="A one-line summary.",
        body_html="<p>FRANKFURT (AFP) - First paragraph of the story.</p>"
        "<p>Second paragraph, with <strong>emphasis</strong>.</p>" * 3,
        byline="Anna SMITH",
        country="DEU",
        subjects=[Subject(SUBJECTS[i % 4], "subject")],
        products=["news"],
        provider=PROVIDERS[i % 4],
        copyright_notice="© 2026 AFP",
        usage_terms="NO ARCHIVAL USE" if i % 7 == 0 else None,
        pictures=[
            Picture(
                f"urn:pic:{i}",
                caption="A picture.",
                credit="AFP/Getty Images",
                renditions=[
                    Rendition(
                        "hd",
                        f"https://media.example.com/{i}.jpg",
                        "image/jpeg",
                        3000,
                        2000,
                        2_000_000,
                    )
                ],
            )
        ],
    )


def bulk_load(db: Path, count: int) -> None:
    """Rows as SQLRegistry would store them, inserted in one transaction."""
    open_registry(f"sqlite:///{db}").close()  # schema via the real migrations
    conn = sqlite3.connect(db)
    batch = 20_000
    for start in range(0, count, batch):
        stories, versions = [], []
        for i in range(start, min(count, start + batch)):
            a = article(i)
            assert a.version_created is not None
            at = a.version_created.replace(tzinfo=None).strftime(SQLITE_TIME)
            stories.append((a.uri, 1, "usable", None, at, 0, None, None, 1, at))
            versions.append(
                (
                    a.uri,
                    1,
                    f"{i:064d}",
                    f"{i:064d}",
                    "usable",
                    None,
                    at,
                    at,
                    None,
                    None,
                    0,
                    None,
                    "[]",
                    None,
                    a.language,
                    a.provider,
                    a.country,
                    '["news"]',
                    json.dumps(a.to_record()),
                )
            )
        conn.executemany(
            "INSERT INTO stories (uri, latest_version, status, embargoed_until, "
            "feed_at, killed, kill_version, killed_at, visible, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            stories,
        )
        conn.executemany(
            "INSERT INTO versions (uri, version, content_hash, substance_hash, "
            "status, embargoed_until, version_created, received_at, raw_key, "
            "published_key, pending, same_as, signals, ed_note, language, "
            "provider, country, products, record) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            versions,
        )
    conn.commit()
    conn.close()


def cached_registry(cache: Path, count: int) -> tuple[Path, float]:
    """The loaded registry for ``count`` stories, loaded now only if not kept already.

    A kept registry is brought to the newest migration before use, as a deployed one is.
    """
    db = cache / f"feeds-{count}.db"
    if db.exists():
        open_registry(f"sqlite:///{db}").close()
        return db, 0.0
    cache.mkdir(parents=True, exist_ok=True)
    partial = db.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    bulk_load(partial, count)
    partial.rename(db)
    return db, time.perf_counter() - started


def rebuild(
    db: Path, store: LocalObjectStore, contracts: list[Partner], *, one_run: bool = False
) -> tuple[float, int]:
    with open_registry(f"sqlite:///{db}") as registry:
        started = time.perf_counter()
        if one_run:
            results = list(build_feeds(registry, store, contracts, NOW).values())
        else:
            results = [build_partner_feeds(registry, store, p, NOW) for p in contracts]
        return time.perf_counter() - started, sum(len(r.written) for r in results)


def warm(db: Path, store: LocalObjectStore, contracts: list[Partner], runs: int, *,
         one_run: bool) -> tuple[float, int]:
    """Median time of ``runs`` rebuilds with nothing new, and what the last one wrote."""
    timings = [rebuild(db, store, contracts, one_run=one_run) for _ in range(runs)]
    return statistics.median(t for t, _ in timings), timings[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ingest-bench"),
                        help="where loaded registries are kept between runs")
    parser.add_argument("--runs", type=int, default=3, help="warm rebuilds to take the median of")
    args = parser.parse_args()
    contracts = partners()
    rows = []
    for count in args.stories:
        with tempfile.TemporaryDirectory() as tmp:
            kept, load = cached_registry(args.cache, count)
            db = Path(tmp) / "registry.db"
            shutil.copyfile(kept, db)
            store = LocalObjectStore(Path(tmp) / "objects")
            cold, cold_written = rebuild(db, store, contracts)
            per_partner, pw = warm(db, store, contracts, args.runs, one_run=False)
            one_run, rw = warm(db, store, contracts, args.runs, one_run=True)
            rows.append((count, load, cold, cold_written, per_partner, one_run, pw + rw))
    print(
        f"{len(contracts)} partners x {len(FORMAT_NAMES)} formats x <=100 items, "
        "SQLite registry, local object store (load 0 = kept registry reused)"
    )
    print(
        f"{'stories':>10} {'load s':>8} {'cold s':>8} {'written':>8} {'warm/partner s':>15} "
        f"{'warm/run s':>11} {'written':>8}"
    )
    for count, load, cold, cw, per_partner, one_run, ww in rows:
        print(f"{count:>10,} {load:>8.1f} {cold:>8.2f} {cw:>8} {per_partner:>15.2f} "
              f"{one_run:>11.2f} {ww:>8}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(
            f"ratio largest/smallest: cold {last[2] / first[2]:.2f}x, "
            f"warm/partner {last[4] / first[4]:.2f}x, warm/run {last[5] / first[5]:.2f}x "
            "(target: < 2 s, ratio ~1)"
        )


if __name__ == "__main__":
    main()
