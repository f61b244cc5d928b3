"""A migrated registry (SQLite and PostgreSQL) and a local object store for the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.publish.objectstore import LocalObjectStore
from ingest.registry import SQLRegistry, open_registry


@pytest.fixture
def registry(registry_url: str) -> Iterator[SQLRegistry]:
    with open_registry(registry_url) as reg:
        yield reg


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")
