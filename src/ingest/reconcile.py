"""Accounting: every raw object stored must have become something the registry recorded.

Raw bytes are stored before anything is parsed, so the raw store is the list of what
arrived. Each raw object must be accounted for in one of three ways: a version recorded
from it, a recorded duplicate (its version had already come from other bytes: the same
story through two formats, or a file re-sent another day), or quarantine with a reason.
Anything else is a gap: an item lost between the store and the registry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ingest.publish.objectstore import ObjectStore
from ingest.registry.api import ArticleRegistry

RAW_PREFIX = "raw/"
NOT_RECORDED = "stored, not in the registry"
NOT_STORED = "in the registry, not stored"
NO_OUTCOME = "no version, duplicate or quarantine"


@dataclass(slots=True)
class ReconcileReport:
    """Counts per way of being accounted for, and every key that is not."""

    stored: int = 0  # objects under raw/ in the store
    recorded: int = 0  # raw objects the registry knows
    versions: int = 0  # raw objects that became at least one version
    duplicates: Counter[str] = field(default_factory=Counter)  # by result
    quarantined: Counter[str] = field(default_factory=Counter)  # by reason
    source_failures: int = 0  # quarantined before any bytes were stored
    gaps: dict[str, str] = field(default_factory=dict)  # key -> what is missing

    @property
    def ok(self) -> bool:
        return not self.gaps

    def lines(self) -> list[str]:
        """The report as an operator reads it; gaps last, one key a line."""
        lines = [
            f"raw objects: {self.stored} stored, {self.recorded} recorded",
            f"  became versions: {self.versions}",
            f"  duplicates: {sum(self.duplicates.values())} "
            f"{dict(sorted(self.duplicates.items()))}",
            f"  quarantined: {sum(self.quarantined.values())} "
            f"{dict(sorted(self.quarantined.items()))}",
            f"source failures (no raw object): {self.source_failures}",
            f"unaccounted: {len(self.gaps)}",
        ]
        lines += [f"  {key}: {why}" for key, why in sorted(self.gaps.items())]
        return lines


def reconcile(registry: ArticleRegistry, store: ObjectStore) -> ReconcileReport:
    """Check every raw object in the store and the registry against what became of it."""
    ledger = registry.raw_ledger()
    stored = {info.key for info in store.list(RAW_PREFIX)}
    recorded = {key for key in ledger.raw if key.startswith(RAW_PREFIX)}
    quarantine: dict[str, str] = {}
    source_failures = 0
    for ref, reason in ledger.quarantined.items():
        key = ref.split("#", 1)[0]
        if key in recorded or key in stored:
            quarantine.setdefault(key, reason)
        else:
            source_failures += 1
    report = ReconcileReport(
        stored=len(stored), recorded=len(recorded), source_failures=source_failures
    )
    for key in sorted(stored | recorded):
        if key not in recorded:
            report.gaps[key] = NOT_RECORDED
        elif key not in stored:
            report.gaps[key] = NOT_STORED
        elif key in ledger.versions:
            report.versions += 1
        elif key in ledger.duplicates:
            report.duplicates[ledger.duplicates[key]] += 1
        elif key in quarantine:
            report.quarantined[quarantine[key]] += 1
        else:
            report.gaps[key] = NO_OUTCOME
    return report
