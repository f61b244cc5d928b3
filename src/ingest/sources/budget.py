"""One request budget for every worker and run: a token bucket held outside the process.

AFP allows about 5,000 API requests an hour per account, whoever sends them. A bucket per
process (``retry.TokenBucket``) lets N workers spend N budgets. These buckets keep their
state where every worker sees it, and take a token in one atomic step:

- ``RedisBudget`` (``INGEST_REDIS_URL`` set): a Lua script refills and takes in one call,
  on Redis's own clock, so workers' clocks need not agree;
- ``RegistryBudget`` (otherwise): a row of ``request_budgets`` in the registry, read and
  written in one write transaction (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN
  IMMEDIATE`` on SQLite), on the database's clock.

Like ``TokenBucket``, ``take()`` never waits: a spent budget raises ``BudgetExhausted``.
"""

from __future__ import annotations

from typing import Protocol

import redis
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ingest.registry.engine import transact, writer
from ingest.registry.schema import request_budgets
from ingest.sources.retry import BudgetExhausted, check_budget


class RequestBudget(Protocol):
    """What a client spends a token of before each request."""

    def take(self) -> None: ...


# KEYS[1]: the bucket's hash; ARGV: capacity, period in seconds. Returns 1 if a token was
# taken, 0 if the bucket is empty. Redis's TIME, not the caller's, is the clock.
_TAKE = """
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * capacity / period)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(period) * 2)
return taken
"""


def _spent(name: str, capacity: int, period: float) -> BudgetExhausted:
    return BudgetExhausted(
        f"shared request budget {name!r} of {capacity} per {period:g}s is spent; retry later"
    )


class RedisBudget:
    """A bucket in Redis under ``ingest:budget:<name>``."""

    def __init__(self, url: str, name: str, capacity: int, period: float = 3600.0) -> None:
        check_budget(capacity, period)
        self.name, self.capacity, self.period = name, capacity, period
        self._client = redis.Redis.from_url(url)
        self._take = self._client.register_script(_TAKE)
        self._key = f"ingest:budget:{name}"

    def take(self) -> None:
        if not self._take(keys=[self._key], args=[self.capacity, self.period]):
            raise _spent(self.name, self.capacity, self.period)

    def close(self) -> None:
        self._client.close()


class RegistryBudget:
    """A bucket in the registry's ``request_budgets`` table."""

    def __init__(self, engine: Engine, name: str, capacity: int, period: float = 3600.0) -> None:
        check_budget(capacity, period)
        self.name, self.capacity, self.period = name, capacity, period
        self._engine = writer(engine)

    def take(self) -> None:
        if not transact(self._engine, self._take):
            raise _spent(self.name, self.capacity, self.period)

    def _take(self, conn: Connection) -> bool:
        now = _db_seconds(conn)
        table = request_budgets
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(table).values(
            name=self.name, tokens=float(self.capacity), stamp=now).on_conflict_do_nothing())
        row = conn.execute(select(table.c.tokens, table.c.stamp)
                           .where(table.c.name == self.name).with_for_update()).one()
        refill = max(0.0, now - float(row.stamp)) * self.capacity / self.period
        tokens = min(float(self.capacity), float(row.tokens) + refill)
        taken = tokens >= 1.0
        conn.execute(table.update().where(table.c.name == self.name).values(
            tokens=tokens - 1.0 if taken else tokens, stamp=now))
        return taken


def _db_seconds(conn: Connection) -> float:
    """The database's clock in seconds, so that workers' own clocks need not agree."""
    if conn.dialect.name == "postgresql":
        sql = "SELECT extract(epoch FROM clock_timestamp())"
    else:
        sql = "SELECT (julianday('now') - 2440587.5) * 86400.0"
    return float(conn.execute(text(sql)).scalar_one())


def shared_budget(
    redis_url: str | None, engine: Engine, name: str, capacity: int, period: float = 3600.0
) -> RedisBudget | RegistryBudget:
    """Redis when a URL is given, else the registry: every worker of a deployment shares it."""
    if redis_url:
        return RedisBudget(redis_url, name, capacity, period)
    return RegistryBudget(engine, name, capacity, period)
