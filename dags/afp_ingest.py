"""AFP wire copy in: the drop folder (or S3 prefix) and, when configured, AFP API Core.

Runs when a wire event arrives (``ingest.triggers``) or every 10 minutes, whichever first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import (
    AssetOrTimeSchedule,
    DeltaDataIntervalTimetable,
    dag,
    get_current_context,
    task,
)

from ingest.alerts import IdleSourcesNotifier
from ingest.dag_defaults import ARTICLES, task_defaults
from ingest.triggers.watchers import wire_events

DOC = """
### afp_ingest
When the `wire_events` Asset is updated (a settled file in the drop folder, its bucket's
notification, or new AFP API documents: `ingest.triggers`, run by the triggerer), and
every 10 minutes as the safety net, for the data interval of the run:
1. lists new files in the drop folder (`INGEST_DROP_URL`, `file://` or `s3://`), in chunks;
2. ingests each chunk (raw bytes stored first, then parsed, validated and recorded):
   alerts, urgency 1-2 and kills first, written to `articles/` and pushed at once
   (`ingest.urgent_lane`), then the rest; a file is done once all of it is recorded;
3. pulls the AFP API Core window (pool `afp_api`), when `afp_default` or `INGEST_AFP_*` is set,
   urgent items first in the same way;
4. updates the `articles` Asset from each chunk and the API window as each ends, each with
   its own counts: `partner_feeds` starts on the first and takes the events that arrive
   while it runs in its next run (`max_active_runs=1`). No task follows them: a run ends
   as its last chunk does, and the next event's run (`max_active_runs=1`) starts then.

**When it fails:** bad items never fail a task; they are quarantined with a reason
(`ingest status`, the ops view). A failed task is an infrastructure problem (registry,
object store, AFP API): check the task log, fix, and clear the task; reruns are idempotent.
Backfill a past window with `airflow backfill create --dag-id afp_ingest --from-date … --to-date …`.
"""


SCHEDULE = timedelta(minutes=10)


def announce(report: dict[str, Any]) -> dict[str, Any]:
    """Put what a task recorded on its ``articles`` Asset event (the ``extra`` partner_feeds
    reads), and return the report for XCom."""
    get_current_context()["outlet_events"][ARTICLES].extra = {
        "raw_new": report["raw_new"], "versions": report["results"]}
    return report


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=DeltaDataIntervalTimetable(SCHEDULE), assets=[wire_events()]),
    start_date=datetime(2026, 11, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["ingest", "afp"],
    doc_md=DOC,
    default_args=task_defaults(retries=2, retry_delay=timedelta(minutes=1)),
    on_success_callback=IdleSourcesNotifier(),
)
def afp_ingest() -> None:
    # The schema check and the listing are one task: each task costs a process start, and
    # an alert waits for every one before its chunk.
    @task
    def list_drop_chunks(chunk_size: int = 200) -> list[list[list[str]]]:
        from ingest.airflow_support import runtime
        from ingest.pipeline import list_drop_chunks
        from ingest.triggers.watchers import listing_time

        rt = runtime()
        rt.registry.upgrade()
        return list_drop_chunks(rt, now=listing_time(get_current_context()),
                                chunk_size=chunk_size)

    # Each map index updates the Asset as it ends: partner_feeds need not wait for the run.
    @task(outlets=[ARTICLES], map_index_template="{{ task.op_kwargs['files'][0][0] }}")
    def ingest_drop_chunk(files: list[list[str]]) -> dict[str, Any]:
        from ingest.airflow_support import run_time, runtime
        from ingest.pipeline import ingest_drop_files

        now = run_time(get_current_context())
        return announce(ingest_drop_files(runtime(), files, now=now).to_dict())

    @task(pool="afp_api", outlets=[ARTICLES])
    def ingest_afp_api_window() -> dict[str, Any]:
        from ingest.airflow_support import afp_api_config, data_window, runtime
        from ingest.pipeline import IngestReport, ingest_afp_window

        config = afp_api_config()
        if config is None:
            return announce(IngestReport().to_dict())
        start, end = data_window(get_current_context(), default=SCHEDULE)
        return announce(ingest_afp_window(runtime(), config, start=start, end=end).to_dict())

    chunks = list_drop_chunks()
    ingest_drop_chunk.expand(files=chunks)
    chunks >> ingest_afp_api_window()


afp_ingest()
