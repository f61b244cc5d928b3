"""S3 faults between ingest and a real S3 server (moto over HTTP), through a fault proxy.

500s, 503 SlowDown, connection resets and read timeouts are retried by botocore's
standard mode (1 + 5 retries a call), and the publication ends exactly like a
fault-free one. A publication cut off half-way (every PUT after the N-th fails) leaves
each feed either its old bytes or a complete new render, never half of one, and a rerun
converges to the fault-free result. Every test ends with ``reconcile``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from fault_proxy import FaultProxy, Script
from fault_support import NOW, bucket, contents, publish_all, reference, wire
from published_checks import check_store

from ingest.pipeline import ingest_items
from ingest.publish.objectstore import S3ObjectStore
from ingest.reconcile import reconcile
from ingest.registry import open_registry


def every_nth(fate: str, method: str, period: int) -> Script:
    return lambda m, path, n: fate if m == method and n % period == 0 else None


@pytest.mark.parametrize(
    ("fate", "method"),
    [("500", "PUT"), ("503", "PUT"), ("reset", "PUT"), ("503", "GET")],
)
def test_transient_s3_errors_are_retried_and_publication_completes(
    fate: str, method: str, proxy: FaultProxy, s3_endpoint: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, aws: None,
) -> None:
    items = wire(0, 6)
    expected = reference(s3_endpoint, tmp_path, items, f"ref-{fate}-{method.lower()}", monkeypatch)
    store = bucket(proxy.url, f"flaky-{fate}-{method.lower()}", monkeypatch)
    proxy.script = every_nth(fate, method, 3)
    with open_registry(f"sqlite:///{tmp_path / 'flaky.db'}") as registry:
        ingest_items(items, registry=registry, store=store, received_at=NOW)
        publish_all(registry, store, NOW)
        assert contents(store) == expected  # read back through the faults too
        assert reconcile(registry, store).ok
    proxy.script = lambda *_: None
    faulted = [(m, p) for m, p, f in proxy.log if f == fate]
    assert len(faulted) >= 5
    for m, p in faulted:  # each faulted call was made again, and got through
        assert (m, p, "ok") in proxy.log
    assert check_store(store) == {}


def test_read_timeouts_are_retried_within_the_standard_mode_budget(
    proxy: FaultProxy, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, aws: None
) -> None:
    """Same retry config as ``make_s3_client`` but a 1 s read timeout, so a stall is quick."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    client = boto3.client("s3", config=Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=1,
        s3={"addressing_style": "path"},
    ))
    client.create_bucket(Bucket="stall")
    store = S3ObjectStore("stall", client=client)
    proxy.stall_seconds = 2.5
    stalls = iter([True, True])  # the first two PUTs stall past the read timeout
    proxy.script = lambda m, p, n: "stall" if m == "PUT" and next(stalls, False) else None
    store.put("feeds/x/rss.xml", b"<rss/>")
    assert store.get("feeds/x/rss.xml") == b"<rss/>"
    puts = [f for m, p, f in proxy.log if m == "PUT" and p.endswith("rss.xml")]
    assert puts == ["stall", "stall", "ok"]
    # a call that keeps failing stops: retries={"max_attempts": 5} is botocore's count of
    # retries, so 1 + 5 = 6 attempts (``total_max_attempts`` would count the first one)
    proxy.script = lambda m, p, n: "503" if m == "PUT" else None
    before = len(proxy.log)
    with pytest.raises(client.exceptions.ClientError):
        store.put("feeds/x/atom.xml", b"<feed/>")
    puts = [f for m, p, f in proxy.log[before:] if m == "PUT" and p.endswith("atom.xml")]
    assert puts == ["503"] * 6


def test_publication_cut_off_half_way_keeps_old_feeds_and_converges_on_rerun(
    proxy: FaultProxy, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    aws: None,
) -> None:
    first, second = wire(0, 6), wire(6, 6)
    later = NOW + timedelta(hours=1)
    store = bucket(proxy.url, "cutoff", monkeypatch)
    with open_registry(f"sqlite:///{tmp_path / 'cut.db'}") as registry:
        ingest_items(first, registry=registry, store=store, received_at=NOW)
        publish_all(registry, store, NOW)
        old = contents(store, ("feeds/",))
        ingest_items(second, registry=registry, store=store, received_at=later)
        puts = [0]

        def cut(method: str, path: str, number: int) -> str | None:
            if method != "PUT" or "/feeds/" not in path:
                return None
            puts[0] += 1
            return "500" if puts[0] > 3 else None  # the 4th feed PUT on fail for good

        proxy.script = cut
        with pytest.raises(Exception, match="InternalError"):
            publish_all(registry, store, later)
        proxy.script = lambda *_: None
        mid = contents(store, ("feeds/",))
        changed = [k for k in old if mid[k] != old[k]]
        assert 0 < len(changed) < len(old)  # really half-way
        assert check_store(store) == {}  # every feed visible is a complete, valid document
        publish_all(registry, store, later)
        final = contents(store)
        assert all(mid[k] == final[k] for k in changed)  # what got through was the full render
        assert reconcile(registry, store).ok
    ref = bucket(s3_endpoint, "cut-ref", monkeypatch)  # the same two batches, fault-free
    with open_registry(f"sqlite:///{tmp_path / 'cut-ref.db'}") as registry:
        ingest_items(first, registry=registry, store=ref, received_at=NOW)
        publish_all(registry, ref, NOW)
        ingest_items(second, registry=registry, store=ref, received_at=later)
        publish_all(registry, ref, later)
    assert final == contents(ref)
