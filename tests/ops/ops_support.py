"""Shared by the ops tests: demo data the way ``make demo`` makes it, and a warning filter.

The demo data: the repo's samples dropped, ingested, published.

Two runs, so feeds carry a kill notice: first every sample but the kill (ingested at
``first``, articles and partner feeds published), then the kill dropped in and ingested
and published at ``second``.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from ingest.config import Settings
from ingest.pipeline import IngestReport, ingest_items, publish_articles
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.partners import load_partners
from ingest.runtime import Runtime
from ingest.sources.drop import DropFolderSource

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
KILL = "afp-g2-wind-farm-v4-kill.xml"
KILLED_URI = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
BROKEN = "broken-truncated.xml"

FIRST = datetime(2026, 11, 27, 9, 5, tzinfo=UTC)  # the first demo run
SECOND = datetime(2026, 11, 27, 10, 5, tzinfo=UTC)  # the run that brings the kill
NOW = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)  # when the operator looks

# Airflow's API server imports ``fastapi.testclient`` (through svcs), which warns that httpx
# should be httpx2; not ours to fix, and harmless here.
STARLETTE_HTTPX = "ignore:Using `httpx` with `starlette.testclient` is deprecated"


def settings_env(home: Path, registry_url: str | None = None) -> dict[str, str]:
    """The ``INGEST_*`` variables of a demo home (the drop folder inside it)."""
    env = {
        "INGEST_HOME": str(home),
        "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_DROP_URL": (home / "drop").as_uri(),
    }
    return {**env, "INGEST_REGISTRY_URL": registry_url} if registry_url else env


def fill(
    home: Path, first: datetime, second: datetime, *, registry_url: str | None = None
) -> tuple[Runtime, list[IngestReport]]:
    """Two ingest-and-publish runs into ``home``; returns the runtime and each run's report."""
    drop = home / "drop"
    drop.mkdir(parents=True)
    for sample in sorted(SAMPLES.iterdir()):
        if sample.name != KILL:
            shutil.copy(sample, drop / sample.name)
    rt = Runtime(Settings.from_env(settings_env(home, registry_url)))
    rt.registry.upgrade()
    reports = [_run(rt, first)]
    shutil.copy(SAMPLES / KILL, drop / KILL)
    reports.append(_run(rt, second))
    return rt, reports


def _run(rt: Runtime, at: datetime) -> IngestReport:
    # The drop folder's settle check compares file times with the real clock; the
    # registry and feeds see the run's own instant, as a DAG run's data interval end.
    source = DropFolderSource(
        rt.settings.drop_url, cursors=rt.registry, now=datetime.now(UTC), settle_seconds=0
    )
    report = ingest_items(source.fetch(), registry=rt.registry, store=rt.store, received_at=at)
    publish_articles(rt, now=at)
    for partner in load_partners(rt.settings.partners_file):
        build_partner_feeds(rt.registry, rt.store, partner, at)
    return report
