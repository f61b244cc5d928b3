"""The partner API's feed page reads: a batch of the log in one query, not one per step.

A ``/v1/feed`` batch is "the first ``limit`` screened releases after a position, then
every release of their stories up to the batch's end". As two queries
(``screened_releases``, then ``story_releases`` of the uris it named) that is two round
trips and a list of uris sent back as bound values. Here it is one statement, with the
same screen (``sql.screened``): the screened releases are a materialised CTE, the batch's
end is computed beside them, and their stories' releases are joined in by uri, with the
version rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select, true

from ingest.registry import schema as t
from ingest.registry.api import Release
from ingest.registry.sql import _VERSION_COLUMNS, SQLRegistry, _version_row, screened


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
    v = t.versions.c
    screen = screened(registry.engine.dialect.name, after, upto, languages=languages,
                      limit=limit)
    # read twice (the end, the uris): materialised, so the screen runs once
    cand = screen.cte("cand").prefix_with("MATERIALIZED")
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

