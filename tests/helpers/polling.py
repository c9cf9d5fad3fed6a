"""Waiting on another process's state (files, an HTTP server, a cluster's workers).

Where the test owns no event to await, the condition is re-checked at a short
interval until it holds, and the wait fails with a clear message once its
timeout runs out. One helper, so every such wait is bounded the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

RECHECK_S = 0.05


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once `condition()` holds; TimeoutError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout}s")
        time.sleep(RECHECK_S)


async def until_async(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """`until` for a condition that must be awaited (an HTTP request, a cluster call)."""
    try:
        async with asyncio.timeout(timeout):
            while not await condition():
                await asyncio.sleep(RECHECK_S)
    except TimeoutError:
        raise TimeoutError(f"{what} not within {timeout}s") from None
