"""Only ``IngestError`` leaves a parser, whatever the values in an item's fields.

Items are the valid AFP fixtures (``tests/fixtures/afp/``, see its README) with up to
three fields (an element's text, an attribute, a JSON value) replaced by a drawn value:
plausible text, numbers of every kind (NaN, infinities, ``1e400``, thousands of digits,
booleans, fractions), dates, text with control characters and lone surrogates, and
nesting hundreds of levels deep. Web and text pages are built from a headline and
paragraphs of drawn text, with drawn markup and charset declarations around them, or
are random bytes. What a parser yields must be storable: ninjs that encodes as UTF-8,
with no NaN and no control character.

The drawing must stay close to real items, or the test would only ever exercise the
first check that refuses garbage: each run asserts that a fair share of what it drew
parsed, and that a fair share did not.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.parsers import ParsedItem, ParseFailure, parse_bytes
from ingest.validate import validate_ninjs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "afp"
VALID = sorted(
    p for p in FIXTURES.iterdir()
    if p.suffix in (".xml", ".json") and "broken" not in p.name and "mixed" not in p.name
)
TOKEN = "QQFUZZ{}QQ"
# Characters no stored article may hold (tab and line ends aside): checked on every output.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
RUN = settings(
    max_examples=200, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values, as the Python text they stand for; each format writes them its own way.
HOSTILE_CHARS = st.sampled_from(
    ["\x00", "\x01", "\x1f", "\x7f", "\ud800", "\udfff", "\ufffe", "\uffff", "\u2028", "\u0085",
     "\U0001f600", "\u202e", "&", "<", '"', "]]>"]
)
PLAIN_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
HOSTILE_TEXT = st.lists(st.one_of(PLAIN_TEXT, HOSTILE_CHARS), max_size=6).map("".join)
NUMBERS = st.one_of(
    st.integers(-3, 12).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([
        "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "nan", "inf", "1.5", "-0", "0",
        "3.0", "1e3", "9" * 5000, "-" + "9" * 4400, "1_000", "\u0663", " 7 ", "0x10",
    ]),
)
DATES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y%m%dT%H%M%S+0000")),
    st.sampled_from(["2026-11-27T08:30:12Z", "20261127T083012Z", "2026-13-45", "", "T", "Z"]),
)


@dataclass(frozen=True, slots=True)
class Value:
    """A drawn field value: ``kind`` says how a format writes it."""

    kind: str  # "text", "number", "bool", "null" or "nest"
    text: str = ""
    depth: int = 0


VALUES = st.one_of(
    st.builds(Value, st.just("text"), PLAIN_TEXT),
    st.builds(Value, st.just("text"), DATES),
    st.builds(Value, st.just("text"), HOSTILE_TEXT),
    st.builds(Value, st.just("number"), NUMBERS),
    st.builds(Value, st.just("text"), NUMBERS),
    st.builds(Value, st.sampled_from(["bool", "null"])),
    st.builds(Value, st.just("nest"), depth=st.one_of(st.integers(1, 10), st.integers(90, 300))),
)


def json_value(value: Value) -> str:
    """The value as raw JSON text: numbers unquoted as drawn (``NaN``, ``1e400`` too)."""
    if value.kind == "number":
        return value.text
    if value.kind == "bool":
        return "true"
    if value.kind == "null":
        return "null"
    if value.kind == "nest":
        return '{"a": [' * value.depth + "1" + "]}" * value.depth
    return json.dumps(value.text)  # ASCII: a lone surrogate travels as its \\ud800 escape


def xml_value(value: Value, encoding: str) -> bytes:
    """The value as XML text: escaped, characters the encoding lacks as character refs (so
    a control character or a surrogate arrives as ``&#1;``, ``&#55296;``)."""
    if value.kind == "nest":
        return b"<x>" * value.depth + b"1" + b"</x>" * value.depth
    text = {"bool": "true", "null": ""}.get(value.kind, value.text)
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return "".join(
        c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else f"&#{ord(c)};"
        for c in escaped
    ).encode(encoding, errors="xmlcharrefreplace")


def draw_slots(data: st.DataObject, count: int) -> list[int]:
    """Which of an item's ``count`` fields to replace: none to three of them."""
    return data.draw(st.lists(st.integers(0, count - 1), max_size=3, unique=True), "fields")


def json_item(raw: bytes, data: st.DataObject) -> bytes:
    """A JSON fixture with up to three values (leaves or whole lists/objects) replaced."""
    doc = json.loads(raw)
    slots: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            slots.append((node, key))
            if isinstance(child, (dict, list)):
                stack.append(child)
    chosen = [slots[i] for i in draw_slots(data, len(slots))]
    values = [data.draw(VALUES, f"value {i}") for i in range(len(chosen))]
    for i, (node, key) in enumerate(chosen):
        node[key] = TOKEN.format(i)
    text = json.dumps(doc, ensure_ascii=False)
    for i, value in enumerate(values):
        text = text.replace(json.dumps(TOKEN.format(i)), json_value(value))
    return text.encode("utf-8")


def xml_item(raw: bytes, data: st.DataObject) -> bytes:
    """An XML fixture with up to three element texts or attribute values replaced."""
    root = etree.fromstring(raw)
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    slots: list[tuple[etree._Element, str | None]] = []
    for element in root.iter(etree.Element):
        if not len(element):
            slots.append((element, None))
        slots.extend((element, name) for name in element.attrib)
    chosen = [slots[i] for i in draw_slots(data, len(slots))]
    values = [data.draw(VALUES, f"value {i}") for i in range(len(chosen))]
    for i, (element, attribute) in enumerate(chosen):
        if attribute is None:
            element.text = TOKEN.format(i)
        else:
            element.set(attribute, TOKEN.format(i))
    out = etree.tostring(root, xml_declaration=True, encoding=encoding)
    for i, value in enumerate(values):
        out = out.replace(TOKEN.format(i).encode("ascii"), xml_value(value, encoding))
    return out


def storable(text: str, where: str) -> None:
    assert not UNSTORABLE.search(text), f"{where} holds {text!r:.80}"


def check_storable(item: ParsedItem) -> None:
    """The article's ninjs is UTF-8 JSON without NaN, and no string in it holds a control
    character; validation may refuse it, but only with an ``IngestError``."""
    doc = item.article.to_ninjs()
    json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, str):
                storable(value, str(key))
            elif isinstance(value, (dict, list)):
                stack.append(value)
    with contextlib.suppress(IngestError):
        validate_ninjs(doc)


