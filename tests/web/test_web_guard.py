"""The SSRF guard: private, loopback, link-local and odd schemes are refused before connecting."""

from __future__ import annotations

import pytest

from ingest.sources.web import AddressGuard, RefusedURL


@pytest.fixture
def guarded(make_fetcher):
    """A fetcher with an empty allow-list: the production default."""
    return make_fetcher(allow=(), attempts=1)


def test_loopback_server_is_refused_without_the_allow_list(site, guarded, connects) -> None:
    site.serve("/a", 200, b"secret")
    with pytest.raises(RefusedURL, match=r"127\.0\.0\.1 \(loopback\)"):
        guarded.fetch(site.url("/a"))
    assert site.hits == []
    assert connects == []


def test_the_allow_list_lets_the_same_server_through(site, make_fetcher) -> None:
    site.serve("/a", 200, b"ok")
    assert make_fetcher(allow=("127.0.0.0/8",)).fetch(site.url("/a")).data == b"ok"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://[::1]:8080/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("https://100.64.0.1/", "not globally routable"),
    ],
)
def test_internal_addresses_are_refused_before_any_connect(guarded, connects, url, kind) -> None:
    with pytest.raises(RefusedURL, match=kind):
        guarded.fetch(url)
    assert connects == []


def test_a_redirect_to_loopback_is_refused(site, make_fetcher, connects) -> None:
    """The entry host is allowed by name; the hop to 127.0.0.1 is checked and refused."""
    site.serve("/hop", 302, headers={"Location": site.url("/secret")})
    site.serve("/secret", 200, b"metadata")
    fetcher = make_fetcher(allow=("localhost",), attempts=1)
    with pytest.raises(RefusedURL, match=r"refused 127\.0\.0\.1"):
        fetcher.fetch(site.url("/hop", host="localhost"))
    assert site.paths() == ["/hop"]
    assert len(connects) == 1  # the allowed first hop only


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/", "http:///x"]
)
def test_non_http_urls_are_refused(guarded, url) -> None:
    with pytest.raises(RefusedURL, match="only absolute http"):
        guarded.fetch(url)


def test_a_redirect_to_a_file_url_is_refused(site, fetcher) -> None:
    site.serve("/hop", 302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(RefusedURL, match="file:///etc/passwd"):
        fetcher.fetch(site.url("/hop"))


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::", "unspecified"),
        ("::ffff:192.168.0.1", "private"),
        ("::ffff:10.9.9.9", None),  # mapped, and inside the allow-list
        ("10.1.2.3", None),  # inside the allow-listed 10.0.0.0/8
    ],
)
def test_address_classification(address, refusal) -> None:
    assert AddressGuard(["10.0.0.0/8"]).refusal(address) == refusal
