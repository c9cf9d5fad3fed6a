"""Snapshot tests of every screen at 80x24 and 120x40 (pytest-textual-snapshot).

The app runs a real batch on its own demo server; the screens are made
deterministic by a frozen clock (durations and rates show as 0 or '-'), a fixed
batch id, one domain and one request at a time, and no cursor blink.
Regenerate with `pytest tests/test_app_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.test_app import feed_batch
from tui_scraper.app import ScraperApp
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.demo import build_demo_web
from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    Rejected,
)
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
DB = "snap.json"
BATCH_ID = "5eed0000-0000-4000-8000-000000000001"
DOMAINS = "\n".join(
    [
        "acme-plumbing.test",
        "markup-title.test",
        "start-404.test",
        "robots-excluded.test",
        "latin1-cafe.test",
        "not a domain!",
    ]
)
SETTINGS = Settings(max_pages=5, concurrency=1, per_domain=1, timeout=5.0)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The store path is on screen: a relative name keeps it the same on every run.
    monkeypatch.chdir(tmp_path)


def snapshot_app(domains: str = DOMAINS, autostart: bool = False) -> ScraperApp:
    return ScraperApp(
        settings=SETTINGS,
        db_path=DB,
        domains_text=domains,
        demo_web=build_demo_web(seed=7),
        autostart=autostart,
        clock=lambda: 0.0,
        batch_id_factory=lambda: BATCH_ID,
        cursor_blink=False,
    )


async def wait_finished(pilot: Pilot[Any]) -> None:
    """Wait for the autostarted batch to end, then draw its final state."""
    app = pilot.app
    assert isinstance(app, ScraperApp)
    async with asyncio.timeout(60):
        while app.session is None or app.session.running or app.session.status is None:
            await pilot.pause(0.01)
    for screen in app.screen_stack:
        if isinstance(screen, BatchScreen):
            screen.flush()
    # The log scrolls to its end after a refresh: under load one pause may not see it.
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def open_markup_domain(pilot: Pilot[Any]) -> None:
    await wait_finished(pilot)
    await pilot.press("s", "down", "down", "enter")  # by name: acme, latin1, markup
    async with asyncio.timeout(10):
        while not isinstance(pilot.app.screen, DomainScreen):
            await pilot.pause(0.01)
    await pilot.pause()


def fill_history_store(path: str) -> None:
    """Two stored batches with fixed ids and times: one completed, one interrupted."""
    store = Store.open(path, write=True)
    parsed = parse_targets("acme-plumbing.test\ngranite-cafe.test\nstart-404.test")
    for number, status in ((1, BatchStatus.COMPLETED), (2, BatchStatus.INTERRUPTED)):
        batch_id = f"{number}a2b3c4d-0000-4000-8000-00000000000{number}"
        jobs = [
            DomainJob(batch_id, f"{batch_id}-{index}", target)
            for index, target in enumerate(parsed.targets)
        ]
        records = [new_domain_record(job) for job in jobs]
        writer = StoreWriter(store)
        rejected = [Rejected(4, "not a domain!", "not a valid host name")]
        writer(BatchStarted(batch_id, SETTINGS.to_dict(), records, rejected))
        finished = records if status == BatchStatus.COMPLETED else records[:1]
        for record in finished:
            failed = record["domain"] == "start-404.test"
            done = dict(record)
            done.update(
                status="failed" if failed else "done",
                stop_reason="start_failed" if failed else "max_pages",
                error="HTTP 404" if failed else None,
                pages_ok=0 if failed else 5,
                pages_failed=1 if failed else 0,
                elapsed_s=1.5,
                emails=[] if failed else ["info@example.test"],
            )
            writer(DomainFinished(record["job_id"], record["domain"], done))  # type: ignore[arg-type]
        counts = {
            "domains": 3,
            "done": 2 if status == BatchStatus.COMPLETED else 1,
            "failed": 1 if status == BatchStatus.COMPLETED else 0,
            "cancelled": 0,
            "pages": 11 if status == BatchStatus.COMPLETED else 5,
        }
        writer(BatchFinished(batch_id, status, counts, f"2025-01-0{number}T10:05:00.000Z"))
        writer.close()
        store.update_batch(batch_id, {"created_at": f"2025-01-0{number}T10:00:00.000Z"})
    store.close()


@pytest.mark.parametrize("size", SIZES)
def test_start_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_batch_screen_finished(snap_compare: Any, size: tuple[int, int]) -> None:
    app = snapshot_app(autostart=True)
    assert snap_compare(app, terminal_size=size, run_before=wait_finished)


@pytest.mark.parametrize("size", SIZES)
def test_domain_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    app = snapshot_app(autostart=True)
    assert snap_compare(app, terminal_size=size, run_before=open_markup_domain)


def test_batch_screen_mid_batch_shows_every_running_domain(snap_compare: Any) -> None:
    """80x24, 8 domains running while 40 have ended and 30 wait: all 8 are on screen."""

    async def feed(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        feed_batch(pilot.app, finished=40, running=8, queued=30)  # type: ignore[arg-type]
        await pilot.pause()

    app = snapshot_app(domains="")
    assert snap_compare(app, terminal_size=(80, 24), run_before=feed)


@pytest.mark.parametrize("size", SIZES)
def test_history_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    fill_history_store(DB)
    assert snap_compare(snapshot_app(domains=""), terminal_size=size, press=["f2"])
