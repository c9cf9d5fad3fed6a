"""Parse the user's list of domains into crawl targets and rejections.

One entry a line; commas and whitespace also separate entries. Blank lines and
``#`` comments (a whole line, or the rest of a line after whitespace) are ignored.
Every entry becomes either a :class:`Target` or a :class:`Rejection` carrying its
line number and a short reason; duplicates (same site, same port) are merged,
the first one wins. :func:`parse_targets` never raises.

Decisions:

* ``user:pw@host`` is rejected: the batch document stores every input in clear,
  and a crawler of public sites has no use for credentials.
* A bare single-label name (``examplecom``, a word of prose) is rejected as a likely
  typo, except ``localhost``; with a scheme or a port (``http://intranet:8080``) it is
  clearly meant and accepted. Any TLD is fine, ``.test`` included.
* Host names are strict LDH (letters, digits, hyphens): no ``_``, no label
  starting or ending with ``-``, labels up to 63 and names up to 253 characters.
* Internationalized names are encoded as yarl encodes them (IDNA 2008 with UTS 46
  mapping, falling back to IDNA 2003 for names such as emoji domains), so a
  target's domain equals the host yarl reports for the same name.
* Without a scheme the start URL is ``https://``; a bare ``host:80`` means
  ``http://host/`` (nobody serves TLS on port 80), a bare ``host:443`` is plain https.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import idna
from yarl import URL

from tui_scraper.text import REPLACEMENT, valid_bytes_text, valid_text

__all__ = [
    "ParseCancelled",
    "ParsedTargets",
    "Rejection",
    "Target",
    "parse_targets",
    "read_domain_list",
    "site_key",
]

_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}
_MAX_ENTRY = 4096  # longer than any sane start URL; keeps pathological input cheap
_MAX_SHOWN = 40  # how much of an offending fragment a reason quotes
_NOT_AFTER_SCHEME = frozenset("0123456789:")  # "name:8080" is a port, "fe80::1" an address

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_COMMENT_RE = re.compile(r"(?:^|\s)#")
_SEPARATOR_RE = re.compile(r"[\s,]+")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_LABEL_CHARS_RE = re.compile(r"[a-z0-9-]*")
_BAD_LABEL_CHAR_RE = re.compile(r"[^a-z0-9-]")
_NOT_WORD_RE = re.compile(r"[.:/\[@]")  # what a host, URL or address has and a word has not


@dataclass(frozen=True, slots=True)
class Target:
    """One domain to crawl."""

    domain: str
    """Normalized host: lower-case, IDNA punycode, no trailing dot, ``:PORT`` if non-default;
    IPv6 as ``[::1]``."""
    input: str
    """The entry as the user wrote it (stripped)."""
    start_url: str
    """Where the crawl starts: the given URL normalized, else ``https://{domain}/``."""
    explicit_scheme: bool
    """False means the crawler may fall back to ``http://`` when https cannot connect."""
    line: int
    """1-based line number in the input text."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An entry that is not a usable domain, and why."""

    line: int
    input: str
    reason: str


@dataclass(slots=True)
class ParsedTargets:
    """The result of :func:`parse_targets`, both lists in input order."""

    targets: list[Target]
    rejected: list[Rejection]


class _Invalid(Exception):
    """Internal: an entry is rejected, with the reason as message."""


def site_key(domain_or_host: str) -> str:
    """The site a host belongs to: lower-case, leading ``www.`` stripped, port kept.

    ``www.example.com`` and ``example.com`` are one site; ``example.com:8080`` is another.
    """
    key = domain_or_host.lower()
    if key.startswith("www.") and len(key) > 4:
        return key[4:]
    return key


def _shown(text: str) -> str:
    """A fragment of user input fit to quote in a reason."""
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "…"
    return repr(text)


def _check_labels(host: str, single_label_ok: bool) -> None:
    """Check the structure of an ASCII, lower-case host name; raise _Invalid on the first fault."""
    if len(host) > 253:
        raise _Invalid("host name longer than 253 characters")
    labels = host.split(".")
    for label in labels:
        if not label:
            raise _Invalid("empty label in host name")
        if len(label) > 63:
            raise _Invalid("label longer than 63 characters in host name")
        if not _LABEL_CHARS_RE.fullmatch(label):
            bad = _BAD_LABEL_CHAR_RE.search(label)
            char = bad.group() if bad else label
            raise _Invalid(f"invalid character {char!r} in host name")
        if label[0] == "-" or label[-1] == "-":
            raise _Invalid("label starts or ends with '-'")
        if label.startswith("xn--"):
            try:
                label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError, IndexError):
                raise _Invalid(f"invalid punycode label {_shown(label)}") from None
    if len(labels) == 1 and not single_label_ok and host != "localhost":
        raise _Invalid("single-label host name (no dot)")


