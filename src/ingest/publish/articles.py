"""Immutable article versions and per-story ``latest`` pointers in the object store.

``articles/<id>/v<version>.json`` is written once with a conditional put; re-publishing
finds it there and writes nothing. ``articles/<id>/latest.json`` names the version a
reader should take, and disappears when the story is killed or withheld.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from ingest import jsonout
from ingest.errors import IngestError
from ingest.publish.media import link_media
from ingest.publish.objectstore import ObjectNotFound, ObjectStore
from ingest.registry.api import ArticleRegistry, VersionRow
from ingest.validate import validate_ninjs

JSON_TYPE = "application/json"
POINTER_CACHE = "max-age=60"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
A = TypeVar("A")
T = TypeVar("T")


def story_id(uri: str) -> str:
    """A key-safe, readable and collision-free id for a story uri.

    The readable part is the uri with anything outside ``[A-Za-z0-9._-]`` folded to
    ``-``; the hash suffix keeps two uris that fold alike apart, and means a hostile uri
    (``../../etc``) can never name a path outside ``articles/``.
    """
    readable = _UNSAFE.sub("-", uri).strip("-.")[:80] or "story"
    digest = hashlib.sha256(uri.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def version_key(uri: str, version: int) -> str:
    return f"articles/{story_id(uri)}/v{version}.json"


def latest_key(uri: str) -> str:
    return f"articles/{story_id(uri)}/latest.json"


def dump_json(document: Any) -> bytes:
    """The one JSON serialisation of published documents: stable, so reruns match byte for byte."""
    return jsonout.dumps(document, sort_keys=True, indent=1).encode()


@dataclass(slots=True)
class ArticlePublishReport:
    """Counts, not keys: a backfill publishes millions of versions, and this goes to XCom.

    ``invalid`` lists the versions refused (each is also in quarantine)."""

    written: int = 0
    already_there: int = 0
    pointers_changed: int = 0
    invalid: list[str] = field(default_factory=list)


def publish_versions(
    registry: ArticleRegistry, store: ObjectStore, now: datetime, *, batch: int = 1000,
    workers: int = 8, media_base: str = "", uris: Sequence[str] | None = None,
) -> ArticlePublishReport:
    """Write every version the registry has not published yet (embargoes respected at ``now``);
    with ``uris``, only those stories' (the urgent lane: not the whole backlog first).

    A picture copy (``publish.media``) is named in the version under ``media_base``, the
    store's public base (``base_url`` of the partners file); without one it is left out.

    The object-store round trips run on ``workers`` threads; the registry notes each
    batch written in one transaction. Each batch then moves its stories' ``latest``
    pointers, except where a story's latest version is itself still to be written (a
    later batch moves that one), so nothing run-long is held in memory.
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return publish_pages(
            registry, now, batch=batch, uris=uris,
            write_page=_started_on(pool, partial(_put_version, store, media_base)),
            move_pointers=_started_on(pool, partial(set_pointer, store)),
        )


Pointer = tuple[str, bytes | None]  # a ``latest.json`` key and what it should hold (None: no file)
Started = Callable[[], Iterable[T]]  # work under way; calling it waits for its results


