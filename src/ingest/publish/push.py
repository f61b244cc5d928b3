"""HTTP push: POST each new version and kill to a partner's endpoint as signed ninjs.

Signature: header ``X-Ingest-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 with the partner's secret over ``b"<t>." + body``; partners check it with
``verify_signature`` semantics (and reject stale timestamps against replay).

Each partner has its own single-worker queue: a slow or failing partner never holds back
another, and one partner's entries go out in order (oldest first). A 2xx is delivered; a
4xx is final (recorded, not retried; 429 excepted, which asks us to come back); a 5xx or a
network error is retried with exponential backoff. What was settled (delivered or refused)
is remembered in ``<prefix>push-state.json`` so a rerun pushes only what is new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import requests

from ingest.publish.feeds import kill_entries, partner_entries
from ingest.publish.formats import Entry, clean_json
from ingest.publish.objectstore import ObjectNotFound, ObjectStore
from ingest.publish.partners import Partner, PushTarget
from ingest.registry.api import ArticleRegistry, Delivery

SIGNATURE_HEADER = "X-Ingest-Signature"
PUSH_FORMAT = "push"  # the delivery format name in the registry
STATE_NAME = "push-state.json"
STATE_LIMIT = 5000  # settled entry ids remembered per partner


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: bytes, header: str, body: bytes, *, now: float,
                     tolerance: float = 300.0) -> bool:
    """What a partner does: recompute the MAC, compare in constant time, bound the age."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What became of one entry: delivered, refused (final 4xx) or failed (retries spent)."""

    entry_id: str
    uri: str
    version: int
    kind: str
    status: int | None  # last HTTP status, None when the last attempt had no response
    attempts: int
    delivered: bool
    final: bool  # delivered or refused: never to be tried again
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_backoff: float = 30.0
    timeout: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


class Pusher:
    """Per-partner FIFO queues of pushes, each worked by its own thread."""

    def __init__(self, *, policy: RetryPolicy = RetryPolicy(),
                 environ: Mapping[str, str] = os.environ,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self.environ = environ
        self.sleep = sleep
        self.clock = clock
        self._queues: dict[str, ThreadPoolExecutor] = {}

    def submit(self, partner: Partner, entries: Sequence[Entry]) -> Future[list[PushOutcome]]:
        """Queue ``entries`` (in this order) for ``partner``; resolves when all are settled."""
        if partner.push is None:
            raise ValueError(f"partner {partner.id!r} has no push endpoint")
        target, secret = partner.push, partner.push.secret(self.environ)
        queue = self._queues.get(partner.id)
        if queue is None:
            queue = self._queues[partner.id] = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"push-{partner.id}")
        return queue.submit(self._send_all, target, secret, list(entries))

    def close(self) -> None:
        for queue in self._queues.values():
            queue.shutdown(wait=True)
        self._queues.clear()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _send_all(self, target: PushTarget, secret: bytes,
                  entries: list[Entry]) -> list[PushOutcome]:
        with requests.Session() as session:
            return [self._send(session, target, secret, e) for e in entries]

    def _send(self, session: requests.Session, target: PushTarget, secret: bytes,
              entry: Entry) -> PushOutcome:
        body = json.dumps(clean_json(entry.article.to_ninjs()), ensure_ascii=False).encode()
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1:
                self.sleep(self.policy.delay(attempt - 1))
            headers = {"Content-Type": "application/json; charset=utf-8",
                       SIGNATURE_HEADER: sign(secret, int(self.clock()), body),
                       "X-Ingest-Entry": entry.id}
            try:
                response = session.post(target.url, data=body, headers=headers,
                                        timeout=self.policy.timeout)
            except requests.RequestException as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
                continue
            status, error = response.status_code, None
            if status < 300 or (400 <= status < 500 and status != 429):
                return _outcome(entry, status, attempt, delivered=status < 300)
            error = f"HTTP {status}"
        return _outcome(entry, status, self.policy.attempts, delivered=False, error=error)


def _outcome(entry: Entry, status: int | None, attempts: int, *, delivered: bool,
             error: str | None = None) -> PushOutcome:
    final = delivered or (status is not None and 400 <= status < 500 and status != 429)
    return PushOutcome(entry.id, entry.article.uri, entry.article.version, entry.kind, status,
                       attempts, delivered, final, error if not delivered else None)


def pending_pushes(registry: ArticleRegistry, store: ObjectStore, partner: Partner,
                   now: datetime) -> list[Entry]:
    """The partner's current items and push kills not yet settled, oldest first."""
    current, _ = partner_entries(registry, partner, now)
    entries = [*current, *kill_entries(registry, partner, PUSH_FORMAT, now)]
    settled = set(_load_state(store, partner))
    return sorted((e for e in entries if e.id not in settled), key=lambda e: (e.updated, e.id))


def push_partners(registry: ArticleRegistry, store: ObjectStore,
                  partners: Iterable[Partner], now: datetime,
                  pusher: Pusher) -> dict[str, list[PushOutcome]]:
    """Push what is new to every partner with an endpoint, all partners in parallel."""
    futures = {p.id: (p, pusher.submit(p, pending_pushes(registry, store, p, now)))
               for p in partners if p.push is not None}
    results: dict[str, list[PushOutcome]] = {}
    for pid, (partner, future) in futures.items():
        outcomes = results[pid] = future.result()
        settled = _load_state(store, partner)
        settled.extend(o.entry_id for o in outcomes if o.final)
        store.put(partner.prefix + STATE_NAME,
                  json.dumps({"settled": settled[-STATE_LIMIT:]}).encode(),
                  content_type="application/json", cache_control="no-store")
        registry.record_deliveries(
            pid, PUSH_FORMAT,
            [Delivery(o.uri, o.version, o.kind) for o in outcomes if o.delivered], now)
    return results


def _load_state(store: ObjectStore, partner: Partner) -> list[str]:
    try:
        doc = json.loads(store.get(partner.prefix + STATE_NAME))
    except ObjectNotFound:
        return []
    return [str(i) for i in doc.get("settled", [])]
