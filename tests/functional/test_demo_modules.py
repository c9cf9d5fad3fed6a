"""The demo web as modules: the same seeds build the same web, byte for byte, and the web
imports no crawler code.

The expected digests were computed from the demo web as it was before `demo/sites.py` was
split into modules; a change of content (a page body, a status, any truth field) shows up
here. When the web is changed on purpose, recompute them with `web_digest` and say why in
the commit.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import aiohttp

from tests.helpers.digest import web_digest
from tui_scraper.demo import build_demo_web


def test_the_demo_web_imports_no_crawler_code() -> None:
    code = (
        "import json, sys, tui_scraper.demo, tui_scraper.demo.sites, tui_scraper.demo.__main__\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('tui_scraper.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = json.loads(out)
    assert "tui_scraper.demo.web" in loaded
    assert [name for name in loaded if not name.startswith("tui_scraper.demo")] == []


async def _serve_and_stop(*flags: str) -> list[dict[str, object]]:
    """The JSON lines `python -m tui_scraper.demo --perf 2 3 FLAGS` prints around 4 requests."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui_scraper.demo",
        "--perf",
        "2",
        "3",
        "--page-bytes",
        "2000",
        *flags,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        facts = json.loads(await asyncio.wait_for(proc.stdout.readline(), timeout=20))
        base = f"http://127.0.0.1:{facts['port']}"
        async with aiohttp.ClientSession() as session:
            for host, path in (
                ("perf-0001.test", "/p/2"),
                ("perf-0001.test", "/p/2"),
                ("perf-0001.test", "/robots.txt"),
                ("perf-0002.test", "/"),
            ):
                async with session.get(base + path, headers={"Host": host}) as resp:
                    await resp.read()
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stdout.read(), timeout=20)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return [facts, *(json.loads(line) for line in rest.splitlines())]


async def test_counters_are_printed_when_the_server_stops() -> None:
    facts, counters = await _serve_and_stop("--counters")
    assert facts["domains"] == ["perf-0001.test", "perf-0002.test"]
    assert counters["requests"] == 4
    assert counters["robots_txt"] == 1
    assert counters["sitemap_xml"] == 0
    assert counters["repeated"] == 1  # /p/2 twice
    assert counters["hosts"] == 2
    assert counters["max_per_host_in_flight"] == 1
    assert set(counters) == {
        "requests",
        "robots_txt",
        "sitemap_xml",
        "repeated",
        "hosts",
        "max_hosts_in_flight",
        "max_per_host_in_flight",
        "mean_in_flight",
    }


async def test_without_counters_only_the_facts_are_printed() -> None:
    assert len(await _serve_and_stop()) == 1


DEMO_WEB_7 = "e89ef604af17ffb0993c64412b4390bd33b0a6e482bb9ac5107fa5f029360bcb"


def test_demo_web_of_seed_7_is_unchanged() -> None:
    assert web_digest(build_demo_web(7)) == DEMO_WEB_7
