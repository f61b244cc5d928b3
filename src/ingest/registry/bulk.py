"""Registry writes for archive loads, where the registry is the one serial step.

The same rows and results as ``SQLRegistry.record_raws`` and ``record_versions``, for less
of the writer's time: raw objects go in one ``executemany`` of a statement compiled once
(``record_raws`` builds a multi-row ``VALUES`` per call, which SQLAlchemy compiles each
time), and versions come hashed by the caller (``hash_version``, run in parser processes),
so the writer does only the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.model import Article
from ingest.registry import schema as t
from ingest.registry.api import ArticleRegistry, RawRecord, RecordResult, VersionRecord
from ingest.registry.engine import transact
from ingest.registry.sql import SQLRegistry, substance_hash

Hashes = tuple[str, str, dict[str, Any]]  # content hash, substance hash, registry record


def hash_version(article: Article) -> Hashes:
    """What ``SQLRegistry.record_versions`` computes of each version before its SQL."""
    document = article.to_record()
    return article.content_hash(), substance_hash(document), document


def record_raws(registry: ArticleRegistry, raws: Sequence[RawRecord]) -> list[bool]:
    """``registry.record_raws(raws)``: for each raw object, whether it was new."""
    if not isinstance(registry, SQLRegistry) or not raws:
        return registry.record_raws(raws)
    rows: dict[str, dict[str, Any]] = {}
    for raw in raws:
        rows.setdefault(raw.key, {"key": raw.key, "source": raw.source, "sha256": raw.sha256,
                                  "size": raw.size, "received_at": raw.received_at})
    stmt = (registry._insert(t.raw_objects).on_conflict_do_nothing()
            .returning(t.raw_objects.c.key))
    inserted = set(transact(
        registry._writer,  # the registry's own write transactions
        lambda conn: conn.execute(stmt, list(rows.values())).scalars().all(),
    ))
    new: list[bool] = []
    for raw in raws:  # only the first of a repeated key is new
        new.append(raw.key in inserted)
        inserted.discard(raw.key)
    return new


def record_hashed(
    registry: ArticleRegistry, records: Sequence[VersionRecord], hashes: Sequence[Hashes], *,
    syndicate: bool, renormalise: bool,
) -> list[RecordResult]:
    """``registry.record_versions(records, ...)``, with each record's ``hash_version`` given."""
    if not isinstance(registry, SQLRegistry) or not records:
        return registry.record_versions(records, syndicate=syndicate, renormalise=renormalise)
    hashed = [(record, *given) for record, given in zip(records, hashes, strict=True)]
    return transact(
        registry._writer,
        lambda conn: registry._record_versions(
            conn, hashed, syndicate, renormalise),
    )
