"""Recording a backfill batch whose items were parsed elsewhere (``backfill_parse``).

The same registry writes, results and audits as ``pipeline.ingest_stored`` gives the same
arrivals (one write for the raw objects, one for the versions, quarantines aside), so a
backfill leaves what a live ingest leaves; only the parsing happened in another process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ingest.backfill_parse import Outcomes
from ingest.parsers.base import ParsedItem, ParseFailure
from ingest.pipeline import (
    SKIPPED,
    Arrival,
    IngestReport,
    StoredItem,
    _quarantine,
    write_audit,
)
from ingest.publish.objectstore import ObjectStore
from ingest.registry.api import ArticleRegistry, RawRecord, RecordResult, VersionRecord
from ingest.registry.bulk import Hashes, record_hashed, record_raws


def record_parsed(
    arrivals: Sequence[Arrival], outcomes: Iterable[Outcomes], *, registry: ArticleRegistry,
    store: ObjectStore, syndicate: bool, renormalise: bool,
) -> list[IngestReport]:
    """``ingest_stored(arrivals, ...)`` with each stored item's parse ``outcomes`` given
    (in item order, one list per ``StoredItem``; those of skipped items are dropped)."""
    reports = [IngestReport() for _ in arrivals]
    new = iter(record_raws(registry, [
        RawRecord(entry.key, entry.item.source, entry.key.rsplit("/", 1)[1],
                  len(entry.item.data), arrival.received_at)
        for arrival in arrivals for entry in arrival.items if isinstance(entry, StoredItem)
    ]))
    given = iter(outcomes)
    parsed: list[tuple[IngestReport, StoredItem, ParsedItem, datetime]] = []
    hashes: list[Hashes] = []
    for report, arrival in zip(reports, arrivals, strict=True):
        at = arrival.received_at
        for entry in arrival.items:
            if not isinstance(entry, StoredItem):
                registry.quarantine(
                    raw_key=f"{entry.source}:{entry.name}", source=entry.source,
                    reason=entry.reason, detail=entry.detail, at=at,
                )
                report.quarantined[entry.reason] += 1
                continue
            item_outcomes, is_new = next(given), next(new)
            report.raw_items += 1
            report.raw_new += is_new
            if arrival.skip_known and not is_new:
                report.results[SKIPPED] += 1
                continue
            for given_outcome in item_outcomes:
                if isinstance(given_outcome, ParseFailure):
                    _quarantine(registry, entry.key, entry.item, given_outcome, at, report)
                else:
                    parsed.append((report, entry, given_outcome[0], at))
                    hashes.append(given_outcome[1])
    results = record_hashed(
        registry, [VersionRecord(p.article, entry.key, at) for _, entry, p, at in parsed],
        hashes, syndicate=syndicate, renormalise=renormalise,
    )
    for (report, entry, outcome, _), result in zip(parsed, results, strict=True):
        report.results[result] += 1
        if result in (RecordResult.NEW, RecordResult.RENORMALISED):
            report.stripped.update(s.kind for s in outcome.stripped)
            write_audit(store, entry, outcome, result)
    return reports

