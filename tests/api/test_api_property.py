"""Property, through real HTTP: for random contracts and histories (versions arriving in
any order, corrections, withheld versions, kills, embargoes, pictures with usage terms),
``/v1/feed`` read from the start holds exactly what the partner's ninjs feed holds, item
for item and byte for byte once parsed, and every kill of a story it sent.

What the API may hold beyond the feed is one thing only: a story it sent whose latest
version the partner's feed now hides (withheld, still embargoed, or outside the partner's
contract); a log cannot unsend, and withholding is not a kill.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_server import running_api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.model import Article, Picture, PubStatus, Rendition, utc
from ingest.publish.articles import publish_versions
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import ApiAccess, Filters, Partner, Rights
from ingest.registry import open_registry

ROUNDS = 4  # publish runs; embargoes lift at a later one, the last records nothing new
TERMS = [None, "NO ARCHIVAL USE"]


@dataclass(frozen=True)
class Step:
    round: int
    article: Article


@st.composite
def histories(draw: st.DrawFn, base: datetime) -> list[Step]:
    steps = []
    for s in range(draw(st.integers(1, 4))):
        for version in range(1, draw(st.integers(1, 3)) + 1):
            status: PubStatus = draw(st.sampled_from(["usable", "usable", "withheld",
                                                      "canceled"]))
            arrives = draw(st.integers(0, ROUNDS - 2))
            lift = draw(st.one_of(st.none(), st.integers(arrives + 1, ROUNDS - 1)))
            pictures = [Picture(f"urn:pic:{s}:{version}", usage_terms=draw(st.sampled_from(TERMS)),
                                renditions=[Rendition("hd", f"https://media.example/{s}-{version}"
                                                            ".jpg", "image/jpeg", 640, 480)])
                        ] if draw(st.booleans()) else []
            steps.append(Step(arrives, Article(
                uri=f"urn:story:{s}", version=version, pub_status=status,
                version_created=base + timedelta(minutes=arrives, seconds=version),
                embargoed_until=(base + timedelta(minutes=lift, seconds=-30)
                                 if lift is not None and status != "canceled" else None),
                headline=f"Story {s} version {version}", body_html=f"<p>{s}.{version}</p>",
                language=draw(st.sampled_from(["en", "fr"])),
                provider=draw(st.sampled_from(["AFP", "other"])),
                usage_terms=draw(st.sampled_from(TERMS)), pictures=pictures,
                signals=["correction"] if version > 1 and draw(st.booleans()) else [],
            )))
    return steps


@st.composite
def contracts(draw: st.DrawFn) -> list[Partner]:
    return [Partner(
        id=f"p{i}", name=f"P{i}", formats=("ninjs",), max_items=1000,
        max_age=timedelta(days=3650), prefix=f"feeds/p{i}/", api=ApiAccess(100_000),
        filters=Filters(languages=tuple(draw(st.lists(st.sampled_from(["en", "fr"]),
                                                      max_size=1)))),
        rights=Rights(
            providers=tuple(draw(st.lists(st.sampled_from(["afp", "other", "*"]), min_size=1,
                                          max_size=2, unique=True))),
            excluded_usage_terms=tuple(draw(st.lists(st.just("no archival use"), max_size=1))),
            pictures=draw(st.booleans()),
            embargo=draw(st.sampled_from(["hold", "exclude"])),
        ),
    ) for i in range(draw(st.integers(1, 3)))]


class Reader:
    """One partner reading ``/v1/feed`` from the start, folding what it got."""

    def __init__(self, partner: Partner) -> None:
        self.partner = partner
        self.cursor: str | None = None
        self.live: dict[str, dict[str, Any]] = {}  # uri -> the last item it got
        self.killed: set[str] = set()

    def catch_up(self, api: Any, limit: int) -> None:
        while True:
            params = {"limit": limit, **({"cursor": self.cursor} if self.cursor else {})}
            page = api.feed(self.partner.id, **params)
            assert page.status_code == 200, page.text
            items = page.json()["items"]
            if len(items) == limit:  # a full page replays byte for byte
                assert api.feed(self.partner.id, **params).content == page.content
            self.cursor = page.json()["next_cursor"]
            for item in items:
                self.fold(item)
            if not items:
                return

    def fold(self, item: dict[str, Any]) -> None:
        uri = item["uri"]
        assert uri not in self.killed, ("nothing after a kill", uri)
        if item["pubStatus"] == "canceled":
            assert uri in self.live, ("a kill only of what it received", uri)
            self.killed.add(uri)
            del self.live[uri]
            return
        assert item["pubStatus"] == "usable"
        if uri in self.live:
            assert int(item["version"]) > int(self.live[uri]["version"]), "versions only rise"
        self.live[uri] = item


def _hidden(registry: Any, partner: Partner, uri: str, now: datetime) -> bool:
    latest, status = registry.latest_many([uri])[uri]
    embargoed = latest.embargoed_until is not None and utc(latest.embargoed_until) > now
    return status != "usable" or embargoed or not partner.allows(latest.article)


def _ninjs_feed(store: LocalObjectStore, partner: Partner) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(store.get(partner.prefix + "ninjs.json"))["items"]
    return items


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), partners=contracts(), limit=st.integers(1, 4))
def test_the_api_holds_what_the_feeds_hold_and_every_kill(
    data: st.DataObject, partners: list[Partner], limit: int
) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    steps = data.draw(histories(base))
    sent = {(s.article.uri, s.article.version): s.article for s in steps}
    clock = {"now": base}
    with tempfile.TemporaryDirectory() as tmp, \
            open_registry(f"sqlite:///{Path(tmp) / 'r.db'}") as registry:
        store = LocalObjectStore(Path(tmp) / "objects")
        readers = [Reader(p) for p in partners]
        with running_api(registry, store, partners, clock=lambda: clock["now"]) as api:
            for round_ in range(ROUNDS):
                now = clock["now"] = base + timedelta(minutes=round_)
                for step in (s for s in steps if s.round == round_):
                    registry.record_version(step.article, raw_key=None, received_at=now)
                publish_versions(registry, store, now)
                for reader in readers:
                    partner = reader.partner
                    build_partner_feeds(registry, store, partner, now)
                    reader.catch_up(api, limit)
                    feed = _ninjs_feed(store, partner)
                    feed_items = {i["uri"]: i for i in feed if i["pubStatus"] != "canceled"}
                    feed_kills = {i["uri"] for i in feed if i["pubStatus"] == "canceled"}
                    for uri, item in feed_items.items():
                        assert reader.live.get(uri) == item, (partner.id, uri)
                        single = api.item(partner.id, uri)
                        assert single.status_code == 200 and single.json() == item
                    for uri in set(reader.live) - set(feed_items):
                        assert _hidden(registry, partner, uri, now), (partner.id, uri)
                    assert feed_kills <= reader.killed, partner.id
                    for uri in reader.live:  # every kill of what it received
                        assert registry.story_status(uri) != "canceled", (partner.id, uri)
                    for item in reader.live.values():
                        article = sent[(item["uri"], int(item["version"]))]
                        assert partner.allows(article), (partner.id, item["uri"])
                        shown = {a["uri"] for a in item.get("associations", [])}
                        for picture in article.pictures:
                            assert (picture.uri in shown) == partner.rights.picture_ok(picture)
