"""The start screen: paste or load domains, check the settings, start a batch."""

from __future__ import annotations

import contextlib

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, Static, TextArea
from textual.worker import get_current_worker

from tui_scraper.app.messages import StartBatch, StartFormReady
from tui_scraper.app.screens.base import AppScreen
from tui_scraper.app.screens.dialogs import LoadFileScreen
from tui_scraper.app.widgets.settings_form import SettingsForm
from tui_scraper.gc_quiet import gc_paused
from tui_scraper.settings import SettingError, Settings
from tui_scraper.targets import ParseCancelled, ParsedTargets, parse_targets
from tui_scraper.text import safe_text

# Counting waits for a pause in typing, so pasting 10,000 lines parses once.
DEBOUNCE_S = 0.15
MAX_REJECTED_SHOWN = 100
# Longer lists are parsed in a thread (100,000 domains take a second or more).
INLINE_PARSE_CHARS = 20_000
# A paste or a file of more lines is held beside the text area, not in it: Textual's
# TextArea takes seconds to take in and draw 100,000 lines.
BULK_LINES = 2000


def is_bulk(text: str) -> bool:
    """Whether a list is too long to edit in the text area."""
    return text.count("\n") >= BULK_LINES


class DomainsArea(TextArea):
    """The domain list; a very long paste is handed to the screen instead of inserted."""

    class BulkPasted(Message):
        """A paste of BULK_LINES lines or more."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def _on_paste(self, event: events.Paste) -> None:
        if is_bulk(event.text):
            event.prevent_default()  # TextArea's own handler would insert it
            self.post_message(self.BulkPasted(event.text))


class StartScreen(AppScreen):
    """Domains on the left, settings on the right; F5 or ctrl+s starts the batch."""

    BINDINGS = [
        Binding("f5,ctrl+s", "start", "Start", key_display="F5", tooltip="Start the batch"),
        Binding(
            "ctrl+o", "load", "Load file", key_display="^o", tooltip="Load domains from a file"
        ),
        Binding(
            "ctrl+r",
            "drop_bulk",
            "Drop pasted",
            key_display="^r",
            tooltip="Remove the long pasted or loaded list held beside the text area",
        ),
        Binding("f2", "app.history", "History", key_display="F2", tooltip="Earlier batches"),
        Binding("f1", "app.help", "Help", key_display="F1", tooltip="List every key"),
        Binding("ctrl+q", "app.quit", "Quit", key_display="^q", tooltip="Quit"),
    ]

    def __init__(
        self, settings: Settings, domains_text: str, db_path: str, *, cursor_blink: bool = True
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.initial_settings = settings
        # A long prefilled list (`-f big.txt`) is held aside like a long paste.
        self.bulk_text = domains_text if is_bulk(domains_text) else ""
        self.domains_text = "" if self.bulk_text else domains_text
        self.db_path = db_path
        self.parsed = ParsedTargets([], [])
        self._parsed_text: str | None = None
        """The text `parsed` was parsed from; None while a parse is pending."""
        self._debounce: Timer | None = None
        self.is_ready = False

    def compose(self) -> ComposeResult:
        blink = self.cursor_blink
        yield Header()
        with Horizontal(id="start-body"):
            with Vertical(id="domains-pane"):
                yield Label("Domains, one a line (commas and spaces also separate)")
                area = DomainsArea(
                    self.domains_text,
                    id="domains",
                    soft_wrap=False,
                    show_line_numbers=True,
                    placeholder="example.com\nhttps://example.org/shop",
                )
                area.cursor_blink = blink
                yield area
                yield Static(id="bulk-note")
                yield Static(id="input-summary")
                with VerticalScroll(id="rejected-pane"):
                    yield Static(id="rejected")
            with Vertical(id="settings-pane"):
                yield Label("Settings")
                yield SettingsForm(self.initial_settings, cursor_blink=blink, id="settings")
                yield Static(Text(f"--db {safe_text(self.db_path)}", end=""), id="db-path")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#domains", TextArea).focus()
        self._show_bulk()
        self._count(self.all_text())
        self.is_ready = True
        # After this refresh the settings form's inputs exist, so Start can read them.
        self.call_after_refresh(self.post_message, StartFormReady())

    @on(TextArea.Changed, "#domains")
    def _domains_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self._recount)

    def all_text(self) -> str:
        """The list to crawl: the text area's lines, then any long list held aside."""
        text = self.query_one("#domains", TextArea).text
        if not self.bulk_text:
            return text
        return f"{text}\n{self.bulk_text}" if text.strip() else self.bulk_text

    def _show_bulk(self) -> None:
        note = self.query_one("#bulk-note", Static)
        note.display = bool(self.bulk_text)
        if self.bulk_text:
            lines = self.bulk_text.count("\n") + 1
            note.update(Text(f"+ {lines:,} pasted lines, not shown", end=""))
        self.refresh_bindings()

    @on(DomainsArea.BulkPasted)
    def _bulk_pasted(self, event: DomainsArea.BulkPasted) -> None:
        self.add_bulk(event.text)

    def add_bulk(self, text: str) -> None:
        """Hold a long list beside the text area and count it."""
        self.bulk_text = f"{self.bulk_text}\n{text}" if self.bulk_text else text
        self._show_bulk()
        self._recount()

    def action_drop_bulk(self) -> None:
        """Remove the long list held aside."""
        self.bulk_text = ""
        self._show_bulk()
        self._recount()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show the drop key only while a long list is held aside."""
        if action == "drop_bulk":
            return bool(self.bulk_text)
        return True

    def _recount(self) -> None:
        self._debounce = None
        self._count(self.all_text())

    def _count(self, text: str, then_start: bool = False) -> None:
        """Parse the list: at once when short, else in a thread while the screen answers."""
        if text == self._parsed_text:
            self._counted(text, self.parsed, then_start)
        elif len(text) <= INLINE_PARSE_CHARS:
            self._counted(text, parse_targets(text), then_start)
        else:
            self._parsed_text = None
            self.query_one("#input-summary", Static).update(
                Text(f"counting {text.count(chr(10)) + 1:,} lines…", style="dim", end="")
            )
            self._parse_in_thread(text, then_start)

    # A description of its own: by default Textual writes one with repr() of the
    # arguments, a copy of the whole list (megabytes) made on the event loop.
    @work(thread=True, exclusive=True, group="parse-domains", description="parse the domains")
    def _parse_in_thread(self, text: str, then_start: bool) -> None:
        worker = get_current_worker()
        try:
            # A newer parse replaced this one: stop, not to take CPU from the screen.
            # A bulk list's targets are built with the cyclic GC paused (see gc_quiet); a
            # short one's are not, as freezing on every key typed would keep the garbage
            # cycles of closed screens alive.
            with gc_paused() if is_bulk(text) else contextlib.nullcontext():
                parsed = parse_targets(text, cancelled=lambda: worker.is_cancelled)
        except ParseCancelled:
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._counted, text, parsed, then_start)

    def _counted(self, text: str, parsed: ParsedTargets, then_start: bool) -> None:
        self.parsed, self._parsed_text = parsed, text
        self._show_counts()
        if then_start:
            self._start(parsed)

    def _show_counts(self) -> None:
        parsed = self.parsed
        valid, rejected = len(parsed.targets), len(parsed.rejected)
        summary = Text(end="")
        summary.append(f"{valid:,} valid", style="bold green" if valid else "dim")
        summary.append(" · ")
        summary.append(f"{rejected:,} rejected", style="bold red" if rejected else "dim")
        self.query_one("#input-summary", Static).update(summary)
        lines = Text(end="")
        for rejection in parsed.rejected[:MAX_REJECTED_SHOWN]:
            lines.append(f"line {rejection.line}: ", style="bold")
            lines.append(safe_text(rejection.input, 40))
            lines.append(f" ({rejection.reason})\n", style="red")
        if rejected > MAX_REJECTED_SHOWN:
            lines.append(f"… and {rejected - MAX_REJECTED_SHOWN} more\n", style="dim")
        self.query_one("#rejected", Static).update(lines)
        self.query_one("#rejected-pane").display = bool(rejected)

    def action_start(self) -> None:
        """Start a batch of the domains as typed now (not waiting for the debounce)."""
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        self._count(self.all_text(), then_start=True)

    def _start(self, parsed: ParsedTargets) -> None:
        """Start a batch, or say clearly why not."""
        try:
            settings = self.query_one(SettingsForm).settings()
        except SettingError as error:
            self.notify(
                safe_text(str(error)), title="Fix the settings", severity="error", markup=False
            )
            return
        if not parsed.targets:
            reason = (
                f"no valid domain ({len(parsed.rejected)} rejected)"
                if parsed.rejected
                else "no domain: paste some, or load a file (ctrl+o)"
            )
            self.notify(reason, title="Cannot start", severity="error", markup=False)
            return
        self.post_message(StartBatch(settings, parsed))

    def action_load(self) -> None:
        """Ask for a file and add its domains to the list."""
        self.app.push_screen(LoadFileScreen(self.cursor_blink), self._loaded)

    def _loaded(self, text: str | None) -> None:
        if text is None:
            return
        if is_bulk(text):
            self.add_bulk(text)
            return
        area = self.query_one("#domains", TextArea)
        current = area.text.rstrip("\n")
        area.text = f"{current}\n{text}" if current else text
        self._recount()
        if self._parsed_text is not None:  # counted already (a long list is counted in a thread)
            self.notify(f"{len(self.parsed.targets):,} valid domains in the list now", markup=False)
