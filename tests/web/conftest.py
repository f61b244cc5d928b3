"""A real local HTTP server with per-path handlers, and a fetcher allowed to reach it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ingest.sources.watchlist import FetchSettings
from ingest.sources.web import Fetcher

Route = Callable[[BaseHTTPRequestHandler], None]

# Every socket.connect in this process, while a test records: proof that a refused URL
# was refused before any packet left (an audit hook cannot be removed, so it is installed once).
CONNECTS: list[Any] = []
_RECORDING = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _RECORDING.is_set():
        CONNECTS.append(args[1])


sys.addaudithook(_audit)


@pytest.fixture
def connects() -> Iterator[list[Any]]:
    CONNECTS.clear()
    _RECORDING.set()
    yield CONNECTS
    _RECORDING.clear()


@dataclass
class Site:
    """The server's routes and what it was asked: ``hits`` holds (path, headers)."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.hits]

    def serve(
        self, path: str, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        """A fixed answer at ``path``."""
        self.routes[path] = lambda h: Site.respond(h, status, body, headers)

    @staticmethod
    def respond(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        length: bool = True,
    ) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def site() -> Iterator[Site]:
    holder: list[Site] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            current = holder[0]
            path = self.path.split("?")[0]
            current.hits.append((path, {k.lower(): v for k, v in self.headers.items()}))
            route = current.routes.get(path)
            if route is None:
                Site.respond(self, 404, b"not here")
            else:
                route(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Site(port=server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_fetcher(sleeps: list[float]) -> Iterator[Callable[..., Fetcher]]:
    """Fetchers allowed to reach 127.0.0.1 unless ``allow`` says otherwise; closed after."""
    made: list[Fetcher] = []

    def make(**overrides: Any) -> Fetcher:
        settings: dict[str, Any] = {
            "contact": "https://example.org/ingest-bot",
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "attempts": 3,
            "backoff": 0.5,
            "allow": ("127.0.0.1",),
        }
        settings.update(overrides)
        made.append(Fetcher(FetchSettings(**settings), sleep=sleeps.append))
        return made[-1]

    yield make
    for f in made:
        f.close()


@pytest.fixture
def fetcher(make_fetcher: Callable[..., Fetcher]) -> Fetcher:
    return make_fetcher()
