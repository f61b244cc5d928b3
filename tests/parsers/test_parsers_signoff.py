"""Desk sign-offs: recognised by their shape in any script, removed only where AFP puts
them (the last paragraph, or the end of it), and never at the cost of a real sentence.

The example sign-offs are the shapes of real AFP copy (FORMATS.md and the Arabic desk's
items in ``tests/fixtures/afp-real/``); the sentences are ordinary prose written for the
test in each desk's language, with the slashes prose has (dates, "24/7", "and/or",
Arabic month pairs such as "آذار/مارس") and the topic lines Arabic copy opens with.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers.body import _SIGNOFF, render_body, text_blocks

REAL_SHAPES = [
    "bur-dar-gl/fz", "pla/mat/cbn", "ilo/bc/fz", "hh/ph", "sst/jj/", "mm-ach/lb",
    "ففف/ح س/كام", "بور/نور/غ ر", "دمس-دلا/غ ر/كام", "ا ف ب/جص", "ع ز-دلا/كام/نور",
    "ماب/رض", "اف ب/ب ق/ود", "سب-لال/كام/شي",
]


def body(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    html, stripped = render_body(text_blocks(paragraphs))
    return html, [s.text for s in stripped if s.kind == "signoff"]


@pytest.mark.parametrize("signoff", REAL_SHAPES)
def test_a_real_signoff_as_the_last_paragraph_goes_and_is_audited(signoff: str) -> None:
    html, stripped = body(["The first sentence.", f"{signoff}  ", "", ""])
    assert html == "<p>The first sentence.</p>"
    assert stripped == [signoff.strip()]


@pytest.mark.parametrize("signoff", REAL_SHAPES)
def test_a_real_signoff_at_the_end_of_the_last_paragraph_goes(signoff: str) -> None:
    html, stripped = body(["One.", f'He said "it is over". {signoff}'])
    assert html == '<p>One.</p><p>He said "it is over".</p>'
    assert stripped == [signoff]


def test_a_signoff_shape_that_is_not_last_is_copy() -> None:
    """Arabic copy opens with a topic line ("اسرائيل/فلسطينيون/نزاع"); short ones have the
    sign-off's shape, but only the last paragraph can be the sign-off."""
    html, stripped = body(["مصر/نزاع", "نص الخبر.", "بور/نور/غ ر"])
    assert html == "<p>مصر/نزاع</p><p>نص الخبر.</p>"
    assert stripped == ["بور/نور/غ ر"]


@pytest.mark.parametrize(
    "last",
    [
        "TCP/IP",  # capitals: not a desk's initials
        "Open 24/7",
        "Les résultats du 26/11/2023",
        "اسرائيل/فلسطينيون/نزاع",  # a topic line: words, not initials
        "He will pay in cash and/or by card",
        "Il a dit: « oui ». AFP/ab",  # capitals again, after a sentence
    ],
)
def test_slashes_in_a_last_paragraph_that_is_not_a_signoff(last: str) -> None:
    html, stripped = body(["First.", last])
    assert stripped == []
    assert html is not None and html.endswith(f"<p>{last}</p>".replace("»", "»"))


def words(text: str) -> list[str]:
    return text.split()


# Ordinary prose in each desk's language: short words included, since a sign-off's pieces
# are short too; slash tokens prose has.
WORDS = {
    "en": words("the a of in on to it is was said minister government police on Friday and for "
        "people two after talks"),
    "fr": words("le la de du et à un une a dit ministre gouvernement vendredi selon les après "
        "deux il elle"),
    "de": words("der die das und in im am ist hat sagte Minister Regierung Freitag nach zwei "
        "es sie"),
    "es": words("el la de y en un una dijo ministro gobierno viernes según los tras dos es "
        "su"),
    "pt": words("o a de e em um uma disse ministro governo sexta-feira segundo os após dois é "
        "ao"),
    "ar": words("في من على عن قال الوزير الحكومة الجمعة إلى بعد مع أن لا ما هو هي الشرطة "
        "مقتل"),
}
SLASHED = {
    "en": ["24/7", "and/or", "26/11/2023", "km/h", "50/50", "his/her", "9/11"],
    "fr": ["24h/24", "26/11/2023", "km/h", "et/ou", "1/2"],
    "de": ["und/oder", "26/11/2023", "km/h", "24/7"],
    "es": ["y/o", "26/11/2023", "km/h", "24/7"],
    "pt": ["e/ou", "26/11/2023", "km/h", "24/7"],
    "ar": ["آذار/مارس", "أيار/مايو", "تشرين الثاني/نوفمبر", "26/11/2023", "آب/اغسطس"],
}
ENDS = [".", "!", "?", '."', ".»", "»", ")", "؟", "…"]


