"""The one entry model the five feed formatters share, and the table that dispatches to them.

``Entry`` is computed once per story version per partner: the body sanitised again
(defence in depth), the kill marker, status and stable id decided here, so formatters
only lay fields out and cannot disagree. Control characters are removed there too, once
per entry rather than once per string per format: every string of an ``Entry`` and of a
``FeedMeta`` is clean by construction, and formatters add only dates, numbers and names.

The kill marker, for partners to match on in every format:

* ninjs and NewsML-G2: ``pubStatus`` ``canceled`` (``stat:canceled``);
* RSS, Atom: a category ``kill`` in scheme ``STATUS_SCHEME``, an ``ingest:status``
  element (namespace ``INGEST_NS``) with the text ``kill``, and a title starting ``[KILL] ``;
* JSON Feed: the tag ``kill``, ``"_ingest": {"status": "kill"}`` and the same title prefix.

A kill's body, in every format, starts with a notice naming the withdrawn story's uri (so
an Atom kill entry has the ``content`` RFC 4287 asks of it).

A kill of a story with pictures drops them all (decided for issue 15): no Atom enclosure,
no Media RSS ``media:content``, no JSON Feed attachment, no ninjs association, no
NewsML-G2 ``link``, no picture credit. A kill withdraws the story *and what came with
it*; linking a picture from the kill would invite a partner to fetch, cache or re-use
it. Partners that already hold the pictures find them through the story's uri, which the
notice names. (The picture copies in the object store are not deleted here.)

What formatters write is valid by the W3C Feed Validator's rules as well as by each
format's own: links are absolute ASCII URIs (``web_uri``), languages are BCP 47 tags
with an ISO 639-1 primary subtag (``feed_language``), media types are ``type/subtype``
(``media_type``) and sizes, widths and heights positive (``positive``), else left out.

Corrections carry ``correction`` the same way (category, ``ingest:status``, tag) plus the
editor's note (``ingest:edNote`` / ``_ingest.ed_note`` / ``edNote``).
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from lxml import etree

from ingest.clean.sanitise import sanitise_html
from ingest.model import Article, Picture, Rendition, Subject, utc
from ingest.publish.formats.ids import DEFAULT_IDS, TagIds

Kind = Literal["item", "kill"]
_Model = TypeVar("_Model", bound=Article | Picture | Rendition | Subject)
INGEST_NS = "urn:x-ingest:feed:1"
STATUS_SCHEME = "urn:x-ingest:status"
KILL_PREFIX = "[KILL] "

# XML 1.0 forbids C0 controls (but tab, LF, CR), noncharacters and lone surrogates; C1
# controls are legal but never meant in news copy. JSON gets the same treatment.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without control characters: what every formatter puts in a feed."""
    return _CONTROL.sub("", value)


def clean_json(value: Any) -> Any:
    """A JSON-like value with every string cleaned; model objects inside are cleaned too.

    Every partner's item passes here (the pull API renders 100 a page), so the exact types
    are dispatched first; subclasses (lxml's string results) take the general path.
    """
    kind = type(value)
    if kind is str:
        return _CONTROL.sub("", value) if _CONTROL.search(value) else value
    if value is None or kind is int or kind is bool:
        return value
    if kind is list:
        return [clean_json(v) for v in value]
    if kind in _FIELDS:
        return _clean_model(value)
    if kind is dict:
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, Article | Picture | Rendition | Subject):
        return _clean_model(value)
    return value


def _clean_model(obj: _Model) -> _Model:
    """A copy of a model object with every string in it, nested ones included, cleaned."""
    return type(obj)(**{n: clean_json(getattr(obj, n)) for n in _FIELDS[type(obj)]})


_FIELDS: dict[type[Any], tuple[str, ...]] = {
    kind: tuple(f.name for f in dataclasses.fields(kind))
    for kind in (Article, Picture, Rendition, Subject)
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One story version (or a kill) as it appears in a partner's feed, format-neutral."""

    id: str
    kind: Kind
    article: Article  # the partner's view, cleaned and sanitised
    updated: datetime
    published: datetime
    title: str
    status: str  # "usable" | "correction" | "kill"
    summary: str
    credits: tuple[str, ...]

    @property
    def categories(self) -> tuple[tuple[str, str], ...]:
        """(term, label) pairs: subjects then genres, qcode as term, name as label."""
        concepts = [*self.article.subjects, *self.article.genres]
        return tuple((c.code or c.name or "", c.name or c.code or "") for c in concepts
                     if c.code or c.name)


def make_entry(article: Article, kind: Kind, received_at: datetime,
               ids: TagIds = DEFAULT_IDS) -> Entry:
    """Build an entry from a partner's view of one version (see ``Partner.view``)."""
    view = _clean_model(article)  # a copy: only its own fields are reassigned below
    if view.body_html:  # cleaned again: sanitising may decode a character reference
        view.body_html = clean_text(sanitise_html(view.body_html))
    updated = utc(view.version_created or received_at)
    # body_text unescapes the body, so what it yields is cleaned once more
    headline = clean_text(view.headline or view.slugline or view.body_text[:80] or view.uri)
    status = "kill" if kind == "kill" else "correction" if view.is_correction else "usable"
    summary = clean_text(view.standfirst or next(iter(view.body_text.split("\n\n")), ""))
    if kind == "kill":
        _withdraw(view)
    return Entry(
        id=ids.entry(view.uri, view.version),
        kind=kind,
        article=view,
        updated=updated,
        published=utc(view.first_created or updated),
        title=(KILL_PREFIX if kind == "kill" else "") + headline,
        status=status,
        summary=(view.ed_note or summary) if kind == "kill" else summary,
        credits=_credits(view.pictures),
    )


def _withdraw(view: Article) -> None:
    """Make ``view`` a kill: canceled, no pictures, a body that says so first."""
    view.pub_status = "canceled"
    view.pictures = []
    notice = f"<p>Withdrawn: story {html.escape(view.uri)} must no longer be used.</p>"
    own = view.body_html or (f"<p>{html.escape(view.ed_note)}</p>" if view.ed_note else "")
    view.body_html = notice + own


def _credits(pictures: list[Picture]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for p in pictures if (c := p.credit or p.by)))


