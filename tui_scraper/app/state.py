"""Plain batch state that the engine's events are recorded into; widgets read it on a timer.

Nothing here imports Textual: the event sink only updates dicts and counters, so
recording an event costs microseconds and never touches a widget. A batch of
100,000 domains costs its start event a list of ids: a domain's row is made the
first time something reads it or happens to it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from tui_scraper.app.rows import FINAL_PHASES, DomainRow, PageRow
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
    Phase,
    PhaseChanged,
    RequestRetrying,
    UrlExcluded,
    phase_for,
)
from tui_scraper.text import safe_text

__all__ = ["FINAL_PHASES", "BatchState", "Clock", "DomainRow", "PageRow", "Rows"]

Clock = Callable[[], float]

# Overall pages/s is measured over this recent window, so it follows the crawl's pace.
RATE_WINDOW_S = 10.0
# Rejected input lines written to the log one by one; the rest are counted.
MAX_REJECTED_LOGGED = 100


class Rows(dict[str, DomainRow]):
    """The batch's rows by job id, each made from its domain document when first read."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, DomainRecord] = {}

    def __missing__(self, job_id: str) -> DomainRow:
        record = self.pending.pop(job_id)  # KeyError for a job the batch does not have
        row = DomainRow(record["job_id"], record["domain"], record["start_url"])
        self[job_id] = row
        return row

    def known(self, job_id: str) -> bool:
        """Whether the batch has this job (made into a row yet or not)."""
        return job_id in self or job_id in self.pending

    def find(self, job_id: str | None) -> DomainRow | None:
        """The row of a job, or None."""
        if job_id is None or not self.known(job_id):
            return None
        return self[job_id]


class BatchState:
    """Everything the batch screen shows, recorded from events; call it as the event sink."""

    def __init__(self, max_pages: int, concurrency: int, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.max_pages = max_pages
        self.concurrency = concurrency
        self.batch_id = ""
        self.rows = Rows()
        self.order: list[str] = []
        """Every job id, in the batch's order."""
        self.waiting: dict[str, None] = {}
        """Jobs not started yet, in the order they will start (a retried one goes last)."""
        self.ended: dict[str, None] = {}
        """Jobs that ended (done, failed or cancelled), in the order they ended."""
        self.stopped: dict[str, None] = {}
        """Jobs cut off mid-crawl when the batch was interrupted."""
        self.view_version = 0
        """Bumped when a job joins, starts or ends: the table's order may have moved."""
        self.log: list[str] = []
        self.status: BatchStatus | None = None
        self.paused = False
        self.started: float | None = None
        self.finished: float | None = None
        self.pages = 0
        self.finished_domains = 0
        self.failed = 0
        self.cancelled = 0
        self.active: dict[str, None] = {}
        """Jobs being crawled now, in the order they started."""
        self.page_times: deque[float] = deque()
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
        rows = self.rows
        fresh = not self.order
        if fresh:  # a new batch: its rows wait in `pending` until first read
            order = self.order = [record["job_id"] for record in event.domains]
            rows.pending = dict(zip(order, event.domains, strict=True))
            self.waiting = dict.fromkeys(order)
        for record in () if fresh else event.domains:
            job_id = record["job_id"]
            if not rows.known(job_id):
                rows.pending[job_id] = record
                self.order.append(job_id)
            else:
                row = rows[job_id]
                if row.final:
                    self._unfinish(row)
                    row.reset()
                self.stopped.pop(job_id, None)
            self.waiting[job_id] = None
        self.view_version += 1
        if event.resumed:
            self._note(f"retrying {len(event.domains)} domains")
        else:
            self._note(f"batch started: {len(event.domains)} domains")
        for rejected in event.rejected[:MAX_REJECTED_LOGGED]:
            self._note(
                f"skipped line {rejected.line}: {safe_text(rejected.input, 60)}: {rejected.reason}"
            )
        if len(event.rejected) > MAX_REJECTED_LOGGED:
            self._note(f"skipped {len(event.rejected) - MAX_REJECTED_LOGGED} more lines")

    def _unfinish(self, row: DomainRow) -> None:
        """Undo a finished domain's share of the counters (it is about to run again)."""
        if self.ended.pop(row.job_id, 0) is None:
            self.finished_domains -= 1
        self.stopped.pop(row.job_id, None)
        self.pages -= row.pages
        if row.phase == Phase.FAILED:
            self.failed -= 1
        elif row.phase == Phase.CANCELLED:
            self.cancelled -= 1
        self.view_version += 1

    def _domain_started(self, event: DomainStarted) -> None:
        row = self.rows[event.job_id]
        row.started = self.clock()
        row.finished = None
        row.active = True
        row.phase = Phase.STARTING
        row.detail = ""
        row.version += 1
        self.active[event.job_id] = None
        self.waiting.pop(event.job_id, None)
        self.view_version += 1

    def _phase_changed(self, event: PhaseChanged) -> None:
        row = self.rows[event.job_id]
        if event.phase == Phase.QUEUED and row.final:
            # A retry on a running batch: the domain starts over.
            self._unfinish(row)
            row.reset()
            self.waiting[row.job_id] = None
            self._note(f"{safe_text(row.domain)} queued again")
        if not row.final:
            row.phase = event.phase
            row.detail = event.detail
            if row.phase == Phase.CANCELLED and not row.active:
                # Cancelled before it started: no DomainFinished follows.
                self.waiting.pop(row.job_id, None)
                self.ended[row.job_id] = None
                self.finished_domains += 1
                self.cancelled += 1
                self.view_version += 1
        if event.phase == Phase.BACKOFF:
            self._note(f"{safe_text(row.domain)} backing off: {safe_text(event.detail, 100)}")
        row.version += 1

    def _fetch_started(self, event: FetchStarted) -> None:
        self.rows[event.job_id].url = event.url

    def _page_fetched(self, event: PageFetched) -> None:
        row = self.rows[event.job_id]
        now = self.clock()
        pages = event.pages_done + event.pages_failed
        self.pages += pages - row.pages
        row.pages = pages
        row.errors = event.pages_failed
        row.add_page(event.page, now - row.started if row.started is not None else None)
        self.page_times.append(now)

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
        if event.job_id in self.ended:  # cancelled before it started, and now said so
            self._unfinish(row)
        record = event.record
        was_running, row.active = row.active, False
        row.finished = self.clock() if row.started is not None else None
        status = record["status"]
        row.phase = phase_for(DomainStatus(status))
        row.detail = record.get("stop_reason") or ""
        pages = record["pages_ok"] + record["pages_failed"]
        self.pages += pages - row.pages
        row.pages = pages
        row.errors = record["pages_failed"]
        row.url = ""
        row.apply_record(record)
        if was_running:
            self.active.pop(event.job_id, None)
        self.waiting.pop(event.job_id, None)
        self.ended[event.job_id] = None
        self.view_version += 1
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
            self.stopped[job_id] = None
        self.active.clear()
        self.view_version += 1
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
        done = len(self.ended) * self.max_pages
        for job_id in (*self.active, *self.stopped):
            done += min(self.rows[job_id].pages, self.max_pages)
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
