"""The commands that run a batch (crawl, demo, resume), open the app, or serve it."""

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
from typing import TYPE_CHECKING, Any

from yarl import URL

from tui_scraper.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    UsageError,
    print_json,
)
from tui_scraper.engine.events import BatchStatus, DomainStatus
from tui_scraper.headless import ProgressReporter, summary_json, summary_table
from tui_scraper.service import Batch, BatchService
from tui_scraper.settings import Settings, has_masked_credentials, mask_credentials
from tui_scraper.settings.flags import db_path_from_args, settings_from_args
from tui_scraper.store import Store
from tui_scraper.targets import ParsedTargets, parse_targets, read_domain_list
from tui_scraper.text import safe_text, valid_bytes_text

if TYPE_CHECKING:
    from tui_scraper.demo import DemoWeb

# A headless batch over SSH stops saved when the connection drops (SIGHUP), as on Ctrl-C.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
