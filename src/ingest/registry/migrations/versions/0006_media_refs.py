"""Which story versions link each picture copy, for ``GET /v1/media/{key}``'s rights check.

Filled as versions are recorded (``SQLRegistry.record_versions``); here, once, from the
versions already recorded with copies (only those whose record mentions ``"media/`` are
parsed), so a registry that recorded copies before this revision serves them too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ingest.publish.media import is_media_key

_BATCH = 1000

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_refs",
        sa.Column("media_key", sa.String(128), nullable=False),
        sa.Column("uri", sa.String(512), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("media_key", "uri", "version", name="pk_media_refs"),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    versions = sa.table("versions", sa.column("uri"), sa.column("version"),
                        sa.column("record", sa.JSON()))
    refs = sa.table("media_refs", sa.column("media_key"), sa.column("uri"),
                    sa.column("version"))
    found = conn.execute(
        sa.select(versions.c.uri, versions.c.version, versions.c.record)
        .where(sa.cast(versions.c.record, sa.Text).like('%"media/%'))
    )
    rows: dict[tuple[str, str, int], None] = {}
    for uri, version, record in found:
        for picture in record.get("pictures") or []:
            for rendition in picture.get("renditions") or []:
                if is_media_key(href := str(rendition.get("href", ""))):
                    rows[(href, uri, version)] = None
    keys = list(rows)
    for start in range(0, len(keys), _BATCH):
        conn.execute(sa.insert(refs), [{"media_key": k, "uri": u, "version": v}
                                       for k, u, v in keys[start:start + _BATCH]])


def downgrade() -> None:
    op.drop_table("media_refs")
