"""The help screen: every key of every screen, read from the screens' own bindings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui_scraper.app.screens.batch import BatchScreen
from tui_scraper.app.screens.compare import CompareScreen
from tui_scraper.app.screens.domain import DomainScreen
from tui_scraper.app.screens.findings import FindingsScreen
from tui_scraper.app.screens.history import HistoryScreen, StoredBatchScreen
from tui_scraper.app.screens.start import StartScreen

SECTIONS: tuple[tuple[str, list[BindingType]], ...] = (
    (
        "Every screen",
        [Binding("ctrl+p", "command_palette", "Command palette: every action and every theme")],
    ),
    ("Start screen (domains and settings)", StartScreen.BINDINGS),
    (
        "Batch screen (the live table)",
        [Binding("enter", "open", "Open the selected domain's pages"), *BatchScreen.BINDINGS],
    ),
    ("Domain screen", DomainScreen.BINDINGS),
    ("Findings", [Binding("enter", "open", "Open the finding's domain"), *FindingsScreen.BINDINGS]),
    ("History", [Binding("enter", "open", "Open the batch"), *HistoryScreen.BINDINGS]),
    ("Stored batch", [Binding("enter", "open", "Open the domain"), *StoredBatchScreen.BINDINGS]),
    ("Compare", CompareScreen.BINDINGS),
)
KEY_NAMES = {
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "question_mark": "?",
    "escape": "esc",
    "enter": "enter",
}
ABOUT = (
    "Everything is saved to the store as it arrives. Quitting while a batch runs leaves it "
    "interrupted; `tui-scraper resume ID` finishes it. Tab moves between fields; arrows, "
    "PgUp/PgDn and Home/End move in tables."
)


def key_label(keys: str) -> str:
    """`f5,ctrl+s` as `F5 / ctrl+s`."""
    names: list[str] = []
    for key in keys.split(","):
        key = key.strip()
        names.append(
            KEY_NAMES.get(key, key.upper() if key.startswith("f") and key[1:].isdigit() else key)
        )
    return " / ".join(names)


def help_text() -> Text:
    """The help, one section per screen."""
    text = Text(end="")
    for title, bindings in SECTIONS:
        text.append(f"{title}\n", style="bold underline")
        # Keys bound to one action are listed together.
        merged: dict[str, tuple[list[str], str]] = {}
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            description = binding.tooltip or binding.description
            keys, _description = merged.setdefault(binding.action, ([], description))
            keys.append(binding.key)
        for keys, description in merged.values():
            text.append(f"  {key_label(','.join(keys)):<16}", style="bold cyan")
            text.append(f"{description}\n")
        text.append("\n")
    text.append(ABOUT, style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    """Lists every key; escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(Text("Keys", style="bold", end=""))
            yield Static(help_text())
        yield Footer(compact=True)
