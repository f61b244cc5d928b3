"""``SQLRegistry``: the ``ArticleRegistry`` on SQLite (embedded) or PostgreSQL (production).

Rules the registry keeps, whatever order items arrive in and however many workers record:

- One row per (uri, version), by primary key, inserted under the story's lock.
  Recording the same version again is DUPLICATE (same content hash) or CONFLICT (different
  content: the first one is kept).
- A story's latest version is its highest version number, never the last to arrive. Each
  ``record_versions`` transaction locks its story rows (``SELECT ... FOR UPDATE`` in uri
  order on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and updates them with a guard on the
  version it read; ``record_version`` is a batch of one.
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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Row,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ingest.model import Article
from ingest.registry import schema as t
from ingest.registry.api import (
    Delivery,
    PartnerKey,
    QuarantineRow,
    RawLedger,
    RawRecord,
    RecordResult,
    Release,
    VersionRecord,
    VersionRow,
)
from ingest.registry.engine import make_engine, transact, writer
from ingest.registry.latency import db_now, urgency_class
from ingest.registry.mediarefs import MediaRefs
from ingest.registry.migrate import upgrade_database
from ingest.registry.pushlog import PushLog

CANCELED = "canceled"
USABLE = "usable"
FEED_PAGE = 1000  # largest page; the first is FEED_FIRST_PAGE and each one doubles
FEED_FIRST_PAGE = 100
_DELIVERY_BATCH = 500
_RELEASE_LOCK = 0x1D6E58  # any fixed number, not migrate's: releases take turns on it
# A version's content and substance hashes and its registry record (``hash_version``),
# and the version to record beside them.
Hashes = tuple[str, str, dict[str, Any]]
_Hashed = tuple[VersionRecord, str, str, dict[str, Any]]
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
    t.versions.c.pending,
    t.versions.c.language,
    t.versions.c.provider,
    t.versions.c.country,
    t.versions.c.products,
    # as text, parsed when a VersionRow's article is first read: a feed page's rows
    # nobody reads are never parsed
    cast(t.versions.c.record, Text).label("record"),
)


def hash_version(article: Article) -> Hashes:
    """What recording a version computes of it before its SQL (``to_record`` is costly:
    once per version; a backfill runs it in its parser processes)."""
    document = article.to_record()
    return article.content_hash(), substance_hash(document), document


def substance_hash(record: dict[str, Any]) -> str:
    """What a version says (its ``Article.to_record()``), ignoring how it is numbered and
    when it was stamped."""
    payload = json.dumps(
        {**record, "version": 0, "version_created": None}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class SQLRegistry(PushLog, MediaRefs):
    """Stories, versions, deliveries, quarantine, cursors and checkpoints in one SQL database
    (the push log's queries are in ``pushlog``, the picture-copy index's in ``mediarefs``)."""

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
        return self.record_raws([RawRecord(key, source, sha256, size, received_at)])[0]

    def record_raws(self, raws: Sequence[RawRecord]) -> list[bool]:
        rows: dict[str, dict[str, Any]] = {}
        for raw in raws:
            rows.setdefault(raw.key, {
                "key": raw.key, "source": raw.source, "sha256": raw.sha256, "size": raw.size,
                "received_at": raw.received_at,
            })
        # one statement, compiled once, run over every row (a multi-row VALUES built per
        # call was compiled each time: a third of a backfill's writer time)
        stmt = self._insert(t.raw_objects).on_conflict_do_nothing().returning(t.raw_objects.c.key)
        inserted = set(transact(
            self._writer, lambda conn: conn.execute(stmt, list(rows.values())).scalars().all(),
        )) if rows else set()
        new: list[bool] = []
        for raw in raws:  # only the first of a repeated key is new
            new.append(raw.key in inserted)
            inserted.discard(raw.key)
        return new

    def record_version(
        self, article: Article, *, raw_key: str | None, received_at: datetime,
        syndicate: bool = True,
    ) -> RecordResult:
        record = VersionRecord(article, raw_key, received_at)
        return self.record_versions([record], syndicate=syndicate)[0]

    def record_versions(
        self, records: Sequence[VersionRecord], *, syndicate: bool = True,
        renormalise: bool = False, hashes: Sequence[Hashes] | None = None,
    ) -> list[RecordResult]:
        given = hashes if hashes is not None else [hash_version(r.article) for r in records]
        hashed: list[_Hashed] = [
            (record, *hashed_as) for record, hashed_as in zip(records, given, strict=True)]
        if not hashed:
            return []
        return transact(
            self._writer, lambda c: self._record_versions(c, hashed, syndicate, renormalise)
        )

    def _record_versions(
        self, conn: Connection, hashed: list[_Hashed], syndicate: bool, renormalise: bool
    ) -> list[RecordResult]:
        """Lock every story the batch touches, fold the versions in order, write once."""
        first_at: dict[str, datetime] = {}
        for record, *_ in hashed:
            first_at.setdefault(record.article.uri, record.received_at)
        stories = self._lock_stories(conn, first_at)
        guards = {uri: (s["latest_version"], s["killed"]) for uri, s in stories.items()}
        known = self._stored_versions(conn, hashed, stories)
        delivered = self._delivered(conn, stories) if renormalise else set()
        results: list[RecordResult] = []
        inserts: list[dict[str, Any]] = []
        rewrites: list[dict[str, Any]] = []
        outcomes: dict[tuple[str, str, int], str] = {}
        kills: list[str] = []
        changed: set[str] = set()
        for record, content_hash, substance, document in hashed:
            article, raw_key = record.article, record.raw_key
            uri, version, status = article.uri, article.version, article.pub_status
            story = stories[uri]
            same_as, shared_key = None, None
            if version > story["latest_version"] > 0:
                previous = known[(uri, story["latest_version"])]
                if previous.substance_hash == substance:
                    same_as, shared_key = story["latest_version"], previous.published_key
            stored = known.get((uri, version))
            if stored is not None:
                if stored.content_hash == content_hash:
                    result = RecordResult.DUPLICATE
                elif renormalise and raw_key == stored.raw_key and stored.status == status and not (
                    stored.published_key is not None or stored.pending
                    or (uri, version) in delivered
                    or (story["visible"] and version == story["latest_version"])
                ):
                    result = RecordResult.RENORMALISED
                    rewrites.append({
                        "b_uri": uri, "b_version": version, **_content_columns(article),
                        "content_hash": content_hash, "substance_hash": substance,
                        "same_as": None, "record": document,
                    })
                    known[(uri, version)] = _Stored(
                        content_hash, substance, stored.raw_key, None, False, status
                    )
                else:
                    result = RecordResult.CONFLICT
                if raw_key is not None and raw_key != stored.raw_key:
                    outcomes.setdefault((raw_key, uri, version), result)
                results.append(result)
                continue
            pending = syndicate and same_as is None and (status == CANCELED or not story["killed"])
            row = {
                "uri": uri,
                "version": version,
                "content_hash": content_hash,
                "substance_hash": substance,
                "status": status,
                "received_at": record.received_at,
                "raw_key": raw_key,
                "published_key": shared_key,
                "pending": pending,
                "same_as": same_as,
                "wire_at": article.version_created or record.received_at,
                **_content_columns(article),
                "record": document,
            }
            inserts.append(row)
            known[(uri, version)] = _Stored(
                content_hash, substance, raw_key, shared_key, pending, status
            )
            if status == CANCELED and not story["killed"]:
                # A first kill stops every other version of the story still to be written.
                kills.append(uri)
                for other in inserts:
                    if other["uri"] == uri and other["status"] != CANCELED:
                        other["pending"] = False
            _advance_story(
                story, article, record.received_at, repeat=same_as is not None,
                syndicate=syndicate,
            )
            changed.add(uri)
            results.append(RecordResult.NEW if same_as is None else RecordResult.SAME_CONTENT)
        if kills:  # before the inserts: rows of this batch were settled above
            conn.execute(
                update(t.versions)
                .where(
                    t.versions.c.uri.in_(kills),
                    t.versions.c.pending,
                    t.versions.c.status != CANCELED,
                )
                .values(pending=False)
            )
        if inserts:
            conn.execute(insert(t.versions).values(recorded_at=db_now()), inserts)
        if rewrites:
            v = t.versions.c
            conn.execute(
                update(t.versions)
                .where(v.uri == bindparam("b_uri"), v.version == bindparam("b_version"))
                .values({name: bindparam(name) for name in rewrites[0] if name[:2] != "b_"}),
                rewrites,
            )
        if outcomes:
            conn.execute(
                self._insert(t.raw_outcomes).on_conflict_do_nothing(),
                [{"raw_key": k, "uri": u, "version": v, "result": r}
                 for (k, u, v), r in outcomes.items()],
            )
        if changed:
            self._update_stories(conn, [(stories[uri], *guards[uri]) for uri in sorted(changed)])
        self._record_media_refs(conn, zip((r.article for r, *_ in hashed), results, strict=True))
        return results

    def _lock_stories(self, conn: Connection, first_at: dict[str, datetime]) -> dict[str, Any]:
        """The story rows (new ones created empty, version 0), locked until the transaction ends.

        Locks are taken in uri order, so two batches sharing stories queue, never deadlock.
        """
        uris = sorted(first_at)
        conn.execute(
            self._insert(t.stories).on_conflict_do_nothing(),
            [{"uri": uri, "latest_version": 0, "status": USABLE, "feed_at": first_at[uri],
              "killed": False, "visible": False, "updated_at": first_at[uri]} for uri in uris],
        )
        rows = conn.execute(
            select(t.stories).where(t.stories.c.uri.in_(uris)).order_by(t.stories.c.uri)
            .with_for_update()
        )
        return {row.uri: row._asdict() for row in rows}

    def _stored_versions(
        self, conn: Connection, hashed: list[_Hashed],
        stories: dict[str, Any],
    ) -> dict[tuple[str, int], _Stored]:
        """The stored rows the batch may meet: its own (uri, version)s and each latest."""
        wanted = {(r.article.uri, r.article.version) for r, *_ in hashed}
        wanted.update((uri, s["latest_version"]) for uri, s in stories.items())
        v = t.versions.c
        # By story, then filtered here: SQLite answers "(uri, version) IN (...)" with a scan
        # of the whole table, but "uri IN (...)" with the primary key (a story has few rows).
        rows = conn.execute(
            select(v.uri, v.version, v.content_hash, v.substance_hash, v.raw_key,
                   v.published_key, v.pending, v.status)
            .where(v.uri.in_(sorted({uri for uri, _ in wanted})))
        )
        return {
            (r.uri, r.version): _Stored(r.content_hash, r.substance_hash, r.raw_key,
                                        r.published_key, r.pending, r.status)
            for r in rows
            if (r.uri, r.version) in wanted
        }

    def _delivered(self, conn: Connection, stories: dict[str, Any]) -> set[tuple[str, int]]:
        """The (uri, version)s of these stories any partner was ever sent."""
        d = t.deliveries.c
        rows = conn.execute(
            select(d.uri, d.version).distinct().where(d.uri.in_(sorted(stories)))
        )
        return {(r.uri, r.version) for r in rows}

    def _update_stories(
        self, conn: Connection, changes: list[tuple[dict[str, Any], int, bool]]
    ) -> None:
        """Write the folded story rows, each guarded on the version and kill it was locked at."""
        s = t.stories.c
        stmt = update(t.stories).where(
            s.uri == bindparam("b_uri"),
            s.latest_version == bindparam("b_latest"),
            s.killed == bindparam("b_killed"),
        )
        params = [
            {**{k: v for k, v in story.items() if k != "uri"}, "b_uri": story["uri"],
             "b_latest": latest, "b_killed": killed}
            for story, latest, killed in changes
        ]
        if conn.execute(stmt, params).rowcount != len(params):
            raise RuntimeError("a story changed under its lock")

    def mark_written(self, uri: str, version: int, key: str) -> None:
        self.mark_written_many([(uri, version, key)])

    def mark_written_many(self, written: Sequence[tuple[str, int, str]]) -> None:
        """Note where versions were written; repeats of one (SAME_CONTENT) share its key.

        The version written (not its repeats) is stamped ``published_at`` in the same
        statement: one row update a version, not two."""
        v = t.versions.c
        written_now = and_(v.version == bindparam("b_version"), bindparam("b_key") != "")
        stmt = (
            update(t.versions)
            .where(
                v.uri == bindparam("b_uri"),
                or_(v.version == bindparam("b_version"), v.same_as == bindparam("b_version")),
            )
            .values(published_key=bindparam("b_key"), pending=False,
                    published_at=case((written_now, db_now()), else_=v.published_at))
        )
        params = [{"b_uri": u, "b_version": n, "b_key": k} for u, n, k in written]
        released_at = datetime.now(UTC)
        releases = [{"uri": u, "version": n, "released_at": released_at}
                    for u, n, k in written if k]  # "" marks a version refused, never written

        def work(conn: Connection) -> None:
            conn.execute(stmt, params)
            if releases:
                self._release(conn, releases)

        if params:
            transact(self._writer, work)

    def _release(self, conn: Connection, releases: list[dict[str, Any]]) -> None:
        """Append to the release log, positions in commit order (each version once).

        SQLite's writer lock already orders transactions; on PostgreSQL two transactions
        could take sequence values in one order and commit in the other, so a reader past
        the later value would never see the earlier: a lock held to commit prevents it.
        """
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RELEASE_LOCK})
        conn.execute(self._insert(t.releases).on_conflict_do_nothing(), releases)

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

    def swap_cursor(self, source: str, expected: str | None, value: str) -> bool:
        now = datetime.now(UTC)
        stmt: Any = (
            self._insert(t.cursors).values(source=source, value=value, updated_at=now)
            .on_conflict_do_nothing()
            if expected is None else
            update(t.cursors)
            .where(t.cursors.c.source == source, t.cursors.c.value == expected)
            .values(value=value, updated_at=now)
        ).returning(t.cursors.c.source)
        return bool(transact(self._writer, lambda c: c.execute(stmt).all()))

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

    def latest_many(self, uris: Sequence[str]) -> dict[str, tuple[VersionRow, str]]:
        rows = self._rows(
            select(*_VERSION_COLUMNS, t.stories.c.killed, t.stories.c.status.label("story"))
            .join(
                t.stories,
                and_(
                    t.stories.c.uri == t.versions.c.uri,
                    t.stories.c.latest_version == t.versions.c.version,
                ),
            )
            .where(t.stories.c.uri.in_(uris))
        )
        return {
            r.uri: (_version_row(r), CANCELED if r.killed else str(r.story)) for r in rows
        }

    def versions_to_write(
        self, now: datetime, *, limit: int = 1000, uris: Sequence[str] | None = None,
        after: VersionRow | None = None,
    ) -> list[VersionRow]:
        """Pending versions whose embargo is over, oldest received first; of ``uris`` only
        when given; with ``after``, only those that come after it in that order."""
        v = t.versions.c
        stmt = select(*_VERSION_COLUMNS).where(
            v.pending, or_(v.embargoed_until.is_(None), v.embargoed_until <= now),
        )
        if uris is not None:
            stmt = stmt.where(v.uri.in_(sorted(set(uris))))
        if after is not None:
            order = (v.received_at, v.uri, v.version)
            last = (after.received_at, after.uri, after.version)
            stmt = stmt.where(tuple_(*order) > tuple_(*(
                bindparam(None, value, type_=column.type)
                for column, value in zip(order, last, strict=True)
            )))
        rows = self._rows(stmt.order_by(v.received_at, v.uri, v.version).limit(limit))
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

    def kills_for(
        self, partner_id: str, fmt: str, *, since: datetime | None = None
    ) -> list[VersionRow]:
        """Every kill of a story the partner received in ``fmt``, each time it is asked.

        Driven from the kill versions (``ix_versions_kills``, received since ``since``),
        not from the partner's deliveries, which only ever grow.
        """
        received = select(t.deliveries.c.uri).where(
            t.deliveries.c.partner == partner_id,
            t.deliveries.c.format == fmt,
            t.deliveries.c.uri == t.versions.c.uri,
            t.deliveries.c.kind == "item",
        )
        stmt = (
            select(*_VERSION_COLUMNS)
            .join(
                t.stories,
                and_(
                    t.stories.c.uri == t.versions.c.uri,
                    t.stories.c.kill_version == t.versions.c.version,
                ),
            )
            # a literal, as the partial index says it: a bound value would not match it
            .where(t.versions.c.status == literal_column(f"'{CANCELED}'"))
            .where(t.stories.c.killed, received.exists())
            .order_by(t.stories.c.killed_at.desc(), t.stories.c.uri)
        )
        if since is not None:
            stmt = stmt.where(t.versions.c.received_at >= since)
        return [_version_row(r) for r in self._rows(stmt)]

    def delivered_uris(
        self, partner_id: str, formats: Sequence[str], uris: Sequence[str]
    ) -> set[str]:
        """By the deliveries' primary key (partner, format, uri, ...): no partner-wide scan."""
        if not uris or not formats:
            return set()
        d = t.deliveries.c
        stmt = select(d.uri).distinct().where(
            d.partner == partner_id, d.format.in_(sorted(set(formats))),
            d.uri.in_(sorted(set(uris))))
        return {str(r.uri) for r in self._rows(stmt)}

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

    # -- the partner API ------------------------------------------------------------------

    def _releases(self, chosen: Select[Any]) -> Select[Any]:
        """The ``chosen`` releases (a select of the table) with their version rows, in order.

        As a subquery, so each database first picks the few releases by its own index,
        then looks their versions up by primary key (SQLite would otherwise scan versions).
        """
        r = chosen.subquery("r")
        return (
            select(r.c.seq, r.c.released_at, *_VERSION_COLUMNS)
            .select_from(r)
            .join(t.versions, and_(t.versions.c.uri == r.c.uri,
                                   t.versions.c.version == r.c.version))
            .order_by(r.c.seq)
        )

    def releases_after(self, after: int, *, limit: int) -> list[Release]:
        r = t.releases.c
        chosen = select(t.releases).where(r.seq > after).order_by(r.seq).limit(limit)
        return [_release(row) for row in self._rows(self._releases(chosen))]

    def screened_releases(
        self, after: int, upto: int, *, languages: Sequence[str] | None, limit: int
    ) -> list[tuple[int, str]]:
        stmt = screened(self.engine.dialect.name, after, upto, languages=languages, limit=limit)
        return [(int(seq), str(uri)) for seq, uri in self._rows(stmt)]

    def story_releases(
        self, uris: Sequence[str], *, upto: int | None = None
    ) -> dict[str, list[Release]]:
        out: dict[str, list[Release]] = {}
        if not uris:
            return out
        chosen = select(t.releases).where(t.releases.c.uri.in_(sorted(set(uris))))
        if upto is not None:
            chosen = chosen.where(t.releases.c.seq <= upto)
        for row in self._rows(self._releases(chosen)):
            release = _release(row)
            out.setdefault(release.row.uri, []).append(release)
        return out

    def last_release(self) -> int:
        rows = self._rows(select(func.max(t.releases.c.seq)))
        return int(rows[0][0] or 0)

    def release_position(self, since: datetime) -> int:
        rows = self._rows(
            select(func.min(t.releases.c.seq)).where(t.releases.c.released_at >= since)
        )
        first = rows[0][0]
        return self.last_release() if first is None else int(first) - 1

    def add_partner_key(self, key: PartnerKey) -> None:
        values = {
            "id": key.id, "partner": key.partner, "secret_sha256": key.secret_sha256,
            "created_at": key.created_at, "revoked_at": key.revoked_at,
        }
        transact(self._writer, lambda c: c.execute(insert(t.partner_keys).values(values)))

    def partner_key(self, key_id: str) -> PartnerKey | None:
        rows = self._rows(select(t.partner_keys).where(t.partner_keys.c.id == key_id))
        return PartnerKey(**rows[0]._asdict()) if rows else None

    def partner_keys(self) -> list[PartnerKey]:
        k = t.partner_keys.c
        rows = self._rows(select(t.partner_keys).order_by(k.created_at, k.id))
        return [PartnerKey(**r._asdict()) for r in rows]

    def revoke_partner_key(self, key_id: str, at: datetime) -> bool:
        k = t.partner_keys.c
        stmt = (update(t.partner_keys).where(k.id == key_id, k.revoked_at.is_(None))
                .values(revoked_at=at))
        return bool(transact(self._writer, lambda c: c.execute(stmt).rowcount))

    def count_request(self, key_id: str, minute: int) -> int:
        """One upsert a request; a key's first request in a minute drops its older minutes."""
        u = t.api_usage.c
        stmt = self._insert(t.api_usage).values(key_id=key_id, minute=minute, requests=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[u.key_id, u.minute], set_={"requests": u.requests + 1}
        ).returning(u.requests)

        def work(conn: Connection) -> int:
            count = int(conn.execute(stmt).scalar_one())
            if count == 1:
                conn.execute(delete(t.api_usage).where(u.key_id == key_id, u.minute < minute))
            return count

        return transact(self._writer, work)


