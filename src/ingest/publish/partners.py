"""Who our partners are and what their contracts let them receive.

``config/partners.yaml`` is the one place a contract is written down; ``load_partners``
turns it into frozen ``Partner`` objects and refuses anything it cannot read, naming
the partner and the field, so a typo never silently widens what a partner gets.
``Partner.allows`` is filters AND rights; ``Partner.view`` is what of an allowed article
the partner may see (pictures only when licensed, never ones whose terms it excludes).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlparse

import yaml

from ingest.model import Article, Picture
from ingest.publish.media import link_media, own_copies

FORMAT_NAMES: tuple[str, ...] = ("rss", "atom", "jsonfeed", "ninjs", "newsml-g2")
EmbargoPolicy = Literal["hold", "exclude"]
EMBARGO_POLICIES: tuple[str, ...] = get_args(EmbargoPolicy)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_AGE = re.compile(r"^(\d+)\s*([mhd])$")
_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
DEFAULT_REQUESTS_PER_MINUTE = 120
DEFAULT_GIVE_UP_AFTER = timedelta(hours=24)


class PartnerConfigError(ValueError):
    """The partners file is wrong; the message names the partner and the field."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What a partner asked for; an empty filter means "any". All filters must match."""

    languages: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()  # IPTC qcode prefixes: "medtop:04" matches medtop:04000000
    countries: tuple[str, ...] = ()
    max_urgency: int | None = None  # urgency <= N (1 is most urgent); no urgency never matches
    keywords: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # provider or info sources

    def match(self, article: Article) -> bool:
        return all(check(self, article) for check in _FILTER_CHECKS)


def _any_in(wanted: tuple[str, ...], have: list[str]) -> bool:
    return not wanted or any(h.casefold() in wanted for h in have)


def _language(f: Filters, a: Article) -> bool:
    lang = (a.language or "").casefold().split("-")[0]
    return not f.languages or lang in f.languages


def _subjects(f: Filters, a: Article) -> bool:
    codes = [s.code.casefold() for s in a.subjects if s.code]
    return not f.subjects or any(c.startswith(p) for c in codes for p in f.subjects)


def _genres(f: Filters, a: Article) -> bool:
    names = [x for g in a.genres for x in (g.code, g.name) if x]
    return _any_in(f.genres, names)


def _urgency(f: Filters, a: Article) -> bool:
    return f.max_urgency is None or (a.urgency is not None and a.urgency <= f.max_urgency)


def _sources(f: Filters, a: Article) -> bool:
    return _any_in(f.sources, [*([a.provider] if a.provider else []), *a.info_sources])


_FILTER_CHECKS: tuple[Callable[[Filters, Article], bool], ...] = (
    _language,
    lambda f, a: _any_in(f.products, a.products),
    _genres,
    _subjects,
    lambda f, a: _any_in(f.countries, [a.country] if a.country else []),
    _urgency,
    lambda f, a: _any_in(f.keywords, a.keywords),
    _sources,
)


@dataclass(frozen=True, slots=True)
class Rights:
    """What the contract licenses: providers ("*" = any), excluded terms, pictures, embargo.

    ``embargo``: ``hold`` delivers an embargoed story once its embargo is over (the
    registry only offers it then); ``exclude`` never delivers a story that carried one.
    """

    providers: tuple[str, ...]
    excluded_usage_terms: tuple[str, ...] = ()
    pictures: bool = True
    embargo: EmbargoPolicy = "hold"

    def permit(self, article: Article) -> bool:
        if "*" not in self.providers and (article.provider or "").casefold() not in self.providers:
            return False
        if self.embargo == "exclude" and article.embargoed_until is not None:
            return False
        return not self.excludes(article.usage_terms)

    def excludes(self, usage_terms: str | None) -> bool:
        terms = (usage_terms or "").casefold()
        return any(t in terms for t in self.excluded_usage_terms)

    def picture_ok(self, picture: Picture) -> bool:
        return self.pictures and not self.excludes(picture.usage_terms)


@dataclass(frozen=True, slots=True)
class PushTarget:
    """An HTTP endpoint to POST ninjs to; the secret lives in the environment, not here.

    An entry still failing ``give_up_after`` its first attempt is given up (publish/push.py).
    """

    url: str
    secret_env: str
    give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER

    def secret(self, environ: Mapping[str, str] = os.environ) -> bytes:
        value = environ.get(self.secret_env)
        if not value:
            raise PartnerConfigError(f"push secret: environment variable {self.secret_env} unset")
        return value.encode()


