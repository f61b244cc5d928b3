"""The ops view reads the registry the DAGs write: connection ``ingest_registry`` first.

Two registries are set up: the demo's, named only by the Airflow connection, and an empty
one named by ``INGEST_REGISTRY_URL``. The app built with its default runtime (as the API
server builds it) must show the demo's, and the empty one once the connection is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ops_support import FIRST, KILLED_URI, NOW, SECOND, STARLETTE_HTTPX, fill, settings_env

from ingest.airflow_support import REGISTRY_CONN_ID
from ingest.config import Settings
from ingest.ops import create_app
from ingest.ops.app import shared_runtime
from ingest.runtime import Runtime

pytestmark = pytest.mark.filterwarnings(STARLETTE_HTTPX)
CONN_VAR = f"AIRFLOW_CONN_{REGISTRY_CONN_ID.upper()}"


@pytest.fixture
def two_registries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    demo_db = tmp_path / "dag-registry.db"
    demo, _ = fill(tmp_path / "ingest", FIRST, SECOND, registry_url=f"sqlite:///{demo_db}")
    demo.registry.close()
    empty_url = f"sqlite:///{tmp_path / 'env-registry.db'}"
    empty = Runtime(Settings.from_env(settings_env(tmp_path / "ingest", empty_url)))
    empty.registry.upgrade()
    empty.registry.close()
    for name, value in settings_env(tmp_path / "ingest", empty_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(CONN_VAR, f"sqlite:///{demo_db}")
    shared_runtime.cache_clear()
    yield
    shared_runtime().registry.close()
    shared_runtime.cache_clear()


def published(tokens: dict[str, str]) -> set[str]:
    with TestClient(create_app(clock=lambda: NOW)) as client:
        status = client.get("/api/status", headers={"Authorization": f"Bearer {tokens['viewer']}"})
        return {a["uri"] for a in status.raise_for_status().json()["published"]}


@pytest.mark.usefixtures("two_registries")
def test_the_connection_wins_over_the_environment(
    tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch, auth_manager: Any
) -> None:
    assert KILLED_URI in published(tokens)
    shared_runtime().registry.close()
    shared_runtime.cache_clear()
    monkeypatch.delenv(CONN_VAR)
    assert published(tokens) == set()
