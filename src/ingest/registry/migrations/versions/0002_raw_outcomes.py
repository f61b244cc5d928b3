"""Raw outcomes: raw objects whose only result was a duplicate or conflicting version.

Such a raw object leaves no version row of its own (the first copy keeps ``raw_key``), so
without this table ``ingest reconcile`` could not tell a re-sent file from a lost one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "raw_outcomes",
        sa.Column("raw_key", sa.String(1024), nullable=False),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("raw_key", "uri", "version", name="pk_raw_outcomes"),
    )


def downgrade() -> None:
    op.drop_table("raw_outcomes")
