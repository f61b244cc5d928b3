"""Read-only questions the ops view asks of the registry's tables, beyond the pipeline's protocol.

SQLAlchemy Core over ``ingest.registry.schema``; nothing here writes. Hourly buckets are
counted in Python over one day's timestamps, so the same code runs on SQLite and PostgreSQL
without date functions that differ between them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Engine, Select, func, select

from ingest.model import utc
from ingest.registry import schema as t
from ingest.registry.api import QuarantineRow
from ingest.registry.latency import UNKNOWN_SOURCE
from ingest.sources.afp_api import SOURCE as AFP_API
from ingest.sources.drop import SOURCE as DROP

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Hourly:
    """Items ingested (versions recorded) and quarantined per source, one bucket per hour."""

    start: datetime  # the first bucket's start; bucket i covers [start + i h, start + (i+1) h)
    ingested: dict[str, list[int]]
    quarantined: dict[str, list[int]]


@dataclass(frozen=True, slots=True)
class Window:
    """How far a source got: the AFP API cursor, or the drop folder's latest done file."""

    source: str
    position: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FormatDeliveries:
    """What one partner's feed in one format carried, from the deliveries table."""

    partner: str
    format: str
    items: int
    kills: int
    last_at: datetime


@dataclass(frozen=True, slots=True)
class KillDelivered:
    partner: str
    format: str
    uri: str
    version: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Published:
    uri: str
    version: int
    status: str
    key: str
    received_at: datetime


def _rows(engine: Engine, stmt: Select[Any] | CompoundSelect[Any]) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def hourly(engine: Engine, *, now: datetime, hours: int = 24) -> Hourly:
    """The last ``hours`` whole hours up to and including the one ``now`` falls in."""
    end = utc(now).replace(minute=0, second=0, microsecond=0) + HOUR
    start = end - hours * HOUR
    source = func.coalesce(t.raw_objects.c.source, UNKNOWN_SOURCE)
    ingested = (
        select(source.label("source"), t.versions.c.received_at.label("at"))
        .select_from(t.versions)
        .outerjoin(t.raw_objects, t.raw_objects.c.key == t.versions.c.raw_key)
        .where(t.versions.c.received_at >= start, t.versions.c.received_at < end)
    )
    quarantined = select(
        t.quarantine.c.source.label("source"), t.quarantine.c.last_seen.label("at")
    ).where(t.quarantine.c.last_seen >= start, t.quarantine.c.last_seen < end)
    return Hourly(
        start,
        _bucket(_rows(engine, ingested), start, hours),
        _bucket(_rows(engine, quarantined), start, hours),
    )


def _bucket(rows: list[Any], start: datetime, hours: int) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * hours)
    for row in rows:
        counts[row.source][int((utc(row.at) - start) / HOUR)] += 1
    return dict(counts)


def newest_publication(engine: Engine) -> dict[str, datetime]:
    """Per source, the newest ``versioncreated`` of any recorded version."""
    stmt = (
        select(t.raw_objects.c.source, func.max(t.versions.c.version_created).label("newest"))
        .select_from(t.versions)
        .join(t.raw_objects, t.raw_objects.c.key == t.versions.c.raw_key)
        .where(t.versions.c.version_created.is_not(None))
        .group_by(t.raw_objects.c.source)
    )
    return {row.source: utc(row.newest) for row in _rows(engine, stmt)}


def raw_sources(engine: Engine) -> list[str]:
    """Every source that ever handed over an item or a failure."""
    stmt = select(t.raw_objects.c.source).union(select(t.quarantine.c.source))
    return sorted(row.source for row in _rows(engine, stmt))


def last_windows(engine: Engine) -> dict[str, Window]:
    """The ``afp-api`` cursor (end of the last pulled window) and the newest done drop file."""
    windows: dict[str, Window] = {}
    api = _rows(engine, select(t.cursors).where(t.cursors.c.source == AFP_API))
    if api:
        windows[AFP_API] = Window(AFP_API, api[0].value, api[0].updated_at)
    drop = _rows(
        engine,
        select(t.cursors)
        .where(t.cursors.c.source.startswith(f"{DROP}:"), t.cursors.c.value.startswith("done "))
        .order_by(t.cursors.c.updated_at.desc(), t.cursors.c.source.desc())
        .limit(1),
    )
    if drop:
        windows[DROP] = Window(DROP, drop[0].source.removeprefix(f"{DROP}:"), drop[0].updated_at)
    return windows


def format_deliveries(engine: Engine) -> list[FormatDeliveries]:
    """Per partner and format: stories carried, kill notices carried, latest delivery."""
    d = t.deliveries.c
    stmt = (
        select(d.partner, d.format, d.kind, func.count(func.distinct(d.uri)).label("n"),
               func.max(d.at).label("last_at"))
        .group_by(d.partner, d.format, d.kind)
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _rows(engine, stmt):
        entry = merged.setdefault((row.partner, row.format), {"item": 0, "kill": 0, "at": None})
        entry[row.kind] = row.n
        at = utc(row.last_at)
        entry["at"] = at if entry["at"] is None else max(entry["at"], at)
    return [
        FormatDeliveries(partner, fmt, e["item"], e["kill"], e["at"])
        for (partner, fmt), e in sorted(merged.items())
    ]


def last_kills(engine: Engine) -> dict[str, KillDelivered]:
    """Per partner, the most recent kill notice any of its feeds carried."""
    d = t.deliveries.c
    latest = (
        select(d.partner, func.max(d.at).label("at")).where(d.kind == "kill")
        .group_by(d.partner).subquery()
    )
    stmt = (
        select(d.partner, d.format, d.uri, d.version, d.at)
        .join(latest, (latest.c.partner == d.partner) & (latest.c.at == d.at))
        .where(d.kind == "kill")
        .order_by(d.partner, d.format, d.uri)
    )
    kills: dict[str, KillDelivered] = {}
    for row in _rows(engine, stmt):
        kills.setdefault(
            row.partner, KillDelivered(row.partner, row.format, row.uri, row.version, utc(row.at))
        )
    return kills


def recently_published(engine: Engine, *, limit: int = 10) -> list[Published]:
    """The versions most recently received that are written to ``articles/``."""
    v = t.versions.c
    stmt = (
        select(v.uri, v.version, v.status, v.published_key, v.received_at)
        .where(v.published_key.is_not(None), v.same_as.is_(None))
        .order_by(v.received_at.desc(), v.uri, v.version.desc())
        .limit(limit)
    )
    return [
        Published(r.uri, r.version, r.status, r.published_key, utc(r.received_at))
        for r in _rows(engine, stmt)
    ]


def quarantine_facets(engine: Engine) -> list[dict[str, Any]]:
    """Counts per (source, reason), with how many still wait for a replay."""
    q = t.quarantine.c
    stmt = (
        select(q.source, q.reason, func.count().label("total"),
               func.count().filter(q.replayed.is_(False)).label("pending"))
        .group_by(q.source, q.reason)
        .order_by(q.source, q.reason)
    )
    return [
        {"source": r.source, "reason": r.reason, "total": r.total, "pending": r.pending}
        for r in _rows(engine, stmt)
    ]


def quarantine_row(engine: Engine, raw_key: str) -> QuarantineRow | None:
    rows = _rows(engine, select(t.quarantine).where(t.quarantine.c.raw_key == raw_key))
    return QuarantineRow(**rows[0]._asdict()) if rows else None
