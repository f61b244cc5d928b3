"""``ingest db upgrade``: bring a registry database to the newest migration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from ingest.registry.engine import make_engine, transact, writer

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: concurrent upgrades of one PostgreSQL database take turns on it.
_PG_LOCK_KEY = 0x1D6E57


def upgrade_database(url: str) -> None:
    """Apply every pending migration to ``url``; safe to run again or from several processes."""
    engine = make_engine(url)
    try:
        transact(writer(engine), _upgrade)
    finally:
        engine.dispose()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
