"""The one definition of every crawl setting: names, types, ranges, defaults and help.

This module knows no front end (no argparse, no environment, no widgets): the command
line (`settings.flags`), the app's form (`app/widgets/settings_form.py`, through
`settings.text`) and the batch document in the store are all built from `SETTINGS`, and
every value, wherever it comes from, passes the one `check_value`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui_scraper import __version__
from tui_scraper.settings.rules import (
    SettingError,
    check_ca_bundle,
    check_cluster,
    check_connect_to,
    check_fields,
    check_headers,
    check_no_controls,
    flag_name,
    mask_credentials,
)

DEFAULT_USER_AGENT = f"tui-scraper/{__version__}"
DEFAULT_ACCEPT_LANGUAGE = "en-US,en;q=0.9"
MAX_PER_DOMAIN = 64
# Integral floats below this are exact as integers: shown as `15`, read back as 15.0.
_EXACT_INTEGERS = 2.0**53


def _setting(
    default: Any,
    help: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    rule: Callable[[Any], None] | None = None,
    metavar: str | None = None,
    run_only: bool = False,
) -> Any:
    """A Settings field; its type and whether it may be None come from its annotation."""
    metadata = {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "rule": rule,
        "metavar": metavar,
        # Where this run happens, not what the batch is: never stored, given again to resume.
        "run_only": run_only,
    }
    if isinstance(default, list):
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
    ignore_robots: bool = _setting(False, "do not obey robots.txt")
    proxy: str | None = _setting(
        None,
        "HTTP proxy for all requests (proxy environment variables are honoured too)",
        metavar="URL",
    )
    connect_to: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        [],
        "HOST1:PORT1:HOST2:PORT2 as in curl: connect there instead (repeatable)",
        rule=check_connect_to,
        metavar="RULE",
    )
    ca_bundle: str | None = _setting(
        None,
        "PEM file of certificate authorities to trust instead of the system's",
        rule=check_ca_bundle,
        metavar="PATH",
    )
    insecure: bool = _setting(False, "do not verify TLS certificates (recorded in the batch)")
    dns_timeout: float = _setting(5.0, "seconds for one name lookup", minimum=0.001, maximum=600)
    accept_language: str = _setting(DEFAULT_ACCEPT_LANGUAGE, "the Accept-Language header")
    header: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        [],
        '"NAME: VALUE": add or replace a request header (repeatable)',
        rule=check_headers,
        metavar="HEADER",
    )
    allow_private: bool = _setting(
        False, "allow redirects and links to loopback, private and link-local addresses"
    )
    field: list[str] = _setting(  # noqa: RUF009 (_setting returns a field)
        [],
        "NAME=css:SELECTOR or NAME=xpath:EXPR: a custom field read on every page (repeatable)",
        rule=check_fields,
        metavar="NAME=SELECTOR",
    )
    cluster: str | None = _setting(
        None,
        "run the domain crawls on a Dask cluster: tcp://HOST:PORT of its scheduler, "
        "or local:N for N local worker processes",
        rule=check_cluster,
        metavar="ADDRESS",
        run_only=True,
    )

    def to_dict(self, *, secrets: bool = False) -> dict[str, Any]:
        """The settings as a JSON-ready dict (the batch document's `settings`), no run option.

        Credentials in the proxy URL are masked (`http://***@host`) unless `secrets`:
        they are used, never stored.
        """
        data = {s.name: _copy(getattr(self, s.name)) for s in SETTINGS if not s.run_only}
        if not secrets and data.get("proxy"):
            data["proxy"] = mask_credentials(data["proxy"])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Settings from a stored dict, each value checked; unknown keys ignored, missing
        ones defaulted."""
        settings = cls(**{k: _copy(v) for k, v in data.items() if k in _BY_NAME})
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, each changed value checked."""
        changed = dataclasses.replace(self, **changes)  # TypeError for an unknown name
        for name, value in changes.items():
            check_value(setting(name), value)
        return changed

    def validate(self) -> None:
        """Raise SettingError naming the first setting whose value cannot be used."""
        for spec in SETTINGS:
            check_value(spec, getattr(self, spec.name))


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting as the front ends see it; each adapts it (a flag, a form input)."""

    name: str
    kind: type
    """int, float, str or bool: of the value, or of each entry of a repeatable setting."""
    default: Any
    help: str
    minimum: float | None
    maximum: float | None
    optional: bool
    """May be None: unset on the command line, blank in the form."""
    repeatable: bool
    """A list of entries: the flag is given once per entry."""
    run_only: bool
    """Where a run happens (`--cluster`), not what the batch is: never stored."""
    metavar: str
    rule: Callable[[Any], None] | None
    """The setting's own rule beyond type and range, given the whole value."""

    @property
    def flag(self) -> str:
        """`--per-domain`."""
        return flag_name(self.name)

    @property
    def is_switch(self) -> bool:
        """An on/off setting: a bare flag, a checkbox."""
        return self.kind is bool

    def default_value(self) -> Any:
        """The default (a new list for a repeatable setting)."""
        return _copy(self.default)

    @property
    def range_text(self) -> str | None:
        """The documented range, `1 to 64`, or None for a setting that is not a number."""
        if self.minimum is None and self.maximum is None:
            return None
        if self.maximum is None:
            return f"at least {number_text(self.minimum or 0)}"
        return f"{number_text(self.minimum or 0)} to {number_text(self.maximum)}"


def _spec(f: dataclasses.Field[Any], hint: Any) -> Setting:
    """A field's Setting, its kind and optionality read from its type annotation."""
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    repeatable = typing.get_origin(hint) is list
    kind = typing.get_args(hint)[0] if repeatable else hint
    default = [] if f.default is dataclasses.MISSING else f.default
    metavar = f.metadata["metavar"] or {int: "N", float: "S"}.get(kind, "S")
    return Setting(
        name=f.name,
        kind=kind,
        default=default,
        help=f.metadata["help"],
        minimum=f.metadata["minimum"],
        maximum=f.metadata["maximum"],
        optional=optional,
        repeatable=repeatable,
        run_only=f.metadata["run_only"],
        metavar=metavar,
        rule=f.metadata["rule"],
    )


_HINTS = typing.get_type_hints(Settings)
SETTINGS: tuple[Setting, ...] = tuple(
    _spec(f, _HINTS[f.name]) for f in dataclasses.fields(Settings)
)
"""Every setting, batch settings and run options, in definition order."""
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The setting called `name` (KeyError for none)."""
    return _BY_NAME[name]


def settings_schema(*, run_options: bool = False) -> tuple[Setting, ...]:
    """Every batch setting, in definition order (for forms and help screens).

    `run_options` adds the options of one run (`--cluster`), which flags set but a batch
    does not keep.
    """
    return tuple(s for s in SETTINGS if run_options or not s.run_only)


def setting_help(name: str) -> str:
    """The help text of one setting."""
    return setting(name).help


def number_text(value: float) -> str:
    """A number as text that reads back as exactly the same number: 15, 0.1, 1e-05.

    An integral float within float's exact integers is written as an integer, as people
    write it; any other float by `repr`, the shortest text that round-trips.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return str(int(value))
    return repr(value)


_KIND_NAMES = {int: "a whole number", float: "a number", str: "text", bool: "on or off"}


def kind_name(spec: Setting) -> str:
    """What a setting's value is, in words: `a whole number`."""
    return _KIND_NAMES[spec.kind]


def check_value(spec: Setting, value: Any) -> None:
    """The one check of a setting's value, from a flag, the form or a stored batch.

    Raises SettingError with a one-line message naming the setting.
    """
    if value is None:
        if spec.optional:
            return
        raise SettingError(f"{spec.flag} needs a value", setting=spec.name)
    if spec.repeatable:
        if not isinstance(value, list):
            raise SettingError(f"{spec.flag} must be a list", setting=spec.name)
        for entry in value:
            _check_entry(spec, entry)
    else:
        _check_entry(spec, value)
    if spec.rule is not None:
        spec.rule(value)


def _check_entry(spec: Setting, value: Any) -> None:
    """Type, finiteness, range and control characters of one value (or one entry)."""

    def refuse(reason: str) -> SettingError:
        return SettingError(f"{spec.flag} {reason}", setting=spec.name)

    allowed: tuple[type, ...] = (int, float) if spec.kind is float else (spec.kind,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and spec.kind is not bool):
        raise refuse(f"must be {kind_name(spec)}")
    if isinstance(value, str):
        check_no_controls(spec.name, value)
        return
    if isinstance(value, bool):
        return
    if not math.isfinite(value):
        raise refuse("must be a finite number")
    if spec.minimum is not None and value < spec.minimum:
        raise refuse(f"must be at least {number_text(spec.minimum)}")
    if spec.maximum is not None and value > spec.maximum:
        raise refuse(f"must be at most {number_text(spec.maximum)}")
