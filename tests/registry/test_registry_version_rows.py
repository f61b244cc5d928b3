"""A ``VersionRow`` as the publishers get it: built from an article or from the stored JSON
record, its article decoded once on first read, its filter columns (language, provider,
country, products) the article's own, and two rows equal when their versions are.

Expected values are the rules in ``ingest.registry.api``'s docstrings; articles come
from ``story_factory``. Found by ``make mutants`` (docs/testing.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from story_factory import T0, article

from ingest.model import Article
from ingest.registry import SQLRegistry, VersionRow

STORY = replace(article("urn:a", 2), country="FRA", products=["news", "sport"])


def row(**given: Any) -> VersionRow:
    fields: dict[str, Any] = {
        "uri": "urn:a", "version": 2, "status": "usable", "content_hash": "h" * 64,
        "version_created": None, "embargoed_until": None, "received_at": T0,
        "raw_key": "raw/a", "published_key": None,
    }
    fields.update(given)
    return VersionRow(**fields)


def stored(story: Article) -> str:
    return json.dumps(story.to_record())


def test_a_row_needs_its_article_or_the_articles_record() -> None:
    with pytest.raises(TypeError) as refused:
        row()
    assert str(refused.value) == "a VersionRow needs its article or the article's record"


def test_a_row_from_an_article_takes_its_filter_columns_from_the_article() -> None:
    built = row(article=STORY, language="de", provider="Reuters", country="ESP",
                products=["other"])
    assert (built.language, built.provider, built.country, built.products) == (
        "en", "AFP", "FRA", ("news", "sport"))
    assert built.pending is False  # not pending unless told


def test_a_row_from_a_record_keeps_the_stored_columns_and_decodes_the_article_once() -> None:
    built = row(record=stored(STORY), pending=True, language="en", provider="AFP",
                country="FRA", products=["news", "sport"])
    assert (built.uri, built.version, built.status, built.raw_key, built.received_at) == (
        "urn:a", 2, "usable", "raw/a", T0)
    assert (built.language, built.provider, built.country, built.products) == (
        "en", "AFP", "FRA", ("news", "sport"))
    assert built.pending is True
    first = built.article
    assert first == STORY
    assert built.article is first  # decoded on first read only


def test_rows_are_equal_when_their_versions_are_whatever_they_were_built_from() -> None:
    from_article = row(article=STORY)
    from_record = row(record=stored(STORY), language="en", provider="AFP", country="FRA",
                      products=["news", "sport"])
    assert from_article == from_record
    other = replace(STORY, headline="Another headline")
    assert from_article != row(article=other)
    assert repr(STORY) in repr(from_record)  # shown as its article


def test_rows_read_back_carry_the_articles_filter_columns(registry: SQLRegistry) -> None:
    registry.record_version(STORY, raw_key="raw/a", received_at=T0)
    [written] = registry.versions_to_write(T0 + timedelta(days=1))
    assert (written.language, written.provider, written.country, written.products) == (
        "en", "AFP", "FRA", ("news", "sport"))
    assert written.pending is True
    assert written.article == STORY
