"""The article's header on a web page: byline and dates printed around the headline.

The header is read as short text lines: the elements after the headline's ``<h1>`` up
to where the body's prose starts, and a few before it (some pages print the byline or
date above the headline). Without an ``<h1>``, the lines are those opening the first
``<article>`` or ``<main>``. From them come, in this order of belief: microdata
``itemprop`` values, ``<time datetime>`` stamps, elements marked as the byline (class,
id, rel or itemprop ``author``/``byline``), "By …" lines in AFP's languages, and dates
written out in words. Names are cleaned down to the people: no "By", no date, no role.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import chain

from lxml import etree

from ingest.clean.credits import AGENCIES
from ingest.parsers.html_dates import (
    MONTH_WORDS,
    MONTHS,
    machine_date,
    says_modified,
    written_date,
)

FOLLOWING_ELEMENTS = 300
PRECEDING_ELEMENTS = 40
MAX_LINE_CHARS = 200
# A paragraph this long after the headline is the body: the header has ended.
BODY_CHARS = 250
MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 6
MAX_NAMES = 10
INLINE_OPENERS = frozenset({"b", "strong", "em", "i", "span"})
SKIP_TAGS = frozenset({"script", "style", "noscript", "svg", "template", "select", "option"})

_BYLINE_ATTR = re.compile(r"author|byline|autor|auteur|verfasser|writer|reporter", re.I)
# Parts of a byline block that are not the name: avatar, bio, role, date, share links.
_NOT_NAME_ATTR = re.compile(
    r"(?<![a-z])(?:comments?|avatar|image|img|photo|picture|bio|about|desc|description|title|"
    r"role|job|date|time|social|share|follow|twitter|facebook|e?mail|related|teaser|count|"
    r"more)(?![a-z])", re.I)
# Addresses of an author's page: /author/jane-doe, /autoren/, /profile/, /people/...
_PROFILE_HREF = re.compile(
    r"/(?:authors?|autor(?:en|in)?|auteurs?|autore|profiles?|people|person|staff|team|"
    r"journalists?|writers?|contributors?|redaktion|mitarbeiter|members?|bio|u|user)/",
    re.IGNORECASE)
_AUTHOR_LABEL = re.compile(
    r"(?:^|\s)(?:autor(?:in)?|author|text|texte|texto|auteur|autore|verfasser|by|von|par|por|"
    r"interview)"
    r"\s*:\s*(?=\S)", re.IGNORECASE)
_NEXT_LABEL = re.compile(r"(?:^|\s)[^\s:]+:(?:\s|$)")
_FURNITURE_ATTR = re.compile(
    r"(?<![a-z])(?:nav|menu|sidebar|related|teaser|widget|comments?|recommend\w*|popular|"
    r"newsletter|cards?|footer|promo)(?![a-z])", re.I)
_COMMENTS_ATTR = re.compile(r"comment|reply|respond|forum", re.I)
_MODIFIED_ATTR = re.compile(r"modif|updat|edited|aktualisiert", re.I)
# "By" in AFP's languages and their neighbours, as a line printing the byline opens.
_BY_LINE = re.compile(
    r"^(?:(?:written|posted|reported|published|text|texte|story|words)\s+)?"
    r"(?:by|par|von|por|de|di|da|door|av|af|przez|text|texte|texto|autor|autorin|auteur|"
    r"author|verfasst\s+von|بقلم|كتب|إعداد)\s*[:：\-–]?\s+(?=\S)",
    re.IGNORECASE,
)
# WordPress's link to an author's archive, "View all posts by Jane Doe" in its languages.
_ALL_POSTS = re.compile(
    r"^(?:view|see|show|zeige|voir|ver|vedi|mostra)\b.{0,25}?\b(?:posts|articles|beiträge|"
    r"artikel|entradas|publicaciones|articoli)\s+(?:by|von|de|par|di|del)\s+(?=\S)", re.I)
# In metadata only the unambiguous English "By" is taken off ("De Vries" is a name).
_BY_META = re.compile(r"^(?:(?:written|posted)\s+)?by\s*:?\s+(?=\S)", re.IGNORECASE)
_NAME_SEPARATORS = re.compile(
    r"\s*(?:[,;|/•·]|\s[-–—]\s|\s(?:and|und|et|y|e|&|og|och|en|ve|و)\s)\s*", re.IGNORECASE)
_DOMAIN = re.compile(r"\(?\b(?:www\.)?[\w-]+\.(?:com|de|fr|org|net|co|uk|es|it|at|ch)\b\)?",
                     re.I)
_ROLE_WORDS = frozenset((
    "staff", "writer", "reporter", "editor", "correspondent", "contributor", "columnist",
    "journalist", "technologist", "senior", "chief", "desk", "team", "redaktion", "redakteur",
    "redakteurin", "korrespondent", "korrespondentin", "autor", "autorin", "rédaction",
    "rédacteur", "rédactrice", "envoyé", "envoyée", "spécial", "spéciale", "journaliste",
    "redacción", "redactor", "redactora", "corresponsal", "redação", "repórter", "redazione",
    "giornalista", "news", "agency", "agencies", "equipo", "équipe",
))
_JUNK_WORDS = frozenset(("bio", "profile", "admin", "administrator", "webmaster",
                         "uncategorized", "reading", "unknown", "interview"))
_PARTICLES = frozenset(("van", "von", "der", "den", "de", "da", "di", "du", "del", "della",
                        "la", "le", "dos", "das", "do", "ten", "ter", "bin", "al", "el", "y"))
# Words a byline line puts after the name: "Jane Doe Published on", "Jane Doe | Updated".
_TRAILING_WORDS = frozenset(("published", "updated", "posted", "on", "at", "am", "le", "el",
                             "il", "em", "op", "veröffentlicht", "aktualisiert", "publié",
                             "mis", "publicado", "actualizado", "atualizado", "pubblicato",
                             "last", "●", "•", "·", "|", "-", "—", "–", "stand", "datum",
                             "date", "publiziert", "follow", "folgen", "shares", "von", "de",
                             "autorenseite", "monday", "tuesday", "wednesday", "thursday",
                             "friday", "saturday", "sunday", "montag", "dienstag", "mittwoch",
                             "donnerstag", "freitag", "samstag", "sonntag", "lundi", "mardi",
                             "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "lunes",
                             "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"))
# Legal forms: a company or association, never a byline.
_LEGAL_FORM = re.compile(r"\b(?:gmbh|e\.\s?v|ag|inc|ltd|llc|gbr|mbh|kg|s\.a|srl|sarl|plc)\b\.?$",
                         re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
# A date printed before the names ("Dec 17, 2025 Jane Doe", "25.10.2022 - Jane Doe"), glued
# to them or not: the names are what follows it.
_LEADING_DATE = re.compile(
    rf"^(?:(?:{MONTH_WORDS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d|"
    rf"\d{{1,2}}\.?\s+(?:{MONTH_WORDS})\.?,?\s+(?:19|20)\d\d|"
    r"\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d|(?:19|20)\d\d-\d\d-\d\d)(?!\d)[\s,|•·–—-]*",
    re.IGNORECASE)
# Where the names end: a date ("March 11, 2015", "11. März", "Nov 2023") or another credit.
_TAIL = re.compile(
    rf"\b(?:{MONTH_WORDS})\b\.?,?\s*\d|\b\d{{1,2}}\.?\s+(?:{MONTH_WORDS})\b|"
    r"\b(?:edited|photos?|photography|fotos?|illustrations?|video|translated|reviewed|"
    r"fact[- ]checked|additional\s+reporting)\s+(?:by|von|par|por)\b", re.IGNORECASE)


def _is_by_label(text: str) -> bool:
    """Whether a text is only the word(s) introducing a byline: "By", "Written by"."""
    by = _BY_LINE.match(text + " x")
    return by is not None and by.end() == len(text) + 1


def name_key(name: str) -> str:
    """A name as compared with the site's names: lower-cased letters and digits only."""
    return re.sub(r"[\W_]+", "", name.lower())