@dataclass(slots=True, frozen=True)
class _Stored:
    """What recording meets in a stored version row."""

    content_hash: str
    substance_hash: str
    raw_key: str | None
    published_key: str | None
    pending: bool
    status: str


def _content_columns(article: Article) -> dict[str, Any]:
    """The version row's columns that come from the article itself (beside its record)."""
    return {
        "embargoed_until": article.embargoed_until,
        "version_created": article.version_created,
        "signals": article.signals,
        "ed_note": article.ed_note,
        "language": article.language,
        "provider": article.provider,
        "country": article.country,
        "products": article.products,
        "urgency_class": urgency_class(article),
    }


def _advance_story(
    story: dict[str, Any], article: Article, at: datetime, *, repeat: bool, syndicate: bool
) -> None:
    """Fold one new version into a locked story row (a dict, written back by the batch)."""
    newer = article.version > story["latest_version"]
    # An unsyndicated latest (archive load) hides the story; an older version keeps it.
    shown = syndicate if newer else story["visible"]
    if newer:
        story.update(
            latest_version=article.version,
            status=article.pub_status,
            embargoed_until=article.embargoed_until,
        )
        if not repeat:
            story["feed_at"] = article.version_created or at
    if article.pub_status == CANCELED:
        story.update(
            killed=True,
            kill_version=max(story["kill_version"] or 0, article.version),
            killed_at=story["killed_at"] or at,
        )
    story["visible"] = shown and not story["killed"] and story["status"] == USABLE
    story["updated_at"] = at