def outcome_of(raw: bytes, source: str, fmt: str = "auto") -> str:
    """``parsed`` or ``refused``; any other exception fails the test."""
    try:
        outcomes = list(parse_bytes(raw, source=source, fmt=fmt))
    except IngestError as exc:
        assert isinstance(exc.reason, Reason) and exc.reason is not Reason.INTERNAL_ERROR
        storable(exc.detail, "detail")
        return "refused"
    for outcome in outcomes:
        if isinstance(outcome, ParseFailure):
            assert isinstance(outcome.reason, Reason)
            storable(outcome.detail, "detail")
        else:
            check_storable(outcome)
    return "parsed" if any(isinstance(o, ParsedItem) for o in outcomes) else "refused"


def assert_shares(tally: Counter[str], parsed: float, refused: float) -> None:
    """A fair share of the drawn items parsed (the drawing stays near real items) and a
    fair share did not (it does reach the checks)."""
    total = sum(tally.values())
    assert tally["parsed"] >= parsed * total, tally
    assert tally["refused"] >= refused * total, tally


def run_afp(fixtures: list[Path], mutate: Callable[[bytes, st.DataObject], bytes]) -> None:
    tally: Counter[str] = Counter()

    @RUN
    @given(fixture=st.sampled_from(fixtures), data=st.data())
    def property_(fixture: Path, data: st.DataObject) -> None:
        raw = fixture.read_bytes()
        tally[outcome_of(mutate(raw, data), fixture.name)] += 1

    property_()
    assert_shares(tally, parsed=0.3, refused=0.05)


