"""Drop notifications from a queue: MinIO's Redis target (real Redis) and S3's SQS (moto).

moto cannot publish to Redis, so the Redis tests push what MinIO's Redis target pushes in
its ``access`` format: ``RPUSH <key> [{"Event": [<S3 event record>], "EventTime": ...}]``
(the shape of ``RedisAccessEvent`` in MinIO's ``internal/event/target/redis.go``, records as
MinIO's ``event.Event`` marshals them, keys URL-encoded). The SQS test lets moto's S3 send
its own notifications to moto's SQS.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import redis
from trigger_support import Running, ingest_pending, newsml, rebuilt, reconciled

from ingest.publish.objectstore import make_s3_client
from ingest.triggers.notify import (
    RedisDropTrigger,
    SQSDropTrigger,
    Unfinished,
    created_objects,
)

DROP = "s3://wire-drop/incoming/"


def record(key: str, *, bucket: str = "wire-drop", name: str = "s3:ObjectCreated:Put",
           at: datetime | None = None) -> dict[str, Any]:
    when = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "", "eventTime": when,
        "eventName": name, "userIdentity": {"principalId": "ingest"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"}, "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0", "configurationId": "Config",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "ingest"},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key), "size": 1930, "eTag": "0f3c", "sequencer": "1"},
        },
    }


def minio_message(*records: dict[str, Any]) -> str:
    return json.dumps([{"Event": list(records), "EventTime": records[0]["eventTime"]}])


def test_created_objects_reads_both_formats_and_keeps_only_the_drop() -> None:
    minio = minio_message(
        record("incoming/a b+c.xml"), record("incoming/gone.xml", name="s3:ObjectRemoved:Delete"),
        record("incoming/photo.jpg"), record("other/x.xml"),
        record("incoming/y.xml", bucket="another"))
    assert [c.key for c in created_objects(minio, DROP)] == ["a b+c.xml"]
    aws = record("incoming/sub/z.xml", name="ObjectCreated:CompleteMultipartUpload")
    found = created_objects(json.dumps({"Records": [aws]}), DROP)
    assert [c.key for c in found] == ["sub/z.xml"] and found[0].at is not None
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})
    assert created_objects(test_event, DROP) == []
    assert created_objects(b"{not json", DROP) == []
    assert created_objects(json.dumps([{"Event": [{"s3": {}}]}]), DROP) == []


@pytest.fixture
def redis_key(redis_url: str) -> Iterator[str]:
    key = f"ingest-test:drop-events:{uuid.uuid4().hex[:10]}"
    yield key
    client = redis.Redis.from_url(redis_url)
    client.delete(key, f"{key}:inflight")
    client.close()


def push(redis_url: str, key: str, *messages: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.rpush(key, *messages)
    client.close()


def lengths(redis_url: str, key: str) -> tuple[int, int]:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(key)), int(client.llen(f"{key}:inflight"))
    finally:
        client.close()


async def settled(check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait (the trigger running on) until ``check()`` holds: acknowledgements follow the
    event by a round trip, longer on a loaded machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(check):
        assert loop.time() < deadline, "not acknowledged in time"
        await asyncio.sleep(0.2)


def test_redis_holds_an_unsettled_object_then_fires_and_acknowledges(
    redis_url: str, redis_key: str,
) -> None:
    trigger = RedisDropTrigger(url=redis_url, key=redis_key, drop_url=DROP,
                               settle_seconds=1.5, block_seconds=1)

    async def scenario() -> dict[str, Any] | None:
        running = Running(trigger)
        try:
            await asyncio.sleep(0.3)
            began = time.monotonic()
            push(redis_url, redis_key, minio_message(record("incoming/one.xml")))
            assert await running.next(1.0) is None, "fired before the object was settled"
            event = await running.next(5.0)
            assert time.monotonic() - began >= 1.4
            await settled(lambda: lengths(redis_url, redis_key) == (0, 0))  # acknowledged
            return event
        finally:
            await running.stop()

    event = asyncio.run(scenario())
    assert event is not None and event["keys"] == ["one.xml"] and event["source"] == "drop-redis"


def test_redis_messages_held_by_a_stopped_trigger_fire_after_restart(
    redis_url: str, redis_key: str,
) -> None:
    trigger = RedisDropTrigger(url=redis_url, key=redis_key, drop_url=DROP,
                               settle_seconds=30, block_seconds=1)
    push(redis_url, redis_key, minio_message(record("incoming/held.xml")))

    async def stopped_while_settling() -> None:
        running = Running(trigger)
        await asyncio.sleep(1.0)  # received, moved in flight, waiting for the settle time
        await running.stop()

    asyncio.run(stopped_while_settling())
    assert lengths(redis_url, redis_key) == (0, 1)

    async def restarted() -> dict[str, Any] | None:
        again = rebuilt(trigger)
        again.settle_seconds = 0.0  # the clock moved on past the settle time
        running = Running(again)
        try:
            return await running.next(5.0)
        finally:
            await running.stop()

    event = asyncio.run(restarted())
    assert event is not None and event["keys"] == ["held.xml"]


def test_a_burst_of_a_thousand_notifications_is_covered(redis_url: str, redis_key: str) -> None:
    names = {f"burst/{i:04d}.xml" for i in range(1000)}
    push(redis_url, redis_key, *(minio_message(record(f"incoming/{name}")) for name in names))
    trigger = RedisDropTrigger(url=redis_url, key=redis_key, drop_url=DROP,
                               settle_seconds=0, max_messages=300, block_seconds=1)

    async def scenario() -> list[dict[str, Any]]:
        running = Running(trigger)
        try:
            return await running.keys_until(names, timeout=60.0)
        finally:
            await running.stop()

    events = asyncio.run(scenario())
    assert {key for event in events for key in event["keys"]} == names
    assert len(events) >= 4 and all(event["count"] <= 300 for event in events)


def test_sqs_notifications_from_s3_start_an_ingest_that_reconciles(
    ingest_env: Path, s3_bucket: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3

    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=f"drop-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    s3 = make_s3_client()
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={
        "QueueConfigurations": [{
            "QueueArn": arn["Attributes"]["QueueArn"], "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "wire/"}]}},
        }]})
    monkeypatch.setenv("INGEST_DROP_URL", f"s3://{s3_bucket}/wire/")
    monkeypatch.setenv("INGEST_DROP_NOTIFY", queue)
    names = {f"sqs-{i}.xml" for i in range(12)}
    for i, name in enumerate(sorted(names)):
        s3.put_object(Bucket=s3_bucket, Key=f"wire/{name}", Body=newsml(f"SQS-{i}"))
    s3.put_object(Bucket=s3_bucket, Key="other/skip.xml", Body=newsml("SQS-SKIP"))

    def left() -> dict[str, str]:
        answer = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
        return dict(answer["Attributes"])

    async def scenario() -> list[dict[str, Any]]:
        running = Running(SQSDropTrigger(block_seconds=1))
        try:
            events = await running.keys_until(names, timeout=30.0)
            await settled(lambda: not any(int(left()[name]) for name in (
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")))
            return events
        finally:
            await running.stop()

    events = asyncio.run(scenario())
    assert {key for event in events for key in event["keys"]} == names
    assert ingest_pending() == {"new": 12}
    report = reconciled()
    assert report.ok and report.versions == 12, report.lines()
    sqs.close()
    s3.close()


def test_a_key_is_named_again_until_taken_and_forgotten_after_keep() -> None:
    taken: set[str] = set()
    unfinished = Unfinished(taken.__contains__, refire=15, keep=100)
    unfinished.named(["a.xml", "b.xml"], now=0)
    assert unfinished.due(14.9) == []
    assert unfinished.due(15) == ["a.xml", "b.xml"]
    taken.add("a.xml")
    assert unfinished.due(29) == []  # named again at 15: not due before 30
    assert unfinished.due(30) == ["b.xml"]  # a.xml was taken: forgotten
    unfinished.named(["b.xml"], now=90)  # notified again: its clock starts over
    assert unfinished.due(100) == [] and unfinished.due(105) == ["b.xml"]
    assert unfinished.due(190) == []  # 100 s after its notification: the schedule has it


def test_a_notified_file_no_run_takes_is_named_again_and_then_no_more(
    ingest_env: Path, s3_bucket: str, redis_url: str, redis_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As when Airflow lets a run consume the event before it lists the file: nothing takes
    it, so the trigger names it again; once a run took it, never again."""
    monkeypatch.setenv("INGEST_DROP_URL", f"s3://{s3_bucket}/wire/")
    monkeypatch.setenv("INGEST_DROP_REFIRE_SECONDS", "1")
    make_s3_client().put_object(Bucket=s3_bucket, Key="wire/late.xml", Body=newsml("LATE-1"))
    push(redis_url, redis_key, minio_message(record("wire/late.xml", bucket=s3_bucket)))
    trigger = RedisDropTrigger(url=redis_url, key=redis_key, settle_seconds=0, block_seconds=1)

    async def scenario() -> tuple[list[Any], dict[str, int], Any]:
        running = Running(trigger)
        try:
            named = [await running.next(10.0), await running.next(10.0)]
            ingested = await asyncio.to_thread(ingest_pending)
            await running.next(3.0)  # at most one more, already due while the run ran
            return named, ingested, await running.next(4.0)
        finally:
            await running.stop()

    named, ingested, after = asyncio.run(scenario())
    assert [event and event["keys"] for event in named] == [["late.xml"], ["late.xml"]]
    assert ingested == {"new": 1}
    assert after is None
