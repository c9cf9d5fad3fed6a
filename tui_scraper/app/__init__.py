"""The terminal app: `make_app` builds it (for the CLI and the tests), `run_app` runs it."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, Any

from tui_scraper.app.app import EXIT_INTERRUPTED, EXIT_OK, ScraperApp
from tui_scraper.app.terminal import terminal_driver
from tui_scraper.settings import Settings

if TYPE_CHECKING:
    from tui_scraper.demo import DemoWeb

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "ScraperApp", "make_app", "run_app"]


def make_app(
    *,
    settings: Settings,
    db_path: str,
    domains_text: str = "",
    demo_web: DemoWeb | None = None,
    demo_facts: dict[str, Any] | None = None,
    autostart: bool = False,
) -> ScraperApp:
    """The app, domains prefilled.

    With `demo_web` it serves that web itself on loopback, unless `demo_facts` (what
    `DemoServer.connection_facts()` gives) tell it how to reach one already running.
    """
    return ScraperApp(
        settings=settings,
        db_path=db_path,
        domains_text=domains_text,
        demo_web=demo_web,
        demo_facts=demo_facts,
        autostart=autostart,
    )


def run_app(
    *,
    settings: Settings,
    db_path: str,
    domains_text: str = "",
    demo_web: DemoWeb | None = None,
    demo_facts: dict[str, Any] | None = None,
    autostart: bool = False,
) -> int:
    """Run the app until it quits; the exit code is 130 if quitting interrupted a batch."""
    app = make_app(
        settings=settings,
        db_path=db_path,
        domains_text=domains_text,
        demo_web=demo_web,
        demo_facts=demo_facts,
        autostart=autostart,
    )
    app.handle_signals = True
    driver = terminal_driver()
    if driver is not None and os.environ.get("TEXTUAL_DRIVER") is None:
        app.driver_class = driver
    app.run()
    # A hangup can signal again once the app's loop (and its handler) is gone: the batch
    # is saved by then, and the exit code must stay the app's.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if app.return_code not in (None, EXIT_OK):
        return app.return_code
    return EXIT_INTERRUPTED if app.interrupted else EXIT_OK
