"""HTML pages: metadata, picture credits, rights, sanitising and character sets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.clean import credits
from ingest.errors import IngestError
from ingest.parsers.base import ParsedItem
from ingest.parsers.html import HTMLPageParser
from ingest.validate import ninjs_errors

NEWS = Path(__file__).parent.parent / "fixtures" / "web" / "news.en.html"


def _parse(raw: bytes) -> ParsedItem:
    outcome = next(HTMLPageParser().parse(raw, source="test"))
    assert isinstance(outcome, ParsedItem)
    return outcome


@pytest.fixture(scope="module")
def news() -> ParsedItem:
    return _parse(NEWS.read_bytes())


def test_metadata(news: ParsedItem) -> None:
    article = news.article
    assert article.headline == "Kim arrives in Vladivostok for Putin summit"
    assert article.standfirst == (
        "The North Korean leader's armoured train crossed into Russia on Tuesday morning."
    )
    assert article.uri == article.canonical_url == "https://news.example.com/world/kim-vladivostok"
    assert article.byline == "Jane Roe"
    assert article.language == "en-GB"
    assert article.first_created == datetime(2023, 9, 12, 4, 30, tzinfo=UTC)
    assert article.version_created == datetime(2023, 9, 12, 9, 0, tzinfo=UTC)
    assert article.dateline == "VLADIVOSTOK"
    assert article.provider == "AFP"
    assert list(ninjs_errors(article.to_ninjs())) == []


def test_body_structure_and_standfirst_not_repeated(news: ParsedItem) -> None:
    body = news.article.body_html or ""
    assert body.startswith("<p>VLADIVOSTOK, Russia (AFP)")
    assert "<h2>Talks expected</h2>" in body
    assert "crossed into Russia on Tuesday morning" not in body
    assert "About us" not in body and "The Daily Example" not in body


def test_picture_with_caption_and_credit(news: ParsedItem) -> None:
    [picture] = news.article.pictures
    assert picture.uri == "https://news.example.com/img/kim-train.jpg"
    assert picture.caption == "Kim Jong Un's train at the border station."
    assert picture.credit == "Jane Doe / AFP"
    assert picture.by == "Jane Doe"
    assert picture.copyright_holder == "AFP"


def test_copyright_line_moved(news: ParsedItem) -> None:
    assert news.article.copyright_holder == "AFP"
    assert news.article.copyright_notice == "Copyright 2023 AFP. All rights reserved."
    assert "Copyright" not in (news.article.body_html or "")


def test_nothing_active_survives(news: ParsedItem) -> None:
    body = (news.article.body_html or "").lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<img", "pixel.gif"):
        assert bad not in body
    assert 'href="https://news.example.com/arms"' in body


@pytest.mark.parametrize(
    ("line", "holder", "notice"),
    [
        ("© AFP 2023", "AFP", "© AFP 2023"),
        ("Copyright 2024 The Associated Press. All rights reserved.", "The Associated Press",
         "Copyright 2024 The Associated Press. All rights reserved."),
        ("© 2023 Le Monde", "Le Monde", "© 2023 Le Monde"),
    ],
)
def test_copyright_lines(line: str, holder: str, notice: str) -> None:
    assert credits.parse_copyright(line) == credits.Copyright(holder, notice)


@pytest.mark.parametrize(
    ("line", "credit", "by", "holder"),
    [
        ("Alamy Stock Photo", "Alamy Stock Photo", None, "Alamy Stock Photo"),
        ("AFP/Getty Images", "AFP/Getty Images", None, "AFP"),
        ("Photo: Jane Doe / AFP", "Jane Doe / AFP", "Jane Doe", "AFP"),
        ("Crédit photo : Ludovic Marin / AFP", "Ludovic Marin / AFP", "Ludovic Marin", "AFP"),
    ],
)
def test_photo_credit_lines(line: str, credit: str, by: str | None, holder: str) -> None:
    assert credits.parse_photo_credit(line) == credits.PhotoCredit(credit, by, holder)


def test_sentences_are_not_credits() -> None:
    assert credits.parse_photo_credit("Reuters reported the deal on Monday.") is None
    debate = "Copyright law was the subject of a long debate in parliament."
    assert credits.parse_copyright(debate) is None


def test_attributions() -> None:
    assert credits.attributions("PARIS (AFP) - Talks began.") == ["AFP"]
    assert credits.attributions("This story was written with Reuters.") == ["Reuters"]
    assert credits.attributions("An expert told AFP the talks would fail.") == []


PAGE = (
    "<html><head>{meta}<title>Été meurtrier</title></head><body><article><h1>Été meurtrier</h1>"
    "<p>La canicule a frappé la région pendant l'été, et les hôpitaux ont été débordés "
    "pendant plusieurs semaines, selon les autorités sanitaires.</p>"
    "<p>Les élus réclament désormais un plan d'urgence pour les étés à venir, avec des "
    "moyens supplémentaires pour les établissements de santé.</p></article></body></html>"
)


def test_declared_charset_is_honoured() -> None:
    raw = PAGE.format(meta='<meta charset="iso-8859-1">').encode("iso-8859-1")
    item = _parse(raw)
    assert item.article.headline == "Été meurtrier"
    assert "hôpitaux ont été débordés" in item.article.body_text


def test_undeclared_charset_is_detected() -> None:
    raw = PAGE.format(meta="").encode("cp1252")
    item = _parse(raw)
    assert "hôpitaux ont été débordés" in item.article.body_text
    assert item.article.language == "fr"


def test_empty_page_is_an_ingest_error() -> None:
    with pytest.raises(IngestError):
        _parse(b"   ")
    with pytest.raises(IngestError):
        _parse(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
