"""The headless command as a user runs it: a real process, its exit code and output."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

from tui_scraper.demo import DemoServer

CLI = [sys.executable, "-m", "tui_scraper"]


async def run_cli(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def start_cli(*args: str, capture: bool = False) -> asyncio.subprocess.Process:
    """The command started and left running (to be signalled or killed)."""
    return await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if capture else asyncio.subprocess.DEVNULL,
    )


def crawl_args(server: DemoServer, db: Path) -> list[str]:
    """`crawl`/`resume` arguments for a batch on the demo web, stored at `db`."""
    rules = [arg for rule in server.connect_to for arg in ("--connect-to", rule)]
    rules += ["--ca-bundle", server.ca_path]
    return ["--db", str(db), "--max-pages", "12", "--concurrency", "4", "--timeout", "3", *rules]


def assert_one_line_error(stderr: str, expected: str) -> None:
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("tui-scraper: error:"), stderr
    assert expected in last, stderr


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
