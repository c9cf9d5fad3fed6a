"""The demo web's HTTP server on 127.0.0.1: dispatches on Host, misbehaves on purpose, counts.

The counters exist so tests can check the crawler's politeness from the server's side
(requests per site, simultaneous requests, abandoned downloads) instead of trusting the
crawler's own account of itself.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from .sites import (
    HTML_UTF8,
    HUGE_CHUNK_BYTES,
    NOT_FOUND_BODY,
    DemoFile,
    DemoPage,
    DemoSite,
    DemoWeb,
)

_FIRST_TRY_STATUS = {"flaky_503": 503, "rate_limited_429": 429}


def host_of(host_header: str) -> str:
    """The host name of a Host header value: lower-cased, without `:port` or a final dot."""
    name = host_header.strip().lower()
    if name.startswith("["):  # an IPv6 literal keeps its colons
        return name.split("]", 1)[0] + "]"
    return name.rsplit(":", 1)[0].rstrip(".") if ":" in name else name.rstrip(".")


def site_key(host_header: str) -> str:
    """The key counters use for a host: `www.x` and `x` are one site."""
    name = host_of(host_header)
    return name[4:] if name.startswith("www.") else name


@dataclass(slots=True)
class HostStats:
    """What one site (www. and bare together) has been asked."""

    requests: int = 0
    # path + query of every request, in arrival order
    paths: list[str] = field(default_factory=list)
    path_counts: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    # requests per Host header as sent (tells `www.x` from `x`)
    host_counts: Counter[str] = field(default_factory=Counter)
    # (Host header as sent, path + query) of every request, in arrival order
    requests_log: list[tuple[str, str]] = field(default_factory=list)
    # time.monotonic() of every request's arrival, in the same order
    arrivals: list[float] = field(default_factory=list)


@dataclass(slots=True)
class DemoStats:
    """Server-side counters over all sites."""

    hosts: dict[str, HostStats] = field(default_factory=dict)
    total_requests: int = 0
    in_flight: int = 0
    max_hosts_in_flight: int = 0
    # (site, path) of streamed bodies the client abandoned before the end
    closed_early: set[tuple[str, str]] = field(default_factory=set)
    _busy: set[str] = field(default_factory=set, repr=False)

    def host(self, host: str) -> HostStats:
        """The counters of `host` (either form); empty ones if it was never asked."""
        return self.hosts.get(site_key(host)) or HostStats()

    def in_flight_hosts(self) -> set[str]:
        """Sites with at least one request in flight now."""
        return set(self._busy)

    def reset(self) -> None:
        """Forget history; requests still in flight stay counted so they can end cleanly."""
        busy = {key: self.hosts[key].in_flight for key in self._busy}
        self.hosts = {
            key: HostStats(in_flight=count, max_in_flight=count) for key, count in busy.items()
        }
        self.total_requests = 0
        self.max_hosts_in_flight = len(busy)
        self.closed_early = set()

    def begin(self, key: str, host: str, path: str) -> None:
        """Count a request arriving."""
        stats = self.hosts.get(key)
        if stats is None:
            stats = self.hosts[key] = HostStats()
        stats.requests += 1
        stats.paths.append(path)
        stats.path_counts[path] += 1
        stats.host_counts[host] += 1
        stats.requests_log.append((host, path))
        stats.arrivals.append(time.monotonic())
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        self.total_requests += 1
        self.in_flight += 1
        self._busy.add(key)
        self.max_hosts_in_flight = max(self.max_hosts_in_flight, len(self._busy))

    def end(self, key: str) -> None:
        """Count a request finishing (answered, failed or cancelled)."""
        stats = self.hosts[key]
        stats.in_flight -= 1
        self.in_flight -= 1
        if stats.in_flight <= 0:
            self._busy.discard(key)


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


class DemoServer:
    """Serves a `DemoWeb` on loopback; reach it with `connect_to` rules."""

    def __init__(self, web: DemoWeb, latency: float = 0.0, slow_delay: float = 0.5) -> None:
        self.web = web
        self.latency = latency
        self.slow_delay = slow_delay
        self.stats = DemoStats()
        self._first_seen: set[tuple[str, str]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._refused: socket.socket | None = None
        self._changed = asyncio.Event()
        self._waiters = 0
        self._stopping = False

    # -- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port) and reserve the refused port."""
        if self._runner is not None:
            raise RuntimeError("DemoServer already started")
        refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Bound but never listening: connecting gets ECONNREFUSED at once (the https port).
        refused.bind((host, 0))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a client that times out or hangs up cancels its handler,
        # so in-flight counters drop; a short shutdown_timeout lets stop() end hanging ones.
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.2
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            refused.close()
            raise
        self._runner = runner
        self._refused = refused
        self._port = runner.addresses[0][1]
        self._stopping = False

    async def stop(self) -> None:
        """Stop serving (cancelling requests still in flight) and free both ports."""
        self._stopping = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._refused is not None:
            self._refused.close()
            self._refused = None

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
    def refused_port(self) -> int:
        """A port on 127.0.0.1 where connections are refused."""
        if self._refused is None:
            raise RuntimeError("DemoServer not started")
        return self._refused.getsockname()[1]

    @property
    def connect_to(self) -> list[str]:
        """curl-style rules: any host's port 80 to the server, port 443 to the refused port."""
        return [f":80:127.0.0.1:{self.port}", f":443:127.0.0.1:{self.refused_port}"]

    def connection_facts(self) -> dict[str, Any]:
        """What a crawler in another process needs to reach this server, as JSON-able data.

        `python -m tui_scraper.demo` prints it and `tui-scraper demo --attach FILE` reads
        it; both pass it through whole, so a new fact needs adding here only.
        """
        return {
            "port": self.port,
            "refused_port": self.refused_port,
            "connect_to": self.connect_to,
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
        self.stats.begin(key, host, path)
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
            location = f"http://{canonical}{path}"
            return web.Response(
                status=301,
                body=f'<a href="{location}">Moved</a>\n'.encode(),
                headers={"Location": location, "Content-Type": HTML_UTF8},
            )
        kind = site.kind
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
