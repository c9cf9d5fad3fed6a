"""The store: TinyDB tables `batches`, `domains` and `pages` behind one small interface.

Every write goes to disk atomically (temporary file in the same folder, fsync,
rename), so the file is valid JSON at every instant. The `StoreWriter` is the
engine's event consumer that owns the database: events are queued as they
come and written in batches, so a page reaches disk within about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from tui_scraper.engine.crawl import utc_now
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DomainFinished,
    DomainRecord,
    DomainStarted,
    DomainStatus,
    Event,
    PageFetched,
    PageRecord,
)

STORE_FORMAT = "tui-scraper-store"
STORE_VERSION = 1
TABLES = frozenset({"_meta", "batches", "domains", "pages"})
FLUSH_INTERVAL_S = 0.5


class StoreError(Exception):
    """The store cannot be opened or used; the message says why, for a person."""


class AtomicJSONStorage(Storage):
    """TinyDB storage writing the whole file atomically: tmp file, fsync, rename."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise StoreError(f"cannot read the store {self.path}: {error}") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise StoreError(
                f"{self.path} is not a tui-scraper store (invalid JSON: {error.msg} "
                f"at line {error.lineno}); it was left untouched"
            ) from None
        check_store_shape(self.path, data)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write_json(self.path, data)

    def close(self) -> None:
        pass


