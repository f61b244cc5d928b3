"""A webhook endpoint on 127.0.0.1 for the alert tests: it records each POST it is sent."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint: records each POST; answers with ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.status = 200

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({
            "path": self.path, "auth": self.headers.get("Authorization"),
            "json": json.loads(body), "raw": body.decode(),
        })
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Keep the test output quiet."""
