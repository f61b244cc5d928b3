"""Backoff, Retry-After and the request budget, with injected clocks."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.sources.retry import BudgetExhausted, RetryPolicy, TokenBucket, retry_after_seconds

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds("12", NOW) == 12.0
    assert retry_after_seconds("Fri, 27 Nov 2026 10:00:30 GMT", NOW) == 30.0
    assert retry_after_seconds("Fri, 27 Nov 2026 09:00:00 GMT", NOW) == 0.0  # already past
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds("soon", NOW) is None


@given(attempt=st.integers(0, 20), seed=st.integers(0, 2**32))
def test_full_jitter_stays_under_the_doubling_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base=0.5, cap=30.0)
    delay = policy.delay(attempt, None, random.Random(seed))
    assert 0.0 <= delay <= min(30.0, 0.5 * 2**attempt)


def test_retry_after_wins_over_jitter() -> None:
    assert RetryPolicy().delay(3, 7.0, random.Random(1)) == 7.0


def test_budget_refuses_past_capacity_then_refills_with_time() -> None:
    now = [0.0]
    bucket = TokenBucket(3, 3600.0, clock=lambda: now[0])
    for _ in range(3):
        bucket.take()
    with pytest.raises(BudgetExhausted):
        bucket.take()
    now[0] += 1200.0  # a third of the hour gives back one request
    bucket.take()
    with pytest.raises(BudgetExhausted):
        bucket.take()
    now[0] += 10 * 3600.0
    assert bucket.remaining == 3  # never more than the capacity
