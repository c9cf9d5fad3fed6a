"""One domain and its pages as the app shows them: plain data, no Textual.

What the screen keeps is capped (contacts per domain, emails per page): a page
with 100,000 addresses costs the screen a thousand of them and a count of the
rest; the store keeps every one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tui_scraper.engine.events import DomainRecord, DomainStatus, PageRecord, Phase, phase_for

FINAL_PHASES = frozenset({Phase.DONE, Phase.FAILED, Phase.CANCELLED})
# Errors kept per domain for its screen; the store keeps every page anyway.
MAX_DOMAIN_ERRORS = 200
# Contacts of each kind a domain row keeps for the screen.
MAX_DOMAIN_CONTACTS = 1000
# Emails one page row keeps for its cell.
MAX_PAGE_EMAILS = 20
CONTACT_KINDS = ("emails", "phones", "socials")


@dataclass(slots=True)
class PageRow:
    """One fetched page as a domain screen shows it."""

    url: str
    status: int | None
    title: str | None
    h1: list[str]
    emails: list[str]
    error: str | None
    at: float | None
    """Seconds from the domain's start to the page's arrival, when known."""
    emails_cut: int = 0
    """The page's emails beyond `emails` (not kept for the screen)."""
    fields: dict[str, list[str]] = field(default_factory=dict)
    """Custom fields (`--field`): name -> values."""
    final_url: str | None = None
    """Where its redirects ended, if they did (findings name a page by it)."""

    @classmethod
    def from_page(cls, page: PageRecord, at: float | None) -> PageRow:
        """A page document's row, its emails capped."""
        emails = page.get("emails") or []
        return cls(
            url=page.get("url") or "",
            status=page.get("status"),
            title=page.get("title"),
            h1=list((page.get("h1") or [])[:3]),
            emails=list(emails[:MAX_PAGE_EMAILS]),
            error=page.get("error"),
            at=at,
            emails_cut=max(0, len(emails) - MAX_PAGE_EMAILS),
            fields=dict(page.get("fields") or {}),  # type: ignore[misc]
            final_url=page.get("final_url"),
        )


def _keep(kept: dict[str, None], values: list[str]) -> int:
    """Add values to a capped ordered set; returns how many did not fit.

    Once the set is full the rest are counted, not compared: a page's list may be
    100,000 long, and the count is made exact by the domain document at the end.
    """
    for index, value in enumerate(values):
        if len(kept) >= MAX_DOMAIN_CONTACTS:
            return len(values) - index
        kept[value] = None
    return 0


@dataclass(slots=True)
class DomainRow:
    """One domain of the batch as the table and the domain screen show it."""

    job_id: str
    domain: str
    start_url: str
    phase: Phase = Phase.QUEUED
    detail: str = ""
    pages: int = 0
    errors: int = 0
    url: str = ""
    started: float | None = None
    finished: float | None = None
    record: DomainRecord | None = None
    page_rows: list[PageRow] = field(default_factory=list)
    emails: dict[str, None] = field(default_factory=dict)
    phones: dict[str, None] = field(default_factory=dict)
    socials: dict[str, None] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)
    """Per contact kind, how many were found beyond what the row keeps."""
    problems: list[str] = field(default_factory=list)
    excluded: int = 0
    active: bool = False
    """Started and not yet finished (counted among the running domains)."""
    version: int = 0
    """Bumped on every change, so a domain screen redraws only when something moved."""

    @property
    def final(self) -> bool:
        """Whether the domain has ended (done, failed or cancelled)."""
        return self.phase in FINAL_PHASES

    def elapsed(self, now: float) -> float | None:
        """Seconds since the domain started (frozen once it ended)."""
        if self.started is None:
            return None
        return (self.finished if self.finished is not None else now) - self.started

    def rate(self, now: float) -> float | None:
        """Pages per second over the domain's crawl so far."""
        elapsed = self.elapsed(now)
        if not elapsed or elapsed <= 0:
            return None
        return self.pages / elapsed

    def contacts(self, kind: str) -> dict[str, None]:
        """The kept contacts of one kind (`emails`, `phones` or `socials`)."""
        return {"emails": self.emails, "phones": self.phones, "socials": self.socials}[kind]

    def add_problem(self, text: str) -> None:
        """Keep one error line for the domain screen (up to a limit)."""
        if len(self.problems) < MAX_DOMAIN_ERRORS:
            self.problems.append(text)

    def reset(self) -> None:
        """Back to queued (a retry): what the earlier attempt found is dropped."""
        self.phase = Phase.QUEUED
        self.detail = "retry"
        self.pages = self.errors = self.excluded = 0
        self.url = ""
        self.started = self.finished = None
        self.record = None
        self.page_rows = []
        self.emails, self.phones, self.socials = {}, {}, {}
        self.cut = {}
        self.problems = []
        self.version += 1

    @classmethod
    def from_record(cls, record: DomainRecord) -> DomainRow:
        """A stored domain document's row, without its pages (they load separately)."""
        phase = phase_for(DomainStatus(record.get("status") or "queued"))
        row = cls(record["job_id"], record["domain"], record.get("start_url") or "", phase)
        row.detail = record.get("error") or record.get("stop_reason") or ""
        row.pages = (record.get("pages_ok") or 0) + (record.get("pages_failed") or 0)
        row.errors = record.get("pages_failed") or 0
        row.apply_record(record)
        if record.get("elapsed_s") is not None:
            row.started, row.finished = 0.0, float(record["elapsed_s"] or 0.0)
        return row

    @classmethod
    def from_store(cls, record: DomainRecord, pages: Iterable[PageRecord]) -> DomainRow:
        """A finished domain read back from the store (history), with its pages."""
        row = cls.from_record(record)
        row.add_stored_pages(record, pages)
        return row

    def add_stored_pages(self, record: DomainRecord, pages: Iterable[PageRecord]) -> None:
        """Add stored pages, timed from the domain's stored start."""
        started_at = parse_time(record.get("started_at"))
        for page in pages:
            fetched = parse_time(page.get("fetched_at"))
            at = fetched - started_at if fetched is not None and started_at is not None else None
            self.add_page(page, at)

    def add_page(self, page: PageRecord, at: float | None) -> None:
        """Record one page: its row, the contacts it adds and its error."""
        self.page_rows.append(PageRow.from_page(page, at))
        # A domain document, once taken, already holds every page's contacts.
        for kind in CONTACT_KINDS if self.record is None else ():
            values = page.get(kind) or []  # type: ignore[misc]
            if values:
                cut = _keep(self.contacts(kind), values)
                if cut:
                    self.cut[kind] = self.cut.get(kind, 0) + cut
        if page.get("error"):
            self.add_problem(f"{page.get('url')}: {page.get('error')}")
        self.version += 1

    def apply_record(self, record: DomainRecord) -> None:
        """Take the final domain document's merged contacts and error."""
        self.record = record
        for kind in CONTACT_KINDS:
            values = record.get(kind) or []  # type: ignore[misc]
            kept = self.contacts(kind)
            _keep(kept, values)
            # The document's list is the domain's whole set: the count of the rest is exact.
            if len(values) > len(kept):
                self.cut[kind] = len(values) - len(kept)
        if record.get("error"):
            self.add_problem(f"domain {record.get('stop_reason')}: {record.get('error')}")
        self.version += 1


def parse_time(text: object) -> float | None:
    """Seconds since the epoch of a stored ISO 8601 timestamp, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
