"""Partner syndication: write new article versions, rebuild the feeds whose view changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import dag, get_current_context, task

from ingest.alerts import LatencyNotifier
from ingest.dag_defaults import ARTICLES, task_defaults

DOC = """
### partner_feeds
Runs whenever the `articles` Asset is updated (after `afp_ingest`, `web_ingest` or a
backfill with `publish=true`):
1. writes new article versions to `articles/<id>/v<version>.json` (conditional put, never
   overwritten; embargoed versions wait for their time) and moves `latest` pointers;
2. `partner_ids` picks the partners whose view may have changed since their last build
   (`ingest.rebuild`, each with its reason in the task log): a release their contract may
   take or of a story they were sent (kills, lifted embargoes included), an edited
   contract, pushes left failing, or no build for over an hour of run time;
3. one mapped task per partner picked builds its feeds from the registry, with that
   partner's filters and rights, kill notices included, replaces them atomically, pushes,
   and notes the build (registry cursor `feeds:<partner id>`).

**When it fails:** one partner's failure does not block the others; its task retries with
backoff. A build that failed is not noted, so the next run picks the partner again.
Check the task log (object store or push endpoint), fix, clear the task.
"""


@dag(
    schedule=[ARTICLES],
    start_date=datetime(2026, 11, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "publish"],
    doc_md=DOC,
    default_args=task_defaults(retries=3, retry_delay=timedelta(seconds=30)),
    on_success_callback=LatencyNotifier(),
)
def partner_feeds() -> None:
    # Writing the articles and choosing the partners are one task: each task costs a
    # process start, and every item waits for both before its partner's build.
    @task
    def publish_articles() -> list[str]:
        """Write due article versions, then name the partners to rebuild (the XCom)."""
        import logging

        from ingest.airflow_support import run_time, runtime
        from ingest.pipeline import partner_ids, publish_articles

        rt, now = runtime(), run_time(get_current_context())
        logging.getLogger(__name__).info("articles: %s", publish_articles(rt, now=now))
        return partner_ids(rt, now=now)

    @task(map_index_template="{{ task.op_kwargs['partner_id'] }}")
    def build_partner(partner_id: str) -> dict[str, Any]:
        from ingest.airflow_support import run_time, runtime
        from ingest.pipeline import publish_partner

        return publish_partner(runtime(), partner_id, now=run_time(get_current_context()))

    build_partner.expand(partner_id=publish_articles())


partner_feeds()
