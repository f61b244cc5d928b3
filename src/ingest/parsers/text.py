"""Plain-text pages (copied text, paragraphs separated by blank lines) -> Article.

Also home of what every page parser shares once it has a list of text blocks: decoding
bytes, and ``assemble``, which runs the boilerplate rules, moves credits and copyright to
their fields, picks headline and standfirst, and builds the sanitised body. The HTML
parser feeds it blocks taken from the DOM; this parser feeds it blank-line paragraphs.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from charset_normalizer import from_bytes

from ingest.clean import credits
from ingest.clean.boilerplate import audit, classify_blocks, fold
from ingest.clean.sanitise import sanitise_html
from ingest.errors import IngestError, Reason
from ingest.model import Article, Picture
from ingest.parsers import storable_text
from ingest.parsers.base import ParsedItem, ParseOutcome, Stripped

MAX_PAGE_BYTES = 20_000_000
MAX_HEADLINE_CHARS = 250
MAX_STANDFIRST_CHARS = 400

_SUBHEAD = re.compile(r"^\s*[-–—]\s*(?P<text>[^\n]{1,150}?)\s*[-–—]\s*$")
_BYLINE = re.compile(r"^(?:by|par)\s+(?P<name>[^\n]{2,80})$", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][\w'’. -]{1,40}?)(?:,\s*[\w'’. -]{1,30})?\s*"
    r"\((?P<agency>AFP|AP|Reuters|dpa|EFE|ANSA|PA)\)\s*[-–—]",
)
_LEAD_CAPS = re.compile(r"^(?:[A-ZÀ-Ý'’-]{2,}\s+){2,}")
_WORD = re.compile(r"\w+")
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_COMMON_WORDS = {
    "en": "the and of to in is that for with was on as are by it from have",
    "fr": "le la les des et est une du dans pour que qui sur pas au avec",
    "de": "der die und das ist nicht ein eine mit den von zu sich auf für",
    "es": "el la los las que del y en por con una para es se lo",
    "it": "il di che la per non gli una del della sono con le è",
    "pt": "o os da do que em para com uma não dos das por se",
    "nl": "de het een en van is dat op te niet met voor zijn",
}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in _COMMON_WORDS.items()}


@dataclass(slots=True)
class Block:
    """One unit of page text: a paragraph, heading or list item, with its inline markup."""

    tag: str
    text: str
    html: str | None = None


@dataclass(slots=True)
class PageMeta:
    """What a page says about itself outside the body text."""

    headline: str | None = None
    standfirst: str | None = None
    byline: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    pictures: list[Picture] = field(default_factory=list)
    stripped: list[Stripped] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def decode(raw: bytes, declared: str | None = None) -> str:
    """Bytes -> text: BOM, then the declared charset, then UTF-8, then detection; control
    characters removed, a lone surrogate (UTF-7 can decode to one) ``BAD_ENCODING``."""
    return storable_text(_decode(raw, declared), "page")


def _decode(raw: bytes, declared: str | None) -> str:
    if len(raw) > MAX_PAGE_BYTES:
        raise IngestError(Reason.TOO_LARGE, f"{len(raw)} bytes")
    for bom, bom_codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(bom_codec, errors="replace").lstrip("\ufeff")
    for codec in (declared, "utf-8"):
        if codec:
            try:
                return raw.decode(codec)
            except (LookupError, UnicodeDecodeError):
                continue
    best = from_bytes(raw[:200_000]).best()
    if best is None or best.encoding is None:
        raise IngestError(Reason.BAD_ENCODING, "no character set fits the bytes")
    return raw.decode(best.encoding, errors="replace")


def normalised(text: str) -> str:
    """Text as compared for duplicates and hashed for uris: folded words, single spaces."""
    return " ".join(_WORD.findall(fold(text)))


def detect_language(text: str) -> str | None:
    """The language whose commonest words are commonest in ``text`` (None if unclear)."""
    words = _WORD.findall(text.lower()[:5000])
    if len(words) < 5:
        return None
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    lang, score = max(scores.items(), key=lambda item: item[1])
    return lang if score >= max(2, len(words) // 25) else None


class PlainTextParser:
    """A page of copied text with no markup, paragraphs separated by blank lines."""

    name = "text"

    def parse(self, raw: bytes, *, source: str) -> Iterator[ParseOutcome]:
        text = decode(raw).replace("\r\n", "\n").replace("\r", "\n")
        blocks = list(text_blocks(text))
        yield assemble(blocks, PageMeta(), source=source)


def text_blocks(text: str) -> Iterator[Block]:
    """Blank-line paragraphs; a ``- Subhead -`` line becomes a block of its own."""
    for chunk in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for line in chunk.split("\n"):
            subhead = _SUBHEAD.match(line)
            if subhead is None:
                lines.append(line.strip())
                continue
            if any(lines):
                yield Block("p", " ".join(filter(None, lines)))
            lines = []
            yield Block("p", line.strip())
        if any(lines):
            yield Block("p", " ".join(filter(None, lines)))


def assemble(blocks: list[Block], meta: PageMeta, *, source: str) -> ParsedItem:
    """Blocks and page metadata -> a cleaned Article with the audit of what was removed."""
    stripped = list(meta.stripped)
    notices = list(meta.notices)
    rights: credits.Copyright | None = None
    photo: credits.PhotoCredit | None = None
    candidates: list[Block] = []
    for block in blocks:
        copyright_line = credits.parse_copyright(block.text)
        if copyright_line is not None:
            rights = rights or copyright_line
            notices.append(block.text)
            continue
        credit = credits.parse_photo_credit(block.text) if block.tag == "p" else None
        if credit is not None and photo is None:
            photo = credit
            continue
        candidates.append(block)
    kept: list[Block] = []
    for block in candidates:
        if block.tag == "p" and (subhead := _SUBHEAD.match(block.text)):
            block.tag, block.text, block.html = "h2", subhead["text"], None
    for block, kind in zip(candidates, classify_blocks([b.text for b in candidates]), strict=True):
        if kind is None:
            kept.append(block)
        else:
            stripped.append(audit(kind, block.text))

    headline = meta.headline
    if headline is None and kept and len(kept[0].text) <= MAX_HEADLINE_CHARS:
        headline = kept.pop(0).text
    if headline is None:
        raise IngestError(Reason.MISSING_HEADLINE, f"{source}: no headline found")
    title_key = normalised(headline)
    kept = [b for b in kept if normalised(b.text) != title_key]

    byline = meta.byline
    if kept and byline is None and (by := _BYLINE.match(kept[0].text)):
        byline = by["name"]
        kept.pop(0)
    standfirst = _standfirst(meta.standfirst, kept)
    if not kept:
        raise IngestError(Reason.MISSING_BODY, f"{source}: no body text after cleaning")

    agencies = credits.attributions("\n".join([*(b.text for b in candidates), *notices]))
    dateline = _DATELINE.match(kept[0].text)
    body_html = sanitise_html(_body_html(kept))
    body_key = normalised(" ".join(b.text for b in kept))
    uri = meta.canonical_url or "urn:ingest:sha256:" + hashlib.sha256(
        f"{title_key}\n{body_key}".encode()
    ).hexdigest()
    pictures = list(meta.pictures)
    if photo is not None:
        if not pictures:
            pictures.append(Picture(uri=f"{uri}#picture" if meta.canonical_url else
                                    "urn:ingest:sha256:" + hashlib.sha256(
                                        f"{uri}\n{photo.credit}".encode()).hexdigest()))
        first = pictures[0]
        first.credit = first.credit or photo.credit
        first.by = first.by or photo.by
        first.copyright_holder = first.copyright_holder or photo.holder
    article = Article(
        uri=uri,
        version_created=meta.modified or meta.published,
        first_created=meta.published,
        language=meta.language or detect_language(body_key),
        headline=headline,
        standfirst=standfirst,
        body_html=body_html,
        byline=byline,
        dateline=dateline["place"].strip() if dateline else None,
        provider=agencies[0] if agencies else None,
        copyright_holder=rights.holder if rights else None,
        copyright_notice=rights.notice if rights else None,
        info_sources=agencies,
        pictures=pictures,
        canonical_url=meta.canonical_url,
    )
    return ParsedItem(article=article, stripped=stripped)


def _standfirst(declared: str | None, kept: list[Block]) -> str | None:
    """The standfirst, taken out of the top of the body wherever it is printed there.

    A declared summary equal to the first paragraph is a standfirst printed above the story
    only when the story proper then starts (capitals lead, dateline); else the page took
    its lead paragraph as its summary. That, and a declared summary that merely opens the
    first paragraph, is an excerpt: the paragraph stays and no summary is claimed.
    Without a declared one, a short first paragraph is the standfirst when the story
    proper then starts or it restates what follows.
    """
    if not kept:
        return declared
    first = kept[0]
    first_key = normalised(first.text)
    if declared:
        key = normalised(declared)
        if key == first_key:
            if len(kept) > 1 and _story_starts(kept[1].text):
                kept.pop(0)
                return declared
            return None
        if key and first_key.startswith(key[: max(len(key) - 3, 1)]):
            return None
        return declared
    if len(kept) < 3 or first.tag != "p" or len(first.text) > MAX_STANDFIRST_CHARS:
        return None
    following = kept[1].text
    words = set(first_key.split())
    later = set(normalised(" ".join(b.text for b in kept[1:4])).split())
    restated = len(words) >= 5 and len(words & later) >= 0.8 * len(words)
    if _story_starts(following) or restated:
        kept.pop(0)
        return first.text
    return None


def _story_starts(text: str) -> bool:
    """Whether a paragraph opens a news story: a capitals lead or a dateline."""
    return bool(_LEAD_CAPS.match(text) or _DATELINE.match(text))


def _body_html(blocks: list[Block]) -> str:
    """Blocks -> HTML, consecutive list items gathered into one ``<ul>``."""
    parts: list[str] = []
    in_list = False
    for block in blocks:
        inner = block.html if block.html is not None else html.escape(block.text, quote=False)
        if block.tag == "li" and not in_list:
            parts.append("<ul>")
        elif block.tag != "li" and in_list:
            parts.append("</ul>")
        in_list = block.tag == "li"
        parts.append(f"<{block.tag}>{inner}</{block.tag}>")
    if in_list:
        parts.append("</ul>")
    return "".join(parts)
