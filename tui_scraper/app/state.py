"""Plain batch state that the engine's events are recorded into; widgets read it on a timer.

Nothing here imports Textual: the event sink only updates dicts, counters and a
dirty set, so recording an event costs microseconds and never touches a widget.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tui_scraper.engine.events import (
    BatchFinished,
    BatchPaused,
    BatchStarted,
    BatchStatus,
    ConcurrencyChanged,
    DomainFinished,
    DomainRecord,
    DomainStarted,
    DomainStatus,
    Event,
    FetchStarted,
    PageFetched,
    PageRecord,
    Phase,
    PhaseChanged,
    RequestRetrying,
    UrlExcluded,
)
from tui_scraper.text import safe_text

Clock = Callable[[], float]

FINAL_PHASES = frozenset({Phase.DONE, Phase.FAILED, Phase.CANCELLED})
# Overall pages/s is measured over this recent window, so it follows the crawl's pace.
RATE_WINDOW_S = 10.0
# Errors kept per domain for its screen; the store keeps every page anyway.
MAX_DOMAIN_ERRORS = 200


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
    fields: dict[str, list[str]] = field(default_factory=dict)
    """Custom fields (`--field`): name -> values."""


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
        self.problems = []
        self.version += 1

    @classmethod
    def from_store(cls, record: DomainRecord, pages: Iterable[PageRecord]) -> DomainRow:
        """A finished domain read back from the store (history), with its pages."""
        phase = {
            DomainStatus.DONE: Phase.DONE,
            DomainStatus.FAILED: Phase.FAILED,
            DomainStatus.CANCELLED: Phase.CANCELLED,
            DomainStatus.RUNNING: Phase.CRAWLING,
        }.get(DomainStatus(record.get("status") or "queued"), Phase.QUEUED)
        row = cls(record["job_id"], record["domain"], record.get("start_url") or "", phase)
        row.detail = record.get("error") or record.get("stop_reason") or ""
        row.record = record
        started_at = _parse_time(record.get("started_at"))
        for page in pages:
            fetched = _parse_time(page.get("fetched_at"))
            at = fetched - started_at if fetched is not None and started_at is not None else None
            row.add_page(page, at)
        row.pages = (record.get("pages_ok") or 0) + (record.get("pages_failed") or 0)
        row.errors = record.get("pages_failed") or 0
        row.apply_record(record)
        if record.get("elapsed_s") is not None:
            row.started, row.finished = 0.0, float(record["elapsed_s"] or 0.0)
        return row

    def add_page(self, page: PageRecord, at: float | None) -> None:
        """Record one page: its row, the contacts it adds and its error."""
        self.page_rows.append(
            PageRow(
                url=page.get("url") or "",
                status=page.get("status"),
                title=page.get("title"),
                h1=list(page.get("h1") or []),
                emails=list(page.get("emails") or []),
                error=page.get("error"),
                at=at,
                fields=dict(page.get("fields") or {}),
            )
        )
        for email in page.get("emails") or ():
            self.emails[email] = None
        for phone in page.get("phones") or ():
            self.phones[phone] = None
        for social in page.get("socials") or ():
            self.socials[social] = None
        if page.get("error"):
            self.add_problem(f"{page.get('url')}: {page.get('error')}")
        self.version += 1

    def apply_record(self, record: DomainRecord) -> None:
        """Take the final domain document's merged contacts and error."""
        self.record = record
        for email in record.get("emails") or ():
            self.emails[email] = None
        for phone in record.get("phones") or ():
            self.phones[phone] = None
        for social in record.get("socials") or ():
            self.socials[social] = None
        if record.get("error"):
            self.add_problem(f"domain {record.get('stop_reason')}: {record.get('error')}")
        self.version += 1


