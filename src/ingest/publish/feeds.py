"""Build one partner's feeds from the registry and publish them to the object store.

The partner's view is computed fresh from the registry every time (newest visible
stories within ``max_age`` that ``Partner.allows``, at most ``max_items``), plus a kill
entry for every story the partner received in that format and that has since been
killed (kept while the kill is younger than ``max_age``). Each feed is replaced
atomically, and only when its bytes changed: a rerun with nothing new writes nothing.

Atom also gets RFC 5005 archive pages, one per completed UTC day inside ``max_age``,
written once (``archive/atom-YYYY-MM-DD.xml``) and chained by ``prev-archive`` links.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ingest.model import utc
from ingest.publish.formats import (
    Entry,
    FeedFormat,
    FeedMeta,
    Kind,
    feed_format,
    make_entry,
)
from ingest.publish.objectstore import ObjectStore
from ingest.publish.partners import Partner
from ingest.registry.api import ArticleRegistry, Delivery, VersionRow

FEED_CACHE_CONTROL = "public, max-age=60, must-revalidate"
ARCHIVE_CACHE_CONTROL = "public, max-age=31536000, immutable"
ARCHIVED_FORMATS = frozenset({"atom"})  # formats with RFC 5005 archive pages
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)  # an empty feed has no data to date it


@dataclass(slots=True)
class FeedResult:
    """What one partner's build did: keys written, keys left alone, entries and deliveries."""

    partner_id: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    items: int = 0
    kills: dict[str, int] = field(default_factory=dict)  # per format
    new_deliveries: int = 0


def build_partner_feeds(
    registry: ArticleRegistry, store: ObjectStore, partner: Partner, now: datetime
) -> FeedResult:
    """Render and publish every format ``partner`` takes; record what each feed carried."""
    now = utc(now)
    result = FeedResult(partner.id)
    archived = [fmt for fmt in partner.formats if fmt in ARCHIVED_FORMATS]
    pending_days = {fmt: _missing_archive_days(store, partner, fmt, now) for fmt in archived}
    oldest_pending = min((d for days in pending_days.values() for d in days), default=None)
    current, older = partner_entries(registry, partner, now, oldest_pending)
    result.items = len(current)
    for name in partner.formats:
        fmt = feed_format(name)
        kills = kill_entries(registry, partner, name, now)
        entries = sorted([*kills, *current], key=lambda e: (e.updated, e.id), reverse=True)
        result.kills[name] = len(kills)
        prev = None
        if name in pending_days:
            prev = _write_archives(registry, store, partner, fmt, [*current, *older],
                                   pending_days[name], now, result)
        meta = _meta(partner, fmt.filename, entries, prev_archive=prev)
        data = fmt.render(meta, entries)
        key = partner.prefix + fmt.filename
        if _unchanged(store, key, data):
            result.unchanged.append(key)
            continue
        # Deliveries first: if the write then fails, a partner may later get a kill for a
        # story it never saw (harmless), never miss one for a story it did see.
        result.new_deliveries += registry.record_deliveries(
            partner.id, name, _deliveries(entries), now
        )
        store.put(key, data, content_type=fmt.content_type, cache_control=FEED_CACHE_CONTROL)
        result.written.append(key)
    return result


def partner_entries(
    registry: ArticleRegistry, partner: Partner, now: datetime, archive_from: date | None = None
) -> tuple[list[Entry], list[Entry]]:
    """The current window (max_items) and, when archive days are pending, older entries."""
    current: list[Entry] = []
    older: list[Entry] = []
    start = _day_start(archive_from) if archive_from else None
    for row in _allowed(registry.feed_items(now, since=now - partner.max_age), partner):
        if len(current) < partner.max_items:
            current.append(_entry(partner, row, "item"))
        elif start is not None and utc(row.version_created or row.received_at) >= start:
            older.append(_entry(partner, row, "item"))
        else:
            break
    return current, older


def _allowed(rows: Iterable[VersionRow], partner: Partner) -> Iterator[VersionRow]:
    return (row for row in rows if partner.allows(row.article))


def _entry(partner: Partner, row: VersionRow, kind: Kind) -> Entry:
    return make_entry(partner.view(row.article), kind, row.received_at)


def kill_entries(
    registry: ArticleRegistry, partner: Partner, fmt: str, now: datetime
) -> list[Entry]:
    """Kills of stories ``partner`` received in ``fmt``, while younger than its ``max_age``."""
    cutoff = now - partner.max_age
    return [_entry(partner, row, "kill") for row in registry.kills_for(partner.id, fmt)
            if utc(row.received_at) >= cutoff]


def _meta(partner: Partner, filename: str, entries: list[Entry], *,
          prev_archive: str | None = None, current_url: str | None = None) -> FeedMeta:
    return FeedMeta(
        partner_id=partner.id,
        title=partner.name,
        self_url=partner.url_for(filename),
        home_url=partner.url_for(""),
        updated=max((e.updated for e in entries), default=EMPTY_FEED_UPDATED),
        prev_archive=prev_archive,
        current_url=current_url,
    )


def _unchanged(store: ObjectStore, key: str, data: bytes) -> bool:
    """True when ``key`` already holds exactly ``data`` (its ETag is the MD5 of the bytes)."""
    info = store.head(key)
    return info is not None and info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest()


# -- RFC 5005 archives ----------------------------------------------------------------------


def _archive_name(fmt: str, day: date) -> str:
    return f"archive/{fmt}-{day.isoformat()}.xml"


def _archive_prefix(partner: Partner, fmt: str) -> str:
    return f"{partner.prefix}archive/{fmt}-"


def _existing_archive_days(store: ObjectStore, partner: Partner, fmt: str) -> list[date]:
    prefix = _archive_prefix(partner, fmt)
    return sorted(date.fromisoformat(info.key[len(prefix):-len(".xml")])
                  for info in store.list(prefix))


def _missing_archive_days(store: ObjectStore, partner: Partner, fmt: str,
                          now: datetime) -> list[date]:
    """Completed UTC days inside the window that have no archive page yet."""
    first = (now - partner.max_age).date()
    today = now.date()
    done = set(_existing_archive_days(store, partner, fmt))
    span = (today - first).days
    return [d for i in range(span) if (d := first + timedelta(days=i)) not in done]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _write_archives(
    registry: ArticleRegistry, store: ObjectStore, partner: Partner, fmt: FeedFormat,
    entries: list[Entry], days: list[date], now: datetime, result: FeedResult,
) -> str | None:
    """Write the pending archive pages, oldest first; return the newest page's URL."""
    existing = _existing_archive_days(store, partner, fmt.name)
    for day in days:
        on_day = [e for e in entries if e.updated.date() == day]
        if not on_day:
            continue
        before = [d for d in existing if d < day]
        prev = partner.url_for(_archive_name(fmt.name, before[-1])) if before else None
        meta = _meta(partner, _archive_name(fmt.name, day), on_day, prev_archive=prev,
                     current_url=partner.url_for(fmt.filename))
        data = fmt.render(meta, on_day)
        result.new_deliveries += registry.record_deliveries(
            partner.id, fmt.name, _deliveries(on_day), now)
        key = partner.prefix + _archive_name(fmt.name, day)
        store.put(key, data, content_type=fmt.content_type, cache_control=ARCHIVE_CACHE_CONTROL)
        result.written.append(key)
        existing = sorted([*existing, day])
    return partner.url_for(_archive_name(fmt.name, existing[-1])) if existing else None


def _deliveries(entries: Iterable[Entry]) -> list[Delivery]:
    return [Delivery(e.article.uri, e.article.version, e.kind) for e in entries]
