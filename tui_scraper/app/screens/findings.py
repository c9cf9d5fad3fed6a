"""The findings view: a batch's findings as `tui-scraper report` lists them, filterable by kind.

A running batch's findings come from its event stream (`LiveFindings`), redrawn on a
timer; a stored batch's are computed by `batch_findings` over the store in a worker
thread and shown as they come, so a big batch answers keys while it is read.
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
from tui_scraper.app.live_findings import LiveFindings
from tui_scraper.app.messages import OpenDomain
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.widgets.fit_table import FitTable
from tui_scraper.findings import Finding, FindingKind, batch_findings
from tui_scraper.store import Store
from tui_scraper.text import safe_text

REFRESH_INTERVAL_S = 0.5
# Rows added to the table per redraw, so thousands of findings fill it without a stall.
ROWS_PER_REFRESH = 200
# Findings handed from the reading thread to the screen at a time.
LOAD_CHUNK = 500
FINDING_COLUMNS = (
    ColumnSpec("kind", "kind", 21),
    ColumnSpec("domain", "domain", 18, flex=1),
    ColumnSpec("url", "url", 16, flex=2),
    ColumnSpec("detail", "detail", 15, flex=2),
)
# Findings about a whole domain; every other kind is about the page at its URL.
DOMAIN_KINDS = frozenset({FindingKind.NO_CONTACT, FindingKind.ROBOTS_BLOCKED, FindingKind.INSECURE})
KIND_STYLES = {
    FindingKind.BROKEN_LINK: "red",
    FindingKind.INSECURE: "red",
    FindingKind.REDIRECT_CHAIN: "yellow",
    FindingKind.NO_CONTACT: "magenta",
    FindingKind.ROBOTS_BLOCKED: "dim",
}


def finding_cells(finding: Finding) -> tuple[Text, ...]:
    """A finding's cells in FINDING_COLUMNS order; every web value shown literally."""
    return (
        Text(finding.kind.value, style=KIND_STYLES.get(finding.kind, ""), end=""),
        plain(finding.domain, 200),
        plain(finding.url, 300, "dim"),
        plain(finding.detail, 300),
    )


