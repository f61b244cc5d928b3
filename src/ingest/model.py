"""The canonical article every parser produces and every formatter reads.

One plain data model, independent of any input or output format. ``to_ninjs`` is the
only place that knows ninjs 3.1 field names; fields that ninjs has no slot for
(signals, products, the country code used by partner filters) stay on the model and
travel beside the ninjs document, never inside it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

PubStatus = Literal["usable", "withheld", "canceled"]
PUB_STATUSES: tuple[str, ...] = get_args(PubStatus)
Signal = Literal["update", "correction"]

_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>", re.IGNORECASE)
_BLOCK_END_AT_END = re.compile(r"</(?:p|h[1-6]|li|blockquote)>\Z", re.IGNORECASE)


def utc(value: datetime) -> datetime:
    """Return ``value`` as a plain, timezone-aware UTC ``datetime``; naive means UTC.

    Subclasses (Airflow hands tasks pendulum ``DateTime``s) come back as plain datetimes:
    pendulum drops a stdlib tzinfo in arithmetic, which would make ``now - max_age`` naive.
    """
    if value.tzinfo is UTC and type(value) is datetime:  # already so (most dates parsed)
        return value
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if type(aware) is datetime:
        return aware
    return datetime(
        aware.year, aware.month, aware.day, aware.hour, aware.minute, aware.second,
        aware.microsecond, tzinfo=UTC,
    )


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, the one date form every output uses."""
    return utc(value).isoformat().replace("+00:00", "Z")


# The body a parser last rendered and its text (``remember_text``), matched by identity:
# the parser knew the text of each paragraph, so ``to_ninjs`` need not take the markup
# apart again. One entry, replaced whole: a miss (another thread's body) only recomputes.
_RENDERED: tuple[str, str] = ("", "")


def remember_text(fragment: str, text: str) -> None:
    """Record that ``html_to_text(fragment)`` is ``text``, for this very string object."""
    global _RENDERED
    _RENDERED = (fragment, text)


def ends_block(fragment: str) -> bool:
    """Whether ``fragment`` ends with a block's end tag: ``html_to_text`` of it followed by
    more markup is then its own text, a paragraph break, and the text of the rest."""
    return _BLOCK_END_AT_END.search(fragment, max(0, len(fragment) - 13)) is not None


def html_to_text(fragment: str) -> str:
    """Visible text of a sanitised body fragment, paragraphs separated by blank lines.

    Blank lines are runs of two or more line breaks, each paragraph's whitespace collapsed
    (``strip`` when only single spaces occur, which then does the same)."""
    rendered = _RENDERED
    if rendered[0] is fragment:
        return rendered[1]
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", fragment)))
    paragraphs = text.split("\n\n")
    if only_single_spaces("".join(paragraphs)):  # the usual body: nothing to collapse
        return "\n\n".join(filter(None, map(str.strip, paragraphs)))
    return "\n\n".join(filter(None, map(collapse_space, paragraphs)))


def only_single_spaces(text: str) -> bool:
    r"""Whether the only whitespace in ``text`` is single spaces (``collapse_space`` is
    then ``strip``). Every whitespace character but the space is unprintable; in ASCII,
    whitespace is the space and nine controls, which ``in`` finds faster than
    ``isprintable`` scans (that one costs a table look-up per character)."""
    if "  " in text:
        return False
    if text.isascii():
        return not (
            "\n" in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text
            or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text
        )
    return text.isprintable()


def collapse_space(text: str) -> str:
    r"""``re.sub(r"\s+", " ", text).strip()``, cheaply when there is nothing to collapse.

    Every whitespace character but the space is unprintable, so printable text without a
    double space has only single spaces; ``str.split()`` splits on exactly ``\s``.
    """
    if text.isprintable() and "  " not in text:
        return text.strip(" ")
    return " ".join(text.split())


def word_count(text: str) -> int:
    """Words in ``html_to_text`` output: ``len(text.split())`` without building the words.

    That text has one space between words and a blank line between paragraphs, nothing
    else, so each space and each paragraph break ends exactly one word.
    """
    return text.count(" ") + text.count("\n\n") + 1 if text else 0


@dataclass(slots=True)
class Rendition:
    """One file of a picture (or other media): where it is and how big."""

    name: str
    href: str
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    size_in_bytes: int | None = None


