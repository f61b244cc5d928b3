"""WebSource over a real local server: conditional GETs, sitemaps, feeds, failures, state."""

from __future__ import annotations

import gzip

import pytest

from ingest.errors import Reason
from ingest.sources.base import RawItem
from ingest.sources.watchlist import WatchList
from ingest.sources.web import CursorFetchState, WebSource


class Cursors:
    """The two registry calls CursorFetchState needs, over a dict."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_cursor(self, source: str) -> str | None:
        return self.values.get(source)

    def set_cursor(self, source: str, value: str) -> None:
        self.values[source] = value


@pytest.fixture
def cursors() -> Cursors:
    return Cursors()


def run(fetcher, cursors: Cursors, **lists) -> tuple[list[RawItem], WebSource]:
    source = WebSource(WatchList(**lists), fetcher, CursorFetchState(cursors))
    return list(source.fetch()), source


def etag_page(site, path: str, body: bytes, tag: str) -> None:
    def route(handler) -> None:
        if handler.headers.get("If-None-Match") == tag:
            site.respond(handler, 304, headers={"ETag": tag})
        else:
            site.respond(handler, 200, body, {"ETag": tag, "Content-Type": "text/html"})

    site.routes[path] = route


def test_etag_flow_yields_once_then_nothing_then_the_change(site, fetcher, cursors) -> None:
    url = site.url("/a")
    etag_page(site, "/a", b"<p>one</p>", '"v1"')
    items, _ = run(fetcher, cursors, pages=(url,))
    assert items == [RawItem(source="web", name=url, data=b"<p>one</p>", fmt="html")]
    assert '"etag": "\\"v1\\""' in cursors.values[f"web:{url}"]

    items, _ = run(fetcher, cursors, pages=(url,))
    assert items == []
    assert site.hits[-1][1]["if-none-match"] == '"v1"'

    etag_page(site, "/a", b"<p>two</p>", '"v2"')
    items, _ = run(fetcher, cursors, pages=(url,))
    assert [i.data for i in items] == [b"<p>two</p>"]


def test_last_modified_flow(site, fetcher, cursors) -> None:
    stamp = "Tue, 02 Jan 2024 10:00:00 GMT"

    def route(handler) -> None:
        if handler.headers.get("If-Modified-Since") == stamp:
            site.respond(handler, 304)
        else:
            site.respond(handler, 200, b"<p>x</p>", {"Last-Modified": stamp})

    site.routes["/a"] = route
    url = site.url("/a")
    assert len(run(fetcher, cursors, pages=(url,))[0]) == 1
    assert run(fetcher, cursors, pages=(url,))[0] == []
    assert site.hits[-1][1]["if-modified-since"] == stamp
    assert "if-none-match" not in site.hits[-1][1]


def test_item_name_is_the_final_url_after_redirects(site, fetcher, cursors) -> None:
    site.serve("/short", 301, headers={"Location": "/long-article"})
    site.serve("/long-article", 200, b"<p>a</p>")
    items, _ = run(fetcher, cursors, pages=(site.url("/short"),))
    assert [i.name for i in items] == [site.url("/long-article")]


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/p1</loc><lastmod>{lastmod}</lastmod></url>
  <url><loc>{base}/p2</loc><lastmod>2024-01-01</lastmod></url>
  <url><loc>/p3</loc></url>
</urlset>"""


def test_sitemap_index_expands_to_pages_and_lastmod_skips_unchanged(site, fetcher, cursors):
    base = site.url("")
    index = f"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sm1.xml.gz</loc></sitemap>
