"""Benchmark: key latency while the app takes on large work.

Part 1 pastes 100,000 domains into the start screen and starts the batch with F5,
against the perf demo web in its own process (the names it does not serve fail at
their start page, so domains end all the time). Keys are pressed throughout: while
the list is counted (`down`/`up` in the text area), while the batch starts and
while it runs (`+`/`-`, `down`/`up` in the table, `s` re-sorting the 100,000 rows).

Part 2 opens, from the history, a stored domain with 100,000 emails (one page holds
all of them, 999 more pages 100 each) and presses `down`/`up` in its page table
while the pages load.

Each key is timed from the key event entering the app to the first frame that shows
its effect, every frame encoded as a terminal would receive it, at 80x24.

    python benchmarks/app_latency.py [--domains 100000] [--emails 100000] [--seconds 8]
        [--probe]   # also list each loop callback that held the loop over 20 ms
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from app_vs_headless import encode_frames, percentile, perf_server  # the benchmark next door
from loop_probe import LoopProbe
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, TextArea

from tui_scraper.app import ScraperApp
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.app.screens.history import HistoryScreen, StoredBatchScreen
from tui_scraper.app.widgets.domain_table import DomainTable
from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    PageFetched,
)
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

SIZE = (80, 24)
GAP_S = 0.05  # between presses, plus a varying part so they land across the redraw cycle
TIMEOUT_S = 10.0
PAGES = 1000  # of the 100,000-email domain


class KeyTimer:
    """Sends keys to a running app and times each to the first frame that shows it."""

    def __init__(self, app: ScraperApp) -> None:
        self.app = app
        self.pending: dict[str, Any] = {}
        self.latencies: dict[str, list[float]] = {}
        self.presses = 0
        encode_frames(app, self._frame)

    def _frame(self) -> None:
        check = self.pending.get("check")
        if check is not None and check():
            self.pending["seen"] = time.perf_counter()
            self.pending["check"] = None

    async def press(
        self, phase: str, key: str, char: str | None, check: Callable[[], bool]
    ) -> None:
        """Press `key` and wait until a frame satisfies `check`."""
        driver = self.app._driver
        assert driver is not None
        self.pending.clear()
        self.pending["check"] = check
        start = time.perf_counter()
        driver.send_message(events.Key(key, char))
        while "seen" not in self.pending:
            if time.perf_counter() - start > TIMEOUT_S:
                raise TimeoutError(f"{phase}: key {key} not shown in {TIMEOUT_S} s")
            await asyncio.sleep(0.001)
        self.latencies.setdefault(phase, []).append((self.pending["seen"] - start) * 1000)
        self.presses += 1
        await asyncio.sleep(GAP_S + (self.presses * 37 % 100) / 1000)


# -- part 1: 100,000 pasted domains ----------------------------------------------


def domain_list(count: int, served: list[str]) -> str:
    """`count` names: the perf web's own first, then names it does not serve."""
    names = served[:count] + [f"gone-{index:06d}.perf.test" for index in range(count - len(served))]
    return "\n".join(names)


def big_start(count: int, seconds: float, concurrency: int) -> dict[str, list[float]]:
    with perf_server(1000, 3, 0.02) as info, tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            concurrency=concurrency,
            per_domain=2,
            max_pages=3,
            timeout=5.0,
            connect_to=list(info["connect_to"]),
        )
        app = ScraperApp(settings=settings, db_path=os.path.join(folder, "bench.json"))
        timer = KeyTimer(app)
        text = domain_list(count, info["domains"])

        async def drive(pilot: Pilot[Any]) -> None:
            await pilot.pause()
            area = app.screen.query_one("#domains", TextArea)
            app._driver.send_message(events.Paste(text))  # type: ignore[union-attr]
            summary = app.screen.query_one("#input-summary")
            # Typing while the list is counted (each key restarts the count, as it would).
            typing_end = time.perf_counter() + 2.0
            while time.perf_counter() < typing_end:
                key, char = ("x", "x") if not area.text else ("backspace", None)
                expected = "x" if char else ""
                await timer.press(
                    "start screen: typing while the list is counted",
                    key,
                    char,
                    lambda e=expected: area.text == e,
                )
            while f"{count:,} valid" not in str(summary.render()):
                await asyncio.sleep(0.01)
            await pilot.press("f5")
            while not isinstance(app.screen, BatchScreen):
                await asyncio.sleep(0.001)
            screen = app.screen
            session = app.session
            assert session is not None
            status = screen.query_one("#batch-status")
            table = screen.query_one(DomainTable)
            end = time.perf_counter() + seconds
            index = 0
            while time.perf_counter() < end:
                phase = "batch: starting" if session.state.status is None else "batch: running"
                kind = index % 4
                index += 1
                if kind in (0, 2):
                    key, char = ("plus", "+") if kind == 0 else ("minus", "-")
                    target = session.runner.concurrency + (1 if key == "plus" else -1)
                    await timer.press(
                        f"{phase} (+/-)",
                        key,
                        char,
                        lambda t=target: f"concurrency {t} " in str(status.render()),
                    )
                elif kind == 1 and table.row_count > 2:
                    # The cursor follows its domain as the order moves: check the domain.
                    before = table.selected_job()
                    key = "down" if table.cursor_row == 0 else "up"
                    await timer.press(
                        f"{phase} (down/up)",
                        key,
                        None,
                        lambda b=before: table.selected_job() != b,
                    )
                elif kind == 3 and table.row_count:
                    sort = table.view.sort
                    await timer.press(
                        f"{phase} (s: sort {table.row_count:,} rows)",
                        "s",
                        "s",
                        lambda old=sort: table.view.sort != old and table._view_key is not None,
                    )
            await app.interrupt_batch()
            await app.close_everything()
            app.exit()

        app.run(headless=True, size=SIZE, auto_pilot=guarded(app, drive))
        return timer.latencies


