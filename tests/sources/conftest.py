"""Fixtures for source tests: in-memory cursors (S3 comes from the suite's conftest)."""

from __future__ import annotations

import pytest
from memory_cursors import MemoryCursors


@pytest.fixture
def cursors() -> MemoryCursors:
    return MemoryCursors()

