"""Extract page facts (title, headings, links, contacts, socials) from one HTML document.

This runs once per crawled page, so it parses the document a single time (parsel/lxml), walks
the tree with a couple of C-level iterations and keeps regexes and sets at module level.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import filterfalse, repeat

from lxml import etree
from parsel import Selector
from yarl import URL

from tui_scraper.engine.emails import (
    emails_from_cloudflare,
    emails_from_mailto,
    emails_from_spelled,
    emails_from_text,
    is_cloudflare_protection,
)
from tui_scraper.engine.fields import FieldSpec, read_fields
from tui_scraper.engine.phones import phone_from_tel, phones_from_text
from tui_scraper.engine.socials import social_profile
from tui_scraper.engine.urls import canonicalize_parsed

__all__ = ["Extraction", "extract"]


@dataclass(slots=True)
class Extraction:
    """Facts extracted from one HTML page."""

    title: str | None = None
    meta_description: str | None = None
    h1: list[str] = field(default_factory=list)
    canonical: str | None = None
    lang: str | None = None
    word_count: int = 0
    links: list[str] = field(default_factory=list)
    links_internal: int = 0
    links_external: int = 0
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    socials: list[str] = field(default_factory=list)
    # Custom fields (`--field`): name -> the values its selector found.
    fields: dict[str, list[str]] = field(default_factory=dict)


# Browsers strip leading/trailing C0 controls and spaces from URLs and drop tabs/newlines inside.
_URL_STRIP = "".join(chr(c) for c in range(0x21))
_URL_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HTTP_SCHEMES = frozenset({"http", "https"})
# yarl accepts hosts such as "exa mple.com" or "a<b"; no such link can be fetched.
_HOST_RE = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?|[0-9a-f:.]*:[0-9a-f:.]*", re.I)

# Elements whose text is not visible page text; removed before reading text.
_INVISIBLE = ("script", "style", "noscript", "template")
# Elements the HTML standard's default style sheet lays out as blocks (block, list-item, table
# parts): their edges separate words, as a line break does. Everything else (span, a, small,
# sup, ruby, rt, b, ...) is inline: its text runs on from its neighbours.
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "body", "caption", "center", "col",
    "colgroup", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "html", "legend", "li", "listing", "main", "menu", "nav", "ol",
    "optgroup", "option", "p", "plaintext", "pre", "search", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "xmp",
)  # fmt: skip
# The reader's text: a space at each block element's edges and at <br>, inline elements' text
# run together, invisible elements skipped, comments dropped (XSLT's built-in rules).
_READER_TEXT = etree.XSLT(
    etree.XML(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="text" encoding="UTF-8"/>'
        f'<xsl:template match="{"|".join(_BLOCK_TAGS)}">'
        "<xsl:text> </xsl:text><xsl:apply-templates/><xsl:text> </xsl:text></xsl:template>"
        '<xsl:template match="br"><xsl:text> </xsl:text></xsl:template>'
        f'<xsl:template match="{"|".join(_INVISIBLE)}"/>'
        "</xsl:stylesheet>"
    )
)
_BLOCK_SET = frozenset(_BLOCK_TAGS)
_INVISIBLE_SET = frozenset(_INVISIBLE)
_WANTED_TAGS = ("title", "meta", "link", "base", "h1", "a", "area")
_CLOUDFLARE_EMAILS = etree.XPath("//@data-cfemail", smart_strings=False)

# A word is a whitespace-separated token that is not only punctuation or symbols, so separators
# such as "|" or "»" in navigation do not count. Checked with str methods: a regex scan over the
# page text costs several times more. The extra characters are typographic quotes, dashes,
# bullets and currency signs (escaped because several look like ASCII).
_ASCII_PUNCTUATION = string.punctuation.encode("ascii")
# What str.split() splits ASCII text at (str.isspace: \x1c-\x1f too, unlike bytes.split()).
_ASCII_WHITESPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
# Every ASCII byte as a space (whitespace) or an "a" (the rest): after punctuation is deleted,
# each word starts where " a" is, or at the very start.
_WORD_MARKS = bytes(0x20 if byte in _ASCII_WHITESPACE else 0x61 for byte in range(256))
_PUNCTUATION = string.punctuation + (
    "\u00ab\u00bb\u2039\u203a\u2013\u2014\u2012\u2015\u2010\u2026\u2022\u00b7"
    "\u00b0\u00a7\u00b6\u2020\u2021\u20ac\u00a3\u00a5\u00a2\u00a9\u00ae\u2122"
    "\u201c\u201d\u2018\u2019\u201e\u201a\u00a1\u00bf\u00d7\u00f7"
)


def _collapse(parts: Iterable[str]) -> str:
    """Concatenate text nodes and collapse all whitespace runs to one space."""
    return " ".join("".join(parts).split())


def _reader_text(element: etree._Element) -> str:
    """An element's text as a reader sees it, whitespace not yet collapsed.

    One XSLT pass (C speed, several times faster than touching the tree from Python on
    block-heavy pages); plain concatenation should libxslt refuse a document.
    """
    if not len(element):  # no children (most titles and headings): no transform needed
        tag = element.tag
        if tag in _INVISIBLE_SET:
            return ""
        text = element.text or ""
        return f" {text} " if tag in _BLOCK_SET else text
    try:
        return str(_READER_TEXT(element))
    except etree.LxmlError:
        return "".join(element.itertext())


def _element_text(element: etree._Element) -> str:
    """The reader's text of an element, whitespace collapsed."""
    return " ".join(_reader_text(element).split())


