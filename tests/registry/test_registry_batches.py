"""Batch writes (``record_versions``, ``record_raws``, ``mark_written_many``) leave what one
call per item leaves.

Each example records a random arrival sequence twice under two uri prefixes: one version
per call, and in random batches. Contents repeat across versions (SAME_CONTENT), clash on
one version (CONFLICT), arrive twice from another raw object (DUPLICATE), and kills and
unsyndicated batches mix in; between batches everything pending is marked written, so a
repeat shares its published key. Results, version rows, stories and outcomes must match.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from story_factory import T0

from hypothesis_examples import max_examples
from ingest.model import Article, PubStatus
from ingest.registry import SQLRegistry, open_registry
from ingest.registry import schema as t
from ingest.registry.api import RawRecord, RecordResult, VersionRecord

NOW = T0 + timedelta(days=1)
# (story, version, status, content, raw object)
arrivals = st.tuples(
    st.integers(0, 2),
    st.integers(1, 4),
    st.sampled_from(["usable", "usable", "withheld", "canceled"]),
    st.integers(0, 1),
    st.integers(0, 2),
)


def _article(uri: str, version: int, status: PubStatus, content: int) -> Article:
    """Content depends on ``content`` and the status only, never on the version number."""
    return Article(
        uri=uri, version=version, pub_status=status,
        version_created=T0 + timedelta(minutes=version), headline=f"story {content}",
        body_html=f"<p>Body {content}.</p>", language="en", provider="AFP",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_registry(request: pytest.FixtureRequest) -> Iterator[tuple[SQLRegistry, int]]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    with open_registry(url) as reg:
        yield reg, 60 if request.param == "sqlite" else 20


def _state(registry: SQLRegistry, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the prefix's stories own, with the prefix taken out of keys (hashes, which
    cover the uri, are compared through the results)."""
    v, s, o = t.versions.c, t.stories.c, t.raw_outcomes.c
    queries = {
        "versions": select(v.uri, v.version, v.status, v.received_at, v.raw_key,
                           v.published_key, v.pending, v.same_as),
        "stories": select(s.uri, s.latest_version, s.status, s.embargoed_until, s.feed_at,
                          s.killed, s.kill_version, s.killed_at, s.visible, s.updated_at),
        "outcomes": select(o.raw_key, o.uri, o.version, o.result),
    }
    with registry.engine.connect() as conn:
        return {
            name: sorted(
                tuple(str(x).replace(prefix, "") if isinstance(x, str) else x for x in row)
                for row in conn.execute(query)
                if str(row[0]).startswith(prefix) or str(row[1]).startswith(prefix)
            )
            for name, query in queries.items()
        }


def _mark_all_written(registry: SQLRegistry, one: str, many: str) -> None:
    """Everything pending written: one call per version for ``one``, one batch for ``many``."""
    rows = registry.versions_to_write(NOW, limit=100_000)
    for row in rows:
        if row.uri.startswith(one):
            registry.mark_written(row.uri, row.version, f"{one}articles/{row.version}")
    registry.mark_written_many([
        (row.uri, row.version, f"{many}articles/{row.version}")
        for row in rows if row.uri.startswith(many)
    ])


def test_batches_match_one_call_per_version(shared_registry: tuple[SQLRegistry, int]) -> None:
    registry, examples = shared_registry

    @settings(max_examples=max_examples(examples), deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(
        batches=st.lists(
            st.tuples(st.lists(arrivals, min_size=1, max_size=8), st.booleans()),
            min_size=1, max_size=4,
        )
    )
    def check(batches: list[tuple[list[tuple[int, int, PubStatus, int, int]], bool]]) -> None:
        run = uuid.uuid4().hex[:8]
        one, many = f"urn:{run}:one:", f"urn:{run}:many:"
        step = 0
        for items, syndicate in batches:
            records: dict[str, list[VersionRecord]] = {one: [], many: []}
            for story, version, status, content, raw in items:
                step += 1
                for prefix, out in records.items():
                    out.append(VersionRecord(
                        _article(f"{prefix}{story}", version, status, content),
                        raw_key=f"{prefix}raw/{raw}", received_at=T0 + timedelta(seconds=step),
                    ))
            singles = [
                registry.record_version(r.article, raw_key=r.raw_key,
                                        received_at=r.received_at, syndicate=syndicate)
                for r in records[one]
            ]
            assert registry.record_versions(records[many], syndicate=syndicate) == singles
            _mark_all_written(registry, one, many)
        assert _state(registry, one) == _state(registry, many)

    check()


def test_a_batch_sees_its_own_versions(registry: SQLRegistry) -> None:
    v1 = _article("urn:b", 1, "usable", 0)
    v2 = _article("urn:b", 2, "usable", 0)  # same content as v1
    clash = _article("urn:b", 1, "usable", 1)
    kill = _article("urn:b", 3, "canceled", 1)
    batch = [VersionRecord(a, f"raw/{n}", T0) for n, a in enumerate((v1, v2, v1, clash, kill))]
    assert registry.record_versions(batch, syndicate=True) == [
        RecordResult.NEW, RecordResult.SAME_CONTENT, RecordResult.DUPLICATE,
        RecordResult.CONFLICT, RecordResult.NEW,
    ]
    assert registry.story_status("urn:b") == "canceled"
    assert [(r.uri, r.version) for r in registry.versions_to_write(NOW)] == [("urn:b", 3)]
    assert registry.record_versions([]) == []


def test_record_raws_flags_only_the_first_of_each_new_key(registry: SQLRegistry) -> None:
    def raw(key: str) -> RawRecord:
        return RawRecord(key, "afp", "ab" * 32, 10, T0)

    assert registry.record_raw(key="raw/a", source="afp", sha256="ab" * 32, size=10,
                               received_at=T0)
    assert registry.record_raws([raw("raw/a"), raw("raw/b"), raw("raw/c"), raw("raw/b")]) == [
        False, True, True, False,
    ]
    assert registry.record_raws([raw("raw/c")]) == [False]
    assert registry.record_raws([]) == []


def test_latest_many_is_latest_and_status_in_one_read(registry: SQLRegistry) -> None:
    history: list[tuple[str, int, PubStatus]] = [
        ("urn:a", 1, "usable"), ("urn:a", 2, "withheld"), ("urn:k", 2, "usable"),
        ("urn:k", 1, "canceled"),
    ]
    for uri, version, status in history:
        registry.record_version(_article(uri, version, status, version), raw_key=None,
                                received_at=T0)
    states = registry.latest_many(["urn:a", "urn:k", "urn:unknown"])
    assert set(states) == {"urn:a", "urn:k"}
    for uri, (latest, story_status) in states.items():
        assert (latest, story_status) == (registry.latest(uri), registry.story_status(uri))
    assert states["urn:k"][1] == "canceled" and states["urn:a"][0].version == 2
