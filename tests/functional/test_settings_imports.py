"""The settings at run time: importing them brings in no front end (a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_settings_brings_in_neither_argparse_nor_textual() -> None:
    probe = (
        "import sys, tui_scraper.settings\n"
        "print(sorted({'argparse', 'textual'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
