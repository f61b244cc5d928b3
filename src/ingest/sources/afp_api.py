"""AFP API Core: one time window of documents, searched over OAuth2, one raw item per doc.

The window always comes from the caller (the DAG's data interval), never from ``now()``,
so a rerun of a window asks for exactly the same documents. Documents are kept in the
half-open window ``[start, end)`` so adjacent windows never both carry a document
published on their shared boundary.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import requests

from ingest.sources.base import RawItem
from ingest.sources.retry import (
    RETRYABLE_STATUS,
    BudgetExhausted,
    RetryPolicy,
    TokenBucket,
    retry_after_seconds,
)

if TYPE_CHECKING:  # the budget's Redis and registry clients load only where one is made
    from ingest.sources.budget import RequestBudget

__all__ = [
    "MAX_ROWS_LIMIT",
    "SOURCE",
    "AFPAPIClient",
    "AFPAPIConfig",
    "AFPAPIError",
    "BudgetExhausted",
    "Secret",
    "Timeouts",
]

log = logging.getLogger(__name__)

SOURCE = "afp-api"
MAX_ROWS_LIMIT = 1000
_REDACTED = "********"
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Secret:
    """A credential that never shows itself in reprs, logs or tracebacks; ``reveal()`` to use."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED}')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(slots=True, frozen=True)
class Timeouts:
    """Seconds to connect and to wait between bytes of a response; every call has both."""

    connect: float = 5.0
    read: float = 30.0


