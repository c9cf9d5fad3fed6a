"""The `StoreWriter`: the engine's event consumer that owns a batch's writes.

Events are queued as they come and written every FLUSH_INTERVAL_S, in the writer's
own thread, to any `BatchStore`: the writer knows the interface, not the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tui_scraper.engine.crawl import utc_now
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    DomainStatus,
    Event,
    PageFetched,
)
from tui_scraper.gc_quiet import gc_paused
from tui_scraper.store.interface import BatchStore, StoreError
from tui_scraper.store.records import batch_counts, stored_settings
from tui_scraper.text import is_plain_json, valid_value

FLUSH_INTERVAL_S = 0.5
# A batch start of more domains copies their documents with the cyclic GC paused.
BULK_START = 2000
# The batch document's counts are rewritten at most this often while a batch runs.
COUNTS_INTERVAL_S = 5.0


class StoreWriter:
    """The event consumer that saves a batch: call it with events, run `run()` beside."""

    def __init__(self, store: BatchStore) -> None:
        if not store.writable:
            raise StoreError("the store was opened read-only")
        self.store = store
        self._queue: list[Event] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._batch_id: str | None = None
        self._domains: dict[str, dict[str, Any]] = {}
        self._started: set[str] = set()  # jobs that started under this writer
        self._counts_written_at = 0.0
        self._running = False
        self.wrote = asyncio.Event()  # set after each flush that wrote events to disk
        self._applied = False
        self.last_error: str | None = None  # the last failed write, until one succeeds
        self.failed_events = 0  # events that could not be saved at all (a defect)
        self._stored_pages: Counter[str] = Counter()  # pages in the store, by job id
        self._record_error: str | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(
            event, BatchStarted | DomainStarted | PageFetched | DomainFinished | BatchFinished
        ):
            self._queue.append(event)
            if isinstance(event, BatchStarted | BatchFinished):
                self._wake.set()  # a batch is on disk, resumable, from its first moment

    async def run(self) -> None:
        """Write queued events every FLUSH_INTERVAL_S until `close`, then the rest.

        The writing (JSON encoding, fsync) happens in the writer's own thread, so
        the event loop goes on crawling and drawing meanwhile, and nothing else that
        uses threads (a slow lookup, say) can hold a write up; only this task touches
        the store.
        """
        self._running = True
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        try:
            while not self._closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_S)
                self._wake.clear()
                events = self._take()
                await loop.run_in_executor(executor, self._write, events)
                if events and self.last_error is None:
                    self.wrote.set()
        finally:
            self._running = False
            try:
                await loop.run_in_executor(executor, self._write, self._take())
            finally:
                executor.shutdown(wait=False)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[StoreWriter]:
        """Run the writer for the block; on leaving it (even cancelled) all is written."""
        task = asyncio.create_task(self.run(), name="store writer")
        try:
            yield self
        finally:
            self.close()
            await asyncio.shield(task)

    def close(self) -> None:
        """Stop the writer: `run()` writes what is queued and returns (await it)."""
        self._closed = True
        self._wake.set()
        if not self._running:
            self.write_pending()

    def write_pending(self) -> None:
        """Apply every queued event to the store and flush it to disk, now."""
        self._write(self._take())

    def _take(self) -> list[Event]:
        events, self._queue = self._queue, []
        return events

    def _write(self, events: list[Event]) -> None:
        """Apply `events` to the store and flush it.

        A failed disk write (disk full, too many open files) does not end the batch:
        what is not on disk stays pending in memory and the next flush tries again.
        Nothing else can end it either: an event that cannot be saved at all is
        dropped and named in `last_error`, and the writer goes on with the next ones.
        """
        try:
            self._apply(events)
        except (OSError, StoreError) as error:
            self.last_error = f"{type(error).__name__}: {error}"
            if not self._applied:
                self._queue[:0] = events  # nothing of them is in the store yet: try again
        except Exception as error:  # a defect, never a reason to lose the rest of the batch
            self.last_error = f"{type(error).__name__}: {error}"
            self.failed_events += len(events)
        else:
            self.last_error = self._record_error
        self._record_error = None

    def _savable(self, record: Any) -> dict[str, Any] | None:
        """`record` as valid JSON data; None (and counted) if even that fails, a defect."""
        try:
            # valid_value builds a new dict: no copy of its own needed first
            return valid_value(record if isinstance(record, dict) else dict(record))
        except Exception as error:
            self._record_error = f"a result could not be saved: {type(error).__name__}: {error}"
            self.failed_events += 1
            return None

    def _apply(self, events: list[Event]) -> None:
        self._applied = False
        if not events and not self.last_error:
            return
        pages: list[dict[str, Any]] = []
        dirty_domains: dict[str, dict[str, Any]] = {}
        finished: BatchFinished | None = None
        for event in events:
            if isinstance(event, PageFetched):
                page = self._savable(event.page)
                if page is not None:
                    pages.append(page)
            elif isinstance(event, DomainStarted):
                record = self._domains.setdefault(event.job_id, {"job_id": event.job_id})
                record.update(
                    status=DomainStatus.RUNNING.value, started_at=valid_value(event.started_at)
                )
                dirty_domains[event.job_id] = record
                self._forget_pages_of(event.job_id, pages)
            elif isinstance(event, DomainFinished):
                finished_record = self._savable(event.record)
                if finished_record is None:
                    continue
                record = self._domains.setdefault(event.job_id, {})
                record.update(finished_record)
                dirty_domains[event.job_id] = record
            elif isinstance(event, BatchStarted):
                self._start_batch(event)
            elif isinstance(event, BatchFinished):
                finished = event
        if self._batch_id is None:
            return
        if pages:
            self.store.append_pages(self._batch_id, pages)  # type: ignore[arg-type]
            self._stored_pages.update(str(page.get("job_id")) for page in pages)
        self.store.put_domains(self._batch_id, dirty_domains.values())  # type: ignore[arg-type]
        self._applied = True  # in the store's memory now: a failed flush is retried as is
        now = time.monotonic()
        if finished is not None or now - self._counts_written_at >= COUNTS_INTERVAL_S:
            counts = batch_counts(self._domains.values(), self._stored_pages)
            fields: dict[str, Any] = {"counts": counts}
            if finished is not None:
                fields.update(status=finished.status.value, finished_at=finished.finished_at)
            self.store.update_batch(self._batch_id, fields)
            self._counts_written_at = now
        self.store.flush()  # pages, then domains, then the batch document

    def _forget_pages_of(self, job_id: str, queued: list[dict[str, Any]]) -> None:
        """A domain starting again replaces the pages it stored before, never adds to them."""
        if job_id in self._started and self._batch_id is not None:
            # Only a restart can have pages before its start: a first start costs nothing.
            queued[:] = [page for page in queued if page.get("job_id") != job_id]
            self.store.remove_pages(self._batch_id, {job_id})
            self._stored_pages.pop(job_id, None)
        self._started.add(job_id)

    def _start_batch(self, event: BatchStarted) -> None:
        if len(event.domains) > BULK_START:  # copies of every document: see gc_quiet
            with gc_paused():
                self._start_batch_now(event)
        else:
            self._start_batch_now(event)

    def _start_batch_now(self, event: BatchStarted) -> None:
        if self._batch_id == event.batch_id and not event.resumed:
            return  # the same start event again, after a failed write
        self._batch_id = event.batch_id
        # Valid already (new documents are made from parsed targets): checked, not walked.
        plain = is_plain_json(event.domains)
        domains: list[dict[str, Any]] = event.domains if plain else valid_value(event.domains)
        if event.resumed:
            for stored in self.store.batch_domains(event.batch_id):
                self._domains.setdefault(stored["job_id"], dict(stored))
            rerun = {record["job_id"] for record in domains}
            # Domains cut off mid-crawl start again from scratch: their pages go, in one pass.
            self.store.remove_pages(event.batch_id, rerun)
            self._stored_pages = Counter(
                str(page.get("job_id")) for page in self.store.batch_pages(event.batch_id)
            )
            self._started.difference_update(rerun)
            for record in domains:
                self._domains[record["job_id"]] = dict(record)
            self.store.put_domains(event.batch_id, domains)  # type: ignore[arg-type]
            self.store.update_batch(
                event.batch_id,
                {"status": BatchStatus.RUNNING.value, "finished_at": None},
            )
            return
        for record in domains:
            self._domains[record["job_id"]] = dict(record)
        self.store.create_batch(
            valid_value(
                {
                    "batch_id": event.batch_id,
                    "created_at": utc_now(),
                    "finished_at": None,
                    "status": BatchStatus.RUNNING.value,
                    "settings": stored_settings(event.settings),
                    "domains": [record["domain"] for record in domains],
                    "rejected": [
                        {"line": r.line, "input": r.input, "reason": r.reason}
                        for r in event.rejected
                    ],
                    "counts": batch_counts(domains),
                    **event.labels,
                }
            )
        )
        self.store.put_domains(event.batch_id, domains)  # type: ignore[arg-type]
