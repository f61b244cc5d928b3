"""Property: any text in any field (control characters, lone surrogates, ``]]>``, markup)
either gets the item refused with a reason, or yields a ninjs document that validates and
feeds in every format that parse (feedparser ``bozo == 0``), validate and carry nothing
active. Items go through the real parsers (API Core JSON can carry any code point; NewsML-G2
any XML text), then the real feed writers, as items and as kill notices."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from published_checks import check_object
from wire_items import api_doc, api_page, esc, g2

from ingest.clean.sanitise import sanitise_html
from ingest.errors import IngestError, Reason
from ingest.parsers import ParsedItem, parse_bytes
from ingest.publish.formats import FeedMeta, formats, make_entry
from ingest.validate import validate_ninjs

RECEIVED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
META = FeedMeta(partner_id="p", title="P & <Q> ]]>", self_url="https://feeds.example.com/p/x",
                home_url="https://feeds.example.com/p/", updated=RECEIVED)
NASTY = ["]]>", "<script>alert(1)</script>", "&amp;", "<", "&", "\x00", "\x0b", "\ud800",
         "\ufffe", "javascript:x", '<a href="javascript:x">', "<![CDATA[", "\u2028"]
# Any code point (lone surrogates included), salted with the strings feeds choke on.
texts = st.lists(
    st.one_of(st.text(st.characters(codec=None), max_size=30), st.sampled_from(NASTY)),
    max_size=6,
).map("".join)


# What reaches a body: the parsers drop lone surrogates before (nh3 cannot take them).
valid_texts = texts.map(lambda t: t.encode("utf-8", "ignore").decode())


def published_problems(item: ParsedItem) -> list[str]:
    """Problems of the article's ninjs and of every feed format rendering it."""
    validate_ninjs(item.article.to_ninjs())
    problems: list[str] = []
    body = item.article.body_html
    if body is not None and sanitise_html(body) != body:
        problems.append(f"body changes when sanitised again: {body!r}")
    for kind in ("item", "kill"):
        entry = make_entry(item.article, kind, RECEIVED)
        for fmt in formats().values():
            data = fmt.render(META, [entry])
            found = check_object(f"feeds/p/{fmt.filename}", data)
            problems += [f"{fmt.name}/{kind}: {p}" for p in found]
    return problems


def outcomes(data: bytes, fmt: str) -> list[ParsedItem]:
    try:
        parsed = list(parse_bytes(data, source="property", fmt=fmt))
    except IngestError as exc:
        assert exc.reason in set(Reason)
        return []
    return [o for o in parsed if isinstance(o, ParsedItem)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headline=texts, paragraphs=st.lists(texts, min_size=1, max_size=3), byline=texts,
       credit=texts, note=texts, caption=texts)
def test_api_any_text_yields_valid_ninjs_and_clean_feeds(
    headline: str, paragraphs: list[str], byline: str, credit: str, note: str, caption: str
) -> None:
    doc = api_doc(
        "newsml.afp.com.20261127T083012Z.doc-prop", headline=headline or "h",
        news=[*paragraphs, "A paragraph long enough to be the body of a story."],
        creator=byline, advisory=note,
        bagItem=[{"uno": "newsml.afp.com.20261127T083012Z.pic-prop", "caption": caption,
                  "creditLine": credit, "medias": [
                      {"role": "HighDef", "type": "image/jpeg", "href": "https://m.example/a.jpg"}
                  ]}],
    )
    for item in outcomes(api_page(doc), "afp-api"):
        assert published_problems(item) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headline=texts, paragraph=texts, byline=texts, usage=texts, note=texts)
def test_g2_any_text_yields_valid_ninjs_and_clean_feeds(
    headline: str, paragraph: str, byline: str, usage: str, note: str
) -> None:
    data = g2(
        "urn:newsml:afp.com:20261127T083012Z:doc-prop", headline=esc(headline) or "h",
        body=f"<p>{esc(paragraph)}</p><p>A paragraph long enough to be a story body.</p>",
        byline=esc(byline), usage=esc(usage), ed_note=esc(note),
    )
    for item in outcomes(data, "newsml-g2"):
        assert published_problems(item) == []


MARKUP = ["<p>", "</p>", "<li>", "</li>", "<h2>", "</H2>", "</blockquote>", "<em>", "</em>",
          " ", "  ", "\n", "\n\n", "\t", "\xa0", "&amp;", "&nbsp;", "&#0;", "\u2028", "\x1f"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKUP), texts), max_size=12).map("".join))
def test_word_count_counts_the_words_of_body_text(fragment: str) -> None:
    """``wordCount`` counts separators instead of splitting: it must agree with split()."""
    from ingest.model import html_to_text, word_count

    text = html_to_text(fragment)
    assert word_count(text) == len(text.split())


def test_every_whitespace_but_the_space_is_unprintable() -> None:
    """What ``collapse_space``'s shortcut rests on, checked over every code point."""
    spaces = [c for c in map(chr, range(0x110000)) if c.isspace()]
    assert len(spaces) > 20 and [c for c in spaces if c.isprintable()] == [" "]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKUP), texts), max_size=12).map("".join))
def test_collapse_space_is_split_and_join(text: str) -> None:
    from ingest.model import collapse_space

    assert collapse_space(text) == " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(valid_texts, st.sampled_from(["- Sub head -", "ab/cd", "x <b>y</b>"])),
                max_size=6),
       st.lists(st.sampled_from(["<p>a <em>b</em></p>", "<ul><li>c</li></ul>",
                                 "<p><script>x</script>d</p>", "<p>e\nf</p>"]), max_size=3))
def test_plain_paragraphs_skip_the_sanitiser_with_the_same_result(
    paragraphs: list[str], rich: list[str]
) -> None:
    """Paragraphs built from plain printable text go round nh3; sending every block
    through it in one piece, as before that shortcut, must give the same body."""
    from lxml import etree

    from ingest.parsers.body import render_body, text_blocks, xml_blocks

    xhtml = "".join(rich).replace("\n", "&#10;")
    blocks = text_blocks(paragraphs) + xml_blocks(etree.fromstring(f"<body>{xhtml}</body>"))
    everything_sanitised = [("p" if kind == "text" else kind, html, text)
                            for kind, html, text in blocks]
    body, stripped = render_body(blocks)
    assert (body, stripped) == render_body(everything_sanitised)
    assert body is None or sanitise_html(body) == body
