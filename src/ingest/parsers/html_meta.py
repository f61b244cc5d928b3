"""Web page metadata: headline, summary, byline, dates, language, canonical URL, lead image.

Byline and dates come from one ordered lookup, the first step that yields a value wins:

1. JSON-LD: the typed object describing the article (any ``*Article``, ``*Posting``,
   else a ``*Page``), in ``@graph`` or arrays or nested, with authors given by ``@id``
   resolved to their Person nodes;
2. ``<meta>`` fields (Open Graph ``article:*``, ``author``, Dublin Core, Highwire
   ``citation_*``, Sailthru, Parse.ly, Twitter's "Written by" label) and microdata
   ``itemprop`` elements;
3. ``<time datetime>`` in the article's header (see ``html_byline``);
4. byline elements and "By …" lines near the headline;
5. dates written out near the headline or byline;
6. a date in the page's address; last, htmldate's quick search.

A name that is the site's or publisher's own (``og:site_name``, the JSON-LD publisher,
the host), a role alone ("Redaktion") or one lone word is weak: a later step's name wins
over it (over a lone word, only a full name it begins), and it stands only when the page
names nobody else. Published and modified dates are kept apart all the way.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ingest.clean import credits
from ingest.model import Picture, Rendition
from ingest.parsers import html_byline
from ingest.parsers.html_dates import machine_date, quick_search, url_date
from ingest.parsers.text import PageMeta, normalised

_LANG = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$")
_TITLE_SPLIT = re.compile(r"\s+[|–—·»:-]\s+")
_SCRIPT_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
MAX_LD_DEPTH = 12
# h2s read as headline candidates when no h1 is the headline (some themes title posts so).
MAX_H2_HEADLINES = 20
# Else an h1 of this many words is the headline even if the titles say otherwise (the
# titles are often written for search engines).
MIN_H1_WORDS = 4

# Meta fields in the order they are believed (keys lower-cased; ``name``, ``property``
# and ``itemprop`` are read alike).
AUTHOR_FIELDS = (
    "author", "article:author", "og:article:author", "parsely-author", "sailthru.author",
    "citation_author", "dc.creator", "dcterms.creator", "dc.creator.author", "byl",
    "shareaholic:article_author_name",
)
PUBLISHED_FIELDS = (
    "article:published_time", "og:article:published_time", "datepublished",
    "parsely-pub-date", "sailthru.date", "citation_publication_date", "citation_date",
    "citation_online_date", "dcterms.issued", "dcterms.date", "dc.date.issued", "dc.date",
    "dcterms.created", "dc.date.created", "article.published", "publish-date",
    "publish_date", "publishdate", "pubdate", "date", "og:published_time",
    "article:published", "datecreated",
)
MODIFIED_FIELDS = (
    "article:modified_time", "og:article:modified_time", "datemodified", "og:updated_time",
    "dcterms.modified", "article.updated", "last-modified", "sailthru.lastmodified",
    "parsely-updated", "article:modified",
)
SITE_FIELDS = ("og:site_name", "application-name", "apple-mobile-web-app-title",
               "twitter:site", "publisher", "dc.publisher", "citation_publisher")
# A ``twitter:labelN`` that names the author (its ``twitter:dataN`` is the name).
_AUTHOR_LABEL = re.compile(r"writ|author|autor|auteur|verfasst|\bby\b|\bvon\b|\bpar\b", re.I)


def _content(el: etree._Element) -> str:
    """All text inside an element (plain lxml elements have no ``text_content``)."""
    return "".join(el.itertext())


def _text(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _title(value: Any) -> str:
    """A title from metadata, where entities are sometimes escaped twice."""
    return _text(htmllib.unescape(value)) if isinstance(value, str) else ""


def _absolute(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    url = urljoin(base or "", href.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def _meta_props(root: etree._Element) -> dict[str, list[str]]:
    """Every ``<meta>`` value by lower-cased name, property or itemprop, in page order."""
    props: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        value = _text(el.get("content"))
        if not value:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            for key in (el.get(attr) or "").lower().split():
                props.setdefault(key, []).append(value)
    return props


def _ld_objects(root: etree._Element) -> list[dict[str, Any]]:
    """Every typed JSON-LD object of the page, in document order, nested ones included."""
    found: list[dict[str, Any]] = []

    def walk(item: Any, depth: int) -> None:
        if depth > MAX_LD_DEPTH:
            return
        if isinstance(item, list):
            for value in item:
                walk(value, depth + 1)
        elif isinstance(item, dict):
            if "@type" in item:
                found.append(item)
            for value in item.values():
                if isinstance(value, dict | list):
                    walk(value, depth + 1)

    for script in root.iter("script"):
        if script.get("type", "").lower().strip() != "application/ld+json" or not script.text:
            continue
        try:
            walk(json.loads(_SCRIPT_WRAPPER.sub("", script.text), strict=False), 0)
        except (ValueError, RecursionError):  # RecursionError: nested past the stack
            continue
    return found


def _kinds(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    return [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]


def _is_article(item: dict[str, Any]) -> bool:
    return any(k.endswith(("Article", "Posting", "Report")) or k in ("Review", "Blog")
               for k in _kinds(item))


def _main_object(objects: list[dict[str, Any]], titles: list[str]) -> dict[str, Any]:
    """The object describing this page's article: the one titled like the page, else the first.

    Without an article object, a ``*Page`` object stands in (it often carries the dates).
    """
    articles = [o for o in objects if _is_article(o)] or [
        o for o in objects if any(k.endswith("Page") for k in _kinds(o))]
    keys = {normalised(t) for t in titles}
    for item in articles:
        if normalised(_title(item.get("headline") or item.get("name"))) in keys:
            return item
    with_meta = [o for o in articles if o.get("author") or o.get("datePublished")]
    return (with_meta or articles or [{}])[0]


def _ld_people(value: Any, index: dict[str, dict[str, Any]]) -> list[str]:
    """Author names from a JSON-LD ``author``: strings, Person nodes, ``@id`` references."""
    names: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        node = index.get(entry, {"name": entry}) if isinstance(entry, str) else entry
        if not isinstance(node, dict):
            continue
        if "name" not in node and isinstance(node.get("@id"), str):
            node = index.get(node["@id"], node)
        name = node.get("name")
        if not isinstance(name, str):
            parts = (node.get("givenName"), node.get("familyName"))
            name = " ".join(p for p in parts if isinstance(p, str))
        if name and "://" not in name:
            names.append(_text(htmllib.unescape(name)))
    return names


def _site_names(props: dict[str, list[str]], objects: list[dict[str, Any]],
                canonical: str | None) -> set[str]:
    """Keys of every name the site goes by: site name, publisher, host."""
    names = [v.lstrip("@") for key in SITE_FIELDS for v in props.get(key, [])]
    for item in objects:
        publisher = item.get("publisher")
        for entry in publisher if isinstance(publisher, list) else [publisher]:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names.append(entry["name"])
        if "WebSite" in _kinds(item) and isinstance(item.get("name"), str):
            names.append(item["name"])
    host = (urlsplit(canonical or "").hostname or "").removeprefix("www.")
    if host:
        names.extend((host, host.split(".")[0]))
    return {key for key in map(html_byline.name_key, names) if key}


def _meta_authors(props: dict[str, list[str]]) -> list[str]:
    for key in AUTHOR_FIELDS:
        values = [v for v in props.get(key, []) if "://" not in v]
        if key.startswith(("citation_", "dc")):  # one name per field, "Family, Given"
            values = [" ".join(v.split(",")[::-1]) if v.count(",") == 1 else v
                      for v in values]
        if values:
            return values
    for number in "1234":
        label = props.get(f"twitter:label{number}", [""])[0]
        if _AUTHOR_LABEL.search(label) and props.get(f"twitter:data{number}"):
            return props[f"twitter:data{number}"][:1]
    return []


def _authors(steps: list[Callable[[], html_byline.Byline]]) -> list[str]:
    """The first step's names, unless they are weak (see ``Byline``): then a later step's
    strong names win, over a person's lone word only a full name it begins ("jane" ->
    "Jane Doe")."""
    first: html_byline.Byline | None = None
    for step in steps:
        found = step()
        if not found.names:
            continue
        if first is None:
            first = found
            if not found.weak:
                return found.names
        elif not found.weak and (first.stand_in or " " in first.names[0] or html_byline.name_key(
                found.names[0]).startswith(html_byline.name_key(first.names[0]))):
            return found.names
    return first.names if first else []


def _printed_day(stamp: datetime, canonical: str | None) -> datetime:
    """A stamp given in UTC, or the day the page's address prints when that is the day
    before or after: the publisher's calendar day, which a UTC clock can cross (23:00Z is
    tomorrow in Berlin, 02:00Z yesterday in New York). The header's written dates are not
    asked: there an updated date or a teaser's is too often the one found."""
    if stamp.utcoffset() != timedelta(0) or (stamp.hour, stamp.minute) == (0, 0):
        return stamp
    printed = url_date(canonical)
    if printed is None:
        return stamp
    # Offsets run from -12:00 to +14:00: only from 10:00Z is it tomorrow somewhere, only
    # before 12:00Z yesterday.
    days = (printed.date() - stamp.date()).days
    crossed = (days == 1 and stamp.hour >= 10) or (days == -1 and stamp.hour < 12)
    return printed if crossed else stamp


