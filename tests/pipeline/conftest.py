"""The pipeline tests' runtimes: each on a test's own registry, store and home."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.config import Settings
from ingest.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_runtime() -> Iterator[Callable[..., Runtime]]:
    """Open runtimes on a test's own registry and store; all closed at the end."""
    opened: list[Runtime] = []

    def open_(tmp_path: Path, registry_url: str, store_url: str | None = None,
              **extra: str) -> Runtime:
        env = {
            "INGEST_HOME": str(tmp_path / "home"),
            "INGEST_PROJECT_DIR": str(REPO),
            "INGEST_REGISTRY_URL": registry_url,
            "INGEST_STORE_URL": store_url or (tmp_path / "store").as_uri(),
            **extra,
        }
        rt = Runtime(Settings.from_env(env))
        rt.registry.upgrade()
        opened.append(rt)
        return rt

    yield open_
    for rt in opened:
        rt.close()
