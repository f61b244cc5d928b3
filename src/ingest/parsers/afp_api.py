"""AFP API Core JSON -> Articles: a search response page of ``docs`` or a single doc.

A page is many items: one bad doc becomes a ``ParseFailure`` and the rest go through.
Paragraphs arrive as plain strings in ``news[]``; pictures as ``bagItem`` entries with
their own ``creditLine`` and ``medias`` (the renditions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture, PubStatus, Rendition, Subject
from ingest.parsers import storable_text
from ingest.parsers.base import ParsedItem, ParseOutcome
from ingest.parsers.body import render_body, text_blocks
from ingest.parsers.identity import (
    AFP,
    country_code,
    finish,
    integer,
    is_alert,
    language_tag,
    parse_date,
    picture_rights,
    signals,
    urgency,
    uri_from_uno,
    version_number,
)
from ingest.parsers.outcomes import each_item
from ingest.vocab import places

_STATUSES: dict[str, PubStatus] = {
    "usable": "usable", "embargoed": "usable", "withheld": "withheld", "canceled": "canceled",
    "cancelled": "canceled",
}
MAX_DEPTH = 100  # JSON nesting refused past this; an API Core page nests 7 deep
_TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels"
# Escapes ``load_json`` must look behind: surrogates, C0 controls, U+FFFE and U+FFFF
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|00[01]|[fF]{3}[eEfF])")
_TYPES = frozenset({"text", "picture", "video", "audio", "graphic", "composite"})


class AFPAPIParser:
    """API Core documents, as ``/v1/api/search`` or ``/v1/api/get/{uno}`` return them."""

    name = "afp-api"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        docs, many = _docs(load_json(raw))
        yield from each_item(docs, _article, _ref, many=many)


def load_json(raw: bytes) -> Any:
    """UTF-8 JSON -> Python values every later step can take, else ``IngestError``.

    ``NaN`` and ``Infinity`` are not JSON (RFC 8259): ``MALFORMED_JSON``; ``1e400`` is,
    and reads as infinity, which the field that reads it refuses (``INVALID_FIELD``), as
    it refuses a whole number out of its range. Nesting past ``MAX_DEPTH`` is ``MALFORMED_JSON``
    whatever the stack depth of the caller. Escapes of half a surrogate pair (text no
    UTF-8 holds) are ``BAD_ENCODING``; control characters, which carry no text and
    which PostgreSQL (NUL) and XML feeds refuse, are removed.
    """
    try:
        text = raw.decode("utf-8-sig")
        data = _DECODER.decode(text)
    except UnicodeDecodeError as exc:
        raise IngestError(Reason.BAD_ENCODING, f"not UTF-8: {exc}") from None
    except ValueError as exc:
        raise IngestError(Reason.MALFORMED_JSON, str(exc)) from None
    except RecursionError:
        raise IngestError(Reason.MALFORMED_JSON, _TOO_DEEP) from None
    scrub = (  # C scans (a regex without a literal prefix cost three times json.loads)
        ("\\u" in text and _SUSPECT_ESCAPE.search(text) is not None)
        or "\ufffe" in text or "\uffff" in text
    )
    if scrub or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _walk(data, scrub=scrub)
    return data


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# One decoder for every call: ``json.loads`` with a hook builds a new one each time, which
# cost a third of decoding an API Core doc. Integers keep the C parser's own conversion
# (a ``parse_int`` hook cost as much again): past Python's int-string limit (4300 digits)
# it raises ValueError, which is ``MALFORMED_JSON`` like any unreadable document.
_DECODER = json.JSONDecoder(parse_constant=_not_a_number)


def _walk(data: Any, *, scrub: bool) -> None:
    """Level by level (no recursion), refuse nesting past ``MAX_DEPTH`` and, with
    ``scrub``, lone surrogates; remove control characters from string values."""
    level = [data] if isinstance(data, (dict, list)) else []
    for _ in range(MAX_DEPTH):
        below = []
        for node in level:
            for key, value in node.items() if type(node) is dict else enumerate(node):
                if type(value) is dict or type(value) is list:
                    below.append(value)
                elif scrub and type(value) is str:
                    node[key] = storable_text(value, "JSON")
        if not below:
            return
        level = below
    raise IngestError(Reason.MALFORMED_JSON, _TOO_DEEP)


def _docs(data: Any) -> tuple[list[Any], bool]:
    """(documents, whether the input is a page of several)."""
    if isinstance(data, dict) and "response" in data:
        docs = data["response"].get("docs") if isinstance(data["response"], dict) else None
        if not isinstance(docs, list):
            raise IngestError(Reason.MALFORMED_JSON, "response has no docs list")
        return docs, True
    if isinstance(data, list):
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise IngestError(Reason.MALFORMED_JSON, f"expected an object, got {type(data).__name__}")


def _ref(index: int, doc: Any) -> str:
    uno = doc.get("uno") if isinstance(doc, dict) else None
    return uno if isinstance(uno, str) and uno else f"docs[{index}]"


def _article(doc: Any) -> ParsedItem:
    if not isinstance(doc, dict):
        raise IngestError(Reason.INVALID_FIELD, "doc is not an object")
    uno = _str(doc, "uno")
    if not uno:
        raise IngestError(Reason.MISSING_ID, "doc has no uno")
    uri, alt_ids = uri_from_uno(uno)
    for key, role in (("afpshortid", "afp-shortid"), ("publicIdentifier", "afp-public-identifier")):
        value = _str(doc, key)
        if value:
            alt_ids[role] = value
    version = version_number(doc.get("revision"), "revision")
    status = (_str(doc, "status") or "Usable").lower()
    if status not in _STATUSES:
        raise IngestError(Reason.INVALID_FIELD, f"{uno}: unknown status {status!r}")
    kind = (_str(doc, "class") or "text").lower()
    article = Article(
        uri=uri,
        version=version,
        type=kind if kind in _TYPES else "text",
        pub_status=_STATUSES[status],
        version_created=parse_date(_str(doc, "published"), "published"),
        first_created=parse_date(_str(doc, "created"), "created"),
        embargoed_until=parse_date(_str(doc, "embargoed"), "embargoed"),
        signals=signals(_strs(doc, "signal")),
        ed_note=_str(doc, "advisory"),
        urgency=urgency(doc.get("urgency")),
        language=language_tag(_str(doc, "lang")),
        headline=_str(doc, "headline") or _str(doc, "title"),
        standfirst=_str(doc, "summary"),
        byline=_str(doc, "creator"),
        located=_str(doc, "city"),
        country=country_code(_str(doc, "country")),
        places=places((None, _str(doc, "city")), (_str(doc, "country"), _str(doc, "countryname"))),
        slugline="-".join(_strs(doc, "slug")) or None,
        genres=[Subject(name=g) for g in _strs(doc, "genre")],
        subjects=[Subject(code) for code in _strs(doc, "iptc")],
        products=_strs(doc, "product"),
        provider=_str(doc, "provider") or AFP,
        info_sources=_strs(doc, "source"),
        alt_ids=alt_ids,
    )
    article.body_html, stripped = render_body(text_blocks(_strs(doc, "news")))
    bag = doc.get("bagItem") or []
    if not isinstance(bag, list):
        raise IngestError(Reason.INVALID_FIELD, f"{uno}: bagItem is not a list")
    when = article.version_created or article.first_created
    article.pictures = [_picture(item, uno, when) for item in bag]
    alert = any(is_alert(g) for g in _strs(doc, "genreid"))  # "afpattribute:Alert"
    return ParsedItem(finish(article, alert=alert), stripped)


def _picture(item: Any, uno: str, when: datetime | None) -> Picture:
    if not isinstance(item, dict) or not _str(item, "uno"):
        raise IngestError(Reason.INVALID_FIELD, f"{uno}: bagItem without uno")
    credit = _str(item, "creditLine")
    holder, notice = picture_rights(credit, when)
    medias = item.get("medias") or []
    if not isinstance(medias, list) or not all(isinstance(m, dict) for m in medias):
        raise IngestError(Reason.INVALID_FIELD, f"{uno}: bagItem medias is not a list")
    return Picture(
        uri=uri_from_uno(str(item["uno"]))[0],
        caption=_str(item, "caption"),
        by=_str(item, "creator"),
        credit=credit,
        copyright_holder=holder,
        copyright_notice=notice,
        renditions=[
            Rendition(
                name=_str(m, "role") or "rendition",
                href=_str(m, "href") or "",
                content_type=_str(m, "type"),
                width=integer(m.get("width"), "width"),
                height=integer(m.get("height"), "height"),
                size_in_bytes=integer(m.get("sizeInBytes"), "sizeInBytes"),
            )
            for m in medias
        ],
    )


def _strs(doc: dict[str, Any], key: str) -> list[str]:
    """A field AFP sends either as a string or a list of strings, as a list.

    A whole number stands for its digits (an id sent unquoted); any other value where
    text is expected (``true``, ``1.5``, ``null`` in a list, an object) is an
    ``INVALID_FIELD``: ``true`` is no headline, and ``str()`` would make it "True".
    """
    value = doc.get(key)
    if value is None:
        return []
    values = value if type(value) is list else [value]
    texts = []
    for v in values:
        if type(v) is not str and type(v) is not int:  # a bool is an int: not by type()
            raise IngestError(Reason.INVALID_FIELD, f"{key}: expected text, got {value!r:.60}")
        text = " ".join(str(v).split())  # clean_text, inlined: this runs ~35 times a doc
        if text:
            texts.append(text)
    return texts


def _str(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if type(value) is str:  # the usual case, without building a list
        return " ".join(value.split()) or None
    return " ".join(_strs(doc, key)) or None