def _clean_url(raw: str) -> str:
    """Strip what browsers strip from an attribute URL before parsing it."""
    url = raw.strip(_URL_STRIP)
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_TAB_NEWLINE.sub("", url)
    return url


def _resolve(base: URL, href: str) -> URL | None:
    """Resolve an href against base; None unless it yields an http(s) URL with a host."""
    if "\\" in href:
        # For http(s), browsers read "\" as "/" before the query ("\\evil.com" is a host).
        cut = min((i for i in (href.find("?"), href.find("#")) if i >= 0), default=len(href))
        href = href[:cut].replace("\\", "/") + href[cut:]
    try:
        url = base.join(URL(href))
        host = url.raw_host
        if url.scheme not in _HTTP_SCHEMES or not host or _HOST_RE.fullmatch(host) is None:
            return None
        if url.raw_fragment:
            url = url.with_fragment(None)
    except Exception:  # any malformed href is skipped, never fatal for the page
        return None
    return url


def _count_words(text: str) -> int:
    """Whitespace-separated tokens, not counting those made only of punctuation/symbols."""
    if text.isascii():
        # Deleting punctuation empties exactly the punctuation-only tokens; one C pass over
        # the bytes and a count, no token objects: 4x faster than translate and split.
        marks = text.encode("ascii").translate(_WORD_MARKS, _ASCII_PUNCTUATION)
        return marks.count(b" a") + marks.startswith(b"a")
    return _count_words_unicode(text)


def _count_words_unicode(text: str) -> int:
    """`_count_words` for any text."""
    tokens = text.split()
    # Plain alphanumeric tokens are words outright; only the rest need the punctuation strip.
    odd = list(filterfalse(str.isalnum, tokens))
    return (
        len(tokens) - len(odd) + len(list(filter(None, map(str.strip, odd, repeat(_PUNCTUATION)))))
    )


def _parse(html: str) -> Selector | None:
    """Parse as HTML (whatever the first bytes claim); None if lxml cannot build a tree."""
    try:
        return Selector(text=html, type="html")
    except UnicodeEncodeError:
        # Lone surrogates cannot be encoded for lxml; replace them and try once more.
        html = html.encode("utf-8", "replace").decode("utf-8")
    except (ValueError, etree.LxmlError):
        return None
    try:
        return Selector(text=html, type="html")
    except (ValueError, etree.LxmlError):
        return None


