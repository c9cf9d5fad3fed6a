"""A row-cursor DataTable whose columns share out the terminal's width and which redraws
only the rows that changed.

`DataTable.update_cell` repaints the whole table and invalidates every cached cell
(its cache keys hold a table-wide update count), so a live table that changes a few
cells five times a second re-renders every visible cell every time. This table
repaints only the updated row and keeps its own caches of cells, rows and lines
keyed by a per-row version, so an update re-renders that row only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellType, ColumnKey, RowKey

# Enough for every visible cell of a big terminal several times over.
CELL_CACHE_SIZE = 8192


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column: its key, its header, its width at 80 columns and its share of any extra."""

    key: str
    label: str
    width: int
    flex: int = 0


class FitTable(DataTable[Text]):
    """Columns keep their 80-column widths and the flexible ones grow with the terminal."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", key_display="⏎")]

    def __init__(self, columns: tuple[ColumnSpec, ...], *, id: str | None = None) -> None:
        self._row_versions: dict[Any, int] = {}
        self._cells: LRUCache[tuple[Any, ...], list[list[Segment]]] = LRUCache(CELL_CACHE_SIZE)
        self._lines: LRUCache[tuple[Any, ...], Any] = LRUCache(CELL_CACHE_SIZE)
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(CELL_CACHE_SIZE)
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.specs = columns

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        """Set a cell and repaint only its row (DataTable repaints the whole table)."""
        if update_width:
            super().update_cell(row_key, column_key, value, update_width=True)
        else:
            row = row_key if isinstance(row_key, RowKey) else RowKey(row_key)
            column = column_key if isinstance(column_key, ColumnKey) else ColumnKey(column_key)
            row_index = self._row_locations.get(row)
            if row_index is None or column not in self._column_locations:
                raise CellDoesNotExist(f"No cell exists for {row_key!r}, {column_key!r}.")
            self._data[row][column] = value
            self._update_count += 1
            # Every row of these tables is one line high, so the row's line is its index.
            y = row_index + (self.header_height if self.show_header else 0)
            self._refresh_region(Region(0, y, max(self.size.width, self.virtual_size.width), 1))
        key = row_key.value if isinstance(row_key, RowKey) else row_key
        self._row_versions[key] = self._row_versions.get(key, 0) + 1

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._clear_own_caches()

    def notify_style_update(self) -> None:
        # A theme or CSS change restyles every cell; DataTable clears its caches here too.
        super().notify_style_update()
        self._clear_own_caches()

    def _clear_own_caches(self) -> None:
        self._cells.clear()
        self._lines.clear()
        self._strips.clear()

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """A screen line of a data row from the per-row cache (the header as DataTable does)."""
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row_index = self._row_locations.get(row_key)
        if row_index is None or self.cursor_type != "row":
            return super()._render_line(y, x1, x2, base_style)
        cache_key = (
            y,
            x1,
            x2,
            self.size.width,
            row_key,
            line_no,
            base_style,
            self.cursor_row == row_index,
            self.hover_row == row_index,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
            self._row_versions.get(row_key.value, 0),
        )
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = super()._render_line(y, x1, x2, base_style)
            self._strips.set(cache_key, strip)
        return strip

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Any,
        hover_location: Any,
    ) -> Any:
        """A data row's line from the per-row cache: only the cursor's own rows depend on it."""
        row_index = self._row_locations.get(row_key)
        if row_index is None or self.cursor_type != "row" or self._labelled_row_exists:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cache_key = (
            row_key,
            row_index,
            line_no,
            base_style,
            cursor_location.row == row_index,
            hover_location.row == row_index,
            self.show_cursor,
            self._show_hover_cursor,
            self._pseudo_class_state,
            self.size.width,
            self._row_versions.get(row_key.value, 0),
        )
        lines = self._lines.get(cache_key)
        if lines is None:
            lines = super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
            self._lines.set(cache_key, lines)
        return lines

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A data cell from this table's per-row cache; headers and labels as DataTable does."""
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        cache_key = (
            row_key,
            row_index,
            column_index,
            base_style,
            width,
            cursor,
            hover,
            self._show_hover_cursor,
            self._pseudo_class_state,
            self._row_versions.get(row_key.value if row_key is not None else None, 0),
        )
        lines = self._cells.get(cache_key)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._cells.set(cache_key, lines)
        return lines

    def on_mount(self) -> None:
        for spec in self.specs:
            self.add_column(spec.label, width=spec.width, key=spec.key)

    def on_resize(self, event: Resize) -> None:
        self.fit_columns(event.size.width)

    def fit_columns(self, width: int) -> None:
        """Give the width beyond the columns' own to the flexible ones, by their share."""
        # The vertical scrollbar's room is always kept, so columns do not jump when it shows.
        available = width - self.styles.scrollbar_size_vertical
        padding = 2 * self.cell_padding
        extra = available - sum(spec.width + padding for spec in self.specs)
        shares = sum(spec.flex for spec in self.specs)
        changed = False
        for spec in self.specs:
            grow = extra * spec.flex // shares if extra > 0 and shares else 0
            column = self.columns.get(ColumnKey(spec.key))
            if column is not None and column.width != spec.width + grow:
                column.width = spec.width + grow
                changed = True
        if changed:
            # DataTable re-measures only for new rows; ask it to recompute its virtual size.
            self._require_update_dimensions = True
            self._clear_caches()
            self.refresh()

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        row_key, _column = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
