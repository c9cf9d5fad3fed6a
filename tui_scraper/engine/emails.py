"""Email addresses on a page: in its text, in `mailto:` links and behind the usual disguises.

What a person would copy: plain addresses, Cloudflare's email protection decoded (the
`data-cfemail` attribute and `/cdn-cgi/l/email-protection#HEX` links), and spellings such as
`name [at] example [dot] com` or `name(at)example.com`; never asset names that look like
addresses (`logo@2x.png`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = [
    "decode_cfemail",
    "emails_from_cloudflare",
    "emails_from_mailto",
    "emails_from_spelled",
    "emails_from_text",
    "is_cloudflare_protection",
]

# Email: a dot-atom local part of the characters real addresses use (RFC 5322 also allows
# "'", "|", "{" and the like, which in page text are nearly always quotes or separators next to
# an address) and a hostname with a letters-only TLD. Domain labels may hold any Unicode
# letters/digits (IDN). The lookarounds stop matches inside longer tokens.
_EMAIL_LOCAL = r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
_EMAIL_DOMAIN = r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}"
_EMAIL_RE = re.compile(rf"(?<![\w.%+\-]){_EMAIL_LOCAL}@{_EMAIL_DOMAIN}(?![\w\-])")
_EMAIL_FULL_RE = re.compile(rf"{_EMAIL_LOCAL}@{_EMAIL_DOMAIN}")
# Retina image names (logo@2x.png) and asset references look like emails; a TLD that is a file
# extension gives them away.
_FILE_TLDS = frozenset(
    {
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "avif",
        "ico",
        "bmp",
        "tif",
        "tiff",
        "css",
        "js",
        "mjs",
        "json",
        "xml",
        "webm",
        "mp4",
        "mp3",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "map",
        "php",
        "html",
        "htm",
        "aspx",
    }
)
_EMAIL_MAX = 254
_EMAIL_LOCAL_MAX = 64

# Spelled-out addresses: "name [at] example [dot] com", "name(at)example.com", "name {at} x.de".
# Only bracketed words count: a bare "at" or "dot" is an ordinary word far more often.
_AT_WORD = r"\s*[\[({]\s*at\s*[\])}]\s*"
_DOT_WORD = r"\s*[\[({]\s*dot\s*[\])}]\s*"
_DOT_WORD_RE = re.compile(_DOT_WORD, re.IGNORECASE)
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"
_SPELLED_RE = re.compile(
    rf"(?<![\w.%+\-])({_EMAIL_LOCAL}){_AT_WORD}((?:{_LABEL}(?:{_DOT_WORD}|\.))+[^\W\d_]{{2,63}})"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_SPELLED_WINDOW = 200  # characters either side of an "(at)" that may belong to its address

# Cloudflare's email protection: the address XOR-ed with the first byte, as hex.
_CF_PROTECTION_PATH = "/cdn-cgi/l/email-protection"
_CF_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2}){2,300}")


def _email_ok(email: str) -> bool:
    """Reject matches that are file names or too long to be real addresses."""
    if len(email) > _EMAIL_MAX:
        return False
    local, _, domain = email.rpartition("@")
    if len(local) > _EMAIL_LOCAL_MAX:
        return False
    return domain.rpartition(".")[2] not in _FILE_TLDS


def emails_from_text(text: str, found: set[str]) -> None:
    """Addresses in the text; the regex runs only on windows around each "@" (fast str.find)."""
    at = text.find("@")
    while at >= 0:
        start = max(0, at - _EMAIL_LOCAL_MAX - 1)
        end = at + _EMAIL_MAX
        # Windows around nearby "@"s are merged so a match is never cut in two.
        nxt = text.find("@", at + 1)
        while 0 <= nxt < end:
            end = nxt + _EMAIL_MAX
            nxt = text.find("@", nxt + 1)
        # pos/endpos (unlike slicing) keep the lookbehind's view of the preceding character.
        for match in _EMAIL_RE.finditer(text, start, end):
            email = match.group().lower()
            if _email_ok(email):
                found.add(email)
        at = nxt


def emails_from_mailto(value: str, found: set[str]) -> None:
    """Addresses of a mailto: URL (after the scheme): query dropped, percent-decoded, comma list."""
    value = value.split("?", 1)[0]
    if len(value) > 4 * _EMAIL_MAX:
        return
    for part in unquote(value).split(","):
        email = part.strip().lower()
        if _EMAIL_FULL_RE.fullmatch(email) and _email_ok(email):
            found.add(email)


def _at_marks(text: str) -> list[tuple[int, int]]:
    """(start, end) of every "[at]", "(at)" or "{at}" (any case, spaces inside), in order.

    Found from the closing brackets with str.find, which most pages have few of: a
    regex scanning every character for an opening bracket cost 7% of a page's CPU.
    """
    marks: list[tuple[int, int]] = []
    for closer in "])}":
        close = text.find(closer)
        while close >= 0:
            j = close - 1
            while j >= 0 and text[j].isspace():
                j -= 1
            if j >= 1 and text[j - 1 : j + 1].lower() == "at":
                k = j - 2
                while k >= 0 and text[k].isspace():
                    k -= 1
                if k >= 0 and text[k] in "[({":
                    marks.append((k, close + 1))
            close = text.find(closer, close + 1)
    marks.sort()
    return marks


def emails_from_spelled(text: str, found: set[str]) -> None:
    """Addresses written with "[at]" / "(at)" and "[dot]" / "(dot)" for "@" and "."."""
    end_of_last = 0
    for mark_start, mark_end in _at_marks(text):
        if mark_start < end_of_last:
            continue
        start = max(end_of_last, mark_start - _EMAIL_LOCAL_MAX - 4)
        end = min(len(text), mark_end + _SPELLED_WINDOW)
        for match in _SPELLED_RE.finditer(text, start, end):
            domain = _DOT_WORD_RE.sub(".", match.group(2))
            email = f"{match.group(1)}@{domain}".lower()
            if _EMAIL_FULL_RE.fullmatch(email) and _email_ok(email):
                found.add(email)
            end_of_last = match.end()


def decode_cfemail(hex_text: str) -> str | None:
    """The text Cloudflare hid in `hex_text` (key byte, then the bytes XOR-ed with it)."""
    hex_text = hex_text.strip()
    if _CF_HEX_RE.fullmatch(hex_text) is None:
        return None
    data = bytes.fromhex(hex_text)
    key = data[0]
    try:
        return bytes(byte ^ key for byte in data[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None


def is_cloudflare_protection(href: str) -> bool:
    """Whether a link is Cloudflare's email protection: a disguised address, not a page."""
    return _CF_PROTECTION_PATH in href


def emails_from_cloudflare(encoded: str, found: set[str]) -> None:
    """The address of a `data-cfemail` value or an email-protection link's `#HEX` fragment."""
    if "#" in encoded:
        encoded = encoded.rpartition("#")[2]
    decoded = decode_cfemail(encoded)
    if decoded is not None:
        emails_from_mailto(decoded.removeprefix("mailto:"), found)
