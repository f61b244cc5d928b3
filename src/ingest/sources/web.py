"""Web pages as a source: a guarded, polite HTTP fetcher and the watch-list walker on top.

The fetcher is the only place ingest talks to arbitrary hosts, so it carries every limit:
an address guard against SSRF (checked on every connection, redirects included, against the
address actually connected to), timeouts, a size cap, a redirect limit and retries that
honour ``Retry-After``. ``WebSource`` turns the watch list into page URLs and yields the
pages that are new or changed since the last run, using conditional GETs.
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import random
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import partial
from importlib.metadata import version
from types import TracebackType
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError

from ingest.errors import IngestError, Reason
from ingest.sources.base import RawItem
from ingest.sources.retry import RETRYABLE_STATUS, RetryPolicy, retry_after_seconds
from ingest.sources.watchlist import FetchSettings, WatchList
from ingest.xmlsafe import parse_xml

__all__ = [
    "AddressGuard",
    "CursorFetchState",
    "FetchResult",
    "FetchState",
    "Fetcher",
    "RefusedURL",
    "WebSource",
    "detect_encoding",
    "feed_entries",
    "sitemap_entries",
]

Entry = tuple[str, datetime | None]  # a page URL and when its listing says it last changed
_T = TypeVar("_T")


class RefusedURL(IngestError):
    """The URL points somewhere ingest must not go (scheme or address); nothing was sent."""

    def __init__(self, detail: str) -> None:
        super().__init__(Reason.FETCH_FAILED, detail)


# --- address guard -------------------------------------------------------------------------

# Most specific first: ipaddress counts loopback and link-local as private too.
_BLOCKED_KINDS = ("loopback", "link_local", "unspecified", "multicast", "reserved", "private")


class AddressGuard:
    """Says which addresses a host may be reached at: public ones, or those allow-listed.

    ``allow`` holds host names (exempt whatever they resolve to) and CIDRs (exempt
    addresses inside them), for local demos and tests.
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._hosts: set[str] = set()
        self._nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self._nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._hosts.add(entry.lower().rstrip("."))

    def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once and return its addresses, or raise ``RefusedURL``.

        Every address must pass: a name that resolves to one public and one private
        address is refused, so the order a client tries them in cannot matter.
        """
        name = host.strip("[]").rstrip(".").lower()
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise IngestError(Reason.FETCH_FAILED, f"cannot resolve {name!r}: {exc}") from None
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not found:
            raise IngestError(Reason.FETCH_FAILED, f"{name!r} resolves to no address")
        if name not in self._hosts:
            for address in found:
                why = self.refusal(address)
                if why:
                    raise RefusedURL(
                        f"refused {name}: resolves to {address} ({why}); "
                        "list it in fetch.allow to permit"
                    )
        return found

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be contacted, or None if it may."""
        ip = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 to the kernel
        if any(ip in net for net in self._nets):
            return None
        for kind in _BLOCKED_KINDS:
            if getattr(ip, f"is_{kind}"):
                return kind.replace("_", "-")
        return None if ip.is_global else "not globally routable"


def _connect_checked(
    conn: HTTPConnection, guard: AddressGuard, connect: Callable[[], socket.socket]
) -> socket.socket:
    """Open ``conn``'s socket to an address the guard approved, never re-resolving the name.

    urllib3 connects to ``_dns_host``; pointing it at the checked address for the duration
    of the connect keeps ``host`` (Host header, TLS SNI and certificate check) the name.
    """
    name = conn._dns_host
    last: ConnectTimeoutError | None = None
    for address in guard.addresses(name, conn.port):
        conn._dns_host = address
        try:
            return connect()
        except ConnectTimeoutError as exc:  # NewConnectionError too: try the next address
            last = exc
        finally:
            conn._dns_host = name
    assert last is not None  # addresses() never returns an empty list
    raise last


