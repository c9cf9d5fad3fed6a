"""The store: TinyDB tables `batches`, `domains` and `pages` behind one small interface.

Layout on disk, for `--db tui-scraper.json`:

    tui-scraper.json                      tables `_meta` and `batches` (one doc per batch)
    tui-scraper.json.batches/<batch_id>/
        domains-00001.json ...            table `domains`, DOMAIN_CHUNK docs a file
        pages-00001.json ...              table `pages`, PAGE_CHUNK docs a file

Every file is a TinyDB JSON file written atomically (temporary file in the same
folder, fsync, rename), so each is valid JSON at every instant, even after
`kill -9`. Pages are appended to the newest chunk only, so a flush rewrites at
most one chunk of pages: the cost of saving grows linearly with the batch, and
only the chunk being filled is held in memory. The `StoreWriter` is the engine's
event consumer that owns a batch's writes: events are queued as they come and
written every FLUSH_INTERVAL_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import stat
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage
from tinydb.table import Document

from tui_scraper.engine.crawl import DomainJob, utc_now
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
from tui_scraper.settings import mask_credentials
from tui_scraper.targets import Target, parse_targets
from tui_scraper.text import valid_value

STORE_FORMAT = "tui-scraper-store"
STORE_VERSION = 1
MAIN_TABLES = frozenset({"_meta", "batches"})
PAGE_CHUNK = 500
DOMAIN_CHUNK = 100  # small: a chunk is rewritten whenever one of its domains changes
FLUSH_INTERVAL_S = 0.5
# The batch document's counts are rewritten at most this often while a batch runs.
COUNTS_INTERVAL_S = 5.0
FINISHED_DOMAIN = frozenset({DomainStatus.DONE, DomainStatus.FAILED, DomainStatus.CANCELLED})
UNFINISHED_DOMAIN = frozenset({DomainStatus.QUEUED, DomainStatus.RUNNING})
_CHUNK_NAME = re.compile(r"^(domains|pages)-(\d{5})\.json$")


class StoreError(Exception):
    """The store cannot be opened or used; the message says why, for a person."""


class AtomicJSONStorage(Storage):
    """TinyDB storage writing the whole file atomically: tmp file, fsync, rename."""

    def __init__(
        self, path: str | Path, check: Callable[[Path, object], None], *, empty_ok: bool
    ) -> None:
        self.path = Path(path)
        self._check = check
        self._empty_ok = empty_ok

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = read_json_file(self.path, empty_ok=self._empty_ok)
        if data is None:
            return None
        self._check(self.path, data)
        return data  # type: ignore[return-value]

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write_json(self.path, data)

    def close(self) -> None:
        pass


def read_json_file(path: Path, *, empty_ok: bool = False) -> object | None:
    """The JSON in `path`; None if there is no such file (or, if `empty_ok`, it has 0 bytes).

    Anything else that is not a JSON object (an empty chunk, `null`, torn text) is a
    StoreError naming the file: it is never taken for an empty table.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StoreError(f"{path} is a folder, not a tui-scraper store") from None
    except UnicodeDecodeError:
        raise StoreError(f"{path} is not a tui-scraper store (not UTF-8 text)") from None
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror or error}") from None
    if not text and empty_ok:
        return None
    if not text.strip():
        raise StoreError(f"{path} is empty: the store is damaged")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise StoreError(
            f"{path} is not a tui-scraper store (invalid JSON: {error.msg} at line "
            f"{error.lineno}); it was left untouched"
        ) from None
    except RecursionError:
        raise StoreError(f"{path} is not a tui-scraper store; it was left untouched") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is not a tui-scraper store; it was left untouched")
    return data


