"""Driving the terminal app in tests: Pilot waits, what the screen shows, a fed batch screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui_scraper.app import ScraperApp, make_app
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.session import BatchSession
from tui_scraper.app.widgets.domain_table import DomainTable
from tui_scraper.engine.crawl import new_domain_record
from tui_scraper.engine.events import (
    BatchStarted,
    DomainFinished,
    DomainStarted,
    FetchStarted,
    Phase,
    PhaseChanged,
)
from tui_scraper.engine.pool import make_jobs
from tui_scraper.service import BatchService
from tui_scraper.settings import Settings
from tui_scraper.targets import parse_targets

SIZE = (80, 24)

NORMAL = [
    "acme-plumbing.test",
    "lakeside-dental.test",
    "granite-cafe.test",
    "juniper-brewing.test",
    "beacon-books.test",
    "maple-pets.test",
]

# A done domain's state: its stop reason in words.
DONE_WORDS = ("all pages found", "page limit reached", "time limit reached")

# Whatever the crawl does, a test fails in this time rather than hanging CI.
TIMEOUT_S = 30.0


def screen_text(app: ScraperApp) -> str:
    """The characters on screen, line by line, as the terminal would show them."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = TIMEOUT_S
) -> None:
    """Let the app run until `predicate()` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.01)


def make_test_app(tmp_path: Path, settings: Settings, domains: list[str] | str) -> ScraperApp:
    text = domains if isinstance(domains, str) else "\n".join(domains)
    app = make_app(settings=settings, db_path=str(tmp_path / "store.json"), domains_text=text)
    app.cursor_blink = False
    return app


def batch_screen(app: ScraperApp) -> BatchScreen:
    screen = next(s for s in app.screen_stack if isinstance(s, BatchScreen))
    return screen


def finished(app: ScraperApp) -> bool:
    return app.session is not None and not app.session.running and app.session.status is not None


def row_state(app: ScraperApp, domain: str) -> str:
    """The state cell of a domain's row, as displayed."""
    table = batch_screen(app).query_one(DomainTable)
    session = app.session
    assert session is not None
    job_id = next(j for j, row in session.state.rows.items() if row.domain == domain)
    return table.get_cell(job_id, "state").plain


async def start(pilot: Pilot[Any]) -> ScraperApp:
    """Press the Start key and wait for the batch screen."""
    app = pilot.app
    await pilot.press("f5")
    await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen))
    return app  # type: ignore[return-value]


FED_REASONS = ("frontier_exhausted", "max_pages", "domain_timeout")


def feed_batch(
    app: ScraperApp, *, finished: int, running: int, queued: int, failed_every: int = 5
) -> BatchScreen:
    """Show a batch screen over a session fed known events: `finished` domains ended
    (every `failed_every`-th at its start page), `running` crawling, `queued` waiting."""
    assert app.store is not None
    total = finished + running + queued
    parsed = parse_targets("\n".join(f"site-{index:02d}.example" for index in range(total)))
    settings = Settings(max_pages=25, concurrency=max(running, 1))
    batch = BatchService(app.store).new_batch(
        settings, parsed, batch_id="fed00000-0000-4000-8000-000000000001"
    )
    session = BatchSession(batch, app.clock)
    records = [new_domain_record(job) for job in make_jobs(session.batch_id, parsed.targets)]
    state = session.state
    state(BatchStarted(session.batch_id, settings.to_dict(), records, []))
    for index, record in enumerate(records[: finished + running]):
        job_id, domain = record["job_id"], record["domain"]
        state(DomainStarted(job_id, domain, record["start_url"], "2025-01-01T10:00:00Z"))
        if index >= finished:
            state(PhaseChanged(job_id, domain, Phase.CRAWLING, ""))
            state(FetchStarted(job_id, domain, f"https://{domain}/about"))
            continue
        failed = index % failed_every == failed_every - 1
        done = dict(record)
        done.update(
            status="failed" if failed else "done",
            stop_reason="start_failed" if failed else FED_REASONS[index % 3],
            error="HTTP 404" if failed else None,
            pages_ok=0 if failed else 5,
            pages_failed=1 if failed else 0,
        )
        state(DomainFinished(job_id, domain, done))  # type: ignore[arg-type]
    session.running = True  # as if its runner were crawling (the controls show)
    app.session = session
    screen = BatchScreen(session)
    app.push_screen(screen)
    return screen
