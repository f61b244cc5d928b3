"""The W3C Feed Validator's error-level checks on RSS 2.0 (with Dublin Core, Media RSS and
``content:encoded``), in our own words: see ``w3c_rules`` for how they are named and why."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date

from lxml import etree
from w3c_rules import (
    FULL_URI,
    HTTP_URL,
    MIME,
    Problems,
    atom_link_attributes,
    attrs_problems,
    html_problems,
    language_ok,
    local_name,
)

DC = "{http://purl.org/dc/elements/1.1/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIUMS = frozenset({"image", "audio", "video", "document", "executable"})  # Media RSS
# RFC 2822 3.3 date-time (the validator's preferred form; "obsolete" RFC 822 forms warn)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RFC2822 = re.compile(
    rf"^(?:(?P<dow>{'|'.join(_DAYS)}), )?(?P<day>\d{{1,2}}) (?P<mon>{'|'.join(_MONTHS)}) "
    r"(?P<year>\d{4}) (?P<h>\d\d):(?P<m>\d\d)(?::(?P<s>\d\d))? "
    r"(?P<zone>[+-](?:[01]\d|2[0-3])[0-5]\d|UT|GMT|[ECMP][SD]T|Z)$")


def rfc2822_problem(value: str) -> str | None:
    """InvalidRFC2822Date / IncorrectDOW for one RSS date."""
    m = RFC2822.match(value)
    if m is None:
        return f"InvalidRFC2822Date: {value!r}"
    try:
        day = date(int(m["year"]), _MONTHS.index(m["mon"]) + 1, int(m["day"]))
    except ValueError:
        return f"InvalidRFC2822Date: {value!r} is no calendar date"
    if int(m["h"]) > 23 or int(m["m"]) > 59 or int(m["s"] or 0) > 60:
        return f"InvalidRFC2822Date: {value!r} is no time of day"
    if m["dow"] and _DAYS[day.weekday()] != m["dow"]:
        return f"IncorrectDOW: {value!r} is a {_DAYS[day.weekday()]}"
    return None


def _no_ns_children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and not c.tag.startswith("{")]


_RSS_CHILDREN = {
    "channel": {"title", "link", "description", "language", "copyright", "managingEditor",
                "webMaster", "pubDate", "lastBuildDate", "category", "generator", "docs",
                "cloud", "ttl", "image", "rating", "textInput", "skipHours", "skipDays",
                "item"},
    "item": {"title", "link", "description", "author", "category", "comments", "enclosure",
             "guid", "pubDate", "source"},
}
_RSS_ONCE = {
    "channel": {"title", "link", "description", "language", "copyright", "managingEditor",
                "webMaster", "pubDate", "lastBuildDate", "generator", "docs", "cloud", "ttl",
                "image", "rating", "textInput", "skipHours", "skipDays",
                f"{DC}language", f"{DC}rights"},
    "item": {"title", "link", "description", "author", "comments", "guid", "pubDate",
             "source", f"{CONTENT}encoded", f"{DC}language", f"{DC}rights"},
}
_RSS_ATTRS = {"rss": frozenset({"version"}), "guid": frozenset({"isPermaLink"}),
              "category": frozenset({"domain"}), "source": frozenset({"url"}),
              "enclosure": frozenset({"url", "length", "type"}),
              "cloud": frozenset({"domain", "port", "path", "registerProcedure", "protocol"})}
_MEDIA_ATTRS = {
    "content": frozenset({"url", "fileSize", "type", "medium", "isDefault", "expression",
                          "bitrate", "framerate", "samplingrate", "channels", "duration",
                          "height", "width", "lang"}),
    "credit": frozenset({"role", "scheme"}), "description": frozenset({"type"}),
    "title": frozenset({"type"}), "copyright": frozenset({"url"}),
    "thumbnail": frozenset({"url", "height", "width", "time"}),
    "category": frozenset({"scheme", "label"}),
}
_DC_ELEMENTS = {"title", "creator", "subject", "description", "publisher", "contributor",
                "date", "type", "format", "identifier", "source", "language", "relation",
                "coverage", "rights"}


def _channel(root: etree._Element) -> etree._Element:
    channel = root.find("channel")
    assert channel is not None, "feed_rules checks there is one channel"
    return channel


def rss_undefined_element(root: etree._Element) -> Problems:
    """UndefinedElement: an element in no namespace RSS 2.0 does not define there, or a
    Dublin Core or Media RSS name those modules do not define."""
    channel = _channel(root)
    problems = [f"UndefinedElement: {local_name(c)} in {parent}"
                for parent, el in (("channel", channel), *(("item", i) for i in
                                                          channel.iter("item")))
                for c in _no_ns_children(el) if local_name(c) not in _RSS_CHILDREN[parent]]
    problems += [f"UndefinedElement: {c.tag}" for c in root.iter(f"{DC}*")
                 if local_name(c) not in _DC_ELEMENTS]
    return problems + [f"UndefinedElement: {c.tag}" for c in root.iter(f"{MEDIA}*")
                       if local_name(c) not in _MEDIA_ATTRS and local_name(c) not in {
                           "group", "keywords", "hash", "player", "rating", "restriction",
                           "text"}]


def rss_duplicate_element(root: etree._Element) -> Problems:
    """DuplicateElement: channel and item children RSS 2.0 allows once."""
    channel = _channel(root)
    problems: Problems = []
    for parent, el in (("channel", channel), *(("item", i) for i in channel.iter("item"))):
        counts = Counter(str(c.tag) for c in el if isinstance(c.tag, str))
        problems += [f"DuplicateElement: {tag} in {parent}" for tag, n in counts.items()
                     if n > 1 and tag in _RSS_ONCE[parent]]
    return problems


def rss_unexpected_attribute(root: etree._Element) -> Problems:
    problems: Problems = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if not el.tag.startswith("{"):
            problems += attrs_problems(el, _RSS_ATTRS.get(el.tag, frozenset()), el.tag)
        elif el.tag.startswith(MEDIA):
            problems += attrs_problems(el, _MEDIA_ATTRS.get(local_name(el), frozenset()),
                                        f"media:{local_name(el)}")
    return problems


def rss_dates(root: etree._Element) -> Problems:
    """InvalidRFC2822Date / IncorrectDOW on pubDate and lastBuildDate."""
    return [p for el in root.iter("pubDate", "lastBuildDate")
            if (p := rfc2822_problem(el.text or "")) is not None]


def rss_full_links(root: etree._Element) -> Problems:
    """InvalidFullLink / InvalidURLAttribute: RSS links are absolute URIs, ASCII only
    (channel and item link, comments, docs, source url, Media RSS urls)."""
    channel = _channel(root)
    links = [("channel", el) for el in (*channel.findall("link"), *channel.findall("docs"))]
    links += [("item", el) for item in channel.iter("item")
              for el in (*item.findall("link"), *item.findall("comments"))]
    values = [(f"{parent}/{el.tag}", el.text or "") for parent, el in links]
    values += [(f"{el.tag}@url", el.get("url", "")) for el in root.iter("source", f"{MEDIA}*")
               if el.get("url") is not None]
    return [f"InvalidFullLink: {where} {value!r}" for where, value in values
            if not FULL_URI.match(value)
            or (value.lower().startswith("http") and not HTTP_URL.match(value))]


def rss_guid(root: etree._Element) -> Problems:
    """InvalidBooleanAttribute (isPermaLink is "true" or "false"), InvalidHttpGUID (a
    permalink is a full URL) and InvalidPermalink (a tag: or urn:uuid: permalink)."""
    problems: Problems = []
    for guid in root.iter("guid"):
        flag, value = guid.get("isPermaLink"), (guid.text or "").strip()
        if flag not in {None, "true", "false"}:
            problems.append(f"InvalidBooleanAttribute: guid isPermaLink={flag!r}")
        if flag in {None, "true"}:
            if not FULL_URI.match(value):
                problems.append(f"InvalidHttpGUID: permalink guid {value!r}")
            elif value.lower().startswith(("tag:", "urn:uuid:")):
                problems.append(f"InvalidPermalink: guid {value!r} is no URL")
    return problems


def rss_language(root: etree._Element) -> Problems:
    """InvalidLanguage: channel language and dc:language hold ISO 639 codes."""
    return [f"InvalidLanguage: {el.tag} {el.text!r}" for el in root.iter("language",
                                                                       f"{DC}language")
            if not language_ok((el.text or "").strip())]


def rss_enclosure(root: etree._Element) -> Problems:
    """MissingAttribute, InvalidNonNegativeInteger (length), InvalidMIMEAttribute (type)
    and InvalidURLAttribute (an http URL) on every enclosure."""
    problems: Problems = []
    for el in root.iter("enclosure"):
        problems += [f"MissingAttribute: enclosure {a}" for a in ("url", "length", "type")
                     if el.get(a) is None]
        if (length := el.get("length")) is not None and not length.isdigit():
            problems.append(f"InvalidNonNegativeInteger: enclosure length {length!r}")
        if (mime := el.get("type")) is not None and not MIME.match(mime):
            problems.append(f"InvalidMIMEAttribute: enclosure type {mime!r}")
        if (url := el.get("url")) is not None and not HTTP_URL.match(url):
            problems.append(f"InvalidURLAttribute: enclosure url {url!r}")
    return problems


def rss_media(root: etree._Element) -> Problems:
    """Media RSS: InvalidPositiveInteger (fileSize, width, height), InvalidMIMEAttribute,
    InvalidMediaMedium, InvalidCreditRole (roles are lower case)."""
    problems: Problems = []
    for el in root.iter(f"{MEDIA}content", f"{MEDIA}thumbnail"):
        for name in ("fileSize", "width", "height"):
            value = el.get(name)
            if value is not None and not (value.isdigit() and int(value) > 0):
                problems.append(f"InvalidPositiveInteger: media {name}={value!r}")
        if (mime := el.get("type")) is not None and not MIME.match(mime):
            problems.append(f"InvalidMIMEAttribute: media:content type {mime!r}")
        if (medium := el.get("medium")) is not None and medium not in MEDIUMS:
            problems.append(f"InvalidMediaMedium: {medium!r}")
    return problems + [f"InvalidCreditRole: {r!r}" for el in root.iter(f"{MEDIA}credit")
                       if (r := el.get("role")) is not None and r != r.lower()]


def rss_html(root: etree._Element) -> Problems:
    return [p for el in root.iter("description", f"{CONTENT}encoded")
            for p in html_problems(str(el.tag), el.text or "")]


RSS_RULES: dict[str, Callable[[etree._Element], Problems]] = {
    "UndefinedElement": rss_undefined_element,
    "DuplicateElement": rss_duplicate_element,
    "UnexpectedAttribute": rss_unexpected_attribute,
    "InvalidRFC2822Date": rss_dates,
    "InvalidFullLink": rss_full_links,
    "InvalidPermalink": rss_guid,
    "InvalidLanguage": rss_language,
    "InvalidEnclosure": rss_enclosure,
    "InvalidMedia": rss_media,
    "InvalidLink": atom_link_attributes,  # atom:link rel=self in the channel
    "SecurityRisk": rss_html,
}