@dataclass(frozen=True, slots=True)
class ApiAccess:
    """What the partner API allows each of the partner's keys (see docs/api.md)."""

    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class Partner:
    """One partner's contract: formats, window, filters, rights, where its feeds go."""

    id: str
    name: str
    formats: tuple[str, ...]
    max_items: int
    max_age: timedelta
    rights: Rights
    filters: Filters = field(default_factory=Filters)
    prefix: str = ""
    base_url: str = ""
    media_base_url: str = ""  # where picture copies' keys are fetched; base_url if empty
    push: PushTarget | None = None
    api: ApiAccess = field(default_factory=ApiAccess)

    def allows(self, article: Article) -> bool:
        """True when the partner asked for this article and is licensed to receive it."""
        return self.rights.permit(article) and self.filters.match(article)

    def view(self, article: Article) -> Article:
        """The article as this partner may see it: unlicensed pictures removed, the
        licensed ones' copies (``publish.media``) linked under the partner's base.

        A photo rendition that was never copied is left out: its href is the provider's
        (AFP's needs AFP's credentials), so it is not a link the partner can follow.
        """
        pictures = [own_copies(p) for p in article.pictures if self.rights.picture_ok(p)]
        if pictures != article.pictures:
            article = dataclasses.replace(article, pictures=pictures)
        return link_media(article, self.media_url)

    def url_for(self, name: str) -> str:
        """The public URL of one of this partner's feed objects."""
        return f"{self.base_url}{self.prefix}{name}"

    def media_url(self, key: str) -> str:
        """The URL a partner fetches a picture copy (``media/<sha256>.<ext>``) at: the
        file's ``media_base_url`` (the API's ``/v1/``, a CDN) + key; ``base_url`` + key
        when there is none."""
        return f"{self.media_base_url or self.base_url}{key}"


