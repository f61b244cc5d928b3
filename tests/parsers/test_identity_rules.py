"""The rules ``finish`` and the AFP value normalisers apply, at their edges: which items
AFP provides, which date dates a notice, how an alert genre replaces a format's spelling,
what an item without an id is refused as, and the bounds of numbers and language tags.

Expected values come from the rules themselves: the docstrings of
``ingest.parsers.identity``, BCP 47 (RFC 5646: a 2-3 letter primary language, region in
upper case, script as given), the IPTC Media Topic names shipped in ``ingest/vocab``
(medtop:11000000 is "politics" in English, "Politique" in French) and the JSON /
32-bit limits the module names. Found by ``make mutants`` (docs/testing.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.errors import IngestError, Reason
from ingest.model import Article, Subject
from ingest.parsers.identity import (
    ALERT_GENRE,
    MAX_DIGITS,
    MAX_INTEGER,
    MAX_VERSION,
    finish,
    integer,
    language_tag,
    parse_date,
    version_number,
    whole_number,
)

ALERT = Subject(code=ALERT_GENRE[0], name=ALERT_GENRE[1], uri=ALERT_GENRE[2])
NEWS = Subject(code="genre:Current", name="Current")


def story(**fields: object) -> Article:
    fields.setdefault("uri", "urn:newsml:afp.com:20261127T083012Z:doc-1")
    fields.setdefault("headline", "A headline")
    return Article(**fields)  # type: ignore[arg-type]


def test_a_story_with_a_headline_and_no_alert_sign_is_not_an_alert() -> None:
    assert finish(story(genres=[NEWS], body_html="<p>Text.</p>")).genres == [NEWS]


@pytest.mark.parametrize(
    "given",
    [
        Subject(code="genre:Flash", name="Urgent"),  # the code names the alert
        Subject(code="afpattribute:Bulletin", name="Alert"),  # only the name does
    ],
)
def test_an_alert_genre_in_any_spelling_becomes_the_one_alert_genre(given: Subject) -> None:
    genres = finish(story(genres=[NEWS, given])).genres
    assert genres == [NEWS, ALERT]  # the other genre kept, the alert with its uri


def test_an_item_without_a_headline_takes_its_first_paragraph_as_the_alert_headline() -> None:
    # AFP sends an alert as body only; a follow-up paragraph ("More to follow") must not
    # become the headline, nor the body's whole text.
    body = "<p>Quake hits X.</p><p>More to follow.</p><p>AFP</p>"
    article = finish(story(headline=None, body_html=body))
    assert article.headline == "Quake hits X."
    assert article.genres == [ALERT]


def test_an_alert_by_item_type_gains_the_alert_genre_with_its_uri() -> None:
    genres = finish(story(genres=[NEWS]), alert=True).genres
    assert genres == [NEWS, ALERT]


@pytest.mark.parametrize(
    ("uri", "provider"),
    [
        ("urn:newsml:afp.com:20261127T083012Z:doc-1", "AFP"),
        ("urn:afp:uno:xyz", "AFP"),
        ("tag:example.org,2026:story-1", None),  # not AFP's: no provider is claimed
    ],
)
def test_afp_uris_alone_make_afp_the_provider(uri: str, provider: str | None) -> None:
    assert finish(story(uri=uri)).provider == provider


def test_a_provider_the_item_names_is_kept_even_on_an_afp_uri() -> None:
    article = finish(story(provider="Reuters"))
    assert (article.provider, article.copyright_holder, article.copyright_notice) == (
        "Reuters", None, None)


def test_the_notice_is_dated_by_the_version_before_the_first_creation() -> None:
    article = finish(story(first_created=datetime(2025, 12, 31, 23, tzinfo=UTC),
                           version_created=datetime(2026, 1, 1, 1, tzinfo=UTC)))
    assert article.copyright_notice == "© AFP 2026"


@pytest.mark.parametrize(("language", "name"), [("fr", "Politique"), ("en", "politics")])
def test_subject_names_follow_the_items_language(language: str, name: str) -> None:
    article = finish(story(language=language, subjects=[Subject(code="medtop:11000000")]))
    assert [s.name for s in article.subjects if s.code == "medtop:11000000"] == [name]


def test_an_item_without_id_is_refused_as_missing_its_id() -> None:
    with pytest.raises(IngestError) as refused:
        finish(story(uri=""))
    assert refused.value.reason is Reason.MISSING_ID
    assert refused.value.detail == "item has no identifier"


def test_numbers_are_accepted_up_to_and_including_their_limits() -> None:
    assert integer(str(MAX_INTEGER), "size") == 2**53 - 1
    assert version_number(str(MAX_VERSION), "revision") == 2**31 - 1
    largest_int64 = "18446744073709551615"  # 2**64 - 1: MAX_DIGITS digits
    assert len(largest_int64) == MAX_DIGITS
    assert whole_number(largest_int64) == 2**64 - 1
    assert whole_number("1" * (MAX_DIGITS + 1)) is None


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("en-gb", "en-GB"),  # region: upper case
        ("sr-Latn", "sr-Latn"),  # script: as given, not upper-cased
        ("zh_hant_TW", "zh-hant-TW"),
        ("engl", None),  # four letters are no primary language
    ],
)
def test_language_tags_take_bcp47_casing_and_shape(value: str, tag: str | None) -> None:
    assert language_tag(value) == tag


def test_an_unreadable_dates_detail_quotes_at_most_60_characters_of_it() -> None:
    value = "x" * 100
    with pytest.raises(IngestError) as refused:
        parse_date(value, "versionCreated")
    assert refused.value.detail == f"versionCreated: not a date: {'x' * 60!r}"
