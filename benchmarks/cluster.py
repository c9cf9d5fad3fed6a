"""Benchmark: the local pool against `--cluster local:N` on the perf demo web.

The perf demo web runs in its own process (its CPU is not counted). Each mode
crawls it from this process, the driver, with `make_runner` as the CLI does,
and prints: wall time, pages/s, CPU per page of all processes (the driver and
its children: the parser pool, or the Dask scheduler and worker processes,
which are reaped when the batch's cluster closes), and the time from a page
fetched (its `fetched_at`, stamped where it was fetched) to its event reaching
the driver's sink, p50 and p95.

    python benchmarks/cluster.py [--sites 100] [--pages 30] [--concurrency 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tui_scraper.engine.events import Event, PageFetched
from tui_scraper.engine.pool import make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.targets import parse_targets


@contextlib.contextmanager
def perf_server(sites: int, pages: int, latency: float) -> Iterator[dict[str, Any]]:
    """Serve the perf web in a child process; yields its JSON line (connect_to, domains)."""
    command = [sys.executable, "-m", "tui_scraper.demo", "--perf", str(sites), str(pages)]
    process = subprocess.Popen([*command, "--latency", str(latency)], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=10)


def cpu_seconds() -> float:
    """CPU of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parse_stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def crawl(settings: Settings, domains: list[str]) -> dict[str, float]:
    delays: list[float] = []

    def sink(event: Event) -> None:
        if isinstance(event, PageFetched):
            delays.append(time.time() - parse_stamp(event.page["fetched_at"]))

    runner = make_runner(settings, sink)
    jobs = make_jobs(runner.batch_id, parse_targets("\n".join(domains)).targets)
    cpu, started = cpu_seconds(), time.monotonic()
    await runner.run(jobs)
    wall, cpu = time.monotonic() - started, cpu_seconds() - cpu
    ordered = sorted(delays)
    return {
        "pages": len(delays),
        "wall": wall,
        "rate": len(delays) / wall,
        "cpu_ms": 1000 * cpu / max(1, len(delays)),
        "p50": 1000 * statistics.median(ordered),
        "p95": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()
    with perf_server(opts.sites, opts.pages, opts.latency) as info:
        base = Settings(
            concurrency=opts.concurrency,
            per_domain=4,
            max_pages=opts.pages,
            timeout=10.0,
            connect_to=list(info["connect_to"]),
            ca_bundle=info["ca_bundle"],
        )
        modes = {"local pool": base, f"--cluster local:{opts.workers}": base}
        modes[f"--cluster local:{opts.workers}"] = base.replace(cluster=f"local:{opts.workers}")
        rows = {
            name: asyncio.run(crawl(settings, info["domains"])) for name, settings in modes.items()
        }
    print(
        f"perf demo web: {opts.sites} sites x {opts.pages} pages, {opts.latency * 1000:.0f} ms "
        f"latency; --concurrency {opts.concurrency} --per-domain 4\n"
    )
    header = "| mode | pages | wall s | pages/s | CPU ms/page (all processes) |"
    print(header + " fetched→driver p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['pages']:,.0f} | {r['wall']:.1f} | {r['rate']:.0f} | {r['cpu_ms']:.2f} "
            f"| {r['p50']:.0f} | {r['p95']:.0f} |"
        )
    return 0


if __name__ == "__main__":  # the cluster's worker processes import this module too
    sys.exit(main())