@dataclass(slots=True)
class Subject:
    """A subject or genre concept: a qcode (``medtop:04000000``, ``subj:11000000``), a
    name, and the concept's full uri where its scheme is known."""

    code: str | None = None
    name: str | None = None
    uri: str | None = None


@dataclass(slots=True)
class Place:
    """A place named by the item (its origin city, its country): a name and, where known,
    a code (``iso3166-1a3:ESP``) and the code's uri."""

    name: str | None = None
    code: str | None = None
    uri: str | None = None


@dataclass(slots=True)
class Picture:
    """A photo (or graphic) associated with the article, with its own credit and rights;
    or, with another ``type`` (``text``, ``video``...), a member of a package."""

    uri: str
    caption: str | None = None
    by: str | None = None
    credit: str | None = None
    copyright_holder: str | None = None
    copyright_notice: str | None = None
    usage_terms: str | None = None
    renditions: list[Rendition] = field(default_factory=list)
    type: str = "picture"
    headline: str | None = None

    def __post_init__(self) -> None:
        # Only web links reach partners (``web_renditions``); the record also keeps a file
        # the item names by path or s3:// key, for copying it into the store. Any other
        # scheme ("javascript:", "data:", "file:") from any input format is dropped here,
        # where every picture is made, not in each parser.
        self.renditions = [r for r in self.renditions if is_web_url(r.href) or is_file_ref(r.href)]

    @property
    def web_renditions(self) -> list[Rendition]:
        """The renditions a partner can fetch: what ninjs and the feeds carry."""
        return [r for r in self.renditions if is_web_url(r.href)]


def is_web_url(href: str) -> bool:
    return href[:8].lower().startswith(("https://", "http://"))


def is_file_ref(href: str) -> bool:
    """An ``s3://`` key or a scheme-less path (``abc.jpg``, ``drop/abc.jpg``)."""
    if href[:5].lower() == "s3://":
        return True
    head = href.partition("/")[0]
    return bool(href) and not href.startswith(("//", "\\")) and ":" not in head


