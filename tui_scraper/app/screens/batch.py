"""The batch screen: the live domain table, overall progress, the event log and the controls."""

from __future__ import annotations

import gc
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Log, ProgressBar, Static

from tui_scraper.app.format import duration, plain, rate, state_text
from tui_scraper.app.messages import (
    CancelBatch,
    CancelDomain,
    ChangeConcurrency,
    OpenDomain,
    OpenFindings,
    RetryFailed,
    TogglePause,
)
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.screens.dialogs import ConfirmScreen
from tui_scraper.app.session import BatchSession
from tui_scraper.app.state import BatchState
from tui_scraper.app.view import RowFilter
from tui_scraper.app.widgets.domain_table import DomainTable
from tui_scraper.engine.events import BatchStatus
from tui_scraper.text import safe_text

# How often the table, counters and log are redrawn from the recorded state.
FLUSH_INTERVAL_S = 0.25
LOG_MAX_LINES = 1000
FREEZE_INTERVAL_S = 5.0
# A batch of more domains has its name order sorted in a thread when it starts.
BIG_BATCH = 5000
WORKERS = Binding.Group("Workers", compact=True)
CANCEL = Binding.Group("Cancel", compact=True)
# Sort, reverse, filter and search share one footer entry, so every key fits in 80 columns.
VIEW = Binding.Group("View", compact=True)
# Findings and history share one too: with `i Findings` apart the footer is 81 columns.
SCREENS = Binding.Group("Screens", compact=True)
# Actions that only make sense while the batch runs (hidden from the footer otherwise).
RUNNING_ONLY = frozenset({"more", "fewer", "pause", "cancel_domain", "cancel_batch"})


