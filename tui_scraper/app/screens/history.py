"""Earlier batches from the store: list them, open one read-only, export it, resume it,
see its findings, or mark two and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from tui_scraper.app.columns import ColumnSpec
from tui_scraper.app.format import PHASE_STYLES, duration, plain, stop_words
from tui_scraper.app.messages import OpenDomain, OpenFindings, ResumeBatch
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.screens.compare import CompareScreen
from tui_scraper.app.widgets.fit_table import FitTable
from tui_scraper.engine.events import BatchStatus, DomainRecord, Phase
from tui_scraper.export import PAGE_FIELDS, write_rows
from tui_scraper.store import Store
from tui_scraper.text import safe_text

BATCH_COLUMNS = (
    ColumnSpec("batch", "batch", 8),
    ColumnSpec("created", "created (UTC)", 16),
    ColumnSpec("status", "status", 11),
    ColumnSpec("domains", "domains", 7),
    ColumnSpec("done", "done", 5),
    ColumnSpec("failed", "failed", 6),
    ColumnSpec("cancelled", "cancel", 6),
    ColumnSpec("pages", "pages", 7),
)
STORED_DOMAIN_COLUMNS = (
    ColumnSpec("domain", "domain", 22, flex=1),
    ColumnSpec("status", "status", 28, flex=2),
    ColumnSpec("pages", "pages", 5),
    ColumnSpec("errors", "err", 3),
    ColumnSpec("emails", "emails", 6),
    ColumnSpec("elapsed", "time", 6),
)
FINISHED = frozenset({"done", "failed", "cancelled"})
STATUS_STYLES = {
    BatchStatus.COMPLETED.value: "green",
    BatchStatus.RUNNING.value: "bold cyan",
    BatchStatus.INTERRUPTED.value: "yellow",
    BatchStatus.CANCELLED.value: "magenta",
}
# Mark and compare share one footer entry, so every key fits in 80 columns.
COMPARE = Binding.Group("Compare", compact=True)
MARK = "✓"


def export_path(store_path: str, batch_id: str) -> Path:
    """Where a batch's pages are exported: beside the store, named after the batch."""
    store = Path(store_path)
    return store.with_name(f"{store.stem}-{batch_id}-pages.jsonl")


def export_pages(store: Store, batch_id: str) -> tuple[Path, int]:
    """Write the batch's pages as `tui-scraper export --format jsonl` does, next to the store."""
    path = export_path(store.path, batch_id)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        count = write_rows(store.batch_pages(batch_id), PAGE_FIELDS, "jsonl", handle)
    # Renamed into place so a reader never sees half an export.
    tmp.replace(path)
    return path, count


def created_text(value: object) -> str:
    """`2024-05-01T10:00:00.000Z` as `2024-05-01 10:00`."""
    text = str(value or "")
    return text[:16].replace("T", " ") if text else "-"


class StoredBatchActions(AppScreen):
    """Export and resume of a stored batch, shared by the history and batch views."""

    def __init__(self, store: Store | None) -> None:
        """`store`: the app's store, None if it could not be opened."""
        super().__init__()
        self.store = store

    def _batch_doc(self, batch_id: str) -> dict[str, Any] | None:
        store = self.store
        return store.batch(batch_id) if store is not None else None

    @work(thread=True, exclusive=True, group="export")
    def export_batch(self, batch_id: str) -> None:
        """Write the export in a thread: a big batch must not freeze the screen."""
        store = self.store
        if store is None:
            return
        try:
            path, count = export_pages(store, batch_id)
        except OSError as error:
            self.app.call_from_thread(
                self.app.notify,
                safe_text(f"export failed: {error}"),
                severity="error",
                markup=False,
            )
            return
        if self.app.is_web:
            # In a browser the file is on the server's disk: hand it over as a download too.
            self.app.call_from_thread(
                self.app.deliver_binary, path, mime_type="application/x-ndjson"
            )
        self.app.call_from_thread(
            self.app.notify,
            safe_text(f"{count} pages written to {path}"),
            title="Exported, downloading" if self.app.is_web else "Exported",
            markup=False,
        )

    def show_findings(self, batch_id: str) -> None:
        """The batch's findings: from the store, or live if it is the batch running here
        (the store's open chunk is being written then): the app knows which."""
        self.post_message(OpenFindings(batch_id))

    def resume_batch(self, batch_id: str) -> None:
        """Finish an unfinished batch here, with its saved settings."""
        doc = self._batch_doc(batch_id)
        if doc is None:
            return
        if doc.get("status") not in (BatchStatus.INTERRUPTED.value, BatchStatus.RUNNING.value):
            self.app.notify(
                f"batch {batch_id[:8]} is {doc.get('status')}: nothing to resume", markup=False
            )
            return
        self.post_message(ResumeBatch(batch_id))


