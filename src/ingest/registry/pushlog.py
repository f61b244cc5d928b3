"""The push log's queries, a part of ``SQLRegistry`` kept in a module of its own.

An entry's state is its newest row (the highest ``id``): each partner's entries are few
(a feed window and its kills), so states are read by ``(partner, entry_id)`` through the
log's index, never by walking the whole log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, Select, func, insert, select

from ingest.registry import schema as t
from ingest.registry.api import PushAttempt, PushState, PushSummary
from ingest.registry.engine import transact

_IN_BATCH = 500
_TROUBLE = ("failed", "given_up")


class PushLog:
    """``ArticleRegistry``'s push methods over ``engine`` (reads) and ``_writer`` (writes)."""

    engine: Engine
    _writer: Engine

    def record_push_attempts(self, attempts: Sequence[PushAttempt]) -> None:
        rows = [_values(a) for a in attempts]
        if rows:
            transact(self._writer, lambda c: c.execute(insert(t.push_attempts), rows))

    def push_states(self, partner: str, entry_ids: Sequence[str]) -> dict[str, PushState]:
        p = t.push_attempts.c
        states: dict[str, PushState] = {}
        wanted = sorted(set(entry_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _IN_BATCH):
                batch = wanted[start:start + _IN_BATCH]
                stmt = _newest_rows(p.partner == partner, p.entry_id.in_(batch))
                for row in conn.execute(stmt):
                    states[row.entry_id] = _state(row)
        return states

    def push_summary(self) -> list[PushSummary]:
        p = t.push_attempts.c
        last = (select(func.max(p.id).label("id")).group_by(p.partner, p.entry_id)
                .subquery())
        standing = (select(p.partner, p.result, func.count().label("entries"))
                    .join(last, p.id == last.c.id).group_by(p.partner, p.result))
        latest = select(p.partner, func.max(p.at).label("at")).group_by(p.partner)
        trouble = (select(p.partner, func.max(p.id).label("id"))
                   .where(p.result.in_(_TROUBLE)).group_by(p.partner).subquery())
        errors = select(p.partner, p.error).join(trouble, p.id == trouble.c.id)
        with self.engine.connect() as conn:
            counts: dict[str, dict[str, int]] = {}
            for row in conn.execute(standing):
                counts.setdefault(row.partner, {})[row.result] = int(row.entries)
            last_at: dict[str, datetime] = {r.partner: r.at for r in conn.execute(latest)}
            last_error = {r.partner: r.error for r in conn.execute(errors)}
        return [PushSummary(pid, counts.get(pid, {}), last_at.get(pid), last_error.get(pid))
                for pid in sorted(last_at)]

    def push_problems(self, *, limit: int = 50) -> list[PushState]:
        p = t.push_attempts.c
        stmt = _newest_rows().where(p.result.in_(_TROUBLE)).order_by(p.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_state(row) for row in conn.execute(stmt)]


def _newest_rows(*conditions: ColumnElement[bool]) -> Select[Any]:
    """Each entry's newest row with its count of rows and first attempt, among the rows
    meeting ``conditions``."""
    p = t.push_attempts.c
    tally = (
        select(func.max(p.id).label("last"), func.count().label("tries"),
               func.min(p.at).label("first_at"))
        .where(*conditions)
        .group_by(p.partner, p.entry_id)
        .subquery()
    )
    return select(t.push_attempts, tally.c.tries, tally.c.first_at).join(
        tally, p.id == tally.c.last)


def _values(attempt: PushAttempt) -> dict[str, Any]:
    return {
        "partner": attempt.partner, "entry_id": attempt.entry_id, "uri": attempt.uri,
        "version": attempt.version, "kind": attempt.kind, "attempt": attempt.attempt,
        "at": attempt.at, "result": attempt.result, "status": attempt.status,
        "error": attempt.error,
    }


def _state(row: Row[Any]) -> PushState:
    last = PushAttempt(
        partner=row.partner, entry_id=row.entry_id, uri=row.uri, version=row.version,
        kind=row.kind, attempt=row.attempt, at=row.at, result=row.result, status=row.status,
        error=row.error,
    )
    return PushState(row.entry_id, int(row.tries), row.first_at, last)
