"""What the demo web was asked: requests per site, in flight, arrival times, headers.

The counters exist so tests can check the crawler's politeness from the server's side
(requests per site, simultaneous requests, abandoned downloads) instead of trusting the
crawler's own account of itself.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web


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
    # "http" or "https" of every request, in the same order
    schemes: list[str] = field(default_factory=list)
    # the Cookie header of every request that sent one
    cookies: list[str] = field(default_factory=list)
    # the headers of the latest request, as received
    last_headers: dict[str, str] = field(default_factory=dict)


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

    def begin(self, key: str, host: str, path: str, request: web.Request | None = None) -> None:
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
        if request is not None:
            stats.schemes.append(request.scheme)
            stats.last_headers = dict(request.headers)
            cookie = request.headers.get("Cookie")
            if cookie is not None:
                stats.cookies.append(cookie)
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
