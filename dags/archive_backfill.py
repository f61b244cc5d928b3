"""Archive backfill: load a past archive (S3 prefix, folder or AFP API range), on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from ingest.dag_defaults import ARTICLES, task_defaults

DOC = """
### archive_backfill
Triggered by hand with Params (no schedule). Loads a past archive through the live pipeline:
1. `plan` lists the source **once** into a manifest beside the run in the object store
   (`backfill/<id>/manifest/00000.jsonl`, `chunk_size` objects per file; only chunk ranges
   go through XCom, at most `[core] max_map_length` of them: chunks are grouped if needed);
2. `load_chunks` (one mapped task per range) reads objects ahead on a small thread pool,
   parses them in one process per core and records them in order, saving a checkpoint in
   the registry every 50 objects;
3. `summarise` logs counts by result and quarantine reason;
4. `announce` updates the `articles` Asset (so `partner_feeds` runs) **only** if `publish`.

Params: `source` (`s3://bucket/prefix`, `file:///dir`, or `afp-api:` with both dates),
`date_from`/`date_to` (inclusive; an object's day is the first `YYYY/MM/DD` or `YYYY-MM-DD`
in its key, else its last-modified day), `format` (`auto` or a parser's format),
`chunk_size`, `reprocess` (parse items whose raw object is already known, e.g. after a rules
change: a version no partner can have seen takes the new normalisation, `renormalised`; one
that went out is immutable and stays, `conflict`), `publish` (default off:
versions are recorded unsyndicated and never reach `articles/` or partner feeds, so an
archive load does not flood partners with old stories), `dry_run` (list and count, write
nothing), `backfill_id` (default: derived from the other Params).

**When it fails:** bad items never fail a task; they are quarantined with a reason and
counted in `summarise`. A failed task is an infrastructure problem (registry, object store,
AFP API): fix it and clear the task; it resumes at its last checkpoint. Triggering again
with the same Params reuses the listing and checkpoints and writes nothing new; set a new
`backfill_id` to list the source again (e.g. files were added).

A past window of the live AFP feed is a backfill of `afp_ingest` instead, by Airflow itself:
`airflow backfill create --dag-id afp_ingest --from-date 2026-11-01 --to-date 2026-11-02`
(add `--reprocess-behavior completed` to rerun windows that already ran, `--dry-run` to see
the runs first). Without Airflow: `ingest backfill SOURCE [--from D] [--to D] ...`.
"""


@dag(
    schedule=None,
    start_date=datetime(2026, 11, 1, tzinfo=UTC),
    catchup=False,
    tags=["ingest", "backfill"],
    doc_md=DOC,
    params={
        "source": Param("file:///srv/archive", type="string",
                        description="s3://bucket/prefix, file:///dir or afp-api:"),
        "date_from": Param(None, type=["null", "string"], format="date"),
        "date_to": Param(None, type=["null", "string"], format="date"),
        "format": Param("auto", type="string",
                        enum=["auto", "newsml-g2", "afp-newsml12", "afp-api", "html", "text"]),
        "chunk_size": Param(500, type="integer", minimum=1),
        "reprocess": Param(False, type="boolean"),
        "publish": Param(False, type="boolean"),
        "dry_run": Param(False, type="boolean"),
        "backfill_id": Param(None, type=["null", "string"]),
    },
    default_args=task_defaults(retries=3, retry_delay=timedelta(seconds=30)),
)
def archive_backfill() -> None:
    @task
    def plan() -> list[list[int]]:
        from airflow.configuration import conf

        from ingest.airflow_support import run_time, runtime
        from ingest.backfill import chunk_groups, plan_backfill, request_from_params

        context = get_current_context()
        params = context["params"]
        rt = runtime()
        rt.registry.upgrade()
        listed = plan_backfill(rt.store, request_from_params(params), now=run_time(context),
                               dry_run=params["dry_run"])
        if params["dry_run"]:
            return []
        return chunk_groups(listed.chunks, conf.getint("core", "max_map_length"))

    @task(map_index_template="{{ task.op_kwargs['chunks'] }}")
    def load_chunks(chunks: list[int]) -> dict[str, Any]:
        from ingest.airflow_support import afp_api_config, runtime
        from ingest.backfill import ChunkOptions, load_plan, request_from_params, run_chunk
        from ingest.pipeline import IngestReport

        rt = runtime()
        request = request_from_params(get_current_context()["params"])
        listed = load_plan(rt.store, request.backfill_id)
        if listed is None:
            raise RuntimeError(f"backfill {request.backfill_id}: no plan.json; rerun `plan`")
        afp = afp_api_config()
        options = ChunkOptions(max_item_bytes=rt.settings.max_item_bytes, afp_config=afp,
                               afp_budget=rt.afp_budget(afp) if afp else None)
        total = IngestReport()
        for chunk in range(*chunks):
            total.merge(run_chunk(rt.registry, rt.store, listed, chunk, options))
        return total.to_dict()

    @task(trigger_rule="none_failed")
    def summarise(reports: list[dict[str, Any]]) -> dict[str, Any]:
        from ingest.pipeline import IngestReport, log_summary

        total = IngestReport()
        for report in reports:
            total.merge(IngestReport.from_dict(report))
        log_summary(total)
        return total.to_dict()

    @task(outlets=[ARTICLES])
    def announce() -> None:
        """Emit the Asset only for a published backfill: a skipped task emits nothing."""
        from airflow.sdk.exceptions import AirflowSkipException

        params = get_current_context()["params"]
        if params["dry_run"] or not params["publish"]:
            raise AirflowSkipException("publish is off: partners' feeds are left alone")

    summarise(load_chunks.expand(chunks=plan())) >> announce()


archive_backfill()
