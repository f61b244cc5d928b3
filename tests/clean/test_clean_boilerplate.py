"""Each boilerplate kind in AFP's languages: reported, gone from the output, article kept.

And the other side: prose that mentions a rule phrase stays, whatever its language.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clean.boilerplate import (
    KINDS,
    classify_attrs,
    classify_blocks,
    classify_text,
    sentence_count,
)
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
    ("donation_appeal", "de"): "Unterstützen Sie unabhängigen Journalismus",
    ("donation_appeal", "es"): "Haz una donación",
    ("donation_appeal", "pt"): "Faça uma doação",
    ("donation_appeal", "ar"): "تبرع الآن",
    ("paywall_prompt", "de"): "nur für Abonnenten",
    ("paywall_prompt", "es"): "exclusivo para suscriptores",
    ("paywall_prompt", "pt"): "exclusivo para assinantes",
    ("paywall_prompt", "ar"): "للمشتركين فقط",
    ("subscription_prompt", "de"): "4 Wochen gratis testen",
    ("subscription_prompt", "es"): "Suscríbete por 1 euro al mes",
    ("subscription_prompt", "pt"): "Assine já por R$ 1,90",
    ("subscription_prompt", "ar"): "اشترك الآن مقابل",
    ("newsletter_signup", "de"): "Melden Sie sich für unseren Newsletter an",
    ("newsletter_signup", "es"): "Recibe nuestro boletín",
    ("newsletter_signup", "pt"): "receba a nossa newsletter",
    ("newsletter_signup", "ar"): "اشترك في النشرة البريدية",
    ("cookie_notice", "de"): "Wir verwenden Cookies",
    ("cookie_notice", "es"): "Utilizamos cookies",
    ("cookie_notice", "pt"): "Utilizamos cookies",
    ("cookie_notice", "ar"): "ملفات تعريف الارتباط",
    ("share_prompt", "de"): "Diesen Artikel teilen",
    ("share_prompt", "es"): "Compartir este artículo",
    ("share_prompt", "pt"): "Compartilhe esta notícia",
    ("share_prompt", "ar"): "شارك هذا المقال",
    ("related_links", "de"): "Nach der Flut kommt die Dürre",
    ("related_links", "es"): "La sequía sucede",
    ("related_links", "pt"): "A seca sucede",
    ("related_links", "ar"): "الجفاف يعقب الفيضانات",
    ("advertisement", "de"): "Anzeige",
    ("advertisement", "es"): "Publicidad",
    ("advertisement", "pt"): "Publicidade",
    ("advertisement", "ar"): "إعلان",
    ("comments_prompt", "de"): "Schreiben Sie einen Kommentar",
    ("comments_prompt", "es"): "Deja un comentario",
    ("comments_prompt", "pt"): "Deixe um comentário",
    ("comments_prompt", "ar"): "أضف تعليقاً",
    ("app_promo", "de"): "Laden Sie unsere App",
    ("app_promo", "es"): "Descarga nuestra app",
    ("app_promo", "pt"): "Baixe o nosso app",
    ("app_promo", "ar"): "حمّل تطبيقنا",
    ("signoff", "de"): "Folgen Sie uns auf",
    ("signoff", "es"): "Síguenos en",
    ("signoff", "pt"): "Siga-nos no",
    ("signoff", "ar"): "تابعونا على",
    ("other", "de"): "Impressum",
    ("other", "es"): "Aviso legal",
    ("other", "pt"): "Aviso legal",
    ("other", "ar"): "إخلاء المسؤولية",
}
LANGUAGES = ("en", "fr", "de", "es", "pt", "ar")
PARAGRAPH_STARTS = {
    "en": ["Heavy rain over the weekend", "Emergency crews worked", "Forecasters expect",
           "The regional government said"],
    "fr": ["Les fortes pluies du week-end", "Les équipes de secours", "Les prévisionnistes",
           "Le gouvernement régional"],
    "de": ["Heftiger Regen am Wochenende", "Einsatzkräfte arbeiteten", "Meteorologen erwarten",
           "Die Regionalregierung erklärte"],
    "es": ["Las fuertes lluvias del fin de semana", "Los equipos de emergencia",
           "Los meteorólogos prevén", "El gobierno regional"],
    "pt": ["As fortes chuvas do fim de semana", "As equipes de emergência",
           "Os meteorologistas esperam", "O governo regional"],
    "ar": ["تسببت الأمطار الغزيرة", "وعملت فرق الطوارئ", "ويتوقع خبراء الأرصاد",
           "وقالت الحكومة الإقليمية"],
}


def _parse(path: Path) -> ParsedItem:
    outcome = next(HTMLPageParser().parse(path.read_bytes(), source=path.name))
    assert isinstance(outcome, ParsedItem)
    return outcome


def test_every_kind_has_fixtures_in_every_language() -> None:
    assert set(BOILERPLATE) == {(kind, lang) for kind in KINDS for lang in LANGUAGES}


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
        ("post type-post tag-newsletter category-ads", None),
        ("tag-list", "related_links"),
    ],
)
def test_structural_tokens(attrs: str, kind: str | None) -> None:
    assert classify_attrs(attrs) == kind


def _phrases(lang: str) -> list[str]:
    """Every phrase of one language's rule file, both tiers."""
    text = resources.files("ingest.clean").joinpath("rules", f"{lang}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return [p for tier in ("phrases", "context") for ps in data[tier].values() for p in ps]


# Ordinary news sentences per language, each split where a phrase can be put in the middle.
PROSE = {
    "en": [("The council said residents who had", "could still apply at the town hall."),
           ("Officials expect the repairs, which include", "to take until the end of spring."),
           ("Farmers near the river said", "had not reached them before the water rose."),
           ("The minister told reporters that", "would be discussed at next week's meeting.")],
    "fr": [("Le conseil a indiqué que les habitants concernés par", "pouvaient encore se "
            "présenter à la mairie."),
           ("Les travaux, qui comprennent", "devraient durer jusqu'à la fin du printemps."),
           ("Les agriculteurs riverains ont expliqué que", "ne leur était pas parvenu à temps."),
           ("Le ministre a déclaré aux journalistes que", "serait discuté la semaine prochaine.")],
    "de": [("Der Stadtrat teilte mit, Anwohner, die", "könnten sich weiterhin im Rathaus melden."),
           ("Die Arbeiten, zu denen", "gehört, sollen bis zum Ende des Frühjahrs dauern."),
           ("Landwirte am Fluss sagten, dass", "sie nicht rechtzeitig erreicht habe."),
           ("Der Minister sagte vor Journalisten, dass", "nächste Woche beraten werde.")],
    "es": [("El ayuntamiento dijo que los vecinos afectados por", "aún pueden acudir a la "
            "oficina municipal."),
           ("Las obras, que incluyen", "durarán hasta el final de la primavera."),
           ("Los agricultores de la ribera explicaron que", "no les llegó a tiempo."),
           ("El ministro dijo a los periodistas que", "se debatirá la próxima semana.")],
    "pt": [("A câmara disse que os moradores afetados por", "ainda podem dirigir-se aos "
            "serviços municipais."),
           ("As obras, que incluem", "devem durar até ao fim da primavera."),
           ("Os agricultores da margem explicaram que", "não chegou a tempo."),
           ("O ministro disse aos jornalistas que", "será discutido na próxima semana.")],
    "ar": [("وقال المجلس البلدي إن السكان المتضررين من",
            "يمكنهم مراجعة مقر البلدية حتى نهاية الشهر."),
           ("وتشمل الأشغال الجارية", "ومن المتوقع أن تستمر حتى نهاية الربيع."),
           ("وأوضح المزارعون على ضفاف النهر أن", "لم يصلهم في الوقت المناسب."),
           ("وقال الوزير للصحافيين إن", "سيناقش في اجتماع الأسبوع المقبل.")],
}


@pytest.mark.parametrize("lang", LANGUAGES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_several_sentences_with_a_phrase_are_kept(lang: str, data: st.DataObject) -> None:
    """A phrase never condemns a block of several sentences, alone or among other blocks."""
    phrase = data.draw(st.sampled_from(_phrases(lang)), label="phrase")
    halves = data.draw(st.lists(st.sampled_from(PROSE[lang]), min_size=2, max_size=4),
                       label="sentences")
    where = data.draw(st.integers(0, len(halves) - 1), label="where")
    paragraph = " ".join(
        f"{start} {phrase} {end}" if i == where else f"{start} {end}"
        for i, (start, end) in enumerate(halves)
    )
    assert classify_text(paragraph) is None
    assert classify_blocks([paragraph, paragraph]) == [None, None]


@pytest.mark.parametrize(
    "sentence",
    [
        "Prices for the service start at $9.99 per month, with a free trial for new customers.",
        "The most popular destination this summer was the coast, the tourism board said.",
        "Residents can sign up for the new flood alerts at the town hall until Friday.",
        "Blockchain SEO pricing typically ranges between $3,000 to $15,000 per month.",
        "- Annual subscription: US$189 per year (all languages)",
        "Die Stadt gab im vergangenen Jahr rund 30 Millionen Euro pro Monat für Mieten aus.",
        "Los precios de la suscripción subieron un 5 % al mes durante el verano.",
        "O preço da assinatura mensal subiu para 20 reais por mês em janeiro.",
        "وشارك الرئيس في الاجتماع الذي عقد أمس في العاصمة.",
        "Lo publica hoy el Boletín Oficial del Estado.",
        "Die Werbung für Tabak wird ab Januar verboten.",
    ],
)
def test_prose_naming_prices_popularity_or_rule_words_is_kept(sentence: str) -> None:
    assert classify_text(sentence) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Most read", "related_links"),
        ("Subscription", "subscription_prompt"),
        ("Lesen Sie auch: Die Flut kommt", "related_links"),
        ("ANZEIGE - Heute mal ausgehen?", "advertisement"),
        ("إعلان", "advertisement"),
        ("To view the full story, please subscribe to The Times. "
         "You can choose a $60 annual subscription or a $5 weekly pass.", "paywall_prompt"),
    ],
)
def test_labels_and_calls_are_caught(text: str, kind: str) -> None:
    assert classify_text(text) == kind


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Rain fell. The river rose! Did it flood? Yes", 4),
        ("Growth was 3.5 per cent last year. It slowed.", 2),
        ("東京は晴れ。明日は雨？大阪も！", 3),
        ("هل هذا صحيح؟ نعم. قال المسؤول ذلك", 3),
        ("No end mark here", 1),
        ("...", 0),
    ],
)
def test_sentences_are_counted_in_any_script(text: str, count: int) -> None:
    assert sentence_count(text) == count
