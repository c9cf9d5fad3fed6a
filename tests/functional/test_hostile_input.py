"""Bytes from the user that are not UTF-8 (argv, stdin, files): a recorded batch, no traceback."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.helpers.cli import free_port

CLI = [sys.executable, "-m", "tui_scraper"]


async def run_cli_bytes(*args: bytes, stdin: bytes = b"") -> tuple[int, str, str]:
    """The CLI with raw byte arguments, as a shell passes them."""
    process = await asyncio.create_subprocess_exec(
        *[os.fsencode(arg) for arg in CLI],
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def stored_batch(db: Path) -> dict[str, object]:
    """The one batch of the store, as scripts read it."""
    from tui_scraper.store import Store

    with Store.open(str(db)) as store:
        (batch,) = store.all_batches()
    json.dumps(batch, ensure_ascii=False).encode("utf-8")  # valid Unicode throughout
    return batch


async def test_non_utf8_argument_gives_a_recorded_batch(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    closed = f"127.0.0.1:{free_port()}".encode()
    code, _out, err = await run_cli_bytes(
        b"crawl", b"caf\xff.test", closed, b"--user-agent", b"bot\xfe", b"--db", os.fsencode(db)
    )
    assert "Traceback" not in err
    assert code == 3, err  # the closed port fails; the batch itself was recorded
    assert "skipped line" in err and "not UTF-8" in err
    batch = stored_batch(db)
    assert batch["rejected"][0]["input"] == "caf\ufffd.test"  # type: ignore[index]
    assert batch["settings"]["user_agent"] == "bot\ufffd"  # type: ignore[index]
    assert batch["status"] == "completed"


async def test_non_utf8_stdin_gives_a_recorded_batch(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    closed = f"127.0.0.1:{free_port()}".encode()
    listing = b"bad\xff\xfe.test\n" + closed + b"\n\xc3(\n"
    code, _out, err = await run_cli_bytes(
        b"crawl", b"-f", b"-", b"--db", os.fsencode(db), stdin=listing
    )
    assert "Traceback" not in err
    assert code == 3, err
    batch = stored_batch(db)
    rejected = batch["rejected"]
    assert [(r["line"], r["input"]) for r in rejected] == [  # type: ignore[union-attr]
        (1, "bad\ufffd\ufffd.test"),
        (3, "\ufffd("),
    ]
    assert batch["domains"] == [closed.decode()]


async def test_non_utf8_file_gives_a_recorded_batch(tmp_path: Path) -> None:
    db = tmp_path / "store.json"
    listing = tmp_path / "list.txt"
    closed = f"127.0.0.1:{free_port()}".encode()
    listing.write_bytes(b"\xff\n" + closed + b"\n")
    code, _out, err = await run_cli_bytes(
        b"crawl", b"-f", os.fsencode(listing), b"--db", os.fsencode(db)
    )
    assert "Traceback" not in err
    assert code == 3, err
    assert stored_batch(db)["domains"] == [closed.decode()]
