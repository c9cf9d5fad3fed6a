"""The one definition of every crawl setting: names, types, defaults and help.

The command line, the app's inputs and the batch document in the store are all
built from `SETTINGS_FIELDS`, so a setting is added or changed in one place.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tui_scraper import __version__
from tui_scraper.engine.fields import FieldSpecError, parse_field_specs

DEFAULT_DB_PATH = "./tui-scraper.json"
DB_ENV_VAR = "TUI_SCRAPER_DB"
DEFAULT_USER_AGENT = f"tui-scraper/{__version__}"
DEFAULT_ACCEPT_LANGUAGE = "en-US,en;q=0.9"
# CR, LF, NUL and the other C0 controls (tab aside) and DEL: never in a header or a path.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# An HTTP field name (RFC 9110 token)
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
MAX_PER_DOMAIN = 64
MASKED_CREDENTIALS = "***"


class SettingError(ValueError):
    """A setting value that cannot be used; the message names the setting."""


def _setting(
    default: Any,
    help: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    optional: bool = False,
    repeatable: bool = False,
    flag_only: bool = False,
    run_only: bool = False,
) -> Any:
    metadata = {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "optional": optional,
        "repeatable": repeatable,
        "flag_only": flag_only,
        # Where this run happens, not what the batch is: never stored, given again to resume.
        "run_only": run_only,
    }
    if repeatable:
        return field(default_factory=list, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(slots=True)
class Settings:
    """Settings of one batch; stored whole in the batch document."""

    # Every number has a range: no value may make memory grow beyond the work in flight.
    concurrency: int = _setting(
        5, "domains crawled at once (the worker pool)", minimum=1, maximum=2000
    )
    per_domain: int = _setting(
        2, "simultaneous requests to one domain", minimum=1, maximum=MAX_PER_DOMAIN
    )
    max_pages: int = _setting(
        25,
        "pages fetched per domain (robots.txt and sitemaps not counted)",
        minimum=1,
        maximum=1_000_000,
    )
    max_depth: int = _setting(5, "link hops from the start page", minimum=0, maximum=1000)
    timeout: float = _setting(
        15.0, "seconds for one request (connect + read)", minimum=0.001, maximum=3600
    )
    domain_timeout: float | None = _setting(
        None,
        "whole time budget of one domain in seconds; then it ends as done with what it has",
        minimum=0.001,
        maximum=7 * 24 * 3600,
        optional=True,
    )
    delay: float = _setting(
        0.0, "pause in seconds between requests to one domain", minimum=0, maximum=3600
    )
    retries: int = _setting(
        2,
        "retries of a failed request (connection errors, 429, 5xx), with backoff",
        minimum=0,
        maximum=20,
    )
    max_bytes: int = _setting(
        5_000_000,
        "largest body read; a larger one is cut and flagged",
        minimum=1,
        maximum=100_000_000,
    )
    user_agent: str = _setting(DEFAULT_USER_AGENT, "identifies the crawler")
    ignore_robots: bool = _setting(False, "do not obey robots.txt", flag_only=True)
    proxy: str | None = _setting(
        None,
        "HTTP proxy for all requests (proxy environment variables are honoured too)",
        optional=True,
    )
    connect_to: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        None,
        "HOST1:PORT1:HOST2:PORT2 as in curl: connect there instead (repeatable)",
        repeatable=True,
    )
    ca_bundle: str | None = _setting(
        None,
        "PEM file of certificate authorities to trust instead of the system's",
        optional=True,
    )
    insecure: bool = _setting(
        False, "do not verify TLS certificates (recorded in the batch)", flag_only=True
    )
    dns_timeout: float = _setting(5.0, "seconds for one name lookup", minimum=0.001, maximum=600)
    accept_language: str = _setting(DEFAULT_ACCEPT_LANGUAGE, "the Accept-Language header")
    header: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        None, '"NAME: VALUE": add or replace a request header (repeatable)', repeatable=True
    )
    allow_private: bool = _setting(
        False,
        "allow redirects and links to loopback, private and link-local addresses",
        flag_only=True,
    )
    field: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        None,
        "NAME=css:SELECTOR or NAME=xpath:EXPR: a custom field read on every page (repeatable)",
        repeatable=True,
    )
    cluster: str | None = _setting(
        None,
        "run the domain crawls on a Dask cluster: tcp://HOST:PORT of its scheduler, "
        "or local:N for N local worker processes",
        optional=True,
        run_only=True,
    )

    def to_dict(self, *, secrets: bool = False) -> dict[str, Any]:
        """The settings as a JSON-ready dict (the batch document's `settings`), no run option.

        Credentials in the proxy URL are masked (`http://***@host`) unless `secrets`:
        they are used, never stored.
        """
        data = {
            f.name: _copy(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not f.metadata["run_only"]
        }
        if not secrets and data.get("proxy"):
            data["proxy"] = mask_credentials(data["proxy"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from a stored dict; unknown keys are ignored, missing ones defaulted."""
        known = {f.name for f in dataclasses.fields(cls)}
        settings = cls(**{k: _copy(v) for k, v in data.items() if k in known})
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, validated."""
        settings = dataclasses.replace(self, **changes)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise SettingError naming the first setting whose value cannot be used."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                if not f.metadata["optional"]:
                    raise SettingError(f"{flag_name(f.name)} needs a value")
                continue
            if isinstance(value, float) and not math.isfinite(value):
                raise SettingError(f"{flag_name(f.name)} must be a finite number")
            check_range(f, value)
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    check_no_controls(f.name, text)
        for rule in self.connect_to:
            parse_connect_to(rule)
        for header in self.header:
            parse_header(header)
        if self.ca_bundle is not None:
            check_ca_bundle(self.ca_bundle)
        check_fields(self.field)
        if self.cluster is not None:
            parse_cluster_address(self.cluster)


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def flag_name(name: str) -> str:
    """The command-line flag of a setting: `per_domain` -> `--per-domain`."""
    return "--" + name.replace("_", "-")


def setting_fields(*, run_options: bool = False) -> Iterator[dataclasses.Field[Any]]:
    """Every batch setting's field, in definition order (for forms and help screens).

    `run_options` adds the options of one run (`--cluster`), which flags set but
    a batch does not keep.
    """
    for f in dataclasses.fields(Settings):
        if run_options or not f.metadata["run_only"]:
            yield f


def setting_help(name: str) -> str:
    """The help text of one setting."""
    return next(f.metadata["help"] for f in setting_fields(run_options=True) if f.name == name)


def setting_type(f: dataclasses.Field[Any]) -> Callable[[str], Any]:
    """The parser from text to a setting's value."""
    annotation = str(f.type)
    if annotation.startswith("int"):
        return int
    if annotation.startswith("float"):
        return float
    return str


def parse_setting(name: str, text: str) -> Any:
    """Parse one setting typed as text (app inputs); raise SettingError with a clear reason."""
    f = next(f for f in setting_fields(run_options=True) if f.name == name)
    text = text.strip()
    if text == "" and f.metadata["optional"]:
        return None
    if f.metadata["flag_only"]:
        return text.lower() in {"1", "true", "yes", "on"}
    check_no_controls(name, text)
    convert = setting_type(f)
    try:
        value = convert(text)
    except ValueError:
        kind = "a whole number" if convert is int else "a number"
        raise SettingError(f"{flag_name(name)} must be {kind}, not {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingError(f"{flag_name(name)} must be a finite number, not {text!r}")
    check_range(f, value)
    return value


def check_no_controls(name: str, text: str) -> None:
    """Refuse a setting holding CR, LF, NUL or another control character."""
    found = _CONTROL_RE.search(text)
    if found is not None:
        raise SettingError(
            f"{flag_name(name)} must not contain control characters ({found.group()!r} found)"
        )


def parse_header(header: str) -> tuple[str, str]:
    """`NAME: VALUE` as (name, value); SettingError if it is no valid header."""
    check_no_controls("header", header)
    name, sep, value = header.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME_RE.match(name):
        raise SettingError(f"--header {header!r}: expected NAME: VALUE")
    return name, value.strip()


# How an entry of a repeatable setting starts, where its value may hold commas itself
# (`Accept: a, b`, `price=css:.a, .b`): a part that does not start so continues the last.
_ENTRY_START = {
    "header": re.compile(r"^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*:"),
    "field": re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_\-]*\s*="),
}


def parse_repeatable(name: str, text: str) -> list[str]:
    """The entries of a repeatable setting typed on one line, comma-separated, each checked."""
    start = _ENTRY_START.get(name)
    entries: list[str] = []
    for part in text.split(","):
        if start is not None and entries and not start.match(part):
            entries[-1] += "," + part
        elif part.strip():
            entries.append(part)
    stripped = [entry.strip() for entry in entries if entry.strip()]
    for entry in stripped:
        check_rule(name, entry)
    return stripped


def check_ca_bundle(path: str) -> None:
    """Refuse a --ca-bundle that is no readable PEM file of certificates."""
    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise SettingError(f"--ca-bundle {path}: no such file") from None
    except (ssl.SSLError, ValueError):
        raise SettingError(f"--ca-bundle {path}: not a PEM file of certificates") from None
    except OSError as error:
        raise SettingError(f"--ca-bundle {path}: {error.strerror or error}") from None


def check_range(f: dataclasses.Field[Any], value: Any) -> None:
    """Raise SettingError when a number is outside its setting's documented range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    minimum, maximum = f.metadata["minimum"], f.metadata.get("maximum")
    if minimum is not None and value < minimum:
        raise SettingError(f"{flag_name(f.name)} must be at least {_number(minimum)}")
    if maximum is not None and value > maximum:
        raise SettingError(f"{flag_name(f.name)} must be at most {_number(maximum)}")


def _number(value: float) -> str:
    """A bound as people write it: 1000000, 0.001."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def setting_range(f: dataclasses.Field[Any]) -> str | None:
    """A setting's documented range, `1 to 64`, or None for a setting that is not a number."""
    minimum, maximum = f.metadata["minimum"], f.metadata.get("maximum")
    if minimum is None and maximum is None:
        return None
    if maximum is None:
        return f"at least {_number(minimum)}"
    return f"{_number(minimum if minimum is not None else 0)} to {_number(maximum)}"


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


def parse_connect_to(rule: str) -> tuple[str, int | None, str, int]:
    """Parse a curl-style HOST1:PORT1:HOST2:PORT2 rule; empty HOST1 or PORT1 match any.

    HOST2 may be an IPv6 address in brackets. Returns (host1, port1 or None, host2, port2).
    """
    text = rule.strip()
    parts: list[str] = []
    rest = text
    for _ in range(3):
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise SettingError(f"--connect-to {rule!r}: unclosed '['")
            parts.append(rest[1:end])
            rest = rest[end + 1 :]
            if not rest.startswith(":"):
                raise SettingError(f"--connect-to {rule!r}: expected HOST1:PORT1:HOST2:PORT2")
            rest = rest[1:]
            continue
        head, sep, rest = rest.partition(":")
        if not sep:
            raise SettingError(f"--connect-to {rule!r}: expected HOST1:PORT1:HOST2:PORT2")
        parts.append(head)
    parts.append(rest)
    host1, port1_text, host2, port2_text = parts
    try:
        port1 = int(port1_text) if port1_text else None
        port2 = int(port2_text)
    except ValueError:
        raise SettingError(f"--connect-to {rule!r}: ports must be numbers") from None
    # An empty HOST2 keeps the request's host (resolved as usual), as in curl.
    for port in (port1, port2):
        if port is not None and not 0 < port < 65536:
            raise SettingError(f"--connect-to {rule!r}: port {port} out of range")
    return host1.lower().rstrip("."), port1, host2, port2


def parse_cluster_address(address: str) -> tuple[str, int | str]:
    """`local:N` as ("local", N), a scheduler `tcp://HOST:PORT` (or tls://) as (scheme, address).

    SettingError if it is neither.
    """
    text = address.strip()
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or not 1 <= int(count) <= 256:
            raise SettingError(f"--cluster {address!r}: local:N needs N from 1 to 256")
        return "local", int(count)
    match = re.fullmatch(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})", text)
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise SettingError(
            f"--cluster {address!r}: expected tcp://HOST:PORT (a Dask scheduler) or local:N"
        )
    return match.group(1), text


