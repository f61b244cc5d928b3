"""Where one backfill's wall time goes: chunks, publishing, and the registry calls in each.

    .venv/bin/python bench/backfill_phases.py 10000 [--registry postgres] [--work DIR]

Runs ``bench/backfill.py``'s disk backfill (publish on) once, in this process, with the
phases and the registry methods the main thread calls timed by wrappers (wall seconds,
summed over calls). ``--work`` reuses a folder's generated ``archive/`` and puts each run's
home and store in a new subfolder, so runs can alternate without deleting anything (this
VM slows after large deletions: docs/scaling.md). The peer is the same run's own total:
the table says which share of it each phase and call took.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import backfill as bench  # the backfill bench's items and run
import ingest.backfill as backfill
from ingest.registry.engine import fresh_schema
from ingest.registry.sql import SQLRegistry

CALLS = ("record_raws", "record_versions", "set_checkpoint", "versions_to_write",
         "mark_written_many", "latest_many")
spent: dict[str, float] = {}


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--registry", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default=bench.POSTGRES)
    parser.add_argument("--work", type=Path, help="a folder to keep (archive made once)")
    args = parser.parse_args()
    for name in CALLS:
        setattr(SQLRegistry, name, timed(name, getattr(SQLRegistry, name)))
    backfill.run_chunk = timed("chunks", backfill.run_chunk)
    backfill.publish_everything = timed("publish", backfill.publish_everything)
    with (nullcontext(str(args.work)) if args.work
          else tempfile.TemporaryDirectory(prefix="bench-phases-")) as folder:
        root = Path(folder)
        if not (root / "archive").is_dir():
            bench.generate(root / "archive", args.n)
        work = root / f"run-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        (work / "archive").symlink_to(root / "archive")
        with (fresh_schema(args.postgres, "bench_phases") if args.registry == "postgres"
              else nullcontext("sqlite")) as url:
            numbers = bench.run_backfill("disk", work, 8, url, backfill.DEFAULT_CHECKPOINT_EVERY)
    total = numbers["seconds"]
    print(f"N={args.n} registry={args.registry}: {numbers['items'] / total:.0f} items/s, "
          f"{total:.2f} s")
    print(f"{'phase or call':<20}{'s':>7}{'share':>7}")
    for name in ("chunks", *CALLS[:3], "publish", *CALLS[3:]):
        seconds = spent.get(name, 0.0)
        print(f"{name:<20}{seconds:>7.2f}{seconds / total:>7.0%}")


if __name__ == "__main__":
    main()
