"""The `tui-scraper` command line: the app, headless crawls, the demo and the store.

`main` parses (`parser.py`) and hands the arguments to a command: one that runs a batch
or the app (`batch_commands.py`) or one that reads the store (`store_commands.py`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from tui_scraper.cli.batch_commands import (
    run_app_command,
    run_crawl,
    run_demo,
    run_resume,
    run_serve,
)
from tui_scraper.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    UsageError,
)
from tui_scraper.cli.parser import COMMANDS, build_app_parser, build_parser
from tui_scraper.cli.store_commands import (
    run_batches,
    run_compare,
    run_export,
    run_report,
    run_show,
    terminal_safe,
)
from tui_scraper.settings import SettingError
from tui_scraper.store import StoreError
from tui_scraper.text import safe_text, valid_text

__all__ = [
    "COMMANDS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "UsageError",
    "build_app_parser",
    "build_parser",
    "main",
    "terminal_safe",
]

HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; its exit code (bad usage is one line and 2, never a traceback)."""
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
    handler = HANDLERS.get(args.command)
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
