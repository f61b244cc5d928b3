"""What the fault tests share: generated wire traffic, a full publication, bucket helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from wire_items import api_doc, api_page, g2

from ingest.pipeline import ingest_items
from ingest.publish.articles import publish_versions
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.objectstore import S3ObjectStore, make_s3_client
from ingest.publish.partners import load_partners
from ingest.registry import SQLRegistry, open_registry
from ingest.sources.base import RawItem

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PARTNERS = load_partners(REPO / "config/partners.yaml")


def wire(start: int, count: int) -> list[RawItem]:
    """G2 and API items, a few of them later versions of earlier ones."""
    items = []
    for n in range(start, start + count):
        guid = f"urn:newsml:afp.com:20261127T080000Z:doc-f{n % 7 if n % 5 == 0 else n}"
        body = f"<p>Story {n}: the council met and agreed the plan after a long debate.</p>"
        items.append(RawItem("afp", f"g2-{n}.xml", g2(guid, 1 + n // 7, body=body), "newsml-g2"))
        doc = api_doc(f"newsml.afp.com.20261127T090000Z.doc-j{n}", lang="fr" if n % 2 else "en")
        items.append(RawItem("afp-api", f"api-{n}", api_page(doc), "afp-api"))
    return items


def publish_all(registry: SQLRegistry, store: S3ObjectStore, now: datetime) -> None:
    publish_versions(registry, store, now)
    for partner in PARTNERS:
        build_partner_feeds(registry, store, partner, now)


def contents(store: S3ObjectStore, prefixes: tuple[str, ...] = ("articles/", "feeds/")) -> dict[
    str, bytes
]:
    return {i.key: store.get(i.key) for p in prefixes for i in store.list(p)}


def bucket(endpoint: str, name: str, monkeypatch: pytest.MonkeyPatch) -> S3ObjectStore:
    """A fresh bucket, reached through ``endpoint`` by the project's own S3 client."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    client = make_s3_client()
    client.create_bucket(Bucket=name)
    return S3ObjectStore(name, "ingest", client=client)


def reference(s3_endpoint: str, tmp_path: Path, items: list[RawItem], name: str,
              monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What a fault-free run over the same items publishes."""
    store = bucket(s3_endpoint, name, monkeypatch)
    with open_registry(f"sqlite:///{tmp_path / (name + '.db')}") as registry:
        ingest_items(items, registry=registry, store=store, received_at=NOW)
        publish_all(registry, store, NOW)
    return contents(store)
