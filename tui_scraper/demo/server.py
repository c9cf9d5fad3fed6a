"""The demo web's server on 127.0.0.1: HTTP and HTTPS, dispatches on Host, misbehaves on purpose.

It counts what it is asked (`stats.py`), serves DNS for its names (`dns.py`) and makes
its certificates (`tls.py`).
"""

from __future__ import annotations

import asyncio
import functools
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .dns import DemoDnsProtocol, start_dns_server
from .kinds import COOKIE_WALL_COOKIE, HUGE_CHUNK_BYTES, METADATA_URL
from .special import NOT_FOUND_BODY
from .stats import DemoStats, host_of
from .tls import DemoCertificates
from .truth import HTML_UTF8, DemoFile, DemoPage, DemoSite, DemoWeb

_FIRST_TRY_STATUS = {"flaky_503": 503, "rate_limited_429": 429}


def _gatekeeper(request: web.Request, site: DemoSite, path: str) -> web.Response | None:
    """What a cookie wall or a bot filter answers instead of the page, if anything."""
    if path == "/robots.txt" or path in site.files:
        return None
    if site.kind == "cookie_wall":
        name, value = COOKIE_WALL_COOKIE
        if request.cookies.get(name) != value:
            # Consent given by the redirect itself: back to the same URL, cookie set.
            response = web.Response(
                status=302,
                body=b"<p>We value your privacy.</p>\n",
                headers={"Location": path, "Content-Type": HTML_UTF8},
            )
            response.set_cookie(name, value, path="/", httponly=True, samesite="Lax")
            return response
    if site.kind == "browser_only" and "text/html" not in request.headers.get("Accept", ""):
        return web.Response(
            status=403, body=b"Forbidden: browsers only.\n", content_type="text/plain"
        )
    return None


def _bound_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    return sock


