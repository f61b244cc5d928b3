"""Web article pages -> Article: metadata from the head, body from the best-scoring container.

The page is parsed with lxml.html. Furniture (scripts, navigation, hidden elements,
containers whose class or id the structure rules name, runs of teaser cards after the
article) is removed first and reported; class words label furniture, not prose, so a text
block is never removed for its class alone, and a named element spared for its prose goes
only when, inside the chosen container, it is a minor box. The rest is cut into blocks
(``html_blocks``), the article container chosen (``html_container``), and its blocks
filtered (``html_filter``) by evidence that holds in any language: link density, position
(labels and tails at the body's edges) and repetition on the page, before
``text.assemble``.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator

from lxml import etree

from ingest.clean.boilerplate import audit, classify_attrs, rules
from ingest.errors import IngestError, Reason
from ingest.model import Picture
from ingest.parsers.base import ParseOutcome, Stripped
from ingest.parsers.html_blocks import HEADINGS, Unit, size, units
from ingest.parsers.html_container import article_units
from ingest.parsers.html_filter import OUTPUT_TAG, filter_blocks
from ingest.parsers.html_meta import _absolute, _content, _picture, _text, read_meta
from ingest.parsers.text import Block, assemble, decode

# Blocks of text: a class word on one of these labels its styling, never furniture.
TEXT_BLOCKS = frozenset({"p", "li", "blockquote", "pre", "dd", "dt", "td", "th", *HEADINGS})
MAX_FURNITURE_SHARE = 0.3
MAX_CONTROL_CHARS = 200
# A furniture tag (header, nav...) with this many paragraphs of this length is kept: the
# page left it unclosed around the article; an element named furniture only by its class
# is kept with one such paragraph (a "paywall" section around the visible article).
# Comments are removed regardless.
PROSE_CHARS = 150
PROSE_PARAGRAPHS = 3
PROSE_LINK_DENSITY = 0.35
ALWAYS_FURNITURE = frozenset({"", "comments_prompt"})
# Inside the container, a named element spared for its prose goes when it holds less
# than this share of the container's text.
MAX_NAMED_SHARE = 0.25
# Kinds whose class words (teaser, promo, banner) also name wrappers of article prose.
WRAPPER_KINDS = frozenset({"related_links", "advertisement"})
# Hidden elements go unless they hold most of the page (some pages reveal the article by script).
MAX_HIDDEN_SHARE = 0.6
# Teasers: at least this many sibling cards alike in tag and class, each short, with a
# picture, heading or date, and a link opening its text (within this share) or wrapping a
# picture. They go when the prose before them outweighs them and little prose follows.
MIN_TEASERS = 3
MAX_TEASER_CHARS = 600
TEASER_LEAD_SHARE = 0.3
TEASER_MARKS = ("img", "picture", "time", "h2", "h3", "h4", "h5", "h6")
TEASER_PROSE_CHARS = 80
MAX_PROSE_AFTER_TEASERS = 0.05

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{2,40})""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# "&#1;", "&#x1f;", "&#xFFFE;": lxml turns these references into what _CONTROL removes; they
# become a space, which cannot join what surrounds them into a new reference ("&#&#1;1;")
_CONTROL_REF = re.compile(
    r"&#(?:0*(?:[0-8]|1[124-9]|2\d|3[01]|6553[45])(?!\d)"
    r"|[xX]0*(?:[0-8bBcCeEfF]|1[\da-fA-F]|[fF]{3}[eEfF])(?![\da-fA-F]));?"
)
_DIGITS = re.compile(r"\d+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# An element a class word names furniture, with the kind it names.
Named = tuple[etree._Element, str]


class HTMLPageParser:
    """A web page holding one article."""

    name = "html"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        root = load(raw)
        meta = read_meta(root)
        blocks, pictures, stripped = extract(root, meta.canonical_url)
        meta.pictures = pictures or meta.pictures
        meta.stripped = stripped
        yield assemble(blocks, meta, source=source)


def load(raw: bytes) -> etree._Element:
    """Bytes -> lxml root, honouring a declared charset, else detecting one."""
    if not raw.strip():
        raise IngestError(Reason.EMPTY, "empty page")
    declared = _META_CHARSET.search(raw[:4096])
    text = decode(raw, declared.group(1).decode("ascii") if declared else None)
    text = _CONTROL_REF.sub(" ", _CONTROL.sub("", _XML_DECL.sub("", text, count=1)))
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(Reason.MALFORMED_HTML, str(exc)) from exc
    if root is None:
        raise IngestError(Reason.MALFORMED_HTML, "no document in the page")
    return root


def _remove(el: etree._Element) -> None:
    """Take an element out of the tree, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _strip_furniture(body: etree._Element) -> tuple[list[Stripped], list[Named]]:
    """Remove hidden elements and those the structure rules name, reporting their text.

    A class or id word is weak evidence: it never removes a text block, nor an element
    holding a paragraph of prose. A ``<header>`` holding the headline is the article's
    own (headline, standfirst), not the page's. Named elements spared for their prose are
    returned with their kind: once the container is known, those holding a minor share
    of it go (``_drop_named``).
    """
    compiled = rules()
    etree.strip_elements(body, *compiled.drop_tags, with_tail=False)
    for control in list(body.iter(*compiled.control_tags)):
        if len(_content(control)) > MAX_CONTROL_CHARS:
            control.tag = "span"
        else:
            _remove(control)
    total = max(len(_text(_content(body))), 1)
    found: list[tuple[etree._Element, str, int]] = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("hidden") is not None or el.get("aria-hidden") == "true" or (
            _HIDDEN_STYLE.search(el.get("style", ""))
        ):
            found.append((el, "", PROSE_PARAGRAPHS))
            continue
        kind = compiled.furniture_tags.get(el.tag)
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
        by_class = None
        if attrs and el.tag not in ("body", "html", "main") and el.tag not in TEXT_BLOCKS:
            by_class = classify_attrs(attrs)
        if by_class:
            found.append((el, by_class, 1))
        elif kind and not (el.tag == "header" and el.find(".//h1") is not None):
            found.append((el, kind, PROSE_PARAGRAPHS))
    report: list[Stripped] = []
    removed: set[etree._Element] = set()
    spared: list[Named] = []
    for el, kind, prose_paragraphs in found:
        if any(a in removed for a in el.iterancestors()):
            continue
        text = _text(_content(el))
        share = MAX_HIDDEN_SHARE if kind == "" else MAX_FURNITURE_SHARE
        if len(text) > share * total or (
                kind not in ALWAYS_FURNITURE and _prose(el, prose_paragraphs)):
            if prose_paragraphs == 1 and kind not in WRAPPER_KINDS:
                spared.append((el, kind))
            continue
        removed.add(el)
        if kind and text:
            report.append(audit(kind, text))
        _remove(el)
    return report + _strip_teasers(body), spared


