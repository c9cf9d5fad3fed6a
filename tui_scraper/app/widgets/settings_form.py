"""The crawl settings as a form, built from the one settings definition (`setting_fields`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantFocus
from textual.validation import ValidationResult, Validator
from textual.widgets import Checkbox, Input, Label, Static

from tui_scraper.settings import (
    SettingError,
    Settings,
    flag_name,
    parse_repeatable,
    parse_setting,
    setting_fields,
    setting_help,
)


def parse_field(name: str, text: str, repeatable: bool) -> Any:
    """One setting's value from its input text; SettingError with the reason."""
    if repeatable:
        return parse_repeatable(name, text)
    return parse_setting(name, text)


def shown_value(value: Any) -> str:
    """A setting's value as an input shows it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def default_of(f: dataclasses.Field[Any]) -> Any:
    """A setting's default value (the factory's result for repeatable ones)."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def on_off(value: bool) -> str:
    """A boolean setting's label."""
    return "on" if value else "off"


class SettingValidator(Validator):
    """Validates one setting's input with the settings module's own parser."""

    def __init__(self, name: str, repeatable: bool) -> None:
        super().__init__()
        self.setting = name
        self.repeatable = repeatable

    def validate(self, value: str) -> ValidationResult:
        """A failure naming the problem, or success."""
        try:
            parse_field(self.setting, value, self.repeatable)
        except SettingError as error:
            return self.failure(str(error))
        return self.success()


class SettingsForm(VerticalScroll):
    """Every crawl setting as a validated input, with its help and errors below."""

    def __init__(self, settings: Settings, *, cursor_blink: bool = True, id: str | None = None):
        super().__init__(id=id)
        self.initial = settings
        self.cursor_blink = cursor_blink
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        for f in setting_fields():
            flag = flag_name(f.name)
            value = getattr(self.initial, f.name)
            with Horizontal(classes="setting-row"):
                yield Label(flag, classes="setting-label")
                if f.metadata["flag_only"]:
                    yield Checkbox(
                        on_off(bool(value)),
                        value=bool(value),
                        id=f"set-{f.name}",
                        compact=True,
                        tooltip=setting_help(f.name),
                    )
                    continue
                default = default_of(f)
                field_input = Input(
                    value=shown_value(value),
                    placeholder="none"
                    if default is None or default == []
                    else shown_value(default),
                    validators=[SettingValidator(f.name, f.metadata["repeatable"])],
                    valid_empty=bool(f.metadata["optional"] or f.metadata["repeatable"]),
                    id=f"set-{f.name}",
                    compact=True,
                    tooltip=setting_help(f.name),
                )
                field_input.cursor_blink = self.cursor_blink
                yield field_input
        yield Static(id="setting-help")
        yield Static(id="setting-errors")

    def on_mount(self) -> None:
        self._show_help(next(iter(setting_fields())).name)

    def _show_help(self, name: str) -> None:
        f = next(f for f in setting_fields() if f.name == name)
        default = shown_value(default_of(f)) or "none"
        if f.metadata["flag_only"]:
            default = "off"
        text = Text(f"{flag_name(name)}: {setting_help(name)} (default {default})", end="")
        self.query_one("#setting-help", Static).update(text)

    @on(DescendantFocus)
    def _focused(self, event: DescendantFocus) -> None:
        widget_id = event.widget.id or ""
        if widget_id.startswith("set-"):
            self._show_help(widget_id.removeprefix("set-"))

    @on(Checkbox.Changed)
    def _toggled(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = on_off(event.value)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("set-")
        result = event.validation_result
        if result is None or result.is_valid:
            self.errors.pop(name, None)
        else:
            self.errors[name] = result.failure_descriptions[0]
        self._show_errors()

    def _show_errors(self) -> None:
        errors = self.query_one("#setting-errors", Static)
        errors.update(Text("\n".join(self.errors.values()), style="bold red", end=""))
        errors.set_class(bool(self.errors), "-has-errors")

    def settings(self) -> Settings:
        """The settings the form holds; SettingError naming the first bad one."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in setting_fields():
            if f.metadata["flag_only"]:
                values[f.name] = self.query_one(f"#set-{f.name}", Checkbox).value
                continue
            text = self.query_one(f"#set-{f.name}", Input).value
            try:
                values[f.name] = parse_field(f.name, text, f.metadata["repeatable"])
            except SettingError as error:
                problems.append(str(error))
                self.errors[f.name] = str(error)
        self._show_errors()
        if problems:
            raise SettingError("; ".join(problems))
        # Run options (--cluster) are not in the form: they stay as the app was started.
        settings = self.initial.replace(**values)
        return settings