def atomic_write_json(path: Path, data: object) -> None:
    """Write JSON so that `path` holds the old or the new content, never a mix."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def check_store_shape(path: Path, data: object) -> None:
    """Refuse a JSON file that is not a tui-scraper store, before anything writes to it."""
    foreign = StoreError(f"{path} is not a tui-scraper store; it was left untouched")
    if not isinstance(data, dict):
        raise foreign
    if not set(data) <= TABLES or not all(isinstance(table, dict) for table in data.values()):
        raise foreign
    meta = data.get("_meta", {})
    marker = next(iter(meta.values()), {}) if meta else {}
    if data and marker.get("format") != STORE_FORMAT:
        raise foreign
    if marker.get("version", STORE_VERSION) > STORE_VERSION:
        raise StoreError(f"{path} was written by a newer tui-scraper; it was left untouched")


class Store:
    """One store file: open with `Store.open(path)`; writes are buffered until `flush`."""

    def __init__(self, path: str) -> None:
        self.path = path
        folder = Path(path).parent
        if str(folder) and not folder.is_dir():
            raise StoreError(f"cannot create the store {path}: folder {folder} does not exist")
        try:
            self._db = TinyDB(path, storage=CachingMiddleware(AtomicJSONStorage))
            self._db.storage.WRITE_CACHE_SIZE = 1_000_000_000  # we flush on our own schedule
            meta = self._db.table("_meta")
            if not meta.all():
                meta.insert({"format": STORE_FORMAT, "version": STORE_VERSION})
        except StoreError:
            raise
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot open the store {path}: {error}") from None
        self.batches = self._db.table("batches")
        self.domains = self._db.table("domains")
        self.pages = self._db.table("pages")

    @classmethod
    def open(cls, path: str) -> Store:
        return cls(path)

    def flush(self) -> None:
        self._db.storage.flush()

    def close(self) -> None:
        self.flush()
        self._db.close()

    # -- writing ------------------------------------------------------------

    def create_batch(self, document: dict[str, Any]) -> None:
        self.batches.insert(document)

    def update_batch(self, batch_id: str, fields: dict[str, Any]) -> None:
        self.batches.update(fields, Query().batch_id == batch_id)

    def put_domains(self, records: list[DomainRecord]) -> None:
        """Insert or replace domain documents, keyed by job id."""
        by_job = {doc["job_id"]: doc.doc_id for doc in self.domains.all()}
        for record in records:
            doc_id = by_job.get(record["job_id"])
            if doc_id is None:
                self.domains.insert(dict(record))
            else:
                self.domains.update(dict(record), doc_ids=[doc_id])

    def add_pages(self, pages: list[PageRecord]) -> None:
        self.pages.insert_multiple(dict(page) for page in pages)

    def remove_pages_of(self, job_ids: set[str]) -> None:
        """Drop the pages of domains about to be crawled again (resume)."""
        self.pages.remove(Query().job_id.one_of(list(job_ids)))

    # -- reading ------------------------------------------------------------

    def all_batches(self) -> list[dict[str, Any]]:
        return sorted(self.batches.all(), key=lambda doc: doc.get("created_at") or "")

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        return self.batches.get(Query().batch_id == batch_id)  # type: ignore[return-value]

    def batch_domains(self, batch_id: str) -> list[DomainRecord]:
        return self.domains.search(Query().batch_id == batch_id)  # type: ignore[return-value]

    def batch_pages(self, batch_id: str) -> Iterator[PageRecord]:
        yield from self.pages.search(Query().batch_id == batch_id)  # type: ignore[misc]


class StoreWriter:
    """The event consumer that saves a batch: call it with events, run `run()` beside."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[Event] = []
        self._pending_domains: dict[str, DomainRecord] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self.counts: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(
            event, BatchStarted | DomainStarted | PageFetched | DomainFinished | BatchFinished
        ):
            self._queue.append(event)
            if isinstance(event, BatchFinished):
                self._wake.set()

    async def run(self) -> None:
        """Write queued events every FLUSH_INTERVAL_S until `close`."""
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_S)
            self._wake.clear()
            self.write_pending()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.write_pending()

    def write_pending(self) -> None:
        """Apply every queued event to the store and flush it to disk."""
        events, self._queue = self._queue, []
        if not events:
            return
        pages: list[PageRecord] = []
        store = self.store
        for event in events:
            if isinstance(event, PageFetched):
                pages.append(event.page)
            elif isinstance(event, DomainStarted):
                self._pending_domains.setdefault(event.job_id, {})  # type: ignore[typeddict-item]
                pending = self._pending_domains[event.job_id]
                pending.update(status=DomainStatus.RUNNING.value, started_at=event.started_at)
            elif isinstance(event, DomainFinished):
                self._pending_domains[event.job_id] = dict(event.record)  # type: ignore[assignment]
            elif isinstance(event, BatchStarted):
                self._start_batch(event)
            elif isinstance(event, BatchFinished):
                self._write_domains()
                store.update_batch(
                    event.batch_id,
                    {
                        "status": event.status.value,
                        "finished_at": event.finished_at,
                        "counts": event.counts,
                    },
                )
        if pages:
            store.add_pages(pages)
        self._write_domains()
        store.flush()

    def _write_domains(self) -> None:
        if not self._pending_domains:
            return
        by_job = {doc["job_id"]: doc for doc in self.store.domains.all()}
        updates: list[DomainRecord] = []
        for job_id, fields in self._pending_domains.items():
            current = dict(by_job.get(job_id, {}))
            current.update(fields)
            current["job_id"] = job_id
            updates.append(current)  # type: ignore[arg-type]
        self._pending_domains.clear()
        self.store.put_domains(updates)

    def _start_batch(self, event: BatchStarted) -> None:
        if event.resumed:
            self.store.update_batch(
                event.batch_id, {"status": BatchStatus.RUNNING.value, "finished_at": None}
            )
            self.store.put_domains(event.domains)
            return
        self.store.create_batch(
            {
                "batch_id": event.batch_id,
                "created_at": utc_now(),
                "finished_at": None,
                "status": BatchStatus.RUNNING.value,
                "settings": event.settings,
                "domains": [record["domain"] for record in event.domains],
                "rejected": [
                    {"line": r.line, "input": r.input, "reason": r.reason} for r in event.rejected
                ],
                "counts": {
                    "domains": len(event.domains),
                    "done": 0,
                    "failed": 0,
                    "cancelled": 0,
                    "pages": 0,
                },
            }
        )
        self.store.put_domains(event.domains)
