"""Fixtures for the trigger tests: a registry, store and drop folder of the test's own.

Redis is ``redis_url`` (tests/conftest.py); each test uses list keys of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from trigger_support import REPO


@pytest.fixture
def ingest_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """INGEST_* for a registry, store and local drop folder in tmp; returns the drop folder."""
    drop = tmp_path / "drop"
    drop.mkdir()
    env = {
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_REGISTRY_URL": f"sqlite:///{tmp_path / 'registry.db'}",
        "INGEST_STORE_URL": (tmp_path / "store").as_uri(), "INGEST_DROP_URL": drop.as_uri(),
        "INGEST_DROP_SETTLE_SECONDS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("INGEST_DROP_NOTIFY", "INGEST_AFP_BASE_URL", "INGEST_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return drop
