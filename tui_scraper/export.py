"""Exporting a batch's page or domain documents as JSON Lines or CSV, streamed."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from tui_scraper.engine.events import DomainRecord, PageRecord
from tui_scraper.text import dumps_for, safe_text

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
    rows: Iterable[dict[str, Any]],
    fields: tuple[str, ...],
    fmt: str,
    out: TextIO,
    *,
    terminal: bool = False,
) -> int:
    """Write rows with every field of `fields`, in that order; returns the row count.

    For a `terminal`, control and bidi characters are shown escaped (as JSON escapes
    in JSON Lines, which still decode to the stored text); a file keeps them as stored.
    """
    count = 0
    if fmt == "jsonl":
        for row in rows:
            line = dumps_for({f: row.get(f) for f in fields}, terminal=terminal)
            out.write(line + "\n")
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(fields)
    for row in rows:
        cells = [csv_cell(row.get(f)) for f in fields]
        writer.writerow([safe_text(c) if terminal and isinstance(c, str) else c for c in cells])
        count += 1
    return count


class OutputRefused(ValueError):
    """An output file that must not be written (it is part of the store)."""


@contextlib.contextmanager
def output_file(path: str, store_files: Sequence[Path]) -> Iterator[TextIO]:
    """A text file that appears at `path` whole when the block ends, or not at all.

    Written to a temporary file beside it and renamed, so a failed write leaves an
    existing file as it was. A path that is, or is inside, one of `store_files` is
    refused (OutputRefused). A symbolic link is followed (the link stays); what is
    not a regular file (a FIFO, /dev/stdout) is written directly.
    """
    target = Path(os.path.realpath(path))
    for store_path in store_files:
        store_path = Path(os.path.realpath(store_path))
        if target == store_path or store_path in target.parents:
            raise OutputRefused(f"refusing to write {path}: it is part of the store")
    if target.exists() and not target.is_file():
        with target.open("w", encoding="utf-8", newline="") as out:
            yield out
        return
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
