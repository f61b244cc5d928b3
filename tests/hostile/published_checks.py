"""What every published byte must satisfy, whatever came in: shared by hostile, property
and fault tests.

- ``articles/<id>/v<n>.json`` validate as ninjs 3.1; ``latest.json`` pointers are JSON.
- RSS and Atom parse with feedparser ``bozo == 0``; JSON Feed validates against 1.1; a
  ninjs feed's items each validate; NewsML-G2 is well-formed XML (parsed with no network).
- No active content: in every XML document (where text is escaped, so only real markup
  or CDATA shows) no ``<script``, ``<iframe``, ``<svg``, ``on*=`` attribute or
  ``javascript:`` URL; the same inside every HTML payload (RSS/Atom content, JSON Feed
  ``content_html``, ninjs ``body_html``) after it is parsed as HTML; and no link or
  rendition URL with a scheme other than http(s).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import feedparser
import jsonschema_rs
from lxml import etree
from lxml import html as lxml_html

from ingest.publish.objectstore import ObjectStore
from ingest.validate import load_schema, ninjs_errors

PUBLISHED_PREFIXES = ("articles/", "feeds/")
KEY_SHAPE = re.compile(
    r"^(raw/[a-z0-9-]+/\d{4}/\d{2}/\d{2}/[0-9a-f]{64}"
    r"|articles/[A-Za-z0-9._-]+/(v\d+|latest)\.json"
    r"|audit/[A-Za-z0-9._-]+/v\d+\.json"
    r"|feeds/[a-z0-9-]+/[A-Za-z0-9._/-]+)$"
)
_TAGS = re.compile(rb"<\s*(script|iframe|svg|object|embed)\b", re.I)
_HANDLER = re.compile(rb"<[^>]*\son[a-z]+\s*=", re.I)
_URL_KEYS = frozenset({"href", "url", "external_url", "image", "banner_image", "icon"})
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data", "srcset", "background",
                        "poster", "url", "uri", "residref", "content"})
_ACTIVE_TAGS = frozenset({"script", "iframe", "svg", "object", "embed", "frame", "frameset"})


def active_content(fragment: str) -> list[str]:
    """Active bits of an HTML fragment, as a browser would see them once parsed."""
    if not fragment.strip():
        return []
    found: list[str] = []
    for el in lxml_html.fragments_fromstring(f"<div>{fragment}</div>")[0].iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.split("}")[-1].lower() in _ACTIVE_TAGS:
            found.append(f"<{tag}>")
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{tag} {name}=")
            if _url_attr(name) and _scheme(value) in {"javascript", "vbscript", "data"}:
                found.append(f"{tag} {name}={value[:40]}")
    return found


def _url_attr(name: str) -> bool:
    """Attributes a browser or feed reader follows as a URL."""
    return name.split("}")[-1].lower() in _URL_ATTRS


def _scheme(value: str) -> str:
    compact = "".join(ch for ch in value if ch > " ").lower()
    return compact.split(":", 1)[0] if ":" in compact else ""


def _xml_problems(data: bytes) -> list[str]:
    problems = [f"raw markup {m.group(0)[:20]!r}" for m in _TAGS.finditer(data)]
    problems += [f"event handler {m.group(0)[-30:]!r}" for m in _HANDLER.finditer(data)]
    root = etree.fromstring(data, _XML_PARSER)
    for el in root.iter():
        for name, value in el.attrib.items():
            if _url_attr(name) and _scheme(value) in {"javascript", "vbscript", "data"}:
                problems.append(f"{el.tag} {name}={value[:40]}")
        if _carries_html(el) and el.text:
            name = etree.QName(el).localname
            problems += [f"{name}: {found}" for found in active_content(el.text)]
    return problems


RSS_CONTENT = "http://purl.org/rss/1.0/modules/content/"


def _carries_html(el: etree._Element) -> bool:
    """RSS description / content:encoded and Atom type="html" hold escaped HTML.

    NewsML-G2's namespaced ``description`` is plain text, not HTML.
    """
    if not isinstance(el.tag, str):
        return False
    name = etree.QName(el)
    rss_description = name.namespace is None and name.localname == "description"
    encoded = name.namespace == RSS_CONTENT and name.localname == "encoded"
    return rss_description or encoded or el.get("type") == "html"


def _json_problems(doc: Any) -> list[str]:
    """Active content in a JSON document's HTML fields; non-web URLs in its link fields."""
    problems: list[str] = []
    if isinstance(doc, list):
        for value in doc:
            problems += _json_problems(value)
    elif isinstance(doc, dict):
        html_body = "html" in str(doc.get("contenttype", doc.get("contentType", "")))
        for key, value in doc.items():
            if isinstance(value, str):
                if key in {"body_html", "content_html"} or (html_body and key == "value"):
                    problems += active_content(value)
                if key in _URL_KEYS and urlsplit(value).scheme not in {"http", "https", ""}:
                    problems.append(f"{key}={value[:40]}")
            else:
                problems += _json_problems(value)
    return problems


def check_object(key: str, data: bytes) -> list[str]:
    """Everything wrong with one published object (empty when it is fine)."""
    name = key.rsplit("/", 1)[-1]
    if key.startswith("articles/"):
        doc = json.loads(data)
        errors = [] if name == "latest.json" else ninjs_errors(doc)
        return errors + _json_problems(doc)
    if name.endswith(".json"):
        doc = json.loads(data)
        if "items" not in doc:
            return [f"{key}: no items"]
        if doc.get("version", "").startswith("https://jsonfeed.org/"):
            validator = jsonschema_rs.Draft202012Validator(
                load_schema("schemas/jsonfeed-1.1.schema.json")
            )
            errors = [e.message for e in validator.iter_errors(doc)]
        else:
            errors = [e for item in doc["items"] for e in ninjs_errors(item)]
        return errors + _json_problems(doc)
    problems = _xml_problems(data)
    if "newsml" not in name:
        parsed = feedparser.parse(data)
        if parsed.bozo:
            problems.append(f"feedparser bozo: {parsed.bozo_exception!r}")
    return problems


def check_store(store: ObjectStore) -> dict[str, list[str]]:
    """Problems per key over everything published, plus any key of an unexpected shape."""
    problems: dict[str, list[str]] = {}
    for info in store.list():
        if not KEY_SHAPE.match(info.key) or ".." in info.key.split("/"):
            problems[info.key] = ["unexpected key"]
        elif info.key.startswith(PUBLISHED_PREFIXES):
            found = check_object(info.key, store.get(info.key))
            if found:
                problems[info.key] = found
    return problems
