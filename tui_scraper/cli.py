"""The `tui-scraper` command line: the app, headless crawls, the demo and the store."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yarl import URL

from tui_scraper import __version__
from tui_scraper.engine.crawl import DomainJob
from tui_scraper.engine.events import BatchStatus, DomainStatus, Rejected, fan_out
from tui_scraper.engine.pool import BatchRunner, make_jobs, new_batch_id
from tui_scraper.headless import ProgressReporter, summary_json, summary_table
from tui_scraper.settings import (
    SettingError,
    Settings,
    add_settings_arguments,
    db_path_from_args,
    settings_from_args,
)
from tui_scraper.store import Store, StoreError, StoreWriter
from tui_scraper.targets import ParsedTargets, parse_targets
from tui_scraper.text import safe_text

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    from tui_scraper.demo import DemoWeb

COMMANDS = ("crawl", "demo", "batches", "show", "export", "resume")


class UsageError(Exception):
    """Bad usage or input: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-scraper",
        description="Crawl a batch of websites concurrently from a terminal.",
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
    add_settings_arguments(demo)
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domains", nargs="*", metavar="DOMAIN", help="domains or URLs to crawl")
    parser.add_argument(
        "-f", "--file", metavar="FILE", help="read domains from FILE, one a line ('-' for stdin)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.command == "crawl":
            return run_crawl(args)
        if args.command == "demo":
            return run_demo(args)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except (UsageError, SettingError, StoreError) as error:
        print(f"tui-scraper: error: {error}", file=sys.stderr)
        return EXIT_USAGE


# -- input ------------------------------------------------------------------


def read_input(domains: Sequence[str], file: str | None) -> ParsedTargets:
    """The targets of the command line's domains and `-f FILE`, rejected lines reported."""
    chunks: list[str] = []
    if file is not None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"cannot read {file}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"cannot read {file}: it is a folder") from None
        except UnicodeDecodeError:
            raise UsageError(f"cannot read {file}: not UTF-8 text") from None
        except OSError as error:
            raise UsageError(f"cannot read {file}: {error.strerror or error}") from None
        chunks.append(text)
    chunks.extend(domains)
    parsed = parse_targets("\n".join(chunks))
    for rejection in parsed.rejected:
        print(
            f"tui-scraper: skipped line {rejection.line}: {safe_text(rejection.input, 80)!s}: "
            f"{rejection.reason}",
            file=sys.stderr,
        )
    if not parsed.targets:
        if parsed.rejected:
            raise UsageError(f"no valid domain ({len(parsed.rejected)} lines rejected)")
        raise UsageError("no domain given (pass domains or -f FILE)")
    return parsed


def check_proxy(proxy: str | None, timeout: float) -> None:
    """Fail early, as bad usage, when the proxy URL is wrong or nothing listens there."""
    if proxy is None:
        return
    try:
        url = URL(proxy)
    except ValueError:
        raise UsageError(f"--proxy {proxy!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"--proxy {proxy!r} must be an http:// URL with a host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.host, port), timeout=min(timeout, 5.0)):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"proxy {proxy} is unreachable: {reason.lower()}") from None


# -- crawl ------------------------------------------------------------------


def run_crawl(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    parsed = read_input(args.domains, args.file)
    check_proxy(settings.proxy, settings.timeout)
    store = Store.open(db_path_from_args(args))
    return run_headless_batch(store, settings, parsed, as_json=args.json)


def run_headless_batch(
    store: Store,
    settings: Settings,
    parsed: ParsedTargets,
    *,
    as_json: bool,
    demo_web: DemoWeb | None = None,
) -> int:
    """Run a batch with progress on stderr and the summary on stdout; returns the exit code."""
    batch_id = new_batch_id()
    jobs = make_jobs(batch_id, parsed.targets)
    rejected = [Rejected(r.line, r.input, r.reason) for r in parsed.rejected]
    writer = StoreWriter(store)
    reporter = ProgressReporter(len(jobs))
    status = asyncio.run(_run_batch(settings, batch_id, jobs, rejected, writer, reporter, demo_web))
    store.close()
    records = store.batch_domains(batch_id)
    if as_json:
        batch = store.batch(batch_id) or {}
        json.dump(summary_json(dict(batch), records), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary_table(records))
        print(f"batch {batch_id} {status.value}; store: {store.path}")
    if status == BatchStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    if any(record["status"] == DomainStatus.FAILED for record in records):
        return EXIT_SOME_FAILED
    return EXIT_OK


async def _run_batch(
    settings: Settings,
    batch_id: str,
    jobs: list[DomainJob],
    rejected: list[Rejected],
    writer: StoreWriter,
    reporter: ProgressReporter,
    demo_web: DemoWeb | None,
) -> BatchStatus:
    async with contextlib.AsyncExitStack() as stack:
        if demo_web is not None:
            from tui_scraper.demo import DemoServer

            server = await stack.enter_async_context(DemoServer(demo_web))
            settings = settings.replace(connect_to=[*server.connect_to, *settings.connect_to])
        return await _run_runner(settings, batch_id, jobs, rejected, writer, reporter)


async def _run_runner(
    settings: Settings,
    batch_id: str,
    jobs: list[DomainJob],
    rejected: list[Rejected],
    writer: StoreWriter,
    reporter: ProgressReporter,
) -> BatchStatus:
    runner = BatchRunner(settings, fan_out([writer, reporter]), batch_id=batch_id)
    writer_task = asyncio.create_task(writer.run())
    batch_task = asyncio.create_task(runner.run(jobs, rejected=rejected))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, batch_task.cancel)
    try:
        status = await batch_task
    except asyncio.CancelledError:
        status = BatchStatus.INTERRUPTED
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        writer.close()
        await writer_task
    return status


# -- demo -------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    from tui_scraper.demo import build_demo_web

    web = build_demo_web(seed=args.seed)
    base = Settings(timeout=5.0, retries=2)
    settings = settings_from_args(args, base)
    parsed = parse_targets("\n".join(web.demo_domains()))
    store = Store.open(db_path_from_args(args))
    if not args.headless:
        print(
            "tui-scraper: the terminal app is not built yet; running the demo headless",
            file=sys.stderr,
        )
    return run_headless_batch(store, settings, parsed, as_json=args.json, demo_web=web)
