"""Absurd numbers, lone surrogates, control characters and deep nesting: each gets its
reason code (or is cleaned), in every format. Expected values follow from the inputs
written here: ``1e400`` reads as infinity, which is no revision; and so on."""

from __future__ import annotations

import json

import pytest
from afp_helpers import load

from ingest.errors import IngestError, Reason, crash_error
from ingest.parsers import ParsedItem, parse_bytes
from ingest.parsers.text import decode
from ingest.xmlsafe import MAX_DEPTH as XML_DEPTH
from ingest.xmlsafe import parse_xml

TOO_DEEP = "JSON nested deeper than 100 levels"
KILL = "api-story-v4-kill.json"  # a single API Core doc, revision 4, urgency 3 (see the file)


def api_doc(field: str, raw_value: str) -> bytes:
    """The single-doc fixture with ``field`` set to ``raw_value``, written as raw JSON."""
    doc = json.loads(load(KILL))
    doc[field] = "QQVALUEQQ"
    return json.dumps(doc).replace('"QQVALUEQQ"', raw_value).encode()


def refused(raw: bytes, fmt: str = "auto", source: str = "doc.json") -> IngestError:
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(raw, source=source, fmt=fmt))
    return caught.value


def parsed(raw: bytes, fmt: str = "auto", source: str = "doc.json") -> ParsedItem:
    [item] = parse_bytes(raw, source=source, fmt=fmt)
    assert isinstance(item, ParsedItem), item
    return item


@pytest.mark.parametrize(
    ("value", "reason", "says"),
    [
        ("1e400", Reason.INVALID_FIELD, "revision: not a whole number: inf"),
        ("-1e400", Reason.INVALID_FIELD, "revision: not a whole number: -inf"),
        ("9" * 5000, Reason.MALFORMED_JSON, "Exceeds the limit (4300 digits)"),
        ("9" * 4000, Reason.INVALID_FIELD, "revision: out of range: a 13288-bit number"),
        ("9" * 30, Reason.INVALID_FIELD, "revision: out of range: " + "9" * 30),
        ("4294967296", Reason.INVALID_FIELD, "revision: out of range: 4294967296"),
        ("1.5", Reason.INVALID_FIELD, "revision: not a whole number: 1.5"),
        ("-1", Reason.INVALID_FIELD, "revision: out of range: -1"),
        ("true", Reason.INVALID_FIELD, "revision: not a whole number: True"),
        ('"4e0"', Reason.INVALID_FIELD, "revision: not a whole number: '4e0'"),
        ("NaN", Reason.MALFORMED_JSON, "NaN is not a JSON number"),
        ("Infinity", Reason.MALFORMED_JSON, "Infinity is not a JSON number"),
        ("-Infinity", Reason.MALFORMED_JSON, "-Infinity is not a JSON number"),
    ],
)
def test_absurd_revisions_are_refused_with_a_reason(value: str, reason: Reason, says: str) -> None:
    error = refused(api_doc("revision", value))
    assert error.reason == reason
    assert error.detail.startswith(says)


@pytest.mark.parametrize(("value", "version"), [("4", 4), ("4.0", 4), ('"4"', 4), ("0", 1)])
def test_whole_revisions_in_any_spelling_are_read(value: str, version: int) -> None:
    assert parsed(api_doc("revision", value)).article.version == version


@pytest.mark.parametrize(
    ("value", "urgency"),
    [("2", 2), ("2.0", 2), ('" 2 "', 2), ("1e400", None), ("-2", None), ("2.5", None),
     ("true", None), ("10", None), ("9" * 4000, None)],
)
def test_urgency_outside_one_to_nine_is_unknown(value: str, urgency: int | None) -> None:
    assert parsed(api_doc("urgency", value)).article.urgency == urgency


@pytest.mark.parametrize(
    ("width", "says"),
    [("1e400", "width: not a whole number: inf"), ("-5", "width: out of range: -5"),
     ("false", "width: not a whole number: False"), ("[3000]", "width: not a whole number")],
)
def test_absurd_rendition_sizes_are_refused(width: str, says: str) -> None:
    medias = f'[{{"role": "HighDef", "href": "https://media.afp.com/x.jpg", "width": {width}}}]'
    bag = f'[{{"uno": "newsml.afp.com.20261127T081544Z.doc-39xk1pz", "medias": {medias}}}]'
    error = refused(api_doc("bagItem", bag))
    assert (error.reason, error.detail[: len(says)]) == (Reason.INVALID_FIELD, says)


