"""The registry's tables as SQLAlchemy Core metadata: the current shape the queries use.

Migrations under ``migrations/versions`` build the same shape step by step; a test compares
the migrated database with this metadata so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from ingest.model import utc


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text that sorts right."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)


#: JSON documents; JSONB on PostgreSQL so they are stored compactly and parsed once.
Document = JSON().with_variant(JSONB(), "postgresql")

metadata = MetaData()

stories = Table(
    "stories",
    metadata,
    Column("uri", String(512), primary_key=True),
    Column("latest_version", Integer, nullable=False),  # highest version seen, not last arrived
    Column("status", String(16), nullable=False),  # pub_status of the latest version
    Column("embargoed_until", UTCDateTime, nullable=True),  # of the latest version
    Column("feed_at", UTCDateTime, nullable=False),  # when the latest content was created
    Column("killed", Boolean, nullable=False),  # any version was canceled: forever
    Column("kill_version", Integer, nullable=True),  # highest canceled version
    Column("killed_at", UTCDateTime, nullable=True),  # when the first kill was recorded
    Column("visible", Boolean, nullable=False),  # not killed and latest is usable
    Column("updated_at", UTCDateTime, nullable=False),
    # Covering for the feed walk, so only the versions row is looked up per story.
    Index("ix_stories_feed", "visible", "feed_at", "uri", "latest_version", "embargoed_until"),
)

versions = Table(
    "versions",
    metadata,
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),  # Article.content_hash()
    Column("substance_hash", String(64), nullable=False),  # same, ignoring version numbering
    Column("status", String(16), nullable=False),
    Column("embargoed_until", UTCDateTime, nullable=True),
    Column("version_created", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("raw_key", String(1024), nullable=True),
    Column("published_key", String(1024), nullable=True),
    Column("pending", Boolean, nullable=False),  # still to be written to articles/
    Column("same_as", Integer, nullable=True),  # SAME_CONTENT: the version it repeats
    Column("signals", Document, nullable=False),
    Column("ed_note", Text, nullable=True),
    Column("language", String(35), nullable=True),
    Column("provider", String(255), nullable=True),
    Column("country", String(8), nullable=True),
    Column("products", Document, nullable=False),
    Column("record", Document, nullable=False),  # Article.to_record()
    # ``registry.latency``: versionCreated or arrival; the database clock at insert and when
    # noted written to articles/. Nullable only because SQLite cannot add a NOT NULL column
    # without rebuilding the table; every row has the first two.
    Column("wire_at", UTCDateTime, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=True),
    Column("published_at", UTCDateTime, nullable=True),
    Column("urgency_class", String(8), nullable=False, server_default="other"),
    PrimaryKeyConstraint("uri", "version", name="pk_versions"),
    Index("ix_versions_recorded", "recorded_at"),
)
# Only the few versions still to write are indexed, so the writer's queue stays small.
Index(
    "ix_versions_pending",
    versions.c.received_at,
    postgresql_where=versions.c.pending,
    sqlite_where=versions.c.pending,
)
# Kill versions by arrival: the few that feeds need, without walking every delivery.
Index(
    "ix_versions_kills",
    versions.c.received_at,
    postgresql_where=versions.c.status == text("'canceled'"),
    sqlite_where=versions.c.status == text("'canceled'"),
)

raw_objects = Table(
    "raw_objects",
    metadata,
    Column("key", String(1024), primary_key=True),
    Column("source", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# A raw object whose version was already recorded from another raw object (DUPLICATE or
# CONFLICT): the accounting of raw objects that produced no version row of their own.
raw_outcomes = Table(
    "raw_outcomes",
    metadata,
    Column("raw_key", String(1024), nullable=False),
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("result", String(16), nullable=False),  # duplicate | conflict
    PrimaryKeyConstraint("raw_key", "uri", "version", name="pk_raw_outcomes"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("partner", String(255), nullable=False),
    Column("format", String(64), nullable=False),
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(8), nullable=False),  # item | kill
    Column("at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("partner", "format", "uri", "version", "kind", name="pk_deliveries"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("raw_key", String(1024), primary_key=True),
    Column("source", String(255), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("replayed", Boolean, nullable=False),
    Index("ix_quarantine_last_seen", "last_seen"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("run_id", String(255), nullable=False),
    Column("chunk", String(255), nullable=False),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("run_id", "chunk", name="pk_checkpoints"),
)

# The partner API's delivery log: each version in the order it was released to partners
# (written to ``articles/``, so once its embargo was over). ``seq`` is handed out in commit
# order (SQLite has one writer; PostgreSQL takes a lock first), so a reader that has seen
# ``seq`` N has seen every release before it: the API's cursors are positions in this log.
releases = Table(
    "releases",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("released_at", UTCDateTime, nullable=False),
    UniqueConstraint("uri", "version", name="uq_releases_version"),
    Index("ix_releases_released_at", "released_at"),
)

# API keys: only a SHA-256 of each key's secret is kept; the key is shown once, at creation.
partner_keys = Table(
    "partner_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("partner", String(255), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Requests per key per UTC minute (the API's quota), shared by every API process.
api_usage = Table(
    "api_usage",
    metadata,
    Column("key_id", String(32), nullable=False),
    Column("minute", BigInteger, nullable=False),  # minutes since the Unix epoch
    Column("requests", Integer, nullable=False),
    PrimaryKeyConstraint("key_id", "minute", name="pk_api_usage"),
)

# Every push attempt (and a give-up, which has no HTTP exchange) to a partner's endpoint:
# ``result`` is delivered | refused (a final 4xx) | failed (retried by the next run) |
# given_up; an entry's last row says where it stands. ``attempt`` counts across runs.
push_attempts = Table(
    "push_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("partner", String(255), nullable=False),
    Column("entry_id", String(1024), nullable=False),
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("result", String(16), nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_push_attempts_entry", "partner", "entry_id", "id"),
)

# Which story versions link each picture copy (``media/<sha256>.<ext>``): filled as versions
# are recorded, so the API finds the stories that may grant a partner a picture by its key.
media_refs = Table(
    "media_refs",
    metadata,
    Column("media_key", String(128), nullable=False),
    Column("uri", String(512), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("media_key", "uri", "version", name="pk_media_refs"),
)

# Request budgets shared by every worker (``sources.budget.RegistryBudget``): a token
# bucket per name, ``stamp`` in the database's own clock (seconds since the epoch).
request_budgets = Table(
    "request_budgets",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("stamp", Float, nullable=False),
)
