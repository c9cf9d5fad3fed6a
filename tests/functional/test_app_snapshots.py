"""Snapshot tests of every screen at 80x24 and 120x40 (pytest-textual-snapshot).

The app runs a real batch on its own demo server; the screens are made
deterministic by a frozen clock (durations and rates show as 0 or '-'), a fixed
batch id, one domain and one request at a time, and no cursor blink.
Regenerate with `pytest tests/functional/test_app_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers.app import feed_batch
from tests.helpers.snapshots import DB, SETTINGS, snapshot_app, wait_finished
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    Rejected,
)
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The store path is on screen: a relative name keeps it the same on every run.
    monkeypatch.chdir(tmp_path)


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
