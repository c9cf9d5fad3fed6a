"""Settings: one definition for the CLI, the form and the store; curl-style --connect-to."""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tui_scraper
from tui_scraper.settings import (
    Setting,
    SettingError,
    Settings,
    flag_name,
    number_text,
    parse_connect_to,
    parse_setting,
    setting,
    settings_schema,
    text_of,
    value_from_text,
)
from tui_scraper.settings.flags import add_settings_arguments, settings_from_args

SPEC_FLAGS = {
    "--db",
    "--concurrency",
    "--per-domain",
    "--max-pages",
    "--max-depth",
    "--timeout",
    "--domain-timeout",
    "--delay",
    "--retries",
    "--max-bytes",
    "--user-agent",
    "--ignore-robots",
    "--proxy",
    "--connect-to",
}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_settings_arguments(parser)
    return parser


def test_every_spec_flag_exists_with_spec_defaults() -> None:
    flags = {a for action in parser()._actions for a in action.option_strings}
    assert flags >= SPEC_FLAGS
    settings = Settings()
    assert (settings.concurrency, settings.per_domain, settings.max_pages) == (5, 2, 25)
    assert (settings.max_depth, settings.timeout, settings.retries) == (5, 15.0, 2)
    assert settings.max_bytes == 5_000_000
    assert settings.domain_timeout is None and settings.proxy is None
    assert settings.user_agent == f"tui-scraper/{tui_scraper.__version__}"


def test_flags_override_defaults_and_round_trip_through_the_store() -> None:
    args = parser().parse_args(
        ["--concurrency", "9", "--ignore-robots", "--connect-to", "::127.0.0.1:8080"]
    )
    settings = settings_from_args(args)
    assert settings.concurrency == 9 and settings.ignore_robots
    assert settings.connect_to == ["::127.0.0.1:8080"]
    assert Settings.from_dict(settings.to_dict()) == settings
    # Every batch setting is stored; a run option (where the crawls run) is not.
    stored = {f.name for f in dataclasses.fields(Settings)} - {"cluster"}
    assert set(settings.to_dict()) == stored


def test_cluster_is_a_checked_run_option_never_stored() -> None:
    settings = settings_from_args(parser().parse_args(["--cluster", "local:2"]))
    assert settings.cluster == "local:2"
    assert "cluster" not in settings.to_dict()
    assert Settings.from_dict(settings.to_dict()).cluster is None
    assert settings.replace(cluster="tcp://10.0.0.5:8786").cluster == "tcp://10.0.0.5:8786"
    for bad in ("local:0", "local:x", "10.0.0.5:8786", "tcp://host", "http://h:1"):
        with pytest.raises(SettingError, match="--cluster"):
            settings.replace(cluster=bad)


