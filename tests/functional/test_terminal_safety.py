"""Control and bidi characters from the web never reach a terminal raw (a real pseudo-terminal)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.hostile import HOSTILE
from tests.helpers.store import page_record
from tui_scraper.engine.crawl import DomainJob, new_domain_record
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    PageFetched,
    Rejected,
)
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

CLI = [sys.executable, "-m", "tui_scraper"]
BATCH_ID = "c" * 8 + "-0000-4000-8000-" + "0" * 12
# What must never appear in the bytes a terminal receives.
RAW = [b"\x1b", b"\x07", b"\x7f", "\x9b".encode(), "\x85".encode(), "\u202e".encode()]
RAW += ["\u2066".encode(), "\u2069".encode()]


def hostile_store(db: Path) -> None:
    """A finished batch whose page and domain documents carry hostile text, nested too."""
    target = parse_targets("example.test").targets[0]
    job = DomainJob(BATCH_ID, "job-1", target)
    record = new_domain_record(job)
    page = page_record(BATCH_ID, "job-1", 1, title=HOSTILE, h1=[HOSTILE, "ok"])
    page["redirects"] = [{"url": f"http://example.test/{HOSTILE}", "status": 301}]
    done: dict[str, Any] = {
        **record,
        "status": "done",
        "pages_ok": 1,
        "error": HOSTILE,
        "emails": [f"x{HOSTILE}@example.test"],
        "stop_reason": "frontier_exhausted",
    }
    with Store.open(str(db), write=True) as store:
        writer = StoreWriter(store)
        writer(BatchStarted(BATCH_ID, {}, [record], [Rejected(2, HOSTILE, "not a valid host")]))
        writer(DomainStarted(job.job_id, target.domain, target.start_url, "t"))
        writer(PageFetched(job.job_id, target.domain, page, 1, 0))  # type: ignore[arg-type]
        writer(DomainFinished(job.job_id, target.domain, done))  # type: ignore[arg-type]
        writer(BatchFinished(BATCH_ID, BatchStatus.COMPLETED, {}, "t"))
        writer.close()


def run_in_pty(*args: str) -> tuple[int, bytes]:
    """Run the CLI with stdin, stdout and stderr on a fresh pseudo-terminal; all it wrote."""
    master, slave = os.openpty()
    process = subprocess.Popen([*CLI, *args], stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            output += data
    finally:
        os.close(master)
    return process.wait(timeout=30), output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.json"
    hostile_store(path)
    return path


def assert_nothing_raw(output: bytes) -> None:
    for raw in RAW:
        assert raw not in output, (raw, output[:2000])


COMMANDS = {
    "export jsonl": ["export", BATCH_ID, "--format", "jsonl"],
    "export csv": ["export", BATCH_ID, "--format", "csv"],
    "export domains": ["export", BATCH_ID, "--domains", "--format", "jsonl"],
    "show": ["show", BATCH_ID],
    "show --json": ["show", BATCH_ID, "--json"],
    "batches": ["batches"],
    "batches --json": ["batches", "--json"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_nothing_reaches_the_terminal_raw(db: Path, command: list[str]) -> None:
    code, output = run_in_pty(*command, "--db", str(db))
    assert code == 0, output
    assert_nothing_raw(output)


def test_json_on_a_terminal_still_decodes_to_the_stored_text(db: Path) -> None:
    code, output = run_in_pty("show", BATCH_ID, "--json", "--db", str(db))
    assert code == 0
    (record,) = json.loads(output.decode().replace("\r\n", "\n"))
    assert record["error"] == HOSTILE
    assert record["emails"] == [f"x{HOSTILE}@example.test"]
    code, output = run_in_pty("export", BATCH_ID, "--format", "jsonl", "--db", str(db))
    (line,) = output.decode().replace("\r\n", "\n").splitlines()
    page = json.loads(line)
    assert page["h1"] == [HOSTILE, "ok"]
    assert page["redirects"][0]["url"].endswith(HOSTILE)


def test_show_spells_the_escapes_out(db: Path) -> None:
    code, output = run_in_pty("show", BATCH_ID, "--db", str(db))
    assert code == 0
    text = output.decode()
    assert "A\\x1b]0;pwn\\x07B\\x9b31m\\x7f\\u202eevil" in text


def test_a_file_written_with_o_keeps_the_text_as_stored(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages.jsonl"
    code, output = run_in_pty(
        "export", BATCH_ID, "--format", "jsonl", "-o", str(out), "--db", str(db)
    )
    assert code == 0, output
    text = out.read_text(encoding="utf-8")
    assert "\x9b31m\x7f\u202eevil\u2066" in text  # C1, DEL, bidi as stored (C0 JSON-escaped)
    assert json.loads(out.read_text(encoding="utf-8"))["title"] == HOSTILE
