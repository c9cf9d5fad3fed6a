"""The command line's parsers: every command, its flags and the crawl settings' flags."""

from __future__ import annotations

import argparse

from tui_scraper import __version__
from tui_scraper.compare import COMPARE_FORMATS
from tui_scraper.export import FORMATS
from tui_scraper.findings import REPORT_FORMATS
from tui_scraper.settings.flags import add_db_argument, add_settings_arguments

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


def build_parser() -> argparse.ArgumentParser:
    """`tui-scraper COMMAND ...`: every command's parser."""
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