def _encode_idn(host: str) -> str:
    """Punycode a non-ASCII host the way yarl does; raise _Invalid with a useful reason."""
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except (UnicodeError, ValueError):
        pass
    try:
        # IDNA 2003: still how browsers and yarl reach names IDNA 2008 forbids (emoji).
        return host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        pass
    # Both encoders refused: find a structural reason to report if there is one.
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (UnicodeError, ValueError):
        mapped = host
    if mapped.endswith("."):
        mapped = mapped[:-1]
    for label in mapped.split("."):
        if not label:
            raise _Invalid("empty label in host name")
    raise _Invalid("not a valid internationalized host name")


def _normalize_host(host: str, single_label_ok: bool) -> str:
    """Normalized host (no port) of an entry, brackets kept for IPv6; raise _Invalid."""
    if host.startswith("["):
        inner = host[1:-1]
        if "%" in inner:
            raise _Invalid("IPv6 zone identifiers are not supported")
        try:
            return f"[{IPv6Address(inner).compressed}]"
        except ValueError:
            raise _Invalid("not a valid IPv6 address") from None
    host = host.lower() if host.isascii() else _encode_idn(host)
    # One trailing dot is the fully qualified spelling of the same name.
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise _Invalid("missing host")
    last = host.rsplit(".", 1)[-1]
    if last.isdigit():
        # No TLD is numeric, so this can only be meant as an IPv4 address.
        try:
            return str(IPv4Address(host))
        except ValueError:
            raise _Invalid("not a valid IPv4 address") from None
    _check_labels(host, single_label_ok)
    return host


def _parse_port(text: str) -> int | None:
    """Port number of an entry (None if absent); raise _Invalid."""
    if not text:
        return None  # "host:" is allowed by the URL standard and means no port
    if not (text.isascii() and text.isdigit()):
        raise _Invalid(f"invalid port {_shown(text)}")
    # Guard int() against huge digit strings before converting.
    digits = text.lstrip("0")
    if len(digits) > 5 or not 1 <= int(digits or "0") <= 65535:
        raise _Invalid("port out of range")
    return int(digits)


