"""How long each version took from the wire to the registry and to ``articles/``.

Each version row keeps three times: ``wire_at`` (the item's own ``versionCreated``, or
without one its arrival, ``received_at``), ``recorded_at`` (the database clock when the
registry inserted the row) and ``published_at`` (the database clock when the registry
noted it written to ``articles/``). The recorded and published times are an audit of when
something happened, so they come from the server's clock, never from a task's ``now()``.

Percentiles are nearest-rank (a latency some version really had), computed in Python over
one query bounded by ``ix_versions_recorded``, so SQLite and PostgreSQL give the same
numbers. A version is measured if it was ever queued for ``articles/`` (``pending`` or
``published_at``): archive loads and repeats are not. One whose wire time is more than
``LIVE_SPAN`` before its recording is an archive or a re-pull, not live traffic: left out.
Published latency starts at the embargo's end where there is one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ingest.model import Article, utc
from ingest.parsers.identity import ALERT_GENRE
from ingest.registry import schema as t

HOUR = timedelta(hours=1)
LIVE_SPAN = timedelta(hours=24)
ALERT, URGENT, OTHER = "alert", "urgent", "other"  # urgent: IPTC urgency 1-2
CLASSES = (ALERT, URGENT, OTHER)
ALL = "all"  # every source or every class
UNKNOWN_SOURCE = "unknown"  # versions recorded without a raw object
LATENCY_ENV = "INGEST_LATENCY_ALERT_SECONDS"


class db_now(FunctionElement[datetime]):  # named as the SQL it stands for
    """The database's clock: to the microsecond on PostgreSQL, the millisecond on SQLite."""

    type = t.UTCDateTime()
    inherit_cache = True


@compiles(db_now)
def _clock(_element: db_now, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "clock_timestamp()"


@compiles(db_now, "sqlite")
def _sqlite_clock(_element: db_now, _compiler: SQLCompiler, **_kw: Any) -> str:
    # the text UTCDateTime stores on SQLite, milliseconds padded to microseconds
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def class_of(urgency: object, genre_codes: Iterable[object]) -> str:
    """alert (AFP's alert genre), urgent (urgency 1-2) or other; an alert wins."""
    if ALERT_GENRE[0] in set(genre_codes):
        return ALERT
    return URGENT if urgency in (1, 2) else OTHER


def urgency_class(article: Article) -> str:
    return class_of(article.urgency, (g.code for g in article.genres))


def latency_limit(raw: str | None) -> float | None:
    """``INGEST_LATENCY_ALERT_SECONDS``: seconds > 0, or None (unset: never alert)."""
    from ingest.config import ConfigError

    if raw is None or not raw.strip():
        return None
    try:
        limit = float(raw)
    except ValueError:
        raise ConfigError(f"{LATENCY_ENV}={raw!r}: not a number of seconds") from None
    if not limit > 0 or math.isinf(limit):
        raise ConfigError(f"{LATENCY_ENV}={raw!r}: expected seconds > 0")
    return limit


@dataclass(frozen=True, slots=True)
class Percentiles:
    count: int
    p50: float | None
    p95: float | None


def percentiles(values: Sequence[float]) -> Percentiles:
    """Nearest rank: the p-th is the value at rank ceil(p/100 * n) of the sorted values."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return Percentiles(0, None, None)

    def rank(p: int) -> float:
        return ordered[max(1, math.ceil(p * n / 100)) - 1]

    return Percentiles(n, rank(50), rank(95))


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured version: its source, class, when recorded, and its two latencies."""

    source: str
    urgency: str
    recorded_at: datetime
    recorded: float
    published: float | None  # None: not written yet


def samples(engine: Engine, since: datetime, until: datetime) -> list[Sample]:
    """The measured versions recorded in ``[since, until)``."""
    v = t.versions.c
    stmt = (
        select(func.coalesce(t.raw_objects.c.source, UNKNOWN_SOURCE).label("source"),
               v.urgency_class, v.wire_at, v.embargoed_until, v.recorded_at, v.published_at)
        .select_from(t.versions)
        .outerjoin(t.raw_objects, t.raw_objects.c.key == v.raw_key)
        .where(v.recorded_at >= since, v.recorded_at < until,
               or_(v.pending, v.published_at.is_not(None)))
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        wire, recorded = utc(row.wire_at), utc(row.recorded_at)
        if recorded - wire > LIVE_SPAN:
            continue
        start = max(wire, utc(row.embargoed_until)) if row.embargoed_until else wire
        published = None if row.published_at is None else _seconds(utc(row.published_at) - start)
        out.append(Sample(row.source, row.urgency_class, recorded,
                          _seconds(recorded - wire), published))
    return out


def _seconds(delta: timedelta) -> float:
    """Clocks apart (a future-dated item) never make a latency below zero."""
    return max(0.0, delta.total_seconds())


def _groups(sample: Sample) -> tuple[tuple[str, str], ...]:
    return ((sample.source, sample.urgency), (ALL, sample.urgency), (ALL, ALL))


@dataclass(frozen=True, slots=True)
class Latency:
    """Per (source, class) group, ``ALL`` included: percentiles of the recorded and the
    published latencies, and how many are not written yet."""

    recorded: Percentiles
    published: Percentiles
    waiting: int


def summarise(group: Sequence[Sample]) -> Latency:
    published = [s.published for s in group if s.published is not None]
    return Latency(percentiles([s.recorded for s in group]), percentiles(published),
                   len(group) - len(published))


def last_hour(engine: Engine, now: datetime) -> dict[tuple[str, str], Latency]:
    """The versions recorded in the hour before ``now``, by group."""
    grouped: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples(engine, utc(now) - HOUR, utc(now)):
        for key in _groups(sample):
            grouped[key].append(sample)
    return {key: summarise(group) for key, group in sorted(grouped.items())}


@dataclass(frozen=True, slots=True)
class HourlyLatency:
    """Bucket i covers ``[start + i h, start + (i+1) h)`` of recording time."""

    start: datetime
    hours: int
    groups: dict[tuple[str, str], list[Latency]]


def hourly(engine: Engine, now: datetime, *, hours: int = 24) -> HourlyLatency:
    """The last ``hours`` whole hours up to and including the one ``now`` falls in."""
    end = utc(now).replace(minute=0, second=0, microsecond=0) + HOUR
    start = end - hours * HOUR
    buckets: dict[tuple[str, str], list[list[Sample]]] = defaultdict(
        lambda: [[] for _ in range(hours)])
    for sample in samples(engine, start, end):
        index = int((sample.recorded_at - start) / HOUR)
        for key in _groups(sample):
            buckets[key][index].append(sample)
    return HourlyLatency(start, hours, {
        key: [summarise(bucket) for bucket in series] for key, series in sorted(buckets.items())
    })
