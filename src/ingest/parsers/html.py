"""Web article pages -> Article: metadata from the head, body from the best-scoring container.

The page is parsed with lxml.html. Furniture (scripts, navigation, elements whose class or
id the structure rules name, runs of teaser cards after the article) is removed first and
reported; the remaining text is cut into blocks (paragraphs, headings, list items, table
cells) and every block's length, weighted by how much of it is link text, is credited to
its ancestors. The ancestor with the highest total, narrowed to a child that holds most of
it, is the article container; its blocks go to ``text.assemble`` like any page's.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ingest.clean import credits
from ingest.clean.boilerplate import audit, classify_attrs, classify_text, rules
from ingest.errors import IngestError, Reason
from ingest.model import Picture, Rendition
from ingest.parsers.base import ParseOutcome, Stripped
from ingest.parsers.text import Block, PageMeta, assemble, decode, normalised

# Tags that start a new block of text; everything else is inline.
BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "td",
    "th", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "figure", "figcaption", "form",
    "fieldset", "details", "summary", "center", "address", "nav", "body", "hr", "br",
})
OUTPUT_TAG = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h4", "h6": "h4",
              "li": "li", "blockquote": "blockquote"}
CELLS = frozenset({"td", "th"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Scoring thresholds (see module docstring).
MIN_PARAGRAPH_CHARS = 40
MAX_LINK_DENSITY = 0.35
JUNK_WEIGHT = 0.6
CELL_WEIGHT = 0.5
SHORT_WEIGHT = 0.2
MAX_STUB_WORDS = 3
PARAGRAPH_COST = 25
FURNITURE_WEIGHT = 0.3
FURNITURE = frozenset({"header", "footer", "nav", "aside"})
KEEP_LINK_DENSITY = 0.5
MAX_FURNITURE_SHARE = 0.3
# The container narrows to a child holding this share of its score (a footer's prose left out).
DOMINANT_SHARE = 0.8
MAX_DEPTH = 200
MAX_CONTROL_CHARS = 200
# A furniture-marked element with this many paragraphs of this length is kept: the page
# left a header or nav unclosed around the article. Comments are removed regardless.
PROSE_CHARS = 150
PROSE_PARAGRAPHS = 3
ALWAYS_FURNITURE = frozenset({"", "comments_prompt"})
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

SENTENCE_ENDS = (".", "!", "?", ":", '"', "”", "»", ")")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{2,40})""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$")
_TITLE_SPLIT = re.compile(r"\s+[|–—·»:-]\s+")
_DIGITS = re.compile(r"\d+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass(slots=True)
class _Unit:
    """A candidate block: the element it came from, its text and its link text length."""

    element: etree._Element
    tag: str
    text: str
    links: int
    whole: bool


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
    text = _CONTROL.sub("", _XML_DECL.sub("", text, count=1))
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = etree.fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(Reason.MALFORMED_HTML, str(exc)) from exc
    if root is None:
        raise IngestError(Reason.MALFORMED_HTML, "no document in the page")
    return root


def _content(el: etree._Element) -> str:
    """All text inside an element (plain lxml elements have no ``text_content``)."""
    return "".join(el.itertext())


def _text(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _title(value: Any) -> str:
    """A title from metadata, where entities are sometimes escaped twice."""
    return _text(htmllib.unescape(value)) if isinstance(value, str) else ""


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _absolute(base: str | None, href: str | None) -> str | None:
    if not href:
        return None
    url = urljoin(base or "", href.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def _json_ld(root: etree._Element) -> dict[str, Any]:
    """The first JSON-LD object describing an article (NewsArticle, BlogPosting...)."""
    for script in root.iter("script"):
        if script.get("type", "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.endswith(("Article", "Posting")) for k in kinds):
                    return item
                stack.extend(v for k, v in item.items() if k == "@graph")
    return {}


def _ld_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = [v.get("name") if isinstance(v, dict) else v for v in values]
    return [_text(n) for n in names if isinstance(n, str) and n and "://" not in n]


def read_meta(root: etree._Element) -> PageMeta:
    """Headline, summary, dates, byline, language, canonical URL and lead image."""
    props: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key and key not in props and el.get("content"):
            props[key] = el.get("content", "")
    canonical = None
    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split():
            canonical = _absolute(None, el.get("href"))
            break
    canonical = canonical or _absolute(None, props.get("og:url"))
    ld = _json_ld(root)
    title_el = root.find(".//title")
    titles = [_title(t) for t in (ld.get("headline"), props.get("og:title"),
                                  props.get("twitter:title"),
                                  _content(title_el) if title_el is not None else None)
              if _title(t)]
    headline = _headline([_text(_content(h)) for h in root.iter("h1")], titles)
    summary = next((_text(s) for s in (props.get("og:description"), props.get("description"),
                                       ld.get("description")) if isinstance(s, str) and _text(s)),
                   None)
    authors = _ld_names(ld.get("author")) or [
        a for a in [_text(props.get("author"))] if a and "://" not in a]
    lang = root.get("lang") or props.get("og:locale", "").replace("_", "-") or None
    image = ld.get("image")
    image_url = image.get("url") if isinstance(image, dict) else image
    if isinstance(image_url, list):
        image_url = image_url[0] if image_url else None
    og_image = _absolute(canonical, props.get("og:image")) or _absolute(
        canonical, image_url if isinstance(image_url, str) else None)
    published = _date(props.get("article:published_time")) or _date(
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None)
    modified = _date(props.get("article:modified_time")) or _date(
        ld.get("dateModified") if isinstance(ld.get("dateModified"), str) else None)
    pictures = []
    if og_image:
        pictures.append(_picture(og_image, props.get("og:image:alt")))
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


def _headline(h1s: list[str], titles: list[str]) -> str | None:
    """The page's own h1 when the metadata titles agree with it, else the cleanest title."""
    keys = [normalised(t) for t in titles]
    for h1 in h1s:
        key = normalised(h1)
        if key and any(key in t for t in keys):
            return h1
    if titles:
        parts = _TITLE_SPLIT.split(titles[0])
        return max(parts, key=len) if len(titles) == 1 or titles[0] == titles[-1] else titles[0]
    return next((h for h in h1s if h), None)


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


