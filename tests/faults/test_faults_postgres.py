"""The registry's PostgreSQL connection terminated mid-batch, again and again, from another
session (``pg_terminate_backend``): each write transaction rolls back and is rerun, the
batch completes, nothing is recorded twice and every raw object is accounted for."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fault_support import wire
from sqlalchemy import create_engine, make_url, text

from ingest.pipeline import ingest_items
from ingest.publish.objectstore import LocalObjectStore
from ingest.reconcile import reconcile
from ingest.registry import SQLRegistry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_terminated_backends_mid_batch_roll_back_and_retry(pg_url: str, tmp_path: Path) -> None:
    app = f"ingest-fault-{uuid.uuid4().hex[:8]}"
    url = make_url(pg_url).update_query_dict({"application_name": app})
    items = wire(0, 90)  # long enough (batched registry writes are quick) for several kills
    store = LocalObjectStore(tmp_path / "store")
    killer = create_engine(pg_url)
    killed: list[int] = []
    done = threading.Event()

    def kill_loop() -> None:
        while not done.wait(0.15):
            with killer.begin() as conn:
                pids = conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :app AND pid <> pg_backend_pid()"
                ), {"app": app}).all()
            killed.extend(1 for _ in pids)

    with SQLRegistry(url.render_as_string(hide_password=False)) as registry:
        registry.upgrade()
        thread = threading.Thread(target=kill_loop, daemon=True)
        thread.start()
        try:
            report = ingest_items(items, registry=registry, store=store, received_at=NOW)
        finally:
            done.set()
            thread.join()
            killer.dispose()
        assert len(killed) >= 3  # the batch really ran through dropped connections
        assert report.raw_items == len(items) and not report.quarantined
        # a rerun of the whole batch records nothing new: no version was stored twice
        again = ingest_items(items, registry=registry, store=store, received_at=NOW)
        assert again.raw_new == 0 and set(again.results) == {"duplicate"}
        with registry.engine.connect() as conn:
            versions = conn.execute(text("SELECT count(*) FROM versions")).scalar_one()
            raws = conn.execute(text("SELECT count(*) FROM raw_objects")).scalar_one()
        assert versions == sum(report.results.values()) and raws == len(items)
        assert reconcile(registry, store).ok
