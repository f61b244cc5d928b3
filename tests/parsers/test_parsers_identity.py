"""One story, one uri: the same story via NewsML-G2, NewsML 1.2 and API Core."""

from __future__ import annotations

import pytest
from afp_helpers import articles, only

from ingest.model import Picture, Rendition
from ingest.parsers.identity import (
    language_tag,
    resolve_href,
    urgency,
    uri_from_guid,
    uri_from_uno,
)

STORY = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
SAME_STORY = {
    "g2": ["g2-story-v1.xml", "g2-story-v3-correction.xml"],
    "nml12": ["nml12-story-v1.xml", "nml12-story-v3-correction.xml"],
    "api": ["api-story-v1.json", "api-story-v3-correction.json"],
}


def test_same_story_same_uri_in_every_format() -> None:
    uris = {articles(name)[0].article.uri for names in SAME_STORY.values() for name in names}
    assert uris == {STORY}


def test_same_picture_same_uri_from_g2_and_api() -> None:
    g2 = articles("g2-story-v1.xml")[0].article.pictures[0]
    api = only("api-story-v1.json").article.pictures[0]
    assert g2.uri == api.uri == "urn:newsml:afp.com:20261127T081544Z:doc-39xk1pz"


def test_same_body_text_in_every_format() -> None:
    texts = {
        name: only(name).article.body_text.replace("one million homes", "")
        for name in ("g2-story-v3-correction.xml", "api-story-v3-correction.json")
    }
    assert len(set(texts.values())) == 1


@pytest.mark.parametrize(
    ("guid", "uri"),
    [
        ("urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86:3",
         "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86"),
        ("urn:newsml:afp.com:20240710:doc-1td46m", "urn:newsml:afp.com:20240710:doc-1td46m"),
        ("tag:gettyimages.com,2010:GYI0062134533", "tag:gettyimages.com,2010:GYI0062134533"),
    ],
)
def test_guid_to_uri(guid: str, uri: str) -> None:
    assert uri_from_guid(guid)[0] == uri


def test_uno_to_uri() -> None:
    assert uri_from_uno("newsml.afp.com.20230911T023015Z.doc-33um8b6")[0] == (
        "urn:newsml:afp.com:20230911T023015Z:doc-33um8b6"
    )
    assert uri_from_uno("AFP_33UM8B6")[0] == "urn:afp:uno:AFP_33UM8B6"


@pytest.mark.parametrize(
    ("raw", "tag"), [("EN", "en"), ("fr_fr", "fr-FR"), ("en-gb", "en-GB"), ("??", None), ("", None)]
)
def test_language_tags(raw: str, tag: str | None) -> None:
    assert language_tag(raw) == tag


@pytest.mark.parametrize(
    ("raw", "value"), [("1", 1), (9, 9), ("0", None), ("10", None), ("x", None)]
)
def test_urgency_range(raw: str | int, value: int | None) -> None:
    assert urgency(raw) == value


@pytest.mark.parametrize(
    ("href", "location", "resolved"),
    [
        ("abc.jpg", "https://wire.example.com/afp/x.xml", "https://wire.example.com/afp/abc.jpg"),
        ("../img/abc.jpg", "https://wire.example.com/afp/x.xml",
         "https://wire.example.com/img/abc.jpg"),
        ("abc.jpg", "s3://bucket/afp/2026/x.xml", "s3://bucket/afp/2026/abc.jpg"),
        ("abc.jpg", "drop/ara/x.xml", "drop/ara/abc.jpg"),
        ("abc.jpg", "x.xml", "abc.jpg"),
        ("abc.jpg", "a.zip!afp/x.xml", "a.zip!afp/abc.jpg"),
        ("https://cdn.example.com/a.jpg", "s3://bucket/x.xml", "https://cdn.example.com/a.jpg"),
        ("javascript:alert(1)", "https://wire.example.com/x.xml", "javascript:alert(1)"),
    ],
)
def test_a_file_an_item_names_resolves_against_where_it_was_read(
    href: str, location: str, resolved: str
) -> None:
    assert resolve_href(href, location) == resolved


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://cdn.example.com/a.jpg", True), ("s3://bucket/a.jpg", True),
        ("drop/a.jpg", True), ("a.jpg", True), ("/srv/drop/a.jpg", True),
        ("javascript:alert(1)", False), ("data:image/png;base64,AAAA", False),
        ("file:///etc/passwd", False), ("//evil.example.com/a.jpg", False), ("", False),
        ("C:\\drop\\a.jpg", False),
    ],
)
def test_a_picture_keeps_web_links_and_files_only(href: str, kept: bool) -> None:
    picture = Picture(uri="urn:x:p", renditions=[Rendition("HighDef", href)])
    assert bool(picture.renditions) is kept
    assert bool(picture.web_renditions) is href.startswith("https://")
