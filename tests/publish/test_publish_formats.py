"""The five formats: valid against their standards, kill and correction markers, clean text."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources

import feedparser
import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from ingest.model import Article
from ingest.publish.formats import (
    Entry,
    FeedMeta,
    feed_format,
    feed_language,
    formats,
    make_entry,
    media_type,
    positive,
    web_uri,
)
from ingest.validate import ninjs_errors

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
G2 = "{http://iptc.org/std/nar/2006-10-01/}"
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TAG = "tag:feeds.example.com,2026-01-01:story:"  # RFC 4151 ids under the default authority


def _entries(articles: list[Article]) -> list[Entry]:
    return [make_entry(a, "kill" if a.pub_status == "canceled" else "item", NOW)
            for a in articles]


def _meta() -> FeedMeta:
    return FeedMeta("demo", "Demo Feed", "https://feeds.example.com/feeds/demo/x",
                    "https://feeds.example.com/feeds/demo/", NOW)


@pytest.fixture(scope="module")
def g2_schema() -> etree.XMLSchema:
    path = resources.files("ingest") / "schemas/newsml-g2/NewsML-G2_2.35-spec-All-Power.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def test_dispatch_table_has_the_five_formats() -> None:
    assert sorted(formats()) == ["atom", "jsonfeed", "newsml-g2", "ninjs", "rss"]


@pytest.mark.parametrize("name", ["rss", "atom", "jsonfeed", "ninjs", "newsml-g2"])
def test_every_format_is_clean_utf8_with_stable_ids(
    name: str, fixture_articles: list[Article]
) -> None:
    data = feed_format(name).render(_meta(), _entries(fixture_articles))
    text = data.decode("utf-8")
    assert not CONTROL.search(data)
    assert "<script" not in text and "onclick" not in text
    assert "Floods close roads in the north" in text


@pytest.mark.parametrize("name", ["rss", "atom", "jsonfeed"])
def test_entry_ids_are_story_and_version(name: str, fixture_articles: list[Article]) -> None:
    text = feed_format(name).render(_meta(), _entries(fixture_articles)).decode()
    for article in fixture_articles:
        assert f"{TAG}{article.uri}/v{article.version}" in text


@pytest.mark.parametrize("name", ["rss", "atom"])
def test_rss_and_atom_parse_without_bozo(name: str, fixture_articles: list[Article]) -> None:
    parsed = feedparser.parse(feed_format(name).render(_meta(), _entries(fixture_articles)))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    by_id = {e.id: e for e in parsed.entries}
    eco = by_id[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v1"]
    assert eco.title == "Central bank holds rates & signals patience"
    assert eco.author == "Anna SMITH"
    assert eco.published_parsed[:5] == (2026, 11, 27, 9, 0)
    kill = by_id[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-FRA01/v2"]
    assert kill.title.startswith("[KILL] ")
    assert {"kill"} <= {t.term for t in kill.tags}
    correction = by_id[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v2"]
    assert "correction" in {t.term for t in correction.tags}


def test_rss_specifics(fixture_articles: list[Article]) -> None:
    data = feed_format("rss").render(_meta(), _entries(fixture_articles))
    root = etree.fromstring(data)
    items = {i.findtext("guid"): i for i in root.iter("item")}
    eco = items[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v1"]
    assert eco.find("guid").get("isPermaLink") == "false"
    media = eco.find("{http://search.yahoo.com/mrss/}content")
    assert media.get("url") == "https://media.example.com/eco01-hd.jpg"
    assert media.findtext("{http://search.yahoo.com/mrss/}credit") == "AFP/Getty Images"
    assert root.findtext("channel/copyright") == "© 2026 AFP"
    assert eco.findtext("{urn:x-ingest:feed:1}status") == "usable"
    kill = items[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-FRA01/v2"]
    assert kill.findtext("{urn:x-ingest:feed:1}status") == "kill"
    fix = items[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-ECO01/v2"]
    assert fix.findtext("{urn:x-ingest:feed:1}edNote") == "CORRECTS rate in para 1 to 3.25 percent"
    fra = items[f"{TAG}urn:newsml:afp.com:20261127:TX-PAR-FRA01/v1"]
    assert fra.findtext("{urn:x-ingest:feed:1}usageTerms") == "NO ARCHIVAL USE"
    assert eco.findtext("pubDate") == "Fri, 27 Nov 2026 09:00:00 GMT"


def test_atom_archive_links() -> None:
    meta = FeedMeta("demo", "Demo", "https://f.example/a.xml", "https://f.example/", NOW,
                    prev_archive="https://f.example/archive/atom-2026-11-26.xml",
                    current_url="https://f.example/atom.xml")
    parsed = feedparser.parse(feed_format("atom").render(meta, []))
    assert parsed.bozo == 0
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["prev-archive"] == "https://f.example/archive/atom-2026-11-26.xml"
    assert links["current"] == "https://f.example/atom.xml"
    root = etree.fromstring(feed_format("atom").render(meta, []))
    assert root.find("{http://purl.org/syndication/history/1.0}archive") is not None


def test_ninjs_feed_items_validate(fixture_articles: list[Article]) -> None:
    doc = json.loads(feed_format("ninjs").render(_meta(), _entries(fixture_articles)))
    assert len(doc["items"]) == len(fixture_articles)
    for item in doc["items"]:
        assert ninjs_errors(item) == []
    statuses = {(i["uri"], i["version"]): i["pubStatus"] for i in doc["items"]}
    assert statuses[("urn:newsml:afp.com:20261127:TX-PAR-FRA01", "2")] == "canceled"
    fix = next(i for i in doc["items"] if i["version"] == "2" and "ECO01" in i["uri"])
    assert fix["edNote"] == "CORRECTS rate in para 1 to 3.25 percent"


def test_jsonfeed_validates_against_its_schema(fixture_articles: list[Article]) -> None:
    schema = json.loads(resources.files("ingest").joinpath(
        "schemas/jsonfeed-1.1.schema.json").read_text("utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    doc = json.loads(feed_format("jsonfeed").render(_meta(), _entries(fixture_articles)))
    assert [e.message for e in validator.iter_errors(doc)] == []
    kill = next(i for i in doc["items"] if i["id"].endswith("FRA01/v2"))
    assert kill["_ingest"]["status"] == "kill" and "kill" in kill["tags"]
    assert kill["title"].startswith("[KILL] ")
    broken = {**doc, "items": [{"id": "x"}]}  # the schema itself can fail
    assert list(validator.iter_errors(broken))


def test_newsml_g2_validates_against_the_xsd(
    fixture_articles: list[Article], g2_schema: etree.XMLSchema
) -> None:
    data = feed_format("newsml-g2").render(_meta(), _entries(fixture_articles))
    doc = etree.fromstring(data)
    assert g2_schema.validate(doc), g2_schema.error_log
    items = {(i.get("guid"), i.get("version")): i for i in doc.iter(f"{G2}newsItem")}
    kill = items[("urn:newsml:afp.com:20261127:TX-PAR-FRA01", "2")]
    assert kill.find(f"{G2}itemMeta/{G2}pubStatus").get("qcode") == "stat:canceled"
    fix = items[("urn:newsml:afp.com:20261127:TX-PAR-ECO01", "2")]
    assert fix.find(f"{G2}itemMeta/{G2}signal").get("qcode") == "sig:correction"
    assert fix.findtext(f"{G2}itemMeta/{G2}edNote") == "CORRECTS rate in para 1 to 3.25 percent"
    fra = items[("urn:newsml:afp.com:20261127:TX-PAR-FRA01", "1")]
    assert fra.findtext(f"{G2}rightsInfo/{G2}usageTerms") == "NO ARCHIVAL USE"
    body = fix.find(f"{G2}contentSet/{G2}inlineXML/{{http://www.w3.org/1999/xhtml}}html")
    assert body is not None
    assert "3.25 percent" in "".join(body.itertext())


@pytest.mark.parametrize(("raw", "tag"), [
    ("en_US", "en-US"), ("fr", "fr"), ("zh-Hant-TW", "zh-Hant-TW"), (" de ", "de"),
    ("english", None), ("zz", None), ("eng", None), ("en-", None), ("", None), (None, None)])
def test_languages_are_bcp47_tags_with_an_iso_639_1_primary_subtag(
    raw: str | None, tag: str | None
) -> None:
    assert feed_language(raw) == tag


@pytest.mark.parametrize(("raw", "uri"), [
    ("https://www.example.org/a?b=1#c", "https://www.example.org/a?b=1#c"),
    ("https://exämple.org/a b/é?q=ü", "https://xn--exmple-cua.org/a%20b/%C3%A9?q=%C3%BC"),
    ("HTTP://Example.org/100%", "http://example.org/100%25"),
    ("https://user:secret@example.org/", "https://example.org/"),
    ("ftp://example.org/x", None), ("/relative", None), ("media/x.jpg", None), (None, None)])
def test_links_are_absolute_ascii_web_uris(raw: str | None, uri: str | None) -> None:
    assert web_uri(raw) == uri


def test_media_types_and_sizes_are_written_only_when_well_formed() -> None:
    assert media_type("image/jpeg") == "image/jpeg"
    assert media_type('text/html; charset="utf-8"') == 'text/html; charset="utf-8"'
    assert [media_type(v) for v in ("jpeg", "image/", "image/jpeg;", None)] == [None] * 4
    assert [positive(v) for v in (1234, 0, -1, None)] == ["1234", None, None, None]
