"""Small modal dialogs: a yes/no question and the file path prompt."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from tui_scraper.targets import read_domain_list
from tui_scraper.text import safe_text


class ConfirmScreen(ModalScreen[bool]):
    """Asks a yes/no question; `y`/enter answer yes, `n`/escape no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question, end=""), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes", compact=True)
                yield Button(f"{self.no} (n)", variant="primary", id="no", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close the question with this answer."""
        self.dismiss(yes)


class LoadFileScreen(ModalScreen[str | None]):
    """Asks for the path of a domain list and returns its text (None if cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, cursor_blink: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Load domains from a file (one a line); enter loads, escape cancels")
            path_input = Input(placeholder="path/to/domains.txt", id="path")
            path_input.cursor_blink = self.cursor_blink
            yield path_input
            yield Static(id="load-error")
        yield Footer(compact=True)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            text = read_domain_list(event.value)
        except ValueError as error:
            message = Text(safe_text(str(error)), style="bold red", end="")
            self.query_one("#load-error", Static).update(message)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without loading anything."""
        self.dismiss(None)
