"""A migrated registry on each backend, closed after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.registry import SQLRegistry, open_registry


@pytest.fixture
def registry(registry_url: str) -> Iterator[SQLRegistry]:
    with open_registry(registry_url) as reg:
        yield reg
