"""AFP bodies -> one sanitised XHTML fragment, whatever format carried them.

Every format reduces its body to a list of ``Block``s first (XHTML, NITF and bare
``<p>`` in XML; paragraph strings in API Core), so the AFP conventions are applied in
one place: ``- Subhead -`` paragraphs become ``<h2>``, desk sign-offs and empty
paragraphs go (sign-offs recorded for the audit), and the result is sanitised.

Sanitising covers every piece of markup that came from the input. A paragraph or
heading built here from plain printable text (escaped, no markup of the input's) is
already what the sanitiser would return, so it goes round it: most wire paragraphs are
such, and nh3's cost grows with the length of what it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html import escape

from lxml import etree

from ingest.clean.sanitise import sanitise_html
from ingest.model import collapse_space, ends_block, html_to_text, remember_text
from ingest.parsers.base import Stripped

# A desk sign-off is made of its shape, in any script: two or more groups of initials
# separated by "/" ("bur-dar-gl/fz", "hh/ph", "sst/jj/", "ففف/ح س/كام", "دمس-دلا/غ ر/كام"). A
# group is pieces joined by "-"; a piece is one run of at most four letters, or initials
# of one or two letters spelled out with single spaces ("ح س", "ا ف ب"). Words are longer,
# sentences carry punctuation or digits, and cased scripts write initials in lower case
# (checked apart: "TCP/IP" is not a sign-off): what a final sentence has and initials lack.
# Only ever ``fullmatch``ed, so the order of a piece's alternatives changes what it costs,
# not what it accepts: the plain run comes first, as in most sign-offs.
_LETTER = r"[^\W\d_]"
_PIECE = rf"(?:{_LETTER}{{1,4}}|{_LETTER}{{1,2}}(?: {_LETTER}{{1,2}}){{1,3}})"
_GROUP = rf"{_PIECE}(?:-{_PIECE})*"
_SIGNOFF = re.compile(rf"{_GROUP}(?:/{_GROUP}){{1,7}}/?")
# The sign-off at the end of the last paragraph ("... said the minister. bur-dar/fz"): it
# follows the end of a sentence, so a slash pair inside prose ("cash and/or") never is one.
_SENTENCE_END = re.compile(r"[.!?\u061f\u2026\"'\u00bb\u201d)\]]\s+")  # ؟ … » ” and the usual
_TAIL = 80  # the trailing sign-off lies within the last characters of the paragraph
_SUBHEAD = re.compile(r"^-\s*(?P<text>.*?\S)\s*-$")
_CONTAINERS = frozenset({"block", "div", "section", "article", "body", "body.content"})
_HEADINGS = frozenset({"hl1", "hl2", "h1", "h2", "h3", "h4", "h5", "h6"})
_PASS_THROUGH = frozenset({"ul", "ol", "blockquote", "table"})
_EMPHASIS = frozenset({"em", "strong", "b", "i"})  # in the sanitiser's BODY_TAGS
_PARAGRAPHS = ("text", "inline", "p")  # the kinds a sign-off can end
_SKIPPED = frozenset({"head", "body.head", "body.end", "hedline", "byline", "dateline"})


# One body block: (kind, html, text). ``kind`` is ``p``, ``h2``, ``raw`` (a list or quote
# kept whole), ``text`` (a paragraph whose ``html`` is ``escape()`` of printable text:
# no markup from the input) or ``inline`` (printable text with leaf emphasis, ``<em>``
# and the like without attributes: markup exactly as the sanitiser would return it);
# ``html`` is its inner markup and ``text`` its visible text, whitespace collapsed. A plain
# tuple: built once per paragraph, a NamedTuple's constructor (a Python-level call) cost
# more than the rest of the paragraph's handling.
Block = tuple[str, str, str]


def text_blocks(paragraphs: Iterable[str]) -> list[Block]:
    """Plain-text paragraphs (API Core ``news[]``) as blocks."""
    return [_plain(collapse_space(paragraph)) for paragraph in paragraphs]


def _plain(text: str) -> Block:
    """A paragraph of text: ``text`` kind if it is printable, else left to the sanitiser."""
    return ("text" if text.isprintable() else "p", _escape(text), text)


def _escape(text: str) -> str:
    """``html.escape(text, quote=False)``; most paragraphs have none of ``&<>``, and
    finding that out costs a fraction of the replacements' scans."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def xml_blocks(container: etree._Element) -> list[Block]:
    """The blocks of an XML body: NITF ``body.content``, an XHTML ``body``, or the element
    that directly holds ``<p>``s. Namespaces are dropped; tags the sanitiser does not
    know are dropped there, keeping their text."""
    body = next(container.iter("{*}body.content"), None)
    if body is None:
        body = next(container.iter("{*}body"), None)
    return list(_walk(container if body is None else body))


