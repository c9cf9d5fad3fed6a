"""Bytes a hostile server sends never reach a record undecoded, and never stop the store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.helpers.demo import demo_settings
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine.events import fan_out
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

PAGE = (
    b"<html><head><title>Caf\xe9 \xff\xfe</title></head><body><h1>Men\xfc</h1>"
    b'<a href="/next">next</a></body></html>'
)


def raw_response(path: bytes) -> bytes:
    """An answer whose header bytes are no valid UTF-8 (0xFF in a parameter)."""
    if path.startswith(b"/robots.txt"):
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    if path == b"/":
        return b"HTTP/1.1 302 Found\r\nLocation: /start?x=\xff\xfe\r\nContent-Length: 0\r\n\r\n"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; x=\xff\r\n"
        + b"X-Note: \xc3\x28\xa0\xa1\r\n"
        + f"Content-Length: {len(PAGE)}\r\n\r\n".encode()
        + PAGE
    )


@asynccontextmanager
async def hostile_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                writer.write(raw_response(path))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_a_header_with_0xff_loses_nothing(
    demo_server: DemoServer, demo_web: DemoWeb, tmp_path: Path
) -> None:
    healthy = [site.host for site in demo_web.sites_of_kind("normal")[:3]]
    db = tmp_path / "store.json"
    async with hostile_server() as port:
        rule = f"bytes.test:80:127.0.0.1:{port}"
        settings = demo_settings(demo_server, max_pages=4, retries=0)
        settings = settings.replace(connect_to=[rule, *settings.connect_to])
        store = Store.open(str(db), write=True)
        writer = StoreWriter(store)
        runner = BatchRunner(settings, fan_out([writer]))
        targets = parse_targets("\n".join(["http://bytes.test/", *healthy])).targets
        async with writer.running():
            await asyncio.wait_for(runner.run(make_jobs(runner.batch_id, targets)), 60)
        assert writer.last_error is None
        store.close()
    with Store.open(str(db)) as reread:
        [batch] = reread.all_batches()
        records = {r["domain"]: r for r in reread.batch_domains(batch["batch_id"])}
        pages = list(reread.batch_pages(batch["batch_id"]))
    assert batch["status"] == "completed"
    assert all(records[host]["status"] == "done" for host in healthy)
    assert all(records[host]["pages_ok"] > 0 for host in healthy)
    hostile = [p for p in pages if p["domain"] == "bytes.test"]
    assert records["bytes.test"]["status"] == "done"
    start = next(p for p in hostile if p["depth"] == 0)
    assert start["content_type"] == "text/html; x=\N{REPLACEMENT CHARACTER}"
    assert start["final_url"].startswith("http://bytes.test/start?x=")
    assert start["title"] is not None and start["title"].startswith("Caf")
    # Every stored text is valid Unicode: the files re-encode as strict UTF-8.
    for path in [db, *db.with_name(db.name + ".batches").rglob("*.json")]:
        json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False).encode()
