"""Fixtures for the backfill tests: a mixed archive on disk (S3 comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from backfill_helpers import build_archive, make_runtime

from ingest.runtime import Runtime


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return build_archive(tmp_path / "archive")


@pytest.fixture
def runtimes() -> Iterator[Callable[[Path, str, str], Runtime]]:
    """``make_runtime``, with every registry opened through it closed at teardown."""
    made: list[Runtime] = []

    def make(tmp: Path, registry_url: str, store_url: str) -> Runtime:
        made.append(make_runtime(tmp, registry_url, store_url))
        return made[-1]

    yield make
    for rt in made:
        if "registry" in rt.__dict__:
            rt.registry.close()
