"""Contacts that survive obfuscation: Cloudflare's email protection, [at]/(at) spellings, and
asset names that only look like addresses; unit cases and the demo web's truth."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.demo import trick_sites
from tui_scraper.demo import DemoWeb
from tui_scraper.demo.sites import CONTACT_TRICKS, cloudflare_hex
from tui_scraper.engine.emails import _at_marks, decode_cfemail
from tui_scraper.engine.extract import extract

PAGE = "https://example.com/contact"


def emails(html: str) -> list[str]:
    return extract(html, PAGE, lambda host: host == "example.com").emails


def cf_hex(address: str, key: int = 0x42) -> str:
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode())


def test_cloudflare_data_cfemail_is_decoded() -> None:
    html = (
        '<p>Write to <a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
        f'data-cfemail="{cf_hex("Jane.Doe@Example.com")}">[email&#160;protected]</a></p>'
    )
    assert emails(html) == ["jane.doe@example.com"]


def test_cloudflare_protection_link_is_an_address_not_a_page() -> None:
    html = (
        f'<a href="/cdn-cgi/l/email-protection#{cf_hex("sales@example.com", 0x9C)}">Mail</a>'
        f'<a href="https://example.com/cdn-cgi/l/email-protection#{cf_hex("a@b.org")}">B</a>'
        '<a href="/about">About</a>'
    )
    result = extract(html, PAGE, lambda host: True)
    assert result.emails == ["a@b.org", "sales@example.com"]
    assert result.links == ["https://example.com/about"]


@pytest.mark.parametrize("bad", ["", "zz", "4", "42", "42" + "ff" * 3, "not hex at all"])
def test_cloudflare_garbage_is_ignored(bad: str) -> None:
    html = f'<span data-cfemail="{bad}">x</span><a href="/cdn-cgi/l/email-protection#{bad}">y</a>'
    assert emails(html) == []


def test_decode_cfemail_round_trip() -> None:
    assert decode_cfemail(cf_hex("info@münchen.de")) == "info@münchen.de"
    assert decode_cfemail(cloudflare_hex("press@acme.test")) == "press@acme.test"
    assert decode_cfemail("") is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("jane [at] example [dot] com", ["jane@example.com"]),
        ("Jane.Doe [AT] Example [DOT] co [DOT] uk", ["jane.doe@example.co.uk"]),
        ("name(at)example.com", ["name@example.com"]),
        ("name (at) example (dot) org.", ["name@example.org"]),
        ("name{at}example.de", ["name@example.de"]),
        ("info [at] shop.example [dot] com", ["info@shop.example.com"]),
        ("see you at (at) noon", []),
        ("price [at] 9.99", []),
        ("the word at is not [at] an address", []),
    ],
)
def test_spelled_out_addresses(text: str, want: list[str]) -> None:
    assert emails(f"<p>{text}</p>") == want


@pytest.mark.parametrize(
    "text",
    [
        "logo@2x.png",
        "icon@3x.webp",
        "hero@2x.jpg and sprite@1.5x.svg",
        "banner@2x.PNG",
        "img/photo@2x.avif?v=3",
    ],
)
def test_asset_names_are_not_addresses(text: str) -> None:
    assert emails(f"<p>Download {text}</p><img srcset='a@2x.png 2x'>") == []


def test_assets_beside_a_real_address() -> None:
    assert emails("<p>logo@2x.png, info@example.com, icon@3x.webp</p>") == ["info@example.com"]


# --- the demo web's truth -----------------------------------------------------------------


def test_every_trick_is_on_some_business_site(demo_web: DemoWeb) -> None:
    sites = trick_sites(demo_web)
    assert set(sites) == set(CONTACT_TRICKS)
    for trick, site in sites.items():
        contact = site.pages["/contact"]
        if trick == "asset_names":
            assert not any("@2x" in e or "@3x" in e for e in contact.emails)
        else:  # one address more than the site's plain ones, only in disguise
            hidden = [e for e in contact.emails if e not in contact.html()]
            assert len(hidden) == 1, (trick, contact.emails)


def test_contact_pages_read_as_their_truth(demo_web: DemoWeb) -> None:
    for site in trick_sites(demo_web).values():
        page = site.pages["/contact"]
        got = extract(page.html(), page.url, lambda host: host.endswith(".test")).emails
        assert got == sorted(page.emails), site.host


@given(st.text(alphabet="[](){}aAtT @x.\n\u3000", max_size=60))
def test_at_marks_are_what_the_regex_finds(text: str) -> None:
    """The str.find scan finds the marks a plain regex would (it only runs faster)."""
    regex = re.compile(r"[\[({]\s*at\s*[\])}]", re.IGNORECASE)
    assert _at_marks(text) == [m.span() for m in regex.finditer(text)]
