"""The drop-folder trigger's run() in asyncio, on a real temp folder, registry and store.

Each scenario is then ingested the way the run an event starts does (``ingest_pending``)
and checked with ``reconcile``: events may repeat, files may not be lost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from trigger_support import Running, ingest_pending, newsml, rebuilt, reconciled

from ingest.config import Settings
from ingest.pipeline import ingest_drop_files, list_drop_chunks
from ingest.publish.objectstore import make_s3_client, open_store
from ingest.runtime import Runtime
from ingest.triggers.drop import DropFolderTrigger, DropWatch

POLL = 0.2


def story(item_id: str) -> str:
    return f"urn:newsml:afp.com:20261127T061502Z:{item_id}"


def test_a_file_being_written_fires_only_once_settled(ingest_env: Path) -> None:
    async def scenario() -> None:
        running = Running(DropFolderTrigger(poll_seconds=POLL, settle_seconds=3.0))
        try:
            (ingest_env / "b.xml.part").write_bytes(newsml("B-1"))  # a writer's name: never
            growing = ingest_env / "a.xml"
            data = newsml("A-1")
            began = time.monotonic()
            for part in range(8):  # written in pieces over 2 s: its shape keeps changing
                with growing.open("ab") as handle:
                    handle.write(data[part * len(data) // 8:(part + 1) * len(data) // 8])
                assert await running.next(0.25) is None, "fired while the file was written"
            event = await running.next(10.0)
            assert event is not None and event["keys"] == ["a.xml"]
            assert time.monotonic() - began >= 1.75 + 3.0  # the last write + settle time
            assert await running.next(1.0) is None, "fired twice for one shape of a file"
        finally:
            await running.stop()

    asyncio.run(scenario())
    assert ingest_pending() == {"new": 1}


def test_a_double_delivery_records_one_version(ingest_env: Path) -> None:
    """Two triggers (the second a restart) both fire for a file no run has taken yet; the
    two runs and a re-take of the same file leave one version and nothing unaccounted."""
    (ingest_env / "one.xml").write_bytes(newsml("DOUBLE-1"))
    first = DropFolderTrigger(poll_seconds=POLL)

    async def fire(trigger: DropFolderTrigger) -> list[str]:
        running = Running(trigger)
        try:
            event = await running.next(10.0)
            assert event is not None
            return list(event["keys"])
        finally:
            await running.stop()

    assert asyncio.run(fire(first)) == ["one.xml"]
    assert asyncio.run(fire(rebuilt(first))) == ["one.xml"]  # delivered again
    with Runtime(Settings.from_env()) as rt:  # the file as the first run lists it
        rt.registry.upgrade()
        listed = list_drop_chunks(rt, now=datetime.now(UTC), chunk_size=10)
    assert ingest_pending() == {"new": 1}
    assert ingest_pending() == {}  # the second event's run: the file is done
    with Runtime(Settings.from_env()) as rt:  # a run that takes the same listing again
        again = ingest_drop_files(rt, listed[0], now=datetime.now(UTC))
        assert dict(again.results) == {"duplicate": 1}
        row = rt.registry.latest(story("DOUBLE-1"))
        assert row is not None and row.article.version == 1
    report = reconciled()
    assert report.ok and report.versions == 1, report.lines()


def test_a_burst_of_a_thousand_files_is_covered_and_reconciles(ingest_env: Path) -> None:
    names = {f"burst/{i:04d}.xml" for i in range(1000)}
    (ingest_env / "burst").mkdir()

    async def scenario() -> list[dict[str, Any]]:
        running = Running(DropFolderTrigger(poll_seconds=0.5, settle_seconds=1.0, max_keys=400))
        try:
            began = time.monotonic()
            for i in range(1000):
                (ingest_env / f"burst/{i:04d}.xml").write_bytes(newsml(f"BURST-{i:04d}"))
            written = time.monotonic() - began
            events = await running.keys_until(names, timeout=120.0)
            print(f"1000 files written in {written:.2f}s, covered by {len(events)} events")
            return events
        finally:
            await running.stop()

    events = asyncio.run(scenario())
    covered = [key for event in events for key in event["keys"]]
    assert set(covered) == names
    assert all(event["count"] <= 400 for event in events)
    assert ingest_pending() == {"new": 1000}
    report = reconciled()
    assert report.ok and report.versions == 1000, report.lines()[:8]


def test_a_restarted_trigger_fires_for_what_it_had_not_and_loses_nothing(
    ingest_env: Path,
) -> None:
    for i in range(3):
        (ingest_env / f"early-{i}.xml").write_bytes(newsml(f"EARLY-{i}"))
    before = DropFolderTrigger(poll_seconds=POLL)

    async def until(trigger: DropFolderTrigger, wanted: set[str]) -> set[str]:
        running = Running(trigger)
        try:
            events = await running.keys_until(wanted, timeout=15.0)
            await asyncio.sleep(3 * POLL)  # more polls: nothing else may fire
            assert await running.next(0.1) is None
            return {key for event in events for key in event["keys"]}
        finally:
            await running.stop()

    early = {f"early-{i}.xml" for i in range(3)}
    assert asyncio.run(until(before, early)) == early
    assert ingest_pending() == {"new": 3}  # the run of those events
    # While the triggerer is down: two files land, one lands and is half taken (no run yet).
    late = {f"late-{i}.xml" for i in range(2)}
    for i, name in enumerate(sorted(late)):
        (ingest_env / name).write_bytes(newsml(f"LATE-{i}"))
    after = rebuilt(before)
    assert asyncio.run(until(after, late)) == late  # done files do not fire again
    assert ingest_pending() == {"new": 2}
    report = reconciled()
    assert report.ok and report.versions == 5, report.lines()


def test_an_s3_drop_prefix_is_polled_too(
    ingest_env: Path, s3_bucket: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INGEST_DROP_URL", f"s3://{s3_bucket}/wire/")
    client = make_s3_client()
    client.put_object(Bucket=s3_bucket, Key="wire/s3-1.xml", Body=newsml("S3-1"))
    client.put_object(Bucket=s3_bucket, Key="elsewhere/s3-2.xml", Body=newsml("S3-2"))

    async def scenario() -> dict[str, Any] | None:
        running = Running(DropFolderTrigger(poll_seconds=POLL))
        try:
            return await running.next(15.0)
        finally:
            await running.stop()

    event = asyncio.run(scenario())
    assert event is not None and event["keys"] == ["s3-1.xml"]
    assert event["url"] == f"s3://{s3_bucket}/wire/"
    assert ingest_pending() == {"new": 1}


def test_a_store_outage_does_not_end_the_watch(
    ingest_env: Path, s3_env: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = f"late-{uuid.uuid4().hex[:8]}"  # does not exist yet: every listing fails
    monkeypatch.setenv("INGEST_DROP_URL", f"s3://{bucket}/")

    async def scenario() -> dict[str, Any] | None:
        running = Running(DropFolderTrigger(poll_seconds=POLL))
        try:
            assert await running.next(1.5) is None  # polls failing, the trigger alive
            client = make_s3_client()
            client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="after.xml", Body=newsml("AFTER-1"))
            return await running.next(15.0)
        finally:
            await running.stop()

    event = asyncio.run(scenario())
    assert event is not None and event["keys"] == ["after.xml"]


def test_a_file_no_run_took_is_named_again_until_one_does(ingest_env: Path) -> None:
    """Airflow can let a run consume the queue row an event made while another run was
    going, and list before the file: the event is spent and the file waits. The watch
    names a ready file that is still not done again ``refire`` seconds after it last did
    (polled here at set instants, with the real folder and registry)."""
    (ingest_env / "late.xml").write_bytes(newsml("LATE-1"))
    start = datetime.now(UTC) + timedelta(seconds=1)
    with Runtime(Settings.from_env()) as rt:
        rt.registry.upgrade()
        watch = DropWatch(open_store(ingest_env.as_uri()), rt.registry, 0, refire_seconds=15)
        assert watch.poll(start) == ["late.xml"]
        assert watch.poll(start + timedelta(seconds=14)) == []  # its event may yet be taken
        assert watch.poll(start + timedelta(seconds=15)) == ["late.xml"]  # not taken: again
        assert watch.poll(start + timedelta(seconds=16)) == []
        assert ingest_pending() == {"new": 1}  # a run takes it
        assert watch.poll(start + timedelta(seconds=60)) == []  # done: never named again
