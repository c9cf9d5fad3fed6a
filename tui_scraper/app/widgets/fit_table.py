"""A row-cursor DataTable whose columns share out the terminal's width.

Built on DataTable's public API only (its `columns` and their widths, `virtual_size`,
`notify_style_update`), so any Textual 8.x draws it the same way.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui_scraper.app.columns import ColumnSpec, fitted_widths


class FitTable(DataTable[Text]):
    """Columns keep their 80-column widths and the flexible ones grow with the terminal."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", key_display="⏎")]

    def __init__(self, columns: tuple[ColumnSpec, ...], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.specs = columns

    def on_mount(self) -> None:
        for spec in self.specs:
            self.add_column(spec.label, width=spec.width, key=spec.key)

    def on_resize(self, event: Resize) -> None:
        self.fit_columns(event.size.width)

    def fit_columns(self, width: int) -> None:
        """Give the width beyond the columns' own to the flexible ones, by their share."""
        # The vertical scrollbar's room is always kept, so columns do not jump when it shows.
        available = width - self.styles.scrollbar_size_vertical
        widths = fitted_widths(self.specs, available, 2 * self.cell_padding)
        changed = False
        for spec, fitted in zip(self.specs, widths, strict=True):
            column = self.columns.get(ColumnKey(spec.key))
            if column is not None and column.width != fitted:
                column.width = fitted
                changed = True
        if not changed:
            return
        # DataTable measures its width only when rows or columns come or go: set it here.
        total = sum(column.get_render_width(self) for column in self.ordered_columns)
        self.virtual_size = Size(total, self.virtual_size.height)
        # Its rendered rows and lines are cached by the old widths: drop them and redraw.
        self.notify_style_update()

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        row_key, _column = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value
