"""Loading and validating the watch list."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sources.watchlist import (
    FetchSettings,
    WatchList,
    WatchListError,
    load_watchlist,
    parse_watchlist,
)

CONFIG = Path(__file__).resolve().parents[2] / "config" / "watchlist.yaml"


def test_the_shipped_example_loads_and_makes_no_network_calls() -> None:
    watchlist = load_watchlist(CONFIG)
    assert (watchlist.pages, watchlist.sitemaps, watchlist.feeds) == ((), (), ())
    assert watchlist.fetch.allow == ()


def test_a_full_document(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(
        """
pages: [https://example.org/a, https://example.org/a, http://example.org/b]
sitemaps: [https://example.org/sitemap.xml]
feeds: [https://example.org/feed]
fetch:
  contact: https://example.org/bot
  max_bytes: 1000
  read_timeout: 2.5
  max_redirects: 0
  allow: [LOCALHOST, 10.0.0.0/8, 127.0.0.1]
""",
        encoding="utf-8",
    )
    assert load_watchlist(path) == WatchList(
        pages=("https://example.org/a", "http://example.org/b"),
        sitemaps=("https://example.org/sitemap.xml",),
        feeds=("https://example.org/feed",),
        fetch=FetchSettings(
            contact="https://example.org/bot",
            max_bytes=1000,
            read_timeout=2.5,
            max_redirects=0,
            allow=("localhost", "10.0.0.0/8", "127.0.0.1/32"),
        ),
    )


def test_an_empty_file_is_an_empty_list(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("", encoding="utf-8")
    assert load_watchlist(tmp_path / "w.yaml") == WatchList()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"page": []}, "unknown key"),
        ({"pages": "https://example.org/"}, "pages: expected a list"),
        ({"pages": ["ftp://example.org/"]}, "not an absolute http"),
        ({"feeds": ["/relative"]}, "not an absolute http"),
        ({"fetch": {"max_byte": 1}}, "fetch: unknown key"),
        ({"fetch": {"max_bytes": -1}}, "fetch.max_bytes"),
        ({"fetch": {"attempts": 0}}, "fetch.attempts: expected a number > 0"),
        ({"fetch": {"attempts": 1.5}}, "whole number"),
        ({"fetch": {"read_timeout": True}}, "fetch.read_timeout"),
        ({"fetch": {"allow": ["not a host"]}}, "neither a host name nor a CIDR"),
        ({"fetch": {"contact": "mailto:x@example.org"}}, "fetch.contact"),
        (["https://example.org/"], "expected a mapping"),
    ],
)
def test_invalid_documents_name_the_key(doc: object, message: str) -> None:
    with pytest.raises(WatchListError, match=message):
        parse_watchlist(doc)


def test_bad_yaml_is_a_watchlist_error(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("pages: [", encoding="utf-8")
    with pytest.raises(WatchListError, match="not valid YAML"):
        load_watchlist(tmp_path / "w.yaml")
