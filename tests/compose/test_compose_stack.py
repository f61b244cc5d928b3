"""docker-compose.yml started for real (deploy/compose/stack.py): every service healthy,
afp_ingest triggered over the REST API on the samples dropped into the S3 prefix,
partner_feeds writing the feeds into the bucket, tasks on both Celery workers, and a worker
killed in the middle of a mapped run without losing an item.

Slow (minutes; the first build more) and it needs a running Docker daemon, so it runs only
from ``make test-compose``, which sets ``INGEST_COMPOSE_TEST=1``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
# Items made from samples/afp-g2-wind-farm-v1.xml with their own guid: 1,200 of them are
# six chunks of ingest_drop_chunk's 200, more than the two workers' four task slots, so a
# worker is killed with a chunk running and another one taken.
BULK_ITEMS = 1200
BULK_PREFIX = "bulk/"
GUID = re.compile(rb'guid="urn:newsml:afp.com:([^":]+):doc-[^"]+"')

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("INGEST_COMPOSE_TEST") != "1",
                       reason="the compose stack runs only via `make test-compose`"),
]


def _load_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compose_stack", REPO / "deploy" / "compose" / "stack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["compose_stack"] = module
    spec.loader.exec_module(module)
    return module


def _s3(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="ingest", aws_secret_access_key="ingest-secret")


def _keys(client: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def _bulk(template: bytes, n: int) -> bytes:
    """The template with a guid of its own: a new story, not a version of the sample's."""
    return GUID.sub(rb'guid="urn:newsml:afp.com:\1:doc-compose%07d"' % n, template, count=1)


def _show(stack: Any, tis: list[dict[str, Any]]) -> list[str]:
    hosts = stack.workers()
    lines = [f"{ti['dag_id']:14} {ti['task_id']:22} {ti['map_index']:>3} {ti['state']:8} "
             f"try {ti['try_number']} on {hosts.get(ti['hostname'], ti['hostname'])}"
             for ti in tis]
    print("\n".join(lines))
    return lines


def _first_round(stack: Any, s3: Any) -> dict[str, Any]:
    """The samples into the drop prefix, afp_ingest over the REST API, partner_feeds after."""
    for path in sorted(SAMPLES.iterdir()):
        if path.is_file() and not path.name.startswith("README"):
            s3.put_object(Bucket="ingest-drop", Key=path.name, Body=path.read_bytes())
    stack.unpause("partner_feeds")
    run_id = stack.trigger("afp_ingest")
    stack.unpause("afp_ingest")
    state = stack.wait_for_run("afp_ingest", run_id, 600)
    runs = stack.wait_for_quiet(600)
    feeds = [r for r in runs if r["dag_id"] == "partner_feeds"
             and r["run_type"] == "asset_triggered"]
    tis = [ti for r in runs for ti in stack.task_instances(r["dag_id"], r["dag_run_id"])]
    print(f"afp_ingest {run_id}: {state}; partner_feeds: {[r['state'] for r in feeds]}")
    _show(stack, tis)
    feed_keys = _keys(s3, "ingest", "feeds/")
    print("feeds in s3://ingest/:", *feed_keys, sep="\n  ")
    return {"afp_state": state, "feeds_states": [r["state"] for r in feeds],
            "task_instances": tis, "workers": sorted(stack.workers().values()),
            "feed_keys": feed_keys,
            "rss": s3.get_object(Bucket="ingest", Key="feeds/demo-news/rss.xml")["Body"].read()
            if "feeds/demo-news/rss.xml" in feed_keys else b""}


