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
from ingest.parsers.base import ParsedItem, ParseOutcome
from ingest.parsers.body import render_body, text_blocks
from ingest.parsers.identity import (
    AFP,
    country_code,
    finish,
    integer,
    iptc_subject,
    language_tag,
    parse_date,
    picture_rights,
    signals,
    urgency,
    uri_from_uno,
    version_number,
)
from ingest.parsers.outcomes import each_item

_STATUSES: dict[str, PubStatus] = {
    "usable": "usable", "embargoed": "usable", "withheld": "withheld", "canceled": "canceled",
    "cancelled": "canceled",
}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_TYPES = frozenset({"text", "picture", "video", "audio", "graphic", "composite"})


class AFPAPIParser:
    """API Core documents, as ``/v1/api/search`` or ``/v1/api/get/{uno}`` return them."""

    name = "afp-api"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        try:
            text = raw.decode("utf-8-sig")
            data = json.loads(text)
        except UnicodeDecodeError as exc:
            raise IngestError(Reason.BAD_ENCODING, f"not UTF-8: {exc}") from None
        except ValueError as exc:
            raise IngestError(Reason.MALFORMED_JSON, str(exc)) from None
        except RecursionError:
            raise IngestError(Reason.MALFORMED_JSON, "JSON nested too deeply") from None
        if _SURROGATE_ESCAPE.search(text):
            _refuse_lone_surrogates(data)
        docs, many = _docs(data)
        yield from each_item(docs, _article, _ref, many=many)


def _refuse_lone_surrogates(data: Any) -> None:
    """JSON may escape half a surrogate pair (``"\\ud800"``): text no UTF-8 can store."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise IngestError(Reason.BAD_ENCODING, f"lone surrogate in JSON text: {exc}") from None


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
        slugline="-".join(_strs(doc, "slug")) or None,
        genres=[Subject(name=g) for g in _strs(doc, "genre")],
        subjects=[iptc_subject(code) for code in _strs(doc, "iptc")],
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
    return ParsedItem(finish(article), stripped)


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
    """A field AFP sends either as a string or a list of strings, as a list."""
    value = doc.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    texts = []
    for v in values:
        if not isinstance(v, (str, int)):
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
