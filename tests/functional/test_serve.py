"""`tui-scraper serve --demo` in a real browser: Debian's Chromium driven by Playwright.

The server runs as a subprocess, as a user starts it; the browser opens the printed
URL, the app draws in it, keys reach it, its batch lands in the session's store and
an export downloads. The guards are checked with plain aiohttp requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, WebSocket, async_playwright
from yarl import URL

from tests.helpers.app import SIZE, finished, wait_for
from tests.helpers.watching import until_files_async
from tui_scraper.app import make_app
from tui_scraper.cli import main
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.settings import Settings
from tui_scraper.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "screenshots" / "browser.png"


def screenshot_path() -> Path:
    """The README's screenshot when asked for (TUI_SCRAPER_SCREENSHOTS=1), else a file in
    the temporary folder: a test run leaves the repository as it found it."""
    if os.environ.get("TUI_SCRAPER_SCREENSHOTS") == "1":
        return README_SCREENSHOT
    return Path(tempfile.gettempdir()) / "tui-scraper-browser.png"


MAX_SESSIONS = 3
START_TIMEOUT = 60.0


@dataclass
class Served:
    """A running `tui-scraper serve --demo` and what it printed."""

    process: subprocess.Popen[str]
    url: str
    stores: Path
    output: list[str] = field(default_factory=list)
    output_grew: threading.Condition = field(default_factory=threading.Condition)

    async def wait_for_output(self, condition: Callable[[str], bool], timeout: float) -> None:
        """Until `condition(all it printed)` holds: woken by each line the reader appends."""

        def wait() -> bool:
            with self.output_grew:
                return self.output_grew.wait_for(lambda: condition("".join(self.output)), timeout)

        if not await asyncio.to_thread(wait):
            raise TimeoutError(f"serve did not print it within {timeout}s: {self.output[-5:]}")

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return str(URL(self.url).origin())

    @property
    def token(self) -> str:
        return URL(self.url).query["token"]

    def ws_url(self, **query: str) -> str:
        return str(URL(self.base).with_scheme("ws").with_path("/ws").with_query(query))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`tui-scraper serve --demo` on a free port, stopped (and checked) at the end."""
    command = [sys.executable, "-m", "tui_scraper", "serve", "--demo"]
    command += ["--port", str(free_port()), "--max-sessions", str(MAX_SESSIONS)]
    process = subprocess.Popen(
        command,
        cwd=tmp_path_factory.mktemp("serve"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    output_grew = threading.Condition()
    ready = threading.Event()
    thread = threading.Thread(
        target=_drain, args=(process, output, output_grew, ready), daemon=True
    )
    thread.start()
    try:
        if not ready.wait(START_TIMEOUT):
            pytest.fail("serve printed no URL:\n" + "".join(output))
        text = "".join(output)
        url = re.search(r"open (http://\S+)", text)
        stores = re.search(r"stores: (\S+)/session-N\.json", text)
        assert url and stores, text
        served = Served(process, url.group(1), Path(stores.group(1)), output, output_grew)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        thread.join(timeout=10)
    # Stopped by SIGTERM, it ends cleanly and takes its temporary stores with it.
    assert code == 0, "".join(output)
    assert not served.stores.exists()


def _drain(
    process: subprocess.Popen[str],
    output: list[str],
    output_grew: threading.Condition,
    ready: threading.Event,
) -> None:
    """Keep reading the server's output (its apps' stderr too), so it never blocks on it."""
    assert process.stdout is not None
    for line in process.stdout:
        with output_grew:
            output.append(line)
            output_grew.notify_all()
        if "at most" in line:  # the last line of the announcement
            ready.set()
    ready.set()


class TerminalOutput:
    """What the app sent to the browser's terminal, to wait for text to be drawn."""

    def __init__(self) -> None:
        self.text = ""
        self.changed = asyncio.Event()

    def attach(self, websocket: WebSocket) -> None:
        if websocket.url.split("?")[0].endswith("/ws"):
            websocket.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.text += payload.decode("utf-8", "replace")
            self.changed.set()

    async def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` has been drawn since the last `forget()`."""
        try:
            async with asyncio.timeout(timeout):
                while text not in self.text:
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"{text!r} not drawn; drawn last: {self.text[-400:]!r}") from None

    def forget(self) -> None:
        self.text = ""


def stored_pages(stores: Path) -> dict[str, int]:
    """Pages stored per batch, over every session's store."""
    counts: dict[str, int] = {}
    for path in sorted(stores.glob("session-*.json")):
        with Store.open(str(path)) as store:
            for batch in store.all_batches():
                counts[batch["batch_id"]] = sum(1 for _ in store.batch_pages(batch["batch_id"]))
    return counts


async def test_without_token_or_from_another_origin_is_refused(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/?token=wrong", "/static/js/textual.js", "/download/anything"):
            async with http.get(served.base + path) as response:
                assert response.status == 403, path
        async with http.get(served.url) as response:
            assert response.status == 200
            assert "textual-terminal" in await response.text()
        # The websocket needs the token too, and refuses pages of other origins even with it.
        cases = [
            (served.ws_url(), served.base),
            (served.ws_url(token=served.token), "http://evil.example"),
            (served.ws_url(token=served.token), "http://127.0.0.1:1"),
        ]
        for ws_url, origin in cases:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(ws_url, origin=origin)
            assert refused.value.status == 403, (ws_url, origin)


async def test_the_demo_in_chromium(served: Served) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 800}, accept_downloads=True
            )
            requested: list[str] = []
            context.on("request", lambda request: requested.append(request.url))
            page = await context.new_page()
            terminal = TerminalOutput()
            page.on("websocket", terminal.attach)
            await page.goto(served.url)
            await page.wait_for_selector("body.-first-byte", state="attached", timeout=30_000)
            await drive_the_app(page, terminal, served)
            # Everything the page asked for came from this server: it draws offline.
            assert {URL(url).origin() for url in requested} == {URL(served.base)}
            font_faces = "[...document.fonts].map(face => [face.family, face.status])"
            assert await page.evaluate(font_faces) == [["Roboto Mono", "loaded"]]
            await check_the_session_cap(served)
        finally:
            await browser.close()


async def drive_the_app(page: Page, terminal: TerminalOutput, served: Served) -> None:
    """Keys reach the app; its demo batch stores pages; an export downloads."""
    await page.focus(".xterm-helper-textarea")
    # The batch screen's table (its column "fetching"): the demo batch started by itself.
    await terminal.wait_for("fetching")
    await page.keyboard.press("?")
    await terminal.wait_for("List every key")
    terminal.forget()
    await page.keyboard.press("Escape")
    await terminal.wait_for("fetching")  # the batch table's header, drawn again
    await until_files_async(
        served.stores,
        lambda: sum(stored_pages(served.stores).values()) >= 100,
        90,
        "100 pages in the session's store",
    )
    shot = screenshot_path()
    await page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    pages = stored_pages(served.stores)
    assert len(pages) == 1, pages  # this session's store holds its one batch
    [batch_id] = pages

    terminal.forget()
    await page.keyboard.press("h")
    await terminal.wait_for("history")
    async with page.expect_download(timeout=30_000) as download_info:
        await page.keyboard.press("e")
    download = await download_info.value
    assert download.suggested_filename.endswith("-pages.jsonl")
    rows = [json.loads(line) for line in Path(await download.path()).read_text().splitlines()]
    assert rows, "the export downloaded empty"
    assert {row["batch_id"] for row in rows} == {batch_id}


async def check_the_session_cap(served: Served) -> None:
    """With the browser's session live, two more fit; the fourth is refused, then let in."""
    async with aiohttp.ClientSession() as http:
        ws_url = served.ws_url(token=served.token)
        extra = [await http.ws_connect(ws_url, origin=served.base) for _ in range(2)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url, origin=served.base)
        assert refused.value.status == 503
        async with http.get(served.url) as response:
            assert response.status == 503
            assert "busy" in await response.text()
        ended_before = "".join(served.output).count(" ended; ")
        for websocket in extra:
            await websocket.close()
        # The places free once the two apps are gone, which serve says line by line.
        await served.wait_for_output(lambda text: text.count(" ended; ") >= ended_before + 2, 60)
        async with http.get(served.url) as response:
            assert response.status == 200


async def test_the_demo_app_attaches_to_a_running_demo_server(
    tmp_path: Path, demo_web: DemoWeb, demo_server: DemoServer
) -> None:
    """What each served session does: crawl the one demo web serve runs, not one of its own."""
    app = make_app(
        settings=Settings(max_pages=2, timeout=2.0),
        db_path=str(tmp_path / "store.json"),
        domains_text="acme-plumbing.test\ngranite-cafe.test",
        demo_web=demo_web,
        demo_facts=json.loads(json.dumps(demo_server.connection_facts())),  # as read from a file
        autostart=True,
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: finished(app))
        assert app.demo_server is None  # attached: it served nothing itself
        assert demo_server.stats.host("acme-plumbing.test").requests > 0
        await pilot.press("q")
    [batch] = Store.open(str(tmp_path / "store.json")).all_batches()
    assert batch["counts"]["done"] == 2
    assert batch["demo_seed"] == demo_web.seed


def test_a_busy_port_is_bad_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
