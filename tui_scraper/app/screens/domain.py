"""The domain screen: one domain's pages as they arrive, its merged contacts and its errors."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from tui_scraper.app.format import bar, duration, plain, state_text, status_code
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.state import Clock, DomainRow, PageRow
from tui_scraper.app.widgets.fit_table import ColumnSpec, FitTable
from tui_scraper.text import safe_text

REFRESH_INTERVAL_S = 0.25
FIELD_VALUES_SHOWN = 5  # of a custom field, in the page detail
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


def page_cells(page: PageRow) -> tuple[Text, ...]:
    """A page's cells in PAGE_COLUMNS order; every web value shown literally."""
    title = page.title if page.title is not None else (page.error or "")
    return (
        status_code(page.status),
        plain(title, 200, "" if page.title is not None else "red"),
        Text(f"+{duration(page.at)}" if page.at is not None else "", end=""),
        plain(", ".join(page.emails), 200),
        plain(page.url, 300, "dim"),
    )


class DomainScreen(AppScreen):
    """A domain's pages, contacts and errors; live while its batch runs."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="esc", tooltip="Back to the table"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, row: DomainRow, *, live: bool, max_pages: int, clock: Clock) -> None:
        super().__init__()
        self.row = row
        self.live = live
        self.max_pages = max_pages
        self.clock = clock
        self._shown_version = -1
        self._shown_pages = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="domain-summary")
        with Horizontal(id="domain-body"):
            with Vertical(id="pages-pane"):
                yield PageTable(PAGE_COLUMNS, id="pages")
                yield Static(id="page-detail")
            with VerticalScroll(id="contacts-pane"):
                yield Static(id="contacts")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = safe_text(self.row.domain)
        self.query_one("#pages", FitTable).focus()
        self.refresh_view()
        if self.live:
            self.set_interval(REFRESH_INTERVAL_S, self.refresh_view)

    def refresh_view(self) -> None:
        """Add the pages that arrived and redraw the summary, only when the domain changed."""
        row = self.row
        if row.version == self._shown_version and not (row.active and self.live):
            return
        table = self.query_one("#pages", DataTable)
        with self.app.batch_update():
            if len(row.page_rows) < self._shown_pages:
                # The domain was retried: its earlier pages are gone.
                table.clear()
                self._shown_pages = 0
            for page in row.page_rows[self._shown_pages :]:
                table.add_row(*page_cells(page))
            if not self._shown_pages and row.page_rows:
                self._show_page(table.cursor_row)
            self._shown_pages = len(row.page_rows)
            if row.version != self._shown_version:
                self.query_one("#contacts", Static).update(self._contacts())
            self.query_one("#domain-summary", Static).update(self._summary())
        self._shown_version = row.version

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
        final_url = row.record.get("final_url") if row.record else None
        text.append("\n")
        text.append_text(plain(final_url or row.url or row.start_url, 300, "dim"))
        return text

    def _contacts(self) -> Text:
        row = self.row
        text = Text(end="")
        sections = (
            ("Emails", list(row.emails)),
            ("Phones", list(row.phones)),
            ("Socials", list(row.socials)),
            ("Errors", row.problems),
        )
        for index, (title, values) in enumerate(sections):
            if index:
                text.append("\n")
            style = "bold red" if title == "Errors" and values else "bold"
            text.append(f"{title} ({len(values)})\n", style=style)
            for value in values:
                text.append_text(plain(value, 300))
                text.append("\n")
        return text
