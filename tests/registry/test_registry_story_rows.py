"""What a batch writes back besides its versions, on SQLite and PostgreSQL: the story row's
``updated_at``, the picture-copy index, and the guard that refuses to write a story row
that changed after it was locked.

Expected values are the schema's and the docstrings' own words (``_update_stories``:
"guarded on the version and kill it was locked at"; ``mediarefs``: "version V of story U
links copy K"); articles come from ``story_factory``. Found by ``make mutants``
(docs/testing.md): each test is what tells one group of survivors from the original.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select
from story_factory import T0, article

from ingest.model import Picture, Rendition
from ingest.registry import SQLRegistry
from ingest.registry import schema as t
from ingest.registry.api import VersionRecord

COPY = f"media/{'ab' * 32}.jpg"  # the form ``ingest.publish.media`` names its copies


def _story_row(registry: SQLRegistry, uri: str) -> Any:
    with registry.engine.connect() as conn:
        return conn.execute(select(t.stories).where(t.stories.c.uri == uri)).one()


def test_a_storys_row_is_stamped_with_its_last_recorded_version(registry: SQLRegistry) -> None:
    stamps = [T0 + timedelta(hours=h) for h in (1, 2, 3)]
    registry.record_version(article("urn:a", 2), raw_key=None, received_at=stamps[0])
    assert _story_row(registry, "urn:a").updated_at == stamps[0]
    registry.record_version(article("urn:a", 3), raw_key=None, received_at=stamps[1])
    assert _story_row(registry, "urn:a").updated_at == stamps[1]
    # An older version arriving late changes nothing shown, but the row was written.
    registry.record_version(article("urn:a", 1), raw_key=None, received_at=stamps[2])
    row = _story_row(registry, "urn:a")
    assert (row.latest_version, row.updated_at) == (3, stamps[2])


def test_a_batch_indexes_the_picture_copies_its_versions_link(registry: SQLRegistry) -> None:
    picture = Picture("urn:pic", renditions=[
        Rendition("hd", COPY), Rendition("web", "https://media.example.com/a.jpg"),
    ])
    with_copy = replace(article("urn:a", 1), pictures=[picture])
    registry.record_versions([
        VersionRecord(with_copy, None, T0),
        VersionRecord(article("urn:b", 1), None, T0),
    ])
    assert registry.media_refs(COPY) == [("urn:a", 1)]
    assert registry.media_refs("https://media.example.com/a.jpg") == []


def _stale_only_in(registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    """Story rows locked as they were before another writer moved ``field``: what a writer
    sees when the lock is not honoured (SQLite serialises writers, so a stale read is the
    only way to show it on both databases)."""
    locked = registry._lock_stories

    def stale(conn: Connection, first_at: dict[str, Any]) -> dict[str, Any]:
        rows = locked(conn, first_at)
        for row in rows.values():
            row[field] = row[field] - 1 if field == "latest_version" else not row[field]
        return rows

    monkeypatch.setattr(registry, "_lock_stories", stale)


@pytest.mark.parametrize("field", ["latest_version", "killed"])
def test_a_story_changed_under_its_lock_is_not_written(
    registry: SQLRegistry, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    registry.record_version(article("urn:a", 1), raw_key=None, received_at=T0)
    before = _story_row(registry, "urn:a")
    _stale_only_in(registry, monkeypatch, field)
    with pytest.raises(RuntimeError, match=r"^a story changed under its lock$"):
        registry.record_version(article("urn:a", 2), raw_key=None,
                                received_at=T0 + timedelta(hours=1))
    monkeypatch.undo()
    assert _story_row(registry, "urn:a") == before  # the whole batch rolled back
    with registry.engine.connect() as conn:
        stored = conn.execute(select(t.versions.c.version).where(t.versions.c.uri == "urn:a"))
        assert [v for (v,) in stored] == [1]
