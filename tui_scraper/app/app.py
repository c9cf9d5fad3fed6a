"""The Textual app: owns the store, the optional demo server and the batch being run.

Screens are given what they show and post `tui_scraper.app.messages` up for the rest;
the `on_...` handlers here are the only place a screen's request changes the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui_scraper.app.messages import (
    BatchControl,
    CancelBatch,
    CancelDomain,
    ChangeConcurrency,
    OpenDomain,
    OpenFindings,
    ResumeBatch,
    RetryFailed,
    StartBatch,
    StartFormReady,
    TogglePause,
)
from tui_scraper.app.palette import palette_commands
from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.dialogs import ConfirmScreen
from tui_scraper.app.screens.domain import DomainScreen, PageLoader
from tui_scraper.app.screens.findings import FindingsScreen
from tui_scraper.app.screens.help import HelpScreen
from tui_scraper.app.screens.history import HistoryScreen
from tui_scraper.app.screens.start import StartScreen
from tui_scraper.app.session import BatchSession
from tui_scraper.app.state import Clock, DomainRow
from tui_scraper.app.stored import StoredDomain, find_stored_domain
from tui_scraper.engine.connect import Network
from tui_scraper.engine.events import BatchStatus, DomainRecord
from tui_scraper.engine.pool import new_batch_id
from tui_scraper.service import BatchService
from tui_scraper.settings import Settings, has_masked_credentials
from tui_scraper.store import Store, StoreError
from tui_scraper.targets import ParsedTargets
from tui_scraper.text import safe_text

if TYPE_CHECKING:
    from tui_scraper.demo import DemoServer, DemoWeb

EXIT_OK = 0
EXIT_INTERRUPTED = 130
# How soon a thread holding the GIL (the store writer's, a big list's parse) must hand it
# back to the screen's event loop. Python's 5 ms default, paid at every turn of the loop,
# adds up to a quarter of a second per key while those threads are busy.
SWITCH_INTERVAL_S = 0.0005
SIGNAL_STOP_TIMEOUT_S = 20.0


class ScraperApp(App[int]):
    """The terminal app: start screen, live batch, domain pages and history.

    `clock`, `batch_id_factory` and `cursor_blink` exist for tests and snapshots: a
    frozen clock and a fixed batch id make every screen reproducible.
    """

    CSS_PATH = "app.tcss"
    TITLE = "tui-scraper"
    # Not a priority binding, so the start screen's own ctrl+q (shown in its footer) wins there.
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(
        self,
        *,
        settings: Settings,
        db_path: str,
        domains_text: str = "",
        demo_web: DemoWeb | None = None,
        demo_facts: dict[str, Any] | None = None,
        autostart: bool = False,
        clock: Clock = time.monotonic,
        batch_id_factory: Callable[[], str] = new_batch_id,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.db_path = db_path
        self.domains_text = domains_text
        self.demo_web = demo_web
        # How to reach a demo server that is already running (`demo --attach`); else one
        # is served from this app.
        self.demo_facts = demo_facts
        self.autostart = autostart
        self.clock = clock
        self.batch_id_factory = batch_id_factory
        self.cursor_blink = cursor_blink
        self.store: Store | None = None
        self.store_error: str | None = None
        self.service: BatchService | None = None
        self.session: BatchSession | None = None
        self.batch_worker: Worker[BatchStatus] | None = None
        self._mounted = False
        self._resources_closed = False
        # Set by `run_app` (a real terminal), never under run_test: the handlers are per process.
        self.handle_signals = False
        self._signal_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------

    def get_default_screen(self) -> StartScreen:
        """The start screen, domains and settings prefilled."""
        return StartScreen(
            self.settings, self.domains_text, self.db_path, cursor_blink=self.cursor_blink
        )

    async def on_mount(self) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        if self.handle_signals:
            self._install_signal_handlers()
        self._open_store()
        if self.store is not None:
            # A demo web is served from this event loop, so the demo needs nothing else.
            self.service = BatchService(
                self.store, demo_web=self.demo_web, demo_facts=self.demo_facts
            )
            await self.service.__aenter__()
        self._mounted = True
        self.maybe_autostart()

    def on_start_form_ready(self, _message: StartFormReady) -> None:
        self.maybe_autostart()

    def maybe_autostart(self) -> None:
        """Start the prefilled batch once both the demo server and the start form are ready."""
        start = self.screen
        if self.autostart and self._mounted and isinstance(start, StartScreen) and start.is_ready:
            self.autostart = False
            start.action_start()

    def _open_store(self) -> None:
        try:
            self.store = Store.open(self.db_path, write=True)
        except StoreError as error:
            self.store_error = str(error)
            # Still show history when another process is writing the store.
            with contextlib.suppress(StoreError):
                if Path(self.db_path).exists():
                    self.store = Store.open(self.db_path)
            self.notify(
                safe_text(f"{error}; batches cannot be started"),
                title="Store",
                severity="error",
                timeout=15,
                markup=False,
            )

    async def on_unmount(self) -> None:
        await self.close_everything()

    # -- signals ------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        """SIGTERM and SIGHUP (a dropped SSH link) stop the app, the batch left resumable;
        SIGINT from outside is the quit key (a second one while it asks quits)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._stop_on_signal)
        loop.add_signal_handler(signal.SIGINT, self._quit_on_signal)

    def _stop_on_signal(self) -> None:
        if self._signal_task is None:
            self._signal_task = asyncio.create_task(self._stop_after_signal())

    def _quit_on_signal(self) -> None:
        if isinstance(self.screen, ConfirmScreen) or not self.batch_running:
            self._stop_on_signal()
        else:
            self.call_later(self.action_quit)

    async def _stop_after_signal(self) -> None:
        """Leave the batch interrupted (saved), close the store, and exit: the terminal is
        restored on the way out."""
        try:
            async with asyncio.timeout(SIGNAL_STOP_TIMEOUT_S):  # a signal must end the app
                await self.interrupt_batch()
                await self.close_everything()
        except TimeoutError:
            pass
        finally:
            code = EXIT_INTERRUPTED if self.interrupted else EXIT_OK
            self.exit(code, return_code=code)

    async def close_everything(self) -> None:
        """Stop the batch (left interrupted), the writer, the demo server and the store."""
        if self._resources_closed:
            return
        self._resources_closed = True
        await self.interrupt_batch()
        if self.service is not None:
            await self.service.close()
        if self.store is not None and not self.batch_running:
            # Still saving after the wait (a big batch's first save takes long on a busy
            # machine): closing the store under its writer would break both. It flushes
            # each write itself; the process's end lets go of the lock.
            self.store.close()

    async def interrupt_batch(self) -> None:
        """Cancel the task running the batch, so it ends `interrupted`, and wait for the save."""
        session, worker = self.session, self.batch_worker
        if session is None or not session.running:
            return
        if worker is not None and not worker.is_cancelled:
            # Once: a second cancellation would cut short the wait for the writer's last save.
            worker.cancel()
        # The session closes its store writer before it reports idle.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await session.idle.wait()

    @property
    def demo_server(self) -> DemoServer | None:
        """The demo web this app serves, if any."""
        return self.service.demo_server if self.service is not None else None

    @property
    def network(self) -> Network | None:
        """How new batches reach the demo web: the HTTP client's, never the settings'."""
        return self.service.network if self.service is not None else None

    # -- batches ------------------------------------------------------------

    @property
    def interrupted(self) -> bool:
        """Whether the last batch was cut off (by quitting) and is left resumable."""
        return self.session is not None and self.session.status == BatchStatus.INTERRUPTED

    @property
    def batch_running(self) -> bool:
        """Whether a batch is running now."""
        return self.session is not None and self.session.running

    def on_start_batch(self, message: StartBatch) -> None:
        self.start_batch(message.settings, message.parsed)

    def start_batch(self, settings: Settings, parsed: ParsedTargets) -> None:
        """Start a batch of the parsed domains and show it; refuses with a message if it cannot."""
        if self.store is None or not self.store.writable:
            reason = self.store_error or "the store is not open for writing"
            self.notify(safe_text(reason), title="Cannot start", severity="error", markup=False)
            return
        if self.batch_running:
            self.notify("a batch is already running", severity="error", markup=False)
            return
        assert self.service is not None
        batch = self.service.new_batch(settings, parsed, batch_id=self.batch_id_factory())
        self.session = BatchSession(batch, self.clock)
        self.push_screen(BatchScreen(self.session, cursor_blink=self.cursor_blink))
        self._run_session()
        # What exists now (the UI, the rows) lives as long as the app: keep the cyclic
        # GC from rescanning it in every full collection, whose pauses delay key presses.
        self.call_after_refresh(gc.freeze)

    def on_resume_batch(self, message: ResumeBatch) -> None:
        """Finish an interrupted batch of the store here, with its saved settings."""
        store, batch_id = self.store, message.batch_id
        if store is None or not store.writable:
            reason = self.store_error or "the store is not open for writing"
            self.notify(safe_text(reason), title="Cannot resume", severity="error", markup=False)
            return
        if self.batch_running:
            self.notify("a batch is already running", severity="error", markup=False)
            return
        doc = store.batch(batch_id)
        if doc is None or not store.unfinished_jobs(batch_id) or self.service is None:
            self.notify(f"batch {batch_id[:8]}: nothing to resume", markup=False)
            return
        settings = Settings.from_dict(doc.get("settings") or {})
        if has_masked_credentials(settings.proxy):  # credentials are never stored
            reason = "its proxy's credentials are not stored: resume it with tui-scraper resume"
            self.notify(f"{reason} ID --proxy URL", title="Cannot resume", markup=False)
            return
        self.run_worker(self._resume(batch_id), name="resume", group="resume", exclusive=True)

    async def _resume(self, batch_id: str) -> None:
        # Through the service: a demo batch gets its own demo web again (from its seed).
        assert self.service is not None
        batch = await self.service.resume_batch(batch_id)
        self.session = BatchSession(batch, self.clock)
        self.push_screen(BatchScreen(self.session, cursor_blink=self.cursor_blink))
        if self.store is not None:  # before the run: its writer changes the store
            await self.session.load_stored_findings(self.store)
        self._run_session()

    def _run_session(self, jobs: list[str] | None = None) -> None:
        session = self.session
        assert session is not None
        selected = None
        if jobs is not None:
            selected = [session.runner.jobs[job_id] for job_id in jobs]
        self.batch_worker = self.run_worker(
            session.run(selected), name="batch", group="batch", exit_on_error=False
        )

    def on_retry_failed(self, message: RetryFailed) -> None:
        """Queue the failed domains again: on the running batch, or as a rerun of a finished one."""
        session = self.session
        if session is None or session.batch_id != message.batch_id:
            return
        failed = session.failed_job_ids()
        if not failed:
            self.notify("no failed domain to retry", markup=False)
            return
        if session.running:
            session.runner.retry(failed)
        else:
            self._run_session(failed)
        self.notify(
            f"retrying {len(failed)} failed domain{'s' if len(failed) != 1 else ''}", markup=False
        )
        self._show_control(session)

    # -- a running batch's controls -------------------------------------------

    def _controlled_session(self, message: BatchControl) -> BatchSession | None:
        """The session a control is meant for, if it is this app's and still running."""
        session = self.session
        if session is None or session.batch_id != message.batch_id or not session.running:
            return None
        return session

    def _show_control(self, session: BatchSession) -> None:
        """Show a control's effect in this frame: the key was pressed on the batch screen."""
        for screen in self.screen_stack:
            if isinstance(screen, BatchScreen) and screen.session is session:
                screen.show_now()

    def on_toggle_pause(self, message: TogglePause) -> None:
        if session := self._controlled_session(message):
            if session.runner.paused:
                session.runner.resume()
            else:
                session.runner.pause()
            self._show_control(session)

    def on_change_concurrency(self, message: ChangeConcurrency) -> None:
        if session := self._controlled_session(message):
            concurrency = session.runner.concurrency + message.by
            if concurrency < 1:
                self.notify("concurrency is already 1", severity="warning", markup=False)
                return
            session.runner.set_concurrency(concurrency)
            self._show_control(session)

    def on_cancel_domain(self, message: CancelDomain) -> None:
        if session := self._controlled_session(message):
            if not session.runner.cancel_domain(message.job_id):
                self.notify("that domain has already ended", severity="warning", markup=False)
            self._show_control(session)

    def on_cancel_batch(self, message: CancelBatch) -> None:
        if session := self._controlled_session(message):
            session.runner.cancel()
            self._show_control(session)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "batch":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                safe_text(f"the batch stopped on an error: {type(error).__name__}: {error}"),
                severity="error",
                timeout=30,
                markup=False,
            )
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            for screen in self.screen_stack:
                if isinstance(screen, BatchScreen):
                    screen.flush()

    # -- the command palette ------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's commands, every action the screen offers now, and each theme."""
        return palette_commands(self, screen, super().get_system_commands(screen))

    # -- navigation ---------------------------------------------------------

    def open_domain(
        self,
        row: DomainRow,
        *,
        live: bool,
        max_pages: int,
        load_pages: PageLoader | None = None,
        page_url: str | None = None,
    ) -> None:
        """Show one domain's pages, live or (`load_pages`, read in a thread) from the store;
        `page_url`: the page to put the cursor on."""
        screen = DomainScreen(
            row,
            live=live,
            max_pages=max_pages,
            clock=self.clock,
            load_pages=load_pages,
            page_url=page_url,
        )
        self.push_screen(screen)

    def on_open_domain(self, message: OpenDomain) -> None:
        """A screen asks for a domain: the app's batch's row if it has it (by job, else by
        name), unless the store's copy is asked for; else the store's."""
        session = self.session
        if session is not None and session.batch_id == message.batch_id and not message.stored:
            rows = session.state.rows
            if message.job_id is not None:
                row = rows.find(message.job_id)
            else:
                row = next((r for r in rows.values() if r.domain == message.domain), None)
            if row is not None:
                self.open_domain(
                    row, live=True, max_pages=session.state.max_pages, page_url=message.page_url
                )
                return
        if self.store is None:
            return
        record = find_stored_domain(self.store, message.batch_id, message.job_id, message.domain)
        if record is not None:
            self.open_stored_domain(message.batch_id, record, page_url=message.page_url)

    def open_stored_domain(
        self, batch_id: str, record: DomainRecord, *, page_url: str | None = None
    ) -> None:
        """Show a stored domain, its pages streamed from the store in a thread."""
        if self.store is None:
            return
        view = StoredDomain.of(self.store, batch_id, record)
        self.open_domain(
            view.row,
            live=False,
            max_pages=view.max_pages,
            load_pages=view.load_pages,
            page_url=page_url,
        )

    def on_open_findings(self, message: OpenFindings) -> None:
        """A batch's findings: live from the batch running here (its store chunk is still
        being written), else read from the store."""
        session = self.session
        live = None
        if session is not None and session.batch_id == message.batch_id:
            # Before its first run starts (status None) the batch is about to run: live too.
            live = session.findings if session.running or session.status is None else None
        self.push_screen(FindingsScreen(message.batch_id, live, self.store))

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_history(self) -> None:
        """Show the store's batches."""
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.store, self.store_error))

    async def action_quit(self) -> None:
        """Quit; while a batch runs, ask first, then leave it interrupted and resumable."""
        if not self.batch_running:
            await self.close_everything()
            code = EXIT_INTERRUPTED if self.interrupted else EXIT_OK
            self.exit(code, return_code=code)
            return
        question = (
            "A batch is running. Quit now?\n\nThe batch is saved as interrupted; "
            "`tui-scraper resume ID` finishes it later."
        )
        self.push_screen(ConfirmScreen(question, "Quit", "Keep running"), self._quit_answer)

    async def _quit_answer(self, yes: bool | None) -> None:
        if not yes:
            return
        # The batch may have ended while the question was open: then nothing is interrupted.
        await self.interrupt_batch()
        await self.close_everything()
        code = EXIT_INTERRUPTED if self.interrupted else EXIT_OK
        self.exit(code, return_code=code)
