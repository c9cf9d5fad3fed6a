"""Pilot tests of what happens between the Start key and the batch's first event."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.app import NORMAL, SIZE, finished, make_test_app, screen_text, wait_for
from tests.helpers.demo import demo_settings
from tui_scraper.demo import DemoServer
from tui_scraper.targets import parse_targets


async def test_a_concurrency_change_before_the_batch_runs_reaches_the_screen(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=1, concurrency=2)
    app = make_test_app(tmp_path, settings, "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.start_batch(settings, parse_targets("\n".join(NORMAL[:2])))
        session = app.session
        assert session is not None
        # What `+` does, pressed before the batch's task has run a step (a big batch's
        # start takes seconds, its jobs and documents made in threads).
        session.runner.set_concurrency(3)
        await wait_for(pilot, lambda: finished(app))
        await pilot.pause()
        assert session.state.concurrency == 3
        assert "concurrency 3 " in screen_text(app)
