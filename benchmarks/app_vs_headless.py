"""Benchmark: the terminal app against the headless crawl, and the app's key latency.

Part 1 crawls the same perf demo web (served by `python -m tui_scraper.demo --perf` in
its own process, so its CPU is not counted) twice per run, each time in a fresh
crawler process: (a) headless, with the headless command's consumers (store writer
and progress reporter, as `cli._run_runner` wires them), (b) in the app run headless
with every frame encoded as a terminal would receive it. It prints the CPU time of
each crawler process and the ratio.

Part 2 runs a 1,000-domain batch in the app and presses keys that change what is
on screen (`+`/`-`: the concurrency in the status line; `down`: the selected row),
timing each from the key event entering the app to the first frame that shows it.

    python benchmarks/app_vs_headless.py [--sites 200] [--pages 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from throughput import become_subreaper, reap_orphans  # the benchmark next door

from tui_scraper.app import ScraperApp
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.engine.events import fan_out
from tui_scraper.engine.pool import BatchRunner, make_jobs, new_batch_id
from tui_scraper.headless import ProgressReporter
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

HERE = Path(__file__).resolve()
# Direct children that are not a crawler run (the demo web), left alone when reaping.
NOT_THE_CRAWLER: set[int] = set()


# -- the demo web in its own process -----------------------------------------


@contextlib.contextmanager
def perf_server(sites: int, pages: int, latency: float) -> Iterator[dict[str, Any]]:
    """Serve the perf web in a child process; yields its JSON line (connect_to, domains)."""
    command = [
        sys.executable,
        "-m",
        "tui_scraper.demo",
        "--perf",
        str(sites),
        str(pages),
        "--latency",
        str(latency),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    NOT_THE_CRAWLER.add(process.pid)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings_for(info: dict[str, Any], args: argparse.Namespace) -> Settings:
    return Settings(
        concurrency=args.concurrency,
        per_domain=2,
        max_pages=args.pages,
        timeout=10.0,
        connect_to=list(info["connect_to"]),
    )


# -- the crawler processes ------------------------------------------------------


async def crawl_headless(settings: Settings, domains: list[str], db: str) -> dict[str, float]:
    """The headless consumers exactly as `tui-scraper crawl` wires them."""
    parsed = parse_targets("\n".join(domains))
    batch_id = new_batch_id()
    jobs = make_jobs(batch_id, parsed.targets)
    store = Store.open(db, write=True)
    writer = StoreWriter(store)
    # A non-terminal stream, as when stderr is redirected: one line per domain.
    reporter = ProgressReporter(len(jobs), stream=io.StringIO())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    runner = BatchRunner(settings, fan_out([writer, reporter]), batch_id=batch_id)
    async with writer.running():
        await runner.run(jobs)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    store.close()
    pages = reporter.pages
    return {"cpu_batch": cpu1 - cpu0, "wall_batch": wall1 - wall0, "pages": pages}


def encode_frames(app: ScraperApp, on_frame: Any = None) -> dict[str, float]:
    """Make the headless app encode every frame as a terminal would receive it."""
    totals = {"frames": 0, "bytes": 0}
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            output = renderable.render_segments(app.console)
            totals["frames"] += 1
            totals["bytes"] += len(output.encode("utf-8"))
            if on_frame is not None:
                on_frame()
        original(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    return totals


def crawl_app(settings: Settings, domains: list[str], db: str) -> dict[str, float]:
    """The same batch in the app, run headless at 120x40 with frames encoded."""
    parsed = parse_targets("\n".join(domains))
    app = ScraperApp(settings=settings, db_path=db)
    totals = encode_frames(app)
    result: dict[str, float] = {}

    async def drive(pilot: Pilot[Any]) -> None:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        app.start_batch(settings, parsed)
        session = app.session
        assert session is not None
        while not session.running and session.status is None:
            await asyncio.sleep(0.01)
        await session.idle.wait()
        cpu1, wall1 = time.process_time(), time.perf_counter()
        result.update(cpu_batch=cpu1 - cpu0, wall_batch=wall1 - wall0, pages=session.state.pages)
        await app.action_quit()

    app.run(headless=True, size=(120, 40), auto_pilot=drive)
    result.update(frames=totals["frames"], mb_out=totals["bytes"] / 1e6)
    return result


def key_latency(settings: Settings, domains: list[str], db: str, presses: int) -> dict[str, Any]:
    """Press keys during a big batch; milliseconds from key event to the frame showing it."""
    parsed = parse_targets("\n".join(domains))
    app = ScraperApp(settings=settings, db_path=db)
    pending: dict[str, Any] = {}
    flush_times: list[float] = []

    def on_frame() -> None:
        check = pending.get("check")
        if check is not None and check():
            pending["seen"] = time.perf_counter()
            pending["check"] = None

    totals = encode_frames(app, on_frame)
    result: dict[str, Any] = {}

    async def drive(pilot: Pilot[Any]) -> None:
        app.start_batch(settings, parsed)
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        flush = screen.flush

        def timed_flush() -> None:
            start = time.perf_counter()
            flush()
            flush_times.append(time.perf_counter() - start)

        screen.flush = timed_flush  # type: ignore[method-assign]
        session = app.session
        assert session is not None
        while session.state.pages < 50:  # the batch is in full swing
            await asyncio.sleep(0.05)
        status = screen.query_one("#batch-status")
        detail = screen.query_one("#row-detail")
        latencies: dict[str, list[float]] = {"+/-": [], "down": []}
        lags: list[float] = []

        async def probe() -> None:
            # How late the event loop wakes a task up: the floor of any key's latency.
            while True:
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append((time.perf_counter() - before - 0.005) * 1000)

        prober = asyncio.create_task(probe())
        wall0, frames0, pages0 = time.perf_counter(), totals["frames"], session.state.pages
        driver = app._driver
        assert driver is not None
        for index in range(presses):
            if index % 2 == 0:
                kind = "+/-"
                key, char = ("plus", "+") if index % 4 == 0 else ("minus", "-")
                target = session.runner.concurrency + (1 if key == "plus" else -1)
                expected = f"concurrency {target} "

                def check(expected: str = expected) -> bool:
                    return expected in str(status.render())
            else:
                kind = "down"
                key, char = "down", None
                table = screen.query_one("#domains")
                job_id = table.jobs[table.cursor_row + 1]
                domain = session.state.rows[job_id].domain

                def check(domain: str = domain) -> bool:
                    return str(detail.render()).startswith(domain + " ")

            pending.clear()
            pending["check"] = check
            start = time.perf_counter()
            driver.send_message(events.Key(key, char))
            while "seen" not in pending:
                if time.perf_counter() - start > 5:
                    raise TimeoutError(f"key {key} not reflected on screen in 5 s")
                await asyncio.sleep(0.001)
            latencies[kind].append((pending["seen"] - start) * 1000)
            # Presses land at different moments of the 0.2 s redraw cycle.
            await asyncio.sleep(0.05 + (index * 37 % 100) / 1000)
        wall = time.perf_counter() - wall0
        prober.cancel()
        result.update(
            latencies=latencies,
            lag_ms=lags,
            pages_per_s=(session.state.pages - pages0) / wall,
            pages=session.state.pages,
            domains=len(session.state.order),
            fps=(totals["frames"] - frames0) / wall,
            kb_per_s=totals["bytes"] / 1000 / wall,
            flush_ms=[t * 1000 for t in flush_times],
        )
        await app.interrupt_batch()
        await app.close_everything()
        app.exit()

    app.run(headless=True, size=(120, 40), auto_pilot=drive)
    return result


def child(args: argparse.Namespace) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    info = json.loads(Path(args.info).read_text())
    settings = settings_for(info, args)
    domains = info["domains"]
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "bench.json")
        if args.child == "headless":
            result = asyncio.run(crawl_headless(settings, domains, db))
        elif args.child == "app":
            result = crawl_app(settings, domains, db)
        else:
            result = key_latency(settings, domains, db, args.presses)
    result["cpu_process"] = time.process_time()
    print(json.dumps(result))


def run_child(kind: str, info: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(info, handle)
    try:
        command = [
            sys.executable,
            str(HERE),
            "--child",
            kind,
            "--info",
            handle.name,
            "--pages",
            str(args.pages if kind != "latency" else args.latency_pages),
            "--concurrency",
            str(args.concurrency),
            "--presses",
            str(args.presses),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        output = subprocess.run(command, capture_output=True, text=True, check=False)
        if output.returncode != 0:
            raise RuntimeError(f"{kind} run failed:\n{output.stderr[-3000:]}")
        # The parser pool's forkserver outlives the crawler: reap it (and with it what
        # its workers used) so the tree's CPU is complete.
        reap_orphans(set(NOT_THE_CRAWLER))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = json.loads(output.stdout.strip().splitlines()[-1])
        result["cpu_tree"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return result
    finally:
        os.unlink(handle.name)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-sites", type=int, default=1000)
    parser.add_argument("--latency-pages", type=int, default=10)
    parser.add_argument("--presses", type=int, default=80)
    parser.add_argument(
        "--key-concurrency",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[5, 20],
        help="concurrency values of the key-latency runs (comma-separated)",
    )
    parser.add_argument("--only", choices=("cpu", "latency"), help="run one part only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    become_subreaper()
    if args.only != "latency":
        compare_cpu(args)
    if args.only != "cpu":
        measure_keys(args)


def compare_cpu(args: argparse.Namespace) -> None:
    """Part 1: CPU of the same batch headless and in the app, fresh processes, alternated."""
    print(
        f"perf web: {args.sites} sites x {args.pages} pages, latency {args.latency}s, "
        f"concurrency {args.concurrency}, per-domain 2; {args.runs} runs, fresh process each"
    )
    rows: dict[str, list[dict[str, Any]]] = {"headless": [], "app": []}
    with perf_server(args.sites, args.pages, args.latency) as info:
        for run in range(args.runs):
            # Alternate the order so neither variant always runs on a warmer machine.
            order = ("headless", "app") if run % 2 == 0 else ("app", "headless")
            for kind in order:
                rows[kind].append(run_child(kind, info, args))
                last = rows[kind][-1]
                print(
                    f"  run {run + 1} {kind:8}: {last['pages']} pages, "
                    f"batch CPU {last['cpu_batch']:.2f}s, wall {last['wall_batch']:.2f}s, "
                    f"process CPU {last['cpu_process']:.2f}s, "
                    f"with parser workers {last['cpu_tree']:.2f}s",
                    flush=True,
                )
    head = {k: statistics.median(r[k] for r in rows["headless"]) for k in rows["headless"][0]}
    app = {k: statistics.median(r[k] for r in rows["app"]) for k in rows["app"][0]}
    print()
    print("| median of runs | headless | app (headless driver, frames encoded) | app / headless |")
    print("|---|---|---|---|")
    for key, label in (
        ("cpu_batch", "CPU during the batch (s)"),
        ("cpu_process", "CPU of the whole process (s)"),
        ("cpu_tree", "CPU of the process and its parser workers (s)"),
        ("wall_batch", "wall time of the batch (s)"),
    ):
        print(f"| {label} | {head[key]:.2f} | {app[key]:.2f} | {app[key] / head[key]:.2f}x |")
    print(f"| pages | {head['pages']:.0f} | {app['pages']:.0f} | |")
    frames = f"{app['frames']:.0f} / {app['mb_out']:.2f}"
    print(f"| frames drawn / MB sent to the terminal | - | {frames} | |")


def measure_keys(args: argparse.Namespace) -> None:
    """Part 2: key-to-screen latency during a 1,000-domain batch, at each concurrency."""
    print()
    print(
        f"key latency: {args.latency_sites} domains x {args.latency_pages} pages, "
        f"{args.presses} presses per run, 120x40; loop lag = how late a 5 ms sleep wakes up"
    )
    print()
    print("| concurrency | key | presses | p50 ms | p95 ms | max ms | loop lag p50 / p95 ms |")
    print("|---|---|---|---|---|---|---|")
    notes: list[str] = []
    with perf_server(args.latency_sites, args.latency_pages, args.latency) as info:
        for concurrency in args.key_concurrency:
            args.concurrency = concurrency
            result = run_child("latency", info, args)
            lag = result["lag_ms"]
            lag_text = f"{percentile(lag, 0.5):.1f} / {percentile(lag, 0.95):.1f}"
            every: list[float] = []
            for kind, values in [*result["latencies"].items(), ("all", [])]:
                values = values or every
                if kind != "all":
                    every.extend(values)
                print(
                    f"| {concurrency} | {kind} | {len(values)} | {percentile(values, 0.5):.1f} | "
                    f"{percentile(values, 0.95):.1f} | {max(values):.1f} | {lag_text} |"
                )
            flush = result["flush_ms"]
            notes.append(
                f"concurrency {concurrency}: {result['domains']} domains in the table, "
                f"{result['pages_per_s']:.0f} pages/s, {result['fps']:.1f} frames/s, "
                f"{result['kb_per_s']:.0f} kB/s to the terminal, table flush p50 "
                f"{percentile(flush, 0.5):.1f} ms / p95 {percentile(flush, 0.95):.1f} ms / max "
                f"{max(flush):.1f} ms (the first adds the 1,000 rows)"
            )
    print()
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
