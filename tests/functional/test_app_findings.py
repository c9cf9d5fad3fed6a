"""Pilot tests of the findings view and of comparing two batches from the history screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.helpers.app import NORMAL, SIZE, finished, make_test_app, screen_text, start, wait_for
from tests.helpers.demo import demo_settings
from tests.helpers.snapshots import snapshot_app, wait_finished
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.compare import CompareScreen
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.app.screens.findings import DOMAIN_KINDS, FindingsScreen
from tui_scraper.app.screens.history import HistoryScreen, StoredBatchScreen
from tui_scraper.compare import compare_batches
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.findings import Finding, batch_findings
from tui_scraper.store import Store
from tui_scraper.targets import parse_targets
from tui_scraper.text import safe_text

DOMAINS = [*NORMAL[:3], "start-404.test", "robots-excluded.test", "markup-title.test"]


@pytest.fixture
async def slow_server(demo_web: DemoWeb) -> AsyncIterator[DemoServer]:
    """The demo web answering after 50 ms, so the view is seen while the batch runs."""
    async with DemoServer(demo_web, latency=0.05) as server:
        yield server


def rows(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted(tuple(f.as_row().values()) for f in findings)


def stored_findings(tmp_path: Path, batch_id: str) -> list[Finding]:
    store = Store.open(str(tmp_path / "store.json"))
    return list(batch_findings(store.batch_domains(batch_id), store.batch_pages(batch_id)))


def palette_titles(app: Any) -> set[str]:
    return {command.title for command in app.get_system_commands(app.screen)}


def findings_screen(app: Any) -> FindingsScreen:
    screen = app.screen
    assert isinstance(screen, FindingsScreen)
    return screen


async def test_findings_view_lists_the_report_filters_by_kind_and_opens_the_domain(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=5)
    app = make_test_app(tmp_path, settings, DOMAINS)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        batch_id = app.session.batch_id
        assert "Findings" in palette_titles(app)
        await pilot.press("i")
        screen = findings_screen(app)
        await wait_for(pilot, lambda: not screen.reading)
        await pilot.pause()
        want = stored_findings(tmp_path, batch_id)
        assert want, "the demo batch has findings"
        assert rows(screen.shown) == rows(want)  # the same findings as `report`
        table = screen.query_one("#findings")
        assert table.row_count == len(want)
        assert "broken_link" in screen_text(app)

        kinds = {f.kind for f in want}
        await pilot.press("k")  # the first kind found, alone
        first = screen.kind
        assert first is not None and first in kinds
        assert rows(screen.shown) == rows([f for f in want if f.kind == first])
        assert table.row_count == len(screen.shown)
        for _ in kinds:
            await pilot.press("k")
        assert screen.kind is None  # round again: all of them
        assert table.row_count == len(want)

        await pilot.press("k")
        chosen = screen.shown[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
        assert isinstance(app.screen, DomainScreen)
        assert app.screen.row.domain == chosen.domain
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, BatchScreen)


async def test_findings_view_is_live_while_the_batch_runs(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=5, concurrency=1, per_domain=1)
    app = make_test_app(tmp_path, settings, ["start-404.test", *NORMAL[:3], "robots-excluded.test"])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("i")
        screen = findings_screen(app)
        assert screen.live is not None  # fed by the batch's events, not the store
        # The first domain's start page is broken: shown while the batch goes on.
        await wait_for(pilot, lambda: screen.query_one("#findings").row_count >= 1)
        assert not finished(app)
        assert screen.shown[0].kind == "broken_link"
        await pilot.press("escape", "h", "i")  # the running batch from history: live too
        assert findings_screen(app).live is app.session.findings  # type: ignore[union-attr]
        await pilot.press("escape", "escape", "i")
        screen = findings_screen(app)
        await wait_for(pilot, lambda: finished(app))
        await wait_for(pilot, lambda: len(screen.shown) == len(screen.found))
        assert app.session is not None
        want = stored_findings(tmp_path, app.session.batch_id)
        assert rows(screen.found) == rows(want)
        await wait_for(pilot, lambda: screen.query_one("#findings").row_count == len(want))


async def test_findings_of_a_stored_batch_from_history(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=3)
    app = make_test_app(tmp_path, settings, DOMAINS[3:])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("i")
        screen = findings_screen(app)
        await wait_for(pilot, lambda: not screen.reading)
        assert rows(screen.shown) == rows(stored_findings(tmp_path, app.session.batch_id))
        await pilot.press("escape", "enter")
        assert isinstance(app.screen, StoredBatchScreen)
        await pilot.press("i")
        screen = findings_screen(app)
        await wait_for(pilot, lambda: not screen.reading)
        assert screen.shown
        await pilot.press("enter")  # a stored domain, its pages read from the store
        await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
        assert isinstance(app.screen, DomainScreen)
        assert app.screen.row.domain == screen.shown[0].domain


async def test_compare_two_marked_batches_from_history(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    domains = NORMAL[:2]
    app = make_test_app(tmp_path, demo_settings(demo_server, max_pages=2), domains)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        old_id = app.session.batch_id
        # The same sites again with more pages: the new batch adds pages.
        app.start_batch(demo_settings(demo_server, max_pages=4), parse_targets("\n".join(domains)))
        await wait_for(pilot, lambda: app.session.batch_id != old_id and finished(app))
        new_id = app.session.batch_id
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        assert {"Findings", "Mark", "Compare"} <= palette_titles(app)
        footer = screen_text(app).splitlines()[-1]
        assert "mc Compare" in footer and footer.rstrip().endswith("q Quit"), footer  # 80 cols
        await pilot.press("c")  # nothing marked yet: it says what to do
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("m", "down", "m")  # newest first: marks the new, then the old
        assert "c compares" in screen_text(app)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert (screen.old_id, screen.new_id) == (old_id, new_id)
        await wait_for(pilot, lambda: not screen.reading)
        store = Store.open(str(tmp_path / "store.json"))
        want = list(
            compare_batches(
                store.batch_domains(old_id),
                lambda: store.batch_pages(old_id),
                store.batch_domains(new_id),
                lambda: store.batch_pages(new_id),
            )
        )
        assert screen.changes == want
        assert sum(c.change.value == "page_added" for c in want) == 4  # 2 more on each site
        assert screen.query_one("#changes").row_count == len(want)
        assert "page_added" in screen_text(app)


def test_findings_view_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80x24: the snapshot demo batch's findings, the first one in full below the table."""
    monkeypatch.chdir(tmp_path)  # the store path is on screen in other views: keep it fixed

    async def open_findings(pilot: Pilot[Any]) -> None:
        await wait_finished(pilot)
        await pilot.press("i")
        screen = findings_screen(pilot.app)
        async with asyncio.timeout(30):
            while screen.reading:
                await pilot.pause(0.01)
        await pilot.pause()

    app = snapshot_app(autostart=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_findings)


