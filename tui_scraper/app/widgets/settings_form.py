"""The crawl settings as a form, built from the one settings schema (`settings_schema`).

Values are shown with `text_of` and read back with `parse_setting`, so a value that is
not edited comes back exactly as it went in (1234567.0 stays 1234567.0, 0.1 stays 0.1).
"""

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
    Setting,
    SettingError,
    Settings,
    parse_setting,
    setting,
    settings_schema,
    text_of,
)


def on_off(value: bool) -> str:
    """A switch's label."""
    return "on" if value else "off"


class SettingValidator(Validator):
    """Validates one setting's input with the schema's own parser and check."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setting = name

    def validate(self, value: str) -> ValidationResult:
        """A failure naming the problem, or success."""
        try:
            parse_setting(self.setting, value)
        except SettingError as error:
            return self.failure(str(error))
        return self.success()


class SettingsForm(VerticalScroll):
    """Every crawl setting as a validated input; a bad value's reason shows under it."""

    def __init__(self, settings: Settings, *, cursor_blink: bool = True, id: str | None = None):
        super().__init__(id=id)
        self.initial = settings
        self.cursor_blink = cursor_blink
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        for spec in settings_schema():
            value = getattr(self.initial, spec.name)
            with Horizontal(classes="setting-row"):
                yield Label(spec.flag, classes="setting-label")
                yield self._input(spec, value)
            yield Static(id=f"error-{spec.name}", classes="setting-error")
        yield Static(id="setting-help")
        yield Static(id="setting-errors")

    def _input(self, spec: Setting, value: Any) -> Input | Checkbox:
        if spec.is_switch:
            return Checkbox(
                on_off(bool(value)),
                value=bool(value),
                id=f"set-{spec.name}",
                compact=True,
                tooltip=spec.help,
            )
        default = spec.default_value()
        field_input = Input(
            value=text_of(spec, value),
            placeholder="none" if default in (None, []) else text_of(spec, default),
            validators=[SettingValidator(spec.name)],
            valid_empty=spec.optional or spec.repeatable,
            id=f"set-{spec.name}",
            compact=True,
            tooltip=spec.help,
        )
        field_input.cursor_blink = self.cursor_blink
        return field_input

    def on_mount(self) -> None:
        self._show_help(settings_schema()[0].name)

    def _show_help(self, name: str) -> None:
        spec = setting(name)
        default = text_of(spec, spec.default_value()) or "none"
        text = Text(f"{spec.flag}: {spec.help} (default {default})", end="")
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
        for spec in settings_schema():
            if spec.is_switch:
                continue
            message = self.errors.get(spec.name, "")
            line = self.query_one(f"#error-{spec.name}", Static)
            line.update(Text(message, end=""))
            line.set_class(bool(message), "-shown")
        # Each message sits under its input; the summary only names them, for inputs
        # scrolled out of view.
        flags = [spec.flag for spec in settings_schema() if spec.name in self.errors]
        summary = f"To fix before starting: {', '.join(flags)}" if flags else ""
        errors = self.query_one("#setting-errors", Static)
        errors.update(Text(summary, style="bold red", end=""))
        errors.set_class(bool(self.errors), "-has-errors")

    def values(self) -> dict[str, Any]:
        """Every setting's value as the form holds it; SettingError naming each bad one."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in settings_schema():
            if spec.is_switch:
                values[spec.name] = self.query_one(f"#set-{spec.name}", Checkbox).value
                continue
            try:
                values[spec.name] = parse_setting(spec.name, self._text(spec.name))
            except SettingError as error:
                problems.append(str(error))
                self.errors[spec.name] = str(error)
            else:
                self.errors.pop(spec.name, None)
        self._show_errors()
        if problems:
            raise SettingError("; ".join(problems))
        return values

    def _text(self, name: str) -> str:
        return self.query_one(f"#set-{name}", Input).value

    def settings(self) -> Settings:
        """The settings the form holds; SettingError naming every bad one."""
        # Each value passed the schema's check in parse_setting; run options (--cluster)
        # are not in the form: they stay as the app was started.
        return dataclasses.replace(self.initial, **self.values())
