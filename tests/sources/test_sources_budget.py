"""The shared AFP request budget: several processes drawing at once never spend more than it.

Each backend is the real one: Redis at ``INGEST_TEST_REDIS_URL`` (default the machine's
127.0.0.1:6379; skipped when unreachable unless ``INGEST_REQUIRE_REDIS=1``), and the
registry on SQLite and PostgreSQL. The processes are real processes (``spawn``), each
opening its own connection, as Celery workers do.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable

import pytest

from ingest.registry import upgrade_database
from ingest.registry.engine import make_engine
from ingest.sources.budget import RedisBudget, RegistryBudget, RequestBudget, shared_budget
from ingest.sources.retry import BudgetExhausted

WORKERS, TRIES, CAPACITY = 4, 40, 100  # 160 attempts on a budget of 100 an hour


class Opened:
    """Budgets opened on one backend, each with its own connection, closed together."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind, self.url = kind, url
        self._close: list[Callable[[], None]] = []

    def budget(self, name: str, capacity: int, period: float) -> RequestBudget:
        if self.kind == "redis":
            bucket = RedisBudget(self.url, name, capacity, period)
            self._close.append(bucket.close)
            return bucket
        engine = make_engine(self.url)
        self._close.append(engine.dispose)
        return RegistryBudget(engine, name, capacity, period)

    def close(self) -> None:
        for close in self._close:
            close()


def _draw(kind: str, url: str, name: str, start: float) -> int:
    """One worker: wait for the common start, then try TRIES requests; count those allowed."""
    opened = Opened(kind, url)
    budget = opened.budget(name, CAPACITY, 3600.0)
    time.sleep(max(0.0, start - time.time()))
    taken = 0
    for _ in range(TRIES):
        try:
            budget.take()
            taken += 1
        except BudgetExhausted:
            pass
    opened.close()
    return taken


@pytest.fixture(params=["redis", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    if request.param == "redis":
        return "redis", str(request.getfixturevalue("redis_url"))
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    upgrade_database(url)
    return "registry", url


def test_processes_drawing_at_once_share_one_budget(backend: tuple[str, str]) -> None:
    kind, url = backend
    name = f"test-{uuid.uuid4().hex}"
    start = time.time() + 2.0  # every process connected before the first draw
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        taken = pool.starmap(_draw, [(kind, url, name, start)] * WORKERS)
    # An hour's budget refills 100/3600 tokens a second: under one token in this test.
    assert sum(taken) == CAPACITY, taken
    assert sum(n > 0 for n in taken) >= 2, taken  # several drew from the one budget


def _refills(budget: Callable[[], RequestBudget]) -> None:
    bucket = budget()
    bucket.take()
    bucket.take()
    with pytest.raises(BudgetExhausted, match="is spent"):
        bucket.take()
    time.sleep(0.6)  # two tokens a second: one is back
    bucket.take()
    with pytest.raises(BudgetExhausted):
        bucket.take()
    other = budget()  # a second worker sees the same state
    with pytest.raises(BudgetExhausted):
        other.take()


def test_an_empty_budget_refills_over_its_period(backend: tuple[str, str]) -> None:
    opened = Opened(*backend)
    name = f"test-{uuid.uuid4().hex}"
    try:
        _refills(lambda: opened.budget(name, 2, 1.0))
    finally:
        opened.close()


def test_redis_when_configured_else_the_registry(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    assert isinstance(shared_budget(None, engine, "afp", 10), RegistryBudget)
    in_redis = shared_budget("redis://127.0.0.1:6379/15", engine, "afp", 10)
    assert isinstance(in_redis, RedisBudget)
    in_redis.close()
    with pytest.raises(ValueError, match="capacity"):
        shared_budget(None, engine, "afp", 0)
    engine.dispose()
