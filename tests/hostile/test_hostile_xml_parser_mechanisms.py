"""The XML parser's own settings refuse entities, DTDs and the network: tested on the lxml
parser object itself, without ``parse_xml``'s checks before and after it.

``parse_xml`` refuses entity declarations before parsing and again after, so a parser that
expanded entities would still pass every test that goes through it. These tests hand
hostile documents straight to ``ingest.xmlsafe._PARSER`` (with, for the duration of a
test, a resolver that records what lxml asks to load), so turning ``resolve_entities``,
``load_dtd``, ``no_network`` or ``huge_tree`` the wrong way fails here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ingest.errors import IngestError, Reason
from ingest.xmlsafe import _PARSER, parse_xml

SECRET = "contents-of-a-local-file"


class RecordingResolver(etree.Resolver):
    """Notes every URL lxml asks for; answers DTDs with an entity, other URLs with text."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        self.asked.append(str(system_url))
        if str(system_url).endswith(".dtd"):
            return self.resolve_string('<!ENTITY e "FROM-THE-DTD">', context)
        return self.resolve_string("FROM-A-RESOLVER", context)


@pytest.fixture
def recording() -> Iterator[RecordingResolver]:
    """The recording resolver, registered on the parser for one test.

    (``XMLParser.copy()`` would be tidier, but the copy does not behave like the original
    with external entities: the test must use the object ingest uses.)"""
    resolver = RecordingResolver()
    _PARSER.resolvers.add(resolver)
    try:
        yield resolver
    finally:
        _PARSER.resolvers.remove(resolver)


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that serves a DTD and an entity body, and logs each request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'<!ENTITY e "FROM-THE-NETWORK">' if self.path.endswith(".dtd") else b"NET"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", requests
    finally:
        server.shutdown()
        server.server_close()


def _text(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree())


def test_internal_entities_stay_references() -> None:
    doc = b'<!DOCTYPE r [<!ENTITY i "EXPANDED">]><r>&i;</r>'
    root = etree.fromstring(doc, _PARSER)
    assert b"EXPANDED" not in etree.tostring(root)
    assert [type(node) for node in root] == [etree._Entity]
    assert root[0].text == "&i;"


def test_external_entities_are_never_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    doc = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'.encode()
    root = etree.fromstring(doc, _PARSER)
    assert SECRET.encode() not in etree.tostring(root)
    assert root[0].text == "&x;"


def test_no_entity_or_dtd_is_even_asked_for(
    tmp_path: Path, recording: RecordingResolver
) -> None:
    docs = [
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{(tmp_path / "x.txt").as_uri()}">]><r>&x;</r>',
        f'<!DOCTYPE r SYSTEM "{(tmp_path / "item.dtd").as_uri()}"><r/>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{(tmp_path / "p.dtd").as_uri()}"> %p;]><r/>',
    ]
    for doc in docs:
        root = etree.fromstring(doc.encode(), _PARSER)
        assert b"FROM-" not in _text(root)
    assert recording.asked == []


def test_an_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "item.dtd"
    dtd.write_text('<!ENTITY e "FROM-A-FILE"><!ATTLIST r added CDATA "by-the-dtd">',
                   encoding="utf-8")
    doc = f'<!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r/>'.encode()
    root = etree.fromstring(doc, _PARSER)
    assert root.getroottree().docinfo.externalDTD is None
    assert dict(root.attrib) == {}


def test_a_dtd_is_not_validated_against() -> None:
    """An internal subset the document breaks is not checked (no ``dtd_validation``)."""
    doc = b"<!DOCTYPE r [<!ELEMENT r EMPTY>]><r><child/></r>"
    assert etree.fromstring(doc, _PARSER)[0].tag == "child"


