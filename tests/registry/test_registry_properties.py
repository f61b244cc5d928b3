"""Random histories of stories, in random arrival order, against a model a reader can check.

Each example draws a few stories, each with some versions (usable, withheld or canceled,
maybe a correction, maybe embargoed until before or after ``NOW``), delivers some stories
to a partner, then replays every version in a shuffled order with duplicates. The model
says what must hold whatever the order: latest is the highest version, a kill is forever,
the feed is each visible story's latest, and kills reach the partner who received them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from story_factory import T0, article

from hypothesis_examples import max_examples
from ingest.model import Article, PubStatus
from ingest.registry import Delivery, RecordResult, SQLRegistry, open_registry

NOW = T0 + timedelta(days=1)
EMBARGOES = (None, NOW - timedelta(hours=1), NOW + timedelta(hours=1))


@dataclass(frozen=True)
class Spec:
    version: int
    status: PubStatus
    embargo: datetime | None
    correction: bool


specs = st.builds(
    Spec,
    version=st.integers(1, 6),
    status=st.sampled_from(["usable", "usable", "withheld", "canceled"]),
    embargo=st.sampled_from(EMBARGOES),
    correction=st.booleans(),
)
# Per story: its versions (unique numbers) and whether the partner received it.
stories = st.lists(
    st.tuples(
        st.lists(specs, min_size=1, max_size=5, unique_by=lambda s: s.version), st.booleans()
    ),
    min_size=1,
    max_size=4,
)


@dataclass
class Model:
    versions: dict[str, dict[int, Spec]]
    delivered: set[str]

    def latest(self, uri: str) -> Spec:
        return self.versions[uri][max(self.versions[uri])]

    def killed(self, uri: str) -> bool:
        return any(s.status == "canceled" for s in self.versions[uri].values())

    def status(self, uri: str) -> str:
        return "canceled" if self.killed(uri) else self.latest(uri).status

    def feed(self) -> set[tuple[str, int]]:
        return {
            (uri, self.latest(uri).version)
            for uri in self.versions
            if self.status(uri) == "usable" and _over(self.latest(uri).embargo)
        }

    def kills(self) -> set[tuple[str, int]]:
        return {
            (uri, max(v for v, s in self.versions[uri].items() if s.status == "canceled"))
            for uri in self.delivered
            if self.killed(uri)
        }

    def to_write(self) -> set[tuple[str, int]]:
        return {
            (uri, v)
            for uri, specs in self.versions.items()
            for v, s in specs.items()
            if _over(s.embargo) and (s.status == "canceled" or not self.killed(uri))
        }


def _over(embargo: datetime | None) -> bool:
    return embargo is None or embargo <= NOW


def _article(uri: str, spec: Spec) -> Article:
    return article(uri, spec.version, spec.status, embargo=spec.embargo, correction=spec.correction)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_registry(request: pytest.FixtureRequest) -> Iterator[tuple[SQLRegistry, int]]:
    """One registry for all examples (each example uses its own uris and partner)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    examples = 60 if request.param == "sqlite" else 15
    with open_registry(url) as reg:
        yield reg, examples


def test_random_histories_match_the_model(shared_registry: tuple[SQLRegistry, int]) -> None:
    registry, examples = shared_registry

    @settings(
        max_examples=max_examples(examples),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(history=stories, data=st.data())
    def check(history: list[tuple[list[Spec], bool]], data: st.DataObject) -> None:
        run = uuid.uuid4().hex[:8]
        uris = [f"urn:{run}:{i}" for i in range(len(history))]
        model = Model(
            versions={
                u: {s.version: s for s in specs}
                for u, (specs, _) in zip(uris, history, strict=True)
            },
            delivered={u for u, (_, got) in zip(uris, history, strict=True) if got},
        )
        arrivals = [(u, s) for u, specs in model.versions.items() for s in specs.values()]
        repeats = data.draw(st.lists(st.sampled_from(arrivals), max_size=4))
        order = data.draw(st.permutations(arrivals + repeats))
        partner = f"partner-{run}"
        seen: set[tuple[str, int]] = set()
        for step, (uri, spec) in enumerate(order):
            if step == len(order) // 2:  # the partner got its stories mid-way
                registry.record_deliveries(
                    partner, "rss", [Delivery(u, 1, "item") for u in model.delivered], NOW
                )
            result = registry.record_version(
                _article(uri, spec), raw_key=None, received_at=T0 + timedelta(seconds=step)
            )
            first = (uri, spec.version) not in seen
            assert result == (RecordResult.NEW if first else RecordResult.DUPLICATE)
            seen.add((uri, spec.version))

        for uri in uris:
            latest = registry.latest(uri)
            assert latest is not None
            assert latest.article == _article(uri, model.latest(uri))
            assert registry.story_status(uri) == model.status(uri)
        ours = set(uris)
        feed = [(r.uri, r.version) for r in registry.feed_items(NOW) if r.uri in ours]
        assert len(feed) == len(set(feed))
        assert set(feed) == model.feed()
        kills = {(r.uri, r.version) for r in registry.kills_for(partner, "rss")}
        assert kills == model.kills()
        to_write = {
            (r.uri, r.version)
            for r in registry.versions_to_write(NOW, limit=100_000)
            if r.uri in ours
        }
        assert to_write == model.to_write()

    check()
