"""Format detection and the dispatch table."""

from __future__ import annotations

import pytest
from afp_helpers import load

from ingest.errors import IngestError, Reason
from ingest.parsers import FORMATS, detect_format, get_parser


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("g2-story-v1.xml", "newsml-g2"),
        ("g2-french.xml", "newsml-g2"),
        ("g2-broken-truncated.xml", "newsml-g2"),
        ("g2-broken-entity-bomb.xml", "newsml-g2"),
        ("nml12-story-v1.xml", "afp-newsml12"),
        ("nml12-embargoed.xml", "afp-newsml12"),
        ("api-story-v1.json", "afp-api"),
        ("api-story-v4-kill.json", "afp-api"),
    ],
)
def test_detects_fixture_formats(name: str, fmt: str) -> None:
    assert detect_format(load(name), name) == fmt


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        (b"\xef\xbb\xbf  <html lang='en'><head><title>x</title></head></html>", "html"),
        (b"<div class='story'><p>Hello</p></div>", "html"),
        (b"Swedish parliament backs wind farm\n\nSTOCKHOLM - Lawmakers...", "text"),
        (b"  [ {\"uno\": \"x\"} ]", "afp-api"),
        (b'<?xml version="1.0"?>\n<!-- c --><g2:newsItem '
         b'xmlns:g2="http://iptc.org/std/nar/2006-10-01/"/>', "newsml-g2"),
    ],
)
def test_sniffs_other_inputs(raw: bytes, fmt: str) -> None:
    assert detect_format(raw, "input") == fmt


def test_g2_root_in_wrong_namespace_and_foreign_xml_are_unknown() -> None:
    for raw in (b"<newsItem guid='x'/>", b'<?xml version="1.0"?><rss version="2.0"/>'):
        with pytest.raises(IngestError) as caught:
            detect_format(raw, "x.xml")
        assert caught.value.reason == Reason.UNKNOWN_FORMAT


@pytest.mark.parametrize("fmt", ["newsml-g2", "afp-newsml12", "afp-api"])
def test_get_parser_names_match(fmt: str) -> None:
    assert get_parser(fmt).name == fmt


def test_formats_and_unknown_format() -> None:
    assert FORMATS == ("newsml-g2", "afp-newsml12", "afp-api", "html", "text")
    with pytest.raises(IngestError) as caught:
        get_parser("rtf")
    assert caught.value.reason == Reason.UNKNOWN_FORMAT
