"""The commands that read the store: batches, show, export, report and compare."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, TextIO

from tui_scraper.cli.common import EXIT_OK, UsageError, print_json
from tui_scraper.compare import compare_batches, write_changes
from tui_scraper.export import (
    DOMAIN_FIELDS,
    PAGE_FIELDS,
    OutputRefused,
    csv_page_columns,
    field_names,
    output_file,
    with_field_columns,
    write_rows,
)
from tui_scraper.findings import batch_findings, write_findings
from tui_scraper.headless import plain_table, summary_table
from tui_scraper.settings.flags import db_path_from_args
from tui_scraper.store import Store
from tui_scraper.text import safe_text, safe_value


def run_batches(args: argparse.Namespace) -> int:
    with Store.open(db_path_from_args(args)) as store:
        batches = store.all_batches()
    if args.json:
        print_json(batches)
        return EXIT_OK
    if not batches:
        print(f"no batches in {safe_text(db_path_from_args(args))}", file=sys.stderr)
        return EXIT_OK
    header = ("batch id", "created", "status", "domains", "done", "failed", "pages")
    rows = [
        (
            doc["batch_id"],
            (doc.get("created_at") or "")[:19].replace("T", " "),
            doc.get("status", ""),
            *(str(doc.get("counts", {}).get(key, 0)) for key in ("domains", "done", "failed")),
            str(doc.get("counts", {}).get("pages", 0)),
        )
        for doc in batches
    ]
    print(plain_table(header, rows))
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    with Store.open(db_path_from_args(args)) as store:
        batch = store.find_batch(args.batch_id)
        store.check_batch_files(batch["batch_id"])
        records = store.batch_domains(batch["batch_id"])
    if args.json:
        print_json(records)
        return EXIT_OK
    counts = batch.get("counts", {})
    heading = (
        f"batch {batch['batch_id']}  {batch.get('status')}  created {batch.get('created_at')}  "
        f"{counts.get('domains', 0)} domains, {counts.get('done', 0)} done, "
        f"{counts.get('failed', 0)} failed, {counts.get('pages', 0)} pages"
    )
    print(safe_text(heading))
    for rejection in batch.get("rejected", []):
        print(
            f"rejected line {safe_text(rejection['line'])}: {safe_text(rejection['input'], 60)}: "
            f"{safe_text(rejection['reason'])}"
        )
    print(summary_table(records))
    return EXIT_OK


def terminal_safe(row: dict[str, Any]) -> dict[str, Any]:
    """A row whose text, nested lists included, has its control characters shown as escapes."""
    return safe_value(row)


def run_export(args: argparse.Namespace) -> int:
    db_path = db_path_from_args(args)
    with Store.open(db_path) as store:
        batch = store.find_batch(args.batch_id)
        batch_id = batch["batch_id"]
        store.check_batch_files(batch_id)
        if args.domains:
            rows: Any = store.batch_domains(batch_id)
            fields = DOMAIN_FIELDS
        elif args.format == "csv":  # one column per custom field
            names = field_names(batch.get("settings"))
            rows = with_field_columns(store.batch_pages(batch_id), names)
            fields = csv_page_columns(names)
        else:
            rows = store.batch_pages(batch_id)
            fields = PAGE_FIELDS
        if args.output is None:
            write_rows(rows, fields, args.format, sys.stdout, terminal=sys.stdout.isatty())
        else:
            _write_output(
                args.output,
                store,
                lambda out, _shown: write_rows(rows, fields, args.format, out),
                "rows",
            )
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    with Store.open(db_path_from_args(args)) as store:
        batch_id = store.find_batch(args.batch_id)["batch_id"]
        findings = batch_findings(store.batch_domains(batch_id), store.batch_pages(batch_id))
        return _write_output(
            args.output,
            store,
            lambda out, shown: write_findings(findings, args.format, out, terminal=shown),
            "findings",
        )


def run_compare(args: argparse.Namespace) -> int:
    with Store.open(db_path_from_args(args)) as store:
        old_id = store.find_batch(args.old_id)["batch_id"]
        new_id = store.find_batch(args.new_id)["batch_id"]
        changes = compare_batches(
            store.batch_domains(old_id),
            lambda: store.batch_pages(old_id),
            store.batch_domains(new_id),
            lambda: store.batch_pages(new_id),
        )
        return _write_output(
            args.output,
            store,
            lambda out, shown: write_changes(changes, args.format, out, terminal=shown),
            "changes",
        )


def _write_output(
    output: str | None, store: Store, write: Callable[[TextIO, bool], int], what: str
) -> int:
    """Run `write` on stdout (escaped on a terminal) or on FILE, kept whole or not at all."""
    if output is None:
        write(sys.stdout, sys.stdout.isatty())
        return EXIT_OK
    if store.contains(output):
        raise UsageError(f"refusing to write {output}: it is part of the store")
    try:
        with output_file(output, [store.main_path, store.folder]) as out:
            count = write(out, False)
    except OutputRefused as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None
    print(f"wrote {count} {what} to {safe_text(output)}", file=sys.stderr)
    return EXIT_OK
