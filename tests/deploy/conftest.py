"""Fixtures for the deploy tests: ``receiver``, a live webhook wired as ``ingest_alerts``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from webhook_receiver import Receiver


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A live webhook, wired as the ``ingest_alerts`` connection the way ops set it."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn = {"conn_type": "http", "host": "127.0.0.1", "port": server.port,
            "schema": "hooks/ingest", "password": "token-123"}
    monkeypatch.setenv("AIRFLOW_CONN_INGEST_ALERTS", json.dumps(conn))
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
