"""--proxy and the proxy environment variables, through a small forward proxy on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import pytest

from tests.helpers.demo import run_batch
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine.events import DomainStatus
from tui_scraper.settings import Settings

ABSOLUTE_FORM = re.compile(rb"(?m)^(GET|HEAD) (http://[^/ ]+)(/\S*)")


class ForwardProxy:
    """Forwards absolute-form HTTP requests to one upstream port; refuses CONNECT (no TLS)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.requests: list[str] = []
        self.connects: list[str] = []
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await reader.readline()
            line = first.decode("latin-1").strip()
            if line.startswith("CONNECT "):
                self.connects.append(line.split()[1])
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            up_writer.write(self._origin_form(first))
            await asyncio.gather(
                self._pipe(reader, up_writer, record=True), self._pipe(up_reader, writer)
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _origin_form(self, data: bytes) -> bytes:
        """Record absolute-form request lines and rewrite them as a real proxy does."""
        for match in ABSOLUTE_FORM.finditer(data):
            self.requests.append(match.group(2).decode() + match.group(3).decode())
        return ABSOLUTE_FORM.sub(rb"\1 \3", data)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool = False
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(self._origin_form(chunk) if record else chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ForwardProxy]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self


async def test_proxy_flag_routes_every_request(demo_web: DemoWeb) -> None:
    host = demo_web.sites_of_kind("normal")[0].host
    async with DemoServer(demo_web) as server, ForwardProxy(server.port).running() as proxy:
        # No --connect-to: the .test names are reachable through the proxy alone.
        settings = Settings(proxy=f"http://127.0.0.1:{proxy.port}", max_pages=3, timeout=3)
        run = await run_batch(settings, [host])
    assert run.records[host]["status"] == DomainStatus.DONE
    assert run.records[host]["pages_ok"] == 3
    assert proxy.connects == [f"{host}:443"]  # https tried first, then http
    assert f"http://{host}/robots.txt" in proxy.requests
    assert len(proxy.requests) >= 4


async def test_proxy_environment_variable_is_honoured(
    demo_web: DemoWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = demo_web.sites_of_kind("normal")[1].host
    async with DemoServer(demo_web) as server, ForwardProxy(server.port).running() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        run = await run_batch(Settings(max_pages=2, timeout=3), [host])
    assert run.records[host]["status"] == DomainStatus.DONE
    assert f"http://{host}/" in proxy.requests


async def test_no_proxy_hosts_go_direct(demo_web: DemoWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    host = demo_web.sites_of_kind("normal")[2].host
    async with DemoServer(demo_web) as server, ForwardProxy(server.port).running() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", host)
        settings = Settings(
            max_pages=2, timeout=3, connect_to=list(server.connect_to), ca_bundle=server.ca_path
        )
        run = await run_batch(settings, [host])
    assert run.records[host]["status"] == DomainStatus.DONE
    assert proxy.requests == [] and proxy.connects == []
