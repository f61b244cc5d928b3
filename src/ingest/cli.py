"""``ingest``: the engineers' command line, the same use cases as the DAGs without Airflow."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingest import jsonout
from ingest.errors import IngestError, Reason, crash_error
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
            print(jsonout.dumps(record))
    return 1 if args.paths and failures == len(args.paths) else 0


def _parse_path(path: Path, fmt: str) -> list[ParseOutcome]:
    """A file's outcomes; a parser bug is an ``internal_error`` record like any failure
    (its traceback on stderr), so one file never ends the command."""
    try:
        return list(parse_bytes(path.read_bytes(), source=str(path), fmt=fmt))
    except IngestError as exc:
        return [ParseFailure(exc.reason, exc.detail)]
    except OSError as exc:
        return [ParseFailure(Reason.UNREADABLE, str(exc))]
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        error = crash_error(exc)
        return [ParseFailure(error.reason, error.detail)]


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the registry's schema to the newest migration (``alembic upgrade head``)."""
    from ingest.runtime import Runtime

    rt = Runtime.from_env()
    rt.registry.upgrade()
    print(f"registry at {_redact(rt.settings.registry_url)} is at the newest schema")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what the registry holds and what is published: the demo's closing summary."""
    from ingest.runtime import Runtime

    rt = Runtime.from_env()
    stats = _registry_counts(rt)
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
    blocks = dict(sorted(stripped.items()))
    print(f"  boilerplate removed: {sum(stripped.values())} blocks {blocks}")
    from ingest.ops.queries import format_deliveries

    for feed in format_deliveries(rt.registry.engine):
        kills = f", {feed.kills} kill{'' if feed.kills == 1 else 's'}" if feed.kills else ""
        stories = f"{feed.items} stor{'y' if feed.items == 1 else 'ies'}"
        print(f"  delivered to {feed.partner} ({feed.format}): {stories}{kills}")
    from ingest.ops.status import push_lines

    for line in push_lines(rt):
        print(line)
    print(f"object store: {rt.settings.store_url}")
    for prefix in ("articles/", "feeds/"):
        keys = [info.key for info in rt.store.list(prefix)]
        print(f"  {prefix} {len(keys)} objects")
        for key in keys:
            print(f"    {rt.store.uri_for(key)}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Load an archive like the ``archive_backfill`` DAG, with progress on stderr."""
    from datetime import UTC, datetime

    from ingest.backfill import BackfillRequest, ChunkOptions, run_backfill, summary_lines
    from ingest.pipeline import IngestReport
    from ingest.progress import Progress
    from ingest.runtime import Runtime
    from ingest.sources.afp_api import AFPAPIConfig

    request = BackfillRequest(
        source=args.source, start=args.start, end=args.end, fmt=args.format,
        chunk_size=args.chunk_size, reprocess=args.reprocess, publish=args.publish,
        run_id=args.run_id,
    )
    rt = Runtime.from_env()
    if request.publish:
        rt.partners()  # a missing or invalid contract stops it now, not after the archive
    afp = AFPAPIConfig.from_env() if request.source.startswith("afp-api:") else None
    progress = Progress(sys.stderr)
    read = 0

    def advance(done: IngestReport) -> None:
        nonlocal read
        read += 1
        progress.advance(items=done.raw_items, errors=sum(done.quarantined.values()))

    result = run_backfill(
        rt, request, now=datetime.now(UTC), dry_run=args.dry_run,
        options=ChunkOptions(max_item_bytes=rt.settings.max_item_bytes, afp_config=afp,
                             afp_budget=rt.afp_budget(afp) if afp else None,
                             **({} if args.workers is None else {"workers": args.workers})),
        on_start=lambda plan: progress.start(plan.objects),
        on_object=advance,
    )
    if not args.dry_run:
        progress.close()
    for line in summary_lines(result.plan, result.report, dry_run=args.dry_run, read=read):
        print(line)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Check every raw object is a version, a recorded duplicate or quarantined; 1 on a gap."""
    from ingest.reconcile import reconcile
    from ingest.runtime import Runtime

    rt = Runtime.from_env()
    report = reconcile(rt.registry, rt.store)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the partner pull API (``ingest.api``) on uvicorn, one JSON log line a request."""
    import gc
    import logging

    import uvicorn

    from ingest.api import create_app
    from ingest.runtime import Runtime

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rt = Runtime.from_env()
    app = create_app(rt.registry, rt.store, rt.partners(),
                     ids=rt.settings.tag_ids)
    # What is loaded by now lives as long as the process (modules, vocabularies, schemas,
    # contracts): frozen out of the collector's sight, a full collection during a request
    # walks only what requests made. Unfrozen, those collections were the feed's p99
    # (bench/api.py at 1M stories: pages of 12 ms median took 70-95 ms when one ran).
    gc.collect()
    gc.freeze()
    # uvicorn's own access log would repeat each request, query string and all
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
    return 0


def cmd_key_create(args: argparse.Namespace) -> int:
    """Make an API key for a partner; print it once, alone on the last line."""
    from datetime import UTC, datetime

    from ingest.api.keys import create_key
    from ingest.runtime import Runtime

    rt = Runtime.from_env()
    if args.partner not in {p.id for p in rt.partners()}:
        print(f"no partner {args.partner!r} in {rt.settings.partners_file}", file=sys.stderr)
        return 2
    key_id, key = create_key(rt.registry, args.partner, datetime.now(UTC))
    print(f"key {key_id} for partner {args.partner}; it is shown only now, keep it secret")
    print("send it as: Authorization: Bearer <key>")
    print(key)
    return 0


def cmd_key_list(args: argparse.Namespace) -> int:
    """Every key: id, partner, created, and revoked or active (never the key itself)."""
    from ingest.model import iso
    from ingest.runtime import Runtime

    for key in Runtime.from_env().registry.partner_keys():
        state = f"revoked {iso(key.revoked_at)}" if key.revoked_at else "active"
        print(f"{key.id}  {key.partner}  created {iso(key.created_at)}  {state}")
    return 0


def cmd_key_revoke(args: argparse.Namespace) -> int:
    """Revoke a key at once; 1 if there is no such active key."""
    from datetime import UTC, datetime

    from ingest.runtime import Runtime

    if not Runtime.from_env().registry.revoke_partner_key(args.key_id, datetime.now(UTC)):
        print(f"no active key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"key {args.key_id} revoked")
    return 0


def _registry_counts(rt: Runtime) -> dict[str, int]:
    from sqlalchemy import func, select

    from ingest.registry import schema as t

    queries = {
        "stories": select(func.count()).select_from(t.stories),
        "versions": select(func.count()).select_from(t.versions),
        "canceled": select(func.count()).select_from(t.stories).where(t.stories.c.killed),
        "raw_objects": select(func.count()).select_from(t.raw_objects),
    }
    with rt.registry.engine.connect() as conn:
        return {name: int(conn.execute(query).scalar_one()) for name, query in queries.items()}


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

    reconcile = commands.add_parser("reconcile", help="account for every raw object stored")
    reconcile.set_defaults(handler=cmd_reconcile)

    backfill = commands.add_parser("backfill", help="load an archive (s3://, file://, afp-api:)")
    backfill.add_argument("source", help="s3://bucket/prefix, file:///dir or afp-api:")
    backfill.add_argument("--from", dest="start", type=date.fromisoformat, metavar="DATE")
    backfill.add_argument("--to", dest="end", type=date.fromisoformat, metavar="DATE")
    backfill.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    backfill.add_argument("--chunk-size", type=int, default=500, metavar="N")
    backfill.add_argument("--reprocess", action="store_true", help="re-normalise seen items")
    backfill.add_argument("--publish", action="store_true", help="syndicate to partners")
    backfill.add_argument("--dry-run", action="store_true", help="list and count only")
    backfill.add_argument("--run-id", help="backfill id (default: derived from the arguments)")
    backfill.add_argument("--workers", type=int, metavar="N",
                          help="parser processes (default: one per core; 0: none)")
    backfill.set_defaults(handler=cmd_backfill)

    serve = commands.add_parser("serve", help="the partner pull API (docs/api.md)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=cmd_serve)

    partners = commands.add_parser("partners", help="partner API keys").add_subparsers(
        dest="partners", required=True)
    key = partners.add_parser("key", help="create, list and revoke API keys").add_subparsers(
        dest="key", required=True)
    create = key.add_parser("create", help="a new key for PARTNER, printed once")
    create.add_argument("partner", metavar="PARTNER")
    create.set_defaults(handler=cmd_key_create)
    key.add_parser("list", help="every key, never the secret").set_defaults(handler=cmd_key_list)
    revoke = key.add_parser("revoke", help="revoke KEY_ID at once")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.set_defaults(handler=cmd_key_revoke)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a configuration error is one line naming the setting, exit 2."""
    from ingest.config import ConfigError
    from ingest.publish.partners import PartnerConfigError

    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (ConfigError, PartnerConfigError) as exc:
        print(f"ingest: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
