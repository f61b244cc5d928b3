"""Every feed state in every format is valid by its own standard's rules.

States: empty, one story, a story with a picture, a correction, a kill only, a kill of a
story with pictures, RFC 5005 archive pages, and a web page with no body and awkward codes.
Each state is built through the real path (a SQLite registry, ``build_partner_feeds``, a
local object store) and every document the partner gets is checked by ``feed_rules``
(RFC 4287's MUSTs with RFC 4151 ids and RFC 3339 dates, RSS 2.0, the W3C Feed Validator's
error-level rules, feedparser, the JSON Feed and ninjs schemas, the NewsML-G2 2.35 XSD).
The stories are written here by hand.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from feed_rules import ATOM, PARSER, atom_problems, format_problems, iri_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ingest.config import ConfigError, Settings
from ingest.model import Article, Picture, Rendition, Subject
from ingest.publish.feeds import build_partner_feeds
from ingest.publish.formats import FeedMeta, Kind, feed_format, make_entry
from ingest.publish.objectstore import LocalObjectStore
from ingest.publish.partners import FORMAT_NAMES, Partner, Rights
from ingest.registry import SQLRegistry, open_registry

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # the build time the caller passes in
FH = "{http://purl.org/syndication/history/1.0}"
G2 = "{http://iptc.org/std/nar/2006-10-01/}"
TAG = "tag:feeds.example.com,2026-01-01:"  # the default authority and its fixed date
PARTNER = Partner(id="states", name="States Wire", formats=FORMAT_NAMES, max_items=2,
                  max_age=timedelta(days=3), rights=Rights(providers=("*",), pictures=True),
                  prefix="feeds/states/", base_url="https://feeds.example.com/")
STORY = "urn:newsml:afp.com:20261127:TX-PAR-STATE1"
PHOTO_KEY = f"media/{'ab' * 32}.jpg"  # a copy in the store (partners link only those)
PHOTO_URI = "urn:newsml:afp.com:20261127:PHO-STATE1"
PHOTO_URL = f"https://feeds.example.com/{PHOTO_KEY}"  # PARTNER has no media_base_url
WEB_URI = "https://www.example.org/2026/11/27/caf%C3%A9?id=7&lang=en"

# -- the states ----------------------------------------------------------------------------


def _story(uri: str = STORY, *, version: int = 1, at: datetime, **fields: Any) -> Article:
    base: dict[str, Any] = {
        "headline": "Rail strike halts trains", "language": "en", "provider": "AFP",
        "byline": "Anna SMITH", "copyright_notice": "© 2026 AFP",
        "body_html": "<p>PARIS (AFP) - Trains stopped.</p>",
        "first_created": NOW - timedelta(hours=3),
    }
    return Article(uri=uri, version=version, version_created=at, **{**base, **fields})


def _photo(href: str = PHOTO_KEY) -> Picture:
    """The store's copy (``PHOTO_KEY``, as recorded) or its public link (as partners see it)."""
    return Picture(PHOTO_URI, caption="Empty platform", credit="AFP Photo",
                   renditions=[Rendition("hd", href, "image/jpeg", 1200, 800, 123456)])


def _kill(uri: str, version: int, at: datetime, **fields: Any) -> Article:
    return _story(uri, version=version, at=at, pub_status="canceled", body_html=None,
                  ed_note="KILL: withdrawn for legal reasons. Do not use.", **fields)


Build = Callable[[SQLRegistry, LocalObjectStore], None]


def _record(registry: SQLRegistry, *articles: Article) -> None:
    for article in articles:
        assert article.version_created is not None
        registry.record_version(article, raw_key=None, received_at=article.version_created)


def _empty(registry: SQLRegistry, store: LocalObjectStore) -> None:
    build_partner_feeds(registry, store, PARTNER, NOW)