def render_body(blocks: list[Block]) -> tuple[str | None, list[Stripped]]:
    """(sanitised body or None if nothing is left, what was stripped).

    The body's text is gathered on the way (``remember_text``): a plain piece's text is
    its block's, a sanitised run's is read from what the sanitiser returned."""
    out: list[str] = []
    texts: list[str] = []  # each piece's text, as ``html_to_text`` of the body reads it
    markup: list[str] = []  # consecutive blocks carrying the input's markup: sanitised at once
    stripped: list[Stripped] = []
    known = True  # whether ``texts`` is still the body's text (see ``_sanitised``)
    for kind, html, text in _without_signoff(blocks, stripped):
        if not text:
            continue
        subhead = _SUBHEAD.match(text) if text[0] == "-" and kind != "raw" else None
        if kind == "h2" or subhead:
            text = subhead["text"] if subhead else text
            piece, plain = f"<h2>{escape(text, quote=False)}</h2>", text.isprintable()
        elif kind == "raw":
            piece, plain = html, False
        else:
            piece, plain = f"<p>{html}</p>", kind == "text" or kind == "inline"
        if not plain:
            markup.append(piece)
            continue
        if markup:
            known = _sanitised(markup, out, texts) and known
        out.append(piece)
        texts.append(text)
    if markup:
        _sanitised(markup, out, texts)
    body = "".join(out).strip()
    if not body:
        return None, stripped
    if known:
        remember_text(body, "\n\n".join(texts))
    return body, stripped


def _sanitised(markup: list[str], out: list[str], texts: list[str]) -> bool:
    """Sanitise the run of ``markup`` into ``out``, its text into ``texts``; whether text
    that follows starts a paragraph of its own (the run ends with a block's end tag), as
    the texts joined by blank lines assume."""
    clean = sanitise_html("".join(markup))
    markup.clear()
    out.append(clean)
    text = html_to_text(clean)
    if text:
        texts.append(text)
    return not clean or ends_block(clean)


def _without_signoff(blocks: list[Block], stripped: list[Stripped]) -> list[Block]:
    """``blocks`` without the desk's sign-off, which AFP puts last: the last paragraph
    with text, or the end of it. Only there: initials-shaped text elsewhere is copy."""
    last = len(blocks) - 1
    while last >= 0 and not blocks[last][2]:
        last -= 1
    if last < 0 or blocks[last][0] not in _PARAGRAPHS or "/" not in blocks[last][2][-_TAIL:]:
        return blocks  # the usual body: one slash test on the last paragraph
    kind, html, text = blocks[last]
    if _SIGNOFF.fullmatch(text) and text == text.lower():
        stripped.append(Stripped("signoff", text))
        return blocks[:last]
    tail = text[-_TAIL:]
    found = next(
        (end for end in _SENTENCE_END.finditer(tail) if _SIGNOFF.fullmatch(tail, end.end())),
        None,
    )
    if found is None or tail[found.end():] != tail[found.end():].lower():
        return blocks
    signoff = tail[found.end():]
    kept = text[: len(text) - len(tail) + found.start() + 1]
    if kind == "text":
        html = escape(kept, quote=False)
    else:  # the input's markup: cut it where its text ends with the sign-off
        marked = html.rstrip()
        if not marked.endswith(escape(signoff, quote=False)):
            return blocks
        html = marked[: -len(escape(signoff, quote=False))].rstrip()
    stripped.append(Stripped("signoff", signoff))
    return [*blocks[:last], (kind, html, kept)]


def _localname(tag: str) -> str:
    """``{ns}p`` -> ``p``, ``p`` -> ``p`` (what ``etree.QName(tag).localname`` gives)."""
    return tag.rpartition("}")[2]


def _walk(parent: etree._Element) -> Iterator[Block]:
    if parent.text and not parent.text.isspace():
        yield _plain(collapse_space(parent.text))
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = tag.rpartition("}")[2]  # the local name, inlined: once per paragraph
        if name == "p" and not len(child):  # the usual paragraph: plain text, no markup
            own = child.text or ""
            html = _escape(own)
            if own.isprintable():  # one scan decides the kind and what collapse_space does
                yield ("text", html, own.strip(" ") if "  " not in own else " ".join(own.split()))
            else:  # a line break too goes to nh3
                yield ("p", html, " ".join(own.split()))
        elif name in _CONTAINERS:
            yield from _walk(child)
        elif name in _SKIPPED:
            continue
        elif name in _HEADINGS:
            text = collapse_space("".join(child.itertext()))
            yield ("h2", escape(text, quote=False), text)
        else:
            html, raw = _inner(child)
            text = collapse_space(raw)
            if name in _PASS_THROUGH:
                yield ("raw", f"<{name}>{html}</{name}>", text)
            elif name == "p" and raw.isprintable() and _emphasis_only(child):
                yield ("inline", html, text)
            else:  # ``p`` and anything else: a paragraph
                yield ("p", html, text)


def _emphasis_only(paragraph: etree._Element) -> bool:
    """Whether the only markup in ``paragraph`` is leaf emphasis without ``href`` (the one
    attribute ``_inner`` writes): ``_inner``'s markup of it, printable, is then what nh3
    returns (same tags, text escaped alike), so it need not go through nh3."""
    for child in paragraph:
        tag = child.tag
        if not isinstance(tag, str) or len(child) or _localname(tag) not in _EMPHASIS:
            return False
        if child.get("href") is not None:
            return False
    return True


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
