"""Property: no partner's feed ever holds an item its filters or rights exclude, and every
partner that received a story later killed gets the kill, in each format it takes."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hypothesis_examples import max_examples
from ingest.model import Article, Picture, Rendition, Subject
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.formats import feed_format
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import FORMAT_NAMES, Filters, Partner, Rights
from ingest.registry import open_registry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LANGS = ["en", "fr", "de"]
PROVIDERS = ["AFP", "example-paper"]
SUBJECTS = ["medtop:04000000", "medtop:04010000", "medtop:09000000", "medtop:15000000"]
TERMS = [None, "NO ARCHIVAL USE", "Editorial use only"]


def _picture(i: int, terms: str | None) -> Picture:
    return Picture(f"urn:pic:{i}", credit="AFP", usage_terms=terms, renditions=[
        Rendition("hd", f"https://media.example.com/pic-{i}.jpg", "image/jpeg", 100, 80)])


@st.composite
def articles(draw: st.DrawFn) -> list[Article]:
    n = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        out.append(Article(
            uri=f"urn:story:{i}", headline=f"Story {i}", body_html=f"<p>Body {i}</p>",
            version_created=NOW - timedelta(minutes=30 + i),
            language=draw(st.sampled_from(LANGS)),
            provider=draw(st.sampled_from(PROVIDERS)),
            urgency=draw(st.one_of(st.none(), st.integers(1, 9))),
            subjects=[Subject(c) for c in draw(st.lists(st.sampled_from(SUBJECTS), max_size=2))],
            usage_terms=draw(st.sampled_from(TERMS)),
            pictures=[_picture(i, draw(st.sampled_from(TERMS)))] if draw(st.booleans()) else [],
        ))
    return out


@st.composite
def partners(draw: st.DrawFn) -> list[Partner]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        filters = Filters(
            languages=tuple(draw(st.lists(st.sampled_from(LANGS), max_size=2, unique=True))),
            subjects=tuple(draw(st.lists(st.sampled_from(["medtop:04", "medtop:09"]),
                                         max_size=1))),
            max_urgency=draw(st.one_of(st.none(), st.integers(1, 9))),
        )
        rights = Rights(
            providers=tuple(draw(st.lists(st.sampled_from(["afp", "example-paper", "*"]),
                                          min_size=1, max_size=2, unique=True))),
            excluded_usage_terms=tuple(draw(st.lists(st.sampled_from(["no archival use"]),
                                                     max_size=1))),
            pictures=draw(st.booleans()),
        )
        formats = tuple(draw(st.lists(st.sampled_from(FORMAT_NAMES), min_size=1, max_size=2,
                                      unique=True)))
        out.append(Partner(id=f"p{i}", name=f"P{i}", formats=formats,
                           max_items=draw(st.integers(1, 8)), max_age=timedelta(days=1),
                           filters=filters, rights=rights, prefix=f"feeds/p{i}/"))
    return out


def _story_version(tag_id: str) -> str:
    """``uri#vN`` from an RFC 4151 entry id ``tag:<authority>,<date>:story:<uri>/vN``."""
    prefix = "tag:feeds.example.com,2026-01-01:story:"
    assert tag_id.startswith(prefix), tag_id
    uri, version = tag_id[len(prefix):].rsplit("/v", 1)
    return f"{unquote(uri)}#v{version}"


def _feed_ids(store: LocalObjectStore, partner: Partner, fmt: str) -> dict[str, bool]:
    """``uri#vN`` -> is it a kill, read back from what was published (not from the code)."""
    data = store.get(partner.prefix + feed_format(fmt).filename)
    if fmt in {"rss", "atom"}:
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0
        return {_story_version(e.id): e.title.startswith("[KILL] ") for e in parsed.entries}
    if fmt == "jsonfeed":
        return {_story_version(i["id"]): i["_ingest"]["status"] == "kill"
                for i in json.loads(data)["items"]}
    if fmt == "ninjs":
        return {f"{i['uri']}#v{i['version']}": i["pubStatus"] == "canceled"
                for i in json.loads(data)["items"]}
    g2 = "{http://iptc.org/std/nar/2006-10-01/}"
    return {f"{i.get('guid')}#v{i.get('version')}":
            i.find(f"{g2}itemMeta/{g2}pubStatus").get("qcode") == "stat:canceled"
            for i in etree.fromstring(data).iter(f"{g2}newsItem")}


@settings(max_examples=max_examples(25), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(stories=articles(), contracts=partners(), data=st.data())
def test_feeds_respect_rights_and_deliver_kills(
    stories: list[Article], contracts: list[Partner], data: st.DataObject
) -> None:
    by_uri = {a.uri: a for a in stories}
    killed = data.draw(st.lists(st.sampled_from(sorted(by_uri)), unique=True))
    with tempfile.TemporaryDirectory() as tmp, \
            open_registry(f"sqlite:///{Path(tmp) / 'r.db'}") as registry:
        store = LocalObjectStore(Path(tmp) / "objects")
        for a in stories:
            registry.record_version(a, raw_key=None, received_at=NOW - timedelta(hours=1))
        received: dict[tuple[str, str], set[str]] = {}
        for partner in contracts:
            build_partner_feeds(registry, store, partner, NOW)
            for fmt in partner.formats:
                ids = _feed_ids(store, partner, fmt)
                raw = store.get(partner.prefix + feed_format(fmt).filename)
                assert not any(ids.values())
                uris = {i.rsplit("#v", 1)[0] for i in ids}
                assert len(uris) <= partner.max_items
                for uri in uris:
                    assert partner.allows(by_uri[uri]), (partner.id, uri)
                    for picture in by_uri[uri].pictures:
                        if not partner.rights.picture_ok(picture):
                            assert picture.renditions[0].href.encode() not in raw
                received[(partner.id, fmt)] = uris

        later = NOW + timedelta(minutes=5)
        for uri in killed:
            registry.record_version(
                Article(uri=uri, version=2, pub_status="canceled", headline="Withdrawn",
                        version_created=later, provider=by_uri[uri].provider),
                raw_key=None, received_at=later)
        for partner in contracts:
            build_partner_feeds(registry, store, partner, later + timedelta(minutes=1))
            for fmt in partner.formats:
                ids = _feed_ids(store, partner, fmt)
                kills = {i.rsplit("#v", 1)[0] for i, is_kill in ids.items() if is_kill}
                items = {i.rsplit("#v", 1)[0] for i, is_kill in ids.items() if not is_kill}
                assert kills == received[(partner.id, fmt)] & set(killed)
                assert not items & set(killed)
