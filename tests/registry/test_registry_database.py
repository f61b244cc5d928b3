"""Schema migrations and transient-error handling, against real databases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text
from story_factory import T0, article

from ingest.registry import Delivery, RecordResult, SQLRegistry, open_registry, upgrade_database
from ingest.registry.schema import metadata
from migration_support import migrate

TABLES = {
    "alembic_version",
    "stories",
    "versions",
    "raw_objects",
    "raw_outcomes",
    "deliveries",
    "quarantine",
    "cursors",
    "checkpoints",
    "releases",
    "partner_keys",
    "api_usage",
    "push_attempts",
    "media_refs",
    "request_budgets",
}


def test_upgrade_builds_schema_from_empty_and_is_idempotent(registry_url: str) -> None:
    upgrade_database(registry_url)
    upgrade_database(registry_url)
    engine = create_engine(registry_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == TABLES
            revisions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert list(revisions) == ["0008"]
            # The migrations build exactly what the queries expect.
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_feed_indexes_migration_keeps_feeds_and_kills(registry_url: str) -> None:
    # The rows are recorded by today's registry, then the schema is taken back to 0002
    # (before the feed indexes) with them in it: today's inserts name columns 0002 lacks.
    migrate(registry_url, "head")
    with SQLRegistry(registry_url) as reg:
        for a in (article("urn:a", 1), article("urn:b", 1), article("urn:b", 2, "canceled")):
            reg.record_version(a, raw_key=None, received_at=T0)
        reg.record_deliveries("p", "rss", [Delivery("urn:b", 1, "item")], T0)
        migrate(registry_url, "0002", down=True)
        migrate(registry_url, "head")
        now = T0 + timedelta(days=1)
        assert [(r.uri, r.version) for r in reg.feed_items(now)] == [("urn:a", 1)]
        assert [(k.uri, k.version) for k in reg.kills_for("p", "rss", since=T0)] == [("urn:b", 2)]
        migrate(registry_url, "0002", down=True)
        assert [(r.uri, r.version) for r in reg.feed_items(now)] == [("urn:a", 1)]
        migrate(registry_url, "head")
        with reg.engine.connect() as conn:
            indexes = {i["name"]: i for i in inspect(conn).get_indexes("stories")}
        assert indexes["ix_stories_feed"]["column_names"] == [
            "visible", "feed_at", "uri", "latest_version", "embargoed_until"]


def test_sqlite_feed_walk_reads_stories_from_the_index_only(sqlite_url: str) -> None:
    with open_registry(sqlite_url) as reg:
        reg.record_version(article("urn:a", 1), raw_key=None, received_at=T0)
        statements: list[tuple[str, Any]] = []
        event.listen(reg.engine, "before_cursor_execute",
                     lambda _c, _k, sql, params, *_: statements.append((sql, params)))
        list(reg.feed_items(T0 + timedelta(days=1)))
        sql, params = next(s for s in statements if "FROM stories" in s[0])
        with reg.engine.connect() as conn:
            plan = " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "USING COVERING INDEX ix_stories_feed" in plan, plan


@pytest.mark.postgres
def test_dropped_connection_mid_transaction_is_retried_once_recorded(pg_url: str) -> None:
    with SQLRegistry(pg_url) as reg:
        reg.upgrade()
        killer = create_engine(pg_url)
        dropped: list[int] = []

        def drop_after_version_insert(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            # Terminate this very session once, right after its version row went in.
            if statement.startswith("INSERT INTO versions") and not dropped:
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                with killer.begin() as admin:
                    admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                dropped.append(pid)

        event.listen(reg.engine, "after_cursor_execute", drop_after_version_insert)
        try:
            assert reg.record_version(article("urn:a", 1), raw_key="r", received_at=T0) == (
                RecordResult.NEW
            )
        finally:
            event.remove(reg.engine, "after_cursor_execute", drop_after_version_insert)
            killer.dispose()
        assert len(dropped) == 1
        with reg.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM versions")).scalar_one() == 1
        latest = reg.latest("urn:a")
        assert latest is not None and latest.version == 1


def test_sqlite_writer_waits_for_another_writer(sqlite_url: str) -> None:
    with SQLRegistry(sqlite_url) as reg:
        reg.upgrade()
        other = create_engine(sqlite_url)
        locked, release = threading.Event(), threading.Event()

        def hold_write_lock() -> None:
            raw = other.raw_connection()
            try:
                raw.execute("BEGIN IMMEDIATE")
                locked.set()
                release.wait(5)
                time.sleep(0.3)
                raw.execute("COMMIT")
            finally:
                raw.close()

        holder = threading.Thread(target=hold_write_lock)
        holder.start()
        try:
            assert locked.wait(5)
            release.set()
            result = reg.record_version(article("urn:a", 1), raw_key="r", received_at=T0)
        finally:
            holder.join()
            other.dispose()
        assert result == RecordResult.NEW
        assert reg.story_status("urn:a") == "usable"


def test_push_attempts_migration_goes_down_and_up_again(registry_url: str) -> None:
    upgrade_database(registry_url)
    migrate(registry_url, "0004", down=True)
    engine = create_engine(registry_url)
    try:
        with engine.connect() as conn:
            assert "push_attempts" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    upgrade_database(registry_url)
    with SQLRegistry(registry_url) as reg:
        assert reg.push_summary() == []


@pytest.mark.postgres
def test_postgres_plans_each_statement_for_its_values(pg_url: str) -> None:
    """A generic plan made while the registry was small scanned whole tables once they grew
    (``bench/registry_writes.py``: 202 us an item at 5k items, 615 at 15k); each connection of the
    pool, after rolled-back work too, plans for the values it is given."""
    with SQLRegistry(pg_url) as reg:
        reg.upgrade()
        with reg.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            conn.rollback()
        with reg.engine.connect() as first, reg.engine.connect() as second:
            modes = {c.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
                     for c in (first, second)}
    assert modes == {"force_custom_plan"}
