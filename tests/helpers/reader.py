"""A reference reader of demo pages: what a page says, read as the spec says, to check truth."""

from __future__ import annotations

import re
from typing import Any

import parsel
import phonenumbers
from yarl import URL

from tui_scraper.demo.sites import DemoPage, DemoSite, canonical_url, collapse

SOCIAL_HOSTS = (
    "twitter.com",
    "x.com",
    "facebook.com",
    "linkedin.com",
    "instagram.com",
    "youtube.com",
    "github.com",
    "tiktok.com",
)

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

SPELLED_RE = re.compile(r"([\w.+-]+) ?(?:\[at\]|\(at\)) ?([\w-]+(?:(?: ?\[dot\] ?|\.)[\w-]+)+)")

DOT_WORD_RE = re.compile(r" ?\[dot\] ?")

ASSET_SUFFIXES = (".png", ".webp", ".jpg")


def decode_cloudflare(hex_text: str) -> str:
    """Cloudflare's email protection undone: the first byte is the XOR key of the rest."""
    data = bytes.fromhex(hex_text)
    return bytes(b ^ data[0] for b in data[1:]).decode()


LOWER = "translate(@name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

# Block-level elements of the HTML standard's default style sheet (those the demo writes).
READER_BLOCKS = frozenset({"div", "p", "li", "ul", "td", "tr", "table", "address", "section"})


def reader_text(element: Any) -> str:
    """An element's text as a reader sees it: breaks at block edges and <br>, else run on."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                block = child.tag in READER_BLOCKS or child.tag == "br"
                parts.append(" " if block else "")
                walk(child)
                parts.append(" " if block else "")
            parts.append(child.tail or "")

    walk(element)
    return collapse("".join(parts))


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def read_like_the_spec(page: DemoPage, site: DemoSite) -> dict[str, object]:
    """Extract a page the way the spec's rules say, independently of the generator."""
    sel = parsel.Selector(text=page.html())
    titles = sel.xpath("//title")
    h1s = (reader_text(h.root) for h in sel.xpath("//h1"))
    internal: list[str] = []
    external: list[str] = []
    socials: list[str] = []
    emails: set[str] = set()
    phones: set[str] = set()
    for encoded in sel.xpath("//@data-cfemail").getall():
        emails.add(decode_cloudflare(encoded))
    for href in sel.xpath("//a/@href").getall():
        scheme = href.split(":", 1)[0].lower()
        if href.startswith("/cdn-cgi/l/email-protection"):
            if "#" in href:  # a disguised mailto link, not a page
                emails.add(decode_cloudflare(href.split("#", 1)[1]))
        elif scheme == "mailto":
            emails.add(href[7:].split("?", 1)[0])
        elif scheme == "tel":
            number = phonenumbers.parse(href[4:], None)
            phones.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        elif scheme != "javascript":
            url = canonical_url(href, page.url)
            host = URL(url).host or ""
            if host in (site.host, site.canonical_host):
                internal.append(url)
            else:
                external.append(url)
                if any(host == d or host.endswith("." + d) for d in SOCIAL_HOSTS):
                    socials.append(href)
    text = " ".join(sel.xpath("//body//text()[not(ancestor::script or ancestor::style)]").getall())
    emails.update(e for e in EMAIL_RE.findall(text) if not e.endswith(ASSET_SUFFIXES))
    for local, domain in SPELLED_RE.findall(text):
        emails.add(local + "@" + DOT_WORD_RE.sub(".", domain))
    for region in ("GB", "US"):  # stray digits must not read as phones in either
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            phones.add(
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            )
    return {
        "title": (collapse("".join(titles[0].xpath(".//text()").getall())) or None)
        if titles
        else None,
        "meta_description": sel.xpath(f"//meta[{LOWER}='description'][1]/@content").get(),
        "h1": tuple(h for h in h1s if h),
        "internal_links": _dedupe(internal),
        "external_links": _dedupe(external),
        "socials": _dedupe(socials),
        "emails": emails,
        "phones": phones,
        "lang": sel.xpath("/html/@lang").get(),
        "canonical": sel.xpath("//link[@rel='canonical']/@href").get(),
    }


def assert_truth_matches_html(page: DemoPage, site: DemoSite) -> None:
    got = read_like_the_spec(page, site)
    for name, value in got.items():
        want = getattr(page, name)
        if name in ("emails", "phones"):
            want = set(want)
        assert value == want, f"{site.host}{page.path}: {name}"
