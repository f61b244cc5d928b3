"""AFP API Core JSON: pages and single docs, defaults, per-doc failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from afp_helpers import articles, load, only, outcomes

from ingest.errors import Reason
from ingest.parsers import ParsedItem, ParseFailure, ParseOutcome, parse_bytes

STORY = "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"


def test_story_fields_and_defaults() -> None:
    item = only("api-story-v1.json")
    article = item.article
    assert article.uri == STORY
    assert article.alt_ids["afp-uno"] == "newsml.afp.com.20261127T083012Z.doc-39xk2ab"
    assert article.alt_ids["afp-shortid"] == "39XK2AB"
    assert article.version == 1
    assert article.version_created == datetime(2026, 11, 27, 8, 30, 12, tzinfo=UTC)
    assert article.slugline == "Sweden-energy-wind-parliament"
    # IPTC: subj:11000000 exactMatch medtop:11000000, subj:04005000 exactMatch medtop:20000256
    assert [s.code for s in article.subjects] == [
        "subj:11000000", "medtop:11000000", "subj:04005000", "medtop:20000256"
    ]
    assert (article.located, article.country) == ("Stockholm", "SWE")
    assert article.products == ["news"]
    assert article.standfirst == (
        "Lawmakers voted 201 to 148 to approve the Gotland Offshore project, Sweden's largest."
    )
    assert article.byline == "Ingrid LARSSON"
    assert (article.provider, article.copyright_holder) == ("AFP", "AFP")
    assert article.copyright_notice == "© AFP 2026"
    assert "<h2>Fishing concerns</h2>" in (article.body_html or "")
    assert "ilo/bc/fz" not in (article.body_html or "")
    assert [s.text for s in item.stripped] == ["ilo/bc/fz"]


def test_bag_item_picture() -> None:
    [picture] = only("api-story-v1.json").article.pictures
    assert picture.uri == "urn:newsml:afp.com:20261127T081544Z:doc-39xk1pz"
    assert picture.credit == "AFP"
    assert picture.copyright_notice == "© AFP 2026"
    assert [(r.name, r.width, r.size_in_bytes) for r in picture.renditions] == [
        ("HighDef", 3000, 2411832), ("Thumbnail", 240, None),
    ]


def test_revisions_signals_and_kill_as_single_doc() -> None:
    update = only("api-story-v2-update.json").article
    correction = only("api-story-v3-correction.json").article
    kill = only("api-story-v4-kill.json").article
    assert [update.version, correction.version, kill.version] == [2, 3, 4]
    assert update.signals == ["update"]
    assert correction.signals == ["correction"]
    assert correction.ed_note == "CORRECTS spelling of name in para 5 to Erik Holm (not Hollm)"
    assert kill.pub_status == "canceled"
    assert kill.uri == STORY


def test_embargoed_status() -> None:
    article = only("api-embargoed.json").article
    assert article.pub_status == "usable"
    assert article.embargoed_until == datetime(2026, 11, 28, 0, 1, tzinfo=UTC)
    assert article.language == "en-GB"


def test_french_doc_with_product_list() -> None:
    article = only("api-french.json").article
    assert article.language == "fr"
    assert article.products == ["news", "multimedia"]
    assert article.slugline == "France-transport-grève"
    assert "<h2>Négociations lundi</h2>" in (article.body_html or "")


def test_picture_doc_with_other_uno() -> None:
    article = only("api-photo.json").article
    assert article.uri == "urn:afp:uno:AFP_39XK1PZ"
    assert article.type == "picture"
    assert article.pictures[0].credit == "AFP"


def test_one_bad_doc_does_not_stop_the_page() -> None:
    results = outcomes("api-page-mixed.json")
    assert [type(r).__name__ for r in results] == [
        "ParsedItem", "ParseFailure", "ParseFailure", "ParseFailure", "ParsedItem",
    ]
    failures = [r for r in results if isinstance(r, ParseFailure)]
    assert [(f.reason, f.ref) for f in failures] == [
        (Reason.MISSING_HEADLINE, "newsml.afp.com.20261127T070000Z.doc-39xj0em"),
        (Reason.MISSING_ID, "docs[2]"),
        (Reason.INVALID_FIELD, "newsml.afp.com.20261127T093000Z.doc-39xl7fr"),
    ]
    assert len(articles("api-page-mixed.json")) == 2
    assert all(isinstance(r, ParsedItem) for r in (results[0], results[4]))


def story_page_with(**fields: object) -> list[ParseOutcome]:
    """api-story-v1.json (a page of one doc) with ``fields`` of its doc replaced."""
    page = json.loads(load("api-story-v1.json"))
    page["response"]["docs"][0].update(fields)
    return list(parse_bytes(json.dumps(page).encode(), source="api.json"))


@pytest.mark.parametrize(
    ("key", "value"),
    [("headline", True), ("headline", False), ("slug", [True]), ("city", 1.5),
     ("iptc", ["11000000", None]), ("creator", {"name": "Ingrid LARSSON"})],
)
def test_a_value_that_is_not_text_where_text_is_expected_is_an_invalid_field(
    key: str, value: object
) -> None:
    """``"headline": true`` is no headline (``str()`` would make it "True")."""
    [failure] = story_page_with(**{key: value})
    assert isinstance(failure, ParseFailure)
    assert failure.reason == Reason.INVALID_FIELD
    assert failure.detail.startswith(f"{key}: expected text")


def test_a_whole_number_where_text_is_expected_stands_for_its_digits() -> None:
    [item] = story_page_with(afpshortid=39, slug=["Sweden", 2026])
    assert isinstance(item, ParsedItem)
    assert item.article.alt_ids["afp-shortid"] == "39"
    assert item.article.slugline == "Sweden-2026"
