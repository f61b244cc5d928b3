"""Fetching a picture rendition's bytes from where its item came from.

Each source reaches its items' pictures its own way: a drop folder has the files beside
the item (``StoreFiles``), AFP's API serves renditions behind its OAuth2 token
(``AFPFiles``: the token goes to the API's own host only), and a web page's images are
plain http(s) behind the address guard (``WebFiles``, over ``sources.web.Fetcher``, whose
retries follow ``sources.retry``). Every fetcher stops at the byte cap it is given and
raises ``IngestError`` for anything it cannot or must not fetch.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from ingest.errors import IngestError, Reason
from ingest.model import is_file_ref, is_web_url
from ingest.publish.objectstore import ObjectNotFound, ObjectStore
from ingest.sources.retry import RETRYABLE_STATUS, RetryPolicy, retry_after_seconds
from ingest.sources.web import Fetcher

__all__ = ["AFPFiles", "StoreFiles", "WebFiles"]


class StoreFiles:
    """Files beside the items in a drop store: a path relative to it, or an ``s3://`` key
    inside its own bucket and prefix (never another bucket: the store's credentials must
    not fetch what an item merely names). Archive members (``a.zip!x.jpg``) are refused."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def handles(self, href: str) -> bool:
        return is_file_ref(href)

    def fetch(self, href: str, max_bytes: int) -> bytes:
        key = self._key(href)
        try:
            info = self.store.head(key)
            if info is not None and info.size > max_bytes:
                raise IngestError(Reason.TOO_LARGE, f"{href}: {info.size} > {max_bytes} bytes")
            return self.store.get(key)
        except ObjectNotFound:
            raise IngestError(Reason.FETCH_FAILED, f"{href}: no such file") from None
        except ValueError as exc:  # a key the store refuses (``..``, ``!``, odd bytes)
            raise IngestError(Reason.FETCH_FAILED, f"{href}: {exc}") from None

    def _key(self, href: str) -> str:
        if not is_file_ref(href):
            raise IngestError(Reason.FETCH_FAILED, f"{href}: not a file beside the item")
        if href[:5].lower() != "s3://":
            return href
        root = self.store.url
        if not href.startswith(root) or not root.startswith("s3://"):
            raise IngestError(Reason.FETCH_FAILED, f"{href}: outside the drop store {root}")
        return href[len(root):]


class WebFiles:
    """Images of web pages over the guarded fetcher (its own size cap applies too)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def handles(self, href: str) -> bool:
        return is_web_url(href)

    def fetch(self, href: str, max_bytes: int) -> bytes:
        if not is_web_url(href):
            raise IngestError(Reason.FETCH_FAILED, f"{href}: not an http(s) URL")
        return self.fetcher.fetch(href).data


class AFPFiles:
    """AFP renditions with the API's bearer token, retried like the API's own calls.

    ``authorization`` gives the current ``Authorization`` header value (the client's
    token, refreshed as it expires); it is sent to ``api_host`` only.
    """

    def __init__(
        self, authorization: Callable[[], str], api_host: str, *,
        session: requests.Session | None = None, policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
    ) -> None:
        self.authorization = authorization
        self.api_host = api_host.lower()
        self.session = session or requests.Session()
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep
        self.rng = rng or random.Random()

    def handles(self, href: str) -> bool:
        parts = urlsplit(href)
        return parts.scheme in ("http", "https") and (parts.hostname or "") == self.api_host

    def fetch(self, href: str, max_bytes: int) -> bytes:
        if not self.handles(href):
            raise IngestError(Reason.FETCH_FAILED, f"{href}: not on AFP's API host")
        failure, wait = "", None
        for attempt in range(self.policy.attempts):
            if attempt:
                self.sleep(self.policy.delay(attempt - 1, wait, self.rng))
            try:
                response = self.session.get(
                    href, headers={"Authorization": self.authorization()}, stream=True,
                    timeout=self.timeout, allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure, wait = type(exc).__name__, None
                continue
            with response:
                if response.status_code not in RETRYABLE_STATUS:
                    return _capped(href, response, max_bytes)
                failure = f"HTTP {response.status_code}"
                wait = retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
                if wait is not None:
                    wait = min(wait, self.policy.max_retry_after)
        raise IngestError(Reason.FETCH_FAILED,
                          f"{href}: {failure}; gave up after {self.policy.attempts} attempt(s)")


def _capped(href: str, response: requests.Response, max_bytes: int) -> bytes:
    """A 200's body, read no further than ``max_bytes``."""
    if response.status_code != 200:
        raise IngestError(Reason.FETCH_FAILED, f"{href}: HTTP {response.status_code}")
    body = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > max_bytes:
                raise IngestError(Reason.TOO_LARGE, f"{href}: body > {max_bytes} bytes")
    except requests.RequestException as exc:
        raise IngestError(Reason.FETCH_FAILED, f"{href}: reading body: {exc}") from None
    return bytes(body)