</sitemapindex>""".encode()
    site.serve("/index.xml", 200, index)
    sitemap = SITEMAP.format(base=base, lastmod="2024-03-01T10:00:00+01:00").encode()
    site.serve("/sm1.xml.gz", 200, gzip.compress(sitemap))
    for page in ("/p1", "/p2", "/p3"):
        site.serve(page, 200, page.encode())

    items, source = run(fetcher, cursors, sitemaps=(site.url("/index.xml"),))
    assert [i.name for i in items] == [site.url(p) for p in ("/p1", "/p2", "/p3")]
    assert source.failures == []

    site.hits.clear()
    items, _ = run(fetcher, cursors, sitemaps=(site.url("/index.xml"),))
    assert [i.name for i in items] == [site.url("/p3")]  # no lastmod, no validators: refetched
    assert "/p1" not in site.paths() and "/p2" not in site.paths()

    sitemap = SITEMAP.format(base=base, lastmod="2024-03-02").encode()
    site.serve("/sm1.xml.gz", 200, gzip.compress(sitemap))
    site.hits.clear()
    items, _ = run(fetcher, cursors, sitemaps=(site.url("/index.xml"),))
    assert [i.name for i in items] == [site.url("/p1"), site.url("/p3")]


RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Republisher</title>
  <item><title>One</title><link>/story/1</link>
        <pubDate>Wed, 03 Jan 2024 08:00:00 GMT</pubDate></item>
  <item><title>Two</title><link>http://127.0.0.1:PORT/story/2</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>R</title>
  <entry><title>Three</title><link rel="self" href="/api/3"/>
         <link href="/story/3"/><updated>2024-01-03T08:00:00Z</updated></entry>
</feed>"""


def test_rss_and_atom_feeds_expand_to_pages(site, fetcher, cursors) -> None:
    site.serve("/feed.rss", 200, RSS.replace(b"PORT", str(site.port).encode()))
    site.serve("/feed.atom", 200, ATOM)
    for n in (1, 2, 3):
        site.serve(f"/story/{n}", 200, f"<p>{n}</p>".encode())
    items, source = run(fetcher, cursors, feeds=(site.url("/feed.rss"), site.url("/feed.atom")))
    assert [i.name for i in items] == [site.url(f"/story/{n}") for n in (1, 2, 3)]
    assert source.failures == []
    assert "/api/3" not in site.paths()


def test_feed_with_entities_is_refused_not_expanded(site, fetcher, cursors) -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "boom">]><rss><channel/></rss>'
    site.serve("/feed.rss", 200, hostile)
    items, source = run(fetcher, cursors, feeds=(site.url("/feed.rss"),))
    assert items == []
    assert [(u, e.reason) for u, e in source.failures] == [
        (site.url("/feed.rss"), Reason.HOSTILE_XML)
    ]


def test_one_failing_url_does_not_stop_the_rest(site, fetcher, cursors) -> None:
    site.serve("/ok", 200, b"<p>ok</p>")
    site.serve("/broken.xml", 200, b"<html>not a sitemap")
    pages = (site.url("/gone"), site.url("/ok"), "http://10.0.0.1/")
    items, source = run(fetcher, cursors, pages=pages, sitemaps=(site.url("/broken.xml"),))
    assert [i.name for i in items] == [site.url("/ok")]
    failed = {url: err.detail for url, err in source.failures}
    assert set(failed) == {site.url("/gone"), "http://10.0.0.1/", site.url("/broken.xml")}
    assert "HTTP 404" in failed[site.url("/gone")]
    assert f"web:{site.url('/gone')}" not in cursors.values


def test_state_is_saved_only_after_the_consumer_moves_on(site, fetcher, cursors) -> None:
    site.serve("/a", 200, b"a", {"ETag": '"1"'})
    source = WebSource(WatchList(pages=(site.url("/a"),)), fetcher, CursorFetchState(cursors))
    walk = source.fetch()
    next(walk)
    assert cursors.values == {}  # a crash now means a refetch, not a lost page
    assert list(walk) == []
    assert f"web:{site.url('/a')}" in cursors.values


def test_cursor_state_round_trips_and_tolerates_garbage(cursors) -> None:
    state = CursorFetchState(cursors)
    assert state.get("https://example.org/") is None
    state.set("https://example.org/", {"etag": '"x"'})
    assert cursors.values == {"web:https://example.org/": '{"etag": "\\"x\\""}'}
    assert state.get("https://example.org/") == {"etag": '"x"'}
    cursors.values["web:https://example.org/"] = "{not json"
    assert state.get("https://example.org/") is None
