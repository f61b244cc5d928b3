"""AFP bodies -> one sanitised XHTML fragment, whatever format carried them.

Every format reduces its body to a list of ``Block``s first (XHTML, NITF and bare
``<p>`` in XML; paragraph strings in API Core), so the AFP conventions are applied in
one place: ``- Subhead -`` paragraphs become ``<h2>``, desk sign-offs and empty
paragraphs go (sign-offs recorded for the audit), and the result is sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html import escape
from typing import NamedTuple

from lxml import etree

from ingest.clean.sanitise import sanitise_html
from ingest.parsers.base import Stripped

# "bur-dar-gl/fz", "hh/ph", "sst/jj/", "mm-ach/lb": desk initials with at least one slash.
_SIGNOFF = re.compile(r"^[a-z]{1,8}(?:[-/][a-z]{1,8})*/[a-z]{1,8}(?:[-/][a-z]{1,8})*/?$")
_SUBHEAD = re.compile(r"^-\s*(?P<text>.*?\S)\s*-$")
_CONTAINERS = frozenset({"block", "div", "section", "article", "body", "body.content"})
_HEADINGS = frozenset({"hl1", "hl2", "h1", "h2", "h3", "h4", "h5", "h6"})
_PASS_THROUGH = frozenset({"ul", "ol", "blockquote", "table"})
_SKIPPED = frozenset({"head", "body.head", "body.end", "hedline", "byline", "dateline"})


class Block(NamedTuple):
    """One body block: ``kind`` is ``p``, ``h2`` or ``raw`` (a list or quote kept whole);
    ``html`` is its inner markup and ``text`` its visible text, whitespace collapsed.

    A NamedTuple rather than a frozen dataclass: as immutable, and several times cheaper
    to build, which counts at one per paragraph."""

    kind: str
    html: str
    text: str


def text_blocks(paragraphs: Iterable[str]) -> list[Block]:
    """Plain-text paragraphs (API Core ``news[]``) as blocks."""
    blocks = []
    for paragraph in paragraphs:
        text = _collapse(paragraph)
        blocks.append(Block("p", escape(text, quote=False), text))
    return blocks


def xml_blocks(container: etree._Element) -> list[Block]:
    """The blocks of an XML body: NITF ``body.content``, an XHTML ``body``, or the element
    that directly holds ``<p>``s. Namespaces are dropped; tags the sanitiser does not
    know are dropped there, keeping their text."""
    body = next(container.iter("{*}body.content"), None)
    if body is None:
        body = next(container.iter("{*}body"), None)
    return list(_walk(container if body is None else body))


def render_body(blocks: Iterable[Block]) -> tuple[str | None, list[Stripped]]:
    """(sanitised body or None if nothing is left, what was stripped)."""
    parts: list[str] = []
    stripped: list[Stripped] = []
    for block in blocks:
        if not block.text:
            continue
        # Both patterns need a character a prose paragraph rarely has: test that first.
        if "/" in block.text and _SIGNOFF.match(block.text):
            stripped.append(Stripped("signoff", block.text))
            continue
        subhead = _SUBHEAD.match(block.text) if block.text[0] == "-" else None
        if block.kind == "h2" or (block.kind == "p" and subhead):
            title = subhead["text"] if subhead else block.text
            parts.append(f"<h2>{escape(title, quote=False)}</h2>")
        elif block.kind == "p":
            parts.append(f"<p>{block.html}</p>")
        else:
            parts.append(block.html)
    html = sanitise_html("".join(parts)).strip()
    return (html or None), stripped


def _collapse(text: str) -> str:
    """Whitespace runs as one space, ends stripped: ``re.sub(r"\\s+", " ", text).strip()``
    (``str.split()`` splits on exactly the characters ``\\s`` matches)."""
    return " ".join(text.split())


def _localname(tag: str) -> str:
    """``{ns}p`` -> ``p``, ``p`` -> ``p`` (what ``etree.QName(tag).localname`` gives)."""
    return tag.rpartition("}")[2]


def _walk(parent: etree._Element) -> Iterator[Block]:
    if parent.text and not parent.text.isspace():
        text = _collapse(parent.text)
        yield Block("p", escape(text, quote=False), text)
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = tag.rpartition("}")[2]  # the local name, inlined: once per paragraph
        if name == "p" and not len(child):  # the usual paragraph: plain text, no markup
            own = child.text or ""
            yield Block("p", escape(own, quote=False), " ".join(own.split()))
        elif name in _CONTAINERS:
            yield from _walk(child)
        elif name in _SKIPPED:
            continue
        elif name in _HEADINGS:
            text = _collapse("".join(child.itertext()))
            yield Block("h2", escape(text, quote=False), text)
        else:
            html, raw = _inner(child)
            text = _collapse(raw)
            if name in _PASS_THROUGH:
                yield Block("raw", f"<{name}>{html}</{name}>", text)
            else:  # ``p`` and anything else: a paragraph
                yield Block("p", html, text)


def _inner(element: etree._Element) -> tuple[str, str]:
    """(inner markup with namespaces dropped and only ``href`` kept as an attribute, its
    text as ``"".join(element.itertext())`` gives it), built in one walk."""
    own = element.text or ""
    if not len(element):  # a leaf, as most paragraphs are
        return escape(own, quote=False), own
    parts = [escape(own, quote=False)]
    texts = [own]
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            name = _localname(tag)
            if name == "br":
                parts.append("<br>")
                texts.append("".join(child.itertext()))
            else:
                href = child.get("href")
                attrs = f' href="{escape(href)}"' if href else ""
                html, text = _inner(child)
                parts.append(f"<{name}{attrs}>{html}</{name}>")
                texts.append(text)
        tail = child.tail or ""
        parts.append(escape(tail, quote=False))
        texts.append(tail)
    return "".join(parts), "".join(texts)
