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


def _removed_and_reported(item: ParsedItem, kind: str, text: str) -> None:
    """``text`` left the body, reported under ``kind``, and the story stayed whole."""
    assert text not in item.article.body_text
    assert any(s.kind == kind and text in s.text for s in item.stripped)
    for paragraph in PARAGRAPHS:
        assert paragraph in item.article.body_text


def test_teaser_cards_after_the_article_are_removed_and_reported() -> None:
    cards = "".join(_card(n) for n in range(4))
    item = _parse(f"<main><article>{_article()}</article><section>{cards}</section></main>")
    assert "Other story" not in item.article.body_text
    _removed_and_reported(item, "related_links", "Other story number 2")


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


def test_a_gating_class_on_every_paragraph_does_not_delete_the_article() -> None:
    body = "".join(f'<p class="paywall premium">{p}</p>' for p in PARAGRAPHS)
    text = _parse(f"<article>{body}</article>").article.body_text
    for paragraph in PARAGRAPHS:
        assert paragraph in text


def test_teaser_cards_wrapped_in_one_link_count_as_links() -> None:
    cards = "".join(
        f'<a class="tile" href="/s{n}"><div><h3>Story {n} headline here</h3>'
        f"<p>{PARAGRAPHS[n % 4][:120]} and more of the teaser text here.</p></div></a>"
        for n in range(6))
    text = _parse(f"<div><article>{_article()}</article></div><div>{cards}</div>"
                  ).article.body_text
    assert "Story 3 headline" not in text and PARAGRAPHS[2] in text


def test_container_is_not_one_long_paragraph() -> None:
    long = " ".join(PARAGRAPHS * 6)
    text = _parse(f"<article><p>{long}</p>{_article()}</article>").article.body_text
    assert text.count(PARAGRAPHS[3]) == 7


def test_sibling_parts_sharing_a_class_are_merged() -> None:
    part = '<div class="story-part">{}</div>'
    page = (part.format(_article() * 4) + '<div class="box"><p>Short box line.</p></div>'
            + part.format(f"<p>{PARAGRAPHS[0].replace('Heavy', 'Later')}</p>"))
    text = _parse(f"<main>{page}</main>").article.body_text
    assert "Later rain over the weekend" in text


def test_cjk_paragraphs_and_paragraph_subheads_survive() -> None:
    chinese = ["周日，暴雨使河水漫过堤岸，一万两千多名居民被迫离开家园。",
               "救援人员连夜加固堤坝，主要道路已经封闭。",
               "预报员预计降雨将在周三减弱。"]
    body = "".join(f"<p>{p}</p>" for p in chinese)
    text = _parse(f"<article>{body}<p>{PARAGRAPHS[0]}</p><p>What comes next</p>"
                  f"<p>{PARAGRAPHS[1]}</p></article><p>Share</p>").article.body_text
    for paragraph in chinese:
        assert paragraph in text
    assert "What comes next" in text


def test_captions_in_any_markup_leave_the_body() -> None:
    caption = '<div class="image-caption">Residents wade through the flooded street.</div>'
    credit = '<span itemprop="creditText">Photo: Jane Doe</span>'
    text = _parse(f"<article><p>{PARAGRAPHS[0]}</p>{caption}<p>{PARAGRAPHS[1]}{credit}</p>"
                  f"{_article()}</article>").article.body_text
    assert "wade through" not in text and "Jane Doe" not in text


def test_lead_paragraph_equal_to_the_description_stays() -> None:
    page = (f'<html><head><title>Flooding</title><meta name="description" '
            f'content="{PARAGRAPHS[0]}"></head><body><article>{_article()}</article></body>'
            "</html>").encode()
    outcome = next(HTMLPageParser().parse(page, source="test"))
    assert isinstance(outcome, ParsedItem)
    assert outcome.article.body_text.startswith(PARAGRAPHS[0])


def test_tail_with_links_at_the_end_goes() -> None:
    bio = ('<p><em>Jane Roe covers the environment. Follow her on <a href="/x">X</a> and '
           '<a href="/nl">get our newsletter</a>.</em></p>')
    text = _parse(f"<article>{_article()}{bio}</article>").article.body_text
    assert "Jane Roe covers" not in text and PARAGRAPHS[3] in text


def _linked(paragraph: str) -> str:
    """The paragraph with its first words as links, about 40 % of its text."""
    words = paragraph.split()
    cut = len(words) * 2 // 5
    return f'<p><a href="/a">{" ".join(words[:cut])}</a> {" ".join(words[cut:])}</p>'


def test_prose_with_many_links_is_still_prose() -> None:
    side = ("The delta region is home to about two hundred thousand people, most of them "
            "living in small towns along the river and its tributaries, according to census.")
    body = "".join(_linked(p) for p in PARAGRAPHS[:3])
    text = _parse(f"<div><article>{body}</article></div><div class='box'><p>{side}</p></div>"
                  ).article.body_text
    for paragraph in PARAGRAPHS[:3]:
        assert paragraph in text


def test_a_named_box_inside_the_article_goes_with_its_prose() -> None:
    consent = ("We would like to show you content from an external platform here. Your current "
               "settings do not allow it; change them to see this part of the page and others.")
    box = f'<div id="modal--consent"><p>{consent}</p></div>'
    item = _parse(f"<article>{_article()}{box}{_article()}</article>")
    _removed_and_reported(item, "cookie_notice", "external platform")


def test_a_short_post_above_its_link_list_is_found_by_its_markup() -> None:
    post = ("<p>Our guests this week talk about the new season of the series.</p>"
            "<p>We will spoil it, assuming everyone has seen the first five episodes.</p>")
    links = "".join(f'<li><a href="/l{n}">Further reading, link number {n}</a></li>'
                    for n in range(20))
    widget = "<div class='widget'><p>The contents of this site are under a licence.</p></div>"
    text = _parse(f"<article><h1>Episode 70</h1>{post}<ul>{links}</ul></article>{widget}"
                  ).article.body_text
    assert "new season of the series" in text and "spoil it" in text


def test_a_list_of_short_lines_between_paragraphs_stays_and_a_box_goes() -> None:
    items = "".join(f"<dt>Step {n}</dt><dd>{n} cups of flour</dd>" for n in range(1, 9))
    box = "<div><div>Be the first to know now</div><div>Get picks sent to you today</div></div>"
    text = _parse(f"<article>{_article()}<dl>{items}</dl>{box}{_article()}</article>"
                  ).article.body_text
    assert "5 cups of flour" in text and "Be the first to know" not in text


def test_comments_longer_than_the_story_go_after_it() -> None:
    comment = ("I have lived by this river for forty years and I have never seen the water "
               "rise so fast; the town should have reinforced the levees long before this.")
    thread = "".join(f"<li><p>Reader {n} wrote:</p><p>{comment}</p></li>" for n in range(8))
    item = _parse(f"<article>{_article()}<ul class='comments-list'>{thread}</ul></article>")
    _removed_and_reported(item, "comments_prompt", "forty years")


def test_a_linked_lead_sentence_opening_the_body_stays() -> None:
    lead = ('<p><a href="/p">Jane Roe</a>, a former <a href="/g">press secretary</a>, said the '
            "levees had failed before.</p>")
    text = _parse(f"<article>{lead}{_article()}</article>").article.body_text
    assert text.startswith("Jane Roe, a former press secretary")
