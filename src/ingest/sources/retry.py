"""Shared politeness for HTTP sources: backoff with full jitter, ``Retry-After``, a budget.

Kept free of any HTTP library so every fetcher (AFP API, web pages) can reuse it; the
clock, the sleep and the random source are injected so tests never wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class BudgetExhausted(RuntimeError):
    """The client-side request budget is spent: stop now and let the scheduler retry later."""


@dataclass(slots=True, frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts of one call.

    ``base`` doubles per attempt up to ``cap`` and the wait is drawn uniformly below it
    ("full jitter"), so many workers retrying at once spread out instead of stampeding.
    A server's ``Retry-After`` wins over the drawn wait, up to ``max_retry_after``.
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0 or self.max_retry_after < 0:
            raise ValueError("retry policy needs attempts >= 1 and non-negative waits")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        if retry_after is not None:
            return retry_after
        return rng.uniform(0.0, min(self.cap, self.base * 2.0**attempt))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def check_budget(capacity: int, period: float) -> None:
    """Refuse a budget that could never allow a request: what every bucket checks first."""
    if capacity < 1 or period <= 0:
        raise ValueError("a request budget needs capacity >= 1 and a positive period")


class TokenBucket:
    """At most ``capacity`` requests per ``period`` seconds, refilled continuously.

    ``take()`` never sleeps: an empty bucket raises ``BudgetExhausted`` so a run ends
    cleanly rather than blocking a worker slot for an hour.
    """

    def __init__(
        self, capacity: int, period: float = 3600.0, *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_budget(capacity, period)
        self.capacity = capacity
        self.period = period
        self._clock = clock
        self._tokens = float(capacity)
        self._stamp = clock()

    @property
    def remaining(self) -> int:
        self._refill()
        return int(self._tokens)

    def take(self) -> None:
        """Spend one request, or raise ``BudgetExhausted``."""
        self._refill()
        if self._tokens < 1.0:
            raise BudgetExhausted(
                f"request budget of {self.capacity} per {self.period:g}s is spent; retry later"
            )
        self._tokens -= 1.0

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        refill = elapsed * self.capacity / self.period
        self._tokens = min(float(self.capacity), self._tokens + refill)
