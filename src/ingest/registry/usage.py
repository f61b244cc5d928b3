"""Partner API quotas in the registry: requests a minute claimed a few at a time.

``count_request`` writes once a request. ``claim_requests`` lets an API process take
several of a key's requests in one write and serve them from memory
(``ingest.api.quota``); the registry's count is then the sum of the claims, and no claim
is granted past the quota, so every process behind a proxy shares one ceiling.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete

from ingest.registry import schema as t
from ingest.registry.engine import transact
from ingest.registry.sql import SQLRegistry


def claim_requests(
    registry: SQLRegistry, key_id: str, minute: int, wanted: int, limit: int
) -> int:
    """Claim ``wanted`` more of ``key_id``'s requests in ``minute`` against ``limit``;
    how many of them fit under it (0 to ``wanted``). The claim is counted whole, so a
    later claim in that minute sees it; a key's first claim in a minute drops its older
    minutes, as ``count_request`` does."""
    u = t.api_usage.c
    stmt = registry._insert(t.api_usage).values(key_id=key_id, minute=minute, requests=wanted)
    stmt = stmt.on_conflict_do_update(
        index_elements=[u.key_id, u.minute], set_={"requests": u.requests + wanted}
    ).returning(u.requests)

    def work(conn: Connection) -> int:
        before = int(conn.execute(stmt).scalar_one()) - wanted
        if before == 0:
            conn.execute(delete(t.api_usage).where(u.key_id == key_id, u.minute < minute))
        return max(0, min(wanted, limit - before))

    return transact(registry._writer, work)