def _one_story(registry: SQLRegistry, store: LocalObjectStore) -> None:
    _record(registry, _story(at=NOW - timedelta(hours=1)))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _correction(registry: SQLRegistry, store: LocalObjectStore) -> None:
    _record(registry, _story(at=NOW - timedelta(hours=2)))
    build_partner_feeds(registry, store, PARTNER, NOW - timedelta(minutes=90))
    _record(registry, _story(version=2, at=NOW - timedelta(hours=1), signals=["correction"],
                             ed_note="CORRECTS day in para 1"))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _with_pictures(registry: SQLRegistry, store: LocalObjectStore) -> None:
    _record(registry, _story(at=NOW - timedelta(hours=1), pictures=[_photo()]))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _kill_only(registry: SQLRegistry, store: LocalObjectStore) -> None:
    _record(registry, _story(at=NOW - timedelta(hours=2)))
    build_partner_feeds(registry, store, PARTNER, NOW - timedelta(minutes=90))
    _record(registry, _kill(STORY, 2, NOW - timedelta(hours=1)))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _kill_with_pictures(registry: SQLRegistry, store: LocalObjectStore) -> None:
    _record(registry, _story(at=NOW - timedelta(hours=2), pictures=[_photo()]))
    build_partner_feeds(registry, store, PARTNER, NOW - timedelta(minutes=90))
    _record(registry, _kill(STORY, 2, NOW - timedelta(hours=1), pictures=[_photo()]))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _archive(registry: SQLRegistry, store: LocalObjectStore) -> None:
    start = NOW - timedelta(days=2, hours=12)  # the 25th, 00:00: four stories a day
    _record(registry, *(_story(f"urn:x:story-{i}", at=start + timedelta(hours=6 * i),
                               headline=f"Story {i}") for i in range(10)))
    build_partner_feeds(registry, store, PARTNER, NOW)


def _web_page(registry: SQLRegistry, store: LocalObjectStore) -> None:
    """A web page with no body, no byline, a ``lang="en_US"``, codes with spaces and tabs
    or line breaks in one-line fields (NewsML-G2 names and keywords allow neither)."""
    _record(registry, Article(
        uri=WEB_URI, headline="Café owners & the <new> rules", language="en_US",
        provider="example paper", canonical_url=WEB_URI, version_created=NOW - timedelta(hours=1),
        subjects=[Subject("local news:city hall", "City hall")], genres=[Subject(None, "Op-ed")],
        keywords=["city\thall"], located="Paris,\nFrance"))
    build_partner_feeds(registry, store, PARTNER, NOW)


STATES: dict[str, Build] = {
    "empty": _empty, "one-story": _one_story, "correction": _correction,
    "with-pictures": _with_pictures, "kill-only": _kill_only,
    "kill-with-pictures": _kill_with_pictures, "archive": _archive,
    "web-page-no-body": _web_page,
}
Published = dict[str, dict[str, bytes]]  # state -> key -> bytes


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    out: Published = {}
    for state, build in STATES.items():
        root = tmp_path_factory.mktemp(state)
        store = LocalObjectStore(root / "objects")
        with open_registry(f"sqlite:///{root / 'registry.db'}") as registry:
            build(registry, store)
        out[state] = {info.key: store.get(info.key) for info in store.list(PARTNER.prefix)}
    return out


def _documents(published: Published, state: str, fmt: str) -> dict[str, bytes]:
    """The current feed of ``fmt`` and, for Atom, its archive pages."""
    filename = feed_format(fmt).filename
    docs = {k: v for k, v in published[state].items()
            if k == PARTNER.prefix + filename or k.startswith(f"{PARTNER.prefix}archive/{fmt}-")}
    assert PARTNER.prefix + filename in docs
    return docs


# -- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("state", list(STATES))
def test_every_state_is_valid_in_every_format(
    state: str, fmt: str, published: Published
) -> None:
    for key, data in _documents(published, state, fmt).items():
        assert format_problems(fmt, data) == [], key


def _atom(published: Published, state: str, name: str = "atom.xml") -> etree._Element:
    return etree.fromstring(published[state][PARTNER.prefix + name], PARSER)