def _content(el: etree._Element) -> str:
    """An element's text, its parts spaced: a name and a date glued by markup come apart."""
    return " ".join(" ".join(el.itertext()).split())


def _attrs(el: etree._Element) -> str:
    return " ".join(el.get(a) or "" for a in ("class", "id", "rel", "itemprop"))


def _capitalised(word: str) -> bool:
    return word[0].isupper() or (word[0].isalpha() and not word[0].isascii()
                                 and word[0].lower() == word[0].upper())


def _name_like(name: str) -> bool:
    """A printed name: a few capitalised words (particles aside), no digits, no month."""
    words = name.split()
    return (0 < len(words) <= MAX_NAME_WORDS and len(name) <= MAX_NAME_CHARS
            and not any(c.isdigit() or c in "@:" for c in name)
            and all(_capitalised(w) or w.lower() in _PARTICLES for w in words)
            and _capitalised(words[0]) and words[0].lower().strip(".") not in MONTHS
            and max(len(w) for w in words) > 2)


def _name_part(part: str) -> str:
    """One name out of a byline piece: cut at a digit, trailing labels dropped."""
    words = re.split(r"\d", part, maxsplit=1)[0].strip(" .,:;-–—()[]'\"").split()
    while words and words[-1].lower().strip(".,:") in _TRAILING_WORDS:
        words.pop()
    return " ".join(words).strip(" .,:;-–—()[]'\"")


