"""The `--field NAME=SELECTOR` setting: a parsel CSS or XPath selector, checked when parsed.

A spec is a small frozen value (picklable, so a parser process can take it); it is checked
once when parsed, so a bad selector is refused before a batch starts, never page by page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from parsel import Selector

__all__ = ["FieldSpec", "FieldSpecError", "parse_field_spec", "parse_field_specs", "select"]

KINDS = ("css", "xpath")
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
        select(_PROBE, spec)
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


def select(selector: Selector, spec: FieldSpec) -> list[str]:
    """The strings a spec selects in a document (parsel raises on a bad expression)."""
    found = selector.css(spec.expression) if spec.kind == "css" else selector.xpath(spec.expression)
    return found.getall()
