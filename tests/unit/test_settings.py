"""Settings: one definition for the CLI and the store; curl-style --connect-to."""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path

import pytest

import tui_scraper
from tui_scraper.settings import (
    SettingError,
    Settings,
    add_settings_arguments,
    flag_name,
    parse_connect_to,
    parse_setting,
    settings_from_args,
)

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