class FindingsScreen(AppScreen):
    """One batch's findings; `k` filters by kind, enter opens the finding's page or domain."""

    BINDINGS = [
        Binding("k", "next_kind", "Kind", tooltip="Show the next kind of finding only (or all)"),
        Binding("K", "previous_kind", "Kind back", key_display="K", show=False),
        Binding("escape", "app.pop_screen", "Back", key_display="esc"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self, batch_id: str, live: LiveFindings | None = None, store: Store | None = None
    ) -> None:
        """`live`: the running batch's findings; without it they are read from `store`."""
        super().__init__()
        self.batch_id = batch_id
        self.live = live
        self.store = store
        self.found: list[Finding] = []
        self.reading = live is None
        self.kind: FindingKind | None = None
        self.shown: list[Finding] = []
        """The findings in the table, in its order (the filter's)."""
        self._seen = 0  # of `found`, how many the filter has looked at
        self._generation = -1
        self._counts: Counter[FindingKind] = Counter()
        self._note_plain = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="findings-note")
        yield FitTable(FINDING_COLUMNS, id="findings")
        yield Static(id="finding-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"batch {self.batch_id[:8]} · findings"
        self.query_one(FitTable).focus()
        self.refresh_view()
        self.set_interval(REFRESH_INTERVAL_S, self.refresh_view)
        if self.live is None:
            self.call_after_refresh(self._load)

    @work(thread=True, exclusive=True, group="findings")
    def _load(self) -> None:
        """Compute the stored batch's findings in this thread, a chunk at a time."""
        store = self.store
        chunk: list[Finding] = []
        if store is not None:
            domains = store.batch_domains(self.batch_id)
            for finding in batch_findings(domains, store.batch_pages(self.batch_id)):
                chunk.append(finding)
                if len(chunk) >= LOAD_CHUNK:
                    self.app.call_from_thread(self._add_loaded, chunk)
                    chunk = []
        self.app.call_from_thread(self._add_loaded, chunk, True)

    def _add_loaded(self, findings: list[Finding], last: bool = False) -> None:
        self.found += findings
        if last:
            self.reading = False
        self.refresh_view()

    # -- drawing ----------------------------------------------------------------

    def refresh_view(self) -> None:
        """Take the findings that arrived and add the next rows that pass the filter."""
        live = self.live
        if live is not None:
            if live.generation != self._generation:  # a retry dropped some: start over
                self._generation = live.generation
                self._restart()
            self.found = live.found
        for finding in self.found[self._seen :]:
            self._counts[finding.kind] += 1
            if self.kind is None or finding.kind == self.kind:
                self.shown.append(finding)
        self._seen = len(self.found)
        table = self.query_one(FitTable)
        start = table.row_count
        with self.app.batch_update():
            for index in range(start, min(len(self.shown), start + ROWS_PER_REFRESH)):
                table.add_row(*finding_cells(self.shown[index]), key=str(index))
            if not start and table.row_count:
                self._show_detail(table.cursor_row)
            self._draw_note()

    def _restart(self) -> None:
        self._seen = 0
        self._counts.clear()
        self.shown = []
        self.query_one(FitTable).clear()

    def _draw_note(self) -> None:
        total = sum(self._counts.values())
        text = Text(end="")
        text.append(f"{total:,} finding{'s' if total != 1 else ''}", style="bold")
        if self.kind is not None:
            text.append(f" · kind {self.kind.value}: {self._counts[self.kind]:,} · k for more")
        else:
            kinds = ", ".join(f"{kind.value} {n}" for kind, n in sorted(self._counts.items()))
            text.append(f" · {kinds}" if kinds else " · none yet" if self.live else "")
        if self.reading:
            text.append(" · reading the store…", style="dim")
        elif self.live is not None:
            text.append(" · live", style="dim")
        if text.plain != self._note_plain:
            self._note_plain = text.plain
            self.query_one("#findings-note", Static).update(text)

    @on(DataTable.RowHighlighted, "#findings")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, index: int) -> None:
        """The highlighted finding in full: URL, detail and the page that linked to it."""
        detail = self.query_one("#finding-detail", Static)
        if not 0 <= index < len(self.shown):
            detail.update("")
            return
        finding = self.shown[index]
        text = Text(end="")
        text.append(f"{finding.kind.value} ", style="bold")
        text.append_text(plain(finding.url, 500))
        if finding.detail:
            text.append("\n")
            text.append(safe_text(finding.detail, 500))
        if finding.referrer:
            text.append("\nlinked from ", style="dim")
            text.append_text(plain(finding.referrer, 500, "dim"))
        detail.update(text)

    # -- actions ------------------------------------------------------------------

    def _set_kind(self, step: int) -> None:
        # Only the kinds found are offered, in the spec's order, then all again.
        kinds: list[FindingKind | None] = [None, *(k for k in FindingKind if self._counts[k])]
        position = kinds.index(self.kind) if self.kind in kinds else 0
        self.kind = kinds[(position + step) % len(kinds)]
        self.shown = [f for f in self.found[: self._seen] if self.kind in (None, f.kind)]
        self.query_one(FitTable).clear()
        self.query_one("#finding-detail", Static).update("")
        self.refresh_view()
        self.repaint_now()

    def action_next_kind(self) -> None:
        """Show the next kind of finding only; after the last, all of them."""
        self._set_kind(1)

    def action_previous_kind(self) -> None:
        """Show the previous kind of finding only."""
        self._set_kind(-1)

    @on(DataTable.RowSelected, "#findings")
    def _open(self, event: DataTable.RowSelected) -> None:
        finding = self.shown[int(str(event.row_key.value))]
        # There is no page screen: a page's finding opens its domain on that page.
        page_url = None if finding.kind in DOMAIN_KINDS else finding.url
        self.post_message(OpenDomain(self.batch_id, finding.domain, page_url=page_url))