class _GuardedAdapter(HTTPAdapter):
    """A transport whose every connection goes through ``_connect_checked``."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard  # set before super().__init__, which builds the pool manager
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        guard = self._guard

        class _HTTP(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                return _connect_checked(self, guard, super()._new_conn)

        class _HTTPS(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                return _connect_checked(self, guard, super()._new_conn)

        class _HTTPPool(HTTPConnectionPool):
            ConnectionCls = _HTTP

        class _HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = _HTTPS

        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


# --- fetcher -------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class FetchResult:
    """One GET after redirects: the final URL, raw bytes and how to decode them.

    A 304 has empty ``data`` and no ``encoding``.
    """

    url: str
    status: int
    data: bytes
    encoding: str | None
    headers: dict[str, str]  # lower-cased names
    etag: str | None
    last_modified: str | None

    @property
    def text(self) -> str:
        return self.data.decode(self.encoding or "utf-8", errors="replace")


_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes, content_type: str | None) -> str:
    """Charset of an HTML page: BOM, then the HTTP header, then ``<meta>``, then detection.

    A byte-order mark is unambiguous, so it wins (as browsers do); a declared name that
    Python does not know is skipped rather than trusted.
    """
    declared = [name for bom, name in _BOMS if data.startswith(bom)]
    if content_type:
        header = Message()
        header["content-type"] = content_type
        declared.append(str(header.get_param("charset") or ""))
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared.append(match.group(1).decode("ascii"))
    for name in declared:
        try:
            return codecs.lookup(name.strip()).name
        except LookupError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    return codecs.lookup(best.encoding).name if best is not None else "utf-8"


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Fetcher:
    """GETs a URL within every limit of ``FetchSettings``; failures raise ``IngestError``.

    ``sleep`` and ``rng`` are injected so tests can drive retries without waiting.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._policy = RetryPolicy(
            attempts=settings.attempts,
            base=settings.backoff,
            cap=settings.backoff_cap,
            max_retry_after=settings.max_retry_after,
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.session = requests.Session()
        self.session.trust_env = False  # an environment proxy would resolve names past the guard
        adapter = _GuardedAdapter(AddressGuard(settings.allow))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"ingest/{version('ingest')} (+{settings.contact})"

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``, following redirects ourselves so each hop's scheme is checked too."""
        headers = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        conditional = {k: v for k, v in headers.items() if v}
        current = url
        for _ in range(self.settings.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise RefusedURL(f"refused {current!r}: only absolute http(s) URLs are fetched")
            response = self._get(current, conditional)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                response.close()
                current = urljoin(current, response.headers["location"])
                continue
            return self._read(current, response)
        raise IngestError(
            Reason.FETCH_FAILED, f"GET {url}: more than {self.settings.max_redirects} redirects"
        )

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        """One hop, retried on 429 / 5xx / connection trouble."""
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        failure = ""
        wait: float | None = None  # the server's Retry-After, capped
        for attempt in range(self._policy.attempts):
            if attempt:
                self._sleep(self._policy.delay(attempt - 1, wait, self._rng))
                wait = None
            try:
                response = self.session.get(
                    url, headers=headers, stream=True, allow_redirects=False, timeout=timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure = f"{type(exc).__name__}: {exc}"
                continue
            except (requests.RequestException, ValueError) as exc:
                raise IngestError(Reason.FETCH_FAILED, f"GET {url}: {exc}") from None
            if response.status_code not in RETRYABLE_STATUS:
                return response
            failure = f"HTTP {response.status_code}"
            after = retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
            if after is not None:
                wait = min(after, self._policy.max_retry_after)
            response.close()
        raise IngestError(
            Reason.FETCH_FAILED,
            f"GET {url}: {failure}; gave up after {self._policy.attempts} attempt(s)",
        )

    def _read(self, url: str, response: requests.Response) -> FetchResult:
        """Stream the body within the size cap and the total deadline."""
        limit = self.settings.max_bytes
        with response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            status = response.status_code
            if status not in (200, 304):
                raise IngestError(Reason.FETCH_FAILED, f"GET {url}: HTTP {status}")
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise IngestError(
                    Reason.TOO_LARGE, f"GET {url}: Content-Length {declared} > {limit} bytes"
                )
            body = bytearray()
            deadline = time.monotonic() + self.settings.total_timeout
            try:
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise IngestError(Reason.TOO_LARGE, f"GET {url}: body > {limit} bytes")
                    if time.monotonic() > deadline:
                        raise IngestError(
                            Reason.FETCH_FAILED,
                            f"GET {url}: body took over {self.settings.total_timeout:g}s",
                        )
            except requests.RequestException as exc:
                raise IngestError(Reason.FETCH_FAILED, f"GET {url}: reading body: {exc}") from None
        data = bytes(body)
        return FetchResult(
            url=url,
            status=status,
            data=data,
            encoding=detect_encoding(data, headers.get("content-type")) if status == 200 else None,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )


# --- sitemaps and feeds --------------------------------------------------------------------


def sitemap_entries(data: bytes, base: str, *, max_bytes: int) -> tuple[bool, list[Entry]]:
    """``(is_index, entries)`` of an XML sitemap or sitemap index (gzipped or not)."""
    root = parse_xml(_gunzip(data, max_bytes) if data[:2] == b"\x1f\x8b" else data)
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise IngestError(Reason.UNKNOWN_FORMAT, f"{base}: <{kind}> is not a sitemap")
    entries: list[Entry] = []
    for child in root:
        loc, lastmod = _child_text(child, "loc"), _child_text(child, "lastmod")
        if loc:
            entries.append((urljoin(base, loc), _parse_date(lastmod)))
    return kind == "sitemapindex", entries


def feed_entries(data: bytes, base: str) -> list[Entry]:
    """Links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed's items, with their update time."""
    root = parse_xml(data)
    entries: list[Entry] = []
    for item in root.iter():
        if not isinstance(item.tag, str) or etree.QName(item).localname not in ("item", "entry"):
            continue
        link = _feed_link(item)
        if link:
            when = next(
                (d for tag in _DATE_TAGS if (d := _parse_date(_child_text(item, tag)))), None
            )
            entries.append((urljoin(base, link), when))
    return entries


_DATE_TAGS = ("updated", "modified", "pubDate", "date", "published")


def _feed_link(item: etree._Element) -> str | None:
    """Atom's ``<link rel="alternate" href>`` (rel absent counts) or RSS's ``<link>text``."""
    for child in item:
        if not isinstance(child.tag, str) or etree.QName(child).localname != "link":
            continue
        if child.get("href") is not None:
            if child.get("rel", "alternate") == "alternate":
                return child.get("href", "").strip() or None
        elif child.text and child.text.strip():
            return child.text.strip()
    return None


def _child_text(element: etree._Element, localname: str) -> str | None:
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == localname:
            return (child.text or "").strip() or None
    return None


def _parse_date(text: str | None) -> datetime | None:
    """W3C datetime (sitemaps, Atom) or RFC 822 (RSS); naive values are taken as UTC."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate a ``.xml.gz`` sitemap, refusing a bomb that inflates past ``limit``."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise IngestError(Reason.MALFORMED_XML, f"bad gzip: {exc}") from None
    if inflater.unconsumed_tail:
        raise IngestError(Reason.TOO_LARGE, f"gzip inflates past {limit} bytes")
    return out


# --- state and the source ------------------------------------------------------------------


class FetchState(Protocol):
    """What ``WebSource`` remembers per URL between runs (validators and ``lastmod``)."""

    def get(self, url: str) -> dict[str, str] | None: ...

    def set(self, url: str, value: dict[str, str]) -> None: ...


class _Cursors(Protocol):
    def get_cursor(self, source: str) -> str | None: ...

    def set_cursor(self, source: str, value: str) -> None: ...


class CursorFetchState:
    """``FetchState`` kept in the registry's cursors as JSON under ``web:<url>``."""

    def __init__(self, cursors: _Cursors) -> None:
        self._cursors = cursors

    def get(self, url: str) -> dict[str, str] | None:
        raw = self._cursors.get_cursor(f"web:{url}")
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None  # unreadable state only costs one unconditional GET
        if not isinstance(value, dict):
            return None
        return {str(k): str(v) for k, v in value.items()}

    def set(self, url: str, value: dict[str, str]) -> None:
        self._cursors.set_cursor(f"web:{url}", json.dumps(value, sort_keys=True))


class WebSource:
    """Yields pages from the watch list that are new or changed since the last run.

    Failures of single URLs (pages, sitemaps, feeds) land in ``failures`` and the walk
    goes on. A page's state is saved only after the consumer asks for the next item, so
    a crash while storing a page means it is fetched again, not lost.
    """

    source = "web"

    def __init__(self, watchlist: WatchList, fetcher: Fetcher, state: FetchState) -> None:
        self.watchlist = watchlist
        self.fetcher = fetcher
        self.state = state
        self.failures: list[tuple[str, IngestError]] = []

    def fetch(self) -> Iterator[RawItem]:
        self.failures = []
        seen: set[str] = set()
        for url, lastmod in self._targets():
            if url in seen:
                continue
            seen.add(url)
            before = self.state.get(url) or {}
            known = _parse_date(before.get("lastmod"))
            if lastmod and known and lastmod <= known:
                continue  # the sitemap or feed says it has not changed: save the request
            try:
                result = self.fetcher.fetch(
                    url, etag=before.get("etag"), last_modified=before.get("last_modified")
                )
            except IngestError as exc:
                self.failures.append((url, exc))
                continue
            after = dict(before) if result.status == 304 else {}
            fresh = {
                "etag": result.etag,
                "last_modified": result.last_modified,
                "lastmod": lastmod.isoformat() if lastmod else None,
            }
            after.update({k: v for k, v in fresh.items() if v})
            if result.status == 200:
                yield RawItem(source=self.source, name=result.url, data=result.data, fmt="html")
            self.state.set(url, after)

    def _targets(self) -> Iterator[Entry]:
        for url in self.watchlist.pages:
            yield url, None
        for url in self.watchlist.sitemaps:
            yield from self._sitemap(url)
        for url in self.watchlist.feeds:
            yield from self._listing(url, feed_entries) or []

    def _sitemap(self, url: str, *, nested: bool = False) -> list[Entry]:
        """Pages of a sitemap; an index is followed one level (the protocol allows no more)."""
        parse = partial(sitemap_entries, max_bytes=self.fetcher.settings.max_bytes)
        is_index, entries = self._listing(url, parse) or (False, [])
        if not is_index:
            return entries
        if nested:
            problem = IngestError(Reason.UNSUPPORTED_ITEM, f"{url}: sitemap index inside an index")
            self.failures.append((url, problem))
            return []
        return [page for child, _ in entries for page in self._sitemap(child, nested=True)]

    def _listing(self, url: str, parse: Callable[[bytes, str], _T]) -> _T | None:
        """Fetch a sitemap or feed (in full: a 304 would leave no page list) and parse it."""
        try:
            result = self.fetcher.fetch(url)
            return parse(result.data, result.url)
        except IngestError as exc:
            self.failures.append((url, exc))
            return None
