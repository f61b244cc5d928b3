"""AFP NewsML 1.2: values written by hand in the fixtures, ISO-8859-1, photos, revisions."""

from __future__ import annotations

from datetime import UTC, datetime

from afp_helpers import load, only

from ingest.model import Rendition, Subject

STORY = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"


def test_latin1_story_fields() -> None:
    assert load("nml12-story-v1.xml").startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    item = only("nml12-story-v1.xml")
    article = item.article
    assert article.uri == STORY
    assert article.version == 1
    assert article.alt_ids["afp-public-identifier"] == STORY + ":1"
    assert article.first_created == datetime(2026, 11, 27, 8, 30, 12, tzinfo=UTC)
    assert article.urgency == 3
    assert article.language == "en"
    assert article.byline == "Ingrid LARSSON"
    assert article.dateline == "STOCKHOLM, Nov 27, 2026 (AFP) -"
    assert (article.located, article.country) == ("Stockholm", "SWE")
    assert article.slugline == "Sweden-energy-wind-parliament"
    assert article.copyright_notice == "© 2026 AFP"
    assert article.copyright_holder == "AFP"
    assert article.usage_terms == "NO ARCHIVAL USE"
    assert article.products == ["news"]
    assert article.genres == [Subject(name="Article")]
    # IPTC: subj:11000000 exactMatch medtop:11000000, subj:04005000 exactMatch medtop:20000256
    assert [s.code for s in article.subjects] == [
        "subj:11000000", "medtop:11000000", "subj:04005000", "medtop:20000256"
    ]
    assert article.keywords == ["wind", "Gotland"]
    assert "Visby and Malmö said" in (article.body_html or "")
    assert [s.text for s in item.stripped] == ["ilo/bc/fz"]


def test_nitf_subhead_and_empty_paragraphs() -> None:
    body = only("nml12-story-v2-update.xml").article.body_html or ""
    assert "<h2>Fishing concerns</h2>" in body
    assert "<p></p>" not in body
    assert "<br>" not in body
    assert body.count("<p>") == 5


def test_photo_component_becomes_picture() -> None:
    [picture] = only("nml12-story-v1.xml").article.pictures
    assert picture.uri == STORY + "#doc-39xk1pz"
    assert picture.credit == "AFP"
    assert picture.by == "Anders WIKLUND"
    assert picture.copyright_holder == "AFP"
    assert picture.copyright_notice == "© AFP 2026"
    assert picture.caption == (
        "Members of the Swedish parliament vote on the Gotland Offshore wind project in "
        "Stockholm on November 27, 2026."
    )
    assert picture.renditions == [
        Rendition("HighDef", "https://media.afp.com/photos/2026/11/27/doc-39xk1pz-hd.jpg",
                  "image/jpeg", 3000, 2000, 2411832),
        Rendition("Thumbnail", "https://media.afp.com/photos/2026/11/27/doc-39xk1pz-thumb.jpg",
                  "image/jpeg", 240, 160, None),
    ]


def test_revisions_correction_and_kill() -> None:
    update = only("nml12-story-v2-update.xml").article
    correction = only("nml12-story-v3-correction.xml").article
    kill = only("nml12-story-v4-kill.xml").article
    assert {update.uri, correction.uri, kill.uri} == {STORY}
    assert [update.version, correction.version, kill.version] == [2, 3, 4]
    assert update.signals == ["update"]
    assert correction.signals == ["correction"]
    assert correction.ed_note == "CORRECTS spelling of name in para 5 to Erik Holm (not Hollm)"
    assert correction.version_created == datetime(2026, 11, 27, 10, 5, tzinfo=UTC)
    assert kill.pub_status == "canceled"
    assert kill.ed_note is not None and kill.ed_note.startswith("KILL:")


def test_embargoed_bare_paragraph_body() -> None:
    item = only("nml12-embargoed.xml")
    article = item.article
    assert article.pub_status == "usable"
    assert article.embargoed_until == datetime(2026, 11, 28, 0, 1, tzinfo=UTC)
    assert article.urgency == 5  # from the envelope Priority: the item has no Urgency
    assert article.body_html == (
        "<p>A brisk 30-minute walk each day cuts the risk of heart disease by a third, "
        "researchers said in a study to be published on Saturday.</p>"
    )
    assert [s.text for s in item.stripped] == ["jm/rl"]


def test_french_item() -> None:
    article = only("nml12-french.xml").article
    assert article.language == "fr"
    assert article.country == "FRA"
    assert article.headline == (
        "Grève à la SNCF: trafic très perturbé vendredi en Auvergne-Rhône-Alpes"
    )
    assert "<h2>Négociations lundi</h2>" in (article.body_html or "")