@dataclass(slots=True)
class Byline:
    """Names from one step of the lookup; ``weak`` when they are only the site's own name,
    a role ("Redaktion", "Staff") or lone words, which a later step may better."""

    names: list[str]
    weak: bool = False
    stand_in: bool = False  # the site's name or a role, not a person's lone word


def clean_names(found: list[str], sites: set[str], *, printed: bool = False) -> Byline:
    """Byline texts -> the names in them, less "By", dates, roles and the site's own names.

    ``printed`` texts come from the page's visible text, where a name must look like one.
    A role or the site's name is kept, as weak, only when no name is there.
    """
    names: list[str] = []
    stand_ins: list[str] = []
    for text in found:
        text = _HANDLE.sub(" ", _DOMAIN.sub(" ", " ".join(text.split())))
        text = _TAIL.split(_LEADING_DATE.sub("", text), maxsplit=1)[0]
        if text.lower().startswith(("no author", "kein autor", "sans auteur")):
            continue
        text = _ALL_POSTS.sub("", text).rstrip(" →»")
        while (by := (_BY_LINE if printed else _BY_META).match(text)) is not None:
            text = text[by.end():]
        if printed and (label := _AUTHOR_LABEL.search(text)) is not None:
            text = text[label.end():]
        text = _NEXT_LABEL.split(text, maxsplit=1)[0]  # "Jane Doe Quelle: Agency"
        for part in _NAME_SEPARATORS.split(text):
            name = _name_part(part)
            words = {w.lower().strip(".,") for w in name.split()}
            if (not name or words & _JUNK_WORDS or "://" in name or _is_by_label(name)
                    or _LEGAL_FORM.search(name)):
                continue
            if (printed or len(name) > MAX_NAME_CHARS) and not (
                    _name_like(name) or name.lower() in AGENCIES):
                continue
            kept = stand_ins if words & _ROLE_WORDS or name_key(name) in sites else names
            if name_key(name) not in {name_key(n) for n in kept}:
                kept.append(name)
    if names:
        # Lone words, one or a list of them ("CSP, International, Solar": tags), are weak
        # where the script writes names in several words (one Korean word is a full name).
        return Byline(names[:MAX_NAMES], weak=all(
            " " not in name and name[0].lower() != name[0].upper() for name in names))
    return Byline(stand_ins[:1], weak=True, stand_in=True)


