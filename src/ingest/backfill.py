"""Archive backfill: load a past archive through the live pipeline, resumably, in flat memory.

A backfill lists its source once into a manifest beside the run in the object store
(``backfill/<id>/manifest/00000.jsonl``, one file of ``chunk_size`` objects per chunk, and
``plan.json`` last, as the commit mark). Each chunk then reads its objects ahead with a
small thread pool (a bounded window), which also stores their raw bytes; parser processes
(``backfill_parse``) parse and hash one batch of ``checkpoint_every`` objects while this
process records the one before, in manifest order, through ``ingest_stored`` (one
registry write for the raw objects and one for the versions of a batch), so the registry
ends exactly as a live ingest of the same items would leave it.
After each batch the chunk's offset and counts go to the registry: a killed chunk resumes
there, a finished chunk is never read again.

- **Id.** Derived from the request (source, dates, format, reprocess, publish) unless
  given, so rerunning the same backfill reuses its manifest and checkpoints and writes
  nothing. Give a new id to list the source again (e.g. after files were added).
- **Dates.** An object's day is the first ``YYYY/MM/DD`` or ``YYYY-MM-DD`` in its key,
  else its last-modified day; ``start``/``end`` keep days inside the range (inclusive).
  ``afp-api:`` is fetched in one-hour windows over the range.
- **received_at** of an item is its object's last-modified time (the window end for the
  AFP API), so raw keys do not depend on when the archive is loaded.
- **Seen items.** A raw object the registry already knew is not parsed again unless
  ``reprocess``; after a crash the objects after the checkpoint are always re-run.
  Reprocessing after a rules change rewrites a stored version whose normalisation changed
  if no partner can have seen it (``renormalised``: an archive loaded without ``publish``);
  one that went out stays as it was (``conflict``), since published versions are immutable.
- **publish** off (the default): versions are recorded with ``syndicate=False``, so they
  are never written to ``articles/`` nor shown in partner feeds while they are a story's
  latest. A version recorded so stays unsyndicated if the archive is loaded again.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.backfill_parse import Read, open_pool, parse_ahead
from ingest.backfill_plan import (
    AFP_API,
    DEFAULT_CHUNK_SIZE,
    MAX_MAP_LENGTH,
    BackfillRequest,
    Entry,
    Plan,
    chunk_groups,
    load_plan,
    manifest_key,
    object_day,
    plan_backfill,
    plan_key,
    request_from_params,
)
from ingest.backfill_publish import publish_on
from ingest.errors import Reason
from ingest.pipeline import Arrival, IngestReport, StoredItem, ingest_stored, raw_key
from ingest.publish.objectstore import ObjectNotFound, ObjectStore, open_store
from ingest.registry.api import ArticleRegistry
from ingest.sources.base import RawItem, SourceFailure
from ingest.sources.drop import ArchiveLimits, SourceOutcome, expand

if TYPE_CHECKING:
    from ingest.runtime import Runtime
    from ingest.sources.afp_api import AFPAPIConfig
    from ingest.sources.budget import RequestBudget

log = logging.getLogger(__name__)
__all__ = [  # the listing's names, from backfill_plan, are part of this module's interface
    "AFP_API", "DEFAULT_CHUNK_SIZE", "MAX_MAP_LENGTH", "BackfillRequest", "BackfillResult",
    "Checkpoint", "ChunkOptions", "Entry", "Plan", "Read", "chunk_groups", "load_plan",
    "manifest_key", "object_day", "plan_backfill", "plan_key", "publish_everything",
    "read_ahead", "request_from_params", "run_backfill", "run_chunk", "summary_lines",
]
DEFAULT_CONCURRENCY = 8
DEFAULT_WORKERS = os.cpu_count() or 1
DEFAULT_CHECKPOINT_EVERY = 50
BATCH_BYTES = 64 * 1024 * 1024  # read ahead, and in one batch: bounds a chunk's memory
T = TypeVar("T")


@dataclass(slots=True)
class Checkpoint:
    """A chunk's progress as the registry keeps it: objects done, their counts, finished?"""

    offset: int = 0
    done: bool = False
    report: IngestReport = field(default_factory=IngestReport)

    def dump(self) -> str:
        return json.dumps({"offset": self.offset, "done": self.done,
                           "report": self.report.to_dict()})

    @classmethod
    def load(cls, value: str) -> Checkpoint:
        data = json.loads(value)
        return cls(data["offset"], data["done"], IngestReport.from_dict(data["report"]))


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    """How a chunk runs: read-ahead width, parser processes (0: parse in this one),
    checkpoint spacing, input caps, AFP API access."""

    concurrency: int = DEFAULT_CONCURRENCY
    workers: int = DEFAULT_WORKERS
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    max_item_bytes: int = 20_000_000
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    afp_config: AFPAPIConfig | None = None
    afp_budget: RequestBudget | None = None  # shared by every worker: Runtime.afp_budget


