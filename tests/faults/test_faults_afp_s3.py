"""AFP API faults (fake AFP server: 429, 503, expired token, malformed page) at the same
time as S3 faults (500 and resets on PUT): the window is ingested in full, published, and
every raw object is accounted for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_afp import FakeAFP, make_doc
from fault_proxy import FaultProxy
from fault_support import PARTNERS, bucket, contents

from ingest.pipeline import ingest_items
from ingest.publish.articles import publish_versions
from ingest.publish.feeds import build_partner_feeds
from ingest.reconcile import reconcile
from ingest.registry import open_registry
from ingest.sources.afp_api import AFPAPIClient, AFPAPIConfig, Secret, Timeouts
from ingest.sources.retry import RetryPolicy

START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DOCS = [make_doc(f"newsml.afp.com.20261127T0{8 + i // 60}{i % 60:02d}00Z.doc-k{i}",
                 f"2026-11-27T0{8 + i // 60}:{i % 60:02d}:00+00:00", lang=("en", "fr")[i % 2])
        for i in range(20)]


@pytest.fixture
def afp() -> Iterator[FakeAFP]:
    fake = FakeAFP(list(DOCS), faults={0: "503", 2: "429", 3: "expire", 5: "malformed"},
                   retry_after="0").start()
    yield fake
    fake.stop()


def test_afp_and_s3_faults_together_lose_nothing(
    afp: FakeAFP, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws: None
) -> None:
    config = AFPAPIConfig(
        base_url=afp.url, username=afp.username, password=Secret(afp.password),
        client_id=afp.client_id, client_secret=Secret(afp.client_secret), max_rows=4,
        timeouts=Timeouts(connect=2.0, read=2.0),
        retry=RetryPolicy(attempts=5, base=0.01, cap=0.05),
    )
    store = bucket(proxy.url, "afp-s3", monkeypatch)
    # one request in five: a 500, then a reset on its first retry
    proxy.script = lambda m, p, n: ("500", "reset")[n % 2] if m == "PUT" and n % 10 < 2 else None
    with open_registry(f"sqlite:///{tmp_path / 'afp.db'}") as registry, AFPAPIClient(
        config
    ) as client:
        report = ingest_items(client.fetch(START, END), registry=registry, store=store,
                              received_at=END)
        publish_versions(registry, store, END)
        for partner in PARTNERS:
            build_partner_feeds(registry, store, partner, END)
        assert report.raw_items == len(DOCS) and not report.quarantined
        assert report.results["new"] == len(DOCS)
        articles = [k for k in contents(store, ("articles/",)) if k.endswith("/v1.json")]
        assert len(articles) == len(DOCS)
        result = reconcile(registry, store)
        assert result.ok and result.versions == len(DOCS)
    assert {f for _, _, f in proxy.log} >= {"500", "reset", "ok"}
    assert {"503", "429", "expire", "malformed"} <= set(afp.faults.values())
    assert len(afp.search_calls()) > len(DOCS) // 4  # faulted searches were made again
