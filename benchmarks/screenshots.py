"""Regenerate the SVG screenshots in `screenshots/` from a demo batch.

Runs the app headless against the built-in demo web (served on 127.0.0.1 with a
little latency, so the batch is caught mid-flight) and saves the start, batch
(running and finished), domain, history and help screens.

    python benchmarks/screenshots.py [--out screenshots] [--size 120x36]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui_scraper.app import ScraperApp
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.demo import DemoServer, build_demo_web
from tui_scraper.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_DOMAINS = [
    "acme-plumbing.test",
    "lakeside-dental.test",
    "markup-title.test",
    "start-404.test",
    "flaky-503.test",
    "rate-limited.test",
    "robots-excluded.test",
    "redirect-loop.test",
    "slow-server.test",
    "latin1-cafe.test",
    "calendar-trap.test",
    "granite-cafe.test",
    "juniper-brewing.test",
    "beacon-books.test",
    "not a domain!",
    "ftp://example.com",
]


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


def finished(app: ScraperApp) -> bool:
    return app.session is not None and not app.session.running and app.session.status is not None


async def main(out: Path, size: tuple[int, int]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    web = build_demo_web(seed=7)
    folder = Path(tempfile.mkdtemp(prefix="tui-scraper-shots-"))
    db = str(folder / "demo.json")
    async with DemoServer(web, latency=0.05, slow_delay=1.0) as server:
        settings = Settings(
            concurrency=5, max_pages=15, timeout=5.0, connect_to=list(server.connect_to)
        )

        def shot(app: ScraperApp, name: str) -> None:
            app.save_screenshot(f"{name}.svg", str(out))
            print(f"wrote {out / name}.svg")

        # An earlier batch, quit half-way, so the history has an interrupted one.
        earlier = ScraperApp(settings=settings, db_path=db, domains_text="\n".join(DEMO_DOMAINS))
        async with earlier.run_test(size=size) as pilot:
            await pilot.press("f5")
            await server.wait_until(lambda s: s.total_requests >= 20, 30)
            await pilot.press("q", "y")

        app = ScraperApp(settings=settings, db_path=db, domains_text="\n".join(DEMO_DOMAINS))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            shot(app, "start")
            await pilot.press("f5")
            await wait_for(pilot, lambda: app.session is not None and app.session.state.pages > 40)
            await pilot.pause(0.3)
            shot(app, "batch-running")
            await wait_for(pilot, lambda: finished(app))
            await pilot.pause(0.3)
            shot(app, "batch")
            await pilot.press("down", "down", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
            await pilot.pause(0.3)
            shot(app, "domain")
            await pilot.press("escape", "h")
            await pilot.pause(0.3)
            shot(app, "history")
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            shot(app, "help")
            await pilot.press("escape", "escape", "q")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--size", default="120x36", help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    asyncio.run(main(args.out, (width, height)))
