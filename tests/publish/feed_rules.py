"""What every published feed document must satisfy, format by format, checked from the
standards' own text rather than from ingest's code.

- Atom: RFC 4287's MUSTs (and its SHOULD of one ``self`` link): cardinalities of feed and
  entry children, an author on the feed or every entry, ``content`` or an alternate link,
  no two entries with the same id and updated, text/person/link/category constructs; ids
  are absolute IRIs (RFC 3987), ``tag:`` ids follow RFC 4151's grammar and ``urn:`` ids
  RFC 2141's (no ``#``); dates are RFC 3339 with an offset. Plus feedparser ``bozo == 0``.
- RSS 2.0: one channel with title, link and description; items with a title or a
  description and distinct guids; RFC 822 dates with a zone. Plus feedparser.
- JSON Feed 1.1: the schema in the package; ninjs feeds: every item against ninjs 3.1.
- NewsML-G2: the 2.35 XSD (lxml, offline).
- All: UTF-8 with no control characters.
- Atom and RSS: the W3C Feed Validator's error-level rules (``w3c_rules``); JSON Feed:
  its spec's rules beyond the schema (``jsonfeed_rules``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import resources

import feedparser
from jsonfeed_rules import jsonfeed_problems
from jsonschema import Draft202012Validator
from lxml import etree
from w3c_rss import RSS_RULES
from w3c_rules import ATOM_RULES

from ingest.validate import ninjs_errors

ATOM = "{http://www.w3.org/2005/Atom}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
# XML 1.0 C0 controls (but tab, LF, CR), DEL and C1 controls
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# -- RFC 4287 (Atom), RFC 4151 (tag), RFC 3339 (dates), RFC 2141 (urn) ------------------------

_DNS_COMP = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME = rf"{_DNS_COMP}(?:\.{_DNS_COMP})*"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
TAG_URI = re.compile(  # RFC 4151 section 2.1
    rf"^tag:(?:{_DNS_NAME}|[A-Za-z0-9\-._]+@{_DNS_NAME}),"
    r"(?P<date>\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?)"
    rf":(?:{_PCHAR}|[/?])*(?:#(?:{_PCHAR}|[/?])*)?$")
URN = re.compile(  # RFC 2141: no "#", no "/" escapes aside, NSS chars only
    r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:(?:[A-Za-z0-9()+,\-.:=@;$_!*']|%[0-9A-Fa-f]{2})+$",
    re.I)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
IRI_EXCLUDED = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f]")  # RFC 3987: never in an IRI
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
TEXT_TYPES = {None, "text", "html", "xhtml"}


def iri_problems(value: str) -> list[str]:
    """RFC 4287 4.2.6: an id is an absolute IRI; tag: and urn: per their own grammars."""
    if not SCHEME.match(value) or IRI_EXCLUDED.search(value) or value.count("#") > 1:
        return [f"id {value!r} is not an absolute IRI"]
    scheme = value.split(":", 1)[0].lower()
    if scheme == "tag" and not TAG_URI.match(value):
        return [f"id {value!r} breaks RFC 4151's tag grammar"]
    if scheme == "urn" and not URN.match(value):
        return [f"id {value!r} is not an RFC 2141 URN"]
    return []


def date_problems(where: str, value: str | None) -> list[str]:
    """RFC 4287 3.3: an RFC 3339 date-time, with its offset."""
    if value is None or not RFC3339.match(value):
        return [f"{where}: {value!r} is not an RFC 3339 date-time with an offset"]
    datetime.fromisoformat(value)  # a real instant, or ValueError
    return []


def _count(node: etree._Element, name: str) -> int:
    return len(node.findall(f"{ATOM}{name}"))


def _cardinality(node: etree._Element, where: str, one: tuple[str, ...],
                 at_most_one: tuple[str, ...]) -> list[str]:
    problems = [f"{where}: needs exactly one atom:{n}" for n in one if _count(node, n) != 1]
    return problems + [f"{where}: more than one atom:{n}" for n in at_most_one
                       if _count(node, n) > 1]


def _alternates(node: etree._Element) -> list[etree._Element]:
    return [link for link in node.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"]


def _alternate_clash(node: etree._Element, where: str) -> list[str]:
    pairs = [(link.get("type"), link.get("hreflang")) for link in _alternates(node)]
    return [f"{where}: two alternate links share type and hreflang"] * (
        len(pairs) != len(set(pairs)))


def _entry_problems(entry: etree._Element, where: str, feed_has_author: bool) -> list[str]:
    problems = _cardinality(entry, where, ("id", "title", "updated"),
                            ("content", "published", "rights", "source", "summary"))
    if not feed_has_author and _count(entry, "author") == 0:
        problems.append(f"{where}: no atom:author, and the feed has none (4.1.2)")
    content = entry.find(f"{ATOM}content")
    if content is None and not _alternates(entry):
        problems.append(f"{where}: neither atom:content nor link rel=alternate (4.1.2)")
    if content is not None:
        mime = content.get("type")
        textual = mime in TEXT_TYPES or mime is None or mime.startswith("text/") or \
            mime.endswith(("+xml", "/xml"))
        if (content.get("src") or not textual) and _count(entry, "summary") == 0:
            problems.append(f"{where}: out-of-line or Base64 content without a summary")
        if content.get("src") and (len(content) or (content.text or "").strip()):
            problems.append(f"{where}: content with src is not empty (4.1.3.2)")
    return problems + _alternate_clash(entry, where)


def _construct_problems(root: etree._Element) -> list[str]:
    """Ids, dates, text, person, link and category constructs, wherever they appear."""
    problems: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(ATOM):
            continue
        name = el.tag[len(ATOM):]
        if name == "id":
            problems += iri_problems((el.text or "").strip())
        elif name in {"updated", "published"}:
            problems += date_problems(name, el.text)
        elif name in {"title", "subtitle", "summary", "rights"} and el.get("type") not in \
                TEXT_TYPES:
            problems.append(f"{name}: type {el.get('type')!r} is not text, html or xhtml")
        elif name in {"author", "contributor"} and _count(el, "name") != 1:
            problems.append(f"{name}: needs exactly one atom:name (3.2)")
        elif name == "link" and not el.get("href"):
            problems.append("link without href (4.2.7)")
        elif name == "category" and not el.get("term"):
            problems.append("category without term (4.2.2)")
    return problems


def atom_problems(data: bytes) -> list[str]:
    """What breaks RFC 4287's MUSTs (and its SHOULD of a self link) in one Atom document."""
    root = etree.fromstring(data, PARSER)
    if root.tag != f"{ATOM}feed":
        return [f"root is {root.tag!r}, not atom:feed"]
    problems = _cardinality(root, "feed", ("id", "title", "updated"),
                            ("generator", "icon", "logo", "rights", "subtitle"))
    if [link.get("rel") for link in root.findall(f"{ATOM}link")].count("self") != 1:
        problems.append("feed: needs one link rel=self")
    problems += _alternate_clash(root, "feed")
    feed_has_author = _count(root, "author") > 0
    seen: set[tuple[str | None, str | None]] = set()
    for i, entry in enumerate(root.findall(f"{ATOM}entry")):
        problems += _entry_problems(entry, f"entry {i}", feed_has_author)
        key = (entry.findtext(f"{ATOM}id"), entry.findtext(f"{ATOM}updated"))
        if key in seen:
            problems.append(f"entry {i}: same id and updated as an earlier entry")
        seen.add(key)
    return problems + _construct_problems(root)


