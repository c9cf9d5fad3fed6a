"""URL, text and transfer-encoding helpers: canonical URLs as the spec defines them."""

from __future__ import annotations

import gzip
import html
import random
import re

import brotli
from yarl import URL

try:  # Python 3.14 has zstd in the standard library; earlier ones take the backport
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]


TRACKING_PARAMS = frozenset({"gclid", "fbclid"})


def compress(body: bytes, coding: str) -> bytes:
    """`body` as sent with Content-Encoding `coding` (gzip, br or zstd)."""
    if coding == "gzip":
        return gzip.compress(body, mtime=0)
    if coding == "br":
        return brotli.compress(body)
    if coding == "zstd":
        return zstd.compress(body)
    return body


def decompress(body: bytes, coding: str) -> bytes:
    """The inverse of `compress`."""
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return bytes(brotli.decompress(body))
    if coding == "zstd":
        return zstd.decompress(body)
    return body


def is_tracking_param(name: str) -> bool:
    """True for the query parameters canonicalization removes."""
    lower = name.lower()
    return lower.startswith("utm_") or lower in TRACKING_PARAMS


def canonical_url(href: str, base: str | None = None) -> str:
    """The spec's canonical form of `href` resolved against `base`."""
    url = URL(href)
    if base is not None:
        url = URL(base).join(url)
    url = url.with_fragment(None)
    if url.query_string:
        kept = [(k, v) for k, v in url.query.items() if not is_tracking_param(k)]
        url = url.with_query(kept) if kept else url.with_query(None)
    return str(url)


def strip_tracking_path(path: str) -> str:
    base, _, query = path.partition("?")
    kept = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return f"{base}?{'&'.join(kept)}" if kept else base


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


def slugify(text: str) -> str:
    """A URL slug: lower-case ASCII words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def esc_attr(text: str) -> str:
    return html.escape(text, quote=True)


def page_rng(seed: int, host: str, path: str) -> random.Random:
    # Per-page generators make a page independent of generation order (lazy sites).
    return random.Random(f"{seed}/{host}/{path}")