def extract(
    html: str,
    page_url: str,
    is_internal: Callable[[str], bool],
    phone_region: str | None = None,
    fields: tuple[FieldSpec, ...] = (),
) -> Extraction:
    """Extract the page's fields; never raises on malformed HTML or URLs.

    `is_internal` receives a lower-case ASCII (IDNA) host; `phone_region` (e.g. "DE") is the
    default region for national-format phone numbers, None meaning international ones only;
    `fields` are the custom fields to read (each gets a list, empty when nothing matched).
    """
    result = Extraction()
    selector = _parse(html)
    root = selector.root if selector is not None else None
    if selector is None or root is None or not isinstance(root.tag, str):
        result.fields = {spec.name: [] for spec in fields}
        return result
    # Custom selectors see the document as parsed, before the tree is changed below.
    result.fields = read_fields(selector, fields)
    region = phone_region.upper() if phone_region else None

    if root.tag == "html":
        lang = (root.get("lang") or "").strip()
        result.lang = lang or None

    # One C-level pass over the elements we care about, in document order.
    title_el: etree._Element | None = None
    h1_elements: list[etree._Element] = []
    base_href: str | None = None
    canonical_href: str | None = None
    hrefs: list[str] = []
    description_seen = False
    for el in root.iter(_WANTED_TAGS):
        tag = el.tag
        if tag == "a" or tag == "area":
            href = el.get("href")
            if href is not None:
                hrefs.append(href)
        elif tag == "h1":
            # A heading inside <template> or <noscript> is not shown, like the text there.
            if not any(a.tag in _INVISIBLE for a in el.iterancestors()):
                h1_elements.append(el)
        elif tag == "meta":
            if not description_seen and (el.get("name") or "").strip().lower() == "description":
                description_seen = True
                result.meta_description = _collapse((el.get("content") or "",)) or None
        elif tag == "link":
            if canonical_href is None and "canonical" in (el.get("rel") or "").lower().split():
                href = el.get("href")
                if href and href.strip():
                    canonical_href = href
        elif tag == "title":
            # document.title ignores SVG <title> elements (tooltips inside inline icons).
            if title_el is None and not any(a.tag == "svg" for a in el.iterancestors()):
                title_el = el
        elif tag == "base" and base_href is None:
            base_href = el.get("href")

    if title_el is not None:
        result.title = _element_text(title_el) or None

    # Remove non-visible subtrees once (we own this tree), so text reads are plain iterations.
    etree.strip_elements(root, *_INVISIBLE, with_tail=False)
    result.h1 = [text for text in map(_element_text, h1_elements) if text]
    body = root.find("body")
    text = _reader_text(body) if body is not None else ""
    result.word_count = _count_words(text)

    emails: set[str] = set()
    phones: set[str] = set()
    emails_from_text(text, emails)
    emails_from_spelled(text, emails)
    if "data-cfemail" in html:  # a scan of the string costs far less than one of the tree
        for encoded in _CLOUDFLARE_EMAILS(root):
            emails_from_cloudflare(encoded, emails)
    phones_from_text(text, region, phones)

    # Links resolve against <base href> (itself resolved against the page) when it is usable.
    page = _resolve(URL(), _clean_url(page_url)) if page_url else None
    base = page
    if base_href is not None and page is not None:
        resolved_base = _resolve(page, _clean_url(base_href))
        if resolved_base is not None:
            base = resolved_base
    if base is None:
        base = URL()  # no usable page URL: only absolute hrefs can resolve

    if canonical_href is not None:
        canonical = _resolve(base, _clean_url(canonical_href))
        result.canonical = str(canonical) if canonical is not None else None

    seen: set[str] = set()
    links = result.links
    socials: set[str] = set()
    scope: dict[str, bool] = {}  # is_internal per host, asked once per page
    internal = 0
    for raw in hrefs:
        href = _clean_url(raw)
        if is_cloudflare_protection(href):
            emails_from_cloudflare(href, emails)  # an address in disguise, not a page to crawl
            continue
        scheme_match = _SCHEME_RE.match(href)
        if scheme_match is not None:
            scheme = scheme_match.group(1).lower()
            if scheme not in _HTTP_SCHEMES:
                rest = href[scheme_match.end() :]
                if scheme == "mailto":
                    emails_from_mailto(rest, emails)
                elif scheme == "tel":
                    phone_from_tel(rest, region, phones)
                continue
        url = _resolve(base, href)
        if url is None:
            continue
        # Canonical form, so tracking-parameter and case variants count (and crawl) once.
        link = canonicalize_parsed(url)
        if link is None or link in seen:
            continue
        host = (url.raw_host or "").lower()
        in_scope = scope.get(host)
        if in_scope is None:
            in_scope = scope[host] = bool(is_internal(host))
        seen.add(link)
        links.append(link)
        internal += in_scope
        profile = social_profile(url)
        if profile is not None:
            socials.add(profile)

    result.links_internal = internal
    result.links_external = len(links) - internal
    result.emails = sorted(emails)
    result.phones = sorted(phones)
    result.socials = sorted(socials)
    return result
