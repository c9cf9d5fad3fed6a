"""A stored batch's domain for the domain screen: found by job or name, pages read lazily."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tui_scraper.app.state import DomainRow
from tui_scraper.engine.events import DomainRecord, PageRecord
from tui_scraper.store import BatchStore


def find_stored_domain(
    store: BatchStore, batch_id: str, job_id: str | None, domain: str
) -> DomainRecord | None:
    """The batch's domain record by job id, or by name when the asker has no job id."""
    return next(
        (
            record
            for record in store.batch_domains(batch_id)
            if record["job_id"] == job_id or (job_id is None and record["domain"] == domain)
        ),
        None,
    )


@dataclass(frozen=True, slots=True)
class StoredDomain:
    """What the domain screen needs of a stored domain: its row, its page budget, and a
    loader of its pages (called in a thread: it streams the batch's page chunks)."""

    row: DomainRow
    max_pages: int
    store: BatchStore
    batch_id: str
    job_id: str

    @classmethod
    def of(cls, store: BatchStore, batch_id: str, record: DomainRecord) -> StoredDomain:
        row = DomainRow.from_record(record)
        settings = (store.batch(batch_id) or {}).get("settings") or {}
        max_pages = int(settings.get("max_pages") or max(row.pages, 1))
        return cls(row, max_pages, store, batch_id, record["job_id"])

    def load_pages(self) -> Iterable[PageRecord]:
        return (
            page for page in self.store.batch_pages(self.batch_id) if page["job_id"] == self.job_id
        )
