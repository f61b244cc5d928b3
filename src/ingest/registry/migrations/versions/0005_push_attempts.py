"""Push in the registry: one row per push attempt, result, retry and give-up.

Replaces the ``push-state.json`` object each partner's prefix held: what was settled is
now the last row of each entry. Entries that file had settled are not carried over; a
partner with push configured gets each entry of its current window once more, signed and
with its ``X-Ingest-Entry`` id, so a receiver that deduplicates on it sees no change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ingest.registry.schema import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("partner", sa.String(255), nullable=False),
        sa.Column("entry_id", sa.String(1024), nullable=False),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_push_attempts_entry", "push_attempts", ["partner", "entry_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_push_attempts_entry", "push_attempts")
    op.drop_table("push_attempts")
