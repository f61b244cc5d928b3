"""NewsML-G2: field values written by hand in the fixtures come out as Article fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from afp_helpers import FIXTURES, articles, only
from lxml import etree

from ingest.model import Rendition, Subject
from ingest.validate import ninjs_errors

STORY = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
XSD = FIXTURES.parents[2] / "src/ingest/schemas/newsml-g2/NewsML-G2_2.35-spec-All-Power.xsd"
VALID_G2 = [
    "g2-story-v1.xml", "g2-story-v2-update.xml", "g2-story-v3-correction.xml",
    "g2-story-v4-kill.xml", "g2-embargoed.xml", "g2-french.xml", "g2-alert.xml",
    "g2-alert-no-genre.xml",
]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.mark.parametrize("name", VALID_G2)
def test_fixture_is_valid_newsml_g2_2_35(schema: etree.XMLSchema, name: str) -> None:
    document = etree.parse(str(FIXTURES / name))
    assert schema.validate(document), schema.error_log


def test_text_item_fields() -> None:
    parsed = articles("g2-story-v1.xml")
    assert len(parsed) == 1  # the linked picture travels with the text, not on its own
    article = parsed[0].article
    assert article.uri == STORY
    assert article.version == 1
    assert article.type == "text"
    assert article.pub_status == "usable"
    assert article.version_created == datetime(2026, 11, 27, 8, 30, 12, tzinfo=UTC)
    assert article.urgency == 3
    assert article.language == "en"
    assert article.headline == "Swedish parliament backs giant Baltic wind farm"
    assert article.subheadline == "Vote clears way for 2,400-megawatt project off Gotland"
    assert article.standfirst.startswith("Lawmakers voted 201 to 148")
    assert article.byline == "Ingrid LARSSON"
    assert article.dateline == "STOCKHOLM, Nov 27, 2026 (AFP) -"
    assert article.located == "Stockholm"
    assert article.country == "SWE"
    assert article.slugline == "Sweden-energy-wind-parliament"
    assert article.genres == [Subject("genre:Article", "Article")]
    assert Subject("medtop:11000000", "politics", MEDTOP + "11000000") in article.subjects
    assert article.products == ["news"]
    assert article.provider == "AFP"
    assert article.copyright_holder == "AFP"
    assert article.copyright_notice == "© AFP 2026"
    assert article.usage_terms == "NO ARCHIVAL USE"
    assert article.alt_ids["afp-news-item-id"] == "doc-39xk2ab"
    assert article.signals == []


def test_body_subheads_signoff_and_empty_paragraphs() -> None:
    item = only("g2-story-v2-update.xml")
    body = item.article.body_html or ""
    assert "<h2>Fishing concerns</h2>" in body
    assert "- Fishing concerns -" not in body
    assert "<em>one million homes</em>" in body
    assert "<p></p>" not in body
    assert "ilo/bc/fz" not in body
    assert body.endswith('"a turning point for Swedish energy".</p>')
    assert [(s.kind, s.text) for s in item.stripped] == [("signoff", "ilo/bc/fz")]


def test_linked_picture_has_its_own_credit_and_rights() -> None:
    [picture] = articles("g2-story-v1.xml")[0].article.pictures
    assert picture.uri == "urn:newsml:afp.com:20261127T081544Z:doc-39xk1pz"
    assert picture.credit == "TT News Agency/AFP"
    assert picture.by == "Anders WIKLUND"
    assert picture.copyright_holder == "TT News Agency"
    assert picture.copyright_notice == "© TT News Agency 2026"
    assert picture.usage_terms == "SWEDEN OUT"
    assert picture.caption.startswith("Members of the Swedish parliament vote")
    assert picture.renditions[0] == Rendition(
        "highRes", "https://media.afp.com/photos/2026/11/27/doc-39xk1pz-hd.jpg",
        "image/jpeg", 3000, 2000, 2411832,
    )
    assert len(picture.renditions) == 2


def test_update_correction_and_kill_keep_the_story_uri() -> None:
    update = only("g2-story-v2-update.xml").article
    correction = only("g2-story-v3-correction.xml").article
    kill = only("g2-story-v4-kill.xml").article
    assert {update.uri, correction.uri, kill.uri} == {STORY}
    assert (update.version, correction.version, kill.version) == (2, 3, 4)
    assert update.signals == ["update"]
    assert correction.signals == ["correction"]
    assert correction.is_correction
    assert correction.ed_note == "CORRECTS spelling of name in para 5 to Erik Holm (not Hollm)"
    assert "Erik Holm of" in (correction.body_html or "")
    assert kill.pub_status == "canceled"
    assert kill.signals == []
    assert kill.to_ninjs()["pubStatus"] == "canceled"


def test_embargo_with_offset_dates_become_utc() -> None:
    article = only("g2-embargoed.xml").article
    assert article.embargoed_until == datetime(2026, 11, 28, 0, 1, tzinfo=UTC)
    assert article.version_created == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert article.language == "en-GB"
    assert article.ed_note == "EMBARGOED until 0001 GMT Saturday November 28"
    assert article.to_ninjs()["embargoedUntil"] == "2026-11-28T00:01:00Z"


def test_french_nitf_item_with_versioned_guid() -> None:
    item = only("g2-french.xml")
    article = item.article
    assert article.uri == "urn:newsml:afp.com:20261127T093000Z:doc-39xl7fr"  # ":2" dropped
    assert article.alt_ids["afp-guid"].endswith(":2")
    assert article.language == "fr"
    assert article.country == "FRA"
    assert article.headline.startswith("Grève à la SNCF")
    assert article.body_html == (
        "<p>Le trafic ferroviaire était très perturbé vendredi en Auvergne-Rhône-Alpes, où "
        "seul un TER sur trois circulait, selon la direction régionale.</p>"
        "<h2>Négociations lundi</h2>"
        "<p>Les syndicats et la direction doivent se retrouver lundi à Paris.</p>"
    )
    assert [s.text for s in item.stripped] == ["pla/mat/cbn"]


def test_unlinked_picture_becomes_a_picture_article() -> None:
    raw = (FIXTURES / "g2-story-v1.xml").read_bytes().replace(b'rel="irel:seeAlso"', b'rel="x"')
    raw = raw.replace(b'residref="urn:newsml:afp.com:20261127T081544Z:doc-39xk1pz"', b"")
    from ingest.parsers import parse_bytes

    text, picture = list(parse_bytes(raw, source="message.xml"))
    assert text.article.pictures == []  # type: ignore[union-attr]
    assert picture.article.type == "picture"  # type: ignore[union-attr]
    assert picture.article.pictures[0].credit == "TT News Agency/AFP"  # type: ignore[union-attr]
    assert ninjs_errors(picture.article.to_ninjs()) == []  # type: ignore[union-attr]
