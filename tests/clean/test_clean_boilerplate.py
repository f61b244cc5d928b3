"""Each boilerplate kind, English and French: reported, gone from the output, article kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.clean.boilerplate import KINDS, classify_attrs, classify_blocks, classify_text
from ingest.parsers.base import ParsedItem
from ingest.parsers.html import HTMLPageParser

PAGES = Path(__file__).parent.parent / "fixtures" / "web" / "boilerplate"
# The boilerplate text in each fixture, as written there.
BOILERPLATE = {
    ("donation_appeal", "en"): "Please make a donation",
    ("donation_appeal", "fr"): "faites un don",
    ("paywall_prompt", "en"): "This article is for subscribers only",
    ("paywall_prompt", "fr"): "Cet article est réservé aux abonnés",
    ("subscription_prompt", "en"): "Subscribe now for unlimited digital access",
    ("subscription_prompt", "fr"): "Abonnez-vous pour 1 euro par mois",
    ("newsletter_signup", "en"): "Sign up for our morning briefing",
    ("newsletter_signup", "fr"): "Inscrivez-vous à notre lettre d'information",
    ("cookie_notice", "en"): "We use cookies",
    ("cookie_notice", "fr"): "Nous utilisons des cookies",
    ("share_prompt", "en"): "Share this article on Facebook",
    ("share_prompt", "fr"): "Partager cet article sur Facebook",
    ("related_links", "en"): "Drought follows floods",
    ("related_links", "fr"): "la sécheresse succède",
    ("advertisement", "en"): "Advertisement",
    ("advertisement", "fr"): "Publicité",
    ("comments_prompt", "en"): "leave a comment below",
    ("comments_prompt", "fr"): "en laissant un commentaire",
    ("app_promo", "en"): "Download our app",
    ("app_promo", "fr"): "Téléchargez notre application",
    ("signoff", "en"): "Reporting by Jane Doe",
    ("signoff", "fr"): "Suivez-nous sur Facebook",
    ("other", "en"): "Legal notice",
    ("other", "fr"): "Mentions légales",
}
PARAGRAPH_STARTS = {
    "en": ["Heavy rain over the weekend", "Emergency crews worked", "Forecasters expect",
           "The regional government said"],
    "fr": ["Les fortes pluies du week-end", "Les équipes de secours", "Les prévisionnistes",
           "Le gouvernement régional"],
}


def _parse(path: Path) -> ParsedItem:
    outcome = next(HTMLPageParser().parse(path.read_bytes(), source=path.name))
    assert isinstance(outcome, ParsedItem)
    return outcome


def test_every_kind_has_fixtures() -> None:
    assert {kind for kind, _ in BOILERPLATE} == set(KINDS)


@pytest.mark.parametrize(("kind", "lang"), sorted(BOILERPLATE))
def test_kind_reported_and_removed(kind: str, lang: str) -> None:
    item = _parse(PAGES / f"{kind}.{lang}.html")
    snippet = BOILERPLATE[kind, lang]
    assert any(s.kind == kind and snippet in s.text for s in item.stripped), item.stripped
    assert snippet not in json.dumps(item.article.to_ninjs(), ensure_ascii=False)
    for start in PARAGRAPH_STARTS[lang]:
        assert start in item.article.body_text
    assert item.article.language == lang


def test_structural_boilerplate_without_phrases() -> None:
    item = _parse(PAGES / "structural.en.html")
    kinds = {s.kind: s.text for s in item.stripped}
    assert "morning briefing" in kinds["newsletter_signup"]
    assert "tracking help fund" in kinds["cookie_notice"]
    assert "How levees are built" in kinds["related_links"]
    body = item.article.body_text
    for gone in ("morning briefing", "tracking", "levees are built", "Sport"):
        assert gone not in body
    for start in PARAGRAPH_STARTS["en"]:
        assert start in body


def test_article_sentences_mentioning_rule_words_survive() -> None:
    sentence = (
        "The council said residents who had not yet signed up for flood alerts could register "
        "at the town hall, and that a newsletter about the repairs would be sent to every home "
        "in the district before the end of the month."
    )
    assert classify_text(sentence) is None
    assert classify_text("Cookies") == "cookie_notice"


def test_appeal_spreads_to_enclosed_block_only() -> None:
    kinds = classify_blocks([
        "We need your help now",
        "Independent news that tells the truth.",
        "Please make a donation today.",
        "Independent news that tells the truth.",
    ])
    assert kinds == ["donation_appeal", "donation_appeal", "donation_appeal", None]


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        ("article-share-bar", "share_prompt"),
        ("cookie_banner", "cookie_notice"),
        ("ad-slot top", "advertisement"),
        ("head-slot", None),
        ("entry-content main", None),
        ("publication-date", None),
    ],
)
def test_structural_tokens(attrs: str, kind: str | None) -> None:
    assert classify_attrs(attrs) == kind
