"""Archive backfill: load a past archive through the live pipeline, resumably, in flat memory.

A backfill lists its source once into a manifest beside the run in the object store
(``backfill/<id>/manifest/00000.jsonl``, one file of ``chunk_size`` objects per chunk, and
``plan.json`` last, as the commit mark). Each chunk then reads its objects ahead with a
small thread pool (a bounded window), which also stores their raw bytes, and hands them
to ``ingest_stored`` in manifest order, ``checkpoint_every`` objects to a batch (one
registry write per batch, not per item), so the registry ends exactly as a live ingest
of the same items would leave it. After each batch the chunk's offset and counts go to
the registry: a killed chunk resumes there, a finished chunk is never read again.

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

import hashlib
import json
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.errors import Reason
from ingest.model import iso, utc
from ingest.parsers import FORMATS
from ingest.pipeline import Arrival, IngestReport, StoredItem, ingest_stored, store_raw
from ingest.publish.objectstore import ObjectNotFound, ObjectStore, check_key, open_store
from ingest.registry.api import ArticleRegistry
from ingest.sources.base import RawItem, SourceFailure
from ingest.sources.drop import ArchiveLimits, SourceOutcome, expand, is_picture_file

if TYPE_CHECKING:
    from ingest.runtime import Runtime
    from ingest.sources.afp_api import AFPAPIConfig
    from ingest.sources.budget import RequestBudget

log = logging.getLogger(__name__)

AFP_API = "afp-api:"
MAX_MAP_LENGTH = 1024  # Airflow's default [core] max_map_length
DEFAULT_CHUNK_SIZE = 500
DEFAULT_CONCURRENCY = 8
DEFAULT_CHECKPOINT_EVERY = 50
BATCH_BYTES = 64 * 1024 * 1024  # read ahead, and in one batch: bounds a chunk's memory
_KEY_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)([/-])(\d\d)\2(\d\d)(?!\d)")
_WINDOW = timedelta(hours=1)
T = TypeVar("T")
Read = tuple[datetime, list[StoredItem | SourceFailure]]  # one object's items, raw stored


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    """What to load: the operator's parameters, checked when built."""

    source: str  # s3://bucket/prefix, file:///dir or afp-api:
    start: date | None = None
    end: date | None = None
    fmt: str = "auto"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    reprocess: bool = False
    publish: bool = False
    run_id: str | None = None

    def __post_init__(self) -> None:
        if not self.source.startswith(("s3://", "file://", AFP_API)):
            raise ValueError(f"source {self.source!r}: expected s3://…, file://… or {AFP_API}")
        if self.source.startswith(AFP_API) and (self.start is None or self.end is None):
            raise ValueError(f"{AFP_API} needs a date range (from and to)")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"from {self.start} is after to {self.end}")
        if self.fmt not in ("auto", *FORMATS):
            raise ValueError(f"format {self.fmt!r}: expected auto or one of {', '.join(FORMATS)}")
        if self.chunk_size < 1:
            raise ValueError("chunk size must be at least 1")
        if self.run_id is not None:
            check_key(f"backfill/{self.run_id}")

    @property
    def backfill_id(self) -> str:
        if self.run_id:
            return self.run_id
        what = [self.source, _day(self.start), _day(self.end), self.fmt, self.reprocess,
                self.publish]
        return "bf-" + hashlib.sha256(json.dumps(what).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "start": _day(self.start), "end": _day(self.end)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackfillRequest:
        start, end = data.get("start"), data.get("end")
        return cls(**{
            **data,
            "start": date.fromisoformat(start) if start else None,
            "end": date.fromisoformat(end) if end else None,
        })


def request_from_params(params: Mapping[str, Any]) -> BackfillRequest:
    """The request an ``archive_backfill`` run's Params stand for (dates as ISO strings)."""
    return BackfillRequest.from_dict({
        "source": params["source"], "start": params.get("date_from"),
        "end": params.get("date_to"), "fmt": params.get("format", "auto"),
        "chunk_size": params.get("chunk_size", DEFAULT_CHUNK_SIZE),
        "reprocess": params.get("reprocess", False), "publish": params.get("publish", False),
        "run_id": params.get("backfill_id") or None,
    })


@dataclass(frozen=True, slots=True)
class Plan:
    """A listed backfill: where its manifest is and how big it is."""

    request: BackfillRequest
    chunks: int
    objects: int
    bytes: int
    listed_at: datetime

    @property
    def backfill_id(self) -> str:
        return self.request.backfill_id

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.to_dict(), "chunks": self.chunks, "objects": self.objects,
                "bytes": self.bytes, "listed_at": iso(self.listed_at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            request=BackfillRequest.from_dict(data["request"]), chunks=data["chunks"],
            objects=data["objects"], bytes=data["bytes"],
            listed_at=datetime.fromisoformat(data["listed_at"]),
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One manifest line: an object to read (or an AFP API window ``start/end``)."""

    key: str
    size: int
    modified: datetime | None

    def line(self) -> str:
        modified = iso(self.modified) if self.modified else None
        return json.dumps({"k": self.key, "s": self.size, "m": modified}, ensure_ascii=False)

    @classmethod
    def from_line(cls, line: bytes) -> Entry:
        data = json.loads(line)
        modified = datetime.fromisoformat(data["m"]) if data["m"] else None
        return cls(data["k"], data["s"], modified)


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
    """How a chunk runs: read-ahead width, checkpoint spacing, input caps, AFP API access."""

    concurrency: int = DEFAULT_CONCURRENCY
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    max_item_bytes: int = 20_000_000
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    afp_config: AFPAPIConfig | None = None
    afp_budget: RequestBudget | None = None  # shared by every worker: Runtime.afp_budget


def plan_key(backfill_id: str) -> str:
    return f"backfill/{backfill_id}/plan.json"


def manifest_key(backfill_id: str, chunk: int) -> str:
    return f"backfill/{backfill_id}/manifest/{chunk:05d}.jsonl"


# -- listing ---------------------------------------------------------------------------------


def plan_backfill(
    store: ObjectStore, request: BackfillRequest, *, now: datetime, dry_run: bool = False
) -> Plan:
    """List the source once into manifest chunks (or reuse a finished listing).

    Streams: at most one chunk of lines is held. ``dry_run`` lists and counts only.
    """
    if not dry_run and (plan := load_plan(store, request.backfill_id)) is not None:
        log.info("backfill %s: reusing its listing (%d objects)", plan.backfill_id, plan.objects)
        return plan
    chunks = objects = size = 0
    lines: list[str] = []

    def flush() -> None:
        nonlocal chunks
        if not dry_run:
            data = ("\n".join(lines) + "\n").encode()
            store.put(manifest_key(request.backfill_id, chunks), data,
                      content_type="application/jsonl")
        chunks += 1
        lines.clear()

    for entry in list_source(request):
        objects += 1
        size += entry.size
        lines.append(entry.line())
        if len(lines) == request.chunk_size:
            flush()
    if lines:
        flush()
    plan = Plan(request, chunks, objects, size, utc(now))
    if not dry_run:
        store.put(plan_key(request.backfill_id), json.dumps(plan.to_dict()).encode(),
                  content_type="application/json")
    log.info("backfill %s: %d objects (%d bytes) in %d chunks%s", plan.backfill_id, objects,
             size, chunks, " (dry run: nothing written)" if dry_run else "")
    return plan


def load_plan(store: ObjectStore, backfill_id: str) -> Plan | None:
    try:
        return Plan.from_dict(json.loads(store.get(plan_key(backfill_id))))
    except ObjectNotFound:
        return None


def list_source(request: BackfillRequest) -> Iterator[Entry]:
    """The source's objects in key order, inside the date range, streamed."""
    if request.source.startswith(AFP_API):
        yield from _windows(request)
        return
    for info in open_store(request.source).list(""):
        if is_picture_file(info.key):  # copied with the item naming it, not an item
            continue
        modified = utc(info.last_modified) if info.last_modified else None
        if _in_range(object_day(info.key, modified), request.start, request.end):
            yield Entry(info.key, info.size, modified)


def object_day(key: str, modified: datetime | None) -> date | None:
    """The day a ``YYYY/MM/DD`` or ``YYYY-MM-DD`` in the key names, else the last-modified day."""
    for match in _KEY_DAY.finditer(key):
        try:
            return date(int(match[1]), int(match[3]), int(match[4]))
        except ValueError:
            continue
    return modified.date() if modified else None


def _in_range(day: date | None, start: date | None, end: date | None) -> bool:
    if day is None:
        return start is None and end is None
    return (start is None or day >= start) and (end is None or day <= end)


def _windows(request: BackfillRequest) -> Iterator[Entry]:
    assert request.start is not None and request.end is not None  # checked by the request
    at = datetime.combine(request.start, time.min, tzinfo=UTC)
    stop = datetime.combine(request.end + timedelta(days=1), time.min, tzinfo=UTC)
    while at < stop:
        yield Entry(f"{iso(at)}/{iso(at + _WINDOW)}", 0, at + _WINDOW)
        at += _WINDOW


def chunk_groups(chunks: int, max_tasks: int = MAX_MAP_LENGTH) -> list[list[int]]:
    """``[first, stop)`` ranges of chunks, at most ``max_tasks`` of them (for Airflow's map)."""
    per = max(1, math.ceil(chunks / max(1, max_tasks)))
    return [[first, min(first + per, chunks)] for first in range(0, chunks, per)]


# -- processing ------------------------------------------------------------------------------


def run_chunk(
    registry: ArticleRegistry,
    store: ObjectStore,
    plan: Plan,
    chunk: int,
    options: ChunkOptions | None = None,
    *,
    on_object: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Ingest one manifest chunk from its checkpoint on; return the chunk's whole counts.

    ``on_object`` sees each object's counts as it is done (progress display).
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
    reader = _Reader(request, options, plan.listed_at, store)
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        # Read ahead across a whole batch, so the pool keeps the store busy while it is recorded.
        window = options.checkpoint_every + 2 * options.concurrency
        read = read_ahead(pool, reader.read, entries, window=window)
        # Batches end at checkpoints: a crash leaves at most the objects after one half done.
        for batch in _batches(read, state.offset, options.checkpoint_every):
            arrivals = [
                Arrival(at, items, skip_known=not request.reprocess and index >= replay_until)
                for index, (at, items) in enumerate(batch, start=state.offset)
            ]
            reports = ingest_stored(
                arrivals, registry=registry, store=store, max_item_bytes=options.max_item_bytes,
                syndicate=request.publish, renormalise=request.reprocess,
            )
            for done in reports:
                state.report.merge(done)
            state.offset += len(batch)
            if state.offset % options.checkpoint_every == 0:
                registry.set_checkpoint(plan.backfill_id, name, state.dump())
            if on_object is not None:
                for done in reports:
                    on_object(done)
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
    """Reads one manifest entry into its items and stores their raw bytes (on a worker thread).

    Storing here puts the object store's round trips (an fsync, an S3 PUT) on the pool.
    """

    def __init__(
        self, request: BackfillRequest, options: ChunkOptions, listed_at: datetime,
        target: ObjectStore,
    ):
        self._request = request
        self._options = options
        self._listed_at = listed_at
        self._target = target
        self._store = None if request.source.startswith(AFP_API) else open_store(request.source)

    def read(self, entry: Entry) -> Read:
        received_at, outcomes = self._fetch(entry)
        return received_at, [
            store_raw(o, self._target, received_at) if isinstance(o, RawItem) else o
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
    for chunk in range(plan.chunks):
        result.report.merge(
            run_chunk(rt.registry, rt.store, plan, chunk, options, on_object=on_object)
        )
    if request.publish:
        result.published = publish_everything(rt, now=now)
    return result


def publish_everything(rt: Runtime, *, now: datetime) -> dict[str, Any]:
    """What ``partner_feeds`` does after an Asset update: articles, then each partner's feeds."""
    from ingest.pipeline import partner_ids, publish_articles, publish_partner

    published: dict[str, Any] = {"articles": publish_articles(rt, now=now)}
    for partner in partner_ids(rt):
        published[partner] = publish_partner(rt, partner, now=now)
    return published


def summary_lines(plan: Plan, report: IngestReport, *, dry_run: bool = False) -> list[str]:
    """The operator's end-of-run summary: the listing, then counts by result and reason."""
    from ingest.pipeline import summary_lines as ingest_summary

    head = (f"backfill {plan.backfill_id}: {plan.objects} objects, {plan.bytes} bytes, "
            f"{plan.chunks} chunks")
    if dry_run:
        return [f"{head} (dry run: nothing written)"]
    return [head, *ingest_summary(report)]


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
