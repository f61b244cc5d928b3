"""The web watch list: which pages, sitemaps and feeds to poll, and how politely to fetch them.

Loaded once from YAML and validated up front, so a typo fails the run at start-up with the
offending key named, rather than as a fetch error on every URL.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

_ZERO_OK = frozenset({"max_redirects", "backoff", "backoff_cap", "max_retry_after"})


class WatchListError(ValueError):
    """The watch list file is not valid; the message names the key."""


@dataclass(slots=True, frozen=True)
class FetchSettings:
    """Every knob of the HTTP fetcher in one frozen object."""

    contact: str = "https://example.invalid/ingest"  # goes into the User-Agent
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # whole body, so a slow drip cannot hold a worker forever
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    attempts: int = 4  # tries per request on 429 / 5xx / connection errors, first included
    backoff: float = 1.0  # first retry waits up to this (full jitter), doubling each time
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is capped to this
    allow: tuple[str, ...] = ()  # hosts or CIDRs exempt from the private-address guard


@dataclass(slots=True, frozen=True)
class WatchList:
    """Page URLs fetched directly, plus sitemaps and feeds expanded to page URLs."""

    pages: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)


def load_watchlist(path: Path) -> WatchList:
    """Read and validate a watch list YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WatchListError(f"{path}: not valid YAML: {exc}") from None
    return parse_watchlist({} if data is None else data)


def parse_watchlist(data: object) -> WatchList:
    """Validate an already-loaded mapping; unknown keys are errors, not silently ignored."""
    doc = _mapping(data, "watch list")
    _no_unknown(doc, {"pages", "sitemaps", "feeds", "fetch"}, "watch list")
    return WatchList(
        pages=_urls(doc.get("pages"), "pages"),
        sitemaps=_urls(doc.get("sitemaps"), "sitemaps"),
        feeds=_urls(doc.get("feeds"), "feeds"),
        fetch=_settings(doc.get("fetch") or {}),
    )


def _settings(data: object) -> FetchSettings:
    doc = _mapping(data, "fetch")
    known = {f.name: f for f in fields(FetchSettings)}
    _no_unknown(doc, set(known), "fetch")
    values: dict[str, Any] = {}
    for name, value in doc.items():
        default = getattr(FetchSettings(), name)
        if name == "contact":
            values[name] = _url(value, "fetch.contact")
        elif name == "allow":
            values[name] = tuple(_allow_entry(v) for v in _list(value, "fetch.allow"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise WatchListError(f"fetch.{name}: expected a number, got {value!r}")
        elif value < 0 or (value == 0 and name not in _ZERO_OK):
            bound = ">= 0" if name in _ZERO_OK else "> 0"
            raise WatchListError(f"fetch.{name}: expected a number {bound}, got {value!r}")
        elif isinstance(default, int) and not isinstance(value, int):
            raise WatchListError(f"fetch.{name}: expected a whole number, got {value!r}")
        else:
            values[name] = type(default)(value)
    return FetchSettings(**values)


def _allow_entry(value: object) -> str:
    """A CIDR / address (normalised) or a bare host name (lower-cased)."""
    if not isinstance(value, str) or not value.strip():
        raise WatchListError(f"fetch.allow: expected a host or CIDR, got {value!r}")
    text = value.strip().lower()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        pass
    if "/" in text or ":" in text or " " in text:
        raise WatchListError(f"fetch.allow: {value!r} is neither a host name nor a CIDR")
    return text


def _urls(value: object, key: str) -> tuple[str, ...]:
    urls = tuple(_url(v, key) for v in _list(value, key))
    return tuple(dict.fromkeys(urls))


def _url(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise WatchListError(f"{key}: expected a URL string, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WatchListError(f"{key}: {value!r} is not an absolute http(s) URL")
    return value.strip()


def _list(value: object, key: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WatchListError(f"{key}: expected a list, got {type(value).__name__}")
    return value


def _mapping(value: object, key: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise WatchListError(f"{key}: expected a mapping, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _no_unknown(doc: dict[str, object], known: set[str], where: str) -> None:
    unknown = sorted(set(doc) - known)
    if unknown:
        raise WatchListError(f"{where}: unknown key(s) {', '.join(unknown)}")
