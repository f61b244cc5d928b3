"""Broken and hostile input: the right reason, and nothing fetched, read or expanded."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from afp_helpers import load, outcomes

from ingest.errors import IngestError, Reason
from ingest.parsers import parse_bytes

G2_HEAD = b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:afp.com:1:x" '
G2_TAIL = (b'version="1" standard="NewsML-G2" standardversion="2.35"><itemMeta>'
           b'<itemClass qcode="ninat:text"/><provider qcode="nprov:AFP"/>'
           b"<versionCreated>2026-11-27T07:00:00Z</versionCreated></itemMeta>"
           b"<contentMeta><headline>&ext;</headline></contentMeta></newsItem>")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("g2-broken-truncated.xml", Reason.MALFORMED_XML),
        ("g2-broken-encoding.xml", Reason.BAD_ENCODING),
        ("g2-broken-no-headline.xml", Reason.MISSING_HEADLINE),
        ("g2-broken-entity-bomb.xml", Reason.HOSTILE_XML),
        ("nml12-broken-truncated.xml", Reason.MALFORMED_XML),
        ("nml12-broken-encoding.xml", Reason.BAD_ENCODING),
        ("nml12-broken-no-headline.xml", Reason.MISSING_HEADLINE),
        ("api-broken-truncated.json", Reason.MALFORMED_JSON),
        ("api-broken-encoding.json", Reason.BAD_ENCODING),
        ("api-broken-no-headline.json", Reason.MISSING_HEADLINE),
    ],
)
def test_broken_file_reason(name: str, reason: Reason) -> None:
    with pytest.raises(IngestError) as caught:
        outcomes(name)
    assert caught.value.reason == reason


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<!ENTITY leaked "FETCHED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_recorder_really_records(recorder: tuple[str, list[str]]) -> None:
    import urllib.request

    url, hits = recorder
    with urllib.request.urlopen(f"{url}/probe") as response:
        response.read()
    assert hits == ["/probe"]


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE newsItem [<!ENTITY ext SYSTEM "{url}/entity">]>',
        b'<!DOCTYPE newsItem SYSTEM "{url}/dtd">',
        b'<!DOCTYPE newsItem [<!ENTITY % p SYSTEM "{url}/param"> %p;]>',
    ],
)
def test_network_entities_are_never_fetched(
    recorder: tuple[str, list[str]], doctype: bytes
) -> None:
    url, hits = recorder
    raw = doctype.replace(b"{url}", url.encode()) + G2_HEAD + G2_TAIL
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(raw, source="hostile.xml"))
    assert caught.value.reason == Reason.HOSTILE_XML
    assert hits == []


def test_file_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    raw = (f'<!DOCTYPE newsItem [<!ENTITY ext SYSTEM "file://{secret}">]>'.encode()
           + G2_HEAD + G2_TAIL)
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(raw, source="hostile.xml"))
    assert caught.value.reason == Reason.HOSTILE_XML
    assert "TOP-SECRET" not in caught.value.detail


def test_entity_declared_past_the_sniffed_head_is_still_refused() -> None:
    padding = b"<!-- " + b"x" * 8000 + b" -->"
    raw = (b"<!DOCTYPE newsItem [" + padding + b'<!ENTITY ext "boom">]>' + G2_HEAD + G2_TAIL)
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(raw, source="hostile.xml", fmt="newsml-g2"))
    assert caught.value.reason == Reason.HOSTILE_XML


def test_gzip_bomb_is_too_large() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(bomb, source="bomb.xml.gz", max_bytes=1_000_000))
    assert caught.value.reason == Reason.TOO_LARGE


def test_gzipped_item_parses() -> None:
    [item] = parse_bytes(gzip.compress(load("g2-french.xml")), source="g2-french.xml.gz")
    assert item.article.language == "fr"  # type: ignore[union-attr]


def test_truncated_gzip_is_bad_encoding() -> None:
    data = gzip.compress(load("g2-french.xml"))[:200]
    with pytest.raises(IngestError) as caught:
        list(parse_bytes(data, source="x.gz"))
    assert caught.value.reason == Reason.BAD_ENCODING


def test_oversize_and_empty_input() -> None:
    with pytest.raises(IngestError) as too_large:
        list(parse_bytes(b"x" * 101, source="a.txt", max_bytes=100))
    assert too_large.value.reason == Reason.TOO_LARGE
    with pytest.raises(IngestError) as empty:
        list(parse_bytes(b" \n\t", source="a.txt"))
    assert empty.value.reason == Reason.EMPTY
