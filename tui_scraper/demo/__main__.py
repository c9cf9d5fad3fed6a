"""Run the demo web standalone: `python -m tui_scraper.demo [--perf SITES PAGES] ...`.

Prints one JSON line (port, refused_port, connect_to, domains) and serves until SIGINT or
SIGTERM; benchmarks start it in a separate process so the server's CPU is not the
crawler's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from .perf import build_perf_web
from .server import DemoServer
from .web import build_demo_web


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tui_scraper.demo", description="Serve the tui-scraper demo web."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (0: any free port)")
    parser.add_argument("--tls-port", type=int, default=0, help="HTTPS port (0: any free port)")
    parser.add_argument(
        "--perf",
        nargs=2,
        type=int,
        metavar=("SITES", "PAGES"),
        help="serve the benchmark web of SITES plain sites of PAGES pages instead",
    )
    parser.add_argument("--page-bytes", type=int, default=25_000, help="perf web page size (bytes)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds every response waits first"
    )
    parser.add_argument(
        "--slow-delay", type=float, default=0.5, help="extra delay of the slow site (s)"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="content seed (default 7; perf web 0)"
    )
    return parser


async def _serve(args: argparse.Namespace) -> int:
    if args.perf:
        sites, pages = args.perf
        seed = 0 if args.seed is None else args.seed
        demo = build_perf_web(sites, pages, page_bytes=args.page_bytes, seed=seed)
    else:
        demo = build_demo_web(7 if args.seed is None else args.seed)
    server = DemoServer(demo, latency=args.latency, slow_delay=args.slow_delay)
    await server.start(args.host, args.port, args.tls_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        print(json.dumps(server.connection_facts()), flush=True)
        await stop.wait()
    finally:
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.perf and min(args.perf) < 1:
        _parser().error("--perf needs at least one site and one page")
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
