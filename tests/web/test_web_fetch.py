"""The fetcher against a real local server: limits, retries, redirects, charsets."""

from __future__ import annotations

import contextlib
import time

import pytest

from ingest.errors import IngestError, Reason
from ingest.sources.web import detect_encoding

FRENCH = (
    "<html><head><title>Élections à Besançon</title></head><body><p>Le député a déclaré "
    "qu'il présenterait un projet de loi sur la sécurité des données. « Nous avons été "
    "très clairs », a-t-il ajouté, évoquant les élèves, les réfugiés et l'hôpital. "
    "Les opérateurs concernés ont réagi avec prudence à cette décision inattendue.</p>"
    "</body></html>"
)


def test_200_returns_bytes_headers_and_validators(site, fetcher) -> None:
    site.serve(
        "/a", 200, b"<p>hi</p>", {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    )
    result = fetcher.fetch(site.url("/a"))
    assert (result.status, result.data, result.url) == (200, b"<p>hi</p>", site.url("/a"))
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    ua = site.hits[0][1]["user-agent"]
    assert ua.startswith("ingest/0.1.0 (+https://example.org/ingest-bot)")


def test_conditional_headers_are_sent_and_304_has_no_body(site, fetcher) -> None:
    site.serve("/a", 304, headers={"ETag": '"v1"'})
    result = fetcher.fetch(
        site.url("/a"), etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"
    )
    assert (result.status, result.data, result.encoding) == (304, b"", None)
    sent = site.hits[0][1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_redirects_are_followed_to_the_final_url(site, fetcher) -> None:
    site.serve("/old", 301, headers={"Location": "/mid"})
    site.serve("/mid", 302, headers={"Location": site.url("/new")})
    site.serve("/new", 200, b"here")
    result = fetcher.fetch(site.url("/old"))
    assert (result.url, result.data) == (site.url("/new"), b"here")


def test_redirect_chain_past_the_limit_is_refused(site, make_fetcher) -> None:
    for i in range(10):
        site.serve(f"/r{i}", 302, headers={"Location": f"/r{i + 1}"})
    with pytest.raises(IngestError, match="more than 3 redirects") as info:
        make_fetcher(max_redirects=3).fetch(site.url("/r0"))
    assert info.value.reason is Reason.FETCH_FAILED
    assert site.paths() == ["/r0", "/r1", "/r2", "/r3"]


def test_oversize_body_refused_by_content_length(site, make_fetcher) -> None:
    site.serve("/big", 200, b"x" * 2000)
    with pytest.raises(IngestError, match="Content-Length 2000") as info:
        make_fetcher(max_bytes=1000).fetch(site.url("/big"))
    assert info.value.reason is Reason.TOO_LARGE


def test_oversize_body_refused_while_streaming_without_content_length(site, make_fetcher) -> None:
    site.routes["/big"] = lambda h: site.respond(h, 200, b"x" * 300_000, length=False)
    with pytest.raises(IngestError, match="body > 100000 bytes") as info:
        make_fetcher(max_bytes=100_000).fetch(site.url("/big"))
    assert info.value.reason is Reason.TOO_LARGE


def test_body_at_the_cap_is_accepted(site, make_fetcher) -> None:
    site.routes["/ok"] = lambda h: site.respond(h, 200, b"x" * 1000, length=False)
    assert len(make_fetcher(max_bytes=1000).fetch(site.url("/ok")).data) == 1000


def test_429_with_retry_after_then_success(site, fetcher, sleeps) -> None:
    answers = iter([(429, {"Retry-After": "7"}), (200, {})])

    def flaky(handler) -> None:
        status, headers = next(answers)
        site.respond(handler, status, b"done" if status == 200 else b"", headers)

    site.routes["/a"] = flaky
    assert fetcher.fetch(site.url("/a")).data == b"done"
    assert sleeps == [7.0]


def test_retry_after_is_capped(site, make_fetcher, sleeps) -> None:
    answers = iter([429, 200])
    site.routes["/a"] = lambda h: site.respond(h, next(answers), headers={"Retry-After": "3600"})
    assert make_fetcher(max_retry_after=30).fetch(site.url("/a")).status == 200
    assert sleeps == [30.0]


def test_503_is_retried_with_backoff_then_given_up(site, fetcher, sleeps) -> None:
    site.serve("/down", 503, b"busy")
    with pytest.raises(IngestError, match=r"HTTP 503; gave up after 3 attempt") as info:
        fetcher.fetch(site.url("/down"))
    assert info.value.reason is Reason.FETCH_FAILED
    assert site.paths() == ["/down"] * 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter under 0.5 * 2**n


def test_404_is_not_retried(site, fetcher, sleeps) -> None:
    with pytest.raises(IngestError, match="HTTP 404"):
        fetcher.fetch(site.url("/missing"))
    assert site.paths() == ["/missing"]
    assert sleeps == []


def test_read_timeout_is_a_fetch_failure(site, make_fetcher, sleeps) -> None:
    def slow(handler) -> None:
        time.sleep(1.0)
        with contextlib.suppress(OSError):  # the client has long gone
            site.respond(handler, 200, b"late")

    site.routes["/slow"] = slow
    with pytest.raises(IngestError, match="ReadTimeout") as info:
        make_fetcher(read_timeout=0.2, attempts=2).fetch(site.url("/slow"))
    assert info.value.reason is Reason.FETCH_FAILED
    assert len(sleeps) == 1  # a timeout counts as transient: retried once, then given up


def test_charset_from_http_header_wins(site, fetcher) -> None:
    body = FRENCH.replace("<head>", '<head><meta charset="utf-8">').encode("iso-8859-1")
    site.serve("/a", 200, body, {"Content-Type": "text/html; charset=ISO-8859-1"})
    result = fetcher.fetch(site.url("/a"))
    assert result.encoding == "iso8859-1"
    assert "Besançon" in result.text


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1252">',
        "<meta http-equiv='Content-Type' content='text/html; charset=windows-1252'>",
    ],
)
def test_charset_from_meta(site, fetcher, meta: str) -> None:
    body = FRENCH.replace("<head>", f"<head>{meta}").encode("cp1252")
    site.serve("/a", 200, body, {"Content-Type": "text/html"})
    result = fetcher.fetch(site.url("/a"))
    assert result.encoding == "cp1252"
    assert "« Nous avons été" in result.text


def test_charset_detected_for_undeclared_latin1_page(site, fetcher) -> None:
    site.serve("/a", 200, FRENCH.encode("iso-8859-1"), {"Content-Type": "text/html"})
    result = fetcher.fetch(site.url("/a"))
    assert result.encoding != "utf-8"
    assert result.text == FRENCH


def test_unknown_declared_charset_falls_through_to_the_next_clue() -> None:
    data = '<meta charset="utf-8"><p>déjà</p>'.encode()
    assert detect_encoding(data, "text/html; charset=x-no-such-charset") == "utf-8"


def test_byte_order_mark_wins() -> None:
    data = "\ufeff<p>déjà</p>".encode("utf-16-le")
    assert detect_encoding(data, "text/html; charset=iso-8859-1") == "utf-16"