def _strip_furniture(body: etree._Element) -> list[Stripped]:
    """Remove hidden elements and those the structure rules name, reporting their text."""
    compiled = rules()
    etree.strip_elements(body, *compiled.drop_tags, with_tail=False)
    for control in list(body.iter(*compiled.control_tags)):
        if len(_content(control)) > MAX_CONTROL_CHARS:
            control.tag = "span"
        else:
            _remove(control)
    total = max(len(_text(_content(body))), 1)
    found: list[tuple[etree._Element, str]] = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("hidden") is not None or el.get("aria-hidden") == "true" or (
            _HIDDEN_STYLE.search(el.get("style", ""))
        ):
            found.append((el, ""))
            continue
        kind = compiled.furniture_tags.get(el.tag)
        attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
        if attrs and el.tag not in ("body", "html", "main"):
            kind = classify_attrs(attrs) or kind
        if kind:
            found.append((el, kind))
    report: list[Stripped] = []
    removed: set[etree._Element] = set()
    for el, kind in found:
        if any(a in removed for a in el.iterancestors()):
            continue
        text = _text(_content(el))
        share = MAX_HIDDEN_SHARE if kind == "" else MAX_FURNITURE_SHARE
        if len(text) > share * total or (kind not in ALWAYS_FURNITURE and _prose(el)):
            continue
        removed.add(el)
        if kind and text:
            report.append(audit(kind, text))
        _remove(el)
    return report + _strip_teasers(body)


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
    prose = [(order[p], size) for p in body.iter("p")
             if p not in inside and (size := len(_text(_content(p)))) >= TEASER_PROSE_CHARS]
    total = sum(size for _, size in prose)
    report: list[Stripped] = []
    for members in found:
        start = order[members[0]]
        before = sum(size for at, size in prose if at < start)
        text = " / ".join(_text(_content(m)) for m in members)
        if before < len(text) or total - before > MAX_PROSE_AFTER_TEASERS * total:
            continue
        report.append(audit("related_links", text))
        for member in members:
            _remove(member)
    return report


def _prose(el: etree._Element) -> bool:
    """Whether an element holds article prose: several long paragraphs with few links."""
    count = 0
    for paragraph in el.iter("p"):
        text = _text(_content(paragraph))
        links = sum(len(_content(a)) for a in paragraph.iter("a"))
        if len(text) >= PROSE_CHARS and links < MAX_LINK_DENSITY * len(text):
            count += 1
            if count >= PROSE_PARAGRAPHS:
                return True
    return False