def best_rendition(picture: Picture) -> Rendition | None:
    """The largest rendition of a picture (by width), the one feeds link to."""
    return max(picture.web_renditions, key=lambda r: r.width or 0, default=None)


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """Feed-level facts: who it is for, where it lives, and its data-derived timestamp."""

    partner_id: str
    title: str
    self_url: str
    home_url: str
    updated: datetime  # newest entry's timestamp, or the build time for an empty feed
    prev_archive: str | None = None  # RFC 5005 link (Atom)
    current_url: str | None = None  # set on an archive page: link back to the current feed
    feed_id: str = ""  # the feed's stable id (Atom ``id``); the self URL when not given

    def __post_init__(self) -> None:
        for name in ("partner_id", "title", "self_url", "home_url", "prev_archive",
                     "current_url", "feed_id"):
            if (value := getattr(self, name)) is not None:
                object.__setattr__(self, name, clean_text(value))
        if not self.feed_id:
            object.__setattr__(self, "feed_id", self.self_url)


Renderer = Callable[[FeedMeta, Sequence[Entry]], bytes]


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """How one format is named, served and rendered."""

    name: str
    filename: str
    content_type: str
    render: Renderer


@cache
def formats() -> dict[str, FeedFormat]:
    """The dispatch table, name -> format (imported lazily: the modules import this one)."""
    from ingest.publish.formats import atom, jsonfeed, newsml_g2, ninjs_feed, rss

    table = (rss.FORMAT, atom.FORMAT, jsonfeed.FORMAT, ninjs_feed.FORMAT, newsml_g2.FORMAT)
    return {f.name: f for f in table}


def feed_format(name: str) -> FeedFormat:
    """The format called ``name`` (``rss``, ``atom``, ``jsonfeed``, ``ninjs``, ``newsml-g2``)."""
    return formats()[name]


def sub(parent: etree._Element, name: str, text: str | None = None, /,
        **attrs: str | None) -> etree._Element:
    """Append a child element (strings come clean from ``Entry``/``FeedMeta``; lxml escapes)."""
    child = etree.SubElement(parent, name, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = text
    return child


def xml_bytes(root: etree._Element) -> bytes:
    """A whole XML document as UTF-8 bytes with its declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def num(value: int | None) -> str | None:
    """An optional number as an XML attribute value."""
    return None if value is None else str(value)


# ISO 639-1, the two-letter language codes (all 184, as CLDR lists them): a language tag's
# primary subtag must be one for feed readers to accept it (RSS ``language``, BCP 47)
_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da
de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg
li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or
os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr ss st su sv sw
ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2}(?:-[A-Za-z0-9]{1,8})*")  # BCP 47's shape
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(  # RFC 2045 5.1: type "/" subtype *(";" parameter)
    rf"{_TCHARS}/{_TCHARS}(?:\s*;\s*{_TCHARS}=(?:{_TCHARS}|\"[^\"\\]*\"))*")
_URI_SAFE = "-._~:/?#@!$&'()*+,;=%"  # RFC 3986 reserved and unreserved, and escapes
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def feed_language(tag: str | None) -> str | None:
    """``tag`` as a BCP 47 tag (``en_US`` becomes ``en-US``) whose primary subtag is an
    ISO 639-1 code, or None: RSS, JSON Feed and NewsML-G2 then say nothing of language."""
    candidate = (tag or "").strip().replace("_", "-")
    if not _LANGUAGE_TAG.fullmatch(candidate) or candidate[:2].lower() not in ISO_639_1:
        return None
    return candidate


def web_uri(value: str | None) -> str | None:
    """An http(s) URL as an absolute ASCII URI (RFC 3987 3.1: other characters
    percent-encoded as UTF-8, the host in IDNA), or None when it is no such URL."""
    try:
        parts = urlsplit((value or "").strip())
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port
    except (UnicodeError, ValueError):
        return None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return None
    netloc = host + (f":{port}" if port is not None else "")  # user info is never kept

    def escape(piece: str) -> str:
        return quote(_STRAY_PERCENT.sub("%25", piece), safe=_URI_SAFE)

    return urlunsplit((parts.scheme.lower(), netloc, escape(parts.path), escape(parts.query),
                       escape(parts.fragment)))


def media_type(value: str | None) -> str | None:
    """``value`` when it is an RFC 2045 ``type/subtype[; parameter=value]``, else None."""
    return value if value and _MEDIA_TYPE.fullmatch(value) else None


def positive(value: int | None) -> str | None:
    """A size, width or height as an attribute value, when it is a positive number."""
    return str(value) if value is not None and value > 0 else None
