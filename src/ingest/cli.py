"""``ingest``: the engineers' command line, the same use cases as the DAGs without Airflow."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.config import Settings

from ingest.errors import IngestError, Reason
from ingest.parsers import FORMATS, parse_bytes
from ingest.parsers.base import ParseFailure, ParseOutcome

if TYPE_CHECKING:
    from ingest.runtime import Runtime


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse files offline (no database, no network) and print one JSON object per article."""
    failures = 0
    for path in args.paths:
        outcomes = list(_parse_path(path, args.format))
        if all(isinstance(o, ParseFailure) for o in outcomes):
            failures += 1
        for outcome in outcomes:
            record: dict[str, object] = {"source": str(path)}
            if isinstance(outcome, ParseFailure):
                error = {"reason": str(outcome.reason), "detail": outcome.detail}
                record["error"] = {**error, "ref": outcome.ref} if outcome.ref else error
            else:
                record["ninjs"] = outcome.article.to_ninjs()
                record["stripped"] = [{"kind": s.kind, "text": s.text} for s in outcome.stripped]
            print(json.dumps(record, ensure_ascii=False))
    return 1 if args.paths and failures == len(args.paths) else 0


def _parse_path(path: Path, fmt: str) -> list[ParseOutcome]:
    try:
        return list(parse_bytes(path.read_bytes(), source=str(path), fmt=fmt))
    except IngestError as exc:
        return [ParseFailure(exc.reason, exc.detail)]
    except OSError as exc:
        return [ParseFailure(Reason.UNREADABLE, str(exc))]


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the registry's schema to the newest migration (``alembic upgrade head``)."""
    from ingest.registry import upgrade_database

    settings = Settings.from_env()
    upgrade_database(settings.registry_url)
    print(f"registry at {_redact(settings.registry_url)} is at the newest schema")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what the registry holds and what is published: the demo's closing summary."""
    from ingest.runtime import Runtime

    rt = Runtime.from_env()
    stats = rt.registry.stats()
    print(f"registry: {_redact(rt.settings.registry_url)}")
    print(
        f"  stories: {stats['stories']}  versions: {stats['versions']}  "
        f"killed: {stats['canceled']}  raw objects: {stats['raw_objects']}"
    )
    quarantine = rt.registry.quarantined(limit=1000)
    print(f"  quarantined: {len(quarantine)}")
    for row in quarantine:
        print(f"    - {row.reason}: {row.detail[:110]}")
    stripped = _stripped_counts(rt)
    print(f"  boilerplate removed: {sum(stripped.values())} blocks {dict(sorted(stripped.items()))}")
    print(f"object store: {rt.settings.store_url}")
    for prefix in ("articles/", "feeds/"):
        keys = [info.key for info in rt.store.list(prefix)]
        print(f"  {prefix} {len(keys)} objects")
        for key in keys:
            print(f"    {rt.store.uri_for(key)}")
    return 0


def _stripped_counts(rt: Runtime) -> Counter[str]:
    counts: Counter[str] = Counter()
    for info in rt.store.list("audit/"):
        audit = json.loads(rt.store.get(info.key))
        counts.update(block["kind"] for block in audit["stripped"])
    return counts


def _redact(url: str) -> str:
    """A database URL fit for a terminal: any password replaced."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="parse files to ninjs (JSON Lines on stdout)")
    parse.add_argument("paths", nargs="+", type=Path)
    parse.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    parse.set_defaults(handler=cmd_parse)

    db = commands.add_parser("db", help="registry schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="alembic upgrade head").set_defaults(handler=cmd_db_upgrade)

    status = commands.add_parser("status", help="what is registered, quarantined and published")
    status.set_defaults(handler=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
