"""One domain's pacing, as Scrapy's downloader `Slot` keeps it: delay, Crawl-delay, holds.

The crawl asks its slot before every request and tells it when the host asked
to slow down; it keeps no pacing of its own. Every worker of the domain shares
the slot, so a host that said Retry-After to one worker is left alone by all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

# A wait shorter than this is not worth a phase change on screen.
VISIBLE_WAIT_S = 0.25


class PolitenessSlot:
    """The pacing of one domain's requests: at most one start every `delay` seconds."""

    def __init__(self, delay: float, concurrency: int) -> None:
        self.delay = delay
        self.concurrency = concurrency  # the domain's workers (--per-domain)
        self.next_request_at = 0.0
        self._lock = asyncio.Lock()

    def raise_delay(self, seconds: float | None) -> None:
        """A robots.txt Crawl-delay raises the delay, never lowers it."""
        if seconds is not None and seconds > self.delay:
            self.delay = seconds

    def hold(self, seconds: float) -> None:
        """The host asked to slow down (429, 503, Retry-After): no request for `seconds`."""
        self.next_request_at = max(self.next_request_at, time.monotonic() + seconds)

    async def wait_turn(
        self, on_wait: Callable[[float], Callable[[], None] | None] | None = None
    ) -> None:
        """Wait until this domain may send its next request.

        `on_wait(seconds)` is told of a wait long enough to show; what it returns is
        called when the wait is over.
        """
        if self.delay <= 0 and self.next_request_at <= time.monotonic():
            return  # the common case: no delay, no host asking us to back off
        async with self._lock:
            wait = self.next_request_at - time.monotonic()
            if wait > 0:
                done = on_wait(wait) if on_wait is not None and wait >= VISIBLE_WAIT_S else None
                await asyncio.sleep(wait)
                if done is not None:
                    done()
            if self.delay > 0:
                self.next_request_at = time.monotonic() + self.delay