class HistoryScreen(StoredBatchActions):
    """Every batch in the store, oldest first."""

    BINDINGS = [
        Binding("e", "export", "Export", tooltip="Write the batch's pages as JSON Lines"),
        Binding("r", "resume", "Resume", tooltip="Finish an interrupted batch"),
        Binding(
            "i", "findings", "Findings", tooltip="The batch's findings, as `report` lists them"
        ),
        Binding("m", "mark", "Mark", group=COMPARE, tooltip="Mark or unmark a batch to compare"),
        Binding(
            "c",
            "compare",
            "Compare",
            group=COMPARE,
            tooltip="Compare the two marked batches (or the marked one and the selected one)",
        ),
        Binding("f5", "reload", "Reload", key_display="F5", tooltip="Read the store again"),
        Binding("escape", "app.pop_screen", "Back", key_display="esc"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, store: Store | None, store_error: str | None = None) -> None:
        """`store_error`: why the store is not open (or not for writing), shown if it is not."""
        super().__init__(store)
        self.store_error = store_error
        self.marked: list[str] = []
        """Batches marked to compare, in the order they were marked (two at most)."""
        self.position: dict[str, int] = {}
        """Each batch's place in the store, oldest first: the older of two is compared from."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="history-note")
        yield FitTable(BATCH_COLUMNS, id="batches")
        # No room for "^p palette" beside every key at 80 columns; help lists ctrl+p.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = "history"
        self.query_one(FitTable).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """List the store's batches again, newest first."""
        store = self.store
        table = self.query_one(FitTable)
        note = self.query_one("#history-note", Static)
        if store is None:
            note.update(Text(safe_text(self.store_error or "no store"), style="red", end=""))
            return
        batches = store.all_batches()
        cursor = table.cursor_row
        table.clear()
        seen: set[str] = set()
        self.position = {str(doc.get("batch_id")): n for n, doc in enumerate(batches)}
        for doc in reversed(batches):  # newest first: that is usually the one wanted
            batch_id = str(doc.get("batch_id"))
            if batch_id in seen:
                continue  # a damaged store may repeat a batch; one row is enough
            seen.add(batch_id)
            counts = doc.get("counts") or {}
            status = str(doc.get("status") or "")
            table.add_row(
                self._batch_cell(batch_id),
                Text(created_text(doc.get("created_at")), end=""),
                Text(status, style=STATUS_STYLES.get(status, ""), end=""),
                *(
                    Text(str(counts.get(key, 0)), end="")
                    for key in ("domains", "done", "failed", "cancelled", "pages")
                ),
                key=batch_id,
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        message = (
            f"{len(batches)} batch{'es' if len(batches) != 1 else ''} in {store.path}"
            if batches
            else f"no batch in {store.path} yet"
        )
        self.marked = [batch_id for batch_id in self.marked if batch_id in seen]
        if self.marked:
            message += f" · marked {', '.join(b[:8] for b in self.marked)}: c compares"
        note.update(Text(safe_text(message), end=""))

    def _batch_cell(self, batch_id: str) -> Text:
        if batch_id in self.marked:
            return Text(f"{MARK}{batch_id[:7]}", style="bold reverse", end="")
        return plain(batch_id[:8])

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        batch_id = str(event.row_key.value)
        self.app.push_screen(StoredBatchScreen(batch_id, self.store))

    def action_export(self) -> None:
        """Export the selected batch's pages."""
        batch_id = self.query_one(FitTable).selected_key()
        if batch_id:
            self.export_batch(batch_id)

    def action_resume(self) -> None:
        """Resume the selected batch."""
        batch_id = self.query_one(FitTable).selected_key()
        if batch_id:
            self.resume_batch(batch_id)

    def action_findings(self) -> None:
        """Show the selected batch's findings."""
        batch_id = self.query_one(FitTable).selected_key()
        if batch_id:
            self.show_findings(batch_id)

    def action_mark(self) -> None:
        """Mark the selected batch to compare, or unmark it; a third mark drops the first."""
        batch_id = self.query_one(FitTable).selected_key()
        if not batch_id:
            return
        if batch_id in self.marked:
            self.marked.remove(batch_id)
        else:
            self.marked.append(batch_id)
            del self.marked[:-2]
        self.action_reload()

    def action_compare(self) -> None:
        """Compare two batches: the marked two, or the one marked and the selected one."""
        pair = list(self.marked)
        selected = self.query_one(FitTable).selected_key()
        if len(pair) == 1 and selected and selected not in pair:
            pair.append(selected)
        if len(pair) != 2:
            self.app.notify("mark two batches with m first (or one, and select the other)")
            return
        old_id, new_id = sorted(pair, key=lambda batch_id: self.position.get(batch_id, 0))
        self.app.push_screen(CompareScreen(old_id, new_id, self.store))


def stored_status(record: DomainRecord) -> tuple[str, str]:
    """A stored domain's status cell: status and stop reason or error."""
    status = str(record.get("status") or "")
    phase = {
        "done": Phase.DONE,
        "failed": Phase.FAILED,
        "cancelled": Phase.CANCELLED,
        "running": Phase.CRAWLING,
    }.get(status, Phase.QUEUED)
    if status == "running":
        return "unfinished", PHASE_STYLES[phase]
    error = record.get("error") if status == "failed" else None
    text = stop_words(record.get("stop_reason"), error) if status in FINISHED else status
    return text or status, PHASE_STYLES[phase]


class StoredBatchScreen(StoredBatchActions):
    """A stored batch, read-only: its domains; enter opens a domain's stored pages."""

    BINDINGS = [
        Binding("e", "export", "Export", tooltip="Write the batch's pages as JSON Lines"),
        Binding("r", "resume", "Resume", tooltip="Finish an interrupted batch"),
        Binding(
            "i", "findings", "Findings", tooltip="The batch's findings, as `report` lists them"
        ),
        Binding("escape", "app.pop_screen", "Back", key_display="esc"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, batch_id: str, store: Store | None) -> None:
        super().__init__(store)
        self.batch_id = batch_id
        self.records: dict[str, DomainRecord] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="stored-summary")
        yield FitTable(STORED_DOMAIN_COLUMNS, id="stored-domains")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"batch {self.batch_id[:8]} (stored)"
        table = self.query_one(FitTable)
        table.focus()
        store = self.store
        doc = self._batch_doc(self.batch_id)
        if store is None or doc is None:
            return
        for record in store.batch_domains(self.batch_id):
            self.records[record["job_id"]] = record
            status, style = stored_status(record)
            pages = (record.get("pages_ok") or 0) + (record.get("pages_failed") or 0)
            failed = record.get("pages_failed") or 0
            table.add_row(
                plain(record["domain"]),
                plain(status, 200, style),
                Text(str(pages), end=""),
                Text(str(failed) if failed else "", style="red", end=""),
                Text(str(len(record.get("emails") or [])), end=""),
                Text(duration(record.get("elapsed_s")), end=""),
                key=record["job_id"],
            )
        counts = doc.get("counts") or {}
        summary = Text(end="")
        summary.append(f"{safe_text(self.batch_id)} ", style="bold")
        status = str(doc.get("status") or "")
        summary.append(status, style=STATUS_STYLES.get(status, ""))
        summary.append(
            f" · created {created_text(doc.get('created_at'))}"
            f" · {counts.get('domains', 0)} domains · {counts.get('pages', 0)} pages"
        )
        if doc.get("rejected"):
            summary.append(f" · {len(doc['rejected'])} lines rejected", style="red")
        self.query_one("#stored-summary", Static).update(summary)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        record = self.records.get(str(event.row_key.value))
        if record is not None:
            self.post_message(
                OpenDomain(self.batch_id, record["domain"], record["job_id"], stored=True)
            )

    def action_export(self) -> None:
        """Export the selected batch's pages."""
        self.export_batch(self.batch_id)

    def action_resume(self) -> None:
        """Resume the selected batch."""
        self.resume_batch(self.batch_id)

    def action_findings(self) -> None:
        """Show the batch's findings."""
        self.show_findings(self.batch_id)