@st.composite
def final_paragraphs(draw: st.DrawFn) -> str:
    """One to three ordinary sentences in one language, the last closing the paragraph."""
    lang = draw(st.sampled_from(sorted(WORDS)))
    tokens = st.one_of(st.sampled_from(WORDS[lang]), st.sampled_from(SLASHED[lang]))
    sentences = []
    for _ in range(draw(st.integers(1, 3))):
        words = draw(st.lists(tokens, min_size=2, max_size=14))
        sentences.append(" ".join(words).capitalize() + draw(st.sampled_from(ENDS)))
    return " ".join(sentences)


@settings(max_examples=400, deadline=None)
@given(final_paragraphs())
def test_an_ordinary_last_paragraph_is_never_cut(last: str) -> None:
    html, stripped = body(["Lead paragraph.", last])
    assert stripped == []
    kept = text_blocks([last])[0][1]
    assert html == f"<p>Lead paragraph.</p><p>{kept}</p>"


@st.composite
def topic_lines(draw: st.DrawFn) -> str:
    """Unpunctuated slash-joined lines of words ("اسرائيل/فلسطينيون/نزاع", headlines
    like "Open 24/7"): at least one word a desk's initials never are (six letters on)."""
    lang = draw(st.sampled_from(sorted(WORDS)))
    long_words = [w for w in WORDS[lang] if len(w) >= 6]
    words = draw(st.lists(st.sampled_from(WORDS[lang] + SLASHED[lang]), max_size=4))
    words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(long_words)))
    return draw(st.sampled_from(["/", " "])).join(words)


@settings(max_examples=300, deadline=None)
@given(topic_lines())
def test_a_last_line_of_words_is_never_taken_for_initials(last: str) -> None:
    assert body(["Lead paragraph.", last])[1] == []


LATIN = "abcdefghijklmnopqrstuvwxyz"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@st.composite
def signoffs(draw: st.DrawFn) -> str:
    """Desk initials of the AFP shape: 2-4 groups, pieces of 1-4 letters joined by "-",
    Arabic initials sometimes spelled out with spaces."""
    letters = draw(st.sampled_from([LATIN, ARABIC]))
    run = st.text(st.sampled_from(letters), min_size=1, max_size=4)
    spaced = st.lists(st.text(st.sampled_from(letters), min_size=1, max_size=2),
                      min_size=2, max_size=3).map(" ".join)
    piece = st.one_of(run, spaced) if letters == ARABIC else run
    group = st.lists(piece, min_size=1, max_size=3).map("-".join)
    # The sign-off is sought in a paragraph's last 80 characters, after a sentence's end;
    # the longest real one above has 16.
    groups = draw(st.lists(group, min_size=2, max_size=4).filter(
        lambda groups: len("/".join(groups)) < 78
    ))
    return "/".join(groups) + draw(st.sampled_from(["", "/"]))


@settings(max_examples=300, deadline=None)
@given(final_paragraphs(), signoffs())
def test_any_signoff_of_the_shape_is_removed_and_the_sentence_kept(
    last: str, signoff: str
) -> None:
    kept = text_blocks([last])[0][1]
    assert body([last, signoff]) == (f"<p>{kept}</p>", [signoff])
    assert body([f"{last} {signoff}"]) == (f"<p>{kept}</p>", [signoff])


# The recogniser's piece tries a plain run of letters before spelled-out initials (the
# cheaper order for most sign-offs); a whole-text match must not depend on that order.
_L = r"[^\W\d_]"
_SPELLED_FIRST = re.compile(
    rf"(?:{_L}{{1,2}}(?: {_L}{{1,2}}){{1,3}}|{_L}{{1,4}})"
    rf"(?:-(?:{_L}{{1,2}}(?: {_L}{{1,2}}){{1,3}}|{_L}{{1,4}}))*"
)
SIGNOFF_REFERENCE = re.compile(rf"{_SPELLED_FIRST.pattern}(?:/{_SPELLED_FIRST.pattern}){{1,7}}/?")


@settings(max_examples=500, deadline=None)
@given(st.one_of(signoffs(), st.text(st.sampled_from("abAB اب-/.1"), max_size=24)))
def test_the_order_of_a_pieces_alternatives_does_not_change_what_is_a_signoff(
    text: str,
) -> None:
    assert bool(_SIGNOFF.fullmatch(text)) == bool(SIGNOFF_REFERENCE.fullmatch(text))
