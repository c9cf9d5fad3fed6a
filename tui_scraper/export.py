"""Exporting a batch's page or domain documents as JSON Lines or CSV, streamed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from tui_scraper.engine.events import DomainRecord, PageRecord

FORMATS = ("jsonl", "csv")
PAGE_FIELDS: tuple[str, ...] = tuple(PageRecord.__annotations__)
DOMAIN_FIELDS: tuple[str, ...] = tuple(DomainRecord.__annotations__)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