@dataclass(slots=True)
class Article:
    """A story version in canonical form.

    ``uri`` identifies the story across all its versions; ``version`` orders them.
    ``body_html`` is a sanitised XHTML fragment (``<p>``, ``<h2>``, ``<ul>``...), never
    raw markup from the input.
    """

    uri: str
    version: int = 1
    type: str = "text"
    pub_status: PubStatus = "usable"
    version_created: datetime | None = None
    first_created: datetime | None = None
    embargoed_until: datetime | None = None
    signals: list[str] = field(default_factory=list)
    ed_note: str | None = None
    urgency: int | None = None
    language: str | None = None
    headline: str | None = None
    subheadline: str | None = None
    standfirst: str | None = None
    body_html: str | None = None
    byline: str | None = None
    dateline: str | None = None
    located: str | None = None
    country: str | None = None
    places: list[Place] = field(default_factory=list)
    slugline: str | None = None
    genres: list[Subject] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    provider: str | None = None
    copyright_holder: str | None = None
    copyright_notice: str | None = None
    usage_terms: str | None = None
    info_sources: list[str] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    renditions: list[Rendition] = field(default_factory=list)  # of the item itself (remote text)
    alt_ids: dict[str, str] = field(default_factory=dict)
    canonical_url: str | None = None

    @property
    def body_text(self) -> str:
        return html_to_text(self.body_html or "")

    @property
    def is_correction(self) -> bool:
        return "correction" in self.signals

    def to_ninjs(self) -> dict[str, Any]:
        """This version as an IPTC ninjs 3.1 document (validated by ``ingest.validate``).

        Absent means left out: ``None``, empty strings and empty lists never appear.
        """
        doc: dict[str, Any] = {
            "uri": self.uri,
            "type": self.type,
            "representationType": "full",
            "version": str(self.version),
            "pubStatus": self.pub_status,
        }
        # Written out rather than looped over: this runs several times per item.
        if self.version_created:
            doc["versionCreated"] = iso(self.version_created)
        if self.first_created:
            doc["firstCreated"] = iso(self.first_created)
        if self.embargoed_until:
            doc["embargoedUntil"] = iso(self.embargoed_until)
        if self.urgency is not None:
            doc["urgency"] = self.urgency
        if self.ed_note:
            doc["edNote"] = self.ed_note
        if self.language:
            doc["language"] = self.language
        if self.slugline:
            doc["slugline"] = self.slugline
        if self.headline:
            doc["headlines"] = [{"role": "main", "contentType": "text/plain",
                                 "value": self.headline}]
            if self.subheadline:
                doc["headlines"].append(
                    {"role": "sub", "contentType": "text/plain", "value": self.subheadline}
                )
        if self.standfirst:
            doc["descriptions"] = [
                {"role": "summary", "contentType": "text/plain", "value": self.standfirst}
            ]
        if self.body_html:
            text = self.body_text
            doc["bodies"] = [
                {
                    "role": "main",
                    "contentType": "text/html",
                    "value": self.body_html,
                    "charCount": len(text),
                    "wordCount": word_count(text),
                }
            ]
        if self.byline:
            doc["by"] = self.byline
        if located := self.located or self.dateline:
            doc["located"] = located
        if self.places:
            doc["places"] = [_concept(p) for p in self.places]
        if self.subjects:
            doc["subjects"] = [_concept(s) for s in self.subjects]
        if self.genres:
            doc["genres"] = [_concept(g) for g in self.genres]
        if self.copyright_holder:
            doc["copyrightHolder"] = self.copyright_holder
        if self.copyright_notice:
            doc["copyrightNotice"] = self.copyright_notice
        if self.usage_terms:
            doc["usageTerms"] = self.usage_terms
        sources = [{"name": self.provider, "role": "provider"}] if self.provider else []
        sources += [{"name": s, "role": "source"} for s in self.info_sources if s != self.provider]
        if sources:
            doc["infoSources"] = sources
        if self.alt_ids:
            doc["altIds"] = [{"role": k, "value": v} for k, v in sorted(self.alt_ids.items())]
        if self.pictures:
            doc["associations"] = [
                _picture_ninjs(p, f"{p.type}{i}") for i, p in enumerate(self.pictures, 1)
            ]
        if self.renditions and (renditions := [r for r in self.renditions if is_web_url(r.href)]):
            doc["renditions"] = [_rendition_ninjs(r) for r in renditions]
        return doc

    def content_hash(self) -> str:
        """SHA-256 of what partners would see of this version (its ninjs), for dedup."""
        payload = json.dumps(self.to_ninjs(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict of every field, for the registry; ``from_record`` reverses it."""
        record: dict[str, Any] = _jsonable(dataclasses.asdict(self))
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Article:
        data = dict(record)
        for key in ("version_created", "first_created", "embargoed_until"):
            if data.get(key):
                data[key] = datetime.fromisoformat(data[key])
        data["genres"] = [Subject(**g) for g in data.get("genres", [])]
        data["subjects"] = [Subject(**s) for s in data.get("subjects", [])]
        data["places"] = [Place(**p) for p in data.get("places", [])]
        data["pictures"] = [
            Picture(**{**p, "renditions": [Rendition(**r) for r in p.get("renditions", [])]})
            for p in data.get("pictures", [])
        ]
        data["renditions"] = [Rendition(**r) for r in data.get("renditions", [])]
        return cls(**data)


def _put(doc: dict[str, Any], key: str, value: Any) -> None:
    if value not in (None, "", []):
        doc[key] = value


def _concept(concept: Subject | Place) -> dict[str, str]:
    out: dict[str, str] = {}
    if concept.uri:
        out["uri"] = concept.uri
    if concept.name:
        out["name"] = concept.name
    if concept.code:
        out["literal"] = concept.code
    return out


def _picture_ninjs(picture: Picture, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name, "uri": picture.uri, "type": picture.type}
    if picture.headline:
        doc["headlines"] = [{"role": "main", "value": picture.headline}]
    if picture.caption:
        doc["descriptions"] = [{"role": "caption", "value": picture.caption}]
    _put(doc, "by", picture.by)
    _put(doc, "copyrightHolder", picture.copyright_holder)
    _put(doc, "copyrightNotice", picture.copyright_notice)
    _put(doc, "usageTerms", picture.usage_terms)
    if picture.credit:
        doc["infoSources"] = [{"name": picture.credit, "role": "credit"}]
    if renditions := picture.web_renditions:
        doc["renditions"] = [_rendition_ninjs(r) for r in renditions]
    return doc


def _rendition_ninjs(rendition: Rendition) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": rendition.name, "href": rendition.href}
    _put(doc, "contentType", rendition.content_type)
    _put(doc, "width", rendition.width)
    _put(doc, "height", rendition.height)
    _put(doc, "sizeInBytes", rendition.size_in_bytes)
    return doc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