def _story_before(units: list[Unit]) -> bool:
    """Whether these blocks hold a story: so many paragraphs of prose with few links."""
    return sum(size(u.text) >= PROSE_CHARS and u.links < PROSE_LINK_DENSITY * len(u.text)
               for u in units) >= PROSE_PARAGRAPHS


def _drop_named(inside: list[Unit], spared: list[Named],
                stripped: list[Stripped]) -> list[Unit]:
    """The container's blocks less those of spared named elements holding a minor share.

    A class word named the element furniture, its prose spared it; inside the article
    container, one holding less than ``MAX_NAMED_SHARE`` of the container's text is a box
    in the story (a consent notice, a sign-up form), not the story's wrapper. Comments,
    spared only for their length, go once a story comes before them.
    """
    total = sum(size(u.text) for u in inside)
    at: dict[etree._Element, list[int]] = {}
    for i, unit in enumerate(inside):
        at.setdefault(unit.element, []).append(i)
    drop: set[int] = set()
    for el, kind in spared:
        members = [i for sub in el.iter() for i in at.get(sub, ()) if i not in drop]
        held = sum(size(inside[i].text) for i in members)
        if members and (held < MAX_NAMED_SHARE * total or (
                kind in ALWAYS_FURNITURE and _story_before(inside[:min(members)]))):
            drop.update(members)
            stripped.append(audit(kind, " ".join(inside[i].text for i in sorted(members))))
    return [u for i, u in enumerate(inside) if i not in drop]


def _is_teaser(el: etree._Element) -> bool:
    """A card pointing to another page: short text led by a link, with a picture, heading or date.

    The link wraps a picture or opens the card's text; one deep in an answer or a product
    description does not make a teaser.
    """
    text = _text(_content(el))
    if not 0 < len(text) <= MAX_TEASER_CHARS or next(el.iter(*TEASER_MARKS), None) is None:
        return False
    for link in el.iter("a"):
        if link.get("href", "#").startswith("#"):
            continue
        label = _text(_content(link))
        if next(link.iter("img", "picture"), None) is not None or (
                label and text.find(label) <= TEASER_LEAD_SHARE * len(text)):
            return True
    return False


