"""What callers and the writer need of a store, so another backend can stand in for TinyDB.

`BatchStore` is the interface: a backend implements the abstract methods; finding a
batch by id prefix, the jobs left to resume and the recount are written once here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from tui_scraper.engine.crawl import DomainJob
from tui_scraper.store.records import (
    UNFINISHED_DOMAIN,
    BatchCounts,
    BatchRecord,
    DomainRecord,
    PageRecord,
    batch_counts,
    stored_target,
)


class StoreError(Exception):
    """The store cannot be opened or used; the message says why, for a person."""


class BatchStore(ABC):
    """Batches with their domain and page documents; use it as a context manager."""

    # How the store is named to a person (the `--db` path for a file store).
    path: str
    # False when opened to read: the writer refuses such a store.
    writable: bool

    # -- batch documents -----------------------------------------------------

    @abstractmethod
    def all_batches(self) -> list[BatchRecord]:
        """Every batch document, oldest first."""

    @abstractmethod
    def create_batch(self, document: BatchRecord) -> None: ...

    @abstractmethod
    def update_batch(self, batch_id: str, fields: Mapping[str, Any]) -> None:
        """Replace these fields of the batch's document."""

    def batch(self, batch_id: str) -> BatchRecord | None:
        for doc in self.all_batches():
            if doc.get("batch_id") == batch_id:
                return doc
        return None

    def find_batch(self, batch_id: str) -> BatchRecord:
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

    # -- domain and page documents -------------------------------------------

    @abstractmethod
    def batch_domains(self, batch_id: str) -> list[DomainRecord]:
        """The batch's domain documents, in the batch's order."""

    @abstractmethod
    def batch_pages(self, batch_id: str) -> Iterator[PageRecord]:
        """The batch's page documents, in the order they were added."""

    @abstractmethod
    def put_domains(self, batch_id: str, records: Iterable[DomainRecord]) -> None:
        """Insert new domain documents, or replace existing ones, by job id."""

    @abstractmethod
    def append_pages(self, batch_id: str, pages: Sequence[PageRecord]) -> None: ...

    @abstractmethod
    def remove_pages(self, batch_id: str, job_ids: Collection[str]) -> None:
        """Remove the pages of these jobs (a domain that starts again from scratch)."""

    @abstractmethod
    def check_batch_files(self, batch_id: str) -> None:
        """Raise StoreError naming what of the batch's data is missing, before reading it."""

    @abstractmethod
    def contains(self, path: str | Path) -> bool:
        """Whether `path` is a file of this store (an export must never overwrite one)."""

    def unfinished_jobs(self, batch_id: str) -> list[DomainJob]:
        """The jobs of the batch's domains that did not finish (queued or cut off), for resume."""
        return [
            DomainJob(batch_id, record["job_id"], stored_target(record))
            for record in self.batch_domains(batch_id)
            if record["status"] in UNFINISHED_DOMAIN
        ]

    def recount(self, batch_id: str) -> BatchCounts:
        """The batch's counts from its stored domain and page documents (after kill -9)."""
        stored = Counter(str(page.get("job_id")) for page in self.batch_pages(batch_id))
        return batch_counts(self.batch_domains(batch_id), stored)

    # -- life cycle ----------------------------------------------------------

    @abstractmethod
    def flush(self) -> None:
        """Make every change durable: pages before domains before batch documents."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