def _parse_time(text: object) -> float | None:
    """Seconds since the epoch of a stored ISO 8601 timestamp, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class BatchState:
    """Everything the batch screen shows, recorded from events; call it as the event sink."""

    def __init__(self, max_pages: int, concurrency: int, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.max_pages = max_pages
        self.concurrency = concurrency
        self.batch_id = ""
        self.rows: dict[str, DomainRow] = {}
        self.order: list[str] = []
        self.dirty: set[str] = set()
        self.log: list[str] = []
        self.status: BatchStatus | None = None
        self.paused = False
        self.started: float | None = None
        self.finished: float | None = None
        self.pages = 0
        self.finished_domains = 0
        self.failed = 0
        self.cancelled = 0
        self.active: set[str] = set()
        self.page_times: deque[float] = deque()
        self.structure_changed = False
        """True when rows were added: the table must add them before updating cells."""
        self._handlers: dict[type, Callable[[Event], None]] = {
            FetchStarted: self._fetch_started,  # type: ignore[dict-item]
            PageFetched: self._page_fetched,  # type: ignore[dict-item]
            PhaseChanged: self._phase_changed,  # type: ignore[dict-item]
            DomainStarted: self._domain_started,  # type: ignore[dict-item]
            DomainFinished: self._domain_finished,  # type: ignore[dict-item]
            RequestRetrying: self._retrying,  # type: ignore[dict-item]
            UrlExcluded: self._excluded,  # type: ignore[dict-item]
            BatchStarted: self._batch_started,  # type: ignore[dict-item]
            BatchFinished: self._batch_finished,  # type: ignore[dict-item]
            BatchPaused: self._paused,  # type: ignore[dict-item]
            ConcurrencyChanged: self._concurrency,  # type: ignore[dict-item]
        }

    # -- the sink -----------------------------------------------------------

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _note(self, text: str) -> None:
        stamp = _clock_text(self.clock() - self.started) if self.started is not None else "--:--"
        self.log.append(f"{stamp} {text}")

    def _batch_started(self, event: BatchStarted) -> None:
        self.batch_id = event.batch_id
        self.status = BatchStatus.RUNNING
        self.finished = None
        if self.started is None:
            self.started = self.clock()
        for record in event.domains:
            row = self.rows.get(record["job_id"])
            if row is None:
                row = DomainRow(record["job_id"], record["domain"], record["start_url"])
                self.rows[row.job_id] = row
                self.order.append(row.job_id)
                self.structure_changed = True
            elif row.final:
                self._unfinish(row)
                row.reset()
            self.dirty.add(row.job_id)
        if event.resumed:
            self._note(f"retrying {len(event.domains)} domains")
        else:
            self._note(f"batch started: {len(event.domains)} domains")
        for rejected in event.rejected:
            self._note(
                f"skipped line {rejected.line}: {safe_text(rejected.input, 60)}: {rejected.reason}"
            )

    def _unfinish(self, row: DomainRow) -> None:
        """Undo a finished domain's share of the counters (it is about to run again)."""
        self.finished_domains -= 1
        self.pages -= row.pages
        if row.phase == Phase.FAILED:
            self.failed -= 1
        elif row.phase == Phase.CANCELLED:
            self.cancelled -= 1

    def _domain_started(self, event: DomainStarted) -> None:
        row = self.rows[event.job_id]
        row.started = self.clock()
        row.finished = None
        row.active = True
        row.phase = Phase.STARTING
        row.detail = ""
        row.version += 1
        self.active.add(event.job_id)
        self.dirty.add(event.job_id)

    def _phase_changed(self, event: PhaseChanged) -> None:
        row = self.rows[event.job_id]
        if event.phase == Phase.QUEUED and row.final:
            # A retry on a running batch: the domain starts over.
            self._unfinish(row)
            row.reset()
            self._note(f"{safe_text(row.domain)} queued again")
        if not row.final:
            row.phase = event.phase
            row.detail = event.detail
        if event.phase == Phase.BACKOFF:
            self._note(f"{safe_text(row.domain)} backing off: {safe_text(event.detail, 100)}")
        row.version += 1
        self.dirty.add(event.job_id)

    def _fetch_started(self, event: FetchStarted) -> None:
        self.rows[event.job_id].url = event.url
        self.dirty.add(event.job_id)

    def _page_fetched(self, event: PageFetched) -> None:
        row = self.rows[event.job_id]
        now = self.clock()
        pages = event.pages_done + event.pages_failed
        self.pages += pages - row.pages
        row.pages = pages
        row.errors = event.pages_failed
        row.add_page(event.page, now - row.started if row.started is not None else None)
        self.page_times.append(now)
        self.dirty.add(event.job_id)

    def _retrying(self, event: RequestRetrying) -> None:
        row = self.rows[event.job_id]
        text = (
            f"retry {event.attempt} of {safe_text(event.url, 100)} in {event.wait_s:.1f}s "
            f"({safe_text(event.reason, 80)})"
        )
        row.add_problem(text)
        row.version += 1
        self._note(f"{safe_text(row.domain)} {text}")

    def _excluded(self, event: UrlExcluded) -> None:
        row = self.rows[event.job_id]
        row.excluded += 1
        row.add_problem(f"robots.txt excludes {event.url}")
        # The first exclusion is logged; the rest are summed when the domain ends, so a
        # site excluding thousands of URLs does not drown the log.
        if row.excluded == 1:
            self._note(f"{safe_text(row.domain)}: robots.txt excludes {safe_text(event.url, 100)}")

    def _domain_finished(self, event: DomainFinished) -> None:
        row = self.rows[event.job_id]
        record = event.record
        was_running, row.active = row.active, False
        row.finished = self.clock() if row.started is not None else None
        status = record["status"]
        row.phase = {
            DomainStatus.DONE: Phase.DONE,
            DomainStatus.FAILED: Phase.FAILED,
        }.get(DomainStatus(status), Phase.CANCELLED)
        row.detail = record.get("stop_reason") or ""
        pages = record["pages_ok"] + record["pages_failed"]
        self.pages += pages - row.pages
        row.pages = pages
        row.errors = record["pages_failed"]
        row.url = ""
        row.apply_record(record)
        if was_running:
            self.active.discard(event.job_id)
        self.finished_domains += 1
        if row.phase == Phase.FAILED:
            self.failed += 1
            error = safe_text(record.get("error") or record.get("stop_reason"), 120)
            self._note(f"{safe_text(row.domain)} failed: {error}")
        elif row.phase == Phase.CANCELLED:
            self.cancelled += 1
            self._note(f"{safe_text(row.domain)} cancelled")
        if row.excluded > 1:
            self._note(f"{safe_text(row.domain)}: robots.txt excluded {row.excluded} URLs in all")
        self.dirty.add(event.job_id)

    def _batch_finished(self, event: BatchFinished) -> None:
        self.status = event.status
        self.finished = self.clock()
        for job_id in self.active:
            # Cut off mid-crawl (quit): the store keeps them unfinished for a resume.
            row = self.rows[job_id]
            row.active = False
            row.finished = self.finished
            row.detail = "interrupted"
            row.url = ""
            self.dirty.add(job_id)
        self.active.clear()
        counts = event.counts
        self._note(
            f"batch {event.status.value}: {counts.get('done', 0)} done, "
            f"{counts.get('failed', 0)} failed, {counts.get('cancelled', 0)} cancelled, "
            f"{counts.get('pages', 0)} pages"
        )

    def _paused(self, event: BatchPaused) -> None:
        self.paused = event.paused
        self._note("paused: no new request starts" if event.paused else "resumed")

    def _concurrency(self, event: ConcurrencyChanged) -> None:
        self.concurrency = event.concurrency
        self._note(f"concurrency set to {event.concurrency}")

    # -- reading ------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Whether the batch is running."""
        return self.status == BatchStatus.RUNNING

    @property
    def running(self) -> int:
        """How many domains are being crawled now."""
        return len(self.active)

    def take_dirty(self) -> set[str]:
        """The rows changed since the last call, plus running rows (their clocks tick)."""
        dirty, self.dirty = self.dirty, set()
        dirty |= self.active
        return dirty

    def take_log(self) -> list[str]:
        """Log lines since the last call."""
        lines, self.log = self.log, []
        return lines

    def elapsed(self) -> float:
        """Seconds since the batch started (frozen once it ended)."""
        if self.started is None:
            return 0.0
        end = self.finished if self.finished is not None else self.clock()
        return end - self.started

    def pages_per_second(self) -> float | None:
        """Overall pages/s over the last RATE_WINDOW_S (the whole run once it ended)."""
        if self.started is None:
            return None
        if self.finished is not None:
            elapsed = self.elapsed()
            return self.pages / elapsed if elapsed > 0 else None
        now = self.clock()
        times = self.page_times
        while times and times[0] < now - RATE_WINDOW_S:
            times.popleft()
        window = min(RATE_WINDOW_S, now - self.started)
        if window <= 0:
            return None
        return len(times) / window

    def work(self) -> tuple[int, int]:
        """(done, total) in page units: a finished domain counts as its whole budget."""
        total = len(self.order) * self.max_pages
        done = 0
        for row in self.rows.values():
            done += self.max_pages if row.final else min(row.pages, self.max_pages)
        return done, total

    def eta(self) -> float | None:
        """Seconds left, from the work done so far and the time it took."""
        if self.finished is not None or self.started is None:
            return None
        done, total = self.work()
        elapsed = self.elapsed()
        if done <= 0 or elapsed <= 0:
            return None
        return elapsed * (total - done) / done


def _clock_text(seconds: float) -> str:
    """mm:ss (or h:mm:ss) of a batch-relative time."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
