"""What the registry costs a backfill per item, statement by statement, as the registry grows.

    .venv/bin/python bench/registry_writes.py [--sizes 5000 15000] [--postgres URL]

Parses N generated NewsML-G2 items once (the template of ``bench/backfill.py``), then
records them into a new registry as a backfill's chunk does: ``record_raws`` and
``record_versions`` with the parser's hashes, 50 items a call. The time of each SQL
statement is summed from SQLAlchemy's cursor events. It runs on SQLite, on PostgreSQL as
the registry configures it (plans made for each statement's values), and, as the peer in
the same run, on PostgreSQL with its default ``plan_cache_mode`` (``auto``, which may keep
a generic plan made while the tables were small). Per-item costs that grow with N are
scans.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from ingest.pipeline import parse_outcomes
from ingest.registry import open_registry
from ingest.registry.api import RawRecord, VersionRecord
from ingest.registry.engine import fresh_schema
from ingest.registry.sql import Hashes
from ingest.sources.base import RawItem

sys.path.insert(0, str(Path(__file__).parent))
from backfill import POSTGRES, TEMPLATE  # the backfill bench's items

BATCH = 50
AT = datetime(2026, 11, 27, tzinfo=UTC)
Item = tuple[RawRecord, VersionRecord, Hashes]


def items(count: int) -> list[Item]:
    made = []
    for n in range(count):
        data = TEMPLATE.format(n=n).encode()
        [(parsed, hashes)] = parse_outcomes(RawItem("drop", f"bench/{n}.xml", data, "auto"),
                                            10**7)
        key = f"raw/bench/{n:07d}"
        made.append((RawRecord(key, "drop", hashlib.sha256(data).hexdigest(), len(data), AT),
                     VersionRecord(parsed.article, key, AT), hashes))
    return made


def record(url: str, batch: list[Item], *, default_plans: bool) -> tuple[float, Counter[str]]:
    """Seconds to record ``batch`` into a new registry at ``url``, and each statement's."""
    spent: Counter[str] = Counter()
    with open_registry(url) as registry:
        engine = registry.engine
        if default_plans:  # after the registry's own connect hook: undoes it
            event.listen(engine, "connect", _default_plans)
            engine.dispose()
        started: dict[int, float] = {}

        def before(conn: Any, *_: Any) -> None:
            started[id(conn)] = time.perf_counter()

        def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            spent[" ".join(statement.split()[:3])] += time.perf_counter() - started[id(conn)]

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        start = time.perf_counter()
        for at in range(0, len(batch), BATCH):
            part = batch[at : at + BATCH]
            registry.record_raws([raw for raw, _, _ in part])
            registry.record_versions([version for _, version, _ in part],
                                     hashes=[hashes for _, _, hashes in part])
        return time.perf_counter() - start, spent


def _default_plans(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("SET plan_cache_mode = auto")
    dbapi_connection.commit()


@contextmanager
def database(name: str, postgres: str) -> Iterator[str]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
            yield f"sqlite:///{tmp}/registry.db"
        return
    with fresh_schema(postgres, "bench_writes") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 15000])
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args()
    made = items(max(args.sizes))
    runs = [("sqlite", "sqlite", False), ("postgres", "postgres", False),
            ("postgres, plan_cache_mode auto (peer)", "postgres", True)]
    print(f"{'registry':<40}{'items':>7}{'us/item':>9}  the three costliest statements, us/item")
    for size in args.sizes:
        for label, name, default_plans in runs:
            with database(name, args.postgres) as url:
                seconds, spent = record(url, made[:size], default_plans=default_plans)
            top = ", ".join(f"{stmt} {cost / size * 1e6:.0f}"
                            for stmt, cost in spent.most_common(3))
            print(f"{label:<40}{size:>7}{seconds / size * 1e6:>9.0f}  {top}")


if __name__ == "__main__":
    main()
