"""Partner API: the release log its cursors walk, partner keys and per-key request counts.

``releases`` starts with every version already written to ``articles/`` (a repeat of the
version before it excepted: it shares that one's object), oldest received first, so
partners of an existing registry find its history behind their first cursor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ingest.registry.schema import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("released_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("uri", "version", name="uq_releases_version"),
    )
    op.create_index("ix_releases_released_at", "releases", ["released_at"])
    op.execute(
        "INSERT INTO releases (uri, version, released_at) "
        "SELECT uri, version, received_at FROM versions "
        "WHERE published_key IS NOT NULL AND published_key != '' AND same_as IS NULL "
        "ORDER BY received_at, uri, version"
    )
    op.create_table(
        "partner_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("partner", sa.String(255), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "api_usage",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("minute", sa.BigInteger, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key_id", "minute", name="pk_api_usage"),
    )


def downgrade() -> None:
    op.drop_table("api_usage")
    op.drop_table("partner_keys")
    op.drop_index("ix_releases_released_at", "releases")
    op.drop_table("releases")
