"""The JSON Feed 1.1 spec's rules (https://jsonfeed.org/version/1.1) that its JSON Schema
cannot say, named like the W3C Feed Validator's messages for the same faults (the
validator itself reads no JSON)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

from w3c_rules import MIME, Problems, html_problems, language_ok


def _items(doc: dict[str, object]) -> list[dict[str, object]]:
    items = doc.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def jsonfeed_duplicate_id(doc: dict[str, object]) -> Problems:
    """"id ... is unique for that item for that feed over time": so unique in a document."""
    counts = Counter(str(i.get("id")) for i in _items(doc))
    return [f"DuplicateValue: item id {k!r}" for k, n in counts.items() if n > 1]


def jsonfeed_language(doc: dict[str, object]) -> Problems:
    """InvalidLanguage: "language ... in the format specified in RFC 5646"."""
    tags = [doc.get("language"), *(i.get("language") for i in _items(doc))]
    return [f"InvalidLanguage: {t!r}" for t in tags if isinstance(t, str)
            and not (re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", t) and language_ok(t))]


def jsonfeed_attachments(doc: dict[str, object]) -> Problems:
    """InvalidMIMEType: "mime_type ... specifies the type of the attachment"."""
    return [f"InvalidMIMEType: attachment {a.get('mime_type')!r}" for i in _items(doc)
            for a in (i.get("attachments") or []) if isinstance(a, dict)  # type: ignore[attr-defined]
            and not MIME.match(str(a.get("mime_type", "")))]


def jsonfeed_html(doc: dict[str, object]) -> Problems:
    return [p for i in _items(doc) if isinstance(h := i.get("content_html"), str)
            for p in html_problems("content_html", h)]


JSONFEED_RULES: dict[str, Callable[[dict[str, object]], Problems]] = {
    "DuplicateValue": jsonfeed_duplicate_id,
    "InvalidLanguage": jsonfeed_language,
    "InvalidMIMEType": jsonfeed_attachments,
    "SecurityRisk": jsonfeed_html,
}




def jsonfeed_problems(data: bytes) -> Problems:
    """Every rule above for one JSON Feed document."""
    doc = json.loads(data)
    return [p for rule in JSONFEED_RULES.values() for p in rule(doc)]
