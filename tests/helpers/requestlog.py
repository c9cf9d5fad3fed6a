"""What the demo web was asked over a window of time, from its timestamped request log.

"Nothing was asked while paused" is asserted over a window whose end is an event
that did happen, not the end of a sleep: requests to a probe host, sent one after
another to the same demo web, kept arriving (and were logged) while the watched
sites stayed silent.
"""

from __future__ import annotations

from collections.abc import Collection

import aiohttp

from tui_scraper.demo import DemoServer
from tui_scraper.demo.stats import DemoStats, site_key

# A name the demo web does not serve: each request to it is logged, then answered 404.
PROBE_HOST = "probe.test"


def arrivals_between(
    stats: DemoStats, start: float, end: float, *, besides: Collection[str] = (PROBE_HOST,)
) -> list[tuple[str, str, float]]:
    """Every request (Host header, path, arrival time) logged in [start, end], in arrival
    order, except those to the sites `besides` (by default the probe's)."""
    skipped = {site_key(host) for host in besides}
    return sorted(
        (
            (host, path, at)
            for site, counters in stats.hosts.items()
            if site not in skipped
            for (host, path), at in zip(counters.requests_log, counters.arrivals, strict=True)
            if start <= at <= end
        ),
        key=lambda request: request[2],
    )


async def probe(
    server: DemoServer, *, count: int = 1, span: float = 0.0, host: str = PROBE_HOST
) -> tuple[float, float]:
    """Ask `host` at the demo web, one request after another: at least `count` times, and
    on until the log of these requests spans `span` seconds. Returns the first and the
    last of their arrival times, as the demo web logged them."""
    async with aiohttp.ClientSession() as session:
        sent = 0
        first = last = 0.0
        while sent < count or last - first < span:
            async with session.get(f"{server.base_url}/", headers={"Host": host}) as response:
                await response.read()
            sent += 1
            arrivals = server.stats.host(host).arrivals
            first, last = arrivals[-sent], arrivals[-1]
    return first, last