def check_store_path(path: Path, shown: str) -> None:
    """Refuse a store path that is neither a regular file nor missing, before reading it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"cannot open the store {shown}: {error.strerror or error}") from None
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISSOCK: "a socket",
    }
    for test, kind in kinds.items():
        if test(mode):
            raise StoreError(f"{shown} is {kind}, not a tui-scraper store; it was left untouched")
    if not stat.S_ISREG(mode):
        raise StoreError(f"{shown} is not a regular file; it was left untouched")


def check_writable_folder(folder: Path, shown: str) -> None:
    """Refuse a store whose folder cannot take new files, before a batch starts."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
    except OSError as error:
        raise StoreError(
            f"cannot write the store {shown}: {folder}: {error.strerror or error}"
        ) from None
    os.close(fd)
    os.unlink(name)


def atomic_write_json(path: Path, data: object) -> None:
    """Write JSON so that `path` holds the old or the new content, never a mix."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


def check_main_file(path: Path, data: object) -> None:
    """Refuse a JSON file that is not a tui-scraper store, before anything writes to it."""
    foreign = StoreError(f"{path} is not a tui-scraper store; it was left untouched")
    if not isinstance(data, dict) or not data:
        raise foreign
    if not set(data) <= MAIN_TABLES or not all(_is_table(t) for t in data.values()):
        raise foreign
    marker = next(iter(data.get("_meta", {}).values()), None)
    if not isinstance(marker, dict) or marker.get("format") != STORE_FORMAT:
        raise foreign
    if marker.get("version", STORE_VERSION) > STORE_VERSION:
        raise StoreError(f"{path} was written by a newer tui-scraper; it was left untouched")


def _is_table(docs: object) -> bool:
    """Whether `docs` is a TinyDB table as stored: {"doc id": {document}}."""
    return isinstance(docs, dict) and all(
        isinstance(key, str) and key.isdigit() and isinstance(doc, dict)
        for key, doc in docs.items()
    )


def _check_chunk(table: str) -> Callable[[Path, object], None]:
    def check(path: Path, data: object) -> None:
        if not isinstance(data, dict) or set(data) - {table}:
            raise StoreError(f"{path} is not a tui-scraper {table} file; it was left untouched")
        if not _is_table(data.get(table, {})):
            raise StoreError(f"{path} is damaged: its {table} are not documents")

    return check


class ChunkedTable:
    """One TinyDB table split over files of at most `chunk_size` documents."""

    def __init__(self, folder: Path, name: str, chunk_size: int) -> None:
        self.folder = folder
        self.name = name
        self.chunk_size = chunk_size
        self._open: dict[int, TinyDB] = {}
        self._dirty: set[int] = set()
        self._sizes: dict[int, int] = {}

    def chunk_numbers(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        numbers = []
        for entry in os.listdir(self.folder):
            match = _CHUNK_NAME.match(entry)
            if match and match.group(1) == self.name:
                numbers.append(int(match.group(2)))
        return sorted(numbers)

    def _path(self, number: int) -> Path:
        return self.folder / f"{self.name}-{number:05d}.json"

    def _db(self, number: int) -> TinyDB:
        db = self._open.get(number)
        if db is None:
            storage = CachingMiddleware(
                lambda: AtomicJSONStorage(
                    self._path(number), _check_chunk(self.name), empty_ok=False
                )
            )
            db = self._open[number] = TinyDB(storage=storage)
            db.storage.WRITE_CACHE_SIZE = 1 << 62  # flushed on our schedule, never per write
        return db

    def table(self, number: int) -> Any:
        return self._db(number).table(self.name)

    def size(self, number: int) -> int:
        if number not in self._sizes:
            self._sizes[number] = len(self.table(number))
        return self._sizes[number]

    def append(self, docs: list[dict[str, Any]]) -> list[tuple[int, int]]:
        """Add documents at the end; returns each one's (chunk, doc id)."""
        numbers = self.chunk_numbers() or [1]
        number = max([*numbers, *self._open])
        placed: list[tuple[int, int]] = []
        start = 0
        while start < len(docs):
            room = self.chunk_size - self.size(number)
            if room <= 0:
                self._retire(number)
                number += 1
                continue
            part = docs[start : start + room]
            ids = self.table(number).insert_multiple(part)
            self._sizes[number] = self.size(number) + len(part)
            self._dirty.add(number)
            placed.extend((number, doc_id) for doc_id in ids)
            start += len(part)
        return placed

    def update(self, number: int, updates: dict[int, dict[str, Any]]) -> None:
        """Replace fields of documents of one chunk, in one pass over it."""
        if not updates:
            return

        def apply(table: dict[int, dict[str, Any]]) -> None:
            for doc_id, fields in updates.items():
                if doc_id in table:
                    table[doc_id].update(fields)

        self.table(number)._update_table(apply)
        self._dirty.add(number)

    def remove_where(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """Remove every matching document, chunk by chunk; returns how many went."""
        removed = 0
        numbers = self.chunk_numbers()
        for number in numbers:
            kept_open = number in self._open
            table = self.table(number)
            doc_ids = [doc.doc_id for doc in table.all() if predicate(doc)]
            if doc_ids:
                table.remove(doc_ids=doc_ids)
                self._sizes.pop(number, None)
                self._dirty.add(number)
                removed += len(doc_ids)
            if not kept_open and number != numbers[-1]:
                self._retire(number)  # a scan must not leave every chunk in memory
        return removed

    def check_complete(self) -> None:
        """Raise StoreError naming the first chunk missing between the first and the last."""
        numbers = self.chunk_numbers()
        for expected, number in enumerate(numbers, start=1):
            if number != expected:
                raise StoreError(f"{self._path(expected)} is missing: the store is damaged")

    def documents(self) -> Iterator[tuple[int, Document]]:
        """Every (chunk, document), chunk by chunk, in insertion order."""
        self.check_complete()
        for number in self.chunk_numbers():
            if number in self._open:
                docs = self.table(number).all()
            else:
                data = read_json_file(self._path(number))
                if data is None:
                    raise StoreError(f"{self._path(number)} is missing: the store is damaged")
                _check_chunk(self.name)(self._path(number), data)
                raw = data.get(self.name, {})  # type: ignore[union-attr]
                docs = [Document(doc, doc_id=int(key)) for key, doc in raw.items()]
            yield from ((number, doc) for doc in docs)

    def flush(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for number in sorted(self._dirty):
            self._open[number].storage.flush()
            self._dirty.discard(number)

    def _retire(self, number: int) -> None:
        """Flush and forget a full chunk: only the one being filled stays in memory.

        If the flush fails the chunk stays open and dirty, for the next flush to retry.
        """
        db = self._open.get(number)
        if db is None:
            return
        if number in self._dirty:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                db.storage.flush()
            except OSError:
                return
            self._dirty.discard(number)
        del self._open[number]
        db.close()

    def close(self) -> None:
        self.flush()
        for number in list(self._open):
            self._retire(number)


class BatchFiles:
    """The domain and page tables of one batch, in their own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.domains = ChunkedTable(folder, "domains", DOMAIN_CHUNK)
        self.pages = ChunkedTable(folder, "pages", PAGE_CHUNK)
        self._domain_index: dict[str, tuple[int, int]] | None = None

    def domain_index(self) -> dict[str, tuple[int, int]]:
        """job id -> (chunk, doc id), built once by reading the domain files."""
        if self._domain_index is None:
            self._domain_index = {
                doc["job_id"]: (number, doc.doc_id) for number, doc in self.domains.documents()
            }
        return self._domain_index

    def put_domains(self, records: Iterable[dict[str, Any]]) -> None:
        """Insert new domain documents, or update existing ones, by job id."""
        index = self.domain_index()
        updates: dict[int, dict[int, dict[str, Any]]] = {}
        fresh: list[dict[str, Any]] = []
        for record in records:
            where = index.get(record["job_id"])
            if where is None:
                fresh.append(dict(record))
            else:
                updates.setdefault(where[0], {})[where[1]] = dict(record)
        for number, by_id in updates.items():
            self.domains.update(number, by_id)
        if fresh:
            for record, where in zip(fresh, self.domains.append(fresh), strict=True):
                index[record["job_id"]] = where

    def flush(self) -> None:
        # Pages first: a domain marked done on disk always has its pages there.
        self.pages.flush()
        self.domains.flush()

    def close(self) -> None:
        self.pages.close()
        self.domains.close()


class Store:
    """One store: open with `Store.open(path)` to read, `Store.open(path, write=True)` to write.

    A writer holds an exclusive lock on the store's folder for as long as it is
    open, so two processes never write one store; opening for writing marks the
    batches a dead writer left `running` as `interrupted`.
    """

    def __init__(self, path: str, *, write: bool = False) -> None:
        self.path = path
        # A symbolic link is followed: the store (and its data folder) is where it points,
        # and atomic renames replace the target, never the link.
        self.main_path = Path(os.path.realpath(path))
        self.folder = self.main_path.with_name(self.main_path.name + ".batches")
        self.writable = write
        self._lock_fd: int | None = None
        self._batch_files: dict[str, BatchFiles] = {}
        parent = self.main_path.parent
        if not parent.is_dir():
            raise StoreError(f"cannot open the store {path}: folder {parent} does not exist")
        check_store_path(self.main_path, path)
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreError(f"{self.folder} is not a folder; the store cannot use it")
        storage = CachingMiddleware(
            lambda: AtomicJSONStorage(self.main_path, check_main_file, empty_ok=True)
        )
        self._db = TinyDB(storage=storage)
        self._db.storage.WRITE_CACHE_SIZE = 1 << 62
        self._db.storage.read()  # validates the file before anything can write to it
        self.batches = self._db.table("batches")
        if write:
            try:
                check_writable_folder(parent, path)
                self._lock()
                check_writable_folder(self.folder, path)
                meta = self._db.table("_meta")
                if not meta.all():
                    meta.insert({"format": STORE_FORMAT, "version": STORE_VERSION})
                self._mark_abandoned_batches()
                self._db.storage.flush()
            except (OSError, StoreError) as error:
                self.writable = False  # nothing more to flush: the store is left as it was
                self.close()
                if isinstance(error, StoreError):
                    raise
                raise StoreError(
                    f"cannot write the store {path}: {error.strerror or error}"
                ) from None

    @classmethod
    def open(cls, path: str, *, write: bool = False) -> Store:
        return cls(path, write=write)

    def _lock(self) -> None:
        self.folder.mkdir(exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"the store {self.path} is being written by another tui-scraper process"
            ) from None
        self._lock_fd = fd

    def writer_active(self) -> bool:
        """Whether another process holds the store open for writing."""
        if self._lock_fd is not None or not self.folder.is_dir():
            return False
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def _mark_abandoned_batches(self) -> None:
        """A dead writer's batches: interrupted, their counts recounted from what is on disk."""
        for doc in self.batches.all():
            if doc.get("status") == BatchStatus.RUNNING:
                fields = {"status": BatchStatus.INTERRUPTED.value}
                with contextlib.suppress(StoreError):  # damaged files are reported when read
                    fields["counts"] = self.recount(str(doc.get("batch_id")))
                self.batches.update(fields, doc_ids=[doc.doc_id])

    def recount(self, batch_id: str) -> dict[str, int]:
        """The batch's counts from its domain and page documents on disk (after kill -9)."""
        files = self.files(batch_id)
        stored = Counter(str(doc.get("job_id")) for _n, doc in files.pages.documents())
        return batch_counts((doc for _n, doc in files.domains.documents()), stored)

    def close(self) -> None:
        for files in self._batch_files.values():
            files.close()
        self._batch_files.clear()
        if self.writable:
            self._db.storage.flush()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- batches -------------------------------------------------------------

    def files(self, batch_id: str) -> BatchFiles:
        files = self._batch_files.get(batch_id)
        if files is None:
            files = self._batch_files[batch_id] = BatchFiles(self.folder / batch_id)
        return files

    def all_batches(self) -> list[dict[str, Any]]:
        """Every batch document, oldest first; a dead writer's `running` shows as interrupted."""
        docs = [dict(doc) for doc in self.batches.all()]
        running = [d for d in docs if d.get("status") == BatchStatus.RUNNING]
        if running and not self.writable and not self.writer_active():
            for doc in running:
                doc["status"] = BatchStatus.INTERRUPTED.value
                with contextlib.suppress(StoreError):  # damaged files are reported when read
                    doc["counts"] = self.recount(str(doc.get("batch_id")))
        return sorted(docs, key=lambda doc: doc.get("created_at") or "")

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        for doc in self.all_batches():
            if doc.get("batch_id") == batch_id:
                return doc
        return None

    def find_batch(self, batch_id: str) -> dict[str, Any]:
        """The batch with this id or unique id prefix; StoreError naming the problem."""
        text = batch_id.strip().lower()
        docs = self.all_batches()
        exact = [d for d in docs if d.get("batch_id") == text]
        prefixed = [d for d in docs if text and str(d.get("batch_id")).startswith(text)]
        matches = exact or prefixed
        if not matches:
            raise StoreError(f"no batch {batch_id!r} in the store {self.path}")
        if len(matches) > 1:
            raise StoreError(f"batch id prefix {batch_id!r} is ambiguous; give more characters")
        return matches[0]

    def create_batch(self, document: dict[str, Any]) -> None:
        self.batches.insert(document)

    def update_batch(self, batch_id: str, fields: dict[str, Any]) -> None:
        def apply(table: dict[int, dict[str, Any]]) -> None:
            for doc in table.values():
                if doc.get("batch_id") == batch_id:
                    doc.update(fields)

        self.batches._update_table(apply)

    def flush(self) -> None:
        for files in self._batch_files.values():
            files.flush()
        self._db.storage.flush()

    # -- domains and pages ---------------------------------------------------

    def batch_domains(self, batch_id: str) -> list[DomainRecord]:
        """The batch's domain documents, in the batch's order."""
        docs = [dict(doc) for _n, doc in self.files(batch_id).domains.documents()]
        return docs  # type: ignore[return-value]

    def check_batch_files(self, batch_id: str) -> None:
        """Raise StoreError naming a file of the batch that is missing, before reading it.

        A batch document that lists domains, or counts pages, has files that hold them.
        """
        batch = self.batch(batch_id) or {}
        files = self.files(batch_id)
        counts = batch.get("counts") if isinstance(batch.get("counts"), dict) else {}
        for table, needed in (
            (files.domains, bool(batch.get("domains"))),
            (files.pages, _count(counts.get("pages")) > 0),
        ):
            table.check_complete()
            if needed and not table.chunk_numbers() and not table._open:
                raise StoreError(f"{table._path(1)} is missing: the store is damaged")

    def contains(self, path: str | Path) -> bool:
        """Whether `path` is a file of this store: its main file or anything in its folder."""
        real = Path(os.path.realpath(path))
        if real == self.main_path or real.is_relative_to(self.folder):
            return True
        with contextlib.suppress(OSError):
            return os.path.samefile(real, self.main_path)
        return False

    def batch_pages(self, batch_id: str) -> Iterator[PageRecord]:
        """The batch's page documents, streamed chunk by chunk."""
        for _number, doc in self.files(batch_id).pages.documents():
            yield dict(doc)  # type: ignore[misc]

    def unfinished_jobs(self, batch_id: str) -> list[DomainJob]:
        """The jobs of the batch's domains that did not finish (queued or cut off), for resume."""
        return [
            DomainJob(batch_id, record["job_id"], stored_target(record))
            for record in self.batch_domains(batch_id)
            if record["status"] in UNFINISHED_DOMAIN
        ]

    def domain_pages(self, batch_id: str, job_id: str) -> list[PageRecord]:
        return [page for page in self.batch_pages(batch_id) if page["job_id"] == job_id]


def stored_target(record: dict[str, Any]) -> Target:
    """The target a stored domain document was made from (its input parsed again)."""
    parsed = parse_targets(record["input"])
    if parsed.targets:
        return parsed.targets[0]
    start = record["start_url"]
    return Target(record["domain"], record["input"], start, "://" in record["input"], 0)


def stored_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as the batch document keeps them: proxy credentials never in clear."""
    proxy = settings.get("proxy")
    if isinstance(proxy, str):
        return {**settings, "proxy": mask_credentials(proxy)}
    return settings


def batch_counts(
    records: Iterable[dict[str, Any]], stored_pages: Mapping[str, int] | None = None
) -> dict[str, int]:
    """A batch document's `counts` from its domain documents.

    A finished domain counts the pages its document gives; one cut off mid-crawl (a
    stop, kill -9) counts the pages stored for it (`stored_pages`, by job id), so
    the counts agree with what `show` and `export` give after any stop.
    """
    counts = {"domains": 0, "done": 0, "failed": 0, "cancelled": 0, "pages": 0}
    for record in records:
        counts["domains"] += 1
        status = record.get("status")
        if isinstance(status, str) and status in FINISHED_DOMAIN:
            counts[status] += 1
            counts["pages"] += _count(record.get("pages_ok")) + _count(record.get("pages_failed"))
        elif stored_pages is not None:
            counts["pages"] += stored_pages.get(str(record.get("job_id")), 0)
    return counts


def _count(value: object) -> int:
    """A stored count; anything that is not a whole number counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class StoreWriter:
    """The event consumer that saves a batch: call it with events, run `run()` beside."""

    def __init__(self, store: Store) -> None:
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
            return valid_value(dict(record))
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
        files = self.store.files(self._batch_id)
        if pages:
            files.pages.append(pages)
            self._stored_pages.update(str(page.get("job_id")) for page in pages)
        files.put_domains(dirty_domains.values())
        self._applied = True  # in the store's memory now: a failed flush is retried as is
        files.flush()
        now = time.monotonic()
        if finished is not None or now - self._counts_written_at >= COUNTS_INTERVAL_S:
            counts = batch_counts(self._domains.values(), self._stored_pages)
            fields: dict[str, Any] = {"counts": counts}
            if finished is not None:
                fields.update(status=finished.status.value, finished_at=finished.finished_at)
            self.store.update_batch(self._batch_id, fields)
            self._counts_written_at = now
        self.store.flush()

    def _forget_pages_of(self, job_id: str, queued: list[dict[str, Any]]) -> None:
        """A domain starting again replaces the pages it stored before, never adds to them."""
        if job_id in self._started and self._batch_id is not None:
            # Only a restart can have pages before its start: a first start costs nothing.
            queued[:] = [page for page in queued if page.get("job_id") != job_id]
            self.store.files(self._batch_id).pages.remove_where(
                lambda doc: doc.get("job_id") == job_id
            )
            self._stored_pages.pop(job_id, None)
        self._started.add(job_id)

    def _start_batch(self, event: BatchStarted) -> None:
        if self._batch_id == event.batch_id and not event.resumed:
            return  # the same start event again, after a failed write
        self._batch_id = event.batch_id
        files = self.store.files(event.batch_id)
        domains: list[dict[str, Any]] = valid_value(event.domains)
        if event.resumed:
            for _number, doc in files.domains.documents():
                self._domains.setdefault(doc["job_id"], dict(doc))
            rerun = {record["job_id"] for record in domains}
            # Domains cut off mid-crawl start again from scratch: their pages go, in one pass.
            files.pages.remove_where(lambda doc: doc.get("job_id") in rerun)
            self._stored_pages = Counter(
                str(doc.get("job_id")) for _n, doc in files.pages.documents()
            )
            self._started.difference_update(rerun)
            for record in domains:
                self._domains[record["job_id"]] = dict(record)
            files.put_domains(domains)
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
        files.put_domains(domains)
