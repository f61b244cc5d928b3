"""Fixtures for the trigger tests: a registry, store and drop folder of the test's own; Redis.

Redis is the machine's (``INGEST_TEST_REDIS_URL``, default 127.0.0.1:6379 db 15), each
test on list keys of its own; skipped when unreachable unless ``INGEST_REQUIRE_REDIS=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from trigger_support import REPO

REDIS_URL = os.environ.get("INGEST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("INGEST_REQUIRE_REDIS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()
    return REDIS_URL