def _first_date(props: dict[str, list[str]], fields: tuple[str, ...]) -> Any:
    return next((d for key in fields for v in props.get(key, []) if (d := machine_date(v))),
                None)


def read_meta(root: etree._Element) -> PageMeta:
    """Headline, summary, dates, byline, language, canonical URL and lead image."""
    props = _meta_props(root)
    canonical = None
    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split():
            canonical = _absolute(None, el.get("href"))
            break
    canonical = canonical or _absolute(None, next(iter(props.get("og:url", [])), None))
    objects = _ld_objects(root)
    title_el = root.find(".//title")
    meta_titles = [_title(t) for key in ("og:title", "twitter:title") for t in props.get(key, [])]
    page_title = [_title(_content(title_el))] if title_el is not None else []
    ld = _main_object(objects, [*meta_titles, *page_title])
    titles = [t for t in (_title(ld.get("headline")), *meta_titles, *page_title) if t]
    # A "site name" that is the article's own title (an ``application-name`` set per page)
    # names the article, not the site; the site's declared ``og:site_name`` stays.
    sites = _site_names(props, objects, canonical) - (
        {html_byline.name_key(t) for t in (_title(ld.get("headline")), *meta_titles)}
        - {html_byline.name_key(n) for n in props.get("og:site_name", [])})
    headline_el, headline = _headline(root, titles, sites)
    summary = next((s for s in (*props.get("og:description", []), *props.get("description", []),
                                _text(ld.get("description")) if isinstance(
                                    ld.get("description"), str) else "") if s), None)
    index = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    index.update((o["url"], o) for o in objects
                 if "Person" in _kinds(o) and isinstance(o.get("url"), str))
    header = html_byline.Header(root, headline_el)
    authors = _authors([
        lambda: html_byline.clean_names(
            _ld_people(ld.get("author") or ld.get("creator"), index), sites),
        lambda: html_byline.clean_names(_meta_authors(props), sites),
        lambda: html_byline.clean_names(header.microdata_authors(), sites),
        lambda: header.byline_authors(sites),
    ])
    published = machine_date(ld.get("datePublished")) or _first_date(props, PUBLISHED_FIELDS)
    modified = machine_date(ld.get("dateModified")) or _first_date(props, MODIFIED_FIELDS)
    if published is not None:
        published = _printed_day(published, canonical)
    else:
        stamped, stamped_modified = header.stamped_dates()
        written, written_modified = header.written_dates()
        published = (stamped or written or url_date(canonical)
                     or quick_search(root, canonical))
        modified = modified or stamped_modified or written_modified
    lang = root.get("lang") or next(iter(props.get("og:locale", [])), "").replace("_", "-")
    image = ld.get("image")
    image_url = image.get("url") if isinstance(image, dict) else image
    if isinstance(image_url, list):
        image_url = image_url[0] if image_url else None
    og_image = _absolute(canonical, next(iter(props.get("og:image", [])), None)) or _absolute(
        canonical, image_url if isinstance(image_url, str) else None)
    pictures = []
    if og_image:
        pictures.append(_picture(og_image, next(iter(props.get("og:image:alt", [])), None)))
    return PageMeta(
        headline=headline,
        standfirst=summary,
        byline=", ".join(authors) or None,
        published=published,
        modified=modified or published,
        language=lang if lang and _LANG.match(lang) else None,
        canonical_url=canonical,
        pictures=pictures,
    )