class BatchScreen(AppScreen):
    """One row per domain, updated four times a second from the batch's recorded state.

    It reads the session; its controls are messages the app acts on.
    """

    BINDINGS = [
        Binding(
            "plus",
            "more",
            "More",
            key_display="+",
            group=WORKERS,
            tooltip="Crawl one more domain at once (concurrency + 1)",
        ),
        Binding("equals_sign", "more", "More", show=False),  # `+` without shift
        Binding(
            "minus",
            "fewer",
            "Fewer",
            key_display="-",
            group=WORKERS,
            tooltip="Crawl one domain fewer at once (running ones finish)",
        ),
        Binding("p", "pause", "Pause", tooltip="Pause or resume: no new request starts"),
        Binding("c", "cancel_domain", "Cancel", group=CANCEL, tooltip="Cancel the selected domain"),
        Binding(
            "C",
            "cancel_batch",
            "Cancel all",
            key_display="C",
            group=CANCEL,
            tooltip="Cancel the whole batch",
        ),
        Binding("ctrl+x", "cancel_batch", "Cancel all", show=False),
        Binding("r", "retry", "Retry", tooltip="Retry the failed domains"),
        Binding(
            "s",
            "sort",
            "Sort",
            group=VIEW,
            tooltip="Sort by the next column: state (running first), domain, pages, errors, time",
        ),
        Binding("S", "reverse", "Reverse", key_display="S", group=VIEW, tooltip="Reverse the sort"),
        Binding(
            "f", "filter", "Filter", group=VIEW, tooltip="Show all, running, failed or done domains"
        ),
        Binding("slash", "search", "Search", key_display="/", group=VIEW, tooltip="Search by name"),
        Binding(
            "escape",
            "clear_view",
            "Show all",
            key_display="esc",
            tooltip="Clear the filter and the search",
        ),
        Binding(
            "escape",
            "back",
            "New batch",
            key_display="esc",
            tooltip="Back to the start screen (when the batch has ended)",
        ),
        Binding("i", "findings", "Findings", group=SCREENS, tooltip="The batch's findings, live"),
        Binding(
            "h", "app.history", "History", group=SCREENS, tooltip="Earlier batches in the store"
        ),
        Binding("question_mark", "app.help", "Help", key_display="?", tooltip="List every key"),
        Binding("q", "app.quit", "Quit", tooltip="Quit (asks while a batch runs)"),
    ]

    def __init__(self, session: BatchSession, *, cursor_blink: bool = True) -> None:
        super().__init__()
        self.session = session
        self.cursor_blink = cursor_blink
        self._shown_status: BatchStatus | None = None
        self._shown_paused = False
        self._shown_failed = False
        self._shown_narrowed = False
        self._shown_domains = 0
        self._frozen_at = 0.0
        self._status_plain = ""
        self._rate_plain = ""
        self._detail_plain = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="batch-status")
        with Horizontal(id="overall"):
            yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="overall-bar")
            yield Static(id="overall-rate")
        with Horizontal(id="view-bar"):
            yield Static(id="view-note")
            yield Input(placeholder="domain name", id="search")
        yield DomainTable(self.session.state.max_pages, id="domains")
        yield Static(id="row-detail")
        yield Log(max_lines=LOG_MAX_LINES, id="events")
        # No room for "^p palette" beside every key at 80 columns; help lists ctrl+p.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = f"batch {self.session.batch_id[:8]}"
        self.query_one(DomainTable).focus()
        self.query_one("#search", Input).cursor_blink = self.cursor_blink
        self._draw_view_bar()
        self.flush()
        self.set_interval(FLUSH_INTERVAL_S, self.flush)

    # -- drawing ------------------------------------------------------------

    def flush(self) -> None:
        """Apply what the events recorded since the last flush, in one screen update."""
        state = self.session.state
        now = state.clock()
        table = self.query_one(DomainTable)
        if len(state.order) != self._shown_domains or (
            state.is_running and time.monotonic() - self._frozen_at > FREEZE_INTERVAL_S
        ):
            # What the batch has built so far (its documents, rows, the store's tables)
            # lives on: keep the cyclic GC from rescanning it, as a full pass over a big
            # batch's objects stalls keys for ~100 ms. Plain garbage is still freed by
            # reference counting; only cycles among these objects would stay.
            if len(state.order) != self._shown_domains and len(state.order) > BIG_BATCH:
                self._sort_names(state)
            self._shown_domains = len(state.order)
            self._frozen_at = time.monotonic()
            gc.freeze()
        with self.app.batch_update():
            table.sync(state, now)
            lines = state.take_log()
            if lines:
                self.query_one("#events", Log).write_lines(lines)
            self._draw_status()
            self._draw_detail()
        changed = (
            state.status != self._shown_status
            or state.paused != self._shown_paused
            # Whether any failed (the retry key), not how many: the footer is costly to redo.
            or bool(state.failed) != self._shown_failed
        )
        if changed:
            self._shown_status = state.status
            self._shown_paused = state.paused
            self._shown_failed = bool(state.failed)
            status = state.status.value if state.status else "starting"
            self.sub_title = f"batch {self.session.batch_id[:8]} · {status}"
            self.refresh_bindings()

    def show_now(self) -> None:
        """Redraw from the state at once: the app calls this once it acted on a control."""
        self.flush()
        self.repaint_now()

    @work(thread=True, exclusive=True, group="sort-names")
    def _sort_names(self, state: BatchState) -> None:
        """Sort a big batch's names in a thread, so the first `s` does not wait for it."""
        self.query_one(DomainTable).view.prepare(state)

    def _draw_status(self) -> None:
        state = self.session.state
        total = len(state.order)
        text = Text(end="")
        text.append(f"{state.finished_domains}/{total} domains", style="bold")
        if state.failed:
            text.append(f" · {state.failed} failed", style="red")
        if state.cancelled:
            text.append(f" · {state.cancelled} cancelled", style="magenta")
        text.append(f" · {state.pages} pages")
        text.append(f" · concurrency {state.concurrency}", style="bold")
        text.append(f" ({state.running} running)")
        if state.paused and state.is_running:
            text.append(" · PAUSED", style="bold yellow")
        if text.plain != self._status_plain:
            self._status_plain = text.plain
            # One line whatever it says: no layout pass needed.
            self.query_one("#batch-status", Static).update(text, layout=False)
        done, work = state.work()
        self.query_one("#overall-bar", ProgressBar).update(total=max(work, 1), progress=done)
        percent = f"{100 * done // max(work, 1):3d}%"
        if state.is_running:
            speed = f"{rate(state.pages_per_second())} pages/s · ETA {duration(state.eta())}"
        elif state.status is None:
            speed = "starting"
        else:
            elapsed = duration(state.elapsed())
            speed = f"{rate(state.pages_per_second())} pages/s · {state.status.value} in {elapsed}"
        speed = f"{percent} {speed}"
        if speed != self._rate_plain:
            self._rate_plain = speed
            self.query_one("#overall-rate", Static).update(Text(speed, end=""), layout=False)

    def _draw_detail(self) -> None:
        job_id = self.query_one(DomainTable).selected_job()
        row = self.session.state.rows.find(job_id)
        if row is None:
            if self._detail_plain:
                self._detail_plain = ""
                self.query_one("#row-detail", Static).update("", layout=False)
            return
        state, style = state_text(row, self.session.state.paused)
        text = Text(end="")
        text.append_text(plain(row.domain, style="bold"))
        text.append(" ")
        text.append_text(plain(state, 200, style))
        if row.url:
            text.append(" ")
            text.append_text(plain(row.url, 300, "dim"))
        if text.plain != self._detail_plain:
            self._detail_plain = text.plain
            self.query_one("#row-detail", Static).update(text, layout=False)

    def _draw_view_bar(self) -> None:
        """The view line above the table: shown while a filter or a search narrows it."""
        table = self.query_one(DomainTable)
        view = table.view
        search = self.query_one("#search", Input)
        bar = self.query_one("#view-bar")
        bar.display = view.narrowed or search.has_focus
        total = len(self.session.state.order)
        note = f"{view.describe()} · {table.row_count:,} of {total:,}"
        note += " · esc shows all ·" if view.narrowed else " ·"
        self.query_one("#view-note", Static).update(Text(safe_text(note), end=""))

    @on(DomainTable.Highlighted)
    def _highlighted(self) -> None:
        self._draw_detail()
        self.repaint_now()  # the cursor moved: show it with its detail line at once

    # -- controls -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide controls that do nothing in the batch's current state."""
        running = self.session.running
        if action in RUNNING_ONLY:
            return running
        if action == "retry":
            return bool(self.session.state.failed)
        if not self.is_mounted:
            return True
        view = self.query_one(DomainTable).view
        searching = self.query_one("#search", Input).has_focus
        if action == "clear_view":
            return view.narrowed or searching
        if action == "back":
            return not running and not view.narrowed and not searching
        return True

    def action_more(self) -> None:
        """Crawl one more domain at once."""
        self.post_message(ChangeConcurrency(self.session.batch_id, +1))

    def action_fewer(self) -> None:
        """Crawl one domain fewer at once; running domains finish."""
        self.post_message(ChangeConcurrency(self.session.batch_id, -1))

    def action_pause(self) -> None:
        """Pause the batch, or resume it."""
        self.post_message(TogglePause(self.session.batch_id))

    def action_cancel_domain(self) -> None:
        """Cancel the domain under the cursor."""
        job_id = self.query_one(DomainTable).selected_job()
        if job_id is not None:
            self.post_message(CancelDomain(self.session.batch_id, job_id))

    def action_cancel_batch(self) -> None:
        """Cancel the whole batch, once confirmed."""

        def answer(yes: bool | None) -> None:
            if yes:
                self.post_message(CancelBatch(self.session.batch_id))

        question = (
            "Cancel the whole batch?\n\nQueued domains never start; running ones stop "
            "and are saved as cancelled."
        )
        self.app.push_screen(ConfirmScreen(question, "Cancel batch", "Keep running"), answer)

    def action_retry(self) -> None:
        """Run the failed domains again."""
        self.post_message(RetryFailed(self.session.batch_id))

    def action_findings(self) -> None:
        """Show the batch's findings: live while it runs, else read from the store."""
        self.post_message(OpenFindings(self.session.batch_id))

    def action_back(self) -> None:
        """Back to the start screen once the batch has ended."""
        if self.session.running:
            self.notify("the batch is still running", severity="warning", markup=False)
            return
        self.app.pop_screen()

    # -- the view -------------------------------------------------------------

    def _view_changed(self) -> None:
        table = self.query_one(DomainTable)
        table.sync(self.session.state, self.session.state.clock(), force=True)
        self._draw_view_bar()
        self._draw_detail()
        narrowed = self.query_one(DomainTable).view.narrowed
        if narrowed != self._shown_narrowed:  # the escape key's action changes
            self._shown_narrowed = narrowed
            self.refresh_bindings()
        self.repaint_now()

    def action_sort(self) -> None:
        """Sort by the next column: state (running first), domain, pages, errors, time."""
        self.query_one(DomainTable).view.next_sort()
        self._view_changed()

    def action_reverse(self) -> None:
        """Reverse the sort."""
        view = self.query_one(DomainTable).view
        view.descending = not view.descending
        self._view_changed()

    def action_filter(self) -> None:
        """Show the next set: all, running, failed, done."""
        self.query_one(DomainTable).view.next_filter()
        self._view_changed()

    def action_search(self) -> None:
        """Open the search line; typing narrows the table to matching names."""
        search = self.query_one("#search", Input)
        self.query_one("#view-bar").display = True
        search.focus()

    def action_clear_view(self) -> None:
        """Show every domain again: no filter, no search."""
        table = self.query_one(DomainTable)
        table.view.filter = RowFilter.ALL
        table.view.search = ""
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        table.focus()
        self._view_changed()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_one(DomainTable).view.search = event.value.strip()
        self._view_changed()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(DomainTable).focus()
        self._draw_view_bar()

    def on_descendant_blur(self) -> None:
        self._draw_view_bar()

    @on(DomainTable.Selected)
    def _open(self, event: DomainTable.Selected) -> None:
        row = self.session.state.rows.find(event.job_id)
        if row is not None:
            self.post_message(OpenDomain(self.session.batch_id, row.domain, event.job_id))
