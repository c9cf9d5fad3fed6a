"""The domain screen: one domain's pages as they arrive, its merged contacts and its errors.

A stored domain's pages are read in a worker thread and shown as they come, a
screenful of rows per redraw, so a domain of thousands of pages or 100,000
addresses answers keys while it loads.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from tui_scraper.app.columns import ColumnSpec
from tui_scraper.app.format import bar, duration, plain, state_text, status_code
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.state import Clock, DomainRow, PageRow
from tui_scraper.app.widgets.fit_table import FitTable
from tui_scraper.engine.events import PageRecord
from tui_scraper.text import safe_text

REFRESH_INTERVAL_S = 0.25
FIELD_VALUES_SHOWN = 5  # of a custom field, in the page detail
# Rows added to the page table per redraw, so a big domain fills it without a stall.
PAGE_ROWS_PER_REFRESH = 150
# Stored pages handed from the loading thread to the screen at a time.
LOAD_CHUNK = 200
# Contacts of each kind listed; the rest are counted (the store and exports have them all).
CONTACTS_SHOWN = 200
PageLoader = Callable[[], Iterable[PageRecord]]
PAGE_COLUMNS = (
    ColumnSpec("status", "st", 3),
    ColumnSpec("title", "title", 26, flex=2),
    ColumnSpec("time", "time", 6),
    ColumnSpec("emails", "emails", 20, flex=1),
    ColumnSpec("url", "url", 20, flex=2),
)


class PageTable(FitTable):
    """The domain's pages; the highlighted one is shown in full below, so enter does nothing."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", show=False)]


def emails_text(page: PageRow) -> str:
    """A page's emails for its cell; a long list starts with its count (the rest is cut)."""
    listed = ", ".join(page.emails)
    if not page.emails_cut:
        return listed
    return f"{len(page.emails) + page.emails_cut:,} emails: {listed}"


def page_cells(page: PageRow) -> tuple[Text, ...]:
    """A page's cells in PAGE_COLUMNS order; every web value shown literally."""
    title = page.title if page.title is not None else (page.error or "")
    return (
        status_code(page.status),
        plain(title, 200, "" if page.title is not None else "red"),
        Text(f"+{duration(page.at)}" if page.at is not None else "", end=""),
        plain(emails_text(page), 200),
        plain(page.url, 300, "dim"),
    )


