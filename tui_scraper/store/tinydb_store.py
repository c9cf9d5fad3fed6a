"""The TinyDB store: the main file with tables `_meta` and `batches`, chunks per batch.

Layout on disk, for `--db tui-scraper.json`:

    tui-scraper.json                      tables `_meta` and `batches` (one doc per batch)
    tui-scraper.json.batches/<batch_id>/  the batch's domain and page chunks (chunks.py)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware

from tui_scraper.engine.events import BatchStatus
from tui_scraper.store.chunks import BatchFiles
from tui_scraper.store.files import (
    STORE_FORMAT,
    STORE_VERSION,
    AtomicJSONStorage,
    check_main_file,
    check_store_path,
    check_writable_folder,
)
from tui_scraper.store.interface import BatchStore, StoreError
from tui_scraper.store.records import BatchRecord, DomainRecord, PageRecord, stored_count


class Store(BatchStore):
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
                fields: dict[str, Any] = {"status": BatchStatus.INTERRUPTED.value}
                with contextlib.suppress(StoreError):  # damaged files are reported when read
                    fields["counts"] = self.recount(str(doc.get("batch_id")))
                self.batches.update(fields, doc_ids=[doc.doc_id])

    def flush(self) -> None:
        for files in self._batch_files.values():
            files.flush()
        self._db.storage.flush()

    def close(self) -> None:
        for files in self._batch_files.values():
            files.close()
        self._batch_files.clear()
        if self.writable:
            self._db.storage.flush()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def contains(self, path: str | Path) -> bool:
        """Whether `path` is a file of this store: its main file or anything in its folder."""
        real = Path(os.path.realpath(path))
        if real == self.main_path or real.is_relative_to(self.folder):
            return True
        with contextlib.suppress(OSError):
            return os.path.samefile(real, self.main_path)
        return False

    # -- batches -------------------------------------------------------------

    def files(self, batch_id: str) -> BatchFiles:
        files = self._batch_files.get(batch_id)
        if files is None:
            files = self._batch_files[batch_id] = BatchFiles(self.folder / batch_id)
        return files

    def all_batches(self) -> list[BatchRecord]:
        """Every batch document, oldest first; a dead writer's `running` shows as interrupted."""
        docs = [dict(doc) for doc in self.batches.all()]
        running = [d for d in docs if d.get("status") == BatchStatus.RUNNING]
        if running and not self.writable and not self.writer_active():
            for doc in running:
                doc["status"] = BatchStatus.INTERRUPTED.value
                with contextlib.suppress(StoreError):  # damaged files are reported when read
                    doc["counts"] = self.recount(str(doc.get("batch_id")))
        return sorted(docs, key=lambda doc: doc.get("created_at") or "")  # type: ignore[return-value]

    def create_batch(self, document: BatchRecord) -> None:
        self.batches.insert(document)

    def update_batch(self, batch_id: str, fields: Mapping[str, Any]) -> None:
        def apply(table: dict[int, dict[str, Any]]) -> None:
            for doc in table.values():
                if doc.get("batch_id") == batch_id:
                    doc.update(fields)

        self.batches._update_table(apply)

    # -- domains and pages ---------------------------------------------------

    def batch_domains(self, batch_id: str) -> list[DomainRecord]:
        """The batch's domain documents, in the batch's order."""
        docs = [dict(doc) for _n, doc in self.files(batch_id).domains.documents()]
        return docs  # type: ignore[return-value]

    def batch_pages(self, batch_id: str) -> Iterator[PageRecord]:
        """The batch's page documents, streamed chunk by chunk."""
        for _number, doc in self.files(batch_id).pages.documents():
            yield dict(doc)  # type: ignore[misc]

    def put_domains(self, batch_id: str, records: Iterable[DomainRecord]) -> None:
        self.files(batch_id).put_domains(records)  # type: ignore[arg-type]

    def append_pages(self, batch_id: str, pages: Sequence[PageRecord]) -> None:
        if pages:
            self.files(batch_id).pages.append(list(pages))  # type: ignore[arg-type]

    def remove_pages(self, batch_id: str, job_ids: Collection[str]) -> None:
        self.files(batch_id).pages.remove_where(
            lambda doc: isinstance(doc.get("job_id"), str) and doc["job_id"] in job_ids
        )

    def check_batch_files(self, batch_id: str) -> None:
        """Raise StoreError naming a file of the batch that is missing, before reading it.

        A batch document that lists domains, or counts pages, has files that hold them.
        """
        batch: Mapping[str, Any] = self.batch(batch_id) or {}
        files = self.files(batch_id)
        counts = batch.get("counts") if isinstance(batch.get("counts"), dict) else {}
        for table, needed in (
            (files.domains, bool(batch.get("domains"))),
            (files.pages, stored_count(counts.get("pages")) > 0),
        ):
            if needed:
                table.check_present()
            else:
                table.check_complete()