# -- the other formats -----------------------------------------------------------------------


def rss_problems(data: bytes) -> list[str]:
    """RSS 2.0's required channel elements, item title-or-description, RFC 822 dates."""
    root = etree.fromstring(data, PARSER)
    channels = root.findall("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or len(channels) != 1:
        return ["not an RSS 2.0 document with one channel"]
    channel = channels[0]
    problems = [f"channel: no {n}" for n in ("title", "link", "description")
                if not channel.findtext(n)]
    guids = [item.findtext("guid") for item in channel.iter("item")]
    if len(guids) != len(set(guids)):
        problems.append("two items share a guid")
    for i, item in enumerate(channel.iter("item")):
        if not (item.findtext("title") or item.findtext("description")):
            problems.append(f"item {i}: neither title nor description")
    for el in root.iter("pubDate", "lastBuildDate"):
        when = parsedate_to_datetime(el.text or "")
        if when.tzinfo is None:
            problems.append(f"{el.tag!r} {el.text!r} has no zone")
    return problems


def feedparser_problems(data: bytes) -> list[str]:
    parsed = feedparser.parse(data)
    return [f"feedparser bozo: {parsed.get('bozo_exception')!r}"] if parsed.bozo else []


@cache
def jsonfeed_validator() -> Draft202012Validator:
    schema = json.loads(resources.files("ingest").joinpath(
        "schemas/jsonfeed-1.1.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def g2_schema() -> etree.XMLSchema:
    path = resources.files("ingest") / "schemas/newsml-g2/NewsML-G2_2.35-spec-All-Power.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def common_problems(data: bytes) -> list[str]:
    """Every feed: UTF-8, no control characters."""
    text = data.decode("utf-8")
    return [f"control character {m.group()!r}" for m in _CONTROL.finditer(text)]


def w3c_problems(fmt: str, data: bytes) -> list[str]:
    """The W3C Feed Validator's rules (``w3c_rules``, ``w3c_rss``) for Atom and RSS."""
    rules = {"atom": ATOM_RULES, "rss": RSS_RULES}.get(fmt, {})
    root = etree.fromstring(data, PARSER) if rules else None
    return [p for rule in rules.values() for p in rule(root)]


def format_problems(fmt: str, data: bytes) -> list[str]:
    """Everything wrong with one published document of format ``fmt``."""
    problems = common_problems(data) + w3c_problems(fmt, data)
    if fmt == "atom":
        return problems + atom_problems(data) + feedparser_problems(data)
    if fmt == "rss":
        return problems + rss_problems(data) + feedparser_problems(data)
    if fmt == "jsonfeed":
        return problems + jsonfeed_problems(data) + [
            e.message for e in jsonfeed_validator().iter_errors(json.loads(data))]
    if fmt == "ninjs":
        doc = json.loads(data)
        return problems + date_problems("updated", doc["updated"]) + [
            e for item in doc["items"] for e in ninjs_errors(item)]
    schema = g2_schema()
    schema.validate(etree.fromstring(data, PARSER))
    return problems + [str(e) for e in schema.error_log]
