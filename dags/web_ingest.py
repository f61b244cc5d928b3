"""Web pages in: the watch list's pages, sitemaps and republishers' feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import dag, get_current_context, task

from ingest.dag_defaults import ARTICLES, task_defaults

DOC = """
### web_ingest
Every 30 minutes: reads the watch list (`config/watchlist.yaml`, or `INGEST_WATCHLIST_FILE`),
expands sitemaps and republishers' RSS/Atom feeds into page URLs, fetches what is new or
changed (conditional GET), stores the raw bytes, extracts the article (boilerplate removed
and audited, credits and copyright moved into the rights fields) and updates the
`articles` Asset.

Fetching refuses private, loopback and link-local addresses unless the watch list's
`fetch.allow` names them; responses are size-capped and redirects limited.

**When it fails:** a page that cannot be fetched or parsed is quarantined with its reason
and the run goes on. A failed task means the registry or object store is unreachable:
check the task log, fix, clear the task. Reruns fetch only what changed.
"""


@dag(
    schedule=timedelta(minutes=30),
    start_date=datetime(2026, 11, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "web"],
    doc_md=DOC,
    default_args=task_defaults(retries=2, retry_delay=timedelta(minutes=2)),
)
def web_ingest() -> None:
    @task(outlets=[ARTICLES])
    def ingest_watchlist() -> dict[str, Any]:
        from ingest.airflow_support import run_time, runtime
        from ingest.pipeline import ingest_web, log_summary

        rt = runtime()
        rt.registry.upgrade()
        report = ingest_web(rt, now=run_time(get_current_context()))
        log_summary(report)
        return report.to_dict()

    ingest_watchlist()


web_ingest()
