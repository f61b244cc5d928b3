"""Cutting a page into text blocks, and measures of them that hold in every script.

A block (``Unit``) is a leaf block element or a run of inline text; it carries how much of
its text is link text (all of it inside a link: a teaser card wrapped in one ``<a>``).
Captions leave here, whatever their markup. Sizes and sentence ends are Unicode-aware: a
Chinese or Japanese sentence has no spaces, ends with ``。``, and says in ten characters
what English says in thirty.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lxml import etree

from ingest.parsers.html_meta import _content, _text

# Tags that start a new block of text; everything else is inline.
BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "td",
    "th", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "figure", "figcaption", "form",
    "fieldset", "details", "summary", "center", "address", "nav", "body", "hr", "br",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CELLS = frozenset({"td", "th"})
MAX_DEPTH = 200
# An element whose class, id or itemprop names a caption or credit, up to this length, is
# a caption (longer, and the word labels a wrapper around prose).
CAPTION_WORDS = ("caption", "credit", "legend")
MAX_CAPTION_CHARS = 400
# Characters of scripts written without spaces count as this many Latin characters.
WIDE_WEIGHT = 3
_WIDE = re.compile("[\u1100-\u11ff\u2e80-\u2fff\u3040-\u30ff\u3100-\u9fff\uac00-\ud7af"
                   "\uf900-\ufaff\uff66-\uff9f]")
_WORDS = re.compile(r"[^\W\d_]+|\d+")
# Closing punctuation after which a line reads as finished (categories of its last char).
_ENDING_CATEGORIES = frozenset({"Po", "Pf", "Pe"})
_NOT_ENDINGS = frozenset(",;·•|/\\*#&%@")


@dataclass(slots=True)
class Unit:
    """A candidate block: the element it came from, its text and its link text length."""

    element: etree._Element
    tag: str
    text: str
    links: int
    whole: bool


def size(text: str) -> int:
    """Length of ``text`` in Latin-character equivalents (CJK, kana, hangul weigh more)."""
    return len(text) + (WIDE_WEIGHT - 1) * len(_WIDE.findall(text))


def word_count(text: str) -> int:
    """Words, where each character of a script written without spaces is one."""
    wide = len(_WIDE.findall(text))
    return wide + len(_WORDS.findall(_WIDE.sub(" ", text))) if wide else len(_WORDS.findall(text))


def ends_sentence(text: str) -> bool:
    """Whether the text ends like a sentence in any script (``.``, ``。``, ``؟``, ``।``, ``»``)."""
    last = text.rstrip()[-1:]
    return bool(last) and last not in _NOT_ENDINGS and (
        unicodedata.category(last) in _ENDING_CATEGORIES)


def is_caption(el: etree._Element) -> bool:
    """A caption or photo credit, in ``<figcaption>`` or in markup that says so."""
    if el.tag == "figcaption" or (el.tag == "figure" and el.find(".//table") is None):
        return True
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop")))).lower()
    return bool(attrs) and any(w in attrs for w in CAPTION_WORDS) and (
        len(_content(el)) <= MAX_CAPTION_CHARS)


def units(body: etree._Element) -> list[Unit]:
    """All text blocks of the page in order: leaf block elements and inline runs."""
    with_blocks: set[etree._Element] = set()
    for el in body.iter():
        if el.tag in BLOCK_TAGS:
            for ancestor in el.iterancestors():
                if ancestor in with_blocks:
                    break
                with_blocks.add(ancestor)
    found: list[Unit] = []

    def run(el: etree._Element, parts: list[str], links: int, in_link: bool) -> None:
        text = _text("".join(parts))
        if text:
            found.append(Unit(el, "p", text, len(text) if in_link else min(links, len(text)),
                              whole=False))

    def walk(el: etree._Element, depth: int, in_link: bool) -> None:
        if is_caption(el):
            return
        in_link = in_link or el.tag == "a"
        if el not in with_blocks or depth > MAX_DEPTH:
            text = _text(_content(el))
            if text:
                links = len(text) if in_link else sum(
                    len(_text(_content(a))) for a in el.iter("a"))
                found.append(Unit(el, str(el.tag), text, min(links, len(text)), whole=True))
            return
        parts = [el.text or ""]
        links = 0
        for child in el:
            if not isinstance(child.tag, str):
                parts.append(child.tail or "")
                continue
            if child.tag in BLOCK_TAGS or child in with_blocks:
                run(el, parts, links, in_link)
                walk(child, depth + 1, in_link)
                parts, links = [child.tail or ""], 0
            elif is_caption(child):
                parts.append(child.tail or "")
            else:
                content = _content(child)
                if child.tag == "a":
                    links += len(_text(content))
                parts.extend((" " if child.tag == "br" else "", content, child.tail or ""))
        run(el, parts, links, in_link)

    walk(body, 0, False)
    return found