def test_the_checkers_catch_the_faults_they_are_for() -> None:
    """The old output: an ``urn:…#v1`` id, a kill with no content, an empty itemSet."""
    old = (b'<feed xmlns="http://www.w3.org/2005/Atom"><id>https://f.example/a</id>'
           b'<title>T</title><updated>2026-11-27T12:00:00Z</updated><author><name>A</name>'
           b'</author><link rel="self" href="https://f.example/a"/><entry>'
           b'<id>urn:newsml:afp.com:20261127:TX-1#v1</id><title>[KILL] T</title>'
           b'<updated>2026-11-27 12:00</updated></entry></feed>')
    assert sorted(atom_problems(old)) == [
        "entry 0: neither atom:content nor link rel=alternate (4.1.2)",
        "id 'urn:newsml:afp.com:20261127:TX-1#v1' is not an RFC 2141 URN",
        "updated: '2026-11-27 12:00' is not an RFC 3339 date-time with an offset"]
    assert iri_problems("tag:feeds.example.com,2026-13:story:x") != []  # no 13th month
    assert iri_problems("tag:feeds.example.com:story:x") != []  # no date
    assert iri_problems("tag:feeds.example.com,2026-01-01:a b") != []
    assert iri_problems("tag:timothy@hr.example.com,2026-01-01:x/v1?y") == []
    empty = (b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header>'
             b'<sent>2026-11-27T12:00:00Z</sent></header><itemSet/></newsMessage>')
    assert format_problems("newsml-g2", empty) != []


def test_entry_ids_are_tag_uris_per_story_and_version(published: Published) -> None:
    ids = [e.findtext(f"{ATOM}id") for e in _atom(published, "correction").iter(f"{ATOM}entry")]
    assert ids == [f"{TAG}story:{STORY}/v2"]
    kill = [e.findtext(f"{ATOM}id") for e in _atom(published, "kill-only").iter(f"{ATOM}entry")]
    assert kill == [f"{TAG}story:{STORY}/v2"]  # the kill is version 2 of the story
    assert _atom(published, "empty").findtext(f"{ATOM}id") == f"{TAG}feed:states/atom"
    rss = etree.fromstring(published["one-story"][PARTNER.prefix + "rss.xml"], PARSER)
    assert [g.text for g in rss.iter("guid")] == [f"{TAG}story:{STORY}/v1"]
    feed = json.loads(published["one-story"][PARTNER.prefix + "feed.json"])
    assert [i["id"] for i in feed["items"]] == [f"{TAG}story:{STORY}/v1"]


