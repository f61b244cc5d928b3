"""A backfill's request and listing: what to load, and the manifest it is read from.

``plan_backfill`` lists the source once into manifest chunks in the object store, with
``plan.json`` last as the commit mark (see ``ingest.backfill`` for ids, dates and reruns).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ingest.model import iso, utc
from ingest.parsers import FORMATS
from ingest.publish.objectstore import ObjectNotFound, ObjectStore, check_key, open_store
from ingest.sources.drop import is_picture_file

log = logging.getLogger(__name__)

AFP_API = "afp-api:"
MAX_MAP_LENGTH = 1024  # Airflow's default [core] max_map_length
DEFAULT_CHUNK_SIZE = 500
_KEY_DAY = re.compile(r"(?<!\d)((?:19|20)\d\d)([/-])(\d\d)\2(\d\d)(?!\d)")
_WINDOW = timedelta(hours=1)


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


def plan_key(backfill_id: str) -> str:
    return f"backfill/{backfill_id}/plan.json"


def manifest_key(backfill_id: str, chunk: int) -> str:
    return f"backfill/{backfill_id}/manifest/{chunk:05d}.jsonl"


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


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None
