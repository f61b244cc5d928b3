"""Build one partner's feeds from the registry and publish them to the object store.

The partner's view is computed fresh from the registry every time (newest visible
stories within ``max_age`` that ``Partner.allows``, at most ``max_items``), plus a kill
entry for every story the partner received in that format and that has since been
killed (kept while the kill is younger than ``max_age``). Each feed is replaced
atomically, and only when its bytes changed: a rerun with nothing new writes nothing.

Atom also gets RFC 5005 archive pages, one per completed UTC day inside ``max_age``,
written once (``archive/atom-YYYY-MM-DD.xml``) and chained by ``prev-archive`` links.

Entry and feed ids are ``tag:`` URIs minted by ``ids`` (see ``formats.ids``). A feed is
dated by its newest entry; an empty one, having none, by the build time ``now`` of the
build that first wrote it empty (a rebuild that changes nothing else is not rewritten).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
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
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds
from ingest.publish.objectstore import ObjectStore
from ingest.publish.partners import Partner
from ingest.registry.api import ArticleRegistry, Delivery, VersionRow

FEED_CACHE_CONTROL = "public, max-age=60, must-revalidate"
ARCHIVE_CACHE_CONTROL = "public, max-age=31536000, immutable"
ARCHIVED_FORMATS = frozenset({"atom"})  # formats with RFC 5005 archive pages
# Dates as the formats write them (RFC 3339, and RFC 822 in RSS); an empty feed's are all
# its build time's
_BUILD_DATES = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
                          rb"|[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT")


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
    registry: ArticleRegistry, store: ObjectStore, partner: Partner, now: datetime,
    ids: TagIds = DEFAULT_IDS,
) -> FeedResult:
    """Render and publish every format ``partner`` takes; record what each feed carried."""
    return build_feeds(registry, store, [partner], now, ids)[partner.id]


def build_feeds(
    registry: ArticleRegistry, store: ObjectStore, partners: Sequence[Partner], now: datetime,
    ids: TagIds = DEFAULT_IDS,
) -> dict[str, FeedResult]:
    """``build_partner_feeds`` for several partners, sharing one walk of the registry.

    Every partner reads the same newest-first stream of visible stories, so one pass
    decodes each row once and builds each entry once for all partners that see it alike.
    """
    now = utc(now)
    pending = {p.id: {fmt: _missing_archive_days(store, p, fmt, now)
                      for fmt in p.formats if fmt in ARCHIVED_FORMATS} for p in partners}
    entries = _Entries(ids)
    windows = [_Window(p, _archive_start(pending[p.id])) for p in partners]
    _walk(registry, windows, now, entries)
    return {w.partner.id: _publish(registry, store, w, pending[w.partner.id], now, entries)
            for w in windows}


def _publish(
    registry: ArticleRegistry, store: ObjectStore, window: _Window,
    pending_days: dict[str, list[date]], now: datetime, entries: _Entries,
) -> FeedResult:
    """Render, compare and write one partner's formats (and pending archive pages)."""
    partner, current = window.partner, window.current
    result = FeedResult(partner.id, items=len(current))
    for name in partner.formats:
        fmt = feed_format(name)
        kills = _kill_entries(registry, partner, name, now, entries)
        feed = sorted([*kills, *current], key=lambda e: (e.updated, e.id), reverse=True)
        result.kills[name] = len(kills)
        prev = None
        if name in pending_days:
            prev = _write_archives(registry, store, partner, fmt, [*current, *window.older],
                                   pending_days[name], now, entries.ids, result)
        meta = _meta(partner, fmt, feed, now, entries.ids, prev_archive=prev)
        data = fmt.render(meta, feed)
        key = partner.prefix + fmt.filename
        if _unchanged(store, key, data, empty=not feed):
            result.unchanged.append(key)
            continue
        # Deliveries first: if the write then fails, a partner may later get a kill for a
        # story it never saw (harmless), never miss one for a story it did see.
        result.new_deliveries += registry.record_deliveries(
            partner.id, name, _deliveries(feed), now
        )
        store.put(key, data, content_type=fmt.content_type, cache_control=FEED_CACHE_CONTROL)
        result.written.append(key)
    return result


def partner_entries(
    registry: ArticleRegistry, partner: Partner, now: datetime, archive_from: date | None = None,
    ids: TagIds = DEFAULT_IDS,
) -> tuple[list[Entry], list[Entry]]:
    """The current window (max_items) and, when archive days are pending, older entries."""
    window = _Window(partner, _day_start(archive_from) if archive_from else None)
    _walk(registry, [window], now, _Entries(ids))
    return window.current, window.older


