"""Alerts are articles in every AFP format: no headline, one sentence and a sign-off.

The fixtures are written in the shape of the real Arabic-desk alerts (see
``tests/fixtures/afp-real/``): the same alert as NewsML 1.2 (``NewsItemType Alert``, empty
``HeadLine``), NewsML-G2 (an ``afpattribute:Alert`` genre, empty ``headline``) and API Core
(``genre``/``genreid``, no ``headline``); and one G2 item that says nothing but has the
shape (no headline, one paragraph ending in its sign-off).
"""

from __future__ import annotations

import pytest
from afp_helpers import load, only

from ingest.model import Subject
from ingest.parsers import ParsedItem, parse_bytes
from ingest.parsers.identity import ALERT_GENRE

SENTENCE = (
    "Swedish parliament approves Baltic wind farm, biggest energy project in country's history"
)
ALERT = Subject(*ALERT_GENRE)


@pytest.mark.parametrize(
    ("name", "urgency", "slugline"),
    [("nml12-alert.xml", 1, "ALERT"), ("g2-alert.xml", 1, "ALERT"), ("api-alert.json", 1, "ALERT")],
)
def test_an_alert_is_a_story_with_its_sentence_as_headline_and_body(
    name: str, urgency: int, slugline: str
) -> None:
    item = only(name)
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20261127T061502Z:TX-PAR-QAB12"
    assert article.headline == SENTENCE
    assert article.body_html == f"<p>{SENTENCE}</p>"
    assert [(s.kind, s.text) for s in item.stripped] == [("signoff", "ilo/bc")]
    assert article.urgency == urgency
    assert article.slugline == slugline
    assert article.genres == [ALERT]
    assert article.copyright_holder == "AFP"
    doc = article.to_ninjs()
    assert doc["genres"] == [
        {"uri": "http://cv.afp.com/attributes/Alert", "name": "Alert",
         "literal": "afpattribute:Alert"}
    ]
    assert doc["headlines"][0]["value"] == SENTENCE


def test_an_item_with_the_alert_shape_and_no_marker_is_an_alert() -> None:
    item = only("g2-alert-no-genre.xml")
    article = item.article
    text = "Le Parlement suédois approuve un parc éolien géant en mer Baltique."
    assert article.headline == text
    assert article.body_text == text
    assert [(s.kind, s.text) for s in item.stripped] == [("signoff", "pla/mat")]
    assert article.urgency == 2
    assert article.genres == [ALERT]


def test_a_story_with_a_headline_is_not_an_alert() -> None:
    article = only("nml12-story-v1.xml").article
    assert ALERT not in article.genres


def test_a_g2_signal_naming_an_alert_marks_a_story_with_a_headline() -> None:
    raw = load("g2-alert.xml").replace(
        b'<genre qcode="afpattribute:Alert"><name>Alert</name></genre>', b""
    ).replace(b"<headline/>", b"<headline>Baltic wind farm approved</headline>").replace(
        b'<pubStatus qcode="stat:usable"/>',
        b'<pubStatus qcode="stat:usable"/><signal qcode="afpattribute:Alert"/>',
    )
    [item] = list(parse_bytes(raw, source="g2-alert-signal.xml"))
    assert isinstance(item, ParsedItem)
    assert item.article.headline == "Baltic wind farm approved"
    assert item.article.genres == [ALERT]
