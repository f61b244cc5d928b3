"""``SQLRegistry``: the ``ArticleRegistry`` on SQLite (embedded) or PostgreSQL (production).

Rules the registry keeps, whatever order items arrive in and however many workers record:

- One row per (uri, version), by primary key and ``INSERT ... ON CONFLICT DO NOTHING``.
  Recording the same version again is DUPLICATE (same content hash) or CONFLICT (different
  content: the first one is kept).
- A story's latest version is its highest version number, never the last to arrive. Each
  ``record_version`` locks the story row (``SELECT ... FOR UPDATE`` on PostgreSQL,
  ``BEGIN IMMEDIATE`` on SQLite) and updates it with a guard on the version it read.
- SAME_CONTENT: a version above the latest whose content, ignoring version number and
  version time, equals the latest's. Its row is kept (so replaying it is a DUPLICATE and
  accounting sees it) and it becomes the latest, but it is not a change: it is never
  written to ``articles/`` (it shares the published key of the version it repeats) and the
  story keeps its place in feeds.
- A kill (``canceled``) marks the story forever; nothing that arrives later revives it, and
  no non-kill version of a killed story is written any more.
- Feeds show each visible story's latest version: not killed, latest ``usable``, and the
  latest's embargo over. An embargoed or withheld latest hides the story (earlier versions
  are not shown instead). Withheld is not a kill: partners get no kill notice, and
  partners who received the story see it leave their feed until it is usable again (or
  get the kill notice if it is canceled).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Row,
    Select,
    Table,
    and_,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ingest.model import Article
from ingest.registry import schema as t
from ingest.registry.api import Delivery, QuarantineRow, RawLedger, RecordResult, VersionRow
from ingest.registry.engine import make_engine, transact, writer
from ingest.registry.migrate import upgrade_database

CANCELED = "canceled"
USABLE = "usable"
FEED_PAGE = 1000  # largest page; the first is FEED_FIRST_PAGE and each one doubles
FEED_FIRST_PAGE = 100
_DELIVERY_BATCH = 500
_VERSION_COLUMNS = (
    t.versions.c.uri,
    t.versions.c.version,
    t.versions.c.status,
    t.versions.c.content_hash,
    t.versions.c.version_created,
    t.versions.c.embargoed_until,
    t.versions.c.received_at,
    t.versions.c.raw_key,
    t.versions.c.published_key,
    t.versions.c.record,
)


def substance_hash(article: Article) -> str:
    """What a version says, ignoring how it is numbered and when it was stamped."""
    record = replace(article, version=0, version_created=None).to_record()
    payload = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class SQLRegistry:
    """Stories, versions, deliveries, quarantine, cursors and checkpoints in one SQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._writer = writer(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SQLRegistry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def upgrade(self) -> None:
        upgrade_database(self.url)

    # -- writes ---------------------------------------------------------------------------

    def _insert(self, table: Table) -> Any:
        """A dialect insert, which offers ON CONFLICT on both databases."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def record_raw(
        self, *, key: str, source: str, sha256: str, size: int, received_at: datetime
    ) -> bool:
        stmt = (
            self._insert(t.raw_objects)
            .values(key=key, source=source, sha256=sha256, size=size, received_at=received_at)
            .on_conflict_do_nothing()
        )
        return transact(self._writer, lambda c: _inserted(c, stmt))

    def record_version(
        self, article: Article, *, raw_key: str | None, received_at: datetime,
        syndicate: bool = True,
    ) -> RecordResult:
        content_hash = article.content_hash()
        substance = substance_hash(article)
        return transact(
            self._writer,
            lambda c: self._record_version(
                c, article, content_hash, substance, raw_key, received_at, syndicate
            ),
        )

    def _record_version(
        self,
        conn: Connection,
        article: Article,
        content_hash: str,
        substance: str,
        raw_key: str | None,
        received_at: datetime,
        syndicate: bool,
    ) -> RecordResult:
        uri, version, status = article.uri, article.version, article.pub_status
        story = self._lock_story(conn, uri, received_at)
        same_as, shared_key = None, None
        if version > story.latest_version > 0:
            previous = conn.execute(
                select(t.versions.c.substance_hash, t.versions.c.published_key).where(
                    t.versions.c.uri == uri, t.versions.c.version == story.latest_version
                )
            ).one()
            if previous.substance_hash == substance:
                same_as, shared_key = story.latest_version, previous.published_key
        inserted = _inserted(
            conn,
            self._insert(t.versions)
            .values(
                uri=uri,
                version=version,
                content_hash=content_hash,
                substance_hash=substance,
                status=status,
                embargoed_until=article.embargoed_until,
                version_created=article.version_created,
                received_at=received_at,
                raw_key=raw_key,
                published_key=shared_key,
                pending=syndicate
                and same_as is None
                and (status == CANCELED or not story.killed),
                same_as=same_as,
                signals=article.signals,
                ed_note=article.ed_note,
                language=article.language,
                provider=article.provider,
                country=article.country,
                products=article.products,
                record=article.to_record(),
            )
            .on_conflict_do_nothing(),
        )
        if not inserted:
            stored = conn.execute(
                select(t.versions.c.content_hash, t.versions.c.raw_key).where(
                    t.versions.c.uri == uri, t.versions.c.version == version
                )
            ).one()
            result = (
                RecordResult.DUPLICATE
                if stored.content_hash == content_hash
                else RecordResult.CONFLICT
            )
            if raw_key is not None and raw_key != stored.raw_key:
                conn.execute(
                    self._insert(t.raw_outcomes)
                    .values(raw_key=raw_key, uri=uri, version=version, result=result)
                    .on_conflict_do_nothing()
                )
            return result
        self._advance_story(
            conn, story, article, received_at, repeat=same_as is not None, syndicate=syndicate
        )
        return RecordResult.NEW if same_as is None else RecordResult.SAME_CONTENT

    def _lock_story(self, conn: Connection, uri: str, at: datetime) -> Row[Any]:
        """The story row, created empty (version 0) if new, locked until the transaction ends."""
        conn.execute(
            self._insert(t.stories)
            .values(
                uri=uri,
                latest_version=0,
                status=USABLE,
                feed_at=at,
                killed=False,
                visible=False,
                updated_at=at,
            )
            .on_conflict_do_nothing()
        )
        return conn.execute(select(t.stories).where(t.stories.c.uri == uri).with_for_update()).one()

    def _advance_story(
        self, conn: Connection, story: Row[Any], article: Article, at: datetime, *, repeat: bool,
        syndicate: bool,
    ) -> None:
        """Fold one new version into the locked story row read by ``_lock_story``."""
        values: dict[str, Any] = {"updated_at": at}
        status = story.status
        newer = article.version > story.latest_version
        if newer:
            status = article.pub_status
            values.update(
                latest_version=article.version,
                status=status,
                embargoed_until=article.embargoed_until,
            )
            if not repeat:
                values["feed_at"] = article.version_created or at
        killed = story.killed or article.pub_status == CANCELED
        if article.pub_status == CANCELED:
            values.update(
                killed=True,
                kill_version=max(story.kill_version or 0, article.version),
                killed_at=story.killed_at or at,
            )
            if not story.killed:
                conn.execute(
                    update(t.versions)
                    .where(
                        t.versions.c.uri == article.uri,
                        t.versions.c.pending,
                        t.versions.c.status != CANCELED,
                    )
                    .values(pending=False)
                )
        # An unsyndicated latest (archive load) hides the story; an older version keeps it.
        shown = syndicate if newer else story.visible
        values["visible"] = shown and not killed and status == USABLE
        guarded = conn.execute(
            update(t.stories)
            .where(
                t.stories.c.uri == article.uri,
                t.stories.c.latest_version == story.latest_version,
                t.stories.c.killed == story.killed,
            )
            .values(**values)
        )
        if guarded.rowcount != 1:
            raise RuntimeError(f"story {article.uri} changed under its lock")

    def mark_written(self, uri: str, version: int, key: str) -> None:
        """Note where a version was written; repeats of it (SAME_CONTENT) share the key."""
        stmt = (
            update(t.versions)
            .where(
                t.versions.c.uri == uri,
                or_(t.versions.c.version == version, t.versions.c.same_as == version),
            )
            .values(published_key=key, pending=False)
        )
        transact(self._writer, lambda c: c.execute(stmt))

    def quarantine(
        self, *, raw_key: str, source: str, reason: str, detail: str, at: datetime
    ) -> None:
        """Record a failure; failing again bumps attempts and makes it pending replay again."""
        stmt = self._insert(t.quarantine).values(
            raw_key=raw_key,
            source=source,
            reason=reason,
            detail=detail,
            attempts=1,
            first_seen=at,
            last_seen=at,
            replayed=False,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.quarantine.c.raw_key],
            set_={
                "source": stmt.excluded.source,
                "reason": stmt.excluded.reason,
                "detail": stmt.excluded.detail,
                "attempts": t.quarantine.c.attempts + 1,
                "last_seen": stmt.excluded.last_seen,
                "replayed": False,
            },
        )
        transact(self._writer, lambda c: c.execute(stmt))

    def mark_replayed(self, raw_key: str) -> None:
        stmt = update(t.quarantine).where(t.quarantine.c.raw_key == raw_key).values(replayed=True)
        transact(self._writer, lambda c: c.execute(stmt))

    def record_deliveries(
        self, partner_id: str, fmt: str, deliveries: Iterable[Delivery], at: datetime
    ) -> int:
        rows = [
            {
                "partner": partner_id,
                "format": fmt,
                "uri": d.uri,
                "version": d.version,
                "kind": d.kind,
                "at": at,
            }
            for d in deliveries
        ]

        def work(conn: Connection) -> int:
            new = 0
            for start in range(0, len(rows), _DELIVERY_BATCH):
                stmt: Insert = (
                    self._insert(t.deliveries)
                    .values(rows[start : start + _DELIVERY_BATCH])
                    .on_conflict_do_nothing()
                    .returning(t.deliveries.c.uri)
                )
                new += len(conn.execute(stmt).all())
            return new

        return transact(self._writer, work) if rows else 0

    def set_cursor(self, source: str, value: str) -> None:
        self._upsert(t.cursors, {"source": source}, value)

    def set_checkpoint(self, run_id: str, chunk: str, value: str) -> None:
        self._upsert(t.checkpoints, {"run_id": run_id, "chunk": chunk}, value)

    def _upsert(self, table: Table, key: dict[str, str], value: str) -> None:
        now = datetime.now(UTC)
        stmt = self._insert(table).values(**key, value=value, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key), set_={"value": value, "updated_at": now}
        )
        transact(self._writer, lambda c: c.execute(stmt))

    # -- reads ----------------------------------------------------------------------------

    def _rows(self, stmt: Select[Any]) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).all())

    def latest(self, uri: str) -> VersionRow | None:
        rows = self._rows(
            select(*_VERSION_COLUMNS)
            .join(
                t.stories,
                and_(
                    t.stories.c.uri == t.versions.c.uri,
                    t.stories.c.latest_version == t.versions.c.version,
                ),
            )
            .where(t.stories.c.uri == uri)
        )
        return _version_row(rows[0]) if rows else None

    def story_status(self, uri: str) -> str | None:
        rows = self._rows(
            select(t.stories.c.killed, t.stories.c.status).where(t.stories.c.uri == uri)
        )
        if not rows:
            return None
        return CANCELED if rows[0].killed else str(rows[0].status)

    def versions_to_write(self, now: datetime, *, limit: int = 1000) -> list[VersionRow]:
        """Pending versions whose embargo is over, oldest received first."""
        rows = self._rows(
            select(*_VERSION_COLUMNS)
            .where(
                t.versions.c.pending,
                or_(t.versions.c.embargoed_until.is_(None), t.versions.c.embargoed_until <= now),
            )
            .order_by(t.versions.c.received_at, t.versions.c.uri, t.versions.c.version)
            .limit(limit)
        )
        return [_version_row(r) for r in rows]

    def feed_items(self, now: datetime, *, since: datetime | None = None) -> Iterator[VersionRow]:
        """Visible stories newest first, in keyset pages off ``ix_stories_feed``.

        Pages start small (most feeds want the newest few) and double. Each page is its
        own short read, so a slow consumer holds no transaction open; a story that changes
        between pages may be skipped or seen twice in one pass.
        """
        base = (
            select(*_VERSION_COLUMNS, t.stories.c.feed_at)
            .select_from(t.stories)
            .join(
                t.versions,
                and_(
                    t.versions.c.uri == t.stories.c.uri,
                    t.versions.c.version == t.stories.c.latest_version,
                ),
            )
            .where(
                t.stories.c.visible,
                or_(t.stories.c.embargoed_until.is_(None), t.stories.c.embargoed_until <= now),
            )
            .order_by(t.stories.c.feed_at.desc(), t.stories.c.uri.desc())
        )
        if since is not None:
            base = base.where(t.stories.c.feed_at >= since)
        page, size = base, min(FEED_FIRST_PAGE, FEED_PAGE)
        while True:
            rows = self._rows(page.limit(size))
            yield from (_version_row(r) for r in rows)
            if len(rows) < size:
                return
            last = rows[-1]
            page = base.where(
                tuple_(t.stories.c.feed_at, t.stories.c.uri) < tuple_(last.feed_at, last.uri)
            )
            size = min(size * 2, FEED_PAGE)

    def kills_for(self, partner_id: str, fmt: str) -> list[VersionRow]:
        """Every kill of a story the partner received in ``fmt``, each time it is asked."""
        received = (
            select(t.deliveries.c.uri)
            .where(
                t.deliveries.c.partner == partner_id,
                t.deliveries.c.format == fmt,
                t.deliveries.c.kind == "item",
            )
            .distinct()
            .subquery()
        )
        rows = self._rows(
            select(*_VERSION_COLUMNS)
            .select_from(received)
            .join(t.stories, t.stories.c.uri == received.c.uri)
            .join(
                t.versions,
                and_(
                    t.versions.c.uri == t.stories.c.uri,
                    t.versions.c.version == t.stories.c.kill_version,
                ),
            )
            .where(t.stories.c.killed)
            .order_by(t.stories.c.killed_at.desc(), t.stories.c.uri)
        )
        return [_version_row(r) for r in rows]

    def quarantined(
        self, *, source: str | None = None, reason: str | None = None, limit: int = 100
    ) -> list[QuarantineRow]:
        """Quarantined items, most recently failed first, replayed ones included."""
        stmt = select(t.quarantine).order_by(t.quarantine.c.last_seen.desc()).limit(limit)
        if source is not None:
            stmt = stmt.where(t.quarantine.c.source == source)
        if reason is not None:
            stmt = stmt.where(t.quarantine.c.reason == reason)
        return [QuarantineRow(**r._asdict()) for r in self._rows(stmt)]

    def raw_ledger(self) -> RawLedger:
        with self.engine.connect() as conn:
            raw = conn.execute(select(t.raw_objects.c.key)).scalars()
            versions = conn.execute(
                select(t.versions.c.raw_key).where(t.versions.c.raw_key.is_not(None)).distinct()
            ).scalars()
            outcomes = conn.execute(select(t.raw_outcomes.c.raw_key, t.raw_outcomes.c.result))
            quarantined = conn.execute(select(t.quarantine.c.raw_key, t.quarantine.c.reason))
            return RawLedger(
                raw=frozenset(raw),
                versions=frozenset(versions),
                duplicates={r.raw_key: r.result for r in outcomes},
                quarantined={r.raw_key: r.reason for r in quarantined},
            )

    def get_cursor(self, source: str) -> str | None:
        return self._value(select(t.cursors.c.value).where(t.cursors.c.source == source))

    def get_checkpoint(self, run_id: str, chunk: str) -> str | None:
        return self._value(
            select(t.checkpoints.c.value).where(
                t.checkpoints.c.run_id == run_id, t.checkpoints.c.chunk == chunk
            )
        )

    def _value(self, stmt: Select[Any]) -> str | None:
        rows = self._rows(stmt)
        return str(rows[0].value) if rows else None


def _inserted(conn: Connection, stmt: Any) -> bool:
    """Whether an ``INSERT ... ON CONFLICT DO NOTHING`` added its row (rowcount is unreliable)."""
    return conn.execute(stmt.returning(literal_column("1"))).first() is not None


def _version_row(row: Row[Any]) -> VersionRow:
    return VersionRow(
        uri=row.uri,
        version=row.version,
        status=row.status,
        content_hash=row.content_hash,
        version_created=row.version_created,
        embargoed_until=row.embargoed_until,
        received_at=row.received_at,
        raw_key=row.raw_key,
        published_key=row.published_key,
        article=Article.from_record(row.record),
    )


def open_registry(url: str) -> SQLRegistry:
    """A registry on ``url`` with its schema brought up to date."""
    registry = SQLRegistry(url)
    registry.upgrade()
    return registry
