"""Building many long-lived objects at once without the cyclic GC's full passes.

A batch of 100,000 domains makes several hundred thousand objects (targets, jobs,
domain documents) in a few threads at once. While they grow, the cyclic GC runs full
collections over all of them, each holding the interpreter 0.1-0.2 s, and every key
press on the screen's loop waits for it. Inside `gc_paused()` the collector is off
(reference counting still frees plain garbage); at the end what was built is frozen
(`gc.freeze`), so later collections skip it, and the collector is on again.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "with_gc_paused"]

_lock = threading.Lock()
_depth = 0  # builds in progress, in any thread: the collector is process-wide
_was_enabled = True

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection while the block builds; its objects frozen at the end."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.freeze()
                if _was_enabled:
                    gc.enable()


def with_gc_paused(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `gc_paused()` (for `asyncio.to_thread`)."""

    @wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return paused
