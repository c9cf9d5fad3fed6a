"""Decode HTTP response bodies to text the way browsers do (WHATWG encoding sniffing)."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    resolve_encoding,
    to_unicode,
)

__all__ = ["decode_html", "is_html", "valid_unicode"]

# The WHATWG prescan looks at the first 1024 bytes only; a later <meta> is ignored by browsers.
_META_SCAN_BYTES = 1024
# Detection cost grows with input (charset-normalizer takes ~0.3 ms on 2 KB, ~1 ms on 4 KB);
# 2 KB around the first non-UTF-8 byte told all the usual legacy encodings apart in testing.
_DETECT_BYTES = 2048

# Only these byte-order marks are honoured by browsers (w3lib's read_bom also knows UTF-32,
# whose BOM FF FE 00 00 a browser reads as UTF-16LE), so the check is spelled out here.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

# Python codecs that w3lib may resolve a label to but that no browser would use to decode a
# page: they are text-to-text escapes or reject everything, so the label counts as unknown.
_NOT_WEB_ENCODINGS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "utf-7"}
)

# Detection is limited to the legacy encodings browsers actually meet on the web; unrestricted,
# charset-normalizer happily answers mac-iceland or cp1006 for plain Western text. UTF-8 is not
# a candidate: detection only runs once the body has proved not to be UTF-8.
_DETECTABLE = [
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_8",
    "koi8_r",
    "koi8_u",
    "cp866",
    "gb18030",
    "big5",
    "euc_jp",
    "cp932",
    "iso2022_jp",
    "euc_kr",
]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """`text` as valid Unicode: bytes that arrived undecoded (surrogates) become U+FFFD.

    aiohttp and the OS hand over undecodable bytes as surrogate escapes; a lone
    surrogate cannot be written as UTF-8 JSON, so it must never reach a record.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # surrogate escapes are the original bytes: decode them as UTF-8 where they are
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", text)


def is_html(content_type: str | None) -> bool:
    """Whether a Content-Type header names an HTML document (a missing one counts as HTML)."""
    if content_type is None:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return not media_type or media_type in _HTML_TYPES


def _usable(encoding: str | None) -> str | None:
    """Return the Python codec name if it is a text encoding a browser could use, else None."""
    if not encoding:
        return None
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return None
    name = info.name
    # Bytes-to-bytes codecs (base64, zlib, ...) are not text encodings; decoding with them raises.
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_WEB_ENCODINGS:
        return None
    if name.startswith("utf-32"):
        # UTF-32 is not a web encoding; browsers ignore the label.
        return None
    if name == "utf-16":
        # The WHATWG label "utf-16" means UTF-16LE; Python's codec would guess the byte order.
        return "utf-16-le"
    return name


def _decode(body: bytes, encoding: str) -> str | None:
    """Decode with replacement characters; None if the codec itself cannot run."""
    try:
        # w3lib's to_unicode also maps gb18030's unmappable sequences the way browsers do.
        return to_unicode(body, encoding)
    except (LookupError, UnicodeError, TypeError, ValueError):
        return None


def _meta_encoding(body: bytes) -> str | None:
    """Encoding declared by a <meta> in the first 1024 bytes, with the WHATWG adjustments."""
    try:
        declared = html_body_declared_encoding(body[:_META_SCAN_BYTES])
    except (LookupError, ValueError, TypeError):
        return None
    encoding = _usable(declared)
    if encoding is not None and encoding.startswith("utf-16"):
        # A document that can declare its charset in ASCII markup is not UTF-16: WHATWG says UTF-8.
        return "utf-8"
    return encoding


def _detect(body: bytes) -> str:
    """Guess the encoding of a body that neither the header nor a <meta> names."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    else:
        # Valid UTF-8 (including pure ASCII) is by far the common case and cheap to confirm.
        return "utf-8"
    # A page often opens with kilobytes of pure-ASCII scripts and styles that tell a detector
    # nothing, so sample the bytes around the first one that is not UTF-8 (like Firefox, invalid
    # UTF-8 rules UTF-8 out).
    start = max(0, first_bad - _DETECT_BYTES // 4)
    while start < first_bad and 0x80 <= body[start] <= 0xBF:
        start += 1  # begin on a character boundary, not inside a multi-byte sequence
    sample = body[start : start + _DETECT_BYTES]
    try:
        matches = list(charset_normalizer.from_bytes(sample, cp_isolation=_DETECTABLE))
    except Exception:  # a detector bug must never fail the page; utf-8 with replacement will do
        matches = []
    if matches:
        best = matches[0]
        label = best.encoding
        for match in matches:
            # Latin-script text often scores the same in several single-byte code pages; on a tie
            # take windows-1252, the legacy default of browsers in most locales.
            if (match.chaos, match.coherence) != (best.chaos, best.coherence):
                break
            if "cp1252" in match.could_be_from_charset:
                label = "cp1252"
                break
        encoding = _usable(_resolve(label))
        # Guessing UTF-16 for markup is nearly always wrong (binary junk); prefer UTF-8 then.
        if encoding is not None and not encoding.startswith("utf-16"):
            return encoding
    return "utf-8"


def _resolve(label: str | None) -> str | None:
    """Map a label through w3lib's browser overrides (latin1/ascii -> cp1252, gbk -> gb18030)."""
    if not label:
        return None
    try:
        return resolve_encoding(label)
    except (LookupError, ValueError, TypeError):
        return None


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body; return (text, Python codec name used). Never raises.

    Order as in browsers: byte-order mark, HTTP charset, <meta> charset in the first 1024 bytes,
    detection, utf-8. Labels iso-8859-1/latin1/ascii/us-ascii decode as windows-1252 ("cp1252").
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace"), encoding

    try:
        header_encoding = http_content_type_encoding(content_type)
    except (LookupError, ValueError, TypeError):
        header_encoding = None
    # The <meta> prescan only runs when the header names no usable charset.
    for declared in (lambda: _usable(header_encoding), lambda: _meta_encoding(body)):
        encoding = declared()
        if encoding is not None:
            text = _decode(body, encoding)
            if text is not None:
                return text, encoding

    encoding = _detect(body)
    text = _decode(body, encoding)
    if text is None:
        encoding = "utf-8"
        text = body.decode(encoding, "replace")
    return text, encoding
