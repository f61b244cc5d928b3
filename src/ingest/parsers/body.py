"""AFP bodies -> one sanitised XHTML fragment, whatever format carried them.

Every format reduces its body to a list of ``Block``s first (XHTML, NITF and bare
``<p>`` in XML; paragraph strings in API Core), so the AFP conventions are applied in
one place: ``- Subhead -`` paragraphs become ``<h2>``, desk sign-offs and empty
paragraphs go (sign-offs recorded for the audit), and the result is sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape

from lxml import etree

from ingest.clean.sanitise import sanitise_html
from ingest.parsers.base import Stripped

# "bur-dar-gl/fz", "hh/ph", "sst/jj/", "mm-ach/lb": desk initials with at least one slash.
_SIGNOFF = re.compile(r"^[a-z]{1,8}(?:[-/][a-z]{1,8})*/[a-z]{1,8}(?:[-/][a-z]{1,8})*/?$")
_SUBHEAD = re.compile(r"^-\s*(?P<text>.*?\S)\s*-$")
_WS = re.compile(r"\s+")
_CONTAINERS = frozenset({"block", "div", "section", "article", "body", "body.content"})
_HEADINGS = frozenset({"hl1", "hl2", "h1", "h2", "h3", "h4", "h5", "h6"})
_PASS_THROUGH = frozenset({"ul", "ol", "blockquote", "table"})


@dataclass(slots=True, frozen=True)
class Block:
    """One body block: ``kind`` is ``p``, ``h2`` or ``raw`` (a list or quote kept whole);
    ``html`` is its inner markup and ``text`` its visible text, whitespace collapsed."""

    kind: str
    html: str
    text: str


def text_blocks(paragraphs: Iterable[str]) -> list[Block]:
    """Plain-text paragraphs (API Core ``news[]``) as blocks."""
    blocks = []
    for paragraph in paragraphs:
        text = _WS.sub(" ", paragraph).strip()
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
        if _SIGNOFF.match(block.text):
            stripped.append(Stripped("signoff", block.text))
            continue
        subhead = _SUBHEAD.match(block.text)
        if block.kind == "h2" or (block.kind == "p" and subhead):
            title = subhead["text"] if subhead else block.text
            parts.append(f"<h2>{escape(title, quote=False)}</h2>")
        elif block.kind == "p":
            parts.append(f"<p>{block.html}</p>")
        else:
            parts.append(block.html)
    html = sanitise_html("".join(parts)).strip()
    return (html or None), stripped


def _walk(parent: etree._Element) -> Iterator[Block]:
    if parent.text and parent.text.strip():
        text = _WS.sub(" ", parent.text).strip()
        yield Block("p", escape(text, quote=False), text)
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        text = _WS.sub(" ", "".join(child.itertext())).strip()
        if name in _CONTAINERS:
            yield from _walk(child)
        elif name in _HEADINGS:
            yield Block("h2", escape(text, quote=False), text)
        elif name in _PASS_THROUGH:
            yield Block("raw", f"<{name}>{_inner(child)}</{name}>", text)
        elif name == "p":
            yield Block("p", _inner(child), text)
        elif name in {"head", "body.head", "body.end", "hedline", "byline", "dateline"}:
            continue
        else:
            yield Block("p", _inner(child), text)


def _inner(element: etree._Element) -> str:
    """Inner markup with namespaces dropped; only ``href`` survives as an attribute."""
    parts = [escape(element.text or "", quote=False)]
    for child in element:
        if isinstance(child.tag, str):
            name = etree.QName(child).localname
            if name == "br":
                parts.append("<br>")
            else:
                href = child.get("href")
                attrs = f' href="{escape(href)}"' if href else ""
                parts.append(f"<{name}{attrs}>{_inner(child)}</{name}>")
        parts.append(escape(child.tail or "", quote=False))
    return "".join(parts)

