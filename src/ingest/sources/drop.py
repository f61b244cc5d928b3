"""Files dropped under a folder or an S3 prefix: each settled file once, archives expanded.

A file is handed over only once its writer is done: names a writer uses while writing
(``*.tmp``, ``*.part``, dot-files) are ignored, and a file must look the same as at the
previous listing and be older than ``settle_seconds`` at the ``now`` the caller passes.
What was seen and what was done is kept per key in the registry's cursors, so a file is
handed over again only if it changes. A file is marked done after its last item was taken
by the caller: a run that dies mid-file sees that file again (the raw store dedups).
"""

from __future__ import annotations

import io
import logging
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from ingest.errors import Reason
from ingest.publish.objectstore import ObjectInfo, ObjectNotFound, ObjectStore, open_store
from ingest.sources.base import RawItem, SourceFailure

__all__ = [
    "SOURCE", "ArchiveLimits", "CursorStore", "DropFolderSource", "SourceOutcome", "expand",
    "is_picture_file",
]

log = logging.getLogger(__name__)

SOURCE = "drop"
_WRITING_SUFFIXES = (".tmp", ".part")
# Picture files delivered beside the items that name them: copied with their item's
# version (``publish.media``), never items of their own.
_PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error,
    NotImplementedError, RuntimeError,  # unsupported compression, encrypted zip member
)

SourceOutcome = RawItem | SourceFailure


class CursorStore(Protocol):
    """The part of the registry this source needs (``ArticleRegistry`` fits as it is)."""

    def get_cursor(self, source: str) -> str | None: ...

    def set_cursor(self, source: str, value: str) -> None: ...


@dataclass(slots=True, frozen=True)
class PendingFile:
    """A settled file not yet taken, and the shape (size/etag/mtime) it was listed in."""

    key: str
    state: str


@dataclass(slots=True, frozen=True)
class ArchiveLimits:
    """Caps on what one archive may expand to, so a zip bomb becomes a failure item."""

    max_members: int = 10_000
    max_member_bytes: int = 64 * 1024 * 1024


