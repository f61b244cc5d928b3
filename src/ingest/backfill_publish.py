"""A published backfill's article writes, rendered and written by the parser processes.

``publish.articles.publish_versions`` renders, validates and writes each version on
threads of one process, which a whole archive keeps busy as long as the load itself. Here
the same pages of versions go to the backfill's processes (each with its own threads for
the writes), and this process notes them written and moves the ``latest`` pointers
exactly as ``publish_versions`` does, so the store and the registry end the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from functools import partial

from ingest.backfill_parse import THREADS, worker_store, worker_threads
from ingest.errors import IngestError, Reason
from ingest.publish.articles import (
    ArticlePublishReport,
    _put_version,
    publish_pages,
)
from ingest.publish.objectstore import ObjectStore
from ingest.registry.api import ArticleRegistry, VersionRow

PAGE = 1000  # versions read at once, as publish_versions
GROUP = 50  # versions per task
Outcome = bool | tuple[Reason, str]  # written, already there, or why it is invalid


def publish_on(
    pool: Executor, registry: ArticleRegistry, store: ObjectStore, now: datetime, *,
    media_base: str = "",
) -> ArticlePublishReport:
    """``publish_versions(registry, store, now, media_base=...)`` with the versions
    rendered and written on ``pool``."""
    def write_page(rows: list[VersionRow]) -> list[bool | IngestError]:
        tasks = [pool.submit(_put_versions, store.url, media_base, rows[at : at + GROUP])
                 for at in range(0, len(rows), GROUP)]
        return [_as_outcome(o) for task in tasks for o in task.result()]

    with ThreadPoolExecutor(max_workers=THREADS) as threads:
        return publish_pages(registry, store, now, threads, batch=PAGE, write_page=write_page)


def _put_versions(store_url: str, media_base: str, rows: Sequence[VersionRow]) -> list[Outcome]:
    """Write each version (in a worker); an error goes back as its reason and detail."""
    done = worker_threads().map(partial(_put_version, worker_store(store_url), media_base), rows)
    return [(o.reason, o.detail) if isinstance(o, IngestError) else o for o in done]


def _as_outcome(outcome: Outcome) -> bool | IngestError:
    return IngestError(*outcome) if isinstance(outcome, tuple) else outcome
