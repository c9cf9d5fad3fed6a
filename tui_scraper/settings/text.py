"""Settings as text and back, exactly: what the app's form shows and reads, what a flag gives.

`text_of` writes a value so that `parse_setting` reads back the very same value (floats by
their shortest round-tripping text, never `:g`); `value_from_text` only converts, and
`parse_setting` then applies the schema's one `check_value`.
"""

from __future__ import annotations

import re
from typing import Any

from tui_scraper.settings.rules import SettingError
from tui_scraper.settings.schema import Setting, check_value, kind_name, number_text, setting

_ON = {"1", "true", "yes", "on"}
_OFF = {"", "0", "false", "no", "off"}
ENTRY_SEPARATOR = ", "
# How an entry of a repeatable setting starts, where its value may hold commas itself
# (`Accept: a, b`, `price=css:.a, .b`): a part that does not start so continues the last.
_ENTRY_START = {
    "header": re.compile(r"^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*:"),
    "field": re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_\-]*\s*="),
}


def text_of(spec: Setting, value: Any) -> str:
    """A setting's value as one line of text that `parse_setting` reads back unchanged."""
    if value is None:
        return ""
    if spec.repeatable:
        return ENTRY_SEPARATOR.join(str(entry) for entry in value)
    if spec.is_switch:
        return "on" if value else "off"
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


def split_entries(name: str, text: str) -> list[str]:
    """The entries of a repeatable setting typed on one line, comma-separated."""
    start = _ENTRY_START.get(name)
    entries: list[str] = []
    for part in text.split(","):
        if start is not None and entries and not start.match(part):
            entries[-1] += "," + part
        elif part.strip():
            entries.append(part)
    return [entry.strip() for entry in entries if entry.strip()]


def value_from_text(spec: Setting, text: str) -> Any:
    """A setting's value from its text, converted but not yet checked.

    SettingError when the text is no value of the setting's type at all.
    """
    if spec.repeatable:
        return split_entries(spec.name, text)
    stripped = text.strip()
    if stripped == "" and spec.optional:
        return None
    if spec.is_switch:
        if stripped.lower() not in _ON | _OFF:
            reason = f"must be {kind_name(spec)}, not {text!r}"
            raise SettingError(f"{spec.flag} {reason}", setting=spec.name)
        return stripped.lower() in _ON
    if spec.kind is int or spec.kind is float:
        try:
            return spec.kind(stripped)
        except ValueError:
            reason = f"must be {kind_name(spec)}, not {text!r}"
            raise SettingError(f"{spec.flag} {reason}", setting=spec.name) from None
    return stripped


def parse_setting(name: str, text: str) -> Any:
    """One setting's value from its text, checked; SettingError with a clear reason."""
    spec = setting(name)
    value = value_from_text(spec, text)
    check_value(spec, value)
    return value
