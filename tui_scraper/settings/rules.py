"""The rules of the settings that are more than a number in a range: one function each.

Each raises SettingError with a one-line message that names the setting's flag. None of
them knows where the value came from (a flag, the app's form or a stored batch).
"""

from __future__ import annotations

import re
import ssl

from tui_scraper.settings.fields import FieldSpecError, parse_field_specs

MASKED_CREDENTIALS = "***"
# CR, LF, NUL and the other C0 controls (tab aside) and DEL: never in a header or a path.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# An HTTP field name (RFC 9110 token)
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class SettingError(ValueError):
    """A setting value that cannot be used; the message names the setting, on one line."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        """The name of the setting at fault (`per_domain`), when one is."""


def flag_name(name: str) -> str:
    """The command-line flag of a setting: `per_domain` -> `--per-domain`."""
    return "--" + name.replace("_", "-")


def check_no_controls(name: str, text: str) -> None:
    """Refuse a setting holding CR, LF, NUL or another control character."""
    found = _CONTROL_RE.search(text)
    if found is not None:
        raise SettingError(
            f"{flag_name(name)} must not contain control characters ({found.group()!r} found)",
            setting=name,
        )


def parse_header(header: str) -> tuple[str, str]:
    """`NAME: VALUE` as (name, value); SettingError if it is no valid header."""
    check_no_controls("header", header)
    name, sep, value = header.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME_RE.match(name):
        raise SettingError(f"--header {header!r}: expected NAME: VALUE", setting="header")
    return name, value.strip()


def check_headers(headers: list[str]) -> None:
    """Refuse a `--header` that is no `NAME: VALUE`."""
    for header in headers:
        parse_header(header)


def parse_connect_to(rule: str) -> tuple[str, int | None, str, int]:
    """Parse a curl-style HOST1:PORT1:HOST2:PORT2 rule; empty HOST1 or PORT1 match any.

    HOST2 may be an IPv6 address in brackets. Returns (host1, port1 or None, host2, port2).
    """

    def refuse(reason: str) -> SettingError:
        return SettingError(f"--connect-to {rule!r}: {reason}", setting="connect_to")

    parts: list[str] = []
    rest = rule.strip()
    for _ in range(3):
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise refuse("unclosed '['")
            parts.append(rest[1:end])
            rest = rest[end + 1 :]
            if not rest.startswith(":"):
                raise refuse("expected HOST1:PORT1:HOST2:PORT2")
            rest = rest[1:]
            continue
        head, sep, rest = rest.partition(":")
        if not sep:
            raise refuse("expected HOST1:PORT1:HOST2:PORT2")
        parts.append(head)
    parts.append(rest)
    host1, port1_text, host2, port2_text = parts
    try:
        port1 = int(port1_text) if port1_text else None
        port2 = int(port2_text)
    except ValueError:
        raise refuse("ports must be numbers") from None
    # An empty HOST2 keeps the request's host (resolved as usual), as in curl.
    for port in (port1, port2):
        if port is not None and not 0 < port < 65536:
            raise refuse(f"port {port} out of range")
    return host1.lower().rstrip("."), port1, host2, port2


def check_connect_to(rules: list[str]) -> None:
    """Refuse a `--connect-to` rule that is no HOST1:PORT1:HOST2:PORT2."""
    for rule in rules:
        parse_connect_to(rule)


def check_fields(texts: list[str]) -> None:
    """Refuse `--field` values parsel cannot use (SettingError with parsel's reason)."""
    try:
        parse_field_specs(texts)
    except FieldSpecError as error:
        raise SettingError(str(error), setting="field") from None


def check_ca_bundle(path: str) -> None:
    """Refuse a --ca-bundle that is no readable PEM file of certificates."""

    def refuse(reason: str) -> SettingError:
        return SettingError(f"--ca-bundle {path}: {reason}", setting="ca_bundle")

    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise refuse("no such file") from None
    except (ssl.SSLError, ValueError):
        raise refuse("not a PEM file of certificates") from None
    except OSError as error:
        raise refuse(str(error.strerror or error)) from None


def parse_cluster_address(address: str) -> tuple[str, int | str]:
    """`local:N` as ("local", N), a scheduler `tcp://HOST:PORT` (or tls://) as (scheme, address).

    SettingError if it is neither.
    """
    text = address.strip()
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or not 1 <= int(count) <= 256:
            raise SettingError(
                f"--cluster {address!r}: local:N needs N from 1 to 256", setting="cluster"
            )
        return "local", int(count)
    match = re.fullmatch(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})", text)
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise SettingError(
            f"--cluster {address!r}: expected tcp://HOST:PORT (a Dask scheduler) or local:N",
            setting="cluster",
        )
    return match.group(1), text


def check_cluster(address: str) -> None:
    """Refuse a `--cluster` that is neither `local:N` nor a scheduler address."""
    parse_cluster_address(address)


def mask_credentials(url: str) -> str:
    """`url` with its user and password, if any, shown as `***`: `http://***@host:port`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    host = authority.rsplit("@", 1)[1]
    return f"{scheme}://{MASKED_CREDENTIALS}@{host}{slash}{path}"


def has_masked_credentials(url: str | None) -> bool:
    """Whether `url` is a stored proxy URL whose credentials were masked (not usable)."""
    return bool(url) and f"://{MASKED_CREDENTIALS}@" in str(url)