def test_the_network_is_never_touched(http_server: tuple[str, list[str]]) -> None:
    base, requests = http_server
    docs = [
        f'<!DOCTYPE r SYSTEM "{base}/item.dtd"><r/>',
        f'<!DOCTYPE r PUBLIC "-//X//DTD X//EN" "{base}/public.dtd"><r/>',
        f'<!DOCTYPE r [<!ENTITY n SYSTEM "{base}/entity">]><r>&n;</r>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{base}/param.dtd"> %p;]><r/>',
    ]
    for doc in docs:
        root = etree.fromstring(doc.encode(), _PARSER)
        assert b"NET" not in _text(root)
    assert requests == []


def test_deep_nesting_is_refused_at_libxml2s_normal_limit() -> None:
    """Without ``huge_tree`` libxml2 stops at 256 levels; with it, 2048 would parse."""
    etree.fromstring(b"<a>" * 250 + b"</a>" * 250, _PARSER)
    with pytest.raises(etree.XMLSyntaxError, match="depth"):
        etree.fromstring(b"<a>" * 1000 + b"</a>" * 1000, _PARSER)


def test_comments_and_processing_instructions_are_dropped() -> None:
    doc = b'<?xml version="1.0"?><!-- before --><r><!-- inside --><?pi data?><a/></r>'
    assert _text(etree.fromstring(doc, _PARSER)) == b"<r><a/></r>"


# -- parse_xml around the parser: each check on its own ------------------------------------


def test_a_declared_entity_is_refused_before_parsing_even_in_broken_xml() -> None:
    """The check before the parse answers first: hostile, not merely malformed."""
    for doc in (b'<!DOCTYPE r [<!ENTITY a "x">]><r>&a;</broken>',
                b'<!doctype r [<!entity a "x">]><r>&a;</broken>'):
        with pytest.raises(IngestError) as refused:
            parse_xml(doc)
        assert refused.value.reason is Reason.HOSTILE_XML
        assert refused.value.detail == "document declares entities or an external DTD"


def test_an_external_dtd_reference_is_refused_before_parsing() -> None:
    with pytest.raises(IngestError) as refused:
        parse_xml(b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>')
    assert refused.value.reason is Reason.HOSTILE_XML


@pytest.mark.parametrize("doc", [
    b"<!DOCTYPE r><r>text</r>",
    b'<!DOCTYPE r PUBLIC "-//X//DTD X//EN" ""><r>text</r>',  # PUBLIC, no SYSTEM keyword
    b"<!DOCTYPE r [<!ELEMENT r ANY>]><r>text</r>",
    b"<?xml version='1.0'?><!-- a comment --><r>text</r>",
])
def test_a_doctype_without_entities_or_external_dtd_parses(doc: bytes) -> None:
    assert parse_xml(doc).text == "text"


def test_parse_xml_uses_the_hardened_parser() -> None:
    """Comments and processing instructions go: only ``_PARSER`` drops them."""
    root = parse_xml(b"<r><!-- note --><?pi x?><a/></r>")
    assert etree.tostring(root) == b"<r><a/></r>"


@pytest.mark.parametrize("prolog", [b"", b'<?xml version="1.0" encoding="UTF-8"?>\n'])
def test_declarations_quoted_inside_the_root_do_not_refuse_an_item(prolog: bytes) -> None:
    """Only the prolog (before the root element) can declare anything: a story quoting
    XML in a CDATA section is text, and the check before parsing must not look there."""
    quoted = b'<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><!ENTITY e "v">'
    root = parse_xml(prolog + b"<story><![CDATA[" + quoted + b"]]></story>")
    assert root.text == quoted.decode()


def test_an_entity_hidden_from_the_sniffed_head_is_refused_after_parsing() -> None:
    """A comment holding ``<x`` ends the check before parsing early; the check after it
    still finds the declaration in the parsed internal subset."""
    doc = b'<!-- <x --><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    with pytest.raises(IngestError) as refused:
        parse_xml(doc)
    assert refused.value.reason is Reason.HOSTILE_XML
    assert refused.value.detail == "document declares entities"
