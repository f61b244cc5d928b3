"""Raw bytes -> parsed items: format detection, the dispatch table, and the input guards.

``parse_bytes`` is the one entry point the pipeline uses: it refuses empty and oversize
input, gunzips (with a cap, so a gzip bomb cannot exhaust memory), detects the format
when the source does not know it, and hands the bytes to that format's parser. Parsers
are imported on first use, so one format's module never stops another from loading.
"""

from __future__ import annotations

import importlib
import re
import zlib
from collections.abc import Iterator
from functools import cache

from ingest.errors import IngestError, Reason
from ingest.parsers.base import ParsedItem, ParseFailure, ParseOutcome, Parser, Stripped

__all__ = [
    "FORMATS",
    "ParseFailure",
    "ParseOutcome",
    "ParsedItem",
    "Parser",
    "Stripped",
    "detect_format",
    "get_parser",
    "parse_bytes",
    "storable_text",
]

FORMATS = ("newsml-g2", "afp-newsml12", "afp-api", "html", "text")

# format -> (module, class); both no-argument constructors implementing ``Parser``.
_PARSERS: dict[str, tuple[str, str]] = {
    "newsml-g2": ("ingest.parsers.newsml_g2", "NewsMLG2Parser"),
    "afp-newsml12": ("ingest.parsers.afp_newsml12", "AFPNewsML12Parser"),
    "afp-api": ("ingest.parsers.afp_api", "AFPAPIParser"),
    "html": ("ingest.parsers.html", "HTMLPageParser"),
    "text": ("ingest.parsers.text", "PlainTextParser"),
}

G2_NAMESPACE = b"http://iptc.org/std/nar/2006-10-01/"
_SNIFF_BYTES = 8192
_GZIP_MAGIC = b"\x1f\x8b"
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<(?:html|head|body|p|div|article)[\s>]", re.I)
_HTML_ROOTS = frozenset({b"html", b"head", b"body", b"p", b"div", b"article"})
# What no output can carry: C0 controls but tab and line ends (XML 1.0 has none, PostgreSQL
# no NUL), the noncharacters U+FFFE and U+FFFF, and surrogates (UTF-8 holds none alone).
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def detect_format(raw: bytes, name: str) -> str:
    """Sniff the format from the first bytes; the name only breaks ties.

    XML whose root is neither NewsML-G2 nor NewsML 1.2 nor HTML is ``UNKNOWN_FORMAT``:
    guessing "text" for it would publish markup as prose.
    """
    head = _sniff_head(raw)
    lowered = name.lower()
    if head.startswith((b"{", b"[")) or (not head and lowered.endswith(".json")):
        return "afp-api"
    if head.startswith(b"<"):
        root = _root_name(head)
        if root in (b"newsItem", b"newsMessage", b"packageItem") and G2_NAMESPACE in head:
            return "newsml-g2"
        if root in (b"NewsML", b"NewsItem"):
            return "afp-newsml12"
        if root is None or root.lower() in _HTML_ROOTS or (
            not head.startswith(b"<?xml") and _HTML_MARKERS.search(head)
        ):
            return "html"
        raise IngestError(Reason.UNKNOWN_FORMAT, f"{name}: XML root {root!r} is not a news format")
    if _HTML_MARKERS.search(head) or lowered.endswith((".html", ".htm")):
        return "html"
    return "text"


@cache
def get_parser(fmt: str) -> Parser:
    """The parser for ``fmt`` (one shared instance per format; parsers keep no state)."""
    if fmt not in _PARSERS:
        raise IngestError(Reason.UNKNOWN_FORMAT, f"no parser for format {fmt!r}")
    module, cls = _PARSERS[fmt]
    parser: Parser = getattr(importlib.import_module(module), cls)()
    return parser


def parse_bytes(
    raw: bytes, *, source: str, fmt: str = "auto", max_bytes: int = 20_000_000
) -> Iterator[ParseOutcome]:
    """Guard, gunzip, detect and parse one input; whole-input failures raise ``IngestError``.

    ``source`` names the input (a path, a key, ``afp-api:<uno>``) for detection and errors.
    """
    if len(raw) > max_bytes:
        raise IngestError(Reason.TOO_LARGE, f"{source}: {len(raw)} bytes > {max_bytes}")
    name = source
    if name.lower().endswith(".gz") or raw.startswith(_GZIP_MAGIC):
        raw = gunzip(raw, max_bytes)
        name = name[:-3] if name.lower().endswith(".gz") else name
    if not raw or raw.isspace():  # isspace stops at the first byte that is not: no copy
        raise IngestError(Reason.EMPTY, f"{source}: no content")
    chosen = detect_format(raw, name) if fmt == "auto" else fmt
    return get_parser(chosen).parse(raw, source=source)


def storable_text(text: str, where: str) -> str:
    """Decoded input text without control characters; ``BAD_ENCODING`` if it holds a lone
    surrogate (JSON can escape one, a page's charset such as UTF-7 can decode to one)."""
    if UNSTORABLE.search(text) is None:  # the usual text: one scan, no copy
        return text
    if _SURROGATE.search(text):
        raise IngestError(Reason.BAD_ENCODING, f"{where}: lone surrogate in the text")
    return UNSTORABLE.sub("", text)


def gunzip(raw: bytes, max_bytes: int) -> bytes:
    """Decompress gzip, stopping as soon as the output passes ``max_bytes``."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        raise IngestError(Reason.BAD_ENCODING, f"not valid gzip: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise IngestError(Reason.TOO_LARGE, f"gzip expands past {max_bytes} bytes")
    if not inflater.eof:
        raise IngestError(Reason.BAD_ENCODING, "gzip stream is truncated")
    return out


def _sniff_head(raw: bytes) -> bytes:
    """The first bytes as ASCII-compatible text, BOM and leading whitespace removed."""
    head = raw[:_SNIFF_BYTES]
    for bom, codec in _BOMS:
        if head.startswith(bom):
            text = head[len(bom):].decode(codec, errors="ignore")
            return text.encode("utf-8", errors="ignore").lstrip()
    return head.lstrip()


def _root_name(head: bytes) -> bytes | None:
    """Local name of the first element, skipping the XML declaration, comments, DOCTYPE."""
    match = _FIRST_ELEMENT.search(head)
    return match.group(1).rpartition(b":")[2] if match else None
