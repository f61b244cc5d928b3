"""Feed indexes: a covering feed index on stories, and kill versions by arrival.

The newest-first feed walk reads ``latest_version`` and ``embargoed_until`` from the index
itself instead of each story's table row, one B-tree lookup fewer per story on a big
registry. ``kills_for`` used to start from every story a partner was ever delivered, which
grows with each feed build; now it starts from the kill versions received in the window.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FEED = ["visible", "feed_at", "uri"]
COVERED = ["latest_version", "embargoed_until"]


def upgrade() -> None:
    op.drop_index("ix_stories_feed", "stories")
    op.create_index("ix_stories_feed", "stories", [*FEED, *COVERED])
    op.create_index(
        "ix_versions_kills",
        "versions",
        ["received_at"],
        postgresql_where=sa.text("status = 'canceled'"),
        sqlite_where=sa.text("status = 'canceled'"),
    )


def downgrade() -> None:
    op.drop_index("ix_versions_kills", "versions")
    op.drop_index("ix_stories_feed", "stories")
    op.create_index("ix_stories_feed", "stories", FEED)