class DropFolderSource:
    """New, settled files under ``prefix`` in key order, one ``RawItem`` per file or member."""

    def __init__(
        self,
        store: ObjectStore | str,
        prefix: str = "",
        *,
        cursors: CursorStore,
        now: datetime,
        settle_seconds: float = 60.0,
        limits: ArchiveLimits | None = None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._store = open_store(store) if isinstance(store, str) else store
        self._prefix = prefix
        self._cursors = cursors
        self._now = now
        self._settle = timedelta(seconds=settle_seconds)
        self._limits = limits or ArchiveLimits()

    def fetch(self) -> Iterator[SourceOutcome]:
        """List once and hand over every file that is new, settled and not yet done."""
        yield from self.take(self.pending())

    def pending(self) -> Iterator[PendingFile]:
        """The files ready to be taken, in key order; nothing is read or marked done yet.

        Split from ``take`` so a DAG can list once and spread the files over mapped tasks.
        """
        ready = waiting = 0
        for info in self._store.list(self._prefix):
            if _writing(info.key) or is_picture_file(info.key):
                continue
            state = _state(info)
            if self._ready(self._cursor(info.key), state, info):
                ready += 1
                yield PendingFile(info.key, state)
            else:
                waiting += 1
        # A watcher polls every few seconds: only listings that found something are news.
        log.log(
            logging.INFO if ready else logging.DEBUG,
            "drop: %d files ready under %s%s, %d still settling or done",
            ready, self._store.url, self._prefix, waiting,
        )

    def take(self, files: Iterable[PendingFile]) -> Iterator[SourceOutcome]:
        """Read and expand each file; it is marked done once its last item was taken."""
        for file in files:
            try:
                data = self._store.get(file.key)
            except ObjectNotFound:
                log.info("drop: %s vanished before it was read", file.key)
                continue
            except ValueError as exc:  # a name the store refuses to read
                yield SourceFailure(SOURCE, file.key, Reason.FETCH_FAILED, str(exc))
            else:
                yield from expand(file.key, data, self._limits)
            self._cursors.set_cursor(self._cursor(file.key), f"done {file.state}")

    def taken(self, key: str) -> bool:
        """Whether a run took ``key`` in the shape a listing shows now (gone counts as taken):
        what a notification watch asks before naming a file again."""
        info = next((i for i in self._store.list(key) if i.key == key), None)
        return info is None or self._cursors.get_cursor(self._cursor(key)) == f"done {_state(info)}"

    def _ready(self, cursor: str, state: str, info: ObjectInfo) -> bool:
        """Not done in this shape, unchanged since the last listing, and old enough."""
        previous = self._cursors.get_cursor(cursor)
        if previous == f"done {state}":
            return False
        changed = previous is not None and previous.partition(" ")[2] != state
        young = info.last_modified is not None and self._now - info.last_modified < self._settle
        if changed or young:
            if previous != f"seen {state}":
                self._cursors.set_cursor(cursor, f"seen {state}")
            return False
        return True

    def _cursor(self, key: str) -> str:
        return f"{SOURCE}:{self._store.url.rstrip('/')}/{key}"


def expand(
    key: str, data: bytes, limits: ArchiveLimits, fmt: str = "auto"
) -> Iterator[SourceOutcome]:
    """One file's items: itself, or an archive's members (capped; unreadable -> a failure)."""
    reader = _archive_reader(key)
    if reader is None:
        yield RawItem(SOURCE, key, data, fmt)
        return
    try:
        for outcome in reader(key, data, limits):
            yield outcome if isinstance(outcome, SourceFailure) else replace(outcome, fmt=fmt)
    except _ARCHIVE_ERRORS as exc:
        yield SourceFailure(SOURCE, key, Reason.UNKNOWN_FORMAT, f"unreadable archive: {exc}")


ArchiveReader = Callable[[str, bytes, ArchiveLimits], Iterator[SourceOutcome]]


def _zip_members(key: str, data: bytes, limits: ArchiveLimits) -> Iterator[SourceOutcome]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = (member for member in archive.infolist() if not member.is_dir())
        for index, member in enumerate(members):
            if index >= limits.max_members:
                yield _too_many(key, limits)
                return
            name = f"{key}!{member.filename}"
            if member.file_size > limits.max_member_bytes:
                yield _too_big(name, limits)
                continue
            with archive.open(member) as handle:
                yield _member(name, handle.read(limits.max_member_bytes + 1), limits)


def _tar_members(key: str, data: bytes, limits: ArchiveLimits) -> Iterator[SourceOutcome]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|*") as archive:
        index = 0
        for member in archive:
            if not member.isfile():
                continue
            if index >= limits.max_members:
                yield _too_many(key, limits)
                return
            index += 1
            name = f"{key}!{member.name}"
            handle = archive.extractfile(member) if member.size <= limits.max_member_bytes else None
            if handle is None:
                yield _too_big(name, limits)
                continue
            with handle:
                yield _member(name, handle.read(limits.max_member_bytes + 1), limits)


_ARCHIVE_READERS: tuple[tuple[str, ArchiveReader], ...] = (
    (".zip", _zip_members),
    (".tar", _tar_members),
    (".tar.gz", _tar_members),
    (".tgz", _tar_members),
)


def _archive_reader(key: str) -> ArchiveReader | None:
    """Archives are expanded by their name; a plain ``.gz`` passes through for the parser."""
    lowered = key.lower()
    return next((reader for suffix, reader in _ARCHIVE_READERS if lowered.endswith(suffix)), None)


def _member(name: str, content: bytes, limits: ArchiveLimits) -> SourceOutcome:
    if len(content) > limits.max_member_bytes:  # the header under-stated the size
        return _too_big(name, limits)
    return RawItem(SOURCE, name, content, "auto")


def _too_big(name: str, limits: ArchiveLimits) -> SourceFailure:
    detail = f"archive member larger than {limits.max_member_bytes} bytes: refused"
    return SourceFailure(SOURCE, name, Reason.TOO_LARGE, detail)


def _too_many(key: str, limits: ArchiveLimits) -> SourceFailure:
    detail = f"archive has more than {limits.max_members} members: the rest refused"
    return SourceFailure(SOURCE, key, Reason.TOO_LARGE, detail)


def is_picture_file(key: str) -> bool:
    """A picture delivered beside the items that name it: never an item of its own."""
    return key.lower().endswith(_PICTURE_SUFFIXES)


def _writing(key: str) -> bool:
    """Names writers use while a file is incomplete, or hidden files."""
    parts = key.split("/")
    return parts[-1].endswith(_WRITING_SUFFIXES) or any(part.startswith(".") for part in parts)


def _state(info: ObjectInfo) -> str:
    """What a file looks like now; any change means it is a new file (or still growing)."""
    modified = info.last_modified.isoformat() if info.last_modified else "-"
    return f"{info.size}/{info.etag or '-'}/{modified}"
