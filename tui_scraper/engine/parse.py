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
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from tui_scraper.engine.decode import decode_html
from tui_scraper.engine.extract import Extraction, extract
from tui_scraper.engine.fields import FieldSpec
from tui_scraper.engine.urls import Scope

MAX_PARSER_PROCESSES = 4
RATE_WINDOW_S = 1.0


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
        pool = self._pool_or_none()
        if pool is not None:
            try:
                with _real_standard_streams():  # a worker may be (re)started here
                    future = pool.submit(
                        parse_page, body, content_type, url, scope_host, phone_region, fields
                    )
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self._broken = True  # a worker died (killed, out of memory): parse here instead
            except RuntimeError:
                self._broken = True  # the pool was shut down under us
        return parse_page(body, content_type, url, scope_host, phone_region, fields)

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