def _strip_teasers(body: etree._Element) -> list[Stripped]:
    """Remove runs of sibling teaser cards that follow the article's prose, reporting them.

    Cards followed by more prose are the article itself (a listicle, a guide's chapters).
    """
    groups: dict[tuple[etree._Element, str, str], list[etree._Element]] = {}
    for el in body.iter("div", "article", "li", "section"):
        parent = el.getparent()
        if parent is not None:
            signature = _DIGITS.sub("", el.get("class", ""))
            groups.setdefault((parent, str(el.tag), signature), []).append(el)
    found = [m for m in groups.values()
             if len(m) >= MIN_TEASERS and all(_is_teaser(el) for el in m)]
    if not found:
        return []
    inside = {el for members in found for m in members for el in m.iter("p")}
    order = {el: i for i, el in enumerate(body.iter())}
    prose = [(order[p], length) for p in body.iter("p")
             if p not in inside and (length := len(_text(_content(p)))) >= TEASER_PROSE_CHARS]
    total = sum(length for _, length in prose)
    report: list[Stripped] = []
    for members in found:
        start = order[members[0]]
        before = sum(length for at, length in prose if at < start)
        text = " / ".join(_text(_content(m)) for m in members)
        if before < len(text) or total - before > MAX_PROSE_AFTER_TEASERS * total:
            continue
        report.append(audit("related_links", text))
        for member in members:
            _remove(member)
    return report


def _prose(el: etree._Element, paragraphs: int) -> bool:
    """Whether an element holds article prose: so many long paragraphs with few links."""
    count = 0
    for paragraph in el.iter("p"):
        text = _text(_content(paragraph))
        links = sum(len(_content(a)) for a in paragraph.iter("a"))
        if size(text) >= PROSE_CHARS and links < PROSE_LINK_DENSITY * len(text):
            count += 1
            if count >= paragraphs:
                return True
    return False



def _inner_html(el: etree._Element) -> str:
    parts = [htmllib.escape(el.text or "", quote=False)]
    parts.extend(etree.tostring(child, method="html", encoding="unicode", with_tail=True)
                 for child in el if isinstance(child.tag, str))
    return "".join(parts)


def _lead_picture(container: etree._Element, base: str | None) -> list[Picture]:
    """The first image in the article container, with its caption and credit."""
    for figure in container.iter("figure", "img"):
        img = figure if figure.tag == "img" else next(figure.iter("img"), None)
        if img is None:
            continue
        href = _absolute(base, img.get("src") or img.get("data-src"))
        if href is None or img.get("width") in ("0", "1"):
            continue
        caption_el = next(figure.iter("figcaption"), None) if figure.tag == "figure" else None
        caption = _text(_content(caption_el)) if caption_el is not None else img.get("alt")
        credit_el = next((e for e in (caption_el.iter() if caption_el is not None else [])
                          if classify_credit_attr(e)), None)
        credit = _text(_content(credit_el)) if credit_el is not None else None
        if caption and credit:
            caption = caption.replace(credit, "").strip()
        return [_picture(href, caption, credit)]
    return []


def classify_credit_attr(el: etree._Element) -> bool:
    """Whether an element inside a caption is marked up as the credit."""
    attrs = f"{el.get('class', '')} {el.get('itemprop', '')}".lower()
    return any(word in attrs for word in ("credit", "copyright", "author", "source"))


def _common_ancestor(elements: list[etree._Element]) -> etree._Element:
    """The deepest element holding all of ``elements``."""
    common = [elements[0], *elements[0].iterancestors()]
    for el in elements[1:]:
        lineage = {el, *el.iterancestors()}
        while common[0] not in lineage:
            common.pop(0)
    return common[0]


def extract(
    root: etree._Element, base: str | None
) -> tuple[list[Block], list[Picture], list[Stripped]]:
    """Body blocks, lead picture and the audit of removed furniture, from a parsed page."""
    body = root.find("body")
    if body is None or not len(body):
        body = root
    stripped, spared = _strip_furniture(body)
    page = units(body)
    if not page:
        raise IngestError(Reason.MISSING_BODY, "page has no text")
    inside = _drop_named(article_units(page, body), spared, stripped)
    container = _common_ancestor([u.element for u in inside]) if inside else body
    blocks = [Block(OUTPUT_TAG.get(u.tag, "p"), u.text, _inner_html(u.element) if u.whole else None)
              for u in filter_blocks(inside, page, stripped)]
    return blocks, _lead_picture(container, base), stripped