def publish_pages(
    registry: ArticleRegistry, now: datetime, *, batch: int,
    write_page: Callable[[list[VersionRow]], Started[bool | IngestError]],
    move_pointers: Callable[[list[Pointer]], Started[bool]],
    uris: Sequence[str] | None = None,
) -> ArticlePublishReport:
    """``publish_versions`` with each page of versions written by ``write_page`` (one
    outcome a row, in order) and its pointers set by ``move_pointers`` (True for each
    changed): a backfill does both on its parser processes.

    Each starts its work and returns at once, so this process keeps the writers busy:
    it reads the next page while one is written, and notes a page written, reads its
    stories and starts its pointers while the next page is written. A page's pointers are
    all set before the next page's are started, and a story whose latest version is on a
    page not yet noted is left to that page (``_due_later``), so pointers move in version
    order.
    The next page is read after the last row of the one being written (it is not noted
    yet): a version recorded meanwhile behind that row waits for the next publish.
    """
    report = ArticlePublishReport()
    rows = registry.versions_to_write(now, limit=batch, uris=uris)
    writing = write_page(rows) if rows else None
    moving: Started[bool] | None = None
    while writing is not None:
        following = (registry.versions_to_write(now, limit=batch, uris=uris, after=rows[-1])
                     if len(rows) == batch else [])
        outcomes = writing()
        written = [
            (row.uri, row.version, _outcome_key(registry, row, outcome, now, report))
            for row, outcome in zip(rows, outcomes, strict=True)
        ]
        writing = write_page(following) if following else None
        registry.mark_written_many(written)
        states = registry.latest_many(sorted({row.uri for row in rows}))
        if moving is not None:
            report.pointers_changed += sum(moving())
        moving = move_pointers([
            (latest_key(uri), latest_pointer(uri, state))
            for uri, state in states.items() if not _due_later(state, now)
        ])
        rows = following
    if moving is not None:
        report.pointers_changed += sum(moving())
    return report


def _started_on(pool: Executor, work: Callable[[A], T]) -> Callable[[list[A]], Started[T]]:
    """``work`` over a list of items on the pool's threads, started when called."""
    def start(items: list[A]) -> Started[T]:
        results = pool.map(work, items)  # submitted now; the iterator waits for each
        return lambda: results
    return start


def _due_later(state: tuple[VersionRow, str], now: datetime) -> bool:
    """Whether the story's latest version is pending and due: this run will write it."""
    latest = state[0]
    return latest.pending and (latest.embargoed_until is None or latest.embargoed_until <= now)


def _put_version(store: ObjectStore, media_base: str, row: VersionRow) -> bool | IngestError:
    """Write one version (True) or find it there (False); an invalid one is never written."""
    article = link_media(row.article, lambda key: media_base + key) if media_base else row.article
    document = article.to_ninjs()
    try:
        validate_ninjs(document)
    except IngestError as exc:
        return exc
    key = version_key(row.uri, row.version)
    return store.put_if_absent(key, dump_json(document), content_type=JSON_TYPE)


def _outcome_key(
    registry: ArticleRegistry, row: VersionRow, outcome: bool | IngestError, now: datetime,
    report: ArticlePublishReport,
) -> str:
    """The key to note the version written under (``""`` for an invalid one), counted."""
    key = version_key(row.uri, row.version)
    if isinstance(outcome, IngestError):
        # Never publish an invalid document: it goes to quarantine with its raw reference.
        registry.quarantine(
            raw_key=row.raw_key or key, source="publish", reason=outcome.reason,
            detail=outcome.detail, at=now,
        )
        report.invalid.append(key)
        return ""
    if outcome:
        report.written += 1
    else:
        report.already_there += 1
    return key


def latest_pointer(uri: str, state: tuple[VersionRow, str] | None) -> bytes | None:
    """What the story's ``latest.json`` should hold: its latest version if that is usable
    and published, else nothing (no file)."""
    latest, status = state or (None, None)
    if latest is None or status != "usable" or not latest.published_key:
        return None
    return dump_json({"uri": uri, "version": latest.version, "href": latest.published_key})


def set_pointer(store: ObjectStore, pointer: Pointer) -> bool:
    """Make ``key`` hold ``value`` (or not exist, for None); True if that changed it.

    A story's first pointer costs one conditional write; an existing one is read and
    replaced only if it differs.
    """
    key, value = pointer
    if value is None:
        if store.head(key) is None:
            return False
        store.delete(key)
        return True
    if store.put_if_absent(key, value, content_type=JSON_TYPE, cache_control=POINTER_CACHE):
        return True
    try:
        if store.get(key) == value:
            return False
    except ObjectNotFound:  # deleted since: write it anyway
        pass
    store.put(key, value, content_type=JSON_TYPE, cache_control=POINTER_CACHE)
    return True