def load_partners(path: Path) -> list[Partner]:
    """Read and validate the partners file; raise ``PartnerConfigError`` on any problem."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PartnerConfigError(f"{path}: {exc}") from None
    return parse_partners(doc)


def parse_partners(doc: Any) -> list[Partner]:
    """Partners from an already-loaded document (the YAML's shape)."""
    top = _Fields(doc, "partners file")
    base_url = top.text("base_url", "https://feeds.example.com/")
    if not base_url.endswith("/"):
        base_url += "/"
    media_base_url = top.text("media_base_url", base_url)
    if urlparse(media_base_url).scheme not in {"http", "https"}:
        top.fail("media_base_url", f"{media_base_url!r} is not an http(s) URL")
    media_base_url = media_base_url.rstrip("/") + "/"
    entries = top.get("partners", list, required=True)
    partners = [dataclasses.replace(_partner(raw, base_url, i), media_base_url=media_base_url)
                for i, raw in enumerate(entries)]
    seen: set[str] = set()
    for p in partners:
        if p.id in seen:
            raise PartnerConfigError(f"partner {p.id!r}: field 'id': duplicate partner id")
        seen.add(p.id)
    top.done()
    return partners


def _partner(raw: Any, base_url: str, index: int) -> Partner:
    pid = raw.get("id") if isinstance(raw, dict) else None
    label = f"partner {pid!r}" if isinstance(pid, str) else f"partner #{index + 1}"
    f = _Fields(raw, label)
    pid = f.text("id", required=True)
    if not _ID.match(pid):
        f.fail("id", "use lowercase letters, digits and '-' only")
    formats = f.words("formats", required=True)
    for name in formats:
        if name not in FORMAT_NAMES:
            f.fail("formats", f"unknown format {name!r} (use {', '.join(FORMAT_NAMES)})")
    max_items = f.get("max_items", int, default=100)
    if not 1 <= max_items <= 1000:
        f.fail("max_items", "must be between 1 and 1000")
    partner = Partner(
        id=pid,
        name=f.text("name", required=True),
        formats=tuple(dict.fromkeys(formats)),
        max_items=max_items,
        max_age=_age(f, f.text("max_age", "2d")),
        filters=_filters(_Fields(f.get("filters", dict, default={}), label, "filters.")),
        rights=_rights(_Fields(f.get("rights", dict, required=True), label, "rights.")),
        **_delivery(_Fields(f.get("delivery", dict, default={}), label, "delivery."), pid),
        api=_api(_Fields(f.get("api", dict, default={}), label, "api.")),
        base_url=base_url,
    )
    f.done()
    return partner


def _age(f: _Fields, text: str, key: str = "max_age") -> timedelta:
    match = _AGE.match(text.strip())
    if not match or int(match[1]) == 0:
        f.fail(key, f"{text!r} is not a duration such as 90m, 48h or 7d")
    assert match is not None
    return timedelta(**{_AGE_UNITS[match[2]]: int(match[1])})


def _filters(f: _Fields) -> Filters:
    urgency = f.get("min_urgency", int, default=0) or None
    if urgency is not None and not 1 <= urgency <= 9:
        f.fail("min_urgency", "must be 1 (flash) to 9")
    filters = Filters(
        languages=f.words("languages"),
        products=f.words("products"),
        genres=f.words("genres"),
        subjects=f.words("subjects"),
        countries=f.words("countries"),
        max_urgency=urgency,
        keywords=f.words("keywords"),
        sources=f.words("sources"),
    )
    f.done()
    return filters


def _rights(f: _Fields) -> Rights:
    embargo = f.text("embargo", "hold")
    if embargo not in EMBARGO_POLICIES:
        f.fail("embargo", f"use one of {', '.join(EMBARGO_POLICIES)}")
    rights = Rights(
        providers=f.words("providers", required=True),
        excluded_usage_terms=f.words("excluded_usage_terms"),
        pictures=f.get("pictures", bool, default=True),
        embargo=embargo,  # type: ignore[arg-type]  # checked against EMBARGO_POLICIES above
    )
    f.done()
    return rights


def _delivery(f: _Fields, pid: str) -> dict[str, Any]:
    prefix = f.text("prefix", f"feeds/{pid}/").strip("/") + "/"
    if ".." in prefix.split("/") or prefix.startswith("/"):
        f.fail("prefix", "must be a relative key prefix")
    push_raw = f.get("push", dict, default=None)
    push = None
    if push_raw is not None:
        p = _Fields(push_raw, f.label, "delivery.push.")
        url = p.text("url", required=True)
        if urlparse(url).scheme not in {"http", "https"} or not urlparse(url).netloc:
            p.fail("url", f"{url!r} is not an http(s) URL")
        secret_env = p.text("secret_env", required=True)
        if not _ENV_NAME.match(secret_env):
            p.fail("secret_env", "must name an environment variable (e.g. PARTNER_X_SECRET)")
        give_up = p.get("give_up_after", str, default=None)
        give_up_after = (DEFAULT_GIVE_UP_AFTER if give_up is None
                         else _age(p, give_up, "give_up_after"))
        p.done()
        push = PushTarget(url=url, secret_env=secret_env, give_up_after=give_up_after)
    f.done()
    return {"prefix": prefix, "push": push}


def _api(f: _Fields) -> ApiAccess:
    per_minute = f.get("requests_per_minute", int, default=DEFAULT_REQUESTS_PER_MINUTE)
    if not 1 <= per_minute <= 100_000:
        f.fail("requests_per_minute", "must be between 1 and 100000")
    f.done()
    return ApiAccess(requests_per_minute=per_minute)


class _Fields:
    """Typed access to one mapping of the config, with errors that say where."""

    def __init__(self, raw: Any, label: str, path: str = "") -> None:
        if not isinstance(raw, dict):
            raise PartnerConfigError(f"{label}: field '{path.rstrip('.') or '(root)'}': "
                                     "expected a mapping")
        self.raw: dict[str, Any] = raw
        self.label = label
        self.path = path
        self.used: set[str] = set()

    def fail(self, key: str, message: str) -> None:
        raise PartnerConfigError(f"{self.label}: field '{self.path}{key}': {message}")

    def get(self, key: str, kind: type[Any], *, default: Any = None,
            required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.raw or self.raw[key] is None:
            if required:
                self.fail(key, "is required")
            return default
        value = self.raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.get(key, str, default=default, required=required)
        if required and not value.strip():
            self.fail(key, "must not be empty")
        return str(value)

    def words(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of strings, case-folded for matching (format names are lowercase anyway)."""
        values = self.get(key, list, default=[], required=required)
        if required and not values:
            self.fail(key, "must list at least one value")
        for v in values:
            if not isinstance(v, str) or not v.strip():
                self.fail(key, f"entries must be non-empty strings, got {v!r}")
        return tuple(v.strip().casefold() for v in values)

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            self.fail(unknown[0], "unknown field (typo?)")
