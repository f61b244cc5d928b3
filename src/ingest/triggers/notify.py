"""The drop bucket's notifications from a queue: MinIO's Redis target, or S3's SQS.

``INGEST_DROP_NOTIFY`` chooses: ``redis://host:6379/0`` reads the list
``INGEST_DROP_NOTIFY_KEY`` (default ``ingest:drop-events``) that MinIO's Redis target fills
in its ``access`` format; an ``https://sqs…`` queue URL reads S3's notifications from SQS.
Only ``ObjectCreated`` records under the drop bucket and prefix count.

An object is whole once its notification is sent, but ``afp_ingest`` still waits
``INGEST_DROP_SETTLE_SECONDS`` after its time before reading it, so an event is held until
then: fired earlier, its run would call the file unsettled and leave it to the schedule.
Like the polled watch, a key is named again every ``INGEST_DROP_REFIRE_SECONDS`` (15)
while no run has taken it (``Unfinished``), for ten minutes at most: Airflow 3.3 can let a
run consume an event and list the folder before the file is ready, and the file would then
wait for the schedule. A message is acknowledged only after its event was handed to the
triggerer (Redis: moved to ``<key>:inflight`` meanwhile and moved back when a trigger
starts; SQS: deleted, else it comes back after its visibility timeout), so a triggerer
that dies mid-way delivers it again rather than never.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import unquote_plus, urlparse

from airflow.triggers.base import TriggerEvent

from ingest.config import Settings
from ingest.sources.drop import DropFolderSource, is_picture_file
from ingest.triggers.base import (
    NOTIFY_ENV,
    IngestEventTrigger,
    batched,
    fired,
    idle,
    open_runtime,
    seconds,
)
from ingest.triggers.drop import REFIRE_ENV

if TYPE_CHECKING:
    from ingest.runtime import Runtime

log = logging.getLogger(__name__)

KEY_ENV = "INGEST_DROP_NOTIFY_KEY"
DEFAULT_KEY = "ingest:drop-events"


@dataclass(frozen=True, slots=True)
class Created:
    """An object created under the drop prefix: its key there, and when (if the record says)."""

    key: str
    at: datetime | None


def created_objects(body: str | bytes, drop_url: str) -> list[Created]:
    """The ``ObjectCreated`` records of one message that fall under ``drop_url``.

    S3 (and SQS) send ``{"Records": [...]}``; MinIO's Redis target, in its ``access``
    format, pushes ``[{"Event": [...], "EventTime": "..."}]``. Keys arrive URL-encoded.
    A message that is neither is logged and skipped: the schedule still lists the folder.
    """
    drop = urlparse(drop_url)
    prefix = drop.path.strip("/") + "/" if drop.path.strip("/") else ""
    try:
        found = []
        for record in _records(json.loads(body)):
            if "ObjectCreated" not in str(record.get("eventName", "")):
                continue
            s3 = record["s3"]
            key = unquote_plus(str(s3["object"]["key"]))
            if s3["bucket"]["name"] == drop.netloc and key.startswith(prefix) \
                    and not is_picture_file(key):
                found.append(Created(key[len(prefix):], _instant(record.get("eventTime"))))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("drop notification skipped (%s: %s): %.200r", type(exc).__name__, exc, body)
        return []
    return found


def _records(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict):
        return list(doc.get("Records") or [])  # an s3:TestEvent has none
    return [record for entry in doc for record in entry.get("Event") or []]


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def until_settled(created: Sequence[Created], settle_seconds: float) -> None:
    """Wait until the newest object is ``settle_seconds`` old (a time from the future, as a
    skewed clock may give, counts as now)."""
    now = datetime.now(UTC)
    newest = max(min(c.at or now, now) for c in created)
    wait = settle_seconds - (now - newest).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)


class Unfinished:
    """Keys events named, until ``taken`` says a run took them: due to be named again each
    ``refire`` seconds, and forgotten ``keep`` seconds after their notification (the
    schedule's listing has run by then). Times are a monotonic clock's."""

    def __init__(self, taken: Callable[[str], bool], refire: float, keep: float = 600.0) -> None:
        self._taken, self._refire, self._keep = taken, refire, keep
        self._named: dict[str, tuple[float, float]] = {}  # key -> (notified, last named)

    def named(self, keys: Iterable[str], now: float) -> None:
        for key in keys:
            self._named[key] = (now, now)  # a new notification starts its clock again

    def due(self, now: float) -> list[str]:
        """Keys to name again now; blocking (``taken`` reads the registry and the store)."""
        again: list[str] = []
        for key, (notified, last) in list(self._named.items()):
            if now - notified >= self._keep:
                del self._named[key]
            elif now - last >= self._refire:
                if self._is_taken(key):
                    del self._named[key]
                else:
                    again.append(key)
                    self._named[key] = (notified, now)
        return again

    def _is_taken(self, key: str) -> bool:
        try:
            return self._taken(key)
        except Exception:  # the registry or store is down: naming it again is harmless
            log.exception("drop notifications: could not tell whether %s was taken", key)
            return False


class _DropLedger:
    """``DropFolderSource.taken`` on the DAG's own registry, opened at first use (most keys
    are taken long before they are due again, and the queue tests need none) and kept."""

    def __init__(self, drop_url: str) -> None:
        self._drop_url = drop_url
        self._rt: Runtime | None = None
        self._source: DropFolderSource | None = None

    def taken(self, key: str) -> bool:
        if self._source is None:
            self._rt = open_runtime()
            self._source = DropFolderSource(self._drop_url, cursors=self._rt.registry,
                                            now=datetime.now(UTC))  # ``taken`` ignores it
        return self._source.taken(key)

    def close(self) -> None:
        if self._rt is not None:
            self._rt.close()


class _Queue(Protocol):
    async def receive(self, limit: int, block_seconds: float) -> list[tuple[str, bytes]]: ...

    async def ack(self, handles: list[str]) -> None: ...

    async def close(self) -> None: ...


class _NotificationTrigger(IngestEventTrigger):
    """Receive a batch, hold it until settled, fire, acknowledge; the queue is the subclass's."""

    schemes: ClassVar[tuple[str, ...]]
    source: ClassVar[str]

    def __init__(
        self, *, url: str | None = None, key: str | None = None, drop_url: str | None = None,
        settle_seconds: float | None = None, max_messages: int = 500, block_seconds: float = 5.0,
    ) -> None:
        super().__init__(url=url, key=key, drop_url=drop_url, settle_seconds=settle_seconds,
                         max_messages=max_messages, block_seconds=block_seconds)
        self.url, self.key, self.drop_url = url, key, drop_url
        self.settle_seconds, self.max_messages = settle_seconds, max_messages
        self.block_seconds = block_seconds

    async def run(self) -> AsyncIterator[TriggerEvent]:
        url = self.url or os.environ.get(NOTIFY_ENV, "")
        if urlparse(url).scheme not in self.schemes:
            await idle(f"drop notifications ({self.source})", f"{NOTIFY_ENV} is not one")
        settings = Settings.from_env()
        drop_url = self.drop_url or settings.drop_url
        settle = (settings.drop_settle_seconds if self.settle_seconds is None
                  else self.settle_seconds)
        queue, ledger = self._open(url), _DropLedger(drop_url)
        unfinished = Unfinished(ledger.taken, seconds(None, os.environ, REFIRE_ENV, 15.0))
        try:
            while True:
                try:
                    messages = await queue.receive(self.max_messages, self.block_seconds)
                except Exception:  # the queue is down: wait, then ask again
                    log.exception("drop notifications (%s) unreadable; retrying", self.source)
                    await asyncio.sleep(self.block_seconds)
                    continue
                created = [c for _, body in messages for c in created_objects(body, drop_url)]
                if created:
                    await until_settled(created, settle)
                    keys = sorted({c.key for c in created})
                    yield fired(self.source, keys, url=drop_url)
                    unfinished.named(keys, time.monotonic())
                if messages:
                    await queue.ack([handle for handle, _ in messages])
                again = await asyncio.to_thread(unfinished.due, time.monotonic())
                for batch in batched(again, self.max_messages):
                    yield fired(self.source, batch, url=drop_url)
        finally:
            await queue.close()
            await asyncio.to_thread(ledger.close)

    @abc.abstractmethod
    def _open(self, url: str) -> _Queue: ...