def test_json_nesting_is_bounded_at_100_levels() -> None:
    # the doc is level 1, its "extra" field opens level 2: 98 more lists reach 100
    assert parsed(api_doc("extra", "[" * 99 + "]" * 99)).article.version == 4
    error = refused(api_doc("extra", "[" * 100 + "]" * 100))
    assert (error.reason, error.detail) == (Reason.MALFORMED_JSON, TOO_DEEP)
    error = refused(b"[" * 200_000 + b"]" * 200_000)  # past Python's own recursion limit
    assert (error.reason, error.detail) == (Reason.MALFORMED_JSON, TOO_DEEP)


def test_a_lone_surrogate_in_json_is_bad_encoding_and_a_pair_is_text() -> None:
    error = refused(api_doc("headline", r'"Quake \ud800 hits"'))
    assert error.reason == Reason.BAD_ENCODING
    assert "\ud800" not in error.detail  # the detail itself must be storable
    pair = parsed(api_doc("headline", r'"Quake \ud83c\udf0b hits"'))
    assert pair.article.headline == "Quake \U0001f30b hits"


def test_control_characters_are_removed_from_json_text() -> None:
    item = parsed(api_doc("headline", r'"Quake\u0000 hits \u0007Chile\ufffe"'))
    assert item.article.headline == "Quake hits Chile"


def test_xml_nesting_stops_at_libxml2_depth_as_hostile() -> None:
    parse_xml(b"<a>" * XML_DEPTH + b"</a>" * XML_DEPTH)
    with pytest.raises(IngestError) as caught:
        parse_xml(b"<a>" * (XML_DEPTH + 1) + b"</a>" * (XML_DEPTH + 1))
    assert caught.value.reason == Reason.HOSTILE_XML
    assert "Excessive depth" in caught.value.detail


@pytest.mark.parametrize("ref", [b"&#0;", b"&#1;", b"&#xD800;", b"&#xFFFE;"])
def test_xml_character_references_to_non_characters_are_malformed(ref: bytes) -> None:
    raw = load("g2-story-v1.xml").replace(
        b"Swedish parliament backs", b"Swedish " + ref + b" parliament backs", 1
    )
    assert raw != load("g2-story-v1.xml")
    assert refused(raw, source="g2.xml").reason == Reason.MALFORMED_XML


def test_a_charset_that_decodes_to_a_lone_surrogate_is_bad_encoding() -> None:
    # UTF-7 "+2AA-" is U+D800 alone; "unicode_escape" turns the text "\ud800" into one
    for charset, raw in (("utf-7", b"Quake +2AA- hits"), ("unicode_escape", rb"Quake \ud800")):
        with pytest.raises(IngestError) as caught:
            decode(raw, charset)
        assert caught.value.reason == Reason.BAD_ENCODING


def test_control_characters_never_reach_a_page_article() -> None:
    paragraph = "The quake struck off the coast at dawn, and the tsunami warning followed it"
    text = f"Quake\x01 hits Chile\n\n{paragraph}.\x00\n\n{paragraph} again."
    item = parsed(text.encode(), fmt="text", source="page.txt")
    assert item.article.headline == "Quake hits Chile"
    html = (f"<html><head><title>Quake &#1;hits &#x1F;Chile&#xfffe;</title></head><body>"
            f"<article><p>{paragraph}.&#2;</p><p>{paragraph} again.</p></article></body></html>")
    item = parsed(html.encode(), fmt="html", source="page.html")
    assert item.article.headline == "Quake hits Chile"  # each reference became a space
    assert "\x02" not in (item.article.body_html or "")


def test_an_ingest_error_detail_escapes_what_no_store_keeps() -> None:
    assert IngestError(Reason.INVALID_FIELD, "a\x00b\ud800c").detail == "a\\x00b\\ud800c"


def _crash(value: object) -> Exception:
    try:
        int(str(value), 2)
    except ValueError as exc:
        return exc
    raise AssertionError("int() accepted it")


def test_a_crash_digest_groups_one_bug_across_items() -> None:
    first, second = crash_error(_crash("x1")), crash_error(_crash("y2"))
    assert first.reason == Reason.INTERNAL_ERROR
    assert first.detail.split()[:2] == second.detail.split()[:2]  # "crash <digest>"
    assert first.detail != second.detail  # each keeps its own message
    digest = first.detail.split()[1]
    assert len(digest) == 12 and int(digest, 16) >= 0
    # the frame's file relative to its sys.path entry (pytest puts tests/parsers there)
    assert " ValueError at test_parsers_bounds.py:_crash: invalid literal" in first.detail
    empty: dict[str, int] = {}
    try:
        empty["missing"]  # a different bug: another digest
    except KeyError as exc:
        other = crash_error(exc)
    assert other.detail.split()[1] != digest
