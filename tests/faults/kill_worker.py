"""A worker run in a subprocess so a test can SIGKILL it mid-batch: ingest, then publish.

    python kill_worker.py HOME    (prints one line per item and per partner, flushed)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hostile"))

from fault_support import NOW, PARTNERS, wire

from ingest.pipeline import ingest_items
from ingest.publish.articles import publish_versions
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.objectstore import LocalObjectStore
from ingest.registry import open_registry


def main(home: Path) -> None:
    store = LocalObjectStore(home / "store")
    with open_registry(f"sqlite:///{home / 'registry.db'}") as registry:
        for n, item in enumerate(wire(0, 40)):
            ingest_items([item], registry=registry, store=store, received_at=NOW)
            print(f"item {n}", flush=True)
        publish_versions(registry, store, NOW)
        print("articles", flush=True)
        for partner in PARTNERS:
            build_partner_feeds(registry, store, partner, NOW)
            print(f"feed {partner.id}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
