"""Turning a fetched HTML body into an Extraction, in this process or in a process pool.

Decoding and extraction are most of a crawl's CPU. On a machine with more than
one core, `ProcessPageParser` runs them in worker processes, so the event loop
stays free for the network and the screen, and a second core does the parsing.
Like the HTTP client, a parser is shared by every domain of a batch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from tui_scraper.engine.decode import decode_html
from tui_scraper.engine.extract import Extraction, extract
from tui_scraper.engine.fields import FieldSpec
from tui_scraper.engine.urls import Scope

MAX_PARSER_PROCESSES = 4
RATE_WINDOW_S = 1.0
# Pages in one pool task at most: a page's answer waits for its whole task.
MAX_BATCH = 4


def parse_page(
    body: bytes,
    content_type: str | None,
    url: str,
    scope_host: str,
    phone_region: str | None,
    fields: tuple[FieldSpec, ...] = (),
) -> Extraction:
    """Decode and extract one HTML page (a plain function, so a worker process can run it).

    Its arguments, `fields` included (frozen dataclasses), pickle for the process pool.
    """
    text, _encoding = decode_html(body, content_type)
    return extract(text, url, Scope(scope_host).is_internal_host, phone_region, fields)


PageCall = tuple[bytes, str | None, str, str, str | None, tuple[FieldSpec, ...]]
"""The arguments of one `parse_page` call."""


def parse_pages(calls: list[PageCall]) -> list[tuple[bool, Any]]:
    """`parse_page` of each call: (True, extraction) or (False, the exception it raised).

    A worker process's task: one page's failure stays that page's.
    """
    results: list[tuple[bool, Any]] = []
    for call in calls:
        try:
            results.append((True, parse_page(*call)))
        except Exception as error:
            results.append((False, _picklable(error)))
    return results


def _picklable(error: Exception) -> Exception:
    """The exception itself if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


class _PoolFailed(Exception):
    """The pool could not parse a task (a worker died, the pool was shut down)."""


def _fail(batch: list[tuple[PageCall, asyncio.Future[Extraction]]], error: _PoolFailed) -> None:
    for _call, future in batch:
        if not future.done():
            future.set_exception(error)


class PageParser(Protocol):
    """What a domain crawl needs to parse its pages."""

    async def parse(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        scope_host: str,
        phone_region: str | None,
        fields: tuple[FieldSpec, ...] = (),
    ) -> Extraction: ...

    async def close(self) -> None: ...


class InlineParser:
    """Parses on the event loop itself: no processes, for one core and for tests."""

    async def parse(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        scope_host: str,
        phone_region: str | None,
        fields: tuple[FieldSpec, ...] = (),
    ) -> Extraction:
        return parse_page(body, content_type, url, scope_host, phone_region, fields)

    async def close(self) -> None:
        pass