def _short_text(el: etree._Element, limit: int) -> str:
    """An element's text (as ``_content``), or "" once it is longer than ``limit``: the
    header's big wrappers are not read whole."""
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece)
        if size > 3 * limit and len(" ".join(" ".join(parts).split())) > limit:
            return ""
    text = " ".join(" ".join(parts).split())
    return text if len(text) <= limit else ""


def _short_lines(elements: list[etree._Element], *, stop_at_body: bool) -> list[
        tuple[etree._Element, str]]:
    """Short elements (outermost first) with their text, until a paragraph of the body."""
    lines: list[tuple[etree._Element, str]] = []
    for el in elements:
        if not isinstance(el.tag, str) or el.tag in SKIP_TAGS:
            continue
        if stop_at_body and el.tag == "p" and not _short_text(el, BODY_CHARS):
            if (opening := _opening_inline(el)) is not None:  # "<p><b>By Jane Doe</b> ..."
                lines.append(opening)
            break
        text = _short_text(el, MAX_LINE_CHARS)
        if text or el.tag in ("time", "abbr"):
            lines.append((el, text))
    return lines


def _opening_inline(paragraph: etree._Element) -> tuple[etree._Element, str] | None:
    """The bold or emphasised words opening a paragraph, where a byline is often printed
    as the body's first words."""
    first = next(iter(paragraph), None)
    if first is None or (paragraph.text or "").strip() or first.tag not in INLINE_OPENERS:
        return None
    text = _short_text(first, MAX_LINE_CHARS)
    return (first, text) if text else None


def _marked(root: etree._Element) -> Iterator[etree._Element]:
    """Elements whose class, id, rel or itemprop marks them as a byline, in page order
    (attributes read one by one: most elements have none, and this runs on whole pages)."""
    for el in root.iter():
        get = el.get
        klass, ident = get("class"), get("id")
        if (klass and _BYLINE_ATTR.search(klass)) or (ident and _BYLINE_ATTR.search(ident)) or (
                "author" in (get("rel") or "") or "author" in (get("itemprop") or "")):
            yield el


def _marked_names(el: etree._Element, text: str, sites: set[str]) -> Byline:
    """Names in an element marked as the byline: its microdata names, else its links to
    author pages (taken as they are: "jdoe" is a name there), else its text."""
    attrs = _attrs(el)
    if not text or len(text) > MAX_LINE_CHARS or not _BYLINE_ATTR.search(attrs) or (
            _NOT_NAME_ATTR.search(attrs)):
        return Byline([])
    links = [a for a in el.iter("a") if _content(a)]
    named = [_content(n) for n in el.iter() if "name" in (n.get("itemprop") or "").split()] or [
        _content(a) for a in links
        if _PROFILE_HREF.search(a.get("href") or "") or "author" in (a.get("rel") or "")]
    if named:
        return clean_names(named, sites)
    return clean_names([_content(a) for a in links] or [text], sites, printed=True)


def _labelled_names(text: str, sites: set[str]) -> Byline:
    """Names in a line opening with "By" or holding a label such as "Autor:"."""
    if _BY_LINE.match(text) or _AUTHOR_LABEL.search(text):
        return clean_names([text], sites, printed=True)
    return Byline([])


def _text_before(el: etree._Element) -> str:
    """The text its parent prints before an element ("Last updated" before a ``<time>``)."""
    parent = el.getparent()
    if parent is None:
        return ""
    parts = [parent.text or ""]
    for sibling in parent:
        if sibling is el:
            break
        parts.extend((_short_text(sibling, MAX_LINE_CHARS), sibling.tail or ""))
    return " ".join(" ".join(parts).split())


def _in_comments(el: etree._Element) -> bool:
    return any(_COMMENTS_ATTR.search(_attrs(a)) or "Comment" in (a.get("itemtype") or "")
               for a in el.iterancestors())


