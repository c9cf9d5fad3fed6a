"""The `tui-scraper` command line: the app, headless crawls, the demo and the store."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from yarl import URL

from tui_scraper import __version__
from tui_scraper.compare import COMPARE_FORMATS, compare_batches, write_changes
from tui_scraper.engine.events import BatchStatus, DomainStatus
from tui_scraper.export import (
    DOMAIN_FIELDS,
    FORMATS,
    PAGE_FIELDS,
    OutputRefused,
    csv_page_columns,
    field_names,
    output_file,
    with_field_columns,
    write_rows,
)
from tui_scraper.findings import REPORT_FORMATS, batch_findings, write_findings
from tui_scraper.headless import ProgressReporter, plain_table, summary_json, summary_table
from tui_scraper.service import Batch, BatchService
from tui_scraper.settings import (
    SettingError,
    Settings,
    add_db_argument,
    add_settings_arguments,
    db_path_from_args,
    has_masked_credentials,
    mask_credentials,
    settings_from_args,
)
from tui_scraper.store import Store, StoreError
from tui_scraper.targets import ParsedTargets, parse_targets, read_domain_list
from tui_scraper.text import dumps_for, safe_text, safe_value, valid_bytes_text, valid_text

if TYPE_CHECKING:
    from tui_scraper.demo import DemoWeb

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130

# A headless batch over SSH stops saved when the connection drops (SIGHUP), as on Ctrl-C.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
COMMANDS = (
    "crawl",
    "demo",
    "batches",
    "show",
    "export",
    "resume",
    "report",
    "compare",
    "serve",
)


class UsageError(Exception):
    """Bad usage or input: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-scraper",
        description="Crawl a batch of websites concurrently from a terminal. "
        "`tui-scraper [DOMAINS...] [-f FILE]` opens the terminal app with the domains filled in.",
    )
    parser.add_argument("--version", action="version", version=f"tui-scraper {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    crawl = commands.add_parser("crawl", help="run a batch headless")
    _add_input_arguments(crawl)
    crawl.add_argument("--json", action="store_true", help="print the batch summary as JSON")
    add_settings_arguments(crawl)

    demo = commands.add_parser("demo", help="serve the built-in demo web on loopback and crawl it")
    demo.add_argument("--headless", action="store_true", help="run the batch without the app")
    demo.add_argument("--json", action="store_true", help="with --headless: JSON summary")
    demo.add_argument("--seed", type=int, default=7, help="the demo web's seed (default 7)")
    # For `serve --demo`: the app reaches the demo server that serve runs, whose
    # connection facts (JSON, as `python -m tui_scraper.demo` prints) are in FILE.
    demo.add_argument("--attach", metavar="FILE", help=argparse.SUPPRESS)
    add_settings_arguments(demo)

    batches = commands.add_parser("batches", help="list the batches in the store")
    batches.add_argument("--json", action="store_true", help="the batch documents as JSON")
    add_db_argument(batches)

    show = commands.add_parser("show", help="per-domain summary of one batch")
    show.add_argument("batch_id", metavar="BATCH_ID", help="a batch id (or a unique prefix)")
    show.add_argument("--json", action="store_true", help="the domain documents as JSON")
    add_db_argument(show)

    export = commands.add_parser("export", help="export a batch's pages (or domains)")
    export.add_argument("batch_id", metavar="BATCH_ID", help="a batch id (or a unique prefix)")
    export.add_argument("--format", choices=FORMATS, required=True, help="jsonl or csv")
    export.add_argument("--domains", action="store_true", help="export the domain documents")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    add_db_argument(export)

    resume = commands.add_parser("resume", help="finish the domains a batch did not finish")
    resume.add_argument("batch_id", metavar="BATCH_ID", help="a batch id (or a unique prefix)")
    resume.add_argument("--json", action="store_true", help="print the batch summary as JSON")
    add_settings_arguments(resume)

    from tui_scraper.serve import add_serve_arguments

    add_serve_arguments(commands.add_parser("serve", help="serve the app in a web browser"))
    report = commands.add_parser("report", help="the findings of a batch (broken links, ...)")
    report.add_argument("batch_id", metavar="BATCH_ID", help="a batch id (or a unique prefix)")
    report.add_argument("--format", choices=REPORT_FORMATS, default="text", help="default text")
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    add_db_argument(report)

    compare = commands.add_parser("compare", help="what changed between two batches")
    compare.add_argument("old_id", metavar="OLD_ID", help="the earlier batch (id or prefix)")
    compare.add_argument("new_id", metavar="NEW_ID", help="the later batch (id or prefix)")
    compare.add_argument("--format", choices=COMPARE_FORMATS, default="text", help="default text")
    compare.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    add_db_argument(compare)
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domains", nargs="*", metavar="DOMAIN", help="domains or URLs to crawl")
    parser.add_argument(
        "-f", "--file", metavar="FILE", help="read domains from FILE, one a line ('-' for stdin)"
    )


def build_app_parser() -> argparse.ArgumentParser:
    """`tui-scraper [DOMAINS...] [-f FILE]`: the terminal app, domains prefilled."""
    parser = argparse.ArgumentParser(
        prog="tui-scraper",
        description="Crawl a batch of websites concurrently from a terminal. Without a "
        f"command it opens the terminal app; commands: {', '.join(COMMANDS)} "
        "(tui-scraper COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"tui-scraper {__version__}")
    _add_input_arguments(parser)
    add_settings_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Undecodable bytes in arguments arrive as lone surrogates: U+FFFD from here on.
    args_list = [valid_text(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    opens_app = not args_list or args_list[0] not in (*COMMANDS, "-h", "--help")
    parser = build_app_parser() if opens_app else build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if opens_app:
        args.command = "app"
    handlers = {
        "app": run_app_command,
        "crawl": run_crawl,
        "demo": run_demo,
        "batches": run_batches,
        "show": run_show,
        "export": run_export,
        "resume": run_resume,
        "report": run_report,
        "compare": run_compare,
        "serve": run_serve,
    }
    handler = handlers.get(args.command)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return handler(args)
    except (UsageError, SettingError, StoreError) as error:
        print(f"tui-scraper: error: {safe_text(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C outside a batch (reading stdin, exporting): no traceback, the usual code.
        print("tui-scraper: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`| head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


# -- input ------------------------------------------------------------------


def read_input(domains: Sequence[str], file: str | None) -> ParsedTargets:
    """The targets of the command line's domains and `-f FILE`, rejected lines reported."""
    parsed = parse_targets("\n".join([*_file_text(file), *domains]))
    for rejection in parsed.rejected:
        print(
            f"tui-scraper: skipped line {rejection.line}: {safe_text(rejection.input, 80)}: "
            f"{rejection.reason}",
            file=sys.stderr,
        )
    if not parsed.targets:
        if parsed.rejected:
            raise UsageError(f"no valid domain ({len(parsed.rejected)} lines rejected)")
        raise UsageError("no domain given (pass domains or -f FILE)")
    return parsed


def _file_text(file: str | None) -> list[str]:
    """The text of `-f FILE` ('-' is stdin) as a one-item list, or none without -f."""
    if file is None:
        return []
    if file == "-":
        return [valid_bytes_text(sys.stdin.buffer.read())]
    try:
        return [read_domain_list(file)]
    except ValueError as error:
        raise UsageError(str(error)) from None


def check_proxy(proxy: str | None, timeout: float) -> None:
    """Fail early, as bad usage, when the proxy URL is wrong or nothing listens there."""
    if proxy is None:
        return
    shown = mask_credentials(proxy)  # the credentials are used, never printed
    try:
        url = URL(proxy)
    except ValueError:
        raise UsageError(f"--proxy {shown!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"--proxy {shown!r} must be an http:// URL with a host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.host, port), timeout=min(timeout, 5.0)):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"proxy {shown} is unreachable: {reason.lower()}") from None


# -- crawl, demo, resume -------------------------------------------------------


def run_crawl(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    parsed = read_input(args.domains, args.file)
    check_proxy(settings.proxy, settings.timeout)
    with Store.open(db_path_from_args(args), write=True) as store:
        batch_id, status = run_headless(store, lambda service: service.new_batch(settings, parsed))
    return report(db_path_from_args(args), batch_id, status, as_json=args.json)


def run_app_command(args: argparse.Namespace) -> int:
    from tui_scraper.app import run_app

    settings = settings_from_args(args)
    text = "\n".join([*_file_text(args.file), *args.domains])
    if args.file == "-" or not sys.stdin.isatty():
        keyboard_from_terminal()
    return run_app(settings=settings, db_path=db_path_from_args(args), domains_text=text)


def keyboard_from_terminal() -> None:
    """Standard input was the domain list (or is no terminal): the app's keys come from
    /dev/tty instead, or the app is refused with a clear message."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        raise UsageError(
            "the app needs a terminal for its keyboard and standard input is not one, "
            "nor is there /dev/tty; use `tui-scraper crawl -f -` to run a batch headless"
        ) from None
    os.dup2(fd, sys.stdin.fileno())
    os.close(fd)


def run_demo(args: argparse.Namespace) -> int:
    from tui_scraper.demo import build_demo_web

    web = build_demo_web(seed=args.seed)
    settings = settings_from_args(args, Settings(timeout=5.0))
    if not args.headless:
        from tui_scraper.app import run_app

        return run_app(
            settings=settings,
            db_path=db_path_from_args(args),
            domains_text="\n".join(web.demo_domains()),
            demo_web=web,
            demo_facts=_read_demo_facts(args.attach) if args.attach else None,
            autostart=True,
        )
    if args.attach:
        raise UsageError("--attach is for the app, not --headless")
    parsed = parse_targets("\n".join(web.demo_domains()))
    with Store.open(db_path_from_args(args), write=True) as store:
        batch_id, status = run_headless(
            store, lambda service: service.new_batch(settings, parsed), demo_web=web
        )
    return report(db_path_from_args(args), batch_id, status, as_json=args.json)


def _read_demo_facts(path: str) -> dict[str, Any]:
    """The connection facts of a running demo server, kept whole (see `demo --attach`)."""
    try:
        facts = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the demo server's facts in {path}: {error}") from None
    if not isinstance(facts, dict) or not isinstance(facts.get("network"), dict):
        raise UsageError(f"{path} does not hold a demo server's connection facts")
    return facts


def run_serve(args: argparse.Namespace) -> int:
    from tui_scraper.serve import ServeError, serve_from_args

    try:
        return serve_from_args(args)
    except ServeError as error:
        raise UsageError(str(error)) from None


def run_resume(args: argparse.Namespace) -> int:
    db_path = db_path_from_args(args)
    with Store.open(db_path, write=True) as store:
        batch = store.find_batch(args.batch_id)
        batch_id = batch["batch_id"]
        settings = settings_from_args(args, Settings.from_dict(batch.get("settings") or {}))
        unfinished = len(store.unfinished_jobs(batch_id))
        if not unfinished:
            print(f"tui-scraper: batch {batch_id} has no unfinished domain", file=sys.stderr)
            return report(db_path, batch_id, BatchStatus(batch["status"]), as_json=args.json)
        if has_masked_credentials(settings.proxy):
            raise UsageError(
                f"batch {batch_id} used a proxy with credentials, which are never stored; "
                "give --proxy URL again to resume it"
            )
        check_proxy(settings.proxy, settings.timeout)
        print(f"tui-scraper: resuming {unfinished} domains of {batch_id}", file=sys.stderr)
        _, status = run_headless(store, lambda service: service.resume_batch(batch_id, settings))
    return report(db_path, batch_id, status, as_json=args.json)


MakeBatch = Callable[[BatchService], "Batch | Awaitable[Batch]"]


def run_headless(
    store: Store, make: MakeBatch, *, demo_web: DemoWeb | None = None
) -> tuple[str, BatchStatus]:
    """Run the batch `make` asks the service for, progress on stderr; (batch id, status)."""
    return asyncio.run(_run_headless(store, make, demo_web))


async def _run_headless(
    store: Store, make: MakeBatch, demo_web: DemoWeb | None
) -> tuple[str, BatchStatus]:
    async with BatchService(store, demo_web=demo_web) as service:
        made = make(service)
        batch = await made if inspect.isawaitable(made) else made
        status = await _run_until_done_or_signal(batch, ProgressReporter(batch.size))
    return batch.batch_id, status


def report(db_path: str, batch_id: str, status: BatchStatus, *, as_json: bool) -> int:
    """Print the batch's summary from the store; the exit code for its outcome."""
    with Store.open(db_path) as store:
        batch = store.batch(batch_id) or {}
        records = store.batch_domains(batch_id)
    if as_json:
        print_json(summary_json(dict(batch), records))
    else:
        print(summary_table(records))
        print(f"batch {batch_id} {status.value}; store: {safe_text(db_path)}")
    if status == BatchStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    if any(record["status"] == DomainStatus.FAILED for record in records):
        return EXIT_SOME_FAILED
    return EXIT_OK


async def _run_until_done_or_signal(batch: Batch, reporter: ProgressReporter) -> BatchStatus:
    """Run the batch; SIGINT, SIGTERM or SIGHUP interrupts it, saving what was fetched."""
    batch_task = asyncio.create_task(batch.run(reporter))
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, batch_task.cancel)
    try:
        status = await batch_task
    except asyncio.CancelledError:
        status = BatchStatus.INTERRUPTED
    finally:
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
    if batch.store_error or batch.unsaved:
        lost = f" ({batch.unsaved} results not saved)" if batch.unsaved else ""
        print(
            f"tui-scraper: error: the store could not be written{lost}: "
            f"{safe_text(batch.store_error or 'see above', 200)}",
            file=sys.stderr,
        )
    return status


# -- the store -----------------------------------------------------------------


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


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout, escaped when stdout is a terminal."""
    sys.stdout.write(dumps_for(value, terminal=sys.stdout.isatty(), indent=2) + "\n")


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