def check_fields(texts: list[str]) -> None:
    """Refuse `--field` values parsel cannot use (SettingError with parsel's reason)."""
    try:
        parse_field_specs(texts)
    except FieldSpecError as error:
        raise SettingError(str(error)) from None


def check_rule(name: str, rule: str) -> None:
    """Check one entry of a repeatable setting; SettingError if bad."""
    if name == "field":
        check_fields([rule])
    elif name == "header":
        parse_header(rule)
    else:
        parse_connect_to(rule)


def add_db_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add `--db PATH`, the store file, to a command's parser."""
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help=f"the store file (env {DB_ENV_VAR}; default {DEFAULT_DB_PATH})",
    )


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--db` and every setting's flag to a command's parser."""
    group = parser.add_argument_group("crawl settings")
    add_db_argument(group)
    for f in setting_fields(run_options=True):
        flag = flag_name(f.name)
        help_text = f.metadata["help"]
        if f.metadata["flag_only"]:
            group.add_argument(flag, action="store_true", default=None, help=help_text)
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        shown = "none" if default is None else default
        bounds = setting_range(f)
        if bounds is not None:
            shown = f"{shown}; {bounds}"
        if f.metadata["repeatable"]:
            metavar = {"header": "HEADER", "field": "NAME=SELECTOR"}.get(f.name, "RULE")
            group.add_argument(flag, action="append", default=None, metavar=metavar, help=help_text)
            continue
        group.add_argument(
            flag,
            default=None,
            metavar={int: "N", float: "S"}.get(
                setting_type(f),
                {"proxy": "URL", "ca_bundle": "PATH", "cluster": "ADDRESS"}.get(f.name, "S"),
            ),
            type=_argparse_type(f),
            help=f"{help_text} (default {shown})",
        )


def _argparse_type(f: dataclasses.Field[Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse_setting(f.name, text)
        except SettingError as error:
            raise argparse.ArgumentTypeError(str(error).split(" ", 1)[1]) from None

    convert.__name__ = setting_type(f).__name__
    return convert


def settings_from_args(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    """Settings from parsed flags: flags given override `base` (or the defaults)."""
    settings = dataclasses.replace(base) if base is not None else Settings()
    changes = {}
    for f in setting_fields(run_options=True):
        value = getattr(args, f.name, None)
        if value is not None:
            changes[f.name] = value
    settings = dataclasses.replace(settings, **changes)
    settings.validate()
    return settings


def db_path_from_args(args: argparse.Namespace) -> str:
    """The store path: `--db`, else the environment variable, else the default."""
    return getattr(args, "db", None) or os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH
