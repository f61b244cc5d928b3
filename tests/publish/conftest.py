"""Fixtures for the publishing tests: fixture articles, a real SQLite registry, moto S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.model import Article
from ingest.registry import SQLRegistry, open_registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "publish"


@pytest.fixture(scope="session")
def fixture_articles() -> list[Article]:
    records: list[dict[str, Any]] = json.loads((FIXTURES / "articles.json").read_text("utf-8"))
    return [Article.from_record(r) for r in records]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SQLRegistry]:
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as reg:
        yield reg


def record(registry: SQLRegistry, articles: list[Article]) -> None:
    """Record versions as received at their own version time."""
    for article in articles:
        assert article.version_created is not None
        registry.record_version(article, raw_key=None, received_at=article.version_created)


@pytest.fixture
def recorder() -> Any:
    """``record(registry, articles)``, for tests that feed the registry step by step."""
    return record

