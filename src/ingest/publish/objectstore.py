"""One object-store interface over ``file://`` directories and ``s3://`` buckets.

The local store keeps the same key layout as S3, so ``var/objectstore`` on a laptop
looks exactly like the bucket in production. Writes of new objects are conditional
(never overwrite); replacements (feeds, ``latest`` pointers) are atomic: a reader sees
the old object or the new one, never half of either.

A local write is durable when it returns (fsync), unless the store is opened with
``sync_each=False``: a bulk writer (the backfill) then calls ``flush`` once per batch,
before the registry notes the batch's objects, which costs one journal commit instead of
one per object.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import mimetypes
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/=+]*$")
mimetypes.add_type("application/rss+xml", ".rss")
mimetypes.add_type("application/atom+xml", ".atom")


class ObjectNotFound(KeyError):
    """No object under that key."""


@dataclass(slots=True, frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str | None = None
    cache_control: str | None = None
    last_modified: datetime | None = None  # from list(): lets drop folders wait for writers


def check_key(key: str) -> str:
    """Refuse keys that could escape the store's root (``..``, absolute paths, odd bytes)."""
    if not _SAFE_KEY.match(key) or any(part in {"", ".", ".."} for part in key.split("/")):
        raise ValueError(f"unsafe object key: {key!r}")
    return key


def guess_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class ObjectStore(Protocol):
    """Where bytes are kept. Implementations must be safe across processes."""

    url: str

    def put(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> str:
        """Write or atomically replace ``key``; return the new ETag."""
        ...

    def put_if_absent(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> bool:
        """Write ``key`` only if it does not exist yet; True if this call wrote it."""
        ...

    def get(self, key: str) -> bytes: ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` in key order, streamed page by page."""
        ...

    def delete(self, key: str) -> None: ...

    def uri_for(self, key: str) -> str: ...

    def flush(self) -> None:
        """Make every write returned so far durable, from any process (S3: already is)."""
        ...


class LocalObjectStore:
    """A directory laid out like a bucket: ``<root>/<key>``."""

    def __init__(self, root: Path, *, sync_each: bool = True) -> None:
        self.root = root.resolve()
        self.url = self.root.as_uri()
        self._sync_each = sync_each

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write_temp(self, path: str, data: bytes) -> str:
        """A new temporary file beside ``path`` holding ``data``; its folder is made only
        when it is missing. Plain ``os`` calls on strings, not ``pathlib``, ``tempfile`` and
        a buffered file, which added a ``mkdir`` and a ``stat`` for a folder that exists: a
        backfill writes three objects an item (see docs/scaling.md for what it gained)."""
        folder = os.path.dirname(path)  # noqa: PTH120
        try:
            fd, tmp = _create_temp(folder)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)  # noqa: PTH103
            fd, tmp = _create_temp(folder)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self._sync_each:
                os.fsync(fd)
        except BaseException:
            os.unlink(tmp)  # noqa: PTH108
            raise
        finally:
            os.close(fd)
        return tmp

    def put(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> str:
        path = str(self._path(key))
        os.replace(self._write_temp(path, data), path)  # noqa: PTH105
        return _etag(data)

    def put_if_absent(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> bool:
        path = str(self._path(key))
        # reruns meet stored keys: skip the temp file and its fsync
        if os.path.exists(path):  # noqa: PTH110
            return False
        tmp = self._write_temp(path, data)
        try:
            os.link(tmp, path)  # atomic create: fails if the key exists
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)  # noqa: PTH108
        return True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return ObjectInfo(key, len(data), _etag(data), guess_type(key))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Walk only the directory the prefix names, yielding keys in S3's (byte) order."""
        directory, _, _ = prefix.rpartition("/")
        start = self.root / directory if directory else self.root
        if start.is_dir():
            for path in self._walk(start):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    stat = path.stat()
                    yield ObjectInfo(
                        key, stat.st_size, "", guess_type(key),
                        last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                    )

    def _walk(self, directory: Path) -> Iterator[Path]:
        # A directory sorts as "name/", so "a/x" comes before "a0" exactly as keys do.
        entries = sorted(os.scandir(directory), key=lambda e: e.name + "/" * e.is_dir())
        for entry in entries:
            if entry.is_dir():
                yield from self._walk(Path(entry.path))
            elif not entry.name.startswith(".tmp-"):
                yield Path(entry.path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri_for(self, key: str) -> str:
        return self._path(key).as_uri()

    def flush(self) -> None:
        """syncfs(2) on the store's filesystem (every process's writes), else sync(2)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            if _LIBC is None or _LIBC.syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)


class S3ObjectStore:
    """An S3 bucket and prefix, over boto3 with the SDK's standard retry mode.

    The endpoint comes from ``AWS_ENDPOINT_URL`` (MinIO, moto) and the credentials from
    boto3's usual chain (environment, profile, instance role): never from code.
    """

    def __init__(self, bucket: str, prefix: str = "", client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._client = client or make_s3_client()

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> str:
        extra: dict[str, Any] = {"ContentType": content_type or guess_type(key)}
        if cache_control:
            extra["CacheControl"] = cache_control
        response = self._client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, **extra
        )
        return str(response["ETag"]).strip('"')

    def put_if_absent(
        self, key: str, data: bytes, *, content_type: str | None = None,
        cache_control: str | None = None,
    ) -> bool:
        from botocore.exceptions import ClientError

        extra: dict[str, Any] = {"ContentType": content_type or guess_type(key)}
        if cache_control:
            extra["CacheControl"] = cache_control
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*", **extra
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
                return False
            raise
        return True

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._client.exceptions.NoSuchKey:
            raise ObjectNotFound(key) from None
        return response["Body"].read()

    def head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            meta = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return ObjectInfo(
            key, int(meta["ContentLength"]), str(meta["ETag"]).strip('"'),
            meta.get("ContentType"), meta.get("CacheControl"),
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    item["Key"][len(self.prefix):], int(item["Size"]),
                    str(item["ETag"]).strip('"'), last_modified=item.get("LastModified"),
                )

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def flush(self) -> None:
        """Nothing to do: a PUT is durable once S3 has answered it."""


def make_s3_client() -> S3Client:
    """A boto3 S3 client with bounded timeouts and the SDK's standard retry mode."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=5,
        read_timeout=30,
        s3={"addressing_style": "path"},
    )
    return boto3.client("s3", config=config)


def open_store(url: str, *, sync_each: bool = True) -> ObjectStore:
    """``file:///abs/dir`` or ``s3://bucket/prefix`` -> the matching store.

    A file URL's path is percent-decoded (RFC 8089), as ``Path.as_uri`` encodes it: a
    folder with a space or a non-ASCII name is the same folder in every process that
    opens the store by its ``url``. ``sync_each=False``: local writes are made durable
    by ``flush``, not one by one.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalObjectStore(Path(unquote(parsed.path)), sync_each=sync_each)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3ObjectStore(parsed.netloc, parsed.path)
    raise ValueError(f"unsupported object store URL {url!r}: use file:///path or s3://bucket/prefix")


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syncfs  # noqa: B018 - Linux only: absent elsewhere
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()  # for syncfs(2), which Python's os module does not offer


_temp_numbers = itertools.count()


def _create_temp(folder: str) -> tuple[int, str]:
    """Open a new ``.tmp-*`` file in ``folder`` (which ``list`` skips), named by process,
    thread and a counter, so no two writers meet; a leftover of a dead process is passed."""
    while True:
        name = f"{folder}/.tmp-{os.getpid()}-{threading.get_ident()}-{next(_temp_numbers)}.part"
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), name
        except FileExistsError:
            continue


def _etag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
