"""The batch table: a line-API widget that lists the domains of `TableView`, drawing only
the rows on screen.

A `DataTable` holds a row object per domain and re-sorts or filters by moving all
of them; with 100,000 domains that costs seconds. This table keeps the view as a
list of job ids and makes cells only for the rows in sight, so sorting, filtering
and a batch of any size cost a list and a screenful of cells per redraw.
"""

from __future__ import annotations

import contextlib

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_scraper.app.columns import fitted_widths
from tui_scraper.app.format import COLUMN_KEYS, domain_columns, row_cells
from tui_scraper.app.state import BatchState
from tui_scraper.app.view import LIVE_SORTS, SORT_COLUMNS, SortKey, TableView

# Strips kept: every visible row of a big terminal in both cursor states, several times.
STRIP_CACHE_SIZE = 1024
# A sorted view of more domains than this is redone at most once a RESORT_INTERVAL_S.
BIG_VIEW = 5000
RESORT_INTERVAL_S = 1.0
CELL_PADDING = 1


def _same(a: tuple[Text, ...], b: tuple[Text, ...]) -> bool:
    return all(x.plain == y.plain and x.style == y.style for x, y in zip(a, b, strict=True))


class DomainTable(ScrollView, can_focus=True):
    """The batch's domains in the view's order, one line each, under a fixed header."""

    COMPONENT_CLASSES = {
        "domain-table--header",
        "domain-table--cursor",
        "domain-table--even-row",
    }
    DEFAULT_CSS = """
    DomainTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
            & > .domain-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .domain-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .domain-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .domain-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .domain-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .domain-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS = [
        Binding("enter", "select", "Open", key_display="⏎", tooltip="Open the domain's pages"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1_000_000_000)", "First", show=False),
        Binding("end", "move(1_000_000_000)", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another domain."""

        def __init__(self, job_id: str | None) -> None:
            super().__init__()
            self.job_id = job_id

    class Selected(Message):
        """Enter (or a click on the highlighted row) chose a domain."""

        def __init__(self, job_id: str) -> None:
            super().__init__()
            self.job_id = job_id

    def __init__(self, max_pages: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.specs = domain_columns(max_pages)
        self.widths = [spec.width for spec in self.specs]
        self.view = TableView()
        self.jobs: list[str] = []
        """The job ids listed, in order."""
        self.cursor_row = 0
        self.cursor_moved = False
        """Whether the user moved the cursor: until then it stays on the top row."""
        self.state: BatchState | None = None
        self._now = 0.0
        self._view_key: tuple[object, ...] | None = None
        self._sorted_at = 0.0
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._versions: dict[str, int] = {}
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(STRIP_CACHE_SIZE)

    # -- the data -------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many domains the view lists."""
        return len(self.jobs)

    def selected_job(self) -> str | None:
        """The job id of the row under the cursor."""
        return self.jobs[self.cursor_row] if 0 <= self.cursor_row < len(self.jobs) else None

    def get_cell(self, job_id: str, key: str) -> Text:
        """A domain's cell as the table draws it."""
        assert self.state is not None
        cells = row_cells(self.state.rows[job_id], self._now, self.state.max_pages, False)
        return cells[COLUMN_KEYS.index(key)]

    def sync(self, state: BatchState, now: float, *, force: bool = False) -> None:
        """Take the view's order if it moved, and redraw the visible rows whose cells changed."""
        self.state, self._now = state, now
        view = self.view
        key = (state.view_version, view.sort, view.descending, view.filter, view.search)
        stale = key != self._view_key or (view.sort in LIVE_SORTS and bool(state.active))
        if stale and view.sort != SortKey.STATE and len(self.jobs) > BIG_VIEW:
            # A sorted view of many domains follows the crawl once a second, not every flush.
            stale = now - self._sorted_at >= RESORT_INTERVAL_S
        if force or stale:
            self._view_key = key
            self._sorted_at = now
            self._set_jobs(view.rows(state, now))
        top = round(self.scroll_y)
        cells: dict[str, tuple[Text, ...]] = {}
        for offset, job_id in enumerate(self.jobs[top : top + self._visible_rows()]):
            new = row_cells(state.rows[job_id], now, state.max_pages, state.paused)
            old = self._cells.get(job_id)
            if old is None or not _same(old, new):
                self._versions[job_id] = self._versions.get(job_id, 0) + 1
                self.refresh_line(offset + 1)
            cells[job_id] = new
        self._cells = cells

    def _set_jobs(self, jobs: list[str]) -> None:
        selected = self.selected_job()
        self.jobs = jobs
        self.virtual_size = Size(self.size.width, len(jobs) + 1)
        index = self.cursor_row
        if selected is not None and self.cursor_moved:
            # Filtered out: the cursor stays where it was.
            with contextlib.suppress(ValueError):
                index = jobs.index(selected)
        self.cursor_row = max(0, min(index, len(jobs) - 1))
        self._scroll_to_cursor()
        self.refresh()
        if self.selected_job() != selected:
            self.post_message(self.Highlighted(self.selected_job()))

    def _visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    # -- the cursor -----------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor by `delta` rows."""
        self._move_to(self.cursor_row + delta)

    def action_page(self, pages: int) -> None:
        """Move the cursor by a screenful."""
        self._move_to(self.cursor_row + pages * self._visible_rows())

    def action_select(self) -> None:
        """Open the domain under the cursor."""
        job_id = self.selected_job()
        if job_id is not None:
            self.post_message(self.Selected(job_id))

    def _move_to(self, index: int) -> None:
        self.cursor_moved = True
        index = max(0, min(index, len(self.jobs) - 1))
        if index == self.cursor_row or not self.jobs:
            return
        self.refresh_line(self.cursor_row - round(self.scroll_y) + 1)
        self.cursor_row = index
        self._scroll_to_cursor()
        self.refresh_line(self.cursor_row - round(self.scroll_y) + 1)
        self.post_message(self.Highlighted(self.selected_job()))

    def _scroll_to_cursor(self) -> None:
        top, rows = round(self.scroll_y), self._visible_rows()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True, force=True)
        elif self.cursor_row >= top + rows:
            target = self.cursor_row - rows + 1
            self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = round(self.scroll_y) + event.y - 1
        if index == self.cursor_row:
            self.action_select()
        elif index < len(self.jobs):
            self._move_to(index)

    # -- drawing --------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Give the width beyond the columns' own to the flexible ones, by their share."""
        # The scrollbar's room is always kept, so columns do not jump when it shows.
        available = event.size.width - self.styles.scrollbar_size_vertical
        self.widths = fitted_widths(self.specs, available, 2 * CELL_PADDING)
        self.virtual_size = Size(event.size.width, len(self.jobs) + 1)
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self.refresh()

    def refresh_line(self, y: int) -> None:
        """Repaint one line of the widget (0 is the header)."""
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.jobs) or self.state is None:
            return Strip.blank(width, self.rich_style)
        job_id = self.jobs[index]
        cells = self._cells.get(job_id)
        if cells is None:  # scrolled to since the last sync
            state = self.state
            cells = row_cells(state.rows[job_id], self._now, state.max_pages, state.paused)
            self._cells[job_id] = cells
        cursor = index == self.cursor_row
        key = (job_id, self._versions.get(job_id, 0), cursor, index % 2, width)
        strip = self._strips.get(key)
        if strip is None:
            style = self.rich_style
            if index % 2:
                style += self.get_component_rich_style("domain-table--even-row")
            if cursor:
                style += self.get_component_rich_style("domain-table--cursor")
            strip = self._line(cells, style, width)
            self._strips.set(key, strip)
        return strip

    def _header(self, width: int) -> Strip:
        view = self.view
        key = ("header", width, view.sort, view.descending)
        strip = self._strips.get(key)
        if strip is None:
            sorted_column = SORT_COLUMNS[view.sort]
            arrow = "▲" if view.descending else "▼"
            labels: list[Text] = []
            for spec, column_width in zip(self.specs, self.widths, strict=True):
                label = spec.label
                if spec.key == sorted_column:
                    label = f"{label[: column_width - 1]}{arrow}"
                labels.append(Text(label, end=""))
            style = self.rich_style + self.get_component_rich_style("domain-table--header")
            strip = self._line(tuple(labels), style, width)
            self._strips.set(key, strip)
        return strip

    def _line(self, cells: tuple[Text, ...], style: Style, width: int) -> Strip:
        line = Text(end="", no_wrap=True)
        pad = " " * CELL_PADDING
        room = width - self.styles.scrollbar_size_vertical
        for column_width, cell in zip(self.widths, cells, strict=False):
            room -= column_width + 2 * CELL_PADDING
            if room < 0 and line:
                break  # a column that does not fit is left out, not cut
            cell = cell.copy()
            cell.truncate(column_width, overflow="ellipsis", pad=True)
            line.append(pad)
            line.append_text(cell)
            line.append(pad)
        segments = list(line.render(self.app.console))
        strip = Strip(Segment.apply_style(segments, style))
        return strip.adjust_cell_length(width, style)
