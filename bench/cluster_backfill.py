"""archive_backfill on the local Celery cluster, with one and with two workers (issue 17).

    .venv/bin/python bench/cluster_backfill.py 20000 [--chunk-size 2500] [--workers 1,2]

Generates N NewsML-G2 items (``bench/backfill.py``'s template) in a folder, then for each
worker count starts ``deploy/cluster.py``'s cluster (API server, scheduler, DAG processor,
N Celery workers of concurrency 1, PostgreSQL registry, file object store), triggers
``archive_backfill`` on the folder through the REST API, waits for it, and stops the
cluster. Each ``load_chunks`` task parses on its own processes (one per core), as in
production. Printed per worker count:

- ``load s``: first ``load_chunks`` start to last end, from Airflow's task instances;
- ``items/s``: N over that span (the scaling figure);
- ``run s``: the whole DAG run, scheduling of ``plan`` and ``summarise`` included;
- ``tasks``: how many ``load_chunks`` each worker ran;

and the speed-up of each row over the first, beside the load average at its end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "deploy"), str(REPO / "bench")]

from backfill import generate  # noqa: E402  (bench/backfill.py: the same items)
from cluster import DEFAULT_POSTGRES, DEFAULT_REDIS, LocalCluster, wait_for  # noqa: E402

DAG = "archive_backfill"


def measure(archive: Path, items: int, workers: int, chunk_size: int) -> dict[str, Any]:
    cluster = LocalCluster(postgres_url=os.environ.get("INGEST_TEST_POSTGRES_URL",
                                                       DEFAULT_POSTGRES),
                           redis_url=os.environ.get("INGEST_TEST_REDIS_URL", DEFAULT_REDIS),
                           workers=workers)
    with cluster.running():
        wait_for(f"{DAG} to be parsed", lambda: cluster.get(f"/api/v2/dags/{DAG}").ok, 300)
        cluster.unpause(DAG)
        run_id = cluster.trigger(DAG, {"source": archive.as_uri(), "chunk_size": chunk_size,
                                       "backfill_id": f"bench-{workers}"})
        state = cluster.wait_for_run(DAG, run_id, timeout=3600)
        loads = cluster.query(
            "SELECT hostname, state, start_date, end_date FROM task_instance "
            "WHERE dag_id = :d AND run_id = :r AND task_id = 'load_chunks'", d=DAG, r=run_id)
        [run] = cluster.query("SELECT start_date, end_date FROM dag_run "
                              "WHERE dag_id = :d AND run_id = :r", d=DAG, r=run_id)
        [recorded] = cluster.query("SELECT count(*) AS n FROM versions",
                                   db=cluster.registry_db)
    if state != "success" or any(t["state"] != "success" for t in loads):
        raise SystemExit(f"{workers} worker(s): run {state}, tasks "
                         f"{sorted(t['state'] for t in loads)}; logs in {cluster.root}/logs")
    span = (max(t["end_date"] for t in loads) - min(t["start_date"] for t in loads))
    hosts: dict[str, int] = {}
    for task in loads:
        hosts[task["hostname"]] = hosts.get(task["hostname"], 0) + 1
    return {"workers": workers, "load_s": span.total_seconds(),
            "run_s": (run["end_date"] - run["start_date"]).total_seconds(),
            "items_s": items / span.total_seconds(), "tasks": hosts, "versions": recorded["n"],
            "load": os.getloadavg()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("items", type=int)
    parser.add_argument("--chunk-size", type=int, default=2500)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as work:
        archive = Path(work) / "archive"
        generate(archive, args.items)
        for workers in (int(w) for w in args.workers.split(",")):
            started = time.perf_counter()
            rows.append(measure(archive, args.items, workers, args.chunk_size))
            print(f"  {workers} worker(s): done in {time.perf_counter() - started:.0f} s "
                  f"(cluster start and stop included)", file=sys.stderr)
    print(f"N={args.items} chunk_size={args.chunk_size} ({os.cpu_count()} cores; registry "
          "PostgreSQL; load: 1-minute load average at the run's end)")
    print(f"{'workers':>7}  {'load s':>7}  {'items/s':>8}  {'speed-up':>8}  {'run s':>6}  "
          f"{'versions':>8}  {'load':>4}  tasks per worker")
    for row in rows:
        tasks = ", ".join(f"{host}: {n}" for host, n in sorted(row["tasks"].items()))
        print(f"{row['workers']:>7}  {row['load_s']:>7.1f}  {row['items_s']:>8.1f}  "
              f"{row['items_s'] / rows[0]['items_s']:>8.2f}  {row['run_s']:>6.1f}  "
              f"{row['versions']:>8}  {row['load']:>4.1f}  {tasks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
