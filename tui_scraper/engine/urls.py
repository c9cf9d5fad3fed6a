"""URL canonicalization and crawl scope.

These functions run for every link of every page, so they parse each URL once
with yarl (which already does IDNA, percent-encoding normalization and dot
segment removal, with its own caches) and assemble the result by hand instead
of building intermediate ``URL`` objects.
"""

from __future__ import annotations

import re
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address

from yarl import URL

from tui_scraper.targets import site_key

__all__ = [
    "TRACKING_PARAMS",
    "Scope",
    "canonicalize",
    "canonicalize_parsed",
    "host_of",
    "same_site",
    "site_key",
]

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "gclid",  # Google Ads
        "gbraid",  # Google Ads (iOS)
        "wbraid",  # Google Ads (web to app)
        "dclid",  # Google Display
        "fbclid",  # Facebook
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "mc_eid",  # Mailchimp
        "mc_cid",  # Mailchimp
        "igshid",  # Instagram
        "twclid",  # X / Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "_hsenc",  # HubSpot
        "_hsmi",  # HubSpot
    }
)
"""Query keys (compared lower-cased) that only identify a click; any ``utm_*`` key is one too."""

_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

# What browsers strip around an href (C0 controls and space) and delete inside it
# (tab, CR, LF), per the WHATWG URL parser: hrefs scraped from HTML often carry them.
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_NEWLINE = str.maketrans("", "", "\t\r\n")

# Lenient on purpose: links found on the web use "_" in host names and browsers
# follow them; the strict host-name rules apply to user input (targets.py).
_HOST_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


def same_site(host_a: str, host_b: str) -> bool:
    """True when two host[:port] strings are one site (``www.`` ignored, ports must match)."""
    return site_key(host_a) == site_key(host_b)


def _parse(url: str) -> URL | None:
    """Parse an absolute URL the way browsers read an href, or None."""
    url = url.strip(_C0_AND_SPACE)
    if "\t" in url or "\n" in url or "\r" in url:
        url = url.translate(_TAB_NEWLINE)
    try:
        parsed = URL(url)
    except (ValueError, UnicodeError, TypeError):
        return None  # yarl refuses bad ports, bad IPv6 text, invisible host characters, ...
    return parsed if parsed.raw_host else None


def _host_part(parsed: URL) -> str | None:
    """Validated ``host[:port]`` of a parsed URL (default port dropped), or None if invalid."""
    host = parsed.raw_host
    if not host:
        return None
    # yarl's IDNA 2003 fallback leaves ASCII labels in their original case.
    host = host.lower()
    if ":" in host:
        # yarl passes through bracketed text it could not read as IPv6 (and zone ids);
        # neither is a host a crawler can use.
        if "%" in host:
            return None
        try:
            host = f"[{IPv6Address(host).compressed}]"
        except ValueError:
            return None
    else:
        # A trailing dot names the same host; dropping it merges duplicates and keeps
        # TLS name checks happy.
        if host.endswith("."):
            host = host[:-1]
        if not _HOST_RE.fullmatch(host) or len(host) > 253:
            return None
        # A name whose last label is numeric can only be an IPv4 address (no TLD is);
        # yarl has already normalized real ones, so anything else here is junk.
        if host[-1].isdigit() and host.rpartition(".")[2].isdigit():
            try:
                IPv4Address(host)
            except ValueError:
                return None
    port = parsed.explicit_port
    if port is not None and port != _DEFAULT_PORTS.get(parsed.scheme):
        if not 0 < port < 65536:
            return None
        return f"{host}:{port}"
    return host


def _strip_tracking(query: str) -> str:
    """Drop tracking parameters from a raw query string, keeping the rest as written."""
    if not query:
        return query
    kept: list[str] = []
    removed = False
    for part in query.split("&"):
        key = part.split("=", 1)[0].lower()
        if key.startswith("utm_") or key in TRACKING_PARAMS:
            removed = True
        else:
            kept.append(part)
    return "&".join(kept) if removed else query


def canonicalize(url: str) -> str | None:
    """Canonical form of an absolute http(s) URL, or None if it is not one or cannot be parsed.

    Scheme and host lower-cased, IDNA punycode host (trailing dot dropped), default port
    dropped, fragment dropped, empty path becomes "/", tracking parameters removed, the
    rest of the query kept in its order (an empty query drops the "?"), percent-encoding
    normalized the way yarl does, dot segments resolved. URLs carrying credentials
    (``user:pw@host``) give None: a crawler must not send or store credentials it found
    in page markup.
    """
    parsed = _parse(url)
    return None if parsed is None else canonicalize_parsed(parsed)


def canonicalize_parsed(parsed: URL) -> str | None:
    """`canonicalize` of a URL already parsed by yarl (links: parsed once, not twice)."""
    if parsed.scheme not in _DEFAULT_PORTS:
        return None
    if parsed.raw_user is not None or parsed.raw_password is not None:
        return None
    host = _host_part(parsed)
    if host is None:
        return None
    path = parsed.raw_path or "/"
    query = _strip_tracking(parsed.raw_query_string)
    if query:
        return f"{parsed.scheme}://{host}{path}?{query}"
    return f"{parsed.scheme}://{host}{path}"


def host_of(url: str) -> str:
    """Lower-case ``host[:port]`` of an absolute URL (default port dropped), "" if none."""
    parsed = _parse(url)
    if parsed is None:
        return ""
    return _host_part(parsed) or ""


@lru_cache(maxsize=1024)
def _normalize_host(host: str) -> str:
    """Normalize a bare ``host[:port]`` (case, IDNA, IPv6 form, trailing dot); "" if invalid.

    Cached because a crawl checks the same few hosts over and over.
    """
    if "://" in host:
        return host_of(host)
    # No scheme means no default port to drop: the port is kept as given.
    parsed = _parse(f"//{host}")
    if parsed is None or parsed.raw_user is not None or parsed.raw_path not in ("", "/"):
        return ""
    if parsed.raw_query_string or parsed.raw_fragment:
        return ""
    return _host_part(parsed) or ""


class Scope:
    """The hosts one domain crawl may follow: the host reached after the start page's
    redirects, with and without ``www.``. Ports must match; http and https both count.
    """

    __slots__ = ("host", "key")

    def __init__(self, host: str) -> None:
        """``host`` is a ``host[:port]`` (an absolute URL is accepted too)."""
        self.host: str = _normalize_host(host) or host.lower()
        self.key: str = site_key(self.host)

    def __contains__(self, url_or_host: str) -> bool:
        """True if an absolute URL or a bare ``host[:port]`` is in scope."""
        host = host_of(url_or_host) if "://" in url_or_host else _normalize_host(url_or_host)
        return bool(host) and site_key(host) == self.key

    def is_internal_host(self, host: str) -> bool:
        """True if ``host[:port]`` is this site's host, with or without ``www.``."""
        normalized = _normalize_host(host)
        return bool(normalized) and site_key(normalized) == self.key

    def __repr__(self) -> str:
        return f"Scope({self.host!r})"