class RedisDropTrigger(_NotificationTrigger):
    """MinIO's Redis notification target (``access`` format), read with ``BLMOVE``."""

    schemes = ("redis", "rediss")
    source = "drop-redis"

    def _open(self, url: str) -> _Queue:
        return _RedisQueue(url, self.key or os.environ.get(KEY_ENV) or DEFAULT_KEY)


class SQSDropTrigger(_NotificationTrigger):
    """S3's notifications in an SQS queue (``QueueConfigurations``), long-polled in a thread."""

    schemes = ("http", "https")
    source = "drop-sqs"

    def _open(self, url: str) -> _Queue:
        return _SQSQueue(url)


class _RedisQueue:
    """Messages move from the list to ``<key>:inflight`` until acknowledged."""

    def __init__(self, url: str, key: str) -> None:
        import redis.asyncio

        self._client = redis.asyncio.Redis.from_url(url)
        self._key, self._inflight = key, f"{key}:inflight"
        self._recovered = False

    async def receive(self, limit: int, block_seconds: float) -> list[tuple[str, bytes]]:
        if not self._recovered:  # what a previous trigger held but may not have fired for
            while await self._client.lmove(self._inflight, self._key, "RIGHT", "LEFT"):
                pass
            self._recovered = True
        first = await self._client.blmove(
            self._key, self._inflight, max(1, round(block_seconds)), "LEFT", "RIGHT")
        _still_cancelled()
        if first is None:
            return []
        messages = [first]
        while len(messages) < limit:
            more = await self._client.lmove(self._key, self._inflight, "LEFT", "RIGHT")
            if more is None:
                break
            messages.append(more)
        return [("", _bytes(message)) for message in messages]

    async def ack(self, handles: list[str]) -> None:
        await self._client.delete(self._inflight)
        _still_cancelled()

    async def close(self) -> None:
        await self._client.aclose()


def _still_cancelled() -> None:
    """Raise a cancellation redis-py absorbed: one that lands mid-command is swallowed (seen
    with redis 8.1), and the triggerer could then never stop this trigger."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


class _SQSQueue:
    """A received message stays invisible until deleted; undeleted, SQS delivers it again."""

    def __init__(self, url: str) -> None:
        import boto3
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": 5},
                        connect_timeout=5, read_timeout=30)
        self._client: Any = boto3.client("sqs", config=config)
        self._url = url

    async def receive(self, limit: int, block_seconds: float) -> list[tuple[str, bytes]]:
        answer = await asyncio.to_thread(
            self._client.receive_message, QueueUrl=self._url,
            MaxNumberOfMessages=max(1, min(limit, 10)),
            WaitTimeSeconds=int(min(block_seconds, 20)),
        )
        return [(m["ReceiptHandle"], m["Body"].encode()) for m in answer.get("Messages", [])]

    async def ack(self, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):  # SQS deletes at most ten at a time
            entries = [{"Id": str(i), "ReceiptHandle": handle}
                       for i, handle in enumerate(handles[start:start + 10])]
            await asyncio.to_thread(
                self._client.delete_message_batch, QueueUrl=self._url, Entries=entries)

    async def close(self) -> None:
        self._client.close()
