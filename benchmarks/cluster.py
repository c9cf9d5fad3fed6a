"""Benchmark: the local pool against `--cluster local:N` on the perf demo web.

The perf demo web runs in its own process. Each mode crawls it from this
process, the driver, with `make_runner` as the CLI does, and prints one row:

- start s: from the run's start to the first domain started (a local cluster's
  processes start in it);
- crawl s and pages/s: from the first domain started to the last one finished;
- CPU ms/page of all processes over the crawl: the driver and every process
  under it (the parser pool, or the Dask scheduler here and the worker
  processes), read with psutil while they live; the demo server apart, in its
  own column (on one machine it shares the cores);
- fetched→driver p50 and p95: from a page's `fetched_at` (stamped where it was
  fetched, on a worker) to its event reaching the driver's sink.

`--pace RATE` sets `--delay` so that the window of `--concurrency` domains asks
about RATE pages a second (each domain one request per delay), to read the
latency at a given rate rather than at the most the machine gives.

    python benchmarks/cluster.py [--sites 200] [--pages 30] [--concurrency 40] [--workers 2]
                                 [--pace 500] [--runs 3] [--only local|cluster]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psutil

from tui_scraper.engine.events import DomainFinished, DomainStarted, Event, PageFetched
from tui_scraper.engine.pool import make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.targets import parse_targets


@contextlib.contextmanager
def perf_server(sites: int, pages: int, latency: float) -> Iterator[tuple[dict[str, Any], int]]:
    """Serve the perf web in a child process; yields its JSON line and its pid."""
    command = [sys.executable, "-m", "tui_scraper.demo", "--perf", str(sites), str(pages)]
    process = subprocess.Popen([*command, "--latency", str(latency)], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline()), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _cpu(times: Any) -> float:
    return float(times.user + times.system + times.children_user + times.children_system)


def cpu_now(server_pid: int) -> tuple[float, float]:
    """(CPU s of this process and all under it but the server, CPU s of the server) so far.

    A process that ended is in its parent's children times once reaped; a live one
    is read itself, so each is counted once.
    """
    me = psutil.Process()
    ours, server = _cpu(me.cpu_times()), 0.0
    for process in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if process.pid == server_pid:
                server += _cpu(process.cpu_times())
            else:
                ours += _cpu(process.cpu_times())
    return ours, server


def parse_stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def crawl(settings: Settings, domains: list[str], server_pid: int) -> dict[str, float]:
    delays: list[float] = []
    marks: dict[str, tuple[float, float, float]] = {}  # moment -> (time, our CPU, server CPU)
    finished = 0

    def mark(name: str) -> None:
        marks[name] = (time.monotonic(), *cpu_now(server_pid))

    def sink(event: Event) -> None:
        nonlocal finished
        if isinstance(event, PageFetched):
            delays.append(time.time() - parse_stamp(event.page["fetched_at"]))
        elif isinstance(event, DomainStarted) and "crawl" not in marks:
            mark("crawl")
        elif isinstance(event, DomainFinished):
            finished += 1
            if finished == len(domains):
                mark("end")  # before the run closes its parser pool or cluster

    runner = make_runner(settings, sink)
    jobs = make_jobs(runner.batch_id, parse_targets("\n".join(domains)).targets)
    mark("start")
    await runner.run(jobs)
    (t0, cpu0, _), (t1, cpu1, srv1), (t2, cpu2, srv2) = (
        marks[k] for k in ("start", "crawl", "end")
    )
    ordered = sorted(delays)
    pages = max(1, len(delays))
    return {
        "pages": len(delays),
        "start": t1 - t0,
        "start_cpu": cpu1 - cpu0,
        "crawl": t2 - t1,
        "rate": len(delays) / (t2 - t1),
        "cpu_ms": 1000 * (cpu2 - cpu1) / pages,
        "server_ms": 1000 * (srv2 - srv1) / pages,
        "p50": 1000 * statistics.median(ordered),
        "p95": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
    }


HEADER = (
    "| run | mode | pages | start s | crawl s | pages/s | CPU ms/page (all processes) "
    "| server CPU ms/page | fetched→driver p50 ms | p95 ms |\n"
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(run: int, name: str, r: dict[str, float]) -> str:
    return (
        f"| {run} | {name} | {r['pages']:,.0f} | {r['start']:.1f} | {r['crawl']:.1f} "
        f"| {r['rate']:.0f} | {r['cpu_ms']:.2f} | {r['server_ms']:.2f} "
        f"| {r['p50']:.0f} | {r['p95']:.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pace", type=float, help="ask about this many pages a second")
    parser.add_argument("--runs", type=int, default=1, help="run both modes this many times")
    parser.add_argument("--only", choices=["local", "cluster"], help="run one mode only")
    opts = parser.parse_args()
    delay = 0.0
    if opts.pace:
        # Each domain asks robots.txt and sitemap.xml too: pages + 2 requests for its pages.
        delay = opts.concurrency * (opts.pages + 2) / (opts.pages * opts.pace)
    cluster = f"--cluster local:{opts.workers}"
    print(
        f"perf demo web: {opts.sites} sites x {opts.pages} pages, {opts.latency * 1000:.0f} ms "
        f"latency; --concurrency {opts.concurrency} --per-domain 4"
        + (f" --delay {delay:.3f} (paced at {opts.pace:.0f} pages/s)" if delay else "")
        + f"; {psutil.cpu_count()} CPUs, load average {psutil.getloadavg()[0]:.1f} at start\n",
        flush=True,
    )
    print(HEADER, flush=True)
    with perf_server(opts.sites, opts.pages, opts.latency) as (info, server_pid):
        base = Settings(
            concurrency=opts.concurrency,
            per_domain=4,
            max_pages=opts.pages,
            delay=delay,
            timeout=10.0,
            connect_to=list(info["connect_to"]),
            ca_bundle=info["ca_bundle"],
        )
        modes = {"local pool": base, cluster: base.replace(cluster=f"local:{opts.workers}")}
        if opts.only is not None:
            modes = {k: v for k, v in modes.items() if (opts.only == "local") == (k != cluster)}
        for run in range(1, opts.runs + 1):
            for name, settings in modes.items():
                result = asyncio.run(crawl(settings, info["domains"], server_pid))
                print(row(run, name, result), flush=True)
    print(f"\nload average {psutil.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":  # the cluster's worker processes import this module too
    sys.exit(main())
