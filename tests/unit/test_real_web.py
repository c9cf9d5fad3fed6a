"""The real web's rules as functions: error texts, header settings, private addresses, retries."""

from __future__ import annotations

import pytest

from tui_scraper.engine.addresses import AddressPolicy, is_private_address
from tui_scraper.engine.failures import MAX_ERROR_CHARS, error_text, with_retries
from tui_scraper.settings import SettingError, Settings, parse_setting


def test_error_texts_are_short_and_keep_the_host_whole() -> None:
    host = "a-very-long-subdomain-name." * 8 + "example"
    text = error_text("certificate error: " + "unusual reason " * 40, host)
    assert len(text) <= MAX_ERROR_CHARS
    assert text.endswith(f" ({host})")
    assert text.startswith("certificate error: unusual reason")
    assert error_text("HTTP 503 after 2 retries", None) == "HTTP 503 after 2 retries"


def test_a_nul_or_newline_in_a_header_setting_is_refused() -> None:
    for changes in (
        {"user_agent": "bot\x00"},
        {"accept_language": "en\n"},
        {"header": ["X-Team: a\rb"]},
        {"header": ["Bad Name: x"]},
    ):
        with pytest.raises(SettingError):
            Settings().replace(**changes)
    assert parse_setting("user_agent", "ok/1.0\t(tab allowed)") == "ok/1.0\t(tab allowed)"


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.0.0.5", True),
        ("172.20.1.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fd12::1", True),
        ("fe80::1", True),
        ("::ffff:10.0.0.5", True),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
        ("172.32.0.1", False),
    ],
)
def test_private_addresses(address: str, private: bool) -> None:
    assert is_private_address(address) is private


def test_a_public_name_resolving_to_a_private_address_is_refused() -> None:
    policy = AddressPolicy([("shop.example", None)])
    assert policy.keep("evil.example", 443, [("10.0.0.5", 443), ("93.184.216.34", 443)]) == [1]
    assert policy.keep("evil.example", 443, [("10.0.0.5", 443)]) == []
    # The batch's own domain may be private; what it resolves to is then allowed there...
    assert policy.keep("www.shop.example", 443, [("10.0.0.5", 443)]) == [0]
    assert policy.keep("other.example", 443, [("10.0.0.5", 443)]) == [0]
    # ...but not another port on that address.
    assert policy.keep("other.example", 8080, [("10.0.0.5", 8080)]) == []
    with pytest.raises(OSError, match=r"refused: private address \(10\.0\.0\.9\)"):
        policy.check_host("10.0.0.9", 80)
    assert AddressPolicy(allow_all=True).keep("x", 1, [("10.0.0.5", 1)]) == [0]


def test_retries_are_told_in_words() -> None:
    assert with_retries("HTTP 503", 2) == "HTTP 503 after 2 retries"
    assert (
        with_retries("connection refused (a.test)", 1)
        == "connection refused after 1 retry (a.test)"
    )
    assert with_retries("timeout after 5s (a.test)", 2) == "timeout after 5s, 3 tries (a.test)"
