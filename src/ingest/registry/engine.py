"""Engines the registry can share across processes, and write transactions that retry.

SQLite runs in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so two writers queue instead of failing halfway through. PostgreSQL
pre-pings pooled connections and plans each statement for its values. A write that hits
a transient error (serialization failure, deadlock, dropped connection, locked SQLite
file) is rolled back and rerun a bounded number of times; because each attempt is one
transaction, nothing is recorded twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

ATTEMPTS = 5
_BACKOFF_SECONDS = 0.05
_SQLITE_BUSY_SECONDS = 30
# Per pooled connection: enough page cache and mapped file that feeds read a registry's
# hot pages (indexes, recent stories) from memory rather than through a read() per B-tree
# page, and bounded, so a process's memory stays flat however big the registry grows
# (mapped pages count in its RSS): 16 MB of cache, 64 MB mapped.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-16384",
    "PRAGMA mmap_size=67108864",
)
_WRITE = "ingest_write"
# serialization_failure, deadlock_detected, admin_shutdown, connection failures
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "08000", "08003", "08006"})


def make_engine(url: str) -> Engine:
    """An engine for ``url`` set up for several processes sharing one database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "connect", _postgres_connect)
        return engine
    engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_SECONDS})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred only).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a statement it has run five times, and PostgreSQL may then keep one
    # generic plan for it, made while the registry was small: a backfill into a new one
    # looked stories and versions up by full scans, each batch slower than the one before
    # (the two lookups 202 us an item at 5k items, 615 at 15k: bench/registry_writes.py).
    # Plans made for each run's values use the keys' indexes however the tables have grown.
    dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same pool, but transactions that take SQLite's write lock when they begin."""
    return engine.execution_options(**{_WRITE: True})


def is_transient(exc: DBAPIError) -> bool:
    """Whether rerunning the whole transaction may succeed."""
    if exc.connection_invalidated:
        return True
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


def transact(engine: Engine, work: Callable[[Connection], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in one transaction, rerunning it after transient errors."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                return work(connection)
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(_BACKOFF_SECONDS * attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def fresh_schema(server: str, prefix: str) -> Iterator[str]:
    """A URL on the PostgreSQL ``server`` whose connections see only a new, empty schema
    of their own (``prefix`` and a random suffix), dropped afterwards: tests and benchmarks
    run side by side in one database."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