class DomainScreen(AppScreen):
    """A domain's pages, contacts and errors; live while its batch runs."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="esc", tooltip="Back to the table"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self,
        row: DomainRow,
        *,
        live: bool,
        max_pages: int,
        clock: Clock,
        load_pages: PageLoader | None = None,
        page_url: str | None = None,
    ) -> None:
        """`load_pages` reads a stored domain's pages (in a thread) into `row`; the cursor
        goes to the page at `page_url` (its URL or where it redirected) once it is listed."""
        super().__init__()
        self.page_url = page_url
        self._url_scanned = 0  # of the listed rows, how many were looked at for `page_url`
        self.row = row
        self.live = live
        self.max_pages = max_pages
        self.clock = clock
        self.load_pages = load_pages
        self.reading_pages = load_pages is not None
        self._shown_version = -1
        self._shown_pages = 0
        self._shown_contacts = -1

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="domain-summary")
        with Horizontal(id="domain-body"):
            with Vertical(id="pages-pane"):
                yield PageTable(PAGE_COLUMNS, id="pages")
                yield Static(id="page-detail")
            with VerticalScroll(id="contacts-pane"):
                yield Static(id="contacts")
                yield Static(id="problems")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = safe_text(self.row.domain)
        self.query_one("#pages", FitTable).focus()
        self.refresh_view()
        self.set_interval(REFRESH_INTERVAL_S, self.refresh_view)
        if self.load_pages is not None:
            # What exists now lives on: keep the cyclic GC from rescanning it while pages
            # pour in (a full collection of the app's heap pauses the screen ~100 ms).
            gc.freeze()
            # After the first frame: the screen shows before the reading competes with it.
            self.call_after_refresh(self._load, self.load_pages)

    @work(thread=True, exclusive=True, group="domain-pages")
    def _load(self, load_pages: PageLoader) -> None:
        """Read the stored pages in this thread; the screen adds them a chunk at a time."""
        chunk: list[PageRecord] = []
        for page in load_pages():
            chunk.append(page)
            if len(chunk) >= LOAD_CHUNK:
                self.app.call_from_thread(self._add_loaded, chunk)
                chunk = []
        self.app.call_from_thread(self._add_loaded, chunk, True)

    def _add_loaded(self, pages: list[PageRecord], last: bool = False) -> None:
        record = self.row.record
        if record is not None:
            self.row.add_stored_pages(record, pages)
        if last:
            gc.freeze()
            self.reading_pages = False
            self.row.version += 1

    def refresh_view(self) -> None:
        """Add the pages that arrived and redraw the summary, only when the domain changed."""
        row = self.row
        behind = len(row.page_rows) != self._shown_pages
        if row.version == self._shown_version and not behind and not (row.active and self.live):
            return
        table = self.query_one("#pages", DataTable)
        with self.app.batch_update():
            if len(row.page_rows) < self._shown_pages:
                # The domain was retried: its earlier pages are gone.
                table.clear()
                self._shown_pages = 0
            end = self._shown_pages + PAGE_ROWS_PER_REFRESH
            for page in row.page_rows[self._shown_pages : end]:
                table.add_row(*page_cells(page))
            if not self._shown_pages and row.page_rows:
                self._show_page(table.cursor_row)
            self._shown_pages = min(len(row.page_rows), end)
            self._find_page_url(table)
            if row.version != self._shown_contacts:
                self._shown_contacts = row.version
                self.query_one("#contacts", Static).update(self._contacts())
                self.query_one("#problems", Static).update(self._problems())
            self.query_one("#domain-summary", Static).update(self._summary())
        self._shown_version = row.version

    def _find_page_url(self, table: DataTable[object]) -> None:
        """Put the cursor on the page asked for, once it is among the listed rows."""
        if self.page_url is None:
            return
        wanted = self.page_url
        for index in range(self._url_scanned, self._shown_pages):
            page = self.row.page_rows[index]
            if wanted in (page.url, page.final_url):
                self.page_url = None
                table.move_cursor(row=index)
                self._show_page(index)
                return
        self._url_scanned = self._shown_pages

    @on(DataTable.RowHighlighted, "#pages")
    def _page_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_page(event.cursor_row)

    def _show_page(self, index: int) -> None:
        """The highlighted page in full: title, first h1, custom fields, URL and error."""
        if not 0 <= index < len(self.row.page_rows):
            return
        page = self.row.page_rows[index]
        text = Text(end="")
        text.append_text(status_code(page.status))
        text.append(" ")
        text.append_text(plain(page.title if page.title is not None else "(no title)", 300))
        if page.h1:
            text.append("\nh1 ", style="dim")
            text.append_text(plain(page.h1[0], 300))
        for name, values in page.fields.items():  # custom fields (--field)
            text.append(f"\n{name} ", style="dim")
            shown = ", ".join(values[:FIELD_VALUES_SHOWN])
            more = len(values) - FIELD_VALUES_SHOWN
            text.append_text(plain(shown + (f" (+{more} more)" if more > 0 else ""), 300))
        text.append("\n")
        text.append_text(plain(page.url, 500, "dim"))
        if page.error:
            text.append("\n")
            text.append_text(plain(page.error, 300, "red"))
        self.query_one("#page-detail", Static).update(text)

    def _summary(self) -> Text:
        row = self.row
        state, style = state_text(row, paused=False)
        text = Text(end="")
        text.append_text(plain(row.domain, style="bold"))
        text.append("  ")
        text.append_text(plain(state, 200, style))
        text.append(f"  {bar(row.pages, self.max_pages)} pages")
        if row.errors:
            text.append(f"  {row.errors} errors", style="red")
        if row.started is not None:
            text.append(f"  {duration(row.elapsed(self.clock()))}")
        if self.reading_pages or self._shown_pages < len(row.page_rows):
            text.append(f"  loading pages… {len(row.page_rows):,}", style="dim")
        final_url = row.record.get("final_url") if row.record else None
        text.append("\n")
        text.append_text(plain(final_url or row.url or row.start_url, 300, "dim"))
        return text

    def _contacts(self) -> Text:
        """Emails, phones and socials, one a line: a long one ends in an ellipsis, never
        wraps mid-address."""
        row = self.row
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        for title, kind in (("Emails", "emails"), ("Phones", "phones"), ("Socials", "socials")):
            values = row.contacts(kind)
            more = max(0, len(values) - CONTACTS_SHOWN) + row.cut.get(kind, 0)
            text.append(f"{title} ({len(values) + row.cut.get(kind, 0):,})\n", style="bold")
            for index, value in enumerate(values):
                if index >= CONTACTS_SHOWN:
                    break
                text.append_text(plain(value, 300))
                text.append("\n")
            if more:
                text.append(f"… and {more:,} more\n", style="dim")
            text.append("\n")
        text.rstrip()
        return text

    def _problems(self) -> Text:
        """The domain's errors, wrapped to the pane."""
        problems = self.row.problems
        text = Text(end="")
        text.append(f"Errors ({len(problems)})\n", style="bold red" if problems else "bold")
        for problem in problems:
            text.append_text(plain(problem, 300))
            text.append("\n")
        return text
