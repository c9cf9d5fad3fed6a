"""A server sending bytes that are not UTF-8 in its headers cannot lose the batch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tui_scraper.store import Store

PAGES = {
    "/": b'<html><head><title>Home</title></head><body><a href="/2">two</a></body></html>',
    "/2": b"<html><head><title>Two \xff</title></head><body>two</body></html>",
}


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1, one request a connection; hostile.test's pages carry a 0xFF header byte."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    path = request_line.split(" ")[1]
    host = next(
        (h.split(":", 1)[1].strip() for h in header_lines if h.lower().startswith("host:")), ""
    )
    body = PAGES.get(path)
    if body is None:
        status, body, content_type = b"404 Not Found", b"no", b"text/plain"
    else:
        status = b"200 OK"
        content_type = b"text/html; x=\xff" if host.startswith("hostile") else b"text/html"
    writer.write(
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Type: "
        + content_type
        + b"\r\nX-Note: caf\xe9\xff\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    writer.close()


@pytest.fixture
async def hostile_port() -> AsyncIterator[int]:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_0xff_header_batch_stores_every_sites_pages(
    hostile_port: int, tmp_path: Path
) -> None:
    db = tmp_path / "store.json"
    rule = f"::127.0.0.1:{hostile_port}"
    code, _out, err = await run_cli(
        "crawl",
        "http://hostile.test/",
        "http://calm.test/",
        "--db",
        str(db),
        "--connect-to",
        rule,
        "--timeout",
        "3",
    )
    assert "Traceback" not in err
    assert code == 0, err
    with Store.open(str(db)) as store:
        (batch,) = store.all_batches()
        pages = list(store.batch_pages(batch["batch_id"]))
        records = store.batch_domains(batch["batch_id"])
    assert batch["status"] == "completed"
    assert sorted((p["domain"], p["url"].rsplit("/", 1)[1]) for p in pages) == [
        ("calm.test", ""),
        ("calm.test", "2"),
        ("hostile.test", ""),
        ("hostile.test", "2"),
    ]
    assert {r["status"] for r in records} == {"done"}
    assert batch["counts"]["pages"] == 4
