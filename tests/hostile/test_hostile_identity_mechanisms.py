"""Identity edge cases the format tests do not reach: ids that are not AFP's, numbers too
large to quote whole in an error detail (``str()`` of a huge int costs its square, and
fails past 4300 digits), alert names, picture credits that make AFP the holder, and file
references resolved against where an item was read. Expected values follow the
functions' documented rules (``ingest.parsers.identity``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.errors import IngestError, Reason
from ingest.model import Article
from ingest.parsers.identity import (
    country_code,
    finish,
    integer,
    is_alert,
    picture_rights,
    resolve_href,
    uri_from_guid,
    uri_from_uno,
    version_number,
)

TAKEN = datetime(2026, 11, 27, 8, 15, tzinfo=UTC)


def test_a_foreign_uno_keeps_itself_as_its_only_alt_id() -> None:
    assert uri_from_uno("xyz.example.123") == (
        "urn:afp:uno:xyz.example.123", {"afp-uno": "xyz.example.123"})


def test_an_afp_uno_maps_to_the_newsml_urn_with_all_ids() -> None:
    uri, ids = uri_from_uno("newsml.afp.com.20261127T083012Z.doc-39xk2ab")
    assert uri == "urn:newsml:afp.com:20261127T083012Z:doc-39xk2ab"
    assert ids == {"afp-date-id": "20261127T083012Z", "afp-news-item-id": "doc-39xk2ab",
                   "afp-uno": "newsml.afp.com.20261127T083012Z.doc-39xk2ab"}


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (2**127, str(2**127)),  # 128 bits: still quoted whole
        (2**128, "a 129-bit number"),
        (-(2**128), "a 129-bit number"),
    ],
)
def test_out_of_range_numbers_are_quoted_whole_up_to_128_bits(number: int, shown: str) -> None:
    with pytest.raises(IngestError) as refused:
        version_number(number, "revision")
    assert refused.value.reason is Reason.INVALID_FIELD
    assert refused.value.detail == f"revision: out of range: {shown}"
    with pytest.raises(IngestError, match=f"size: out of range: {shown}"):
        integer(number, "size")


@pytest.mark.parametrize(
    ("value", "alert"),
    [("Alert", True), ("afpattribute:Alert", True), ("genre:Flash", True), (" FLASH ", True),
     ("Article", False), ("afpattribute:Alerts", False), ("", False), (None, False)],
)
def test_alert_names_in_any_scheme_and_case(value: str | None, alert: bool) -> None:
    assert is_alert(value) is alert


@pytest.mark.parametrize(
    ("credit", "when", "rights"),
    [
        ("AFP", TAKEN, ("AFP", "© AFP 2026")),
        ("afp  photo", TAKEN, ("AFP", "© AFP 2026")),  # case and spacing do not matter
        ("AFP PHOTO / AFP", TAKEN, ("AFP", "© AFP 2026")),
        ("ا ف ب/ا ف ب", TAKEN, ("AFP", "© AFP 2026")),
        ("AFP", None, ("AFP", None)),  # no date: the holder, but no notice
        ("AFP/Getty Images", TAKEN, (None, None)),  # not AFP alone
        ("Reuters", TAKEN, (None, None)),
        ("", TAKEN, (None, None)),
        (None, TAKEN, (None, None)),
    ],
)
def test_only_a_credit_naming_afp_alone_makes_afp_the_holder(
    credit: str | None, when: datetime | None, rights: tuple[str | None, str | None]
) -> None:
    assert picture_rights(credit, when) == rights


@pytest.mark.parametrize(
    ("href", "location", "resolved"),
    [
        ("../pics/b.jpg", "HTTP://E.com/a/x.xml", "http://E.com/pics/b.jpg"),  # a URL's rules
        ("b.jpg", "https://e.com/a/x.xml?sig=1", "https://e.com/a/b.jpg"),
        ("abc.jpg", "a.zip!afp/x.xml", "a.zip!afp/abc.jpg"),  # beside it in the archive
        ("abc.jpg", "x.xml", "abc.jpg"),
        ("/pics/a.jpg", "drop/x.xml", "/pics/a.jpg"),  # already absolute
        ("s3://b/k.jpg", "drop/x.xml", "s3://b/k.jpg"),
        ("  ", "drop/x.xml", ""),
    ],
)
def test_file_references_resolve_against_where_the_item_was_read(
    href: str, location: str, resolved: str
) -> None:
    assert resolve_href(href, location) == resolved


def test_a_foreign_guid_is_its_own_uri_and_alt_id() -> None:
    assert uri_from_guid("tag:example.com,2026:1") == (
        "tag:example.com,2026:1", {"guid": "tag:example.com,2026:1"})


def test_the_last_colon_separates_an_alert_names_scheme() -> None:
    assert is_alert("x:afpattribute:Alert")
    assert not is_alert("Alert:afpattribute")


@pytest.mark.parametrize(
    ("value", "code"),
    [("fra", "FRA"), (" Fra ", "FRA"), ("fr", None), ("fran", None), ("f1a", None),
     ("", None), (None, None)],
)
def test_country_codes_are_three_letters_upper_cased(value: str | None, code: str | None) -> None:
    assert country_code(value) == code


def test_an_item_without_headline_is_an_alert_headed_by_its_first_paragraph() -> None:
    article = finish(Article(uri="urn:afp:uno:x", language="en",
                             body_html="<p>Alert sentence here.</p><p>More text.</p>"))
    assert article.headline == "Alert sentence here."
    assert [(g.code, g.name) for g in article.genres] == [("afpattribute:Alert", "Alert")]
