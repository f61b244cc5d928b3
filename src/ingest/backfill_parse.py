"""A backfill's raw writes and parsing in worker processes, while the chunk records.

Reading the source stays on the chunk's threads, in the chunk's process; each batch's
items go to the pool in groups, and each worker stores a group's raw bytes (on threads of
its own) before it parses and validates them, so the chunk gets them back stored, parsed
and hashed, in order, while it records the batch before. Workers do not sync each write:
the chunk flushes the store (one ``syncfs``) before it records a batch, so the registry
never notes a raw copy a crash of the machine could lose. The pool forks, so its workers
run the parent's code and rules exactly as they are; it is started before any thread is.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from ingest.pipeline import Outcomes, StoredItem, parse_outcomes, store_raw
from ingest.publish.objectstore import LocalObjectStore, ObjectStore, open_store
from ingest.sources.base import RawItem, SourceFailure

Read = tuple[datetime, list[StoredItem | SourceFailure]]  # one object's items, raw stored
GROUP = 16  # items per task: a task's round trip costs about one item's parse
_WATCH_SECONDS = 0.2
THREADS = 8  # object-store round trips in flight per process
_stores: dict[str, ObjectStore] = {}  # this process's, by URL
_pool: list[ThreadPoolExecutor] = []  # this process's threads, started on first use
T = TypeVar("T")
R = TypeVar("R")


def open_pool(workers: int) -> Executor | None:
    """``workers`` parser processes, all started now; None (parse in this process) for 0."""
    if workers < 1:
        return None
    here = multiprocessing.current_process()
    if here.daemon:
        # A Celery worker's task process is daemonic, and multiprocessing refuses children
        # to daemonic processes lest they outlive it. Ours cannot: each ends when its
        # parent does (``_start_worker``), so the refusal only costs the parallelism.
        here.daemon = False
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    pool.submit(int).result()  # forks every worker, before the caller starts threads
    return pool


def _start_worker(parent: int) -> None:
    """Drop the stores and threads a fork copied (an S3 client, threads that are not
    there), and end once the parent is gone (killed: no shutdown will come), so no orphan
    keeps the parent's pipes and output open."""
    _stores.clear()
    _pool.clear()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def parse_group(
    items: Sequence[tuple[RawItem, datetime]], store_url: str, max_item_bytes: int
) -> list[Outcomes]:
    """Store each item's raw bytes, then its outcomes as ``ingest_stored`` would have them,
    hashed (in a worker)."""
    store = worker_store(store_url)
    store_map(store, lambda pair: store_raw(pair[0], store, pair[1]), items)
    return [parse_outcomes(item, max_item_bytes) for item, _ in items]


def worker_store(url: str) -> ObjectStore:
    """This process's store for ``url``, opened once (an S3 client is not shared by forks).

    Its writes are not synced one by one: the chunk (or the publish) flushes its own store
    once a batch is back, before the registry notes the batch.
    """
    if url not in _stores:
        _stores[url] = open_store(url, sync_each=False)
    return _stores[url]


def store_map(store: ObjectStore, write: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``write`` each item to ``store``, results in order: on this process's threads when
    the store is remote (their round trips overlap), one after the other when it is a local
    folder, which has no latency to hide and where writers creating files in one folder
    queue on its lock."""
    if isinstance(store, LocalObjectStore):
        return [write(item) for item in items]
    if not _pool:
        _pool.append(ThreadPoolExecutor(max_workers=THREADS))
    return list(_pool[0].map(write, items))


def parse_ahead(
    pool: Executor | None, batches: Iterable[list[Read]], store: ObjectStore, *,
    max_item_bytes: int, depth: int,
) -> Iterator[tuple[list[Read], list[Outcomes]]]:
    """Each batch with the outcomes of its items (in order), their raw bytes stored in
    ``store`` and parsed ``depth`` batches ahead of the one taken; without a pool, stored
    and parsed here when taken.

    If reading a batch fails, the batches read before it are still given, then the error.
    """
    pending: deque[tuple[list[Read], list[Future[list[Outcomes]]]]] = deque()
    source = iter(batches)
    try:
        while True:
            try:
                batch = next(source, None)
            except Exception:
                while pending:
                    yield _taken(*pending.popleft())
                raise
            if batch is None:
                break
            items = stored_items(batch)
            if pool is None:
                yield batch, parse_group(items, store.url, max_item_bytes)
                continue
            pending.append((batch, [
                pool.submit(parse_group, items[start : start + GROUP], store.url, max_item_bytes)
                for start in range(0, len(items), GROUP)
            ]))
            if len(pending) > depth:
                yield _taken(*pending.popleft())
        while pending:
            yield _taken(*pending.popleft())
    finally:
        for _, futures in pending:
            for future in futures:
                future.cancel()


def stored_items(batch: list[Read]) -> list[tuple[RawItem, datetime]]:
    return [(entry.item, at) for at, entries in batch for entry in entries
            if isinstance(entry, StoredItem)]


def _taken(
    batch: list[Read], futures: list[Future[list[Outcomes]]]
) -> tuple[list[Read], list[Outcomes]]:
    return batch, [outcomes for future in futures for outcomes in future.result()]