@functools.cache
def _filler() -> bytes:
    """One 64 KiB chunk of plausible HTML for streamed bodies."""
    para = (
        b"<p>This archive page goes on and on: every order, every invoice and every note "
        b"since the shop opened, all on one page, because nobody ever paginated it.</p>\n"
    )
    return (para * (HUGE_CHUNK_BYTES // len(para) + 1))[:HUGE_CHUNK_BYTES]


# The `demo` command's per-response latency: like a real network, so progress is watchable.
DEMO_LATENCY_S = 0.1


# The site whose https port never answers (a filtered port 443); http works.
FILTERED_HTTPS_HOST = "filtered-https.test"
METADATA_HOST = METADATA_URL.split("/")[2]


class DemoServer:
    """Serves a `DemoWeb` on loopback over HTTP and HTTPS; reach it with `connect_to` rules.

    It also runs a DNS server for the web's names (`nameserver`) and makes the
    certificate authority its HTTPS certificates come from (`ca_path`).
    """

    def __init__(self, web: DemoWeb, latency: float = 0.0, slow_delay: float = 0.5) -> None:
        self.web = web
        self.latency = latency
        self.slow_delay = slow_delay
        self.stats = DemoStats()
        self._first_seen: set[tuple[str, str]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tls_port: int | None = None
        self._side_port: int | None = None
        self._refused: socket.socket | None = None
        self._blackhole: socket.socket | None = None
        self._dns: asyncio.DatagramTransport | None = None
        self.dns: DemoDnsProtocol | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._certificates: DemoCertificates | None = None
        self._changed = asyncio.Event()
        self._waiters = 0
        self._stopping = False

    # -- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0, tls_port: int = 0) -> None:
        """Listen on host:port (HTTP) and host:tls_port (HTTPS; 0 picks free ports)."""
        if self._runner is not None:
            raise RuntimeError("DemoServer already started")
        self._folder = tempfile.TemporaryDirectory(prefix="tui-scraper-demo-")
        self._certificates = DemoCertificates(Path(self._folder.name))
        # Bound but never listening: connecting gets ECONNREFUSED at once.
        self._refused = _bound_socket(host)
        # Listening but never accepting: connections get no answer (a filtered port).
        self._blackhole = _bound_socket(host)
        self._blackhole.listen(64)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that times out or hangs up cancels its handler,
        # so in-flight counters drop; a short shutdown_timeout lets stop() end hanging ones.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.2
        )
        await runner.setup()
        self._runner = runner
        try:
            await web.TCPSite(runner, host, port).start()
            # A second HTTP port nobody names: the other-port site redirects here.
            await web.TCPSite(runner, host, 0).start()
            tls_site = web.TCPSite(
                runner, host, tls_port, ssl_context=self._certificates.server_context
            )
            await tls_site.start()
            self._dns, self.dns = await start_dns_server(self.web.knows, host)
        except BaseException:
            await self.stop()
            raise
        self._port = runner.addresses[0][1]
        self._side_port = runner.addresses[1][1]
        self._tls_port = runner.addresses[2][1]
        self._stopping = False

    async def stop(self) -> None:
        """Stop serving (cancelling requests still in flight) and free every port."""
        self._stopping = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        for sock in (self._refused, self._blackhole):
            if sock is not None:
                sock.close()
        self._refused = self._blackhole = None
        if self._dns is not None:
            self._dns.close()
            self._dns = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    async def __aenter__(self) -> DemoServer:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses

    @property
    def port(self) -> int:
        """The HTTP port."""
        if self._port is None:
            raise RuntimeError("DemoServer not started")
        return self._port

    @property
    def tls_port(self) -> int:
        """The HTTPS port."""
        if self._tls_port is None:
            raise RuntimeError("DemoServer not started")
        return self._tls_port

    @property
    def side_port(self) -> int:
        """A second HTTP port of this server that no rule names (a private target)."""
        if self._side_port is None:
            raise RuntimeError("DemoServer not started")
        return self._side_port

    @property
    def refused_port(self) -> int:
        """A port on 127.0.0.1 where connections are refused."""
        if self._refused is None:
            raise RuntimeError("DemoServer not started")
        return self._refused.getsockname()[1]

    @property
    def blackhole_port(self) -> int:
        """A port on 127.0.0.1 where connections get no answer at all."""
        if self._blackhole is None:
            raise RuntimeError("DemoServer not started")
        return self._blackhole.getsockname()[1]

    @property
    def nameserver(self) -> str:
        """The DNS server, as `127.0.0.1:PORT`."""
        if self._dns is None:
            raise RuntimeError("DemoServer not started")
        address, port = self._dns.get_extra_info("sockname")[:2]
        return f"{address}:{port}"

    @property
    def ca_path(self) -> str:
        """The PEM file of the CA that signs the demo web's certificates (for --ca-bundle)."""
        if self._certificates is None:
            raise RuntimeError("DemoServer not started")
        return str(self._certificates.ca_path)

    @property
    def connect_to(self) -> list[str]:
        """curl-style rules sending every host's 80 and 443 here, without DNS.

        The filtered-https site's 443 goes to the port that never answers.
        """
        return [
            f"{FILTERED_HTTPS_HOST}:443:127.0.0.1:{self.blackhole_port}",
            f":443:127.0.0.1:{self.tls_port}",
            f":80:127.0.0.1:{self.port}",
        ]

    def network_facts(self) -> dict[str, object]:
        """How a crawler reaches this web through its DNS server (JSON-ready).

        `connect_to` rules change ports only: names resolve through `nameservers`.
        """
        return {
            "connect_to": [
                f"{FILTERED_HTTPS_HOST}:443::{self.blackhole_port}",
                # Even with --allow-private, the metadata redirect stays on this machine.
                f"{METADATA_HOST}:80:127.0.0.1:{self.blackhole_port}",
                f":443::{self.tls_port}",
                f":80::{self.port}",
            ],
            "nameservers": [self.nameserver],
            "ca_bundle": self.ca_path,
        }

    def connection_facts(self) -> dict[str, Any]:
        """What a crawler in another process needs to reach this server, as JSON-able data.

        `python -m tui_scraper.demo` prints it and `tui-scraper demo --attach FILE` reads
        it; both pass it through whole, so a new fact needs adding here only.
        """
        return {
            "port": self.port,
            "tls_port": self.tls_port,
            "refused_port": self.refused_port,
            "connect_to": self.connect_to,
            "ca_bundle": self.ca_path,
            "network": self.network_facts(),
            "domains": self.web.demo_domains(),
        }

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, for clients that set the Host header themselves."""
        return f"http://127.0.0.1:{self.port}"

    # -- state for tests

    def reset(self) -> None:
        """Clear the counters and the first-request memory of the 503/429 sites."""
        self.stats.reset()
        self._first_seen.clear()
        self._notify()

    async def wait_until(self, predicate: Callable[[DemoStats], bool], timeout: float) -> None:
        """Return once `predicate(stats)` holds; re-checked whenever a request starts or ends.

        Raises TimeoutError when it does not hold within `timeout` seconds.
        """
        self._waiters += 1
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self.stats):
                    await self._changed.wait()
        except TimeoutError:
            busy = sorted(self.stats.in_flight_hosts())
            raise TimeoutError(
                f"condition not met within {timeout}s "
                f"(total_requests={self.stats.total_requests}, in flight: {busy})"
            ) from None
        finally:
            self._waiters -= 1

    def _notify(self) -> None:
        if self._waiters:
            # Wake every waiter, then give later waits a fresh event.
            self._changed.set()
            self._changed = asyncio.Event()

    # -- serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = host_of(request.host)
        key = host[4:] if host.startswith("www.") else host
        path = request.raw_path
        self.stats.begin(key, host, path, request)
        self._notify()
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            site = self.web.find(host)
            if site is None:
                return web.Response(status=404, text=f"unknown host {host!r}\n")
            return await self._serve(request, site, key, host, path)
        finally:
            self.stats.end(key)
            self._notify()

    async def _serve(
        self, request: web.Request, site: DemoSite, key: str, host: str, path: str
    ) -> web.StreamResponse:
        canonical = site.canonical_host or site.host
        if host != canonical:
            location = f"{request.scheme}://{canonical}{path}"
            return web.Response(
                status=301,
                body=f'<a href="{location}">Moved</a>\n'.encode(),
                headers={"Location": location, "Content-Type": HTML_UTF8},
            )
        kind = site.kind
        refusal = _gatekeeper(request, site, path)
        if refusal is not None:
            return refusal
        if kind == "slow":
            await asyncio.sleep(self.slow_delay)
        elif kind == "hanging" and path == site.start_path:
            await asyncio.get_running_loop().create_future()  # until the client gives up
        elif (
            kind in _FIRST_TRY_STATUS
            # robots.txt and sitemaps stay reliable: these sites test page retries only.
            and path != "/robots.txt"
            and path not in site.files
            and (key, path) not in self._first_seen
        ):
            self._first_seen.add((key, path))
            status = _FIRST_TRY_STATUS[kind]
            headers = {"Content-Type": "text/plain; charset=utf-8"}
            if status == 429:
                headers["Retry-After"] = "1"
            return web.Response(status=status, body=b"Please try again.\n", headers=headers)
        resource = site.resolve(path)
        if resource is None:
            return web.Response(
                status=404, body=NOT_FOUND_BODY, headers={"Content-Type": HTML_UTF8}
            )
        if resource.stream_bytes > 0:
            return await self._stream(request, resource, key, path)
        headers = {"Content-Type": resource.content_type}
        headers.update(resource.headers)
        if kind == "port_redirect" and "Location" in headers:
            headers["Location"] = f"http://127.0.0.1:{self.side_port}/admin"
        return web.Response(status=resource.status, body=resource.body, headers=headers)

    async def _stream(
        self, request: web.Request, resource: DemoPage | DemoFile, key: str, path: str
    ) -> web.StreamResponse:
        """Send `resource.body` then filler up to `stream_bytes`, noting an early hang-up."""
        response = web.StreamResponse(status=resource.status)
        response.headers["Content-Type"] = resource.content_type
        response.headers.update(resource.headers)
        await response.prepare(request)
        filler = _filler()
        total = resource.stream_bytes
        try:
            await response.write(resource.body)
            sent = len(resource.body)
            while sent < total:
                chunk = filler if total - sent >= len(filler) else filler[: total - sent]
                await response.write(chunk)
                sent += len(chunk)
                # A TLS transport whose peer hung up swallows writes without pausing:
                # yield, so the hang-up is seen, and stop writing into nowhere.
                await asyncio.sleep(0)
                if request.transport is None or request.transport.is_closing():
                    self._closed_early(key, path)
                    return response
            await response.write_eof()
        except asyncio.CancelledError:
            if not self._stopping:
                self._closed_early(key, path)
            raise
        except ConnectionError:
            self._closed_early(key, path)
        return response

    def _closed_early(self, key: str, path: str) -> None:
        self.stats.closed_early.add((key, path))
        self._notify()