def test_ids_do_not_change_with_the_build_time(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        _record(registry, _story(at=NOW - timedelta(hours=1)))
        build_partner_feeds(registry, store, PARTNER, NOW)
        first = feedparser.parse(store.get(PARTNER.prefix + "atom.xml"))
        build_partner_feeds(registry, store, PARTNER, NOW + timedelta(days=1))
        later = feedparser.parse(store.get(PARTNER.prefix + "atom.xml"))
    assert [e.id for e in later.entries] == [e.id for e in first.entries] == [
        f"{TAG}story:{STORY}/v1"]
    assert later.feed.id == first.feed.id == f"{TAG}feed:states/atom"


def test_an_empty_feed_is_dated_by_its_build_time(published: Published) -> None:
    docs = published["empty"]
    assert _atom(published, "empty").findtext(f"{ATOM}updated") == "2026-11-27T12:00:00Z"
    rss = etree.fromstring(docs[PARTNER.prefix + "rss.xml"], PARSER)
    assert rss.findtext("channel/lastBuildDate") == "Fri, 27 Nov 2026 12:00:00 GMT"
    assert json.loads(docs[PARTNER.prefix + "ninjs.json"])["updated"] == "2026-11-27T12:00:00Z"
    g2 = etree.fromstring(docs[PARTNER.prefix + "newsml-g2.xml"], PARSER)
    assert g2.findtext(f"{G2}header/{G2}sent") == "2026-11-27T12:00:00Z"
    item_set = g2.find(f"{G2}itemSet")
    assert item_set is not None
    [package] = item_set  # the XSD wants an item: the empty feed, as a package of nothing
    assert package.tag == f"{G2}packageItem" and package.find(f"{G2}groupSet") is None
    assert package.get("guid") == f"{TAG}feed:states/newsml-g2"
    assert json.loads(docs[PARTNER.prefix + "feed.json"])["items"] == []
    assert not any(b"1970" in data for data in docs.values())


def test_a_kill_says_it_is_withdrawn_and_names_the_story(published: Published) -> None:
    docs = published["kill-only"]
    [entry] = _atom(published, "kill-only").iter(f"{ATOM}entry")
    content = entry.findtext(f"{ATOM}content") or ""
    assert "Withdrawn" in content and STORY in content
    assert entry.findtext(f"{ATOM}updated") == "2026-11-27T11:00:00Z"  # the kill's own time
    [item] = json.loads(docs[PARTNER.prefix + "feed.json"])["items"]
    assert STORY in item["content_html"] and item["_ingest"]["status"] == "kill"
    rss = etree.fromstring(docs[PARTNER.prefix + "rss.xml"], PARSER)
    encoded = rss.findtext("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded")
    assert encoded is not None and STORY in encoded
    [ninjs] = json.loads(docs[PARTNER.prefix + "ninjs.json"])["items"]
    assert ninjs["pubStatus"] == "canceled" and STORY in ninjs["bodies"][0]["value"]


def test_a_kill_of_a_story_with_pictures_links_none_of_them(
    published: Published, tmp_path: Path
) -> None:
    """The decision in ``formats``: a kill drops its story's pictures in every format."""
    store = LocalObjectStore(tmp_path / "objects")
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        _record(registry, _story(at=NOW - timedelta(hours=2), pictures=[_photo()]))
        build_partner_feeds(registry, store, PARTNER, NOW - timedelta(minutes=90))
        before = {info.key: store.get(info.key) for info in store.list(PARTNER.prefix)}
    traces = (PHOTO_URL, PHOTO_KEY, PHOTO_URI, "Empty platform", "AFP Photo")
    for key, data in before.items():  # the story had its picture in every format
        assert PHOTO_URL.encode() in data and b"Empty platform" in data, key
    for key, data in published["kill-with-pictures"].items():
        assert [t for t in traces if t.encode() in data] == [], key
    entry = _atom(published, "kill-with-pictures").find(f"{ATOM}entry")
    assert entry is not None and "Withdrawn" in (entry.findtext(f"{ATOM}content") or "")
    assert entry.find(f"{ATOM}link[@rel='enclosure']") is None


def test_every_document_names_the_url_it_is_published_at(published: Published) -> None:
    """W3C SelfDoesntMatchLocation: the self link (Atom, RSS), ``feed_url`` (JSON Feed) and
    ``feedUrl`` (ninjs) are where the partner fetches the document."""
    for state, docs in published.items():
        for key, data in docs.items():
            url = PARTNER.base_url + key
            if key.endswith(".json"):
                doc = json.loads(data)
                assert doc.get("feed_url", doc.get("feedUrl")) == url, (state, key)
            elif not key.endswith("newsml-g2.xml"):
                root = etree.fromstring(data, PARSER)
                assert [link.get("href") for link in root.iter(f"{ATOM}link")
                        if link.get("rel") == "self"] == [url], (state, key)


def test_archive_pages_follow_rfc_5005(published: Published) -> None:
    current = _atom(published, "archive")
    pages = sorted(k for k in published["archive"] if "/archive/" in k)
    assert pages == ["feeds/states/archive/atom-2026-11-25.xml",
                     "feeds/states/archive/atom-2026-11-26.xml"]

    def links(feed: etree._Element) -> dict[str | None, str | None]:
        return {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}

    base = "https://feeds.example.com/feeds/states/"
    assert current.find(f"{FH}archive") is None
    assert links(current)["prev-archive"] == f"{base}archive/atom-2026-11-26.xml"
    for day, prev in (("26", f"{base}archive/atom-2026-11-25.xml"), ("25", None)):
        page = _atom(published, "archive", f"archive/atom-2026-11-{day}.xml")
        assert page.find(f"{FH}archive") is not None
        assert links(page)["self"] == f"{base}archive/atom-2026-11-{day}.xml"
        assert links(page)["current"] == f"{base}atom.xml"
        assert links(page).get("prev-archive") == prev
        assert page.findtext(f"{ATOM}id") == f"{TAG}feed:states/atom"  # one logical feed
        updated = [e.findtext(f"{ATOM}updated") or "" for e in page.iter(f"{ATOM}entry")]
        assert len(updated) == 4 and all(u.startswith(f"2026-11-{day}T") for u in updated)


def test_the_tagging_entity_is_configured_once(tmp_path: Path) -> None:
    partners_file = Path(__file__).resolve().parent.parent / "fixtures/publish/partners.yaml"
    env = {"INGEST_HOME": str(tmp_path), "INGEST_PARTNERS_FILE": str(partners_file),
           "INGEST_TAG_AUTHORITY": "news.example.org,2025-06"}
    ids = Settings.from_env(env).tag_ids
    assert make_entry(_story(at=NOW), "item", NOW, ids).id == (
        f"tag:news.example.org,2025-06:story:{STORY}/v1")
    assert Settings.from_env({**env, "INGEST_TAG_AUTHORITY": ""}).tag_ids.entry("u", 1) == (
        f"{TAG}story:u/v1")  # the default
    for bad in ("news.example.org", "news example.org,2025", "news.example.org,2025-13-01"):
        with pytest.raises(ConfigError, match="INGEST_TAG_AUTHORITY"):
            Settings.from_env({**env, "INGEST_TAG_AUTHORITY": bad})


def test_a_story_without_body_still_has_atom_content(published: Published) -> None:
    [entry] = _atom(published, "web-page-no-body").iter(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "text"
    assert content.text == "Café owners & the <new> rules"  # the headline, as plain text
    assert entry.findtext(f"{ATOM}id") == (
        f"{TAG}story:https://www.example.org/2026/11/27/caf%25C3%25A9?id=7&lang=en/v1")
    g2 = etree.fromstring(published["web-page-no-body"][PARTNER.prefix + "newsml-g2.xml"],
                          PARSER)
    assert [el.get("tag") for el in g2.iter(f"{G2}language")] == ["en-US"]
    assert [el.get("literal") for el in g2.iter(f"{G2}subject")] == ["local news:city hall"]
    assert [el.text for el in g2.iter(f"{G2}keyword")] == ["city hall"]
    assert [el.get("literal") for el in g2.iter(f"{G2}located")] == ["Paris, France"]


# Strings that upset one format or another: XML-illegal and C1 controls, line and
# paragraph separators, tabs and breaks (no NewsML-G2 name or keyword may hold them),
# markup, CDATA ends, a BOM, no-break spaces, colons (qcode-like codes), astral characters.
AWKWARD = ["\x00", "\x0b", "\x85", "\u2028", "\u2029", "\t", "\n", "\r\n", "<b>", "]]>",
           "&amp;", "\ufeff", "\u00a0", ":", "a b:c", "x:y", "\U0001f600", " ", "é"]
awkward = st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=8)), max_size=4).map(
    "".join)
