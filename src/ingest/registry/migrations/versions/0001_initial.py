"""Initial registry: stories, versions, raw objects, deliveries, quarantine, cursors, checkpoints.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ingest.registry.schema import Document, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("uri", sa.String(512), primary_key=True),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("embargoed_until", UTCDateTime, nullable=True),
        sa.Column("feed_at", UTCDateTime, nullable=False),
        sa.Column("killed", sa.Boolean, nullable=False),
        sa.Column("kill_version", sa.Integer, nullable=True),
        sa.Column("killed_at", UTCDateTime, nullable=True),
        sa.Column("visible", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_stories_feed", "stories", ["visible", "feed_at", "uri"])
    op.create_table(
        "versions",
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("substance_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("embargoed_until", UTCDateTime, nullable=True),
        sa.Column("version_created", UTCDateTime, nullable=True),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("raw_key", sa.String(1024), nullable=True),
        sa.Column("published_key", sa.String(1024), nullable=True),
        sa.Column("pending", sa.Boolean, nullable=False),
        sa.Column("same_as", sa.Integer, nullable=True),
        sa.Column("signals", Document, nullable=False),
        sa.Column("ed_note", sa.Text, nullable=True),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("provider", sa.String(255), nullable=True),
        sa.Column("country", sa.String(8), nullable=True),
        sa.Column("products", Document, nullable=False),
        sa.Column("record", Document, nullable=False),
        sa.PrimaryKeyConstraint("uri", "version", name="pk_versions"),
    )
    op.create_index(
        "ix_versions_pending",
        "versions",
        ["received_at"],
        postgresql_where=sa.text("pending"),
        sqlite_where=sa.text("pending"),
    )
    op.create_table(
        "raw_objects",
        sa.Column("key", sa.String(1024), primary_key=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("partner", sa.String(255), nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint(
            "partner", "format", "uri", "version", "kind", name="pk_deliveries"
        ),
    )
    op.create_table(
        "quarantine",
        sa.Column("raw_key", sa.String(1024), primary_key=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("replayed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_quarantine_last_seen", "quarantine", ["last_seen"])
    op.create_table(
        "cursors",
        sa.Column("source", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("run_id", sa.String(255), nullable=False),
        sa.Column("chunk", sa.String(255), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "chunk", name="pk_checkpoints"),
    )


def downgrade() -> None:
    for table in (
        "checkpoints",
        "cursors",
        "quarantine",
        "deliveries",
        "raw_objects",
        "versions",
        "stories",
    ):
        op.drop_table(table)
