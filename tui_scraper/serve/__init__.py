"""`tui-scraper serve`: the app in a web browser, one app process per visitor (textual-serve).

Safe by default (see `server.GuardedServer`): loopback only unless `--public-url` is
given, a token in the URL, an Origin check and a cap on live sessions. With `--demo`
this process serves the demo web once; each visitor's app attaches to it
(`tui-scraper demo --attach FILE`) and runs the demo batch into a store of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import shlex
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yarl import URL

from tui_scraper.settings.flags import add_db_argument, db_path_from_args

if TYPE_CHECKING:
    from tui_scraper.demo import DemoServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 3
MAX_SESSIONS_LIMIT = 50  # each session is a process with its own crawler
DEMO_SEED = 7  # the `demo` command's default seed
DEMO_FACTS_FILE = "demo-server.json"
PUBLIC_WARNING = (
    "tui-scraper: warning: serving on {host}: anyone who has the URL can crawl from this "
    "machine and read its store"
)


class ServeError(ValueError):
    """Bad usage of `serve`: shown as one line, exit code 2."""


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The `serve` command's flags."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; another needs --public-url)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers reach this server at (needed with a non-loopback --host)",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"apps running at once, one per browser tab (default {DEFAULT_MAX_SESSIONS})",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo web once; each visitor's app crawls it into a temporary store",
    )
    add_db_argument(parser)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """`serve`'s options, checked."""

    host: str
    port: int
    public_url: str
    max_sessions: int
    demo: bool
    db: str | None  # None: the default store; with --demo, a temporary one per session
    public: bool  # listening on a non-loopback address


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine's loopback interface only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Check `serve`'s flags; a `ServeError` says what is wrong."""
    if not 1 <= args.port <= 65535:
        raise ServeError(f"--port {args.port} is not a port (1-65535)")
    if not 1 <= args.max_sessions <= MAX_SESSIONS_LIMIT:
        raise ServeError(f"--max-sessions must be from 1 to {MAX_SESSIONS_LIMIT}")
    public = not is_loopback(args.host)
    if args.public_url is None:
        if public:
            raise ServeError(
                f"--host {args.host} is not a loopback address: give --public-url, the URL "
                "browsers will open (e.g. http://my-host.example:8000)"
            )
        host = f"[{args.host}]" if ":" in args.host else args.host
        public_url = f"http://{host}:{args.port}"
    else:
        public_url = check_public_url(args.public_url)
    db = db_path_from_args(args) if (args.db or not args.demo) else None
    return ServeOptions(
        host=args.host,
        port=args.port,
        public_url=public_url,
        max_sessions=args.max_sessions,
        demo=args.demo,
        db=str(Path(db).resolve()) if db is not None else None,
        public=public,
    )


def check_public_url(text: str) -> str:
    """`--public-url` without its final slash, if it is an http(s) URL with a host."""
    try:
        url = URL(text)
    except ValueError:
        raise ServeError(f"--public-url {text!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host or url.query_string or url.fragment:
        raise ServeError(
            f"--public-url {text!r} must be an http:// or https:// URL with a host (and no query)"
        )
    return text.rstrip("/")


def app_command(*arguments: str) -> str:
    """The shell command of one session's app: this Python running tui-scraper."""
    return shlex.join([sys.executable, "-m", "tui_scraper", *arguments])


def serve_from_args(args: argparse.Namespace) -> int:
    """`tui-scraper serve`: serve until interrupted; returns the exit code."""
    return serve(options_from_args(args))


def serve(options: ServeOptions) -> int:
    """Serve the app (or the demo) until SIGINT or SIGTERM."""
    if options.public:
        print(PUBLIC_WARNING.format(host=options.host), file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="tui-scraper-serve-") as folder:
        from tui_scraper.serve.server import CannotListen

        try:
            asyncio.run(_serve(options, Path(folder)))
        except CannotListen as error:
            reason = str(error).lower()
            raise ServeError(f"cannot listen on {options.host}:{options.port}: {reason}") from None
    return 0


async def _serve(options: ServeOptions, work: Path) -> None:
    from tui_scraper.serve.server import GuardedServer

    server = GuardedServer(
        session_commands(options, work),
        host=options.host,
        port=options.port,
        public_url=options.public_url,
        max_sessions=options.max_sessions,
    )
    async with contextlib.AsyncExitStack() as stack:
        if options.demo:
            demo = await stack.enter_async_context(shared_demo())
            # The connection facts are passed through whole: the app reads what it needs.
            (work / DEMO_FACTS_FILE).write_text(json.dumps(demo.connection_facts()), "utf-8")
        await server.run_until_signal(lambda: announce(server.url, options, work))


@contextlib.asynccontextmanager
async def shared_demo() -> AsyncIterator[DemoServer]:
    """The demo web, served by this process once for every session."""
    from tui_scraper.demo import DEMO_LATENCY_S, DemoServer, build_demo_web

    async with DemoServer(build_demo_web(seed=DEMO_SEED), latency=DEMO_LATENCY_S) as server:
        yield server


def session_commands(options: ServeOptions, work: Path) -> Callable[[int], str]:
    """The command of the n-th session's app."""
    if not options.demo:
        assert options.db is not None
        db = options.db
        return lambda _n: app_command("--db", db)
    facts = str(work / DEMO_FACTS_FILE)

    def demo_command(n: int) -> str:
        store = options.db or str(work / f"session-{n}.json")
        return app_command("demo", "--seed", str(DEMO_SEED), "--attach", facts, "--db", store)

    return demo_command


def announce(url: str, options: ServeOptions, work: Path) -> None:
    """Print the URL to open and where the stores are."""
    print(f"tui-scraper serve: open {url}", flush=True)
    if options.demo:
        stores = options.db or f"{work / 'session-N.json'} (removed when serve stops)"
        print(f"  the demo web is served once for every session; stores: {stores}", flush=True)
    else:
        print(f"  store: {options.db} (the first session writes it)", flush=True)
    print(f"  at most {options.max_sessions} sessions at once; Ctrl+C stops", flush=True)
