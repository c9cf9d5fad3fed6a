"""Custom fields: `--field NAME=SELECTOR`, a parsel CSS or XPath selector read on every page.

A spec is a small frozen value (picklable, so a parser process can take it); it is checked
once when parsed, so a bad selector is refused before a batch starts, never page by page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from parsel import Selector

__all__ = ["FieldSpec", "FieldSpecError", "parse_field_spec", "parse_field_specs", "read_fields"]

KINDS = ("css", "xpath")
# What one page may contribute to one field: a selector matching every element of a huge page
# must not make one record (and the store) grow without bound.
MAX_VALUES = 100
MAX_VALUE_CHARS = 2000
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")
_PROBE = Selector(text="<html><body><p>probe</p></body></html>")


class FieldSpecError(ValueError):
    """A `--field` value that cannot be used; the message says why, on one line."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One custom field: its name and a parsel selector (`css` or `xpath`)."""

    name: str
    kind: Literal["css", "xpath"]
    expression: str

    def __str__(self) -> str:
        return f"{self.name}={self.kind}:{self.expression}"


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def parse_field_spec(text: str) -> FieldSpec:
    """`NAME=css:SELECTOR` or `NAME=xpath:EXPRESSION`, checked by parsel itself."""
    name, sep, selector = text.partition("=")
    name = name.strip()
    if not sep:
        raise FieldSpecError(f"--field {text!r}: expected NAME=css:SELECTOR or NAME=xpath:EXPR")
    if _NAME_RE.fullmatch(name) is None:
        raise FieldSpecError(
            f"--field {text!r}: the name must be letters, digits, '_' or '-' (not {name!r})"
        )
    kind, sep, expression = selector.strip().partition(":")
    kind = kind.strip().lower()
    expression = expression.strip()
    if not sep or kind not in KINDS:
        raise FieldSpecError(f"--field {text!r}: the selector must start with css: or xpath:")
    if not expression:
        raise FieldSpecError(f"--field {text!r}: the selector is empty")
    spec = FieldSpec(name, "css" if kind == "css" else "xpath", expression)
    try:
        _select(_PROBE, spec)
    except Exception as error:  # parsel's (cssselect's, lxml's) own complaint, on one line
        raise FieldSpecError(f"--field {text!r}: {_one_line(error)}") from None
    return spec


def parse_field_specs(texts: Iterable[str]) -> tuple[FieldSpec, ...]:
    """Every `--field` of a setting, in order; a name given twice is refused."""
    specs: list[FieldSpec] = []
    for text in texts:
        spec = parse_field_spec(text)
        if any(known.name == spec.name for known in specs):
            raise FieldSpecError(f"--field {spec.name!r} is given twice")
        specs.append(spec)
    return tuple(specs)


def _select(selector: Selector, spec: FieldSpec) -> list[str]:
    found = selector.css(spec.expression) if spec.kind == "css" else selector.xpath(spec.expression)
    return found.getall()


def read_fields(selector: Selector, specs: Iterable[FieldSpec]) -> dict[str, list[str]]:
    """Each field's values on one page: parsel's strings, stripped, empty ones dropped."""
    fields: dict[str, list[str]] = {}
    for spec in specs:
        try:
            raw = _select(selector, spec)
        except Exception:  # valid for parsel, yet failing on this document: no value here
            raw = []
        values = [value.strip()[:MAX_VALUE_CHARS] for value in raw[: MAX_VALUES * 2]]
        fields[spec.name] = [value for value in values if value][:MAX_VALUES]
    return fields
