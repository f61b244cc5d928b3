"""The picture-copy index, a part of ``SQLRegistry`` kept in a module of its own.

A row says "version V of story U links copy K". It only narrows the search: whether a
partner may fetch K is decided on the stored versions themselves (``ingest.api.media``),
so a row too many grants nothing, and rows are only ever added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ingest.model import Article
from ingest.publish.media import is_media_key
from ingest.registry import schema as t
from ingest.registry.api import RecordResult

_STORED = (RecordResult.NEW, RecordResult.SAME_CONTENT, RecordResult.RENORMALISED)


class MediaRefs:
    """``ArticleRegistry``'s picture-copy methods; ``_insert`` comes from ``SQLRegistry``."""

    engine: Engine
    _insert: Callable[[Table], Any]

    def _record_media_refs(
        self, conn: Connection, recorded: Iterable[tuple[Article, RecordResult]]
    ) -> None:
        """Index the copies the versions just stored link (inside their transaction)."""
        rows = {
            (r.href, article.uri, article.version): None
            for article, result in recorded if result in _STORED
            for picture in article.pictures for r in picture.renditions if is_media_key(r.href)
        }
        if rows:
            conn.execute(self._insert(t.media_refs).on_conflict_do_nothing(),
                         [{"media_key": k, "uri": u, "version": v} for k, u, v in rows])

    def media_refs(self, media_key: str) -> list[tuple[str, int]]:
        m = t.media_refs.c
        stmt = (select(m.uri, m.version).where(m.media_key == media_key)
                .order_by(m.uri, m.version))
        with self.engine.connect() as conn:
            return [(row.uri, int(row.version)) for row in conn.execute(stmt)]
