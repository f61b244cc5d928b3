"""The partner API's feed page reads: a batch of the log in one query, not one per step.

A ``/v1/feed`` batch is "the first ``limit`` screened releases after a position, then
every release of their stories up to the batch's end". As two queries
(``screened_releases``, then ``story_releases`` of the uris it named) that is two round
trips, a list of uris sent back as bound values, and, on SQLite, the language test's
``REGEXP`` run as a Python callback on every release looked at. Here it is one statement:
the screened releases are a materialised CTE, the batch's end is computed beside them,
and their stories' releases are joined in by uri, with the version rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true

from ingest.registry import schema as t
from ingest.registry.api import Release
from ingest.registry.sql import _VERSION_COLUMNS, CANCELED, SQLRegistry, _version_row

_NOT_A_CODE = "[^A-Za-z0-9-]"  # a language with any of these always passes the screen


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """What one batch of a feed page reads.

    ``end``: the position the batch covers up to (the last screened release when there
    were ``limit`` of them, else ``upto``); ``histories``: every release up to ``end`` of
    each story that had a screened release, in log order, by uri."""

    end: int
    histories: dict[str, list[Release]]


def feed_batch(
    registry: SQLRegistry, after: int, upto: int, *, languages: Sequence[str] | None,
    limit: int,
) -> FeedBatch:
    """``screened_releases(after, upto, languages=languages, limit=limit)`` and the
    ``story_releases`` of its stories up to the batch's end, read in one query."""
    rows = registry._rows(_batch_query(registry, after, upto, languages, limit))
    if not rows:  # no screened release: the batch runs to ``upto``
        return FeedBatch(upto, {})
    histories: dict[str, list[Release]] = {}
    for row in rows:
        release = Release(seq=int(row[1]), released_at=row[2], row=_version_row(row, 3))
        histories.setdefault(release.row.uri, []).append(release)
    return FeedBatch(int(rows[0][0]), histories)


def _batch_query(
    registry: SQLRegistry, after: int, upto: int, languages: Sequence[str] | None, limit: int
) -> Select[Any]:
    r, v = t.releases.c, t.versions.c
    screened = (
        select(r.seq, r.uri)
        .select_from(t.releases)
        .join(t.versions, and_(v.uri == r.uri, v.version == r.version))
        .where(r.seq > after, r.seq <= upto)
        .order_by(r.seq)
        .limit(limit)
    )
    if languages is not None:
        screened = screened.where(_may_be_in(registry, languages))
    # read twice (the end, the uris): materialised, so the screen runs once
    cand = screened.cte("cand").prefix_with("MATERIALIZED")
    end = select(case((func.count() == limit, func.max(cand.c.seq)),
                      else_=literal(upto)).label("batch_end")).select_from(cand).cte("bound")
    h = t.releases.alias("h")
    return (
        select(end.c.batch_end, h.c.seq, h.c.released_at, *_VERSION_COLUMNS)
        .select_from(end)
        .join(h, true())
        .join(t.versions, and_(v.uri == h.c.uri, v.version == h.c.version))
        .where(h.c.uri.in_(select(cand.c.uri)), h.c.seq <= end.c.batch_end)
        .order_by(h.c.seq)
    )


def _may_be_in(registry: SQLRegistry, languages: Sequence[str]) -> ColumnElement[bool]:
    """``screened_releases``' test, with the not-a-code test native to each database
    (SQLite's ``REGEXP`` is a Python function called per row; ``GLOB`` is built in)."""
    v = t.versions.c
    folded = func.lower(v.language)
    odd = (v.language.op("GLOB")(f"*{_NOT_A_CODE}*")
           if registry.engine.dialect.name == "sqlite" else v.language.regexp_match(_NOT_A_CODE))
    return or_(v.status == CANCELED, folded.in_(list(languages)),
               *(folded.like(f"{language}-%") for language in languages), odd)