# -- processing ------------------------------------------------------------------------------


def run_chunk(
    registry: ArticleRegistry,
    store: ObjectStore,
    plan: Plan,
    chunk: int,
    options: ChunkOptions | None = None,
    *,
    on_object: Callable[[IngestReport], None] | None = None,
    parsers: Executor | None = None,
) -> IngestReport:
    """Ingest one manifest chunk from its checkpoint on; return the chunk's whole counts.

    ``on_object`` sees each object's counts as it is done (progress display). ``parsers``:
    a pool from ``open_pool`` shared by several chunks; without one, the chunk starts its
    own of ``options.workers`` processes.
    """
    options = options or ChunkOptions()
    request, name = plan.request, f"{chunk:05d}"
    saved = registry.get_checkpoint(plan.backfill_id, name)
    state = Checkpoint.load(saved) if saved else Checkpoint()
    if state.done:
        return state.report
    if saved is None:  # marks the chunk started: a crash before the first checkpoint resumes
        registry.set_checkpoint(plan.backfill_id, name, state.dump())
    # After a crash the objects since the checkpoint may be half done: never skip them.
    replay_until = state.offset + options.checkpoint_every if saved else state.offset
    lines = store.get(manifest_key(plan.backfill_id, chunk)).splitlines()[state.offset:]
    entries = (Entry.from_line(line) for line in lines if line)
    reader = _Reader(request, options, plan.listed_at)
    own = parsers is None and options.workers > 0
    pool = open_pool(options.workers) if own else parsers
    try:
        with ThreadPoolExecutor(max_workers=options.concurrency) as threads:
            # Read ahead across a whole batch, so the store stays busy while one is recorded.
            window = options.checkpoint_every + 2 * options.concurrency
            read = read_ahead(threads, reader.read, entries, window=window)
            # Batches end at checkpoints: a crash leaves at most the objects after one half
            # done. Each is parsed on the pool while the one before is recorded.
            batches = _batches(read, state.offset, options.checkpoint_every)
            for batch, outcomes in parse_ahead(pool, batches, store, depth=1,
                                               max_item_bytes=options.max_item_bytes):
                store.flush()  # the workers' raw writes, durable before they are noted
                arrivals = [
                    Arrival(at, items, skip_known=not request.reprocess and index >= replay_until)
                    for index, (at, items) in enumerate(batch, start=state.offset)
                ]
                reports = ingest_stored(
                    arrivals, registry=registry, store=store, parsed_as=outcomes,
                    max_item_bytes=options.max_item_bytes, syndicate=request.publish,
                    renormalise=request.reprocess,
                )
                for done in reports:
                    state.report.merge(done)
                state.offset += len(batch)
                if state.offset % options.checkpoint_every == 0:
                    registry.set_checkpoint(plan.backfill_id, name, state.dump())
                if on_object is not None:
                    for done in reports:
                        on_object(done)
    finally:
        if own and pool is not None:
            pool.shutdown(cancel_futures=True)
    state.done = True
    registry.set_checkpoint(plan.backfill_id, name, state.dump())
    return state.report


def read_ahead(
    pool: ThreadPoolExecutor, read: Callable[[Entry], T], entries: Iterable[Entry], *,
    window: int, budget: int = BATCH_BYTES,
) -> Iterator[T]:
    """``read`` each entry on the pool, results in entry order.

    At most ``window`` entries, and ``budget`` listed bytes (or one bigger entry), are in
    flight or waiting to be taken.
    """
    pending: deque[tuple[int, Future[T]]] = deque()
    held = 0
    try:
        for entry in entries:
            while pending and (len(pending) >= window or held + entry.size > budget):
                size, future = pending.popleft()
                held -= size
                yield future.result()
            pending.append((entry.size, pool.submit(read, entry)))
            held += entry.size
        while pending:
            yield pending.popleft()[1].result()
    finally:
        for _, future in pending:
            future.cancel()