def test_fixtures_parse_unchanged() -> None:
    """The base of every drawn item is a valid item: unchanged, each one parses."""
    assert len(VALID) >= 15
    for path in VALID:
        assert outcome_of(path.read_bytes(), path.name) == "parsed", path.name


def test_api_core_items_yield_only_ingest_errors() -> None:
    run_afp([p for p in VALID if p.suffix == ".json"], json_item)


def test_newsml_g2_items_yield_only_ingest_errors() -> None:
    run_afp([p for p in VALID if p.name.startswith("g2-")], xml_item)


def test_newsml12_items_yield_only_ingest_errors() -> None:
    run_afp([p for p in VALID if p.name.startswith("nml12-")], xml_item)


# Pages: a headline and paragraphs of drawn text, in drawn markup and charsets.
CHARSETS = st.sampled_from(
    [None, "utf-8", "iso-8859-1", "windows-1252", "utf-16", "utf-7", "unicode_escape",
     "raw_unicode_escape", "shift_jis", "x-bogus", "rot13"]
)
PROSE = st.text(
    st.characters(codec="utf-8", categories=("Ll", "Lu", "Zs", "Nd", "Po")), min_size=45,
    max_size=200,
)
PAGE_TEXT = st.one_of(PROSE, PROSE, HOSTILE_TEXT, st.builds("".join, st.lists(
    st.one_of(PROSE, HOSTILE_CHARS, st.sampled_from(["&#0;", "&#xD800;", "&#1;", "\\ud800",
                                                      "+2AA-", "&nbsp;", "<b>", "</p>"]))
)))
MARKUP = st.sampled_from([
    "", "<div>" * 300 + "deep" + "</div>" * 300, "<script>x</script>",
    "<nav><a href='/'>Home</a></nav>",
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": NaN}</script>',
    '<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + "</script>",
    '<meta property="article:published_time" content="1e400">', "<p>", "</article>",
    '<img src="javascript:alert(1)">',
])


def page(
    charset: str | None, title: str, paragraphs: list[str], extra: str, *, html: bool
) -> bytes:
    """The page's bytes in ``charset`` (in UTF-8 where it cannot write them all)."""
    if html:
        meta = f'<meta charset="{charset}">' if charset else ""
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        text = (f"<!doctype html><html><head>{meta}<title>{title}</title></head><body>{extra}"
                f"<article><h1>{title}</h1>{body}</article></body></html>")
    else:
        text = "\n\n".join([title, *paragraphs])
    try:
        return text.encode(charset or "utf-8", errors="surrogatepass")
    except (LookupError, UnicodeError):
        return text.encode("utf-8", errors="surrogatepass")


def run_pages(*, html: bool) -> None:
    tally: Counter[str] = Counter()
    name = "page.html" if html else "page.txt"

    @RUN
    @given(
        charset=CHARSETS, title=PAGE_TEXT, paragraphs=st.lists(PAGE_TEXT, min_size=1, max_size=4),
        extra=MARKUP, noise=st.one_of(st.just(b""), st.binary(max_size=200)),
    )
    def property_(
        charset: str | None, title: str, paragraphs: list[str], extra: str, noise: bytes
    ) -> None:
        raw = page(charset, title, paragraphs, extra, html=html) + noise
        tally[outcome_of(raw, name, "html" if html else "text")] += 1
        if noise:  # random bytes alone, in whatever format they are sniffed as
            outcome_of(noise, name)

    property_()
    assert_shares(tally, parsed=0.2, refused=0.05)


def test_html_pages_yield_only_ingest_errors() -> None:
    run_pages(html=True)


def test_text_pages_yield_only_ingest_errors() -> None:
    run_pages(html=False)
