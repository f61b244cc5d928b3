"""The seed page (plain text): the acceptance criteria of the web extraction issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.parsers.base import ParsedItem
from ingest.parsers.text import PlainTextParser
from ingest.validate import ninjs_errors

SEED = Path(__file__).parent.parent / "fixtures" / "web" / "seed-article.txt"
STANDFIRST = (
    "Experts suggest Putin is seeking artillery shells and antitank missiles from North "
    "Korea for Moscow’s war on Ukraine."
)


@pytest.fixture(scope="module")
def seed() -> ParsedItem:
    outcome = next(PlainTextParser().parse(SEED.read_bytes(), source="seed-article.txt"))
    assert isinstance(outcome, ParsedItem)
    return outcome


def test_headline_and_standfirst(seed: ParsedItem) -> None:
    article = seed.article
    assert article.headline == (
        "North Korea's Kim Jong Un en route to Russia in armoured train to meet Vladimir Putin"
    )
    assert article.standfirst == STANDFIRST
    doc = article.to_ninjs()
    assert doc["descriptions"] == [
        {"role": "summary", "contentType": "text/plain", "value": STANDFIRST}
    ]


def test_body_span_and_subheading(seed: ParsedItem) -> None:
    body = seed.article.body_html or ""
    text = seed.article.body_text
    assert body.startswith("<p>NORTH KOREA HAS said")
    assert text.endswith("spending hours on the rails.")
    assert "<h2>‘Pay a price’</h2>" in body
    assert not text.startswith("Experts suggest")
    assert "Alamy" not in body and "©" not in body


def test_credits_and_rights_moved(seed: ParsedItem) -> None:
    article = seed.article
    assert article.copyright_holder == "AFP"
    assert article.copyright_notice == "© AFP 2023"
    assert "AFP" in article.info_sources
    [picture] = article.pictures
    assert picture.credit == "Alamy Stock Photo"
    association = article.to_ninjs()["associations"][0]
    assert association["infoSources"] == [{"name": "Alamy Stock Photo", "role": "credit"}]


def test_donation_appeal_removed_and_reported(seed: ParsedItem) -> None:
    dumped = json.dumps(seed.article.to_ninjs(), ensure_ascii=False)
    for phrase in ("We need your help now", "Support from readers like you",
                   "please contribute", "Advertising revenue"):
        assert phrase not in dumped
    audited = " ".join(s.text for s in seed.stripped if s.kind == "donation_appeal")
    assert "We need your help now" in audited
    assert "Support from readers like you" in audited
    assert "please contribute what you can" in audited


def test_ninjs_valid_and_uri_from_text(seed: ParsedItem) -> None:
    doc = seed.article.to_ninjs()
    assert list(ninjs_errors(doc)) == []
    assert doc["uri"].startswith("urn:ingest:sha256:")
    assert doc["language"] == "en"


def test_uri_is_stable_and_content_addressed() -> None:
    raw = SEED.read_bytes()
    first = next(PlainTextParser().parse(raw, source="a"))
    again = next(PlainTextParser().parse(raw.replace(b"\n\n", b"\r\n\r\n"), source="b"))
    other = next(PlainTextParser().parse(raw.replace(b"begging", b"pleading"), source="c"))
    assert isinstance(first, ParsedItem) and isinstance(again, ParsedItem)
    assert isinstance(other, ParsedItem)
    assert first.article.uri == again.article.uri
    assert first.article.uri != other.article.uri