maybe = st.one_of(st.none(), awkward)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["item", "kill"]), headline=maybe, byline=maybe, place=maybe,
       note=maybe, code=maybe, name=maybe, keyword=awkward, language=maybe)
def test_any_text_in_any_field_keeps_every_format_valid(
    kind: Kind, headline: str | None, byline: str | None, place: str | None,
    note: str | None, code: str | None, name: str | None, keyword: str, language: str | None,
) -> None:
    article = _story(at=NOW, headline=headline, byline=byline, located=place, ed_note=note,
                     slugline=keyword, keywords=[keyword], subjects=[Subject(code, name)],
                     genres=[Subject(name, code)], info_sources=[keyword], language=language,
                     copyright_holder=name, usage_terms=note, pictures=[_photo(PHOTO_URL)],
                     body_html=f"<p>{html.escape(keyword)}</p>")
    meta = FeedMeta("states", "States Wire", "https://feeds.example.com/feeds/states/x",
                    "https://feeds.example.com/feeds/states/", NOW)
    entry = make_entry(article, kind, NOW)
    for fmt in FORMAT_NAMES:
        assert format_problems(fmt, feed_format(fmt).render(meta, [entry])) == [], fmt


def test_an_empty_feed_keeps_its_date_until_something_changes(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with open_registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        first = build_partner_feeds(registry, store, PARTNER, NOW)
        before = {key: store.get(key) for key in first.written}
        again = build_partner_feeds(registry, store, PARTNER, NOW + timedelta(hours=1))
        assert again.written == [] and sorted(again.unchanged) == sorted(before)
        assert {key: store.get(key) for key in before} == before  # still dated 12:00
        _record(registry, _story(at=NOW + timedelta(hours=1)))
        later = build_partner_feeds(registry, store, PARTNER, NOW + timedelta(hours=2))
    assert sorted(later.written) == sorted(before)
    updated = feedparser.parse(store.get(PARTNER.prefix + "atom.xml")).feed.updated
    assert updated == "2026-11-27T13:00:00Z"  # now the story's time


def test_a_story_links_its_picture_in_every_format(published: Published) -> None:
    """So the matrix checks enclosures, ``media:content``, attachments and G2 links too."""
    for key, data in published["with-pictures"].items():
        assert PHOTO_URL.encode() in data, key