def _units(body: etree._Element) -> list[_Unit]:
    """All text blocks of the page in order: leaf block elements and inline runs."""
    with_blocks: set[etree._Element] = set()
    for el in body.iter():
        if el.tag in BLOCK_TAGS:
            for ancestor in el.iterancestors():
                if ancestor in with_blocks:
                    break
                with_blocks.add(ancestor)
    units: list[_Unit] = []

    def run(el: etree._Element, parts: list[str], links: int) -> None:
        text = _text("".join(parts))
        if text:
            units.append(_Unit(el, "p", text, min(links, len(text)), whole=False))

    def walk(el: etree._Element, depth: int) -> None:
        if el.tag == "figcaption" or (el.tag == "figure" and el.find(".//table") is None):
            return
        if el not in with_blocks or depth > MAX_DEPTH:
            text = _text(_content(el))
            if text:
                links = sum(len(_text(_content(a))) for a in el.iter("a"))
                units.append(_Unit(el, str(el.tag), text, min(links, len(text)), whole=True))
            return
        parts = [el.text or ""]
        links = 0
        for child in el:
            if not isinstance(child.tag, str):
                parts.append(child.tail or "")
                continue
            if child.tag in BLOCK_TAGS or child in with_blocks:
                run(el, parts, links)
                walk(child, depth + 1)
                parts, links = [child.tail or ""], 0
            else:
                content = _content(child)
                if child.tag == "a":
                    links += len(_text(content))
                parts.extend((" " if child.tag == "br" else "", content, child.tail or ""))
        run(el, parts, links)

    walk(body, 0)
    return units


def _value(unit: _Unit) -> float:
    """How much a block says "article here": long low-link prose for, link lists against."""
    size = len(unit.text)
    density = unit.links / size
    if unit.tag in HEADINGS:
        return 0.0
    if density >= MAX_LINK_DENSITY:
        return -JUNK_WEIGHT * size
    if size >= MIN_PARAGRAPH_CHARS:
        return size * (1 - density) - PARAGRAPH_COST
    if unit.tag in CELLS and not unit.links:
        return CELL_WEIGHT * size
    return 0.0 if unit.tag == "li" else -SHORT_WEIGHT * size


def _scores(units: list[_Unit]) -> dict[etree._Element, float]:
    """Every element's total of its blocks' values.

    Text inside page furniture (a header the page never closed, a mega-menu) counts only
    a fraction of its value.
    """
    scores: dict[etree._Element, float] = {}
    for unit in units:
        value = _value(unit)
        lineage = (unit.element, *unit.element.iterancestors())
        if value > 0 and any(el.tag in FURNITURE for el in lineage):
            value *= FURNITURE_WEIGHT
        for el in lineage:
            scores[el] = scores.get(el, 0.0) + value
    return scores


def _article_units(units: list[_Unit], body: etree._Element) -> list[_Unit]:
    """Blocks of the article container, less its sub-elements that score below zero.

    The container is the best-scoring element, narrowed to a child holding most of its
    score; prose blocks of the wider element that come before that child (a standfirst, an
    intro in the article's header) are kept too, what follows it (bios, footers) is not.
    """
    scores = _scores(units)
    top = max(scores.items(), key=lambda item: item[1], default=(body, 0.0))[0]
    container = top
    while scores[container] > 0:
        best = max((child for child in container if child in scores),
                   key=lambda child: scores[child], default=None)
        if best is None or scores[best] < DOMINANT_SHARE * scores[container]:
            break
        container = best
    kept: list[_Unit] = []
    before = container is not top
    for unit in units:
        lead_in = before and _value(unit) > 0
        for el in (unit.element, *unit.element.iterancestors()):
            if el is container:
                kept.append(unit)
                before = False
                break
            if el is top:
                if lead_in:
                    kept.append(unit)
                break
            if el is not unit.element and scores[el] < 0:
                break
            lead_in = lead_in and el.tag not in FURNITURE
    return kept


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


def _is_stub(text: str) -> bool:
    """A label, not a sentence: "Share", "Latest News", "Updated on"."""
    return len(text.split()) <= MAX_STUB_WORDS and not text.endswith(SENTENCE_ENDS)


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
    stripped = _strip_furniture(body)
    units = _units(body)
    if not units:
        raise IngestError(Reason.MISSING_BODY, "page has no text")
    inside = _article_units(units, body)
    container = _common_ancestor([u.element for u in inside]) if inside else body
    blocks: list[Block] = []
    for unit in inside:
        if unit.links / len(unit.text) > KEEP_LINK_DENSITY:
            stripped.append(audit("related_links", unit.text))
            continue
        if unit.tag not in OUTPUT_TAG and unit.tag not in CELLS and _is_stub(unit.text):
            stripped.append(audit(classify_text(unit.text) or "other", unit.text))
            continue
        tag = OUTPUT_TAG.get(unit.tag, "p")
        blocks.append(Block(tag, unit.text, _inner_html(unit.element) if unit.whole else None))
    return blocks, _lead_picture(container, base), stripped
