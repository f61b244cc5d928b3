"""Choosing the article's blocks: teaser runs, the narrowed container, hidden copies, tables."""

from __future__ import annotations

from ingest.parsers.base import ParsedItem
from ingest.parsers.html import HTMLPageParser

PARAGRAPHS = [
    "Heavy rain over the weekend pushed the river above its banks on Sunday, forcing more "
    "than twelve thousand residents of the delta region to leave their homes, officials said.",
    "Emergency crews worked through the night to reinforce levees near the town of Marlow, "
    "where water reached the first floor of several houses and the main road was closed.",
    "Forecasters expect the rain to ease by Wednesday, but warned that the river would stay "
    "high for several days as water from upstream tributaries continued to arrive.",
    "The regional government said temporary shelters had been opened in three schools and "
    "that drinking water was being distributed to families who had stayed behind.",
]


def _card(n: int) -> str:
    return (f'<div class="card card-{n}"><a href="/story-{n}"><img src="/{n}.jpg"></a>'
            f'<h3><a href="/story-{n}">Other story number {n} from the archive</a></h3>'
            f"<p>A short summary of the other story number {n}, with enough words to "
            "read like a real excerpt of some length.</p></div>")


def _page(body: str) -> bytes:
    return (f"<html><head><title>Flooding in the delta</title></head><body>{body}"
            "</body></html>").encode()


def _parse(body: str) -> ParsedItem:
    outcome = next(HTMLPageParser().parse(_page(body), source="test"))
    assert isinstance(outcome, ParsedItem)
    return outcome


def _article() -> str:
    return "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def test_teaser_cards_after_the_article_are_removed_and_reported() -> None:
    cards = "".join(_card(n) for n in range(4))
    item = _parse(f"<main><article>{_article()}</article><section>{cards}</section></main>")
    assert "Other story" not in item.article.body_text
    assert any(s.kind == "related_links" and "Other story number 2" in s.text
               for s in item.stripped)
    for paragraph in PARAGRAPHS:
        assert paragraph in item.article.body_text


def test_cards_that_are_the_article_stay() -> None:
    cards = "".join(_card(n) for n in range(4))
    item = _parse(f"<main><p>{PARAGRAPHS[0]}</p>{cards}<p>{PARAGRAPHS[1]}</p>"
                  f"<p>{PARAGRAPHS[2]}</p></main>")
    assert "other story number 3" in item.article.body_text


def test_container_narrows_but_keeps_the_intro_before_it() -> None:
    intro = "A short intro paragraph that sets the scene before the story proper begins."
    legal = ("Insurance products are offered through a company licensed in all fifty states, "
             "subject to terms, conditions and availability; see the policy for details. ")
    body = (f'<div class="page"><div class="intro"><p>{intro}</p></div>'
            f'<div class="story">{_article() * 3}</div>'
            f'<div class="legal"><p>{legal}</p></div></div>')
    text = _parse(body).article.body_text
    assert intro in text and PARAGRAPHS[3] in text
    assert "Insurance products" not in text


def test_hidden_copy_of_the_article_is_dropped() -> None:
    copy = " ".join(PARAGRAPHS)
    item = _parse(f"<article>{_article()}</article><pre hidden>{copy}</pre>")
    assert item.article.body_text.count("Heavy rain") == 1


def test_table_cells_are_kept() -> None:
    table = ("<table><tr><th>Rank</th><th>Town</th></tr>"
             "<tr><td>1</td><td>Marlow</td></tr><tr><td>2</td><td>Dunmore</td></tr></table>")
    text = _parse(f"<article>{_article()}{table}</article>").article.body_text
    assert "Marlow" in text and "Dunmore" in text
