"""What every command shares: the exit codes, the usage error, JSON on stdout."""

from __future__ import annotations

import sys
from typing import Any

from tui_scraper.text import dumps_for

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad usage or input: printed as one line, exit code 2."""


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout, escaped when stdout is a terminal."""
    sys.stdout.write(dumps_for(value, terminal=sys.stdout.isatty(), indent=2) + "\n")
