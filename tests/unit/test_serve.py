"""The serve command's options and refusals, without starting a server."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tui_scraper.cli import build_parser, main
from tui_scraper.serve import (
    DEMO_FACTS_FILE,
    ServeError,
    is_loopback,
    options_from_args,
    session_commands,
)


def test_a_public_host_needs_a_public_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--public-url" in error
    assert main(["serve", "--public-url", "ftp://x"]) == 2
    assert main(["serve", "--max-sessions", "0"]) == 2


def test_options() -> None:
    parser_args = ["serve", "--host", "0.0.0.0", "--public-url", "http://box.example:8000/"]
    options = options_from_args(build_parser().parse_args(parser_args))
    assert options.public and options.public_url == "http://box.example:8000"
    local = options_from_args(build_parser().parse_args(["serve", "--demo"]))
    assert not local.public and local.public_url == "http://127.0.0.1:8000"
    assert local.db is None  # each demo session gets a temporary store
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "box.example"]))
    with pytest.raises(ServeError):
        options_from_args(build_parser().parse_args(["serve", "--port", "70000"]))


def test_attach_to_a_missing_demo_server_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--attach", str(tmp_path / "none.json")]) == 2
    assert "cannot read the demo server's facts" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert main(["demo", "--attach", str(tmp_path / "bad.json")]) == 2
    assert "connection facts" in capsys.readouterr().err


def test_session_commands_are_quoted_for_the_shell(tmp_path: Path) -> None:
    store = tmp_path / "a store; rm -rf ~.json"
    options = options_from_args(build_parser().parse_args(["serve", "--db", str(store)]))
    command = session_commands(options, tmp_path)(1)
    assert shlex.split(command) == [sys.executable, "-m", "tui_scraper", "--db", str(store)]
    demo = options_from_args(build_parser().parse_args(["serve", "--demo"]))
    words = shlex.split(session_commands(demo, tmp_path)(2))
    assert words[3:5] == ["demo", "--seed"]
    assert words[words.index("--db") + 1] == str(tmp_path / "session-2.json")
    assert words[words.index("--attach") + 1] == str(tmp_path / DEMO_FACTS_FILE)
