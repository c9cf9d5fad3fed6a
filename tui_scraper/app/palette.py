"""The command palette's entries: Textual's own, every key the screen offers now, the themes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from textual.app import App, SystemCommand
from textual.screen import Screen


def palette_commands(
    app: App[object], screen: Screen[object], textual_commands: Iterable[SystemCommand]
) -> Iterator[SystemCommand]:
    """`textual_commands` (Textual's), then the screen's enabled keys by their description,
    then a `Theme: NAME` entry for each theme."""
    titles: set[str] = set()
    for command in textual_commands:
        titles.add(command.title)
        yield command
    seen: set[tuple[int, str]] = set()
    for active in screen.active_bindings.values():
        binding, node = active.binding, active.node
        key = (id(node), binding.action)
        hidden = not binding.show or binding.action.endswith("command_palette")
        if hidden or not active.enabled or key in seen:
            continue  # cursor keys, aliases, and actions that do nothing now
        seen.add(key)
        title = binding.description or binding.action
        if title in titles:
            continue  # Quit, say: Textual's own entry runs the same action
        titles.add(title)
        keys = binding.key_display or app.get_key_display(binding)
        help_text = f"{binding.tooltip or title} (key: {keys})"
        yield SystemCommand(title, help_text, partial(app.run_action, binding.action, node))
    for name in sorted(app.available_themes):
        yield SystemCommand(
            f"Theme: {name}",
            f"Switch to the {name} theme",
            partial(setattr, app, "theme", name),
            discover=False,  # listed when searched for; "Theme" opens the picker
        )