# -- part 2: a stored domain with 100,000 emails ----------------------------------


def fill_store(path: str, emails: int) -> None:
    """One batch, one done domain: PAGES pages, the first with every address."""
    store = Store.open(path, write=True)
    batch_id = "be0c0000-0000-4000-8000-000000000001"
    [target] = parse_targets("many-emails.test").targets
    job = DomainJob(batch_id, f"{batch_id}-0", target)
    record = new_domain_record(job)
    writer = StoreWriter(store)
    writer(BatchStarted(batch_id, Settings(max_pages=PAGES).to_dict(), [record], []))
    addresses = [f"person{index:06d}@many-emails.test" for index in range(emails)]
    per_page = max(1, emails // PAGES)
    for number in range(PAGES):
        found = addresses if number == 0 else addresses[number * per_page : (number + 1) * per_page]
        page = {
            "batch_id": batch_id,
            "job_id": job.job_id,
            "domain": job.target.domain,
            "url": f"http://many-emails.test/page/{number}",
            "status": 200,
            "title": f"Page {number}",
            "h1": [f"Page {number}"],
            "emails": found,
            "phones": [],
            "socials": [],
            "error": None,
        }
        writer(PageFetched(job.job_id, job.target.domain, page, number + 1, 0))  # type: ignore[arg-type]
    done = dict(record)
    done.update(
        status="done", stop_reason="max_pages", pages_ok=PAGES, elapsed_s=3.0, emails=addresses
    )
    writer(DomainFinished(job.job_id, job.target.domain, done))  # type: ignore[arg-type]
    counts = {"domains": 1, "done": 1, "failed": 0, "cancelled": 0, "pages": PAGES}
    writer(BatchFinished(batch_id, BatchStatus.COMPLETED, counts, "2025-01-01T10:00:00.000Z"))
    writer.close()
    store.close()


def big_domain(emails: int, seconds: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "bench.json")
        fill_store(db, emails)
        app = ScraperApp(settings=Settings(), db_path=db)
        timer = KeyTimer(app)

        async def drive(pilot: Pilot[Any]) -> None:
            await pilot.press("f2")
            while not isinstance(app.screen, HistoryScreen):
                await asyncio.sleep(0.01)
            await pilot.press("enter")
            while not isinstance(app.screen, StoredBatchScreen):
                await asyncio.sleep(0.01)
            await pilot.pause()
            start = time.perf_counter()
            await timer.press(
                "domain: opening it (enter)",
                "enter",
                None,
                lambda: isinstance(app.screen, DomainScreen),
            )
            screen = app.screen
            assert isinstance(screen, DomainScreen)
            table = screen.query_one("#pages", DataTable)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                loaded = not screen.reading_pages and table.row_count == len(screen.row.page_rows)
                phase = "domain: loaded" if loaded else "domain: loading its pages"
                if table.row_count < 2:
                    await asyncio.sleep(0.005)
                    continue
                row = table.cursor_row
                key = "down" if row == 0 else "up"
                target = row + (1 if key == "down" else -1)
                await timer.press(
                    f"{phase} (down/up)", key, None, lambda t=target: table.cursor_row == t
                )
            print(
                f"  loaded {table.row_count} pages in "
                f"{time.perf_counter() - start:.1f} s or less; emails kept for the screen: "
                f"{len(screen.row.emails):,} + {screen.row.cut.get('emails', 0):,} counted",
                file=sys.stderr,
            )
            await app.close_everything()
            app.exit()

        app.run(headless=True, size=SIZE, auto_pilot=guarded(app, drive))
        return timer.latencies


def guarded(app: ScraperApp, drive: Callable[[Pilot[Any]], Any]) -> Callable[[Pilot[Any]], Any]:
    """The drive, made to end the app if it fails (Textual would wait for a key)."""

    async def run(pilot: Pilot[Any]) -> None:
        try:
            await drive(pilot)
        except BaseException as error:
            app.exit(error)  # type: ignore[arg-type]
            raise

    return run


def table(title: str, latencies: dict[str, list[float]]) -> None:
    print(f"\n{title}\n")
    print("| while | presses | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    every: list[float] = []
    for phase, values in latencies.items():
        every.extend(values)
        print(
            f"| {phase} | {len(values)} | {percentile(values, 0.5):.1f} | "
            f"{percentile(values, 0.95):.1f} | {max(values):.1f} |"
        )
    print(
        f"| **all** | {len(every)} | {percentile(every, 0.5):.1f} | "
        f"{percentile(every, 0.95):.1f} | {max(every):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="keys pressed after F5/enter")
    parser.add_argument("--concurrency", type=int, default=5, help="of the 100,000-domain batch")
    parser.add_argument("--only", choices=("start", "domain"), help="run one part only")
    parser.add_argument(
        "--probe", action="store_true", help="list the loop callbacks that held it over 20 ms"
    )
    args = parser.parse_args()
    if args.only != "domain":
        with LoopProbe() if args.probe else contextlib.nullcontext() as probe:
            latencies = big_start(args.domains, args.seconds, args.concurrency)
        table(
            f"{args.domains:,} pasted domains, then F5, concurrency {args.concurrency} (80x24)",
            latencies,
        )
        if probe is not None:
            probe.print_report()
    if args.only != "start":
        with LoopProbe() if args.probe else contextlib.nullcontext() as probe:
            latencies = big_domain(args.emails, args.seconds)
        table(f"a stored domain with {args.emails:,} emails (80x24)", latencies)
        if probe is not None:
            probe.print_report()


if __name__ == "__main__":
    main()
