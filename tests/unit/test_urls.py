"""Tests of URL canonicalization and crawl scope (tui_scraper.engine.urls)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers.urls import check_canonical
from tui_scraper.engine.urls import (
    TRACKING_PARAMS,
    Scope,
    canonicalize,
    host_of,
    same_site,
    site_key,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://EXAMPLE.com:80", "http://example.com/"),
        ("https://a.com:443/x#y", "https://a.com/x"),
        ("HTTPS://Example.COM/Path?Q=1", "https://example.com/Path?Q=1"),
        ("https://example.com/page#section", "https://example.com/page"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/", "https://example.com:8443/"),
        ("http://example.com:443/", "http://example.com:443/"),
        ("https://example.com:80/", "https://example.com:80/"),
        ("https://example.com./a", "https://example.com/a"),
        # Tracking parameters go, the others keep their order.
        (
            "https://example.com/?b=2&utm_source=news&a=1&gclid=x&fbclid=y&c=3&utm_campaign=z",
            "https://example.com/?b=2&a=1&c=3",
        ),
        ("https://example.com/?UTM_Source=x&msclkid=1&z=0", "https://example.com/?z=0"),
        ("https://example.com/x?utm_source=a&utm_medium=b", "https://example.com/x"),
        ("https://example.com/x?", "https://example.com/x"),
        ("https://example.com/x?utm%5Fsource=1", "https://example.com/x"),
        ("https://example.com/?a=1&&b=2", "https://example.com/?a=1&&b=2"),
        # Dot segments and percent-encoding, as yarl normalizes them.
        ("https://example.com/a/../b/./c", "https://example.com/b/c"),
        ("https://example.com/a/%2E%2E/b", "https://example.com/b"),
        ("https://example.com/%7euser", "https://example.com/~user"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        ("https://example.com/%zz", "https://example.com/%25zz"),
        # Hosts: IDNA, IP addresses.
        ("https://B\u00fccher.de/", "https://xn--bcher-kva.de/"),
        ("http://\u4f8b\u3048.\u30c6\u30b9\u30c8/", "http://xn--r8jz45g.xn--zckzah/"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("http://[2001:DB8:0::1]/", "http://[2001:db8::1]/"),
        # Whitespace browsers ignore in an href.
        ("  https://example.com/a\n", "https://example.com/a"),
        ("https://exa\tmple.com/", "https://example.com/"),
    ],
)
def test_canonicalize_examples(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "garbage",
        "not a url at all",
        "/relative/path",
        "//example.com/protocol-relative",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "tel:+4912345",
        "data:text/html,hi",
        "http://",
        "https://",
        "http:example.com",
        "http://a..b/",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://[zz::1]/",
        "http://[fe80::1%25eth0]/",
        "http://1.2.3/",
        "http://user:pw@example.com/",
        "http://user@example.com/",
        "http://\x00.com/",
    ],
)
def test_canonicalize_rejects(url: str) -> None:
    assert canonicalize(url) is None


def test_tracking_params() -> None:
    assert {"gclid", "fbclid"} <= TRACKING_PARAMS
    assert all(key == key.lower() for key in TRACKING_PARAMS)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Example.com/x", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:443/", "example.com"),
        ("http://example.com:8080/", "example.com:8080"),
        ("https://www.example.com./", "www.example.com"),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("https://b\u00fccher.de/", "xn--bcher-kva.de"),
        ("/relative", ""),
        ("garbage", ""),
        ("http://", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host


def test_site_key_and_same_site() -> None:
    assert site_key("WWW.Example.com") == "example.com"
    assert site_key("www.example.com:8080") == "example.com:8080"
    assert site_key("example.com") == "example.com"
    assert site_key("www2.example.com") == "www2.example.com"
    assert same_site("www.example.com", "example.com")
    assert same_site("Example.com", "WWW.EXAMPLE.COM")
    assert not same_site("example.com:8080", "example.com")
    assert not same_site("shop.example.com", "example.com")


def test_scope_www_and_bare() -> None:
    scope = Scope("www.example.com")
    assert "https://example.com/about" in scope
    assert "http://www.example.com/" in scope  # http and https are one site
    assert "https://WWW.EXAMPLE.COM:443/x" in scope
    assert "example.com" in scope
    assert "www.example.com." in scope
    assert scope.is_internal_host("example.com")
    assert scope.is_internal_host("WWW.example.com")
    assert "https://shop.example.com/" not in scope
    assert "https://example.org/" not in scope
    assert "https://notexample.com/" not in scope
    assert "/relative" not in scope
    assert "" not in scope
    assert not scope.is_internal_host("evil.com")


def test_scope_ports() -> None:
    scope = Scope("127.0.0.1:8080")
    assert "http://127.0.0.1:8080/x" in scope
    assert "http://127.0.0.1/x" not in scope
    assert scope.is_internal_host("127.0.0.1:8080")
    assert not scope.is_internal_host("127.0.0.1:8081")
    plain = Scope("example.com")
    assert "http://example.com:8080/" not in plain
    assert "https://www.example.com:8080/" not in plain


def test_scope_normalizes_its_host() -> None:
    assert Scope("B\u00fccher.de").is_internal_host("www.xn--bcher-kva.de")
    assert "https://www.b\u00fccher.de/" in Scope("xn--bcher-kva.de")
    assert "http://[::1]:8080/" in Scope("[0:0::1]:8080")
    assert "https://example.com/" in Scope("https://www.example.com/start")


@settings(max_examples=500)
@given(st.text())
@example("http://\ud800.com/")
@example("http://a.com/\udc00")
@example("http://[::1]]/")
@example("http://" + "a" * 5000 + ".com/")
def test_canonicalize_never_raises_on_text(text: str) -> None:
    result = canonicalize(text)
    assert result is None or isinstance(result, str)
    assert isinstance(host_of(text), str)
    assert isinstance(text in Scope("example.com"), bool)


@settings(max_examples=300)
@given(st.text())
def test_canonicalize_idempotent_on_prefixed_text(text: str) -> None:
    check_canonical("https://example.com/" + text)
    check_canonical("http://" + text)