class _Entries:
    """Entries built once per run, shared by the partners that see a version alike.

    A stored version never changes, and ``Partner.view`` returns the row's own article
    unless it drops pictures, so an unchanged view of (uri, version) is one entry.
    """

    def __init__(self, ids: TagIds) -> None:
        self.ids = ids
        self._made: dict[tuple[str, int, Kind], Entry] = {}

    def make(self, partner: Partner, row: VersionRow, kind: Kind) -> Entry:
        view = partner.view(row.article)
        if view is not row.article:
            return make_entry(view, kind, row.received_at, self.ids)
        key = (row.uri, row.version, kind)
        entry = self._made.get(key)
        if entry is None:
            entry = self._made[key] = make_entry(view, kind, row.received_at, self.ids)
        return entry


@dataclass(slots=True)
class _Window:
    """What one partner takes from the walk: ``max_items`` entries, then older ones from
    ``archive_start`` on (only while archive pages are pending); closed once it needs no more."""

    partner: Partner
    archive_start: datetime | None
    current: list[Entry] = field(default_factory=list)
    older: list[Entry] = field(default_factory=list)
    open: bool = True

    def offer(self, row: VersionRow, entries: _Entries) -> None:
        if not self.partner.allows(row.article):
            return
        if len(self.current) < self.partner.max_items:
            self.current.append(entries.make(self.partner, row, "item"))
        elif (self.archive_start is not None
              and utc(row.version_created or row.received_at) >= self.archive_start):
            self.older.append(entries.make(self.partner, row, "item"))
        else:
            self.open = False


def _walk(
    registry: ArticleRegistry, windows: list[_Window], now: datetime, entries: _Entries
) -> None:
    """Offer each visible story, newest first, to every open window; one pass per max_age."""
    by_age: dict[timedelta, list[_Window]] = {}
    for window in windows:
        by_age.setdefault(window.partner.max_age, []).append(window)
    for age, live in by_age.items():
        for row in registry.feed_items(now, since=now - age):
            for window in live:
                window.offer(row, entries)
            live = [w for w in live if w.open]
            if not live:
                break


def kill_entries(
    registry: ArticleRegistry, partner: Partner, fmt: str, now: datetime,
    ids: TagIds = DEFAULT_IDS,
) -> list[Entry]:
    """Kills of stories ``partner`` received in ``fmt``, while younger than its ``max_age``."""
    return _kill_entries(registry, partner, fmt, now, _Entries(ids))


def _kill_entries(
    registry: ArticleRegistry, partner: Partner, fmt: str, now: datetime, entries: _Entries
) -> list[Entry]:
    kills = registry.kills_for(partner.id, fmt, since=now - partner.max_age)
    return [entries.make(partner, row, "kill") for row in kills]


def _meta(partner: Partner, fmt: FeedFormat, entries: list[Entry], now: datetime,
          ids: TagIds, *, filename: str | None = None, prev_archive: str | None = None,
          current_url: str | None = None) -> FeedMeta:
    """Feed facts; ``filename`` names an archive page (default: the current feed)."""
    return FeedMeta(
        partner_id=partner.id,
        title=partner.name,
        self_url=partner.url_for(filename or fmt.filename),
        home_url=partner.url_for(""),
        updated=max((e.updated for e in entries), default=now),
        prev_archive=prev_archive,
        current_url=current_url,
        feed_id=ids.feed(partner.id, fmt.name),
    )


def _unchanged(store: ObjectStore, key: str, data: bytes, *, empty: bool = False) -> bool:
    """True when ``key`` already holds ``data`` (its ETag is the MD5 of the bytes).

    An empty feed is dated by its build, so it counts as unchanged when it differs from
    the stored one in nothing but those dates: it keeps the date it first went out with.
    """
    info = store.head(key)
    if info is None:
        return False
    if info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest():
        return True
    return empty and _BUILD_DATES.sub(b"", store.get(key)) == _BUILD_DATES.sub(b"", data)


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


def _archive_start(pending_days: dict[str, list[date]]) -> datetime | None:
    """Where older entries start to matter: the oldest pending archive day, if any."""
    oldest = min((d for days in pending_days.values() for d in days), default=None)
    return _day_start(oldest) if oldest else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _write_archives(
    registry: ArticleRegistry, store: ObjectStore, partner: Partner, fmt: FeedFormat,
    entries: list[Entry], days: list[date], now: datetime, ids: TagIds, result: FeedResult,
) -> str | None:
    """Write the pending archive pages, oldest first; return the newest page's URL."""
    existing = _existing_archive_days(store, partner, fmt.name)
    for day in days:
        on_day = [e for e in entries if e.updated.date() == day]
        if not on_day:
            continue
        before = [d for d in existing if d < day]
        prev = partner.url_for(_archive_name(fmt.name, before[-1])) if before else None
        meta = _meta(partner, fmt, on_day, now, ids, filename=_archive_name(fmt.name, day),
                     prev_archive=prev, current_url=partner.url_for(fmt.filename))
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
