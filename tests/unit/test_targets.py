"""Tests of the domain-list parser (tui_scraper.targets)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers.targets import check_invariants
from tui_scraper.engine import urls
from tui_scraper.targets import ParsedTargets, Rejection, Target, parse_targets, site_key


def only_target(text: str) -> Target:
    """The single target of a one-entry text (and no rejection)."""
    parsed = parse_targets(text)
    assert parsed.rejected == []
    assert len(parsed.targets) == 1
    return parsed.targets[0]


def only_rejection(text: str) -> Rejection:
    """The single rejection of a one-entry text (and no target)."""
    parsed = parse_targets(text)
    assert parsed.targets == []
    assert len(parsed.rejected) == 1
    return parsed.rejected[0]


@pytest.mark.parametrize(
    ("entry", "domain", "start_url", "explicit"),
    [
        ("example.com", "example.com", "https://example.com/", False),
        ("www.example.com", "www.example.com", "https://www.example.com/", False),
        ("EXAMPLE.COM", "example.com", "https://example.com/", False),
        ("   example.com   ", "example.com", "https://example.com/", False),
        ("example.com.", "example.com", "https://example.com/", False),
        ("shop.test", "shop.test", "https://shop.test/", False),
        (
            "a.b.c.d.example.museum",
            "a.b.c.d.example.museum",
            "https://a.b.c.d.example.museum/",
            False,
        ),
        ("my-site.co.uk", "my-site.co.uk", "https://my-site.co.uk/", False),
        (
            "https://example.com/some/path",
            "example.com",
            "https://example.com/some/path",
            True,
        ),
        ("http://host:8080", "host:8080", "http://host:8080/", True),
        ("http://example.com", "example.com", "http://example.com/", True),
        (
            "HTTPS://Example.COM/A/b?x=1&y=2#frag",
            "example.com",
            "https://example.com/A/b?x=1&y=2",
            True,
        ),
        ("https://example.com:443/", "example.com", "https://example.com/", True),
        ("http://example.com:80/x", "example.com", "http://example.com/x", True),
        ("https://example.com:80/", "example.com:80", "https://example.com:80/", True),
        ("https://example.com/a/../b?", "example.com", "https://example.com/b", True),
        ("https://example.com/caf\u00e9", "example.com", "https://example.com/caf%C3%A9", True),
        ("example.com/about", "example.com", "https://example.com/about", False),
        ("example.com?page=2", "example.com", "https://example.com/?page=2", False),
        ("example.com#top", "example.com", "https://example.com/", False),
        ("example.com:8443", "example.com:8443", "https://example.com:8443/", False),
        ("example.com:443", "example.com", "https://example.com/", False),
        ("example.com:80", "example.com", "http://example.com/", True),
        ("example.com:", "example.com", "https://example.com/", False),
        ("localhost", "localhost", "https://localhost/", False),
        ("localhost:3000", "localhost:3000", "https://localhost:3000/", False),
        ("intranet:8080", "intranet:8080", "https://intranet:8080/", False),
        ("http://intranet/", "intranet", "http://intranet/", True),
        # Internationalized names become IDNA punycode.
        ("b\u00fccher.de", "xn--bcher-kva.de", "https://xn--bcher-kva.de/", False),
        ("B\u00dcCHER.DE", "xn--bcher-kva.de", "https://xn--bcher-kva.de/", False),
        (
            "\u4f8b\u3048.\u30c6\u30b9\u30c8",
            "xn--r8jz45g.xn--zckzah",
            "https://xn--r8jz45g.xn--zckzah/",
            False,
        ),
        (
            "\u4f8b\u3048\u3002\u30c6\u30b9\u30c8",  # an ideographic full stop
            "xn--r8jz45g.xn--zckzah",
            "https://xn--r8jz45g.xn--zckzah/",
            False,
        ),
        (
            "https://b\u00fccher.de/b\u00fccher",
            "xn--bcher-kva.de",
            "https://xn--bcher-kva.de/b%C3%BCcher",
            True,
        ),
        # IDNA 2008: no ss mapping.
        ("stra\u00dfe.de", "xn--strae-oqa.de", "https://xn--strae-oqa.de/", False),
        # IDNA 2003 fallback (emoji domains).
        ("\u2603.net", "xn--n3h.net", "https://xn--n3h.net/", False),
        ("xn--bcher-kva.de", "xn--bcher-kva.de", "https://xn--bcher-kva.de/", False),
        # IP addresses.
        ("192.168.1.10", "192.168.1.10", "https://192.168.1.10/", False),
        ("http://127.0.0.1:8000/", "127.0.0.1:8000", "http://127.0.0.1:8000/", True),
        ("[::1]", "[::1]", "https://[::1]/", False),
        ("[::1]:8080", "[::1]:8080", "https://[::1]:8080/", False),
        ("http://[2001:DB8:0:0::1]/x", "[2001:db8::1]", "http://[2001:db8::1]/x", True),
        ("2001:db8::1", "[2001:db8::1]", "https://[2001:db8::1]/", False),
    ],
)
def test_accepted(entry: str, domain: str, start_url: str, explicit: bool) -> None:
    target = only_target(entry)
    assert target.domain == domain
    assert target.input == entry.strip()
    assert target.line == 1
    assert target.explicit_scheme is explicit
    assert target.start_url == start_url
    # The start URL is already canonical, and its host is the target's domain.
    assert urls.canonicalize(target.start_url) == target.start_url
    assert urls.host_of(target.start_url) == target.domain


@pytest.mark.parametrize(
    "entry",
    [
        "b\u00fccher.de",
        "B\u00dcCHER.DE",
        "\u4f8b\u3048.\u30c6\u30b9\u30c8",
        "\u4f8b\u3048\u3002\u30c6\u30b9\u30c8",
        "stra\u00dfe.de",
        "\u2603.net",
    ],
)
def test_idn_domain_is_the_punycode_of_each_label(entry: str) -> None:
    """The punycode of the table above, derived apart from the parser: RFC 3492 per label."""
    labels = re.split("[.\u3002]", entry.lower())
    expected = ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in labels
    )
    target = only_target(entry)
    assert target.domain == expected
    assert target.start_url == f"https://{expected}/"


def test_idna_start_url_path() -> None:
    target = only_target("https://b\u00fccher.de/b\u00fccher")
    assert target.start_url == "https://xn--bcher-kva.de/b%C3%BCcher"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("not a domain!", "not a valid host name"),
        ("ftp://x", "unsupported scheme 'ftp'"),
        ("FTP://example.com", "unsupported scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("http://", "missing host"),
        ("https:///path", "missing host"),
        ("http://:8080", "missing host"),
        ("http:example.com", "missing '//' after 'http:'"),
        ("a..b", "empty label in host name"),
        ("example..com", "empty label in host name"),
        (".example.com", "empty label in host name"),
        ("example.com..", "empty label in host name"),
        ("b\u00fccher..de", "empty label in host name"),
        ("a" * 64 + ".com", "label longer than 63 characters in host name"),
        (".".join(["a" * 60] * 5), "host name longer than 253 characters"),
        ("-example.com", "label starts or ends with '-'"),
        ("example-.com", "label starts or ends with '-'"),
        ("www.-x.com", "label starts or ends with '-'"),
        ("exa_mple.com", "invalid character '_' in host name"),
        ("domain!.com", "invalid character '!' in host name"),
        ("exam\x00ple.com", "invalid character '\\x00' in host name"),
        ("xn--zz.com", "invalid punycode label 'xn--zz'"),
        ("examplecom", "single-label host name (no dot)"),
        ("example.com:0", "port out of range"),
        ("example.com:65536", "port out of range"),
        ("http://example.com:99999999999999999999999/", "port out of range"),
        ("example.com:http", "invalid port 'http'"),
        ("localhost:abc", "invalid port 'abc'"),
        ("user:pw@example.com", "credentials (user@host) are not supported"),
        ("https://user:pw@example.com/", "credentials (user@host) are not supported"),
        ("http://user@example.com/", "credentials (user@host) are not supported"),
        ("info@example.com", "an e-mail address, not a domain"),
        ("mailto:info@example.com", "an e-mail address, not a domain"),
        ("999.1.1.1", "not a valid IPv4 address"),
        ("1.2.3", "not a valid IPv4 address"),
        ("[::1", "unterminated IPv6 address"),
        ("[zz::1]", "not a valid IPv6 address"),
        ("[::1]x", "unexpected text after IPv6 address"),
        ("[fe80::1%eth0]", "IPv6 zone identifiers are not supported"),
        ("1:2:3", "IPv6 addresses must be written in brackets"),
        ("\ufffd.com", "holds bytes that are not UTF-8 text"),
        ("x" * 5000, "entry too long"),
    ],
)
def test_rejected(entry: str, reason: str) -> None:
    rejection = only_rejection(f"\n\n{entry}\n")
    assert rejection == Rejection(line=3, input=entry, reason=reason)


def test_rejections_keep_line_numbers_and_the_rest_goes_on() -> None:
    text = "example.com\nnot a domain!\nftp://x\nhttp://\na..b\nexample.org\n"
    parsed = parse_targets(text)
    assert [(t.domain, t.line) for t in parsed.targets] == [("example.com", 1), ("example.org", 6)]
    assert parsed.rejected == [
        Rejection(2, "not a domain!", "not a valid host name"),
        Rejection(3, "ftp://x", "unsupported scheme 'ftp'"),
        Rejection(4, "http://", "missing host"),
        Rejection(5, "a..b", "empty label in host name"),
    ]


def test_a_list_of_bad_entries_is_reported_entry_by_entry() -> None:
    # Unlike prose, a line of host-like entries keeps one reason per entry.
    parsed = parse_targets("-bad.com bad-.com example.com:0")
    assert [(r.input, r.reason) for r in parsed.rejected] == [
        ("-bad.com", "label starts or ends with '-'"),
        ("bad-.com", "label starts or ends with '-'"),
        ("example.com:0", "port out of range"),
    ]
    # With a comma it is a list too, even of plain words.
    assert [r.input for r in parse_targets("hello, world").rejected] == ["hello", "world"]
    # One valid entry: the others are reported one by one.
    parsed = parse_targets("hello example.com")
    assert [t.domain for t in parsed.targets] == ["example.com"]
    assert parsed.rejected == [Rejection(1, "hello", "single-label host name (no dot)")]


def test_comments_and_blank_lines() -> None:
    text = (
        "# my clients\n"
        "\n"
        "   \n"
        "example.com  # the main one\n"
        "   # indented comment\n"
        "example.org\t# tab before the comment\n"
        "https://example.net/#anchor\n"
        "example.info#fragment-not-a-comment\n"
    )
    parsed = parse_targets(text)
    assert parsed.rejected == []
    assert [(t.domain, t.line) for t in parsed.targets] == [
        ("example.com", 4),
        ("example.org", 6),
        ("example.net", 7),
        ("example.info", 8),
    ]
    assert parsed.targets[2].start_url == "https://example.net/"


def test_comment_only_text() -> None:
    assert parse_targets("# nothing\n\n  # here\n") == ParsedTargets([], [])
    assert parse_targets("") == ParsedTargets([], [])


def test_commas_and_spaces_separate_entries() -> None:
    parsed = parse_targets("a.com, b.com,c.com  d.com\te.com\n\nf.com ,, g.com,")
    assert [(t.domain, t.line) for t in parsed.targets] == [
        ("a.com", 1),
        ("b.com", 1),
        ("c.com", 1),
        ("d.com", 1),
        ("e.com", 1),
        ("f.com", 3),
        ("g.com", 3),
    ]
    assert parsed.rejected == []


def test_line_endings() -> None:
    parsed = parse_targets("a.com\r\nb.com\rc.com\nbad..com")
    assert [(t.domain, t.line) for t in parsed.targets] == [
        ("a.com", 1),
        ("b.com", 2),
        ("c.com", 3),
    ]
    assert parsed.rejected[0].line == 4


def test_duplicates_are_merged_first_wins() -> None:
    parsed = parse_targets(
        "example.com\nWWW.example.com\nhttps://example.com/x\nhttps://www.example.com:443/\n"
    )
    assert parsed.rejected == []
    assert parsed.targets == [
        Target(
            domain="example.com",
            input="example.com",
            start_url="https://example.com/",
            explicit_scheme=False,
            line=1,
        )
    ]


def test_duplicates_respect_ports_and_keep_order() -> None:
    parsed = parse_targets(
        "b.com\nexample.com:8080\nwww.example.com\nhttp://example.com:8080/x\na.com\nb.com\n"
        "http://example.com:443/"
    )
    assert [(t.domain, t.line) for t in parsed.targets] == [
        ("b.com", 1),
        ("example.com:8080", 2),
        ("www.example.com", 3),
        ("a.com", 5),
        ("example.com:443", 7),  # 443 is not http's default port: another site
    ]


def test_idna_duplicates_are_merged() -> None:
    parsed = parse_targets("b\u00fccher.de\nwww.xn--bcher-kva.de\nhttps://B\u00dcCHER.de/")
    assert [t.input for t in parsed.targets] == ["b\u00fccher.de"]


def test_site_key_is_shared() -> None:
    # One definition, used by both modules.
    assert site_key is urls.site_key
    assert site_key("www.Example.com:8080") == "example.com:8080"


# Property tests.


@settings(max_examples=500)
@given(st.text())
@example("\x00\ud800\udfff,\u2028#\x85 \u200b.com")
@example("a" * 100_000)
@example("x." * 50_000)
@example("[" * 1000)
@example("http://" + ":" * 1000)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    check_invariants(text)
