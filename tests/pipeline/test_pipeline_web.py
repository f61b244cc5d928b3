"""The web_ingest use case against a real local HTTP server: fetch, store raw, extract, audit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from ingest.config import Settings
from ingest.pipeline import ingest_web
from ingest.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "tests/fixtures/web/news.en.html").read_bytes()
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path != "/world/kim.html":
            self.send_error(404)
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_watchlist_pages_are_fetched_once_stored_raw_and_extracted(
    tmp_path: Path, site: str
) -> None:
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(
        f"pages:\n  - {site}/world/kim.html\n  - {site}/gone.html\n"
        "fetch:\n  contact: https://example.invalid/ingest\n  attempts: 1\n"
        "  allow: [127.0.0.1]\n",
        encoding="utf-8",
    )
    env = {
        "INGEST_HOME": str(tmp_path / "home"), "INGEST_PROJECT_DIR": str(REPO),
        "INGEST_WATCHLIST_FILE": str(watchlist),
    }
    with Runtime(Settings.from_env(env)) as rt:
        rt.registry.upgrade()
        report = ingest_web(rt, now=NOW)
        assert report.results == {"new": 1}
        assert report.quarantined == {"fetch_failed": 1}
        assert [k.key.split("/")[1] for k in rt.store.list("raw/")] == ["web"]
        story = rt.registry.latest("https://news.example.com/world/kim-vladivostok")
        assert story is not None
        article = story.article
        assert article.headline == "Kim arrives in Vladivostok for Putin summit"
        assert "AFP" in (article.provider or "") or "AFP" in article.info_sources
        assert "<script" not in (article.body_html or "")
        assert "javascript:" not in (article.body_html or "")

        again = ingest_web(rt, now=NOW)
        assert again.results == {}  # 304: nothing new was fetched
        assert _Handler.hits.count("/world/kim.html") == 2
