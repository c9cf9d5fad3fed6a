"""Exporting a batch's page or domain documents as JSON Lines or CSV, streamed."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from tui_scraper.engine.events import DomainRecord, PageRecord

FORMATS = ("jsonl", "csv")
PAGE_FIELDS: tuple[str, ...] = tuple(PageRecord.__annotations__)
DOMAIN_FIELDS: tuple[str, ...] = tuple(DomainRecord.__annotations__)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# In CSV, each custom field (`--field NAME=...`) is a column of its own, "fields.NAME".
FIELD_COLUMN_PREFIX = "fields."


def field_names(settings: dict[str, Any] | None) -> list[str]:
    """The custom field names of a batch's stored settings, in their `--field` order."""
    names = []
    for text in (settings or {}).get("field") or ():
        name = str(text).partition("=")[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def csv_page_columns(names: Sequence[str]) -> tuple[str, ...]:
    """The page columns of a CSV export: every page field, then one column per custom field.

    `fields` itself stays (as JSON, like every object), so the columns are the schema's
    whatever the batch; `fields.NAME` columns put each value where a spreadsheet wants it.
    """
    return PAGE_FIELDS + tuple(FIELD_COLUMN_PREFIX + name for name in names)


def field_value(values: list[str] | None) -> Any:
    """A custom field's cell: nothing, its one value, or several as a JSON list."""
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def with_field_columns(
    rows: Iterable[dict[str, Any]], names: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """Page rows with each custom field also under its own `fields.NAME` key."""
    for row in rows:
        fields = row.get("fields") or {}
        flat = dict(row)
        for name in names:
            flat[FIELD_COLUMN_PREFIX + name] = field_value(fields.get(name))
        yield flat


def csv_cell(value: Any) -> str | int | float:
    """One CSV cell: lists and objects as JSON, formula-looking text neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if text.startswith(FORMULA_STARTS):
        return "'" + text  # shown as text, never evaluated
    return text


def write_rows(
    rows: Iterable[dict[str, Any]], fields: tuple[str, ...], fmt: str, out: TextIO
) -> int:
    """Write rows with every field of `fields`, in that order; returns the row count."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({f: row.get(f) for f in fields}, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([csv_cell(row.get(f)) for f in fields])
        count += 1
    return count


class OutputRefused(ValueError):
    """An output file that must not be written (it is part of the store)."""


@contextlib.contextmanager
def output_file(path: str, store_files: Sequence[Path]) -> Iterator[TextIO]:
    """Write `path` through a temporary file renamed at the end: a failed write leaves it as it
    was. A path that is, or is inside, one of `store_files` is refused (OutputRefused)."""
    target = Path(path).resolve()
    for store_path in store_files:
        store_path = store_path.resolve()
        if target == store_path or store_path in target.parents:
            raise OutputRefused(f"refusing to write {path}: it is part of the store")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