def _batches(read: Iterable[Read], offset: int, every: int) -> Iterator[list[Read]]:
    """Objects read, cut where checkpoints fall (multiples of ``every``) and whenever a batch
    holds ``BATCH_BYTES`` of items, so a batch's memory stays bounded."""
    batch: list[Read] = []
    size = 0
    for received_at, items in read:
        batch.append((received_at, items))
        size += sum(len(i.item.data) for i in items if isinstance(i, StoredItem))
        offset += 1
        if offset % every == 0 or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Reader:
    """Reads one manifest entry into its items, each named by its raw key (on a thread).

    The raw bytes are stored under that key by ``parse_group`` just before it parses them.
    """

    def __init__(self, request: BackfillRequest, options: ChunkOptions, listed_at: datetime):
        self._request = request
        self._options = options
        self._listed_at = listed_at
        self._store = None if request.source.startswith(AFP_API) else open_store(request.source)

    def read(self, entry: Entry) -> Read:
        received_at, outcomes = self._fetch(entry)
        return received_at, [
            StoredItem(o, raw_key(o, received_at)) if isinstance(o, RawItem) else o
            for o in outcomes
        ]

    def _fetch(self, entry: Entry) -> tuple[datetime, list[SourceOutcome]]:
        if self._store is None:
            return self._read_window(entry)
        received_at = entry.modified or self._listed_at
        try:
            data = self._store.get(entry.key)
        except ObjectNotFound:
            failure = SourceFailure("drop", entry.key, Reason.FETCH_FAILED, "listed but gone")
            return received_at, [failure]
        return received_at, list(expand(entry.key, data, self._options.limits, self._request.fmt))

    def _read_window(self, entry: Entry) -> tuple[datetime, list[SourceOutcome]]:
        from ingest.sources.afp_api import AFPAPIClient

        if self._options.afp_config is None:
            raise RuntimeError("afp-api backfill: AFP API is not configured (INGEST_AFP_*)")
        start, end = (datetime.fromisoformat(part) for part in entry.key.split("/"))
        with AFPAPIClient(self._options.afp_config, budget=self._options.afp_budget) as client:
            items: list[SourceOutcome] = [
                item if self._request.fmt == "auto" else RawItem(
                    item.source, item.name, item.data, self._request.fmt)
                for item in client.fetch(start, end)
            ]
        return end, items


# -- the whole run (CLI, bench) --------------------------------------------------------------


@dataclass(slots=True)
class BackfillResult:
    plan: Plan
    report: IngestReport
    published: dict[str, Any] = field(default_factory=dict)


def run_backfill(
    rt: Runtime,
    request: BackfillRequest,
    *,
    now: datetime,
    dry_run: bool = False,
    options: ChunkOptions | None = None,
    on_start: Callable[[Plan], None] | None = None,
    on_object: Callable[[IngestReport], None] | None = None,
) -> BackfillResult:
    """Plan, run every chunk, and (with ``publish``) publish articles and partner feeds."""
    plan = plan_backfill(rt.store, request, now=now, dry_run=dry_run)
    result = BackfillResult(plan, IngestReport())
    if dry_run:
        return result
    if on_start is not None:
        on_start(plan)
    pool = open_pool((options or ChunkOptions()).workers)
    try:
        for chunk in range(plan.chunks):
            result.report.merge(run_chunk(rt.registry, rt.store, plan, chunk, options,
                                          on_object=on_object, parsers=pool))
        if request.publish:
            result.published = publish_everything(rt, now=now, pool=pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return result


def publish_everything(
    rt: Runtime, *, now: datetime, pool: Executor | None = None
) -> dict[str, Any]:
    """What ``partner_feeds`` does after an Asset update: articles, then each partner's feeds.

    With the backfill's ``pool``, its processes render and write the articles.
    """
    from ingest.pipeline import partner_ids, publish_articles, publish_partner

    if pool is None:
        articles = publish_articles(rt, now=now)
    else:
        partners = rt.partners()  # one public base, file-wide, as publish_articles takes it
        articles = asdict(publish_on(pool, rt.registry, rt.store, now,
                                     media_base=partners[0].base_url if partners else ""))
    published: dict[str, Any] = {"articles": articles}
    for partner in partner_ids(rt):
        published[partner] = publish_partner(rt, partner, now=now)
    return published


def summary_lines(
    plan: Plan, report: IngestReport, *, dry_run: bool = False, read: int | None = None
) -> list[str]:
    """The operator's end-of-run summary: the listing, what this run read (``read``
    objects: a rerun of a finished backfill reads none), then the backfill's counts by
    result and reason, carried over from the runs before."""
    from ingest.pipeline import summary_lines as ingest_summary

    head = (f"backfill {plan.backfill_id}: {plan.objects} objects, {plan.bytes} bytes, "
            f"{plan.chunks} chunks")
    if dry_run:
        return [f"{head} (dry run: nothing written)"]
    if read is None:
        return [head, *ingest_summary(report)]
    this_run = f"this run read {read} of them"
    if read == 0 and plan.objects:
        this_run += ("; nothing new: every chunk was already done, the counts below are "
                     "the backfill's (--run-id NAME reads it all again, skipping what the "
                     "registry holds)")
    return [head, this_run, *ingest_summary(report)]