def _heading_text(heading: etree._Element) -> str:
    return _text(_content(heading).replace("\u00ad", ""))


def _headline(root: etree._Element, titles: list[str],
              sites: set[str]) -> tuple[etree._Element | None, str | None]:
    """The headline and the heading printing it (the article's header is around it).

    The page's own h1 (else an h2) that a metadata title holds, or that holds a title after
    a kicker ("Tunisia Big tasks for the new government"), the site's name aside (a blog's
    logo is often its h1); else a long h1 (titles are often written for search engines);
    else the cleanest title.
    """
    headings = [*root.iter("h1"), *list(root.iter("h2"))[:MAX_H2_HEADLINES]]
    keys = [normalised(t) for t in titles]
    for heading in headings:
        text = _heading_text(heading)
        key = normalised(text)
        if not key or html_byline.name_key(key) in sites:
            continue
        if any(key in t for t in keys):
            return heading, text
        inner = next((title for title, t in zip(titles, keys, strict=True)
                      if len(t.split()) >= MIN_H1_WORDS and t in key), None)
        if inner:
            return heading, inner
    h1s = list(root.iter("h1"))
    for h1 in h1s:
        text = _heading_text(h1)
        if len(text.split()) >= MIN_H1_WORDS and html_byline.name_key(text) not in sites:
            return h1, text
    first = next((t for h in headings if (t := _heading_text(h))), None)
    return (h1s[0] if h1s else None), _title_headline(titles, sites) or first


def _title_headline(titles: list[str], sites: set[str]) -> str | None:
    """The headline a title holds: an article title (JSON-LD, Open Graph) that differs from
    the page's ``<title>`` as it is; else the longest part of the title that is not the
    site's name ("Section | Story | Site" -> "Story")."""
    if not titles:
        return None
    if len(titles) > 1 and titles[0] != titles[-1]:
        return titles[0]
    parts = [p for p in _TITLE_SPLIT.split(titles[0]) if html_byline.name_key(p) not in sites]
    return max(parts, key=len) if parts else titles[0]


def _picture(href: str, caption: str | None, credit_text: str | None = None) -> Picture:
    text, credit = credits.split_caption(caption) if caption else ("", None)
    if credit_text:
        credit = credits.parse_photo_credit(credit_text) or credit
    return Picture(
        uri=href,
        caption=text or None,
        by=credit.by if credit else None,
        credit=credit.credit if credit else None,
        copyright_holder=credit.holder if credit else None,
        renditions=[Rendition(name="original", href=href)],
    )