_NOT_A_CODE = "[^A-Za-z0-9-]"  # a language with any of these always passes the screen


def screened(
    dialect: str, after: int, upto: int, *, languages: Sequence[str] | None, limit: int
) -> Select[Any]:
    """The first ``limit`` releases in ``(after, upto]`` whose version's columns may be in
    ``languages`` (None: all), as (seq, uri), by primary key. ``lower()`` folds as
    ``casefold`` does only in ASCII, so a language with anything but ASCII letters, digits
    and ``-`` always passes; that test is SQLite's built-in ``GLOB`` there (its ``REGEXP``
    is a Python function called per row)."""
    r, v = t.releases.c, t.versions.c
    stmt = (
        select(r.seq, r.uri)
        .select_from(t.releases)
        .join(t.versions, and_(v.uri == r.uri, v.version == r.version))
        .where(r.seq > after, r.seq <= upto)
        .order_by(r.seq)
        .limit(limit)
    )
    if languages is None:
        return stmt
    folded = func.lower(v.language)
    odd = (v.language.op("GLOB")(f"*{_NOT_A_CODE}*") if dialect == "sqlite"
           else v.language.regexp_match(_NOT_A_CODE))
    return stmt.where(or_(v.status == CANCELED, folded.in_(list(languages)),
                          *(folded.like(f"{language}-%") for language in languages), odd))


def _version_row(row: Row[Any], start: int = 0) -> VersionRow:
    """The ``_VERSION_COLUMNS`` of ``row`` from ``start`` on, read by position: a page of
    the partner API reads hundreds of rows, and a Row's attributes are each a lookup."""
    (uri, version, status, content_hash, version_created, embargoed_until, received_at,
     raw_key, published_key, pending, language, provider, country, products,
     record) = row[start:start + len(_VERSION_COLUMNS)]
    return VersionRow(
        uri, version, status, content_hash, version_created, embargoed_until, received_at,
        raw_key, published_key, pending=pending, record=record, language=language,
        provider=provider, country=country, products=products,
    )


def _release(row: Row[Any]) -> Release:
    """A row of ``SQLRegistry._releases``: the release's seq and time, then its version."""
    return Release(seq=int(row[0]), released_at=row[1], row=_version_row(row, 2))


def open_registry(url: str) -> SQLRegistry:
    """A registry on ``url`` with its schema brought up to date."""
    registry = SQLRegistry(url)
    registry.upgrade()
    return registry
