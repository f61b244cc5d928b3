"""Version times: wire, recorded and published, and the urgency class, for latency.

Existing rows get what is known: wire time ``versionCreated`` or else ``received_at``;
recorded time ``received_at``; published time the release's time (or ``received_at``
where a version was written before releases were logged); the class from the record
(urgency 1-2 in SQL, the few records naming the alert genre parsed here).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ingest.registry.latency import ALERT, URGENT, class_of
from ingest.registry.schema import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMES = ("wire_at", "recorded_at", "published_at")


def upgrade() -> None:
    for name in _TIMES:
        op.add_column("versions", sa.Column(name, UTCDateTime, nullable=True))
    op.add_column("versions", sa.Column("urgency_class", sa.String(8), nullable=False,
                                        server_default="other"))
    _backfill(op.get_bind())
    op.create_index("ix_versions_recorded", "versions", ["recorded_at"])


def _backfill(conn: sa.Connection) -> None:
    v = sa.table("versions", sa.column("uri"), sa.column("version"),
                 sa.column("version_created"), sa.column("received_at"),
                 sa.column("published_key"), sa.column("same_as"),
                 sa.column("record", sa.JSON()), *(sa.column(n) for n in _TIMES),
                 sa.column("urgency_class"))
    r = sa.table("releases", sa.column("uri"), sa.column("version"), sa.column("released_at"))
    released = (sa.select(sa.func.min(r.c.released_at))
                .where(r.c.uri == v.c.uri, r.c.version == v.c.version).scalar_subquery())
    written = sa.and_(v.c.published_key.is_not(None), v.c.published_key != "",
                      v.c.same_as.is_(None))
    conn.execute(sa.update(v).values(
        wire_at=sa.func.coalesce(v.c.version_created, v.c.received_at),
        recorded_at=v.c.received_at,
        published_at=sa.case((written, sa.func.coalesce(released, v.c.received_at)),
                             else_=None),
    ))
    conn.execute(sa.update(v).where(v.c.record["urgency"].as_integer().in_([1, 2]))
                 .values(urgency_class=URGENT))
    alerts = conn.execute(sa.select(v.c.uri, v.c.version, v.c.record)
                          .where(sa.cast(v.c.record, sa.Text).like("%afpattribute:Alert%")))
    keys = [{"b_uri": uri, "b_version": version} for uri, version, record in alerts
            if class_of(None, (g.get("code") for g in record.get("genres") or [])) == ALERT]
    if keys:
        conn.execute(sa.update(v).where(v.c.uri == sa.bindparam("b_uri"),
                                        v.c.version == sa.bindparam("b_version"))
                     .values(urgency_class=ALERT), keys)


def downgrade() -> None:
    op.drop_index("ix_versions_recorded", "versions")
    with op.batch_alter_table("versions") as batch:
        for name in (*_TIMES, "urgency_class"):
            batch.drop_column(name)
