"""The settings as command-line flags (argparse), built from the schema.

argparse only collects each flag's text; `settings_from_args` converts it and checks it
with the schema's one `check_value`, so a bad value is one `tui-scraper: error:` line
naming the flag, the same line whichever setting it is.
"""

from __future__ import annotations

import argparse
import os

from tui_scraper.settings.schema import Settings, settings_schema
from tui_scraper.settings.text import value_from_text

DEFAULT_DB_PATH = "./tui-scraper.json"
DB_ENV_VAR = "TUI_SCRAPER_DB"


def add_db_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add `--db PATH`, the store file, to a command's parser."""
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help=f"the store file (env {DB_ENV_VAR}; default {DEFAULT_DB_PATH})",
    )


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--db` and every setting's flag to a command's parser."""
    group = parser.add_argument_group("crawl settings")
    add_db_argument(group)
    for spec in settings_schema(run_options=True):
        if spec.is_switch:
            group.add_argument(spec.flag, action="store_true", default=None, help=spec.help)
        elif spec.repeatable:
            group.add_argument(
                spec.flag, action="append", default=None, metavar=spec.metavar, help=spec.help
            )
        else:
            shown = "none" if spec.default is None else str(spec.default)
            if spec.range_text is not None:
                shown = f"{shown}; {spec.range_text}"
            group.add_argument(
                spec.flag, default=None, metavar=spec.metavar, help=f"{spec.help} (default {shown})"
            )


def settings_from_args(args: argparse.Namespace, base: Settings | None = None) -> Settings:
    """Settings from parsed flags: flags given override `base` (or the defaults).

    SettingError naming the first flag whose value cannot be used.
    """
    changes = {}
    for spec in settings_schema(run_options=True):
        given = getattr(args, spec.name, None)
        if given is None:
            continue
        if spec.is_switch:
            changes[spec.name] = bool(given)
        elif spec.repeatable:
            changes[spec.name] = list(given)  # one entry per flag, as given
        else:
            changes[spec.name] = value_from_text(spec, given)
    return (base if base is not None else Settings()).replace(**changes)


def db_path_from_args(args: argparse.Namespace) -> str:
    """The store path: `--db`, else the environment variable, else the default."""
    return getattr(args, "db", None) or os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH
