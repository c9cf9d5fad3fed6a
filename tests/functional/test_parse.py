"""Parsing in worker processes gives exactly what parsing inline gives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tests.helpers.demo import demo_settings, run_batch
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine.parse import InlineParser, ProcessPageParser


async def test_process_parser_matches_inline(demo_web: DemoWeb) -> None:
    hosts = [s.host for s in demo_web.sites_of_kind("normal")[:4]]
    hosts += [demo_web.by_kind(kind).host for kind in ("latin1", "broken_html", "gzip")]
    parser = ProcessPageParser(processes=1, pool_above_pages_per_s=0)
    try:
        async with DemoServer(demo_web) as server:
            settings = demo_settings(server, concurrency=4, max_pages=10)
            in_pool = await run_batch(settings, hosts, parser=parser)
            inline = await run_batch(settings, hosts, parser=InlineParser())
        assert parser._pool is not None  # the pool did the parsing
    finally:
        await parser.close()
    volatile = {"batch_id", "job_id", "elapsed_ms", "fetched_at"}

    def pages(run: object) -> dict[str, dict[str, object]]:
        return {
            p["url"]: {k: v for k, v in p.items() if k not in volatile}
            for domain_pages in run.pages.values()  # type: ignore[attr-defined]
            for p in domain_pages
        }

    assert pages(in_pool) == pages(inline)
    assert len(pages(inline)) >= 30


async def test_broken_pool_falls_back_to_inline() -> None:
    """A worker killed (out of memory, say) costs no page: parsing continues inline."""
    parser = ProcessPageParser(processes=1, pool_above_pages_per_s=0)
    html = b"<title>Still parsed</title><h1>Hi</h1>"
    try:
        first = await parser.parse(html, "text/html", "http://a.test/", "a.test", None)
        assert first.title == "Still parsed"
        pool = parser._pool
        assert pool is not None
        for process in list(pool._processes.values()):  # type: ignore[union-attr]
            os.kill(process.pid, signal.SIGKILL)
            process.join()
        after = await parser.parse(html, "text/html", "http://a.test/", "a.test", None)
        assert after.title == "Still parsed"
        assert parser._broken
    finally:
        await parser.close()


def test_pool_starts_while_a_ui_captures_stderr() -> None:
    """Textual replaces sys.stderr; the pool must still start (in a fresh process)."""
    code = """
import asyncio, contextlib, io
from tui_scraper.engine.parse import ProcessPageParser

class Captured(io.StringIO):
    def fileno(self) -> int:
        return -1  # what a capturing UI stream may answer

async def main() -> None:
    parser = ProcessPageParser(processes=1, pool_above_pages_per_s=0)
    with contextlib.redirect_stderr(Captured()), contextlib.redirect_stdout(Captured()):
        page = await parser.parse(b"<title>T</title>", "text/html", "http://a.test/", "a.test", "")
    print(page.title, parser._broken, parser._pool is not None)
    await parser.close()

if __name__ == "__main__":
    asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["T", "False", "True"], result.stderr


async def test_a_page_that_breaks_the_parser_in_a_worker_costs_that_page_alone() -> None:
    """Its exception reaches its caller; the pool goes on parsing the other pages."""
    parser = ProcessPageParser(processes=1, pool_above_pages_per_s=0)
    html = b"<title>Fine</title>"
    try:
        results = await asyncio.gather(
            parser.parse(None, "text/html", "http://a.test/", "a.test", None),  # type: ignore[arg-type]
            parser.parse(html, "text/html", "http://a.test/b", "a.test", None),
            return_exceptions=True,
        )
        assert isinstance(results[0], AttributeError)  # the bytes method None lacks
        assert getattr(results[1], "title", None) == "Fine"
        assert not parser._broken
        assert parser._pool is not None
        again = await parser.parse(html, "text/html", "http://a.test/c", "a.test", None)
        assert again.title == "Fine"
        assert not parser._broken
    finally:
        await parser.close()
