"""Waiting on another process's files: woken by the kernel's file events, not a timer.

Another process (the app, `serve`'s sessions) writes the store; the test owns no event
of its own to await, so it waits on the folder's change notifications (inotify, through
watchfiles) and checks the condition again after each batch of changes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import watch

# Group the changes of one store save (a temporary file, fsync, rename) into one wake-up.
STEP_MS = 20
DEBOUNCE_MS = 200


def until_files(folder: Path, condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once `condition()` holds, checked at once and after each change under
    `folder`; TimeoutError naming `what` after `timeout` s."""
    folder.mkdir(parents=True, exist_ok=True)
    if condition():
        return
    timed_out = threading.Event()
    timer = threading.Timer(timeout, timed_out.set)
    timer.start()
    try:
        for _changes in watch(
            folder,
            watch_filter=None,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=timed_out,
            rust_timeout=0,
        ):
            if condition():
                return
    finally:
        timer.cancel()
    if condition():  # a change that landed as the watch began, before its first event
        return
    raise TimeoutError(f"{what} not within {timeout}s")


async def until_files_async(
    folder: Path, condition: Callable[[], bool], timeout: float, what: str
) -> None:
    """`until_files` in a thread, for a test whose event loop must keep running."""
    await asyncio.to_thread(until_files, folder, condition, timeout, what)
