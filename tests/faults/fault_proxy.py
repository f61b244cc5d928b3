"""A fault-injecting HTTP proxy on 127.0.0.1 in front of one upstream (moto's S3 server).

``script(method, path, number)`` decides each request's fate by its arrival number:
``None`` forwards it; ``"500"`` / ``"503"`` answer with an S3 error body (``SlowDown``
for 503); ``"reset"`` closes the socket without a reply; ``"stall"`` waits past the
client's read timeout before closing. Every request is logged with its fate.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Script = Callable[[str, str, int], str | None]
_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
}


@dataclass
class FaultProxy:
    upstream: str
    script: Script = lambda method, path, number: None
    stall_seconds: float = 3.0
    log: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, fate
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FaultProxy:
        proxy = self
        up = urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                with proxy._lock:
                    number = proxy._count
                    proxy._count += 1
                    fate = proxy.script(self.command, self.path, number)
                    proxy.log.append((self.command, self.path, fate or "ok"))
                if fate in _ERRORS:
                    status, code, message = _ERRORS[fate]
                    payload = (f"<Error><Code>{code}</Code><Message>{message}</Message>"
                               f"</Error>").encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fate in ("reset", "stall"):
                    if fate == "stall":
                        time.sleep(proxy.stall_seconds)
                    # SO_LINGER 0: the client sees a TCP reset, not a clean close
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    return
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = up.netloc
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