class Header:
    """The lines around the headline, read once and asked for bylines and dates."""

    def __init__(self, root: etree._Element, h1: etree._Element | None) -> None:
        self.root = root
        self.h1 = h1
        self.day_first = not (root.get("lang") or "").lower().startswith("en-us")

    @cached_property
    def after(self) -> list[tuple[etree._Element, str]]:
        """The lines after the headline (or opening the article), until the body's prose."""
        if self.h1 is not None:
            elements = self.h1.xpath(f"following::*[position() <= {FOLLOWING_ELEMENTS}]")
        else:
            opening = self.root.xpath("(//article|//main)[1]")
            elements = opening[0].xpath(
                f"descendant::*[position() <= {FOLLOWING_ELEMENTS}]") if opening else []
        return _short_lines(elements, stop_at_body=True)

    @cached_property
    def before(self) -> list[tuple[etree._Element, str]]:
        """The lines just before the headline, nearest first."""
        if self.h1 is None:
            return []
        elements = self.h1.xpath(f"preceding::*[position() <= {PRECEDING_ELEMENTS}]")
        return _short_lines(elements, stop_at_body=False)[::-1]

    def _lines(self) -> list[tuple[etree._Element, str]]:
        return self.after + self.before

    def microdata_authors(self) -> list[str]:
        """``itemprop=author`` elements outside comments: their ``name``, else their text."""
        names: list[str] = []
        for el in self.root.xpath("//*[@itemprop][not(self::meta)]"):
            if "author" not in el.get("itemprop", "").split() or _in_comments(el):
                continue
            inner = [n for n in el.iter() if "name" in (n.get("itemprop") or "").split()]
            for holder in inner or [el]:
                value = holder.get("content") or _content(holder)
                if value and len(value) <= MAX_LINE_CHARS:
                    names.append(value)
        return names

    def byline_authors(self, sites: set[str]) -> Byline:
        """Names in the header's first element marked as the byline, else its first "By …"
        or "Autor:" line, else the page's first marked element outside page furniture.
        A weak find (a role, the site's name) is kept only if nothing better follows."""
        lines = [text for _el, text in self._lines() if text]
        labelled = (_labelled_names(f"{text} {lines[number + 1]}" if _is_by_label(text) and (
            number + 1 < len(lines)) else text, sites) for number, text in enumerate(lines))
        marked = (_marked_names(el, text, sites) for el, text in self._lines())
        elsewhere = (_marked_names(el, _content(el), sites) for el in _marked(self.root)
                     if not any(a.tag in ("nav", "aside") or _FURNITURE_ATTR.search(_attrs(a))
                                for a in el.iterancestors()))
        weak = Byline([])
        for found in chain(marked, labelled, elsewhere):
            if found.names and not found.weak:
                return found
            weak = weak if weak.names else found
        return weak

    def stamped_dates(self) -> tuple[datetime | None, datetime | None]:
        """Published and modified from microdata and ``<time>`` stamps in the header."""
        published: datetime | None = None
        modified: datetime | None = None
        stamps = [el for el in self.root.xpath(
            "//*[@itemprop='datePublished' or @itemprop='dateModified'][not(self::meta)]")
                  if not _in_comments(el)]
        stamps += [el for el, _ in self._lines() if el.tag in ("time", "abbr")]
        for el in stamps:
            date = machine_date(el.get("datetime") or el.get("content") or el.get("title")
                                or (_content(el) if el.tag == "time" else None))
            if date is None:
                continue
            if _MODIFIED_ATTR.search(_attrs(el)) or says_modified(_text_before(el)):
                modified = modified or date
            else:
                published = published or date
            if published:
                break
        return published, modified

    def written_dates(self) -> tuple[datetime | None, datetime | None]:
        """Published and modified dates written out in the header's lines (a line inside
        one already read is its part, not another date)."""
        modified: datetime | None = None
        dated: set[etree._Element] = set()
        for el, text in self._lines():
            date, is_modified = written_date(text, day_first=self.day_first)
            if date is None or any(a in dated for a in el.iterancestors()):
                continue
            dated.add(el)
            if not is_modified:
                return date, modified
            modified = modified or date
        return None, modified
