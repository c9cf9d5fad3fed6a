"""The chunk layout: a batch's domain and page tables split over files of bounded size.

    <store>.batches/<batch_id>/domains-00001.json ...   DOMAIN_CHUNK docs a file
    <store>.batches/<batch_id>/pages-00001.json ...     PAGE_CHUNK docs a file

Pages are appended to the newest chunk only, so a flush rewrites at most one chunk
of pages: the cost of saving grows linearly with the batch, and only the chunk
being filled is held in memory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.table import Document

from tui_scraper.store.files import AtomicJSONStorage, chunk_check, read_json_file
from tui_scraper.store.interface import StoreError

PAGE_CHUNK = 500
DOMAIN_CHUNK = 100  # small: a chunk is rewritten whenever one of its domains changes
_CHUNK_NAME = re.compile(r"^(domains|pages)-(\d{5})\.json$")


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
                    self._path(number), chunk_check(self.name), empty_ok=False
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

    def check_present(self) -> None:
        """Like `check_complete`, and raise StoreError if the table has no chunk at all."""
        self.check_complete()
        if not self.chunk_numbers() and not self._open:
            raise StoreError(f"{self._path(1)} is missing: the store is damaged")

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
                chunk_check(self.name)(self._path(number), data)
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