class ConnectionLike(Protocol):
    """What ``from_connection`` reads from an Airflow connection (or anything shaped so)."""

    @property
    def host(self) -> str | None: ...
    @property
    def schema(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def login(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def extra_dejson(self) -> dict[str, Any]: ...


@dataclass(slots=True, frozen=True)
class AFPAPIConfig:
    """Where and as whom to search, what to ask for, and how politely."""

    base_url: str
    username: str
    password: Secret
    client_id: str
    client_secret: Secret
    langs: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    max_rows: int = MAX_ROWS_LIMIT
    timeouts: Timeouts = Timeouts()
    budget: int = 5000  # requests per hour, client side
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_malformed: int = 2  # malformed JSON bodies retried per call before giving up
    refresh_margin: float = 60.0  # refresh the access token this many seconds before expiry

    def __post_init__(self) -> None:
        if urlparse(self.base_url).scheme not in {"http", "https"}:
            raise ValueError(f"AFP base URL must be http(s): {self.base_url!r}")
        if not 1 <= self.max_rows <= MAX_ROWS_LIMIT:
            raise ValueError(f"max_rows must be within 1..{MAX_ROWS_LIMIT}, not {self.max_rows}")
        if self.budget < 1 or self.max_malformed < 0:
            raise ValueError("budget must be >= 1 and max_malformed >= 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> AFPAPIConfig:
        """Read ``INGEST_AFP_*``; a missing variable is named in the error, never its value."""
        env = os.environ if environ is None else environ
        required = ("BASE_URL", "USERNAME", "PASSWORD", "CLIENT_ID", "CLIENT_SECRET")
        missing = [f"INGEST_AFP_{name}" for name in required if not env.get(f"INGEST_AFP_{name}")]
        if missing:
            raise ValueError(f"missing AFP API settings: {', '.join(missing)}")
        settings: dict[str, Any] = {
            "base_url": env["INGEST_AFP_BASE_URL"],
            "username": env["INGEST_AFP_USERNAME"],
            "password": Secret(env["INGEST_AFP_PASSWORD"]),
            "client_id": env["INGEST_AFP_CLIENT_ID"],
            "client_secret": Secret(env["INGEST_AFP_CLIENT_SECRET"]),
            "langs": _split(env.get("INGEST_AFP_LANGS")),
            "products": _split(env.get("INGEST_AFP_PRODUCTS")),
        }
        return cls(**(settings | overrides))

    @classmethod
    def from_connection(cls, conn: ConnectionLike, **overrides: Any) -> AFPAPIConfig:
        """Build from an Airflow connection: host, login/password, extras for the client."""
        extra = conn.extra_dejson
        host = conn.host or ""
        if "://" not in host:
            port = f":{conn.port}" if conn.port else ""
            host = f"{conn.schema or 'https'}://{host}{port}"
        missing = [
            name for name, value in (
                ("host", conn.host), ("login", conn.login), ("password", conn.password),
                ("client_id", extra.get("client_id")),
                ("client_secret", extra.get("client_secret")),
            ) if not value
        ]
        if missing:
            raise ValueError(f"AFP API connection lacks: {', '.join(missing)}")
        settings: dict[str, Any] = {
            "base_url": host,
            "username": conn.login,
            "password": Secret(str(conn.password)),
            "client_id": str(extra["client_id"]),
            "client_secret": Secret(str(extra["client_secret"])),
            "langs": _split(extra.get("langs")),
            "products": _split(extra.get("products")),
        }
        return cls(**(settings | overrides))


class AFPAPIError(RuntimeError):
    """The API could not be used for this window; the message is safe to log."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _Token:
    access: Secret
    refresh: Secret | None
    expires_at: float  # on the client's monotonic clock


@dataclass(slots=True)
class _Page:
    """Where the next search page starts: a lower date bound, an offset, what was seen there."""

    lower: str
    start_at: int = 0
    seen: set[str] = field(default_factory=set)


class AFPAPIClient:
    """Searches AFP API Core and yields each document of a window exactly once.

    Paging moves the lower date bound to the last document's ``published`` second and
    skips the documents already yielded at that second, so documents sharing a timestamp
    across a page boundary are neither lost nor repeated; a page made only of one second
    (more than ``max_rows`` documents in it) falls back to ``startAt`` within that second.
    """

    def __init__(
        self,
        config: AFPAPIConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.config = config
        self._session = session or requests.Session()
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock  # only to read Retry-After given as an HTTP date
        self._rng = rng or random.Random()
        # The budget every worker shares (``Runtime.afp_budget``), else this client's own.
        self._bucket = budget or TokenBucket(config.budget, 3600.0, clock=clock)
        self._token: _Token | None = None
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"AFPAPIClient({self.config.base_url!r}, user={self.config.username!r})"

    def __enter__(self) -> AFPAPIClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def fetch(self, start: datetime, end: datetime) -> Iterator[RawItem]:
        """Every document published in ``[start, end)``, as canonical JSON bytes."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("the window needs timezone-aware datetimes")
        if end <= start:
            raise ValueError(f"empty window: {start.isoformat()} .. {end.isoformat()}")
        began, sent_before, count = self._clock(), self.requests_sent, 0
        log.info("afp-api: searching %s .. %s", start.isoformat(), end.isoformat())
        for doc in self._search(start, end):
            count += 1
            yield RawItem(SOURCE, f"{SOURCE}:{doc.get('uno', '')}", _canonical(doc), SOURCE)
        log.info(
            "afp-api: %d documents in %s .. %s with %d requests in %.1fs",
            count, start.isoformat(), end.isoformat(),
            self.requests_sent - sent_before, self._clock() - began,
        )

    def _search(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        page = _Page(_stamp(start))
        upper = _stamp(end, ceil=True)
        while True:
            docs = self._search_page(self._query(page, upper))
            for doc in docs:
                if doc.get("uno") in page.seen:
                    continue
                published = published_time(doc)
                if published is None or start <= published < end:
                    yield doc
            if len(docs) < self.config.max_rows:
                return
            page = self._next_page(page, docs)

    def _next_page(self, page: _Page, docs: list[dict[str, Any]]) -> _Page:
        last = published_time(docs[-1])
        if last is None:
            raise AFPAPIError("cannot page: the last document of a full page has no 'published'")
        lower = _stamp(last)
        at_lower = {
            str(doc.get("uno")) for doc in docs
            if (published := published_time(doc)) is not None and _stamp(published) == lower
        }
        if lower == page.lower:  # a whole page inside one second: step by offset
            return _Page(lower, page.start_at + len(docs), page.seen | at_lower)
        return _Page(lower, 0, at_lower)

    def _query(self, page: _Page, upper: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "dateRange": {"from": page.lower, "to": upper},
            "maxRows": self.config.max_rows,
            "sortField": "published",
            "sortOrder": "asc",
            "startAt": page.start_at,
        }
        if self.config.langs:
            body["lang"] = ",".join(self.config.langs)
        if self.config.products:
            body["query"] = {"and": [{"name": "product", "in": list(self.config.products)}]}
        return body

    def _search_page(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        payload = self._call("/v1/api/search?wt=json", what="search", json_body=body, bearer=True)
        response = payload.get("response")
        if not isinstance(response, dict):
            raise AFPAPIError("search answered without a 'response' object")
        status = response.get("status", {})
        if isinstance(status, dict) and status.get("code", 0) != 0:
            raise AFPAPIError(f"search refused: {self._redact(str(status))[:300]}")
        docs = response.get("docs", [])
        if not isinstance(docs, list) or not all(isinstance(doc, dict) for doc in docs):
            raise AFPAPIError("search answered 'docs' that is not a list of objects")
        return docs

    def authorization(self) -> str:
        """The ``Authorization`` value for AFP's own host (renditions), token kept fresh."""
        return self._authorization()

    def _authorization(self) -> str:
        if self._token is None:
            self._token = self._password_grant()
        elif self._clock() >= self._token.expires_at - self.config.refresh_margin:
            self._token = self._refresh_grant(self._token)
        return f"Bearer {self._token.access.reveal()}"

    def _password_grant(self) -> _Token:
        return self._grant({
            "grant_type": "password",
            "username": self.config.username,
            "password": self.config.password.reveal(),
        })

    def _refresh_grant(self, token: _Token) -> _Token:
        if token.refresh is None:
            return self._password_grant()
        try:
            form = {"grant_type": "refresh_token", "refresh_token": token.refresh.reveal()}
            return self._grant(form)
        except AFPAPIError as exc:
            if exc.status not in {400, 401}:
                raise
            log.info("afp-api: refresh token refused (HTTP %s); signing in again", exc.status)
            return self._password_grant()

    def _grant(self, form: dict[str, str]) -> _Token:
        payload = self._call("/oauth/token", what=f"token ({form['grant_type']})", form=form)
        access, refresh = payload.get("access_token"), payload.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise AFPAPIError("token endpoint answered without an access_token")
        try:
            lifetime = float(payload.get("expires_in", 0))
        except (TypeError, ValueError):
            lifetime = 0.0
        log.debug("afp-api: token granted (%s), valid %.0fs", form["grant_type"], lifetime)
        return _Token(
            Secret(access),
            Secret(refresh) if isinstance(refresh, str) and refresh else None,
            self._clock() + lifetime,
        )

    def _call(
        self, path: str, *, what: str, form: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None, bearer: bool = False,
    ) -> dict[str, Any]:
        """One POST with budget, timeouts, retries, and one re-authentication on 401."""
        policy = self.config.retry
        url = self.config.base_url.rstrip("/") + path
        auth = None if bearer else (self.config.client_id, self.config.client_secret.reveal())
        attempt = malformed = 0
        reauthenticated = False
        while True:
            headers = {"Accept": "application/json"}
            if bearer:
                headers["Authorization"] = self._authorization()
            self._bucket.take()
            self.requests_sent += 1
            retry_after: float | None = None
            try:
                response = self._session.post(
                    url, data=form, json=json_body, auth=auth, headers=headers,
                    timeout=(self.config.timeouts.connect, self.config.timeouts.read),
                )
            except _TRANSIENT as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))[:300]}"
            else:
                with response:
                    status = response.status_code
                    if status == 401 and bearer and not reauthenticated:
                        reauthenticated = True
                        log.info("afp-api: %s answered 401; refreshing the token", what)
                        self._expire_token()
                        continue
                    if status in RETRYABLE_STATUS:
                        problem = f"HTTP {status}"
                        retry_after = retry_after_seconds(
                            response.headers.get("Retry-After"), self._wall_clock()
                        )
                    elif status != 200:
                        detail = self._redact(response.text[:300])
                        raise AFPAPIError(f"{what} failed: HTTP {status}: {detail}", status=status)
                    else:
                        try:
                            payload = response.json()
                        except ValueError:
                            payload = None
                        if isinstance(payload, dict):
                            return payload
                        malformed += 1
                        if malformed > self.config.max_malformed:
                            raise AFPAPIError(
                                f"{what}: malformed JSON body {malformed} times in a row; giving up"
                            )
                        problem = "malformed JSON body"
            attempt += 1
            if attempt >= policy.attempts:
                raise AFPAPIError(f"{what} failed after {attempt} attempts: {problem}")
            if retry_after is not None and retry_after > policy.max_retry_after:
                raise AFPAPIError(
                    f"{what}: server asks to wait {retry_after:.0f}s "
                    f"(more than {policy.max_retry_after:.0f}s); retry later"
                )
            delay = policy.delay(attempt - 1, retry_after, self._rng)
            log.warning(
                "afp-api: %s: %s; retry %d of %d in %.2fs",
                what, problem, attempt, policy.attempts - 1, delay,
            )
            self._sleep(delay)

    def _expire_token(self) -> None:
        if self._token is not None:
            self._token.expires_at = float("-inf")

    def _redact(self, text: str) -> str:
        """Text from a server or an exception with every known secret blanked out."""
        secrets = [self.config.password.reveal(), self.config.client_secret.reveal()]
        if self._token is not None:
            secrets.append(self._token.access.reveal())
            if self._token.refresh is not None:
                secrets.append(self._token.refresh.reveal())
        for secret in secrets:
            if secret:
                text = text.replace(secret, _REDACTED)
        return text


def _split(value: object) -> tuple[str, ...]:
    """``"en, fr"`` or ``["en", "fr"]`` -> ``("en", "fr")``."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list | tuple):
        parts = [str(part) for part in value]
    else:
        parts = []
    return tuple(part.strip() for part in parts if part.strip())


def published_time(doc: Mapping[str, Any]) -> datetime | None:
    """A search result's ``published`` instant (None if absent or not ISO 8601): the
    windows' and the poll trigger's high-water mark."""
    value = doc.get("published")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _stamp(moment: datetime, *, ceil: bool = False) -> str:
    """The API's second-resolution UTC form; ``ceil`` rounds up so the bound stays inclusive."""
    moment = moment.astimezone(UTC)
    if ceil and moment.microsecond:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
