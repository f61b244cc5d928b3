"""The W3C Feed Validator's error-level checks that can apply to what ingest writes, in
our own words.

The validator (https://github.com/w3c/feedvalidator, not on PyPI, so not run here) names
each finding by a class in ``src/feedvalidator/logging.py``; every rule below is named by
the message it stands for (``ATOM_RULES`` / ``RSS_RULES`` keys) and written from the spec
the validator enforces (RFC 4287, RSS 2.0, RFC 2822, RFC 2045, Media RSS), not from its
code. A few of its *warnings* are kept too where a partner's reader would trip on them;
they say so. ``feed_rules.format_problems`` runs all of them on every document; the JSON
Feed rules (the validator reads no JSON) are in ``jsonfeed_rules``.

Language codes: the validator checks a tag's primary subtag against ISO 639; here the
list is CLDR's language codes as shipped with babel (installed with Airflow), 184 two-letter
ISO 639-1 codes and the three-letter codes CLDR names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache

import babel
from lxml import etree, html

ATOM = "{http://www.w3.org/2005/Atom}"

# RFC 2045 5.1 (RFC 7230 tchar): type "/" subtype *(";" attribute "=" value)
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
MIME = re.compile(rf'^{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|"(?:[^"\\]|\\.)*"))*$')
# RFC 3986 absolute URI, ASCII only (RSS and Media RSS want URIs, not IRIs)
FULL_URI = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$")
HTTP_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:/|$)", re.I)
# RFC 3987: an absolute IRI never holds these (and a "%" starts an escape)
IRI_BAD = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f]|%(?![0-9A-Fa-f]{2})")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# RFC 4151 as the validator reads it: a lower-case authority
TAG_AUTHORITY = re.compile(r"^tag:(?:[a-z0-9._-]+@)?[a-z0-9.-]+,\d{4}(?:-\d\d(?:-\d\d)?)?:")
# IANA link relations an Atom feed may use by name (RFC 4287 4.2.7.2; others are IRIs)
LINK_RELS = frozenset({
    "alternate", "related", "self", "enclosure", "via",  # RFC 4287
    "current", "first", "last", "next", "previous", "prev-archive", "next-archive",  # 5005
    "license", "replies", "edit", "edit-media", "hub", "search", "describedby", "up",
    "service", "payment"})
# HTML a reader must never run: elements and attributes the validator calls a SecurityRisk
_RISKY_TAGS = frozenset({"script", "iframe", "object", "embed", "applet", "frame", "frameset",
                         "meta", "link", "base", "style", "form"})

Problems = list[str]


@cache
def languages() -> frozenset[str]:
    """ISO 639 primary language subtags (CLDR's list, from babel)."""
    return frozenset(k.lower() for k in babel.Locale("en").languages if "_" not in k)


def language_ok(tag: str) -> bool:
    """InvalidLanguage: the primary subtag (before the first "-") is an ISO 639 code."""
    return tag.split("-", 1)[0].lower() in languages()


def local_name(el: etree._Element) -> str:
    return etree.QName(el).localname


def _children(el: etree._Element, ns: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and c.tag.startswith(ns)]


def attrs_problems(el: etree._Element, allowed: frozenset[str], where: str) -> Problems:
    """UnexpectedAttribute: an attribute in no namespace the element does not define."""
    return [f"UnexpectedAttribute: {where} has {name!r}"
            for name in el.attrib if not str(name).startswith("{") and name not in allowed]


def html_problems(where: str, fragment: str) -> Problems:
    """SecurityRisk (a warning in the validator): markup a reader would run."""
    if not fragment.strip():
        return []
    problems: Problems = []
    for el in html.fragment_fromstring(fragment, create_parent="div").iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() in _RISKY_TAGS:
            problems.append(f"SecurityRisk: {where} holds <{el.tag}>")
        for name, value in el.attrib.items():
            if str(name).lower().startswith("on") or value.strip().lower().startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                problems.append(f"SecurityRisk: {where} has {name}={value!r}")
    return problems


# -- Atom -----------------------------------------------------------------------------------

_ATOM_CHILDREN = {
    "feed": {"author", "category", "contributor", "generator", "icon", "id", "link", "logo",
             "rights", "subtitle", "title", "updated", "entry"},
    "entry": {"author", "category", "content", "contributor", "id", "link", "published",
              "rights", "source", "summary", "title", "updated"},
    "author": {"name", "uri", "email"}, "contributor": {"name", "uri", "email"},
}
_ATOM_ATTRS = {
    "link": frozenset({"href", "rel", "type", "hreflang", "title", "length"}),
    "category": frozenset({"term", "scheme", "label"}),
    "content": frozenset({"type", "src"}), "generator": frozenset({"uri", "version"}),
    **{n: frozenset({"type"}) for n in ("title", "subtitle", "summary", "rights")},
}
_NO_WHITESPACE = {"id", "updated", "published", "icon", "logo", "uri"}


def _atom_elements(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and el.tag.startswith(ATOM)]


def atom_undefined_element(root: etree._Element) -> Problems:
    """UndefinedElement: an Atom-namespace child its parent does not define."""
    return [f"UndefinedElement: atom:{local_name(c)} in atom:{local_name(el)}"
            for el in _atom_elements(root) if local_name(el) in _ATOM_CHILDREN
            for c in _children(el, ATOM) if local_name(c) not in _ATOM_CHILDREN[local_name(el)]]


def atom_unexpected_attribute(root: etree._Element) -> Problems:
    return [p for el in _atom_elements(root)
            for p in attrs_problems(el, _ATOM_ATTRS.get(local_name(el), frozenset()),
                                     f"atom:{local_name(el)}")]


def atom_misplaced_metadata(root: etree._Element) -> Problems:
    """MisplacedMetadata: feed metadata after the first entry."""
    kids = _children(root, ATOM)
    first = next((i for i, c in enumerate(kids) if local_name(c) == "entry"), len(kids))
    return [f"MisplacedMetadata: atom:{local_name(c)} after an entry" for c in kids[first:]
            if local_name(c) != "entry"]


def atom_unexpected_whitespace(root: etree._Element) -> Problems:
    """UnexpectedWhitespace: ids, dates and URIs with leading or trailing white space."""
    return [f"UnexpectedWhitespace: atom:{local_name(el)} {el.text!r}"
            for el in _atom_elements(root) if local_name(el) in _NO_WHITESPACE
            and (el.text or "") != (el.text or "").strip()]


def atom_invalid_tag(root: etree._Element) -> Problems:
    """InvalidTAG: the validator wants a tag: id's authority in lower case."""
    return [f"InvalidTAG: {el.text!r}" for el in root.iter(f"{ATOM}id")
            if (el.text or "").startswith("tag:") and not TAG_AUTHORITY.match(el.text or "")]


def atom_link_attributes(root: etree._Element) -> Problems:
    """InvalidIRI (href), InvalidMIMEType (type), InvalidNonNegativeInteger (length),
    InvalidLanguage (hreflang) and UnregisteredAtomLinkRel (a warning: rel is neither an
    IANA name nor an absolute IRI) on every atom:link, in Atom and in RSS alike."""
    problems: Problems = []
    for link in root.iter(f"{ATOM}link"):
        href, rel, mime = link.get("href", ""), link.get("rel", "alternate"), link.get("type")
        length, hreflang = link.get("length"), link.get("hreflang")
        if not SCHEME.match(href) or IRI_BAD.search(href):
            problems.append(f"InvalidIRI: link href {href!r}")
        if mime is not None and not MIME.match(mime):
            problems.append(f"InvalidMIMEType: link type {mime!r}")
        if length is not None and not (length.isdigit() and length.isascii()):
            problems.append(f"InvalidNonNegativeInteger: link length {length!r}")
        if hreflang is not None and not language_ok(hreflang):
            problems.append(f"InvalidLanguage: link hreflang {hreflang!r}")
        if rel not in LINK_RELS and not (SCHEME.match(rel) and not IRI_BAD.search(rel)):
            problems.append(f"UnregisteredAtomLinkRel: {rel!r}")
    return problems


def atom_content_type(root: etree._Element) -> Problems:
    """InvalidMIMEType: atom:content's type is text, html, xhtml or a MIME type."""
    return [f"InvalidMIMEType: content type {t!r}" for el in root.iter(f"{ATOM}content")
            if (t := el.get("type")) is not None and t not in {"text", "html", "xhtml"}
            and not MIME.match(t)]


def atom_category_scheme(root: etree._Element) -> Problems:
    """InvalidFullLink: a category scheme is an absolute IRI."""
    return [f"InvalidFullLink: category scheme {s!r}" for el in root.iter(f"{ATOM}category")
            if (s := el.get("scheme")) is not None and (not SCHEME.match(s) or IRI_BAD.search(s))]


def atom_person_duplicates(root: etree._Element) -> Problems:
    """DuplicateElement: a person holds at most one name, uri and email."""
    return [f"DuplicateElement: atom:{n} in atom:{local_name(el)}" for el in _atom_elements(root)
            if local_name(el) in {"author", "contributor"}
            for n, count in Counter(local_name(c) for c in _children(el, ATOM)).items()
            if count > 1]


def atom_html_content(root: etree._Element) -> Problems:
    return [p for el in _atom_elements(root) if el.get("type") == "html"
            for p in html_problems(f"atom:{local_name(el)}", el.text or "")]


ATOM_RULES: dict[str, Callable[[etree._Element], Problems]] = {
    "UndefinedElement": atom_undefined_element,
    "UnexpectedAttribute": atom_unexpected_attribute,
    "MisplacedMetadata": atom_misplaced_metadata,
    "UnexpectedWhitespace": atom_unexpected_whitespace,
    "InvalidTAG": atom_invalid_tag,
    "InvalidLink": atom_link_attributes,
    "InvalidMIMEType": atom_content_type,
    "InvalidFullLink": atom_category_scheme,
    "DuplicateElement": atom_person_duplicates,
    "SecurityRisk": atom_html_content,
}