class ProcessPageParser:
    """Parses in a pool of worker processes once pages come fast; falls back to inline.

    A slow trickle of pages is parsed inline: handing a page to another process
    costs more CPU than it saves when the loop has time to spare. The pool starts
    on first need, and a broken pool (a worker killed) means parsing inline again.
    """

    def __init__(self, processes: int | None = None, pool_above_pages_per_s: float = 100.0) -> None:
        cores = os.cpu_count() or 1
        self.processes = processes or max(1, min(cores - 1, MAX_PARSER_PROCESSES))
        self.pool_above = pool_above_pages_per_s
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._broken = False
        self._window_start = 0.0
        self._window_pages = 0
        self._fast = False
        # Pages waiting for a pool task, and the tasks under way: while the pool is busy,
        # the pages that arrive meanwhile go together in the next task.
        self._waiting: list[tuple[PageCall, asyncio.Future[Extraction]]] = []
        self._batches = 0

    def _pool_or_none(self) -> concurrent.futures.ProcessPoolExecutor | None:
        if self._broken:
            return None
        now = time.monotonic()
        self._window_pages += 1
        if now - self._window_start >= RATE_WINDOW_S:
            rate = self._window_pages / max(now - self._window_start, 1e-9)
            self._fast = rate > self.pool_above
            self._window_start, self._window_pages = now, 0
        if not self._fast:
            return None
        if self._pool is None:
            try:
                self._pool = self._start_pool()
            except Exception:  # no processes to be had here: parsing inline is still right
                self._broken = True
                return None
        return self._pool

    def _start_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        """A pool with every worker started now, while the real standard streams are in place.

        forkserver: forking this process (threads, a running loop) is not safe; the
        server preloads the parser so each worker starts in milliseconds. Starting it
        hands the server this process's stderr file descriptor, which a UI that
        captures sys.stderr (Textual does) would not have: so the real one is lent.
        """
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tui_scraper.engine.parse"])
        with _real_standard_streams():
            pool = concurrent.futures.ProcessPoolExecutor(self.processes, mp_context=context)
            for _ in range(self.processes):
                pool.submit(_ready)
        return pool

    async def parse(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        scope_host: str,
        phone_region: str | None,
        fields: tuple[FieldSpec, ...] = (),
    ) -> Extraction:
        call: PageCall = (body, content_type, url, scope_host, phone_region, fields)
        pool = self._pool_or_none()
        if pool is not None:
            future: asyncio.Future[Extraction] = asyncio.get_running_loop().create_future()
            self._waiting.append((call, future))
            if self._batches < self.processes + 1:  # as many as the pool keeps queued
                self._submit(pool)
            try:
                return await future
            except _PoolFailed:
                # A worker died (killed, out of memory) or the pool was shut down under us:
                # parse here instead. A page's own exception is raised as it is.
                self._broken = True
        return parse_page(*call)

    def _submit(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        """Hand the waiting pages (MAX_BATCH at most) to the pool as one task: a task's cost
        is in the handing (two threads of this process, pipes), about 0.3 ms of this
        process's CPU a task, whatever it carries."""
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        try:
            with _real_standard_streams():  # a worker may be (re)started here
                task = pool.submit(parse_pages, [call for call, _future in batch])
        except (BrokenProcessPool, RuntimeError) as error:
            _fail(batch, _PoolFailed(str(error)))
            return
        self._batches += 1
        asyncio.wrap_future(task).add_done_callback(
            lambda done: self._batch_done(pool, batch, done)
        )

    def _batch_done(
        self,
        pool: concurrent.futures.ProcessPoolExecutor,
        batch: list[tuple[PageCall, asyncio.Future[Extraction]]],
        done: asyncio.Future[list[tuple[bool, Any]]],
    ) -> None:
        self._batches -= 1
        if done.cancelled():
            _fail(batch, _PoolFailed("the pool was shut down"))
        elif (error := done.exception()) is not None:
            _fail(batch, _PoolFailed(f"{type(error).__name__}: {error}"))
        else:
            for (_call, future), (ok, value) in zip(batch, done.result(), strict=True):
                if future.done():
                    continue  # its page's crawl was cancelled meanwhile
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        if not self._waiting:
            return
        if pool is self._pool and not self._broken:
            while self._waiting and self._batches < self.processes + 1:
                self._submit(pool)
        else:  # the pool broke or was closed: the waiting pages are parsed inline
            waiting, self._waiting = self._waiting, []
            _fail(waiting, _PoolFailed("the parser pool is gone"))

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


def _ready() -> bool:
    """A task that only proves a worker is up."""
    return True


@contextlib.contextmanager
def _real_standard_streams() -> Iterator[None]:
    """Put the process's real stdout/stderr back for a moment (see `_start_pool`)."""
    saved = sys.stdout, sys.stderr
    if sys.__stdout__ is not None:
        sys.stdout = sys.__stdout__
    if sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def default_parser() -> PageParser:
    """A process pool where there is a core to spare, else parsing inline."""
    if (os.cpu_count() or 1) > 1:
        return ProcessPageParser()
    return InlineParser()
