"""The app made deterministic for snapshots: frozen clock, fixed batch id, one request at once."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot

from tui_scraper.app import ScraperApp
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.demo import build_demo_web
from tui_scraper.settings import Settings

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
    # The footer recomposes after a refresh of its own once the keys change (running to
    # finished): under load it can lag the table, so wait for it to show the screen's keys.
    async with asyncio.timeout(10):
        while footer_keys(app) != screen_keys(app):
            await pilot.pause(0.01)


def screen_keys(app: ScraperApp) -> set[tuple[str, bool]]:
    """The (action, enabled) pairs the screen's footer is meant to show."""
    return {
        (binding.action, enabled)
        for (_, binding, enabled, _) in app.screen.active_bindings.values()
        if binding.show
    }


def footer_keys(app: ScraperApp) -> set[tuple[str, bool]]:
    """The (action, enabled) pairs the footer draws, the command palette's key aside."""
    return {
        (str(getattr(key, "action", "")), not key.has_class("-disabled"))
        for key in app.screen.query("FooterKey")  # by type name: Textual exports no class
        if not key.has_class("-command-palette")
    }
