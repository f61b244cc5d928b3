"""A plain ``http.server`` on 127.0.0.1 in a thread, for tests that need an endpoint that
speaks HTTP (partner push receivers, pages to fetch): one helper, so each test writes only
its handler."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

Server = TypeVar("Server", bound=ThreadingHTTPServer)


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that keeps the test output free of request logs."""

    def log_message(self, *args: object) -> None:
        pass

    def reply(self, status: int) -> None:
        """An empty answer with ``status``."""
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler],
            server_class: type[Server] = ThreadingHTTPServer) -> Iterator[Server]:  # type: ignore[assignment]
    """``handler`` served at a free port until the block ends (stops within 50 ms)."""
    server = server_class(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