def _split_authority(authority: str) -> tuple[str, str]:
    """Split ``host[:port]`` (IPv6 in brackets) into host and port text."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise _Invalid("unterminated IPv6 address")
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _Invalid("unexpected text after IPv6 address")
        return authority[: end + 1], rest[1:]
    if authority.count(":") > 1:
        # A bare IPv6 address: accept it, since nothing else can be meant.
        try:
            return f"[{IPv6Address(authority).compressed}]", ""
        except ValueError:
            raise _Invalid("IPv6 addresses must be written in brackets") from None
    host, _, port = authority.partition(":")
    return host, port


def _start_url(scheme: str, domain: str, tail: str) -> str:
    """The normalized start URL: path and query kept (yarl's encoding), fragment dropped."""
    if not tail or tail[0] == "#":
        return f"{scheme}://{domain}/"
    try:
        parsed = URL(f"{scheme}://{domain}{tail}")
        path = parsed.raw_path or "/"
        query = parsed.raw_query_string
    except (ValueError, UnicodeError):
        raise _Invalid("invalid characters in path") from None
    return f"{scheme}://{domain}{path}?{query}" if query else f"{scheme}://{domain}{path}"


def _authority_of(rest: str) -> str:
    """The ``[userinfo@]host[:port]`` part: everything before the first '/', '?' or '#'."""
    cut = len(rest)
    for delimiter in "/?#":
        found = rest.find(delimiter, 0, cut)
        if found >= 0:
            cut = found
    return rest[:cut]


def _parse_entry(entry: str, line: int) -> Target:
    """Turn one entry into a Target; raise _Invalid with the reason."""
    if len(entry) > _MAX_ENTRY:
        raise _Invalid("entry too long")
    scheme = ""
    rest = entry
    match = _SCHEME_RE.match(entry)
    if match and match.group(2):
        scheme, rest = match.group(1).lower(), entry[match.end() :]
        if scheme not in _DEFAULT_PORTS:
            raise _Invalid(f"unsupported scheme {_shown(scheme)}")
    else:
        name = match.group(1).lower() if match else ""
        if name == "mailto" or "@" in _authority_of(entry):
            # People paste e-mail addresses into domain lists far more often than
            # "user:pw@host"; tell the two apart by the colon of a password.
            userinfo = entry.rpartition("@")[0]
            if name == "mailto" or ":" not in userinfo:
                raise _Invalid("an e-mail address, not a domain")
            raise _Invalid("credentials (user@host) are not supported")
        if name in _DEFAULT_PORTS:
            raise _Invalid(f"missing '//' after '{name}:'")
        after = entry[match.end() : match.end() + 1] if match else ""
        if name and "." not in name and name != "localhost" and after not in _NOT_AFTER_SCHEME:
            # "javascript:...", "tel:..."; not "host:8080", "fe80::1" or "example.com:x".
            raise _Invalid(f"unsupported scheme {_shown(name)}")

    authority = _authority_of(rest)
    tail = rest[len(authority) :]
    if not authority:
        raise _Invalid("missing host")
    if "@" in authority:
        raise _Invalid("credentials (user@host) are not supported")

    host_text, port_text = _split_authority(authority)
    port = _parse_port(port_text)
    host = _normalize_host(host_text, single_label_ok=bool(scheme) or port is not None)

    explicit = bool(scheme)
    if not scheme:
        # A bare host:80 can only mean plain http; everything else starts on https.
        scheme = "http" if port == 80 else "https"
        explicit = port == 80
    domain = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    return Target(
        domain=domain,
        input=entry,
        start_url=_start_url(scheme, domain, tail),
        explicit_scheme=explicit,
        line=line,
    )


class ParseCancelled(Exception):
    """`parse_targets` was told to stop (a newer list replaced the one it parsed)."""


# How many lines are parsed between two looks at `cancelled`.
_CANCEL_CHECK_LINES = 1000


def parse_targets(text: str, cancelled: Callable[[], bool] | None = None) -> ParsedTargets:
    """Parse a pasted or loaded list of domains. Never raises, unless told to stop.

    A line of several space-separated entries, none valid and mostly plain words
    (``not a domain!``), reads as prose, not a list, so it is rejected once as a whole.
    `cancelled` is asked every _CANCEL_CHECK_LINES lines; once it says yes, the parse
    raises ParseCancelled (a thread parsing an outdated list stops taking CPU time).
    """
    targets: list[Target] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    text = valid_text(text)  # argv's undecodable bytes arrive as lone surrogates
    for number, raw_line in enumerate(_LINE_BREAK_RE.split(text), start=1):
        if cancelled is not None and number % _CANCEL_CHECK_LINES == 0 and cancelled():
            raise ParseCancelled
        comment = _COMMENT_RE.search(raw_line)
        content = (raw_line[: comment.start()] if comment else raw_line).strip()
        if not content:
            continue
        entries = [entry for entry in _SEPARATOR_RE.split(content) if entry]
        found: list[Target] = []
        failed: list[Rejection] = []
        for entry in entries:
            if REPLACEMENT in entry:
                failed.append(Rejection(number, entry, "holds bytes that are not UTF-8 text"))
                continue
            try:
                found.append(_parse_entry(entry, number))
            except _Invalid as error:
                failed.append(Rejection(line=number, input=entry, reason=str(error)))
        # Several plain words and nothing valid: a sentence, not a list of domains.
        words = sum(1 for entry in entries if not _NOT_WORD_RE.search(entry))
        prose = not found and len(entries) > 1 and "," not in content and 2 * words >= len(entries)
        if prose:
            failed = [Rejection(line=number, input=content, reason="not a valid host name")]
        rejected.extend(failed)
        for target in found:
            key = site_key(target.domain)
            if key not in seen:
                seen.add(key)
                targets.append(target)
    return ParsedTargets(targets=targets, rejected=rejected)


MAX_LIST_BYTES = 50_000_000  # a domain list larger than this is a mistake


def read_domain_list(path_text: str) -> str:
    """The text of a domain list file; never OSError: ValueError with a clear reason."""
    path = Path(path_text.strip()).expanduser()
    if not path_text.strip():
        raise ValueError("type the path of a file")
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise ValueError(f"{path} is larger than {MAX_LIST_BYTES // 1_000_000} MB")
        # Undecodable bytes become U+FFFD: their lines are rejected, the rest goes on.
        return valid_bytes_text(path.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a file") from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
