"""The app's settings form gives back exactly what it was given, for every setting (Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from textual.widgets import Checkbox, Input

from tui_scraper.app import make_app
from tui_scraper.app.widgets.settings_form import SettingsForm
from tui_scraper.settings import Settings, settings_schema, text_of

SIZE = (120, 40)


def edge_settings(ca_path: str) -> Settings:
    """A value for every batch setting that `:g` or a careless split would have changed."""
    return Settings(
        concurrency=1999,
        per_domain=64,
        max_pages=999_999,
        max_depth=0,
        timeout=0.1,
        domain_timeout=123456.7,  # `:g` showed 123457
        delay=1e-3,
        retries=20,
        max_bytes=99_999_999,
        user_agent="bot/1.0 (+https://bot.test/about; a, b)",
        ignore_robots=True,
        proxy="http://proxy.test:3128",
        connect_to=["::127.0.0.1:8080", "a.test:443:[::1]:8443"],
        ca_bundle=ca_path,
        insecure=True,
        dns_timeout=2 / 3,
        accept_language="fr-CH, fr;q=0.9, en;q=0.8",
        header=["Accept: text/html, application/xhtml+xml", "X-Token: abc"],
        allow_private=True,
        field=["price=css:.price::text", "both=css:.a, .b", "links=xpath://a/@href"],
    )


@pytest.fixture
def ca_path(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_every_batch_setting_differs_from_its_default_in_the_edge_values(ca_path: str) -> None:
    edges, defaults = edge_settings(ca_path), Settings()
    for spec in settings_schema():
        assert getattr(edges, spec.name) != getattr(defaults, spec.name), spec.name


async def test_settings_come_back_from_the_form_exactly(tmp_path: Path, ca_path: str) -> None:
    original = edge_settings(ca_path)
    app = make_app(settings=original, db_path=str(tmp_path / "store.json"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        form = app.screen.query_one(SettingsForm)
        assert form.settings() == original
        assert app.screen.query_one("#set-domain_timeout", Input).value == "123456.7"
        assert not form.errors


async def test_values_typed_into_the_form_come_back_exactly(tmp_path: Path, ca_path: str) -> None:
    wanted = edge_settings(ca_path)
    app = make_app(settings=Settings(), db_path=str(tmp_path / "store.json"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        for spec in settings_schema():
            value = getattr(wanted, spec.name)
            if spec.is_switch:
                screen.query_one(f"#set-{spec.name}", Checkbox).value = value
            else:
                screen.query_one(f"#set-{spec.name}", Input).value = text_of(spec, value)
        # One value typed key by key, as a person would.
        timeout = screen.query_one("#set-timeout", Input)
        timeout.focus()
        timeout.value = ""
        await pilot.press(*"0.30000000000000004")
        await pilot.pause()
        form = screen.query_one(SettingsForm)
        assert form.settings() == Settings(**{**_fields(wanted), "timeout": 0.1 + 0.2})
        assert not form.errors


async def test_a_bad_value_is_explained_next_to_its_input(tmp_path: Path) -> None:
    app = make_app(settings=Settings(), db_path=str(tmp_path / "store.json"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#set-per_domain", Input).value = "65"
        await pilot.pause()
        message = screen.query_one("#error-per_domain")
        assert message.display
        assert str(message.render()) == "--per-domain must be at most 64"
        assert not screen.query_one("#error-concurrency").display
        # The row right under the input: the reason sits next to what it is about.
        row = screen.query_one("#set-per_domain").parent
        assert row is not None
        assert message.region.y == row.region.y + 1
        screen.query_one("#set-per_domain", Input).value = "64"
        await pilot.pause()
        assert not message.display


def _fields(settings: Settings) -> dict[str, object]:
    return {spec.name: getattr(settings, spec.name) for spec in settings_schema()}
