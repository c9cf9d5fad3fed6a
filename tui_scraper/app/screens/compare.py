"""Two stored batches compared: the rows of `tui-scraper compare OLD_ID NEW_ID`, in a table.

The comparison streams both batches' pages from the store, so it runs in a worker
thread and its rows are shown as they come.
"""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from tui_scraper.app.columns import ColumnSpec
from tui_scraper.app.format import plain
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.widgets.fit_table import FitTable
from tui_scraper.compare import Change, compare_batches
from tui_scraper.store import Store, StoreError
from tui_scraper.text import safe_text

LOAD_CHUNK = 500
CHANGE_COLUMNS = (
    ColumnSpec("change", "change", 19),
    ColumnSpec("domain", "domain", 18, flex=1),
    ColumnSpec("item", "item", 20, flex=2),
    ColumnSpec("values", "old -> new", 13, flex=2),
)


def shown_value(value: str | None) -> str:
    """A compared value as `compare --format text` shows it."""
    return "(none)" if value is None else f'"{value}"'


def change_cells(change: Change) -> tuple[Text, ...]:
    """A change's cells in CHANGE_COLUMNS order; every web value shown literally."""
    style = "green" if change.change.value.endswith("_added") else ""
    if change.change.value.endswith("_removed"):
        style = "red"
    values = ""
    if change.old is not None or change.new is not None:
        values = f"{shown_value(change.old)} -> {shown_value(change.new)}"
    return (
        Text(change.change.value, style=style, end=""),
        plain(change.domain, 200),
        plain(change.item, 300, "dim"),
        plain(values, 300),
    )


class CompareScreen(AppScreen):
    """What changed from an older stored batch to a newer one."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="esc"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, old_id: str, new_id: str, store: Store | None) -> None:
        super().__init__()
        self.store = store
        self.old_id = old_id
        self.new_id = new_id
        self.changes: list[Change] = []
        self.reading = True
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="compare-note")
        yield FitTable(CHANGE_COLUMNS, id="changes")
        yield Static(id="change-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"compare {self.old_id[:8]} -> {self.new_id[:8]}"
        self.query_one(FitTable).focus()
        self._draw_note()
        self.call_after_refresh(self._load)

    @work(thread=True, exclusive=True, group="compare")
    def _load(self) -> None:
        """Compare in this thread; the rows go to the screen a chunk at a time."""
        store = self.store
        chunk: list[Change] = []
        try:
            if store is None:
                raise StoreError("no store is open")
            old_id, new_id = self.old_id, self.new_id
            changes = compare_batches(
                store.batch_domains(old_id),
                lambda: store.batch_pages(old_id),
                store.batch_domains(new_id),
                lambda: store.batch_pages(new_id),
            )
            for change in changes:
                chunk.append(change)
                if len(chunk) >= LOAD_CHUNK:
                    self.app.call_from_thread(self._add, chunk)
                    chunk = []
        except (OSError, StoreError) as error:
            self.error = str(error)
        self.app.call_from_thread(self._add, chunk, True)

    def _add(self, changes: list[Change], last: bool = False) -> None:
        table = self.query_one(FitTable)
        with self.app.batch_update():
            for change in changes:
                table.add_row(*change_cells(change), key=str(len(self.changes)))
                self.changes.append(change)
            if last:
                self.reading = False
            if changes and len(self.changes) == len(changes):
                self._show_detail(table.cursor_row)
            self._draw_note()

    def _draw_note(self) -> None:
        text = Text(end="")
        text.append(f"{self.old_id[:8]} -> {self.new_id[:8]}: ", style="bold")
        counts = Counter(change.change.value for change in self.changes)
        total = len(self.changes)
        text.append(f"{total:,} change{'s' if total != 1 else ''}")
        if counts:
            text.append(" · " + ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())))
        if self.reading:
            text.append(" · comparing…", style="dim")
        if self.error:
            text.append(f" · {safe_text(self.error, 200)}", style="red")
        self.query_one("#compare-note", Static).update(text)

    @on(DataTable.RowHighlighted, "#changes")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        """The highlighted change in full."""
        if not 0 <= index < len(self.changes):
            return
        change = self.changes[index]
        text = Text(end="")
        text.append(f"{change.change.value} ", style="bold")
        text.append_text(plain(change.item, 500))
        if change.old is not None or change.new is not None:
            text.append("\nold ", style="dim")
            text.append(safe_text(shown_value(change.old), 500))
            text.append("\nnew ", style="dim")
            text.append(safe_text(shown_value(change.new), 500))
        self.query_one("#change-detail", Static).update(text)
