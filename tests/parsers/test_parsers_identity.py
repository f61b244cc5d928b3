"""One story, one uri: the same story via NewsML-G2, NewsML 1.2 and API Core."""

from __future__ import annotations

import pytest
from afp_helpers import articles, only

from ingest.parsers.identity import language_tag, urgency, uri_from_guid, uri_from_uno

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