async def test_a_resumed_batch_lists_the_findings_of_domains_ended_before_the_resume(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=4, concurrency=1, per_domain=1)
    domains = ["start-404.test", *NORMAL[:4]]
    first = make_test_app(tmp_path, settings, domains)
    async with first.run_test(size=SIZE) as pilot:
        await start(pilot)
        session = first.session
        assert session is not None
        # The broken start page's domain has ended (and its finding is stored); quit.
        await wait_for(pilot, lambda: session.state.finished_domains >= 1)
        await pilot.press("q", "y")
    batch_id = session.batch_id
    ended_before = {f.domain for f in stored_findings(tmp_path, batch_id)}
    assert "start-404.test" in ended_before
    second = make_test_app(tmp_path, settings, "")
    async with second.run_test(size=SIZE) as pilot:
        await pilot.press("f2", "r")
        await wait_for(pilot, lambda: isinstance(second.screen, BatchScreen))
        await pilot.press("i")
        screen = findings_screen(second)
        assert screen.live is not None  # opened while the resumed batch runs
        await wait_for(pilot, lambda: finished(second))
        await wait_for(pilot, lambda: len(screen.shown) == len(screen.found))
        want = stored_findings(tmp_path, batch_id)
        assert "start-404.test" in {f.domain for f in screen.shown}
        assert rows(screen.found) == rows(want)  # those of this run and of the first one


async def test_enter_on_a_page_finding_opens_its_domain_on_that_page(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=10)
    # Duplicate titles and missing descriptions deep in a site; moved-shop's is insecure.
    app = make_test_app(
        tmp_path, settings, ["broken-html.test", "big-catalog.test", "moved-shop.test"]
    )
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        await pilot.press("i")
        screen = findings_screen(app)
        await wait_for(pilot, lambda: len(screen.shown) == len(screen.found) > 0)
        session = app.session
        assert session is not None
        first_pages = {row.domain: row.page_rows[0].url for row in session.state.rows.values()}
        # A page's finding, not on the page its domain lists first (the cursor's default).
        index, finding = next(
            (i, f)
            for i, f in enumerate(screen.shown)
            if f.kind not in DOMAIN_KINDS and f.url != first_pages.get(f.domain)
        )
        screen.query_one("#findings", DataTable).move_cursor(row=index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
        domain_screen = app.screen
        assert isinstance(domain_screen, DomainScreen)
        assert domain_screen.row.domain == finding.domain
        pages = domain_screen.query_one("#pages", DataTable)

        def on_the_page() -> bool:
            page = domain_screen.row.page_rows[pages.cursor_row]
            return finding.url in (page.url, page.final_url)

        await wait_for(pilot, on_the_page)
        assert safe_text(finding.url)[:30] in screen_text(app)  # its detail, below the table

        # A whole domain's finding opens the domain on its first page.
        await pilot.press("escape")
        index, finding = next((i, f) for i, f in enumerate(screen.shown) if f.kind in DOMAIN_KINDS)
        screen.query_one("#findings", DataTable).move_cursor(row=index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
        assert isinstance(app.screen, DomainScreen)
        assert app.screen.row.domain == finding.domain
        assert app.screen.query_one("#pages", DataTable).cursor_row == 0
