"""`MemoryStore`: the store interface held in memory, for unit tests (no files, no lock)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tui_scraper.store.interface import BatchStore
from tui_scraper.store.records import BatchRecord, DomainRecord, PageRecord


class MemoryStore(BatchStore):
    """Batches, domains and pages in dictionaries; documents are copied in and out.

    Copies keep it honest: what a caller reads back is what was stored, never an
    object the writer goes on changing.
    """

    def __init__(self, path: str = ":memory:", *, write: bool = True) -> None:
        self.path = path
        self.writable = write
        self.flushes = 0  # how many times `flush` was called
        self._batches: list[dict[str, Any]] = []
        self._domains: dict[str, dict[str, dict[str, Any]]] = {}  # batch, job id -> document
        self._pages: dict[str, list[dict[str, Any]]] = {}

    def all_batches(self) -> list[BatchRecord]:
        docs = [copy.deepcopy(doc) for doc in self._batches]
        return sorted(docs, key=lambda doc: doc.get("created_at") or "")  # type: ignore[return-value]

    def create_batch(self, document: BatchRecord) -> None:
        self._batches.append(copy.deepcopy(dict(document)))

    def update_batch(self, batch_id: str, fields: Mapping[str, Any]) -> None:
        for doc in self._batches:
            if doc.get("batch_id") == batch_id:
                doc.update(copy.deepcopy(dict(fields)))

    def batch_domains(self, batch_id: str) -> list[DomainRecord]:
        docs = self._domains.get(batch_id, {}).values()
        return [copy.deepcopy(doc) for doc in docs]  # type: ignore[misc]

    def batch_pages(self, batch_id: str) -> Iterator[PageRecord]:
        for page in list(self._pages.get(batch_id, [])):
            yield copy.deepcopy(page)  # type: ignore[misc]

    def put_domains(self, batch_id: str, records: Iterable[DomainRecord]) -> None:
        domains = self._domains.setdefault(batch_id, {})
        for record in records:
            fields = copy.deepcopy(dict(record))
            domains.setdefault(fields["job_id"], {}).update(fields)

    def append_pages(self, batch_id: str, pages: Sequence[PageRecord]) -> None:
        self._pages.setdefault(batch_id, []).extend(copy.deepcopy(dict(p)) for p in pages)

    def remove_pages(self, batch_id: str, job_ids: Collection[str]) -> None:
        pages = self._pages.get(batch_id, [])
        pages[:] = [page for page in pages if page.get("job_id") not in job_ids]

    def check_batch_files(self, batch_id: str) -> None:
        pass  # nothing held in memory can go missing

    def contains(self, path: str | Path) -> bool:
        return False  # no file is part of a store in memory

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        pass
