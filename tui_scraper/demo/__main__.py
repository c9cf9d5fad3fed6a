"""Run the demo web standalone: `python -m tui_scraper.demo [--perf SITES PAGES] ...`.

Prints one JSON line (port, refused_port, connect_to, domains) and serves until SIGINT or
SIGTERM; benchmarks start it in a separate process so the server's CPU is not the
crawler's. With `--counters` it prints one more JSON line when it stops: the server's
request counters (`request_counters`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from .perf import build_perf_web
from .server import DemoServer
from .stats import DemoStats
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
    parser.add_argument(
        "--counters",
        action="store_true",
        help="when stopped, print one more JSON line: the server's request counters",
    )
    return parser


async def _mean_in_flight(stats: DemoStats, every_s: float = 0.005) -> float:
    """Mean requests in flight at the server, from its first request to its last answer."""
    values: list[int] = []
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            await asyncio.sleep(every_s)
            if stats.total_requests:
                values.append(stats.in_flight)
    while values and not values[-1]:
        values.pop()
    return sum(values) / len(values) if values else 0.0


def request_counters(stats: DemoStats, mean_in_flight: float) -> dict[str, Any]:
    """What the benchmarks report of the server side: requests, repeats, parallelism."""
    hosts = stats.hosts.values()
    return {
        "requests": stats.total_requests,
        "robots_txt": sum(h.path_counts["/robots.txt"] for h in hosts),
        "sitemap_xml": sum(h.path_counts["/sitemap.xml"] for h in hosts),
        "repeated": sum(n - 1 for h in hosts for n in h.path_counts.values() if n > 1),
        "hosts": len(stats.hosts),
        "max_hosts_in_flight": stats.max_hosts_in_flight,
        "max_per_host_in_flight": max((h.max_in_flight for h in hosts), default=0),
        "mean_in_flight": mean_in_flight,
    }


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
    sampler = asyncio.create_task(_mean_in_flight(server.stats)) if args.counters else None
    counters: dict[str, Any] | None = None
    try:
        print(json.dumps(server.connection_facts()), flush=True)
        await stop.wait()
        if sampler is not None:
            sampler.cancel()
            counters = request_counters(server.stats, await sampler)
    finally:
        await server.stop()
    if counters is not None:
        print(json.dumps(counters), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.perf and min(args.perf) < 1:
        _parser().error("--perf needs at least one site and one page")
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
