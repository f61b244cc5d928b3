"""The partner API on a real uvicorn server in a thread, and a client that speaks HTTP to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
import uvicorn

from ingest.api import create_app
from ingest.api.keys import create_key
from ingest.model import Article
from ingest.publish.articles import publish_versions
from ingest.publish.objectstore import ObjectStore
from ingest.publish.partners import ApiAccess, Filters, Partner, Rights
from ingest.registry import SQLRegistry


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` on 127.0.0.1 at a free port until the block ends; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def partner(pid: str, *, languages: Sequence[str] = (), providers: Sequence[str] = ("*",),
            per_minute: int = 1000, max_age: timedelta = timedelta(days=3650),
            pictures: bool = True) -> Partner:
    return Partner(id=pid, name=pid.title(), formats=("ninjs",), max_items=1000,
                   max_age=max_age, rights=Rights(providers=tuple(providers), pictures=pictures),
                   filters=Filters(languages=tuple(languages)), prefix=f"feeds/{pid}/",
                   api=ApiAccess(requests_per_minute=per_minute))


@dataclass
class Api:
    """A running API over ``registry`` and ``store``, and one key per partner."""

    url: str
    registry: SQLRegistry
    store: ObjectStore
    keys: dict[str, str]

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return requests.get(self.url + path, headers=headers, timeout=40, **kwargs)

    def feed(self, pid: str, **params: Any) -> requests.Response:
        return self.get("/v1/feed", self.keys[pid], params=params)

    def item(self, pid: str, uri: str, version: int | None = None) -> requests.Response:
        path = f"/v1/items/{quote(uri, safe='')}"
        return self.get(path + (f"/versions/{version}" if version else ""), self.keys[pid])

    def release(self, *articles: Article, at: datetime | None = None) -> None:
        """Record versions and publish them, as the ingest and partner_feeds DAGs do."""
        now = at or datetime.now(UTC)
        for article in articles:
            self.registry.record_version(article, raw_key=None, received_at=now)
        publish_versions(self.registry, self.store, now)


@contextmanager
def running_api(registry: SQLRegistry, store: ObjectStore, partners: Sequence[Partner],
                **options: Any) -> Iterator[Api]:
    keys = {p.id: create_key(registry, p.id, datetime.now(UTC))[1] for p in partners}
    with serving(create_app(registry, store, partners, **options)) as url:
        yield Api(url, registry, store, keys)
