"""Pilot tests of the terminal app, crawling the demo web on 127.0.0.1 through --connect-to."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, Log, TextArea

from tests.helpers.app import (
    DONE_WORDS,
    NORMAL,
    SIZE,
    TIMEOUT_S,
    batch_screen,
    feed_batch,
    finished,
    make_test_app,
    row_state,
    screen_text,
    start,
    wait_for,
)
from tests.helpers.demo import demo_settings
from tests.helpers.requestlog import arrivals_between, probe
from tui_scraper.app import ScraperApp, make_app
from tui_scraper.app.columns import ColumnSpec
from tui_scraper.app.format import state_text
from tui_scraper.app.messages import ChangeConcurrency, TogglePause
from tui_scraper.app.rows import MAX_DOMAIN_CONTACTS, MAX_PAGE_EMAILS
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.dialogs import ConfirmScreen
from tui_scraper.app.screens.domain import CONTACTS_SHOWN, DomainScreen
from tui_scraper.app.screens.help import HelpScreen
from tui_scraper.app.screens.history import (
    HistoryScreen,
    StoredBatchScreen,
    export_path,
    stored_status,
)
from tui_scraper.app.screens.start import BULK_LINES, StartScreen
from tui_scraper.app.state import DomainRow
from tui_scraper.app.widgets.domain_table import DomainTable
from tui_scraper.app.widgets.fit_table import FitTable
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.demo.sites import MARKUP_H1, MARKUP_TITLE
from tui_scraper.engine.crawl import new_domain_record
from tui_scraper.engine.events import (
    Phase,
)
from tui_scraper.engine.pool import make_jobs
from tui_scraper.export import PAGE_FIELDS
from tui_scraper.settings import Settings
from tui_scraper.store import Store
from tui_scraper.targets import parse_targets

# CSI and OSC sequences: what a terminal may legitimately receive from the app itself.
_TERMINAL_SEQUENCE = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


@pytest.fixture
async def slow_server(demo_web: DemoWeb) -> AsyncIterator[DemoServer]:
    """The demo web answering after 50 ms, so a domain's requests overlap with others'."""
    async with DemoServer(demo_web, latency=0.05) as server:
        yield server


def notices(app: ScraperApp) -> str:
    """The text of every notification the app has shown."""
    return "\n".join(notification.message for notification in app._notifications)


def terminal_output(app: ScraperApp) -> str:
    """The bytes a real terminal would receive for a full redraw of the screen."""
    update = app.screen._compositor.render_full_update()
    return update.render_segments(app.console)


async def test_rejected_lines_are_counted_live_as_you_type(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"example.com", "enter", *"not a domain!", "enter", *"ftp://x")
        summary = app.screen.query_one("#input-summary")
        await wait_for(pilot, lambda: "1 valid · 2 rejected" in str(summary.render()))
        rejected = str(app.screen.query_one("#rejected").render())
        assert "line 2: not a domain! (not a valid host name)" in rejected
        assert "line 3: ftp://x (unsupported scheme 'ftp')" in rejected
        assert "1 valid · 2 rejected" in screen_text(app)
        await pilot.press("enter", *"www.example.org")
        await wait_for(pilot, lambda: "2 valid · 2 rejected" in str(summary.render()))


async def test_bad_settings_are_refused_with_the_reason(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    app = make_test_app(tmp_path, demo_settings(demo_server), ["acme-plumbing.test"])
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#set-concurrency", Input).value = "zero"
        app.screen.query_one("#set-connect_to", Input).value = "nonsense"
        await pilot.pause()
        under_concurrency = str(app.screen.query_one("#error-concurrency").render())
        under_connect_to = str(app.screen.query_one("#error-connect_to").render())
        assert "--concurrency must be a whole number, not 'zero'" in under_concurrency
        assert "--connect-to 'nonsense'" in under_connect_to
        summary = str(app.screen.query_one("#setting-errors").render())
        assert summary == "To fix before starting: --concurrency, --connect-to"
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert app.session is None
        # Fixed values are accepted and the batch starts.
        app.screen.query_one("#set-concurrency", Input).value = "2"
        app.screen.query_one("#set-connect_to", Input).value = ", ".join(demo_server.connect_to)
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        assert app.session.settings.concurrency == 2


async def test_start_refused_without_a_valid_domain(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "not a domain!\n")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f5")
        assert app.session is None
        assert "no valid domain (1 rejected)" in notices(app)


async def test_start_refused_while_another_process_writes_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    with Store.open(str(path), write=True):  # holds the store's writer lock
        app = make_test_app(tmp_path, Settings(), "example.com")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.press("f5")
            assert app.session is None
            assert "being written by another tui-scraper process" in notices(app)
            await pilot.press("f2")  # the history still reads it
            assert isinstance(app.screen, HistoryScreen)


async def test_every_domain_reaches_its_final_state(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=10, concurrency=3)
    domains = [*NORMAL[:3], "start-404.test", "redirect-loop.test", "robots-excluded.test"]
    app = make_test_app(tmp_path, settings, domains)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        await pilot.pause()
        for domain in NORMAL[:3]:
            assert row_state(app, domain) in DONE_WORDS, domain
        assert row_state(app, "start-404.test") == "start page failed: HTTP 404"
        assert row_state(app, "redirect-loop.test").startswith("start page failed: redirect loop")
        assert row_state(app, "robots-excluded.test") in DONE_WORDS
        text = screen_text(app)
        assert "6/6 domains · 2 failed" in text
        # The rows on screen (not only the table's data) show the final states.
        rows = [line for line in text.splitlines() if "start-404.test" in line]
        assert any("start page failed" in row and "1/10" in row for row in rows), rows
        log = "\n".join(app.screen.query_one("#events", Log).lines)
        assert "robots-excluded.test: robots.txt excludes https://robots-excluded.test/" in log
        assert "robots-excluded.test: robots.txt excluded 2 URLs in all" in log
        assert "start-404.test failed: HTTP 404" in log
        assert "batch completed: 4 done, 2 failed, 0 cancelled" in log
    batch = Store.open(str(tmp_path / "store.json")).all_batches()[-1]
    assert batch["status"] == "completed"
    assert batch["counts"]["done"] == 4 and batch["counts"]["failed"] == 2


async def test_concurrency_follows_plus_mid_batch(tmp_path: Path, slow_server: DemoServer) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=1, per_domain=1)
    app = make_test_app(tmp_path, settings, NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 3, TIMEOUT_S)
        assert slow_server.stats.max_hosts_in_flight == 1
        await pilot.press("plus", "plus")
        await slow_server.wait_until(lambda s: len(s.in_flight_hosts()) >= 3, TIMEOUT_S)
        assert "concurrency 3" in screen_text(app)
        await pilot.press("minus")
        assert app.session is not None and app.session.runner.concurrency == 2
        await pilot.press("q", "y")
    assert app.return_code == 130


async def test_pause_stops_new_requests_and_resume_restarts_them(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=2)
    app = make_test_app(tmp_path, settings, NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 4, TIMEOUT_S)
        await pilot.press("p")
        await slow_server.wait_until(lambda s: s.in_flight == 0, TIMEOUT_S)
        paused_at = time.monotonic()
        await pilot.pause()
        assert "PAUSED" in screen_text(app)
        # Eleven probe requests at 50 ms each keep arriving: none from the batch may.
        _first, last_probe = await probe(slow_server, count=11)
        assert arrivals_between(slow_server.stats, paused_at, last_probe) == []
        count = slow_server.stats.total_requests
        await pilot.press("p")
        await slow_server.wait_until(lambda s: s.total_requests > count, TIMEOUT_S)
        await pilot.pause()
        assert "PAUSED" not in screen_text(app)
        await pilot.press("q", "y")


async def test_cancel_the_selected_domain(tmp_path: Path, slow_server: DemoServer) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=1, per_domain=1)
    first, second = "big-catalog.test", NORMAL[1]  # the catalog takes 25 x 50 ms at least
    app = make_test_app(tmp_path, settings, [first, second])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.host(first).requests >= 2, TIMEOUT_S)
        await pilot.press("c")  # the cursor starts on the first row
        await wait_for(pilot, lambda: finished(app))
        await pilot.pause()
        assert row_state(app, first) == "cancelled"
        assert row_state(app, second) in DONE_WORDS
        assert "cancelled" in screen_text(app)
    records = {
        r["domain"]: r
        for r in Store.open(str(tmp_path / "store.json")).batch_domains(app.session.batch_id)
    }
    assert records[first]["status"] == "cancelled"
    assert records[second]["status"] == "done"


async def test_cancel_the_batch_asks_first(tmp_path: Path, slow_server: DemoServer) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=1, per_domain=1)
    app = make_test_app(tmp_path, settings, ["big-catalog.test", *NORMAL[:2]])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 2, TIMEOUT_S)
        await pilot.press("C")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.session is not None and app.session.running
        await pilot.press("C", "y")
        await wait_for(pilot, lambda: finished(app))
        assert app.session.status is not None and app.session.status.value == "cancelled"
    batch = Store.open(str(tmp_path / "store.json")).all_batches()[-1]
    assert batch["status"] == "cancelled"


async def test_quit_mid_batch_leaves_it_interrupted(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=2, per_domain=1)
    app = make_test_app(tmp_path, settings, NORMAL)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 4, TIMEOUT_S)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "saved as interrupted" in screen_text(app)
        await pilot.press("y")
    assert app.return_code == 130
    store = Store.open(str(tmp_path / "store.json"))
    [batch] = store.all_batches()
    assert batch["status"] == "interrupted"
    statuses = {r["status"] for r in store.batch_domains(batch["batch_id"])}
    assert statuses & {"running", "queued"}, statuses  # unfinished domains stay resumable
    assert any(True for _ in store.batch_pages(batch["batch_id"]))  # what was fetched is kept


async def test_quit_without_a_batch_exits_at_once(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_web_text_is_shown_literally(tmp_path: Path, demo_server: DemoServer) -> None:
    """Markup and terminal escapes in a page title reach the screen as plain characters."""
    settings = demo_settings(demo_server, max_pages=3, per_domain=1)
    app = make_test_app(tmp_path, settings, ["markup-title.test"])
    async with app.run_test(size=(120, 30)) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DomainScreen))
        await pilot.pause()
        text = screen_text(app)
        shown = "Deals [red]x[/] [bold]today[/bold] \\x1b[31mALERT\\x07 | Markup Mart"
        assert shown in text  # the selected page's detail line
        assert "Deals [red]x[/] [bold]today" in text  # its (cut) cell in the table
        assert "h1 [bold]Big[/bold] [red]x[/] sale \\x1b[31mnow\\x07" in text
        output = terminal_output(app)
        assert "[red]x[/]" in output
        # Once the app's own styling sequences are removed, no ESC or BEL byte is left.
        leftover = _TERMINAL_SEQUENCE.sub("", output)
        assert "\x1b" not in leftover and "\x07" not in leftover
        assert "\x1b" not in text and "\x07" not in text
        # The page's title as stored is the raw one: only the display escapes it.
        screen = app.screen
        assert isinstance(screen, DomainScreen)
        assert screen.row.page_rows[0].title == MARKUP_TITLE
    assert "\x1b" in MARKUP_H1  # the demo site really sends the escape


async def test_open_a_domain_shows_its_pages_live(tmp_path: Path, slow_server: DemoServer) -> None:
    # The big catalog has more pages than the budget: 40 pages at 50 ms each, 2 s or more.
    settings = demo_settings(slow_server, max_pages=40, per_domain=1, concurrency=1)
    domain = "big-catalog.test"
    app = make_test_app(tmp_path, settings, [domain])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.host(domain).requests >= 3, TIMEOUT_S)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, DomainScreen)
        table = screen.query_one("#pages")
        shown = table.row_count
        assert shown < 40
        # Rows keep arriving while the screen is open.
        await wait_for(pilot, lambda: table.row_count > shown)
        await wait_for(pilot, lambda: finished(app))
        await wait_for(pilot, lambda: table.row_count == 40)
        text = screen_text(app)
        assert "Emails (" in text and "Phones (" in text and "Socials (" in text
        assert "page limit reached" in text
        await pilot.press("escape")
        assert isinstance(app.screen, BatchScreen)


async def test_retry_failed_domains(tmp_path: Path, demo_server: DemoServer) -> None:
    settings = demo_settings(demo_server, max_pages=3)
    app = make_test_app(tmp_path, settings, ["acme-plumbing.test", "start-404.test"])
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        first_requests = demo_server.stats.host("start-404.test").requests
        await pilot.press("r")
        await wait_for(pilot, lambda: finished(app) and app.session.runs == 2)
        await pilot.pause()
        assert demo_server.stats.host("start-404.test").requests > first_requests
        assert row_state(app, "start-404.test") == "start page failed: HTTP 404"
        assert "retrying 1 domains" in screen_text(app)
        batch_id = app.session.batch_id
    store = Store.open(str(tmp_path / "store.json"))
    pages = [p for p in store.batch_pages(batch_id) if p["domain"] == "start-404.test"]
    assert len(pages) == 1  # replaced by the retry, not added to
    assert store.batch(batch_id)["status"] == "completed"


async def test_history_opens_and_exports_a_batch(tmp_path: Path, demo_server: DemoServer) -> None:
    settings = demo_settings(demo_server, max_pages=3)
    app = make_test_app(tmp_path, settings, ["acme-plumbing.test", "granite-cafe.test"])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(pilot)
        await wait_for(pilot, lambda: finished(app))
        assert app.session is not None
        batch_id = app.session.batch_id
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        assert batch_id[:8] in screen_text(app)
        assert "completed" in screen_text(app)
        await pilot.press("e")
        target = export_path(str(tmp_path / "store.json"), batch_id)
        await wait_for(pilot, target.exists)
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 6
        assert set(json.loads(lines[0])) == set(PAGE_FIELDS)  # as `tui-scraper export` writes
        assert {json.loads(line)["domain"] for line in lines} == {
            "acme-plumbing.test",
            "granite-cafe.test",
        }
        await pilot.press("r")
        assert "nothing to resume" in notices(app)
        await pilot.press("enter")
        assert isinstance(app.screen, StoredBatchScreen)
        assert "acme-plumbing.test" in screen_text(app)
        await pilot.press("enter")
        assert isinstance(app.screen, DomainScreen)
        pages = app.screen.query_one("#pages")
        await wait_for(pilot, lambda: pages.row_count == 3)  # read in a worker
        await pilot.press("escape", "escape", "escape")
        assert isinstance(app.screen, BatchScreen)


async def test_history_resumes_an_interrupted_batch(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=4, concurrency=1, per_domain=1)
    first = make_test_app(tmp_path, settings, NORMAL)
    async with first.run_test(size=SIZE) as pilot:
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 2, TIMEOUT_S)
        await pilot.press("q", "y")
    assert first.return_code == 130
    assert first.session is not None
    batch_id = first.session.batch_id
    second = make_test_app(tmp_path, settings, "")
    async with second.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f2")
        assert "interrupted" in screen_text(second)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(second.screen, BatchScreen))
        assert second.session is not None and second.session.batch_id == batch_id
        await wait_for(pilot, lambda: finished(second))
        await pilot.press("q")
    store = Store.open(str(tmp_path / "store.json"))
    [batch] = store.all_batches()
    assert batch["batch_id"] == batch_id and batch["status"] == "completed"
    records = store.batch_domains(batch_id)
    assert {r["status"] for r in records} == {"done"}
    pages = list(store.batch_pages(batch_id))
    assert len({(p["job_id"], p["url"]) for p in pages}) == len(pages)  # none stored twice
    assert sum(r["pages_ok"] + r["pages_failed"] for r in records) == len(pages)


async def test_load_a_list_from_a_file(tmp_path: Path) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("example.com\nexample.org\nftp://nope\n", encoding="utf-8")
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = str(tmp_path / "missing.txt")
        await pilot.press("enter")
        error = str(app.screen.query_one("#load-error").render())
        assert error == f"no such file: {tmp_path / 'missing.txt'}"
        assert "no such file" in screen_text(app)
        app.screen.query_one("#path", Input).value = str(listing)
        await pilot.press("enter")
        assert isinstance(app.screen, StartScreen)
        assert app.screen.query_one("#domains", TextArea).text.startswith("example.com")
        summary = app.screen.query_one("#input-summary")
        await wait_for(pilot, lambda: "2 valid · 1 rejected" in str(summary.render()))


async def test_help_lists_every_key(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help Static:last-of-type").render())
        for expected in ("F5 / ctrl+s", "Cancel the whole batch", "+ / =", "JSON Lines", "esc"):
            assert expected in help_text
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)


async def test_usable_at_80x24_with_every_action_in_the_footer(
    tmp_path: Path, slow_server: DemoServer
) -> None:
    settings = demo_settings(slow_server, max_pages=25, concurrency=1, per_domain=1)
    app = make_test_app(tmp_path, settings, ["big-catalog.test", *NORMAL[:2]])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "F5 Start" in screen_text(app).splitlines()[-1]
        await start(pilot)
        await slow_server.wait_until(lambda s: s.total_requests >= 1, TIMEOUT_S)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        for key in ("⏎ Open", "+- Workers", "p Pause", "cC Cancel", "sSf/ View", "q Quit"):
            assert key in footer, footer
        assert footer.rstrip().endswith("q Quit")  # nothing cut off at 80 columns
        table = app.screen.query_one(DomainTable)
        assert table.size.height >= 10
        await pilot.press("q", "y")


async def test_demo_mode_serves_its_own_web(tmp_path: Path, demo_web: DemoWeb) -> None:
    """`tui-scraper demo`: the app starts the demo server in its loop and autostarts."""
    settings = Settings(max_pages=2, timeout=2.0)
    app = make_app(
        settings=settings,
        db_path=str(tmp_path / "store.json"),
        domains_text="acme-plumbing.test\ngranite-cafe.test",
        demo_web=demo_web,
        autostart=True,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: finished(app))
        assert app.demo_server is not None
        server = app.demo_server
        assert app.session is not None
        # The demo web's address, DNS server and CA reach the client, not the settings.
        assert app.session.settings.connect_to == []
        assert app.network is not None
        assert list(app.network.connect_to) == server.network_facts()["connect_to"]
        assert app.network.nameservers == (server.nameserver,)
        assert app.session.state.rows and all(
            row.phase == Phase.DONE for row in app.session.state.rows.values()
        )
        await pilot.press("q")
    assert app.return_code == 0
    assert app.demo_server is None  # stopped on exit
    [batch] = Store.open(str(tmp_path / "store.json")).all_batches()
    assert batch["demo_seed"] == demo_web.seed  # so `tui-scraper resume` serves it again


def test_the_event_sink_state_does_not_import_textual() -> None:
    """The sink records into plain state, and the table's view is plain too: no Textual."""
    folder = Path(__file__).parents[2] / "tui_scraper" / "app"
    code = (
        "import sys, types\n"
        # The package's __init__ builds the App; stand in for it so only these modules load.
        "package = types.ModuleType('tui_scraper.app')\n"
        f"package.__path__ = [{str(folder)!r}]\n"
        "sys.modules['tui_scraper.app'] = package\n"
        "import tui_scraper.app.state, tui_scraper.app.rows, tui_scraper.app.view\n"
        "print('textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# -- the domain table, fed known events (no crawl) ------------------------------------


def running_domains(app: ScraperApp) -> list[str]:
    session = app.session
    assert session is not None
    return [session.state.rows[job_id].domain for job_id in session.state.active]


def listed(app: ScraperApp) -> list[str]:
    """The domains the table lists, in order."""
    table = batch_screen(app).query_one(DomainTable)
    session = app.session
    assert session is not None
    return [session.state.rows[job_id].domain for job_id in table.jobs]


async def test_a_control_names_its_batch_and_another_batch_s_is_ignored(tmp_path: Path) -> None:
    """A batch screen left under the stack cannot steer the batch the app runs now."""
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = feed_batch(app, finished=2, running=2, queued=2)
        await pilot.pause()
        assert app.session is not None
        runner = app.session.runner
        before = runner.concurrency
        screen.post_message(ChangeConcurrency("an-earlier-batch", +1))
        screen.post_message(TogglePause("an-earlier-batch"))
        await pilot.pause()
        assert (runner.concurrency, runner.paused) == (before, False)
        await pilot.press("plus", "p")
        await pilot.pause()
        assert (runner.concurrency, runner.paused) == (before + 1, True)


class FitTableApp(App[None]):
    """One FitTable: a narrow fixed column and a flexible one holding a long title."""

    TITLE_TEXT = "a title of exactly fifty characters, end of title!"

    def compose(self) -> ComposeResult:
        yield FitTable((ColumnSpec("id", "id", 4), ColumnSpec("title", "title", 10, flex=1)))

    def on_mount(self) -> None:
        self.query_one(FitTable).add_row(Text("r1"), Text(self.TITLE_TEXT), key="r1")


async def test_fit_table_gives_a_wider_terminal_to_its_flexible_columns() -> None:
    """What the history, findings, compare and domain tables rely on, drawn for real: the
    flexible column grows and shrinks with the terminal; the fixed one keeps its width."""
    app = FitTableApp()
    async with app.run_test(size=(100, 6)) as pilot:
        table = app.query_one(FitTable)

        def shown() -> tuple[int, int, str]:
            assert table.virtual_size.width <= table.size.width  # no sideways scrolling
            id_column, title_column = table.ordered_columns
            return id_column.width, title_column.width, table.render_line(1).text

        await pilot.pause()
        wide = shown()
        assert wide[0] == 4 and wide[1] > len(FitTableApp.TITLE_TEXT)
        assert FitTableApp.TITLE_TEXT in wide[2]
        table.add_row(Text("r2"), Text("second"), key="r2")  # measured at the wide widths
        await pilot.pause()
        await pilot.resize_terminal(40, 6)
        await pilot.pause()
        narrow = shown()
        assert narrow[0] == 4 and FitTableApp.TITLE_TEXT not in narrow[2]
        assert FitTableApp.TITLE_TEXT[: narrow[1]] in narrow[2]  # cut at the column's edge
        await pilot.resize_terminal(100, 6)
        await pilot.pause()
        assert shown() == wide
        await pilot.press("down", "enter")
        assert table.selected_key() == "r2"


async def test_running_domains_stay_on_screen_however_many_finish(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        feed_batch(app, finished=40, running=8, queued=30)
        await wait_for(pilot, lambda: "40/78 domains" in screen_text(app))
        text = screen_text(app)
        for domain in running_domains(app):
            assert domain in text, domain
        assert listed(app)[:8] == running_domains(app)  # running first, in start order
        assert listed(app)[8] == "site-39.example"  # then the latest to end


async def test_sort_filter_and_search(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        feed_batch(app, finished=15, running=5, queued=10)
        await pilot.pause()
        table = batch_screen(app).query_one(DomainTable)
        await pilot.press("s")  # by domain name
        assert listed(app) == sorted(listed(app)) and len(listed(app)) == 30
        await wait_for(pilot, lambda: "domain▼" in screen_text(app))
        await pilot.press("S")  # reversed
        assert listed(app) == sorted(listed(app), reverse=True)
        await pilot.press("s")  # by pages: the most first, the queued ones last
        pages = [app.session.state.rows[job_id].pages for job_id in table.jobs[:15]]
        assert pages == sorted(pages, reverse=True)
        await pilot.press("s", "s", "s")  # errors, time, then back to state
        assert listed(app)[:5] == running_domains(app)
        await pilot.press("f")
        assert sorted(listed(app)) == sorted(running_domains(app))
        await wait_for(pilot, lambda: "filter: running · 5 of 30" in screen_text(app))
        await pilot.press("f")
        assert listed(app) == ["site-14.example", "site-09.example", "site-04.example"]
        await pilot.press("f")
        assert len(listed(app)) == 12 and "site-04.example" not in listed(app)
        await pilot.press("f")
        assert len(listed(app)) == 30
        await pilot.press("slash", *"site-1")
        assert sorted(listed(app)) == [f"site-{n}.example" for n in range(10, 20)]
        await wait_for(pilot, lambda: "search: site-1" in screen_text(app))
        await pilot.press("enter")  # back to the table, search kept
        assert table.has_focus and len(listed(app)) == 10
        await pilot.press("f")  # filter and search together: running names with "site-1"
        assert sorted(listed(app)) == [f"site-{n}.example" for n in range(15, 20)]
        await pilot.press("escape")  # clears both
        assert len(listed(app)) == 30
        await wait_for(pilot, lambda: "search:" not in screen_text(app))
        assert "filter:" not in screen_text(app)
        await pilot.press("slash", "x", "escape")  # escape in the search line clears it too
        assert len(listed(app)) == 30 and table.has_focus


def test_stop_reasons_read_as_words() -> None:
    row = DomainRow("job", "example.com", "https://example.com/")
    cases = {
        ("done", "frontier_exhausted", None): "all pages found",
        ("done", "max_pages", None): "page limit reached",
        ("done", "domain_timeout", None): "time limit reached",
        ("cancelled", "cancelled", None): "cancelled",
        ("failed", "start_failed", "HTTP 404"): "start page failed: HTTP 404",
    }
    for (status, reason, error), words in cases.items():
        record = new_domain_record(make_jobs("b", parse_targets("example.com").targets)[0])
        record.update(status=status, stop_reason=reason, error=error)  # type: ignore[typeddict-item]
        row.phase = {"done": Phase.DONE, "failed": Phase.FAILED}.get(status, Phase.CANCELLED)
        row.detail, row.record = reason, record
        assert state_text(row, paused=False)[0] == words
        assert stored_status(record)[0] == words  # the history reads the same
        assert record["stop_reason"] == reason  # the store keeps the machine name


async def test_the_palette_offers_the_screens_actions_and_the_themes(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = feed_batch(app, finished=5, running=2, queued=2)
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(screen)}
        for action in ("Open", "Pause", "Cancel", "Cancel all", "Retry", "Sort", "Reverse"):
            assert action in titles, action
        for action in ("Filter", "Search", "History", "Help", "Quit", "Theme"):
            assert action in titles, action
        assert {f"Theme: {name}" for name in app.available_themes} <= titles
        assert "New batch" not in titles  # hidden while the batch runs, as in the footer
        await pilot.press("ctrl+p", *"filter", "enter")  # the palette runs the action
        await wait_for(pilot, lambda: "filter: running" in screen_text(app))
        await pilot.press("ctrl+p", *"theme: nord")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "nord")


async def test_contacts_never_break_mid_address(tmp_path: Path) -> None:
    emails = [
        "a.very.long.mailbox.name@an-even-longer-company-domain.example",
        "info@short.example",
        "sales.department@mid-length.example",
    ]
    socials = ["https://www.linkedin.com/company/a-rather-long-company-name-here"]
    row = DomainRow("job", "contacts.example", "https://contacts.example/", Phase.DONE)
    page = {"url": "https://contacts.example/", "status": 200, "title": "Contact"}
    row.add_page({**page, "emails": emails, "socials": socials}, 0.1)  # type: ignore[typeddict-item]
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_domain(row, live=False, max_pages=5)
        await pilot.pause()
        pane = app.screen.query_one("#contacts")
        lines = [line.strip() for line in screen_text(app).splitlines()]
        column = [
            line[pane.region.x :].strip()
            for line in screen_text(app).splitlines()[pane.region.y : pane.region.bottom]
        ]
        for value in [*emails, *socials]:
            shown = [part for part in column if part and value.startswith(part.rstrip("…"))]
            assert shown, (value, column)
            assert shown[0] == value or (shown[0].endswith("…") and len(shown[0]) > 10), shown
        # No line of the pane holds the tail of an address carried over from the line above.
        for part in column:
            assert not part or part[0].isupper() or "@" in part or part.startswith("http"), part
        assert lines


async def test_a_page_with_100000_emails_costs_the_screen_a_few(tmp_path: Path) -> None:
    emails = [f"person{index:06d}@many.example" for index in range(100_000)]
    row = DomainRow("job", "many.example", "https://many.example/", Phase.DONE)
    page = {"url": "https://many.example/", "status": 200, "title": "All of us"}
    row.add_page({**page, "emails": emails}, 0.1)  # type: ignore[typeddict-item]
    assert len(row.emails) == MAX_DOMAIN_CONTACTS
    assert len(row.page_rows[0].emails) == MAX_PAGE_EMAILS
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_domain(row, live=False, max_pages=5)
        await pilot.pause()
        contacts = str(app.screen.query_one("#contacts").render())
        assert "Emails (100,000)" in contacts
        assert f"… and {100_000 - CONTACTS_SHOWN:,} more" in contacts
        assert (
            "100,000 emails: person000000@many.example"
            in app.screen.query_one("#pages").get_row_at(0)[3].plain
        )


async def test_a_long_paste_is_held_beside_the_text_area(tmp_path: Path) -> None:
    app = make_test_app(tmp_path, Settings(), "")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pasted = "\n".join(f"site-{index:05d}.example" for index in range(BULK_LINES + 500))
        app.post_message(events.Paste(pasted))  # as the terminal sends it
        summary = app.screen.query_one("#input-summary")
        await wait_for(pilot, lambda: f"{BULK_LINES + 500:,} valid" in str(summary.render()))
        assert app.screen.query_one("#domains", TextArea).text == ""
        note = f"+ {BULK_LINES + 500:,} pasted lines, not shown"
        await wait_for(pilot, lambda: note in screen_text(app))
        # The footer is recomposed after a refresh: wait for it rather than a fixed time.
        await wait_for(pilot, lambda: "^r Drop pasted" in screen_text(app).splitlines()[-1])
        await pilot.press(*"extra.example")
        await wait_for(pilot, lambda: f"{BULK_LINES + 501:,} valid" in str(summary.render()))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "1 valid" in str(summary.render()))


def test_the_app_exits_after_closing_what_it_holds(tmp_path: Path) -> None:
    """`close_everything()` then `exit()` ends the app (the app once shadowed Textual's
    `_closed` flag, so it hung there for good)."""
    code = (
        "from tui_scraper.app import make_app\n"
        "from tui_scraper.settings import Settings\n"
        f"app = make_app(settings=Settings(), db_path={str(tmp_path / 'store.json')!r})\n"
        "async def drive(pilot):\n"
        "    await pilot.pause()\n"
        "    await app.close_everything()\n"
        "    app.exit()\n"
        "app.run(headless=True, size=(80, 24), auto_pilot=drive)\n"
        "print('exited')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip().endswith("exited")