def _kill_round(stack: Any, s3: Any, wait_for: Any) -> dict[str, Any]:
    """1,200 more items, afp_ingest again, one worker killed while it runs a mapped chunk."""
    template = (SAMPLES / "afp-g2-wind-farm-v1.xml").read_bytes()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.put_object(
            Bucket="ingest-drop", Key=f"{BULK_PREFIX}story-{n:05d}.xml", Body=_bulk(template, n)),
            range(BULK_ITEMS)))
    stack.trigger("afp_ingest")

    # A scheduled run may take the files before the triggered one: whichever run has them.
    def running_chunk() -> dict[str, Any] | None:
        active = [r["dag_run_id"] for r in stack.runs("afp_ingest") if r["state"] == "running"]
        return next((ti for run_id in active for ti in stack.task_instances("afp_ingest", run_id)
                     if ti["task_id"] == "ingest_drop_chunk" and ti["state"] == "running"
                     and ti["hostname"]), None)

    victim_ti = wait_for("a chunk running on a worker", running_chunk, 600, every=0.5)
    victim = stack.workers()[victim_ti["hostname"]]
    stack.kill(victim)
    killed_at = time.monotonic()
    print(f"killed {victim} while it ran ingest_drop_chunk[{victim_ti['map_index']}]")
    run_id = victim_ti["dag_run_id"]
    state = stack.wait_for_run("afp_ingest", run_id, 900)
    print(f"afp_ingest {run_id}: {state}, {time.monotonic() - killed_at:.0f}s after the kill")
    tis = stack.task_instances("afp_ingest", run_id)
    _show(stack, tis)
    chunks = [ti for ti in tis if ti["task_id"] == "ingest_drop_chunk"]
    retried = {ti["map_index"]: [(t["try_number"], t["state"], t["hostname"])
                                 for t in stack.tries(ti)]
               for ti in chunks if ti["try_number"] > 1}
    print("retried chunks (try, state, host):", retried)
    # Watchers may have split the upload over several runs: reconcile once all are done.
    stack.wait_for_quiet(900)
    survivor = next(name for name in stack.workers().values() if name != victim)
    reconcile = stack.reconcile(survivor)
    print(f"ingest reconcile (rc {reconcile.returncode}):\n{reconcile.stdout}{reconcile.stderr}")
    return {"state": state, "victim": victim, "chunks": len(chunks),
            "retried": retried,
            "victim_hostname": victim_ti["hostname"], "reconcile": reconcile,
            "raw": len(_keys(s3, "ingest", "raw/"))}


@pytest.fixture(scope="module")
def outcome() -> Iterator[dict[str, Any]]:
    """One life of the stack: build, start, both rounds, stop (always, also on failure)."""
    module = _load_stack()
    started = time.monotonic()
    stack = module.ComposeStack(module.build_images())
    built = time.monotonic()
    with stack.running():
        print(f"images ready in {built - started:.0f}s, "
              f"stack healthy {time.monotonic() - built:.0f}s later")
        s3 = _s3(stack.s3_endpoint)
        first = _first_round(stack, s3)
        second = _kill_round(stack, s3, module.wait_for)
    left = stack.compose("ps", "-q").stdout.split()
    print(json.dumps({"seconds": round(time.monotonic() - started)}, indent=1))
    yield {**first, "kill": second, "left": left}


def test_afp_ingest_then_partner_feeds_succeed(outcome: dict[str, Any]) -> None:
    assert outcome["afp_state"] == "success"
    assert outcome["feeds_states"] and set(outcome["feeds_states"]) == {"success"}


def test_tasks_ran_on_both_workers(outcome: dict[str, Any]) -> None:
    ran_on = {ti["hostname"] for ti in outcome["task_instances"] if ti["hostname"]}
    assert len(ran_on) == 2, ran_on
    ran = {(ti["dag_id"], ti["task_id"]) for ti in outcome["task_instances"]}
    assert ("afp_ingest", "ingest_drop_chunk") in ran
    assert ("partner_feeds", "build_partner") in ran


def test_the_feeds_are_in_the_bucket(outcome: dict[str, Any]) -> None:
    import feedparser

    assert "feeds/demo-news/rss.xml" in outcome["feed_keys"]
    feed = feedparser.parse(outcome["rss"])
    assert not feed.bozo and feed.entries
    assert any("wind farm" in entry.title.lower() for entry in feed.entries)


def test_a_killed_worker_loses_nothing(outcome: dict[str, Any]) -> None:
    kill = outcome["kill"]
    assert kill["state"] == "success"
    # A mapped run: the upload's chunks of 200, all of them or, when a watcher fired while
    # the files were still landing, those that had settled (the rest go to later runs).
    assert 1 <= kill["chunks"] <= BULK_ITEMS // 200
    # The chunk the worker was killed in failed there and was retried on the other worker;
    # the ones it had taken but not started were queued again (no try of theirs ran there).
    victim = kill["victim_hostname"]
    assert any(tries[0][1:] == ("failed", victim) for tries in kill["retried"].values())
    for tries in kill["retried"].values():
        assert all(state != "success" for _, state, _ in tries[:-1]), tries
        assert tries[-1][1] == "success" and tries[-1][2] != victim, tries
    assert kill["reconcile"].returncode == 0, kill["reconcile"].stdout
    assert "unaccounted: 0" in kill["reconcile"].stdout
    # Every bulk item's raw bytes are kept once (their bytes differ), beside the samples'.
    assert kill["raw"] >= BULK_ITEMS
    assert f"raw objects: {kill['raw']} stored" in kill["reconcile"].stdout


def test_the_stack_is_gone_afterwards(outcome: dict[str, Any]) -> None:
    assert outcome["left"] == []