def test_every_setting_has_a_flag() -> None:
    flags = {a for action in parser()._actions for a in action.option_strings}
    for field in dataclasses.fields(Settings):
        assert flag_name(field.name) in flags


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("concurrency", "0", "at least 1"),
        ("concurrency", "two", "whole number"),
        ("timeout", "-1", "at least"),
        ("delay", "x", "a number"),
        ("delay", "nan", "finite"),
        ("timeout", "inf", "finite"),
    ],
)
def test_bad_values_are_clear_errors(name: str, text: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        parse_setting(name, text)


def test_optional_setting_blank_means_none() -> None:
    assert parse_setting("domain_timeout", "") is None
    assert parse_setting("domain_timeout", "30") == 30.0


@pytest.mark.parametrize(
    ("rule", "parsed"),
    [
        ("example.com:443:127.0.0.1:8443", ("example.com", 443, "127.0.0.1", 8443)),
        ("::127.0.0.1:8080", ("", None, "127.0.0.1", 8080)),
        (":80:localhost:9000", ("", 80, "localhost", 9000)),
        ("EXAMPLE.com.:80:[::1]:9000", ("example.com", 80, "::1", 9000)),
        # an empty HOST2 keeps the request's host, as in curl
        ("a:80::90", ("a", 80, "", 90)),
    ],
)
def test_connect_to_rules(rule: str, parsed: tuple[object, ...]) -> None:
    assert parse_connect_to(rule) == parsed


@pytest.mark.parametrize("rule", ["nonsense", "a:b:c:d", "a:80:host", "a:99999:h:1", "a:1:[::1:2"])
def test_bad_connect_to_rules(rule: str) -> None:
    with pytest.raises(SettingError):
        parse_connect_to(rule)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_never_imports_the_app_or_the_store() -> None:
    engine = Path(tui_scraper.__file__).parent / "engine"
    for path in engine.glob("*.py"):
        for name in _imports(path):
            assert not name.startswith("textual"), path
            assert not name.startswith("tinydb"), path
            assert name not in ("tui_scraper.store", "tui_scraper.cli", "tui_scraper.app"), path
            assert not name.startswith("tui_scraper.app"), path


# -- the schema and its adapters ------------------------------------------------

SETTINGS_PACKAGE = Path(tui_scraper.__file__).parent / "settings"
# Values of every batch setting that a lossy text form would change.
EDGE_VALUES: dict[str, list[Any]] = {
    "concurrency": [1, 1999, 2000],
    "per_domain": [1, 64],
    "max_pages": [999_999, 1_000_000],
    "max_depth": [0, 1000],
    "timeout": [0.1, 1e-3, 2 / 3, 3599.9999999999995, 15.0],
    "domain_timeout": [None, 123456.7, 604799.99, 0.001],
    "delay": [0.0, 1e-3, 0.1 + 0.2, 1e-300],
    "retries": [0, 20],
    "max_bytes": [1, 99_999_999, 100_000_000],
    "user_agent": ["bot/1.0 (+https://bot.test/; a, b)", "tab\tallowed"],
    "ignore_robots": [True, False],
    "proxy": [None, "http://user:pw@127.0.0.1:3128/"],
    "connect_to": [[], ["::127.0.0.1:8080", "a.test:443:[::1]:8443"]],
    "ca_bundle": [None],  # a real file in tests/test_settings_form.py
    "insecure": [True, False],
    "dns_timeout": [0.001, 599.5, 1 / 3],
    "accept_language": ["fr-CH, fr;q=0.9, en;q=0.8"],
    "header": [[], ["Accept: text/html, application/xhtml+xml", "X-Token: abc"]],
    "allow_private": [True, False],
    "field": [["price=css:.price::text", "both=css:.a, .b", "links=xpath://a/@href"]],
}


def test_every_batch_setting_has_edge_values() -> None:
    assert set(EDGE_VALUES) == {spec.name for spec in settings_schema()}


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in EDGE_VALUES.items() for value in values]
)
def test_the_form_text_of_a_value_reads_back_exactly(name: str, value: Any) -> None:
    spec = setting(name)
    text = text_of(spec, value)
    assert "\n" not in text  # one input line
    back = parse_setting(name, text)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234567.0, "1234567"), (0.1, "0.1"), (1e-3, "0.001"), (1e-5, "1e-05"), (15.0, "15")],
)
def test_floats_are_written_so_they_read_back_exactly(value: float, text: str) -> None:
    assert number_text(value) == text
    assert value_from_text(setting("timeout"), text) == value  # converted, range aside


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**30), 10**30))
def test_number_text_round_trips_every_number(value: float) -> None:
    kind = type(value)
    assert kind(number_text(value)) == value


FLOATS = [spec for spec in settings_schema() if spec.kind is float]


@pytest.mark.parametrize("spec", FLOATS, ids=[spec.name for spec in FLOATS])
@given(data=st.data())
def test_every_float_in_range_survives_the_form(spec: Setting, data: st.DataObject) -> None:
    value = data.draw(st.floats(min_value=spec.minimum, max_value=spec.maximum))
    assert parse_setting(spec.name, text_of(spec, value)) == value


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("per_domain", 65, "--per-domain must be at most 64"),
        ("timeout", 0.0, "--timeout must be at least 0.001"),
        ("user_agent", "a\rb", "--user-agent must not contain control characters ('\\r' found)"),
        ("header", ["no colon"], "--header 'no colon': expected NAME: VALUE"),
    ],
)
def test_one_check_gives_one_message_from_flags_form_and_store(
    name: str, value: Any, message: str
) -> None:
    spec = setting(name)
    flag_args = [spec.flag, *(value if isinstance(value, list) else [str(value)])]
    with pytest.raises(SettingError) as from_flags:
        settings_from_args(parser().parse_args(flag_args))
    with pytest.raises(SettingError) as from_form:
        parse_setting(name, text_of(spec, value))
    with pytest.raises(SettingError) as from_store:
        Settings.from_dict({name: value})
    for error in (from_flags.value, from_form.value, from_store.value):
        assert str(error) == message
        assert error.setting == name


@pytest.mark.parametrize("value", ["5", 5.0, True])
def test_a_stored_value_of_the_wrong_type_is_refused(value: object) -> None:
    with pytest.raises(SettingError, match="--concurrency must be a whole number"):
        Settings.from_dict({"concurrency": value})


def test_flags_are_built_from_the_schema() -> None:
    actions = {a.dest: a for a in parser()._actions}
    for spec in settings_schema(run_options=True):
        action = actions[spec.name]
        assert action.option_strings == [spec.flag]
        assert spec.help in (action.help or "")
        if not spec.is_switch:
            assert action.metavar == spec.metavar


def test_the_schema_and_its_text_form_import_no_front_end() -> None:
    for module in ("schema", "rules", "text", "__init__"):
        names = _imports(SETTINGS_PACKAGE / f"{module}.py")
        assert not {"argparse", "os", "tui_scraper.settings.flags"} & names, module
        assert not any(name.startswith(("textual", "tui_scraper.app")) for name in names)


def test_the_readme_documents_every_flag_of_the_schema() -> None:
    readme = (Path(tui_scraper.__file__).parent.parent / "README.md").read_text()
    for spec in settings_schema(run_options=True):
        assert f"`{spec.flag}" in readme, spec.flag
