"""A published backfill's article writes, rendered and written by the parser processes.

``publish.articles.publish_versions`` renders, validates and writes each version on
threads of one process, which a whole archive keeps busy as long as the load itself. Here
the same pages of versions, and then their ``latest`` pointers, go to the backfill's
processes (each with its own threads for the writes), and this process notes them
written exactly as ``publish_versions`` does, so the store and the registry end the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from datetime import datetime
from functools import partial
from typing import TypeVar

from ingest.backfill_parse import store_map, worker_store
from ingest.errors import IngestError, Reason
from ingest.publish.articles import (
    ArticlePublishReport,
    Pointer,
    Started,
    _put_version,
    publish_pages,
    set_pointer,
)
from ingest.publish.objectstore import ObjectStore
from ingest.registry.api import ArticleRegistry, VersionRow

PAGE = 1000  # versions read at once, as publish_versions
GROUP = 50  # versions per task
Outcome = bool | tuple[Reason, str]  # written, already there, or why it is invalid
T = TypeVar("T")
R = TypeVar("R")


def publish_on(
    pool: Executor, registry: ArticleRegistry, store: ObjectStore, now: datetime, *,
    media_base: str = "", batch: int = PAGE,
) -> ArticlePublishReport:
    """``publish_versions(registry, store, now, media_base=..., batch=...)`` with the
    versions rendered and written, and the pointers set, on ``pool``.

    Nothing is synced write by write (``worker_store``): the versions of a page are
    flushed once, before the registry notes them; a page's pointers with a later page's
    versions, and the last ones at the end.
    """
    def write_page(rows: list[VersionRow]) -> Started[bool | IngestError]:
        tasks = _submit(pool, partial(_put_versions, store.url, media_base), rows)

        def outcomes() -> list[bool | IngestError]:
            done = [_as_outcome(o) for o in _results(tasks)]
            store.flush()
            return done

        return outcomes

    def move_pointers(pointers: list[Pointer]) -> Started[bool]:
        return partial(_results, _submit(pool, partial(_set_pointers, store.url), pointers))

    report = publish_pages(registry, now, batch=batch, write_page=write_page,
                           move_pointers=move_pointers)
    store.flush()
    return report


def _submit(
    pool: Executor, task: Callable[[Sequence[T]], list[R]], items: Sequence[T]
) -> list[Future[list[R]]]:
    """``task`` over ``items`` in groups of ``GROUP``, on the pool, started now."""
    return [pool.submit(task, items[at : at + GROUP]) for at in range(0, len(items), GROUP)]


def _results(tasks: list[Future[list[R]]]) -> list[R]:
    """The tasks' results in order, once each is done."""
    return [result for done in tasks for result in done.result()]


def _put_versions(store_url: str, media_base: str, rows: Sequence[VersionRow]) -> list[Outcome]:
    """Write each version (in a worker); an error goes back as its reason and detail."""
    store = worker_store(store_url)
    done = store_map(store, partial(_put_version, store, media_base), rows)
    return [(o.reason, o.detail) if isinstance(o, IngestError) else o for o in done]


def _set_pointers(store_url: str, pointers: Sequence[Pointer]) -> list[bool]:
    """Set each ``latest`` pointer (in a worker)."""
    store = worker_store(store_url)
    return store_map(store, partial(set_pointer, store), pointers)


def _as_outcome(outcome: Outcome) -> bool | IngestError:
    return IngestError(*outcome) if isinstance(outcome, tuple) else outcome
