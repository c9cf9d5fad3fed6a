"""Shared fixtures: the demo web, the demo server on 127.0.0.1 serving it, and the rule
that a test under tests/unit/ starts no server, no app, no process and opens no socket.

The helpers that run batches against it live in tests/helpers/demo.py; they are
re-exported here for tests written against their old home.
"""

from __future__ import annotations

import multiprocessing.process
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from tests.helpers.demo import (  # noqa: F401  (re-exported)
    DEMO_SEED,
    BatchRun,
    demo_network,
    demo_settings,
    run_batch,
)
from tui_scraper.demo import DemoServer, DemoWeb, build_demo_web


@pytest.fixture(scope="session")
def demo_web() -> DemoWeb:
    return build_demo_web(seed=DEMO_SEED)


@pytest.fixture
async def demo_server(demo_web: DemoWeb) -> Any:
    async with DemoServer(demo_web, slow_delay=0.2) as server:
        yield server


UNIT_TESTS = Path(__file__).parent / "unit"


def _refuse(what: str) -> Any:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError(f"a unit test may not {what}: move it to tests/functional/")

    return refused


@pytest.fixture(autouse=True)
def _unit_tests_stay_in_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under tests/unit/: no network socket, no subprocess, no app (what makes them fast)."""
    if not request.node.path.is_relative_to(UNIT_TESTS):
        return
    for method in ("connect", "connect_ex", "bind"):
        original = getattr(socket.socket, method)

        def guarded(sock: socket.socket, *args: Any, _original: Any = original) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                _refuse("open a network socket")()
            return _original(sock, *args)

        monkeypatch.setattr(socket.socket, method, guarded)
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", _refuse("start a process"))
    monkeypatch.setattr(App, "run_test", _refuse("run the app"))
