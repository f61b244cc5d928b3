"""HTTP push: POST each new version and kill to a partner's endpoint as signed ninjs.

Signature: header ``X-Ingest-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 with the partner's secret over ``b"<t>." + body``; partners check it with
``verify_signature`` semantics (and reject stale timestamps against replay).

Each partner has its own single-worker queue: a slow or failing partner never holds back
another, and one partner's entries go out in order (oldest first). A 2xx is delivered; a
4xx is final (refused, not retried; 429 excepted, which asks us to come back); a 5xx or a
network error is retried with exponential backoff, and when a run's retries are spent the
entry is ``failed`` and the next run tries it again, until it is delivered or has failed
for longer than the partner's ``delivery.push.give_up_after`` (default 24h): then it is
``given_up``. Every attempt and its result is a row of the registry's push log
(``ArticleRegistry.record_push_attempts``), stamped with the run's instant; an entry's
last row says whether it is settled, so a rerun pushes only what is new or still failing.

Entry ids (the ``X-Ingest-Entry`` header and the push log's key) are the feeds' own
``tag:`` ids, minted by the same ``TagIds`` (``INGEST_TAG_AUTHORITY``): callers pass the
settings' ``tag_ids`` so a partner sees one id per version whether it pulls or is pushed to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import requests

from ingest import jsonout
from ingest.publish.feeds import kill_entries, partner_entries
from ingest.publish.formats import Entry, clean_json
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds
from ingest.publish.partners import Partner, PushTarget
from ingest.registry.api import ArticleRegistry, Delivery, PushAttempt, PushState

SIGNATURE_HEADER = "X-Ingest-Signature"
PUSH_FORMAT = "push"  # the delivery format name in the registry


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
    """What became of one entry in one run: delivered, refused (final 4xx) or failed
    (this run's retries spent); ``tries`` holds each attempt's (status, error)."""

    entry_id: str
    uri: str
    version: int
    kind: str
    status: int | None  # last HTTP status, None when the last attempt had no response
    attempts: int
    delivered: bool
    final: bool  # delivered or refused: never to be tried again
    error: str | None = None
    tries: tuple[tuple[int | None, str | None], ...] = ()

    @property
    def result(self) -> str:
        return "delivered" if self.delivered else "refused" if self.final else "failed"


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
        body = jsonout.dumps(clean_json(entry.article.to_ninjs())).encode()
        status: int | None = None
        error: str | None = None
        tries: list[tuple[int | None, str | None]] = []
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
                status, error = None, f"{type(exc).__name__}: {exc}"[:500]
                tries.append((status, error))
                continue
            status = response.status_code
            error = None if status < 300 else f"HTTP {status}"
            tries.append((status, error))
            if status < 300 or (400 <= status < 500 and status != 429):
                return _outcome(entry, tries, delivered=status < 300)
        return _outcome(entry, tries, delivered=False)


def _outcome(entry: Entry, tries: list[tuple[int | None, str | None]], *,
             delivered: bool) -> PushOutcome:
    status, error = tries[-1]
    final = delivered or (status is not None and 400 <= status < 500 and status != 429)
    return PushOutcome(entry.id, entry.article.uri, entry.article.version, entry.kind, status,
                       len(tries), delivered, final, error, tuple(tries))


@dataclass(frozen=True, slots=True)
class PushPlan:
    """One partner's run: the entries to send (oldest first), those to give up now."""

    due: list[Entry]
    states: dict[str, PushState]
    give_up: list[PushAttempt]


def plan_pushes(registry: ArticleRegistry, partner: Partner, now: datetime,
                ids: TagIds = DEFAULT_IDS) -> PushPlan:
    """The partner's current items and push kills not settled in the push log.

    One still failing ``give_up_after`` its first attempt is given up instead of sent.
    """
    assert partner.push is not None
    current, _ = partner_entries(registry, partner, now, ids=ids)
    entries = [*current, *kill_entries(registry, partner, PUSH_FORMAT, now, ids)]
    states = registry.push_states(partner.id, [e.id for e in entries])
    limit = partner.push.give_up_after
    due: list[Entry] = []
    give_up: list[PushAttempt] = []
    for entry in sorted(entries, key=lambda e: (e.updated, e.id)):
        state = states.get(entry.id)
        if state is None or (not state.settled and now - state.first_at < limit):
            due.append(entry)
        elif not state.settled:
            give_up.append(dataclasses.replace(
                state.last, attempt=state.attempts + 1, at=now, result="given_up", status=None,
                error=f"failing for {now - state.first_at} ({state.last.error}): given up"))
    return PushPlan(due, states, give_up)


def pending_pushes(registry: ArticleRegistry, partner: Partner, now: datetime,
                   ids: TagIds = DEFAULT_IDS) -> list[Entry]:
    """What the next push run will send to ``partner``, oldest first."""
    return plan_pushes(registry, partner, now, ids).due


def push_partners(registry: ArticleRegistry, partners: Iterable[Partner], now: datetime,
                  pusher: Pusher, ids: TagIds = DEFAULT_IDS) -> dict[str, list[PushOutcome]]:
    """Push what is new or still failing to every partner with an endpoint, all partners in
    parallel; every attempt and give-up goes to the push log."""
    plans = [(p, plan_pushes(registry, p, now, ids)) for p in partners if p.push is not None]
    futures = {p.id: (plan, pusher.submit(p, plan.due)) for p, plan in plans}
    results: dict[str, list[PushOutcome]] = {}
    for pid, (plan, future) in futures.items():
        outcomes = results[pid] = future.result()
        rows = [*plan.give_up]
        for o in outcomes:
            before = plan.states[o.entry_id].attempts if o.entry_id in plan.states else 0
            rows.extend(
                PushAttempt(pid, o.entry_id, o.uri, o.version, o.kind, before + i, now,
                            o.result if i == len(o.tries) else "failed", status, error)
                for i, (status, error) in enumerate(o.tries, 1))
        registry.record_push_attempts(rows)
        registry.record_deliveries(
            pid, PUSH_FORMAT,
            [Delivery(o.uri, o.version, o.kind) for o in outcomes if o.delivered], now)
    return results

