"""Custom fields read on every page: the values a `--field` selector finds, bounded.

The spec itself (`FieldSpec`, checked when the setting is parsed) lives with the settings.
"""

from __future__ import annotations

from collections.abc import Iterable

from parsel import Selector

from tui_scraper.settings.fields import (
    FieldSpec,
    FieldSpecError,
    parse_field_spec,
    parse_field_specs,
    select,
)

__all__ = ["FieldSpec", "FieldSpecError", "parse_field_spec", "parse_field_specs", "read_fields"]

# What one page may contribute to one field: a selector matching every element of a huge page
# must not make one record (and the store) grow without bound.
MAX_VALUES = 100
MAX_VALUE_CHARS = 2000


def read_fields(selector: Selector, specs: Iterable[FieldSpec]) -> dict[str, list[str]]:
    """Each field's values on one page: parsel's strings, stripped, empty ones dropped."""
    fields: dict[str, list[str]] = {}
    for spec in specs:
        try:
            raw = select(selector, spec)
        except Exception:  # valid for parsel, yet failing on this document: no value here
            raw = []
        values = [value.strip()[:MAX_VALUE_CHARS] for value in raw[: MAX_VALUES * 2]]
        fields[spec.name] = [value for value in values if value][:MAX_VALUES]
    return fields
