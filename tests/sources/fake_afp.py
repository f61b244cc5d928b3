"""A fake AFP API Core over real HTTP on 127.0.0.1, speaking the documented shapes.

Faults are scripted per search request (by arrival number) so a test can say "the second
search gets a 401 'Access token expired', the third a 429" and then check what was sent.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class FakeAFP:
    docs: list[dict[str, Any]]
    client_id: str = "client-1"
    client_secret: str = "s3cret-client-Z9"
    username: str = "alice"
    password: str = "pa55word-Q7!"
    expires_in: int = 100
    faults: dict[int, str] = field(default_factory=dict)  # search number -> fault
    retry_after: str = "7"
    stall_seconds: float = 0.5
    shuffle_ties: bool = True  # alternate the order of documents sharing a timestamp
    seen: list[Seen] = field(default_factory=list)
    _access: set[str] = field(default_factory=set)
    _refresh: set[str] = field(default_factory=set)
    _issued: int = 0
    _searches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAFP:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers, payload, stall = fake.handle(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                if stall:
                    time.sleep(fake.stall_seconds)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (the timeout fault)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def token_calls(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == "/oauth/token"]

    def search_calls(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.path.startswith("/v1/api/search")]

    def handle(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, bool]:
        with self._lock:
            self.seen.append(Seen(path, headers, body))
            if path == "/oauth/token":
                return (*self._token(headers, body), False)
            if urlsplit(path).path == "/v1/api/search":
                number = self._searches
                self._searches += 1
                return self._search(number, path, headers, body)
        return 404, {}, b"{}", False

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("authorization") != f"Basic {basic}":
            return _json(401, {"error": "invalid_client"})
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                # echoes what it got, as careless servers do: the client must redact it
                detail = f"bad credentials {form.get('username')}:{form.get('password')}"
                return _json(401, {"error": "invalid_grant", "error_description": detail})
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh:
                return _json(400, {"error": "invalid_grant"})
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        self._issued += 1
        access, refresh = f"acc-{self._issued}", f"ref-{self._issued}"
        self._access.add(access)
        self._refresh.add(refresh)
        return _json(
            200, {"access_token": access, "refresh_token": refresh, "expires_in": self.expires_in}
        )

    def _search(
        self, number: int, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, bool]:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        fault = self.faults.get(number)
        if fault == "expire":
            self._access.discard(token)
        if token not in self._access:
            return (*_json(401, {"error": {"code": 401, "message": "Access token expired"}}), False)
        if fault == "429":
            return 429, {"Retry-After": self.retry_after}, b"{}", False
        if fault == "503":
            return 503, {}, b"<html>busy</html>", False
        if fault == "malformed":
            return 200, {"Content-Type": "application/json"}, b'{"response": {"docs": [', False
        if parse_qs(urlsplit(path).query).get("wt") != ["json"]:
            return (*_json(400, {"error": "wt=json expected"}), False)
        query = json.loads(body)
        if not 1 <= query["maxRows"] <= 1000:
            return (*_json(400, {"error": "maxRows out of range"}), False)
        docs = self._select(number, query)
        page = docs[query.get("startAt", 0):][: query["maxRows"]]
        payload = {"response": {
            "status": {"code": 0, "reason": "Success"}, "numFound": len(docs), "docs": page,
        }}
        return (*_json(200, payload), fault == "stall")

    def _select(self, number: int, query: dict[str, Any]) -> list[dict[str, Any]]:
        low, high = (_instant(query["dateRange"][bound]) for bound in ("from", "to"))
        langs = set(query["lang"].split(",")) if "lang" in query else None
        products = None
        for clause in query.get("query", {}).get("and", []):
            if clause["name"] == "product":
                products = set(clause["in"])
        chosen = [
            doc for doc in self.docs
            if low <= _instant(doc["published"]) <= high
            and (langs is None or doc["lang"] in langs)
            and (products is None or doc["product"] in products)
        ]

        assert query["sortField"] == "published"
        # ties come in a different order on alternate requests, as no order is promised
        flip = self.shuffle_ties and number % 2 == 1
        by_uno = sorted(chosen, key=lambda doc: doc["uno"], reverse=flip)
        return sorted(
            by_uno, key=lambda doc: _instant(doc["published"]),
            reverse=query["sortOrder"] == "desc",
        )


def make_doc(
    uno: str, published: str, *, lang: str = "en", product: str = "news"
) -> dict[str, Any]:
    return {
        "uno": uno, "published": published, "lang": lang, "product": product,
        "headline": f"Headline {uno}", "news": [f"Body of {uno}."], "status": "Usable",
    }


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
