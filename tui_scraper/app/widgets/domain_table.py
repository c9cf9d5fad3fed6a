"""The batch table: one row per domain, updated from `BatchState` only where a cell changed."""

from __future__ import annotations

from rich.text import Text

from tui_scraper.app.format import COLUMN_KEYS, domain_columns, row_cells
from tui_scraper.app.state import BatchState
from tui_scraper.app.widgets.fit_table import FitTable


def _same(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.style == b.style


class DomainTable(FitTable):
    """The batch's table keyed by job id; `sync(state)` applies the state's dirty rows."""

    def __init__(self, max_pages: int, *, id: str | None = None) -> None:
        super().__init__(domain_columns(max_pages), id=id)
        self.shown: dict[str, tuple[Text, ...]] = {}

    def sync(self, state: BatchState, now: float) -> int:
        """Add new rows and update changed cells; returns the number of cells updated."""
        updated = 0
        if state.structure_changed:
            state.structure_changed = False
            new = [job_id for job_id in state.order if job_id not in self.shown]
            for job_id in new:
                cells = row_cells(state.rows[job_id], now, state.max_pages, state.paused)
                self.shown[job_id] = cells
            # The table measures new rows once, at its next render, however many arrive.
            for job_id in new:
                self.add_row(*self.shown[job_id], key=job_id)
        for job_id in state.take_dirty():
            row = state.rows.get(job_id)
            shown = self.shown.get(job_id)
            if row is None or shown is None:
                continue
            cells = row_cells(row, now, state.max_pages, state.paused)
            for key, old, new_cell in zip(COLUMN_KEYS, shown, cells, strict=True):
                if not _same(old, new_cell):
                    self.update_cell(job_id, key, new_cell)
                    updated += 1
            self.shown[job_id] = cells
        return updated

    def refresh_all(self, state: BatchState, now: float) -> None:
        """Mark every row dirty (pause changes every running row's state text)."""
        state.dirty.update(self.shown)

    def selected_job(self) -> str | None:
        """The job id of the row under the cursor."""
        return self.selected_key()
