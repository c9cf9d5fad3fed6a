"""The batch runner: a bounded, resizable worker pool of domain crawls, with controls.

The pool only schedules `crawl_domain` coroutines: at most `concurrency` run at
once, the bound can change while the batch runs (growing starts more at once,
shrinking lets running domains finish), and the batch can be paused, resumed
and cancelled, one domain or all.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from yarl import URL

from tui_scraper.engine.addresses import NamedHosts
from tui_scraper.engine.connect import Network
from tui_scraper.engine.crawl import (
    DomainControl,
    DomainJob,
    crawl_domain,
    new_domain_record,
    utc_now,
)
from tui_scraper.engine.events import (
    BatchFinished,
    BatchPaused,
    BatchStarted,
    BatchStatus,
    ConcurrencyChanged,
    DomainFinished,
    DomainRecord,
    DomainStatus,
    EventSink,
    Phase,
    PhaseChanged,
    Rejected,
    StopReason,
)
from tui_scraper.engine.http import HttpClient
from tui_scraper.engine.parse import PageParser, default_parser
from tui_scraper.gc_quiet import with_gc_paused
from tui_scraper.settings import Settings
from tui_scraper.targets import Target


def target_address(target: Target) -> tuple[str, int | None]:
    """(host, explicit port or None) of a batch entry: what the user named."""
    domain, url_text = target.domain, target.start_url
    if ":" not in domain and url_text.partition("://")[2].startswith(f"{domain}/"):
        return domain, None  # the usual entry (a normalized name, no port): no URL parse
    url = URL(url_text)
    return url.raw_host or "", url.explicit_port


def _prepare(
    every: Sequence[DomainJob], jobs: Sequence[DomainJob]
) -> tuple[NamedHosts, dict[str, DomainJob], list[DomainRecord]]:
    """What a run needs first: every job's (host, port), `jobs` by id and their documents."""
    named = NamedHosts(target_address(job.target) for job in every)
    return named, {job.job_id: job for job in jobs}, [new_domain_record(job) for job in jobs]


def new_batch_id() -> str:
    return str(uuid.uuid4())


# A batch of more domains makes its start documents in a thread, so the loop (and a
# screen on it) keeps answering.
RECORDS_IN_THREAD = 2000


def make_jobs(batch_id: str, targets: Sequence[Target]) -> list[DomainJob]:
    """One job per target, each with its own job id."""
    return [DomainJob(batch_id, str(uuid.uuid4()), target) for target in targets]


class CrawlPlace(Protocol):
    """Where a batch's domain crawls run: this process (`LocalPlace`) or a cluster.

    The runner alone schedules, steers and reports the batch; a place only opens
    what crawls need, starts one crawl as an asyncio task that ends with the
    domain's record (its events go to the sink on the way), and hears of a pause.
    """

    async def open(
        self,
        batch_id: str,
        settings: Settings,
        sink: EventSink,
        named: list[tuple[str, int | None]],
    ) -> None: ...

    def start(self, job: DomainJob, control: DomainControl) -> asyncio.Task[DomainRecord]: ...

    def set_paused(self, paused: bool) -> None: ...

    async def close(self) -> None: ...


class LocalPlace:
    """Crawls as tasks of this event loop, sharing one HTTP client and one parser."""

    def __init__(
        self,
        client: HttpClient | None = None,
        parser: PageParser | None = None,
        network: Network | None = None,
    ) -> None:
        self._given_client = client
        self._given_parser = parser
        self._network = network
        self._client: HttpClient | None = None
        self._parser: PageParser | None = None

    async def open(
        self,
        batch_id: str,
        settings: Settings,
        sink: EventSink,
        named: list[tuple[str, int | None]],
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._client = self._given_client or await HttpClient.open(settings, self._network, named)
        self._parser = self._given_parser or default_parser()

    def start(self, job: DomainJob, control: DomainControl) -> asyncio.Task[DomainRecord]:
        assert self._client is not None and self._parser is not None
        return asyncio.create_task(
            crawl_domain(job, self._settings, self._client, self._sink, control, self._parser),
            name=f"crawl {job.target.domain}",
        )

    def set_paused(self, paused: bool) -> None:
        pass  # local crawls read the runner's gate itself

    async def close(self) -> None:
        if self._given_client is None and self._client is not None:
            await self._client.close()
        if self._given_parser is None and self._parser is not None:
            await self._parser.close()
        self._client = self._parser = None


class BatchRunner:
    """Runs one batch of domain jobs; its methods are the batch's controls."""

    def __init__(
        self,
        settings: Settings,
        sink: EventSink,
        *,
        batch_id: str | None = None,
        client: HttpClient | None = None,
        parser: PageParser | None = None,
        network: Network | None = None,
        place: CrawlPlace | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.batch_id = batch_id or new_batch_id()
        self._place: CrawlPlace = place or LocalPlace(client, parser, network)
        self._limit = settings.concurrency
        self._running_gate = asyncio.Event()
        self._running_gate.set()
        self._wake = asyncio.Event()
        self._pending: deque[DomainJob] = deque()
        self._running: dict[str, tuple[asyncio.Task[DomainRecord], DomainControl]] = {}
        self._cancelled = False
        self.jobs: dict[str, DomainJob] = {}
        self.results: dict[str, DomainRecord] = {}

    # -- controls -----------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self._limit

    @property
    def paused(self) -> bool:
        return not self._running_gate.is_set()

    @property
    def running_count(self) -> int:
        return len(self._running)

    def set_concurrency(self, concurrency: int) -> None:
        """Grow or shrink the pool; running domains are never stopped by a shrink."""
        self._limit = max(1, concurrency)
        self.sink(ConcurrencyChanged(self._limit))
        self._wake.set()

    def pause(self) -> None:
        """No new request (nor domain) starts until `resume`; requests under way finish."""
        if not self.paused:
            self._running_gate.clear()
            self._place.set_paused(True)
            self.sink(BatchPaused(True))

    def resume(self) -> None:
        if self.paused:
            self._running_gate.set()
            self._place.set_paused(False)
            self.sink(BatchPaused(False))
            self._wake.set()

    def cancel_domain(self, job_id: str) -> bool:
        """Cancel one domain, queued or running; False if it already ended."""
        running = self._running.get(job_id)
        if running is not None:
            task, control = running
            control.cancelled = True
            task.cancel()
            return True
        for job in self._pending:
            if job.job_id == job_id:
                self._pending.remove(job)
                self._finish_unstarted(job)
                self._wake.set()
                return True
        return False

    def cancel(self) -> None:
        """Cancel the whole batch: queued domains never start, running ones stop."""
        self._cancelled = True
        while self._pending:
            self._finish_unstarted(self._pending.popleft())
        for task, control in self._running.values():
            control.cancelled = True
            task.cancel()
        self._running_gate.set()  # paused crawls must wake to see the cancel
        self._place.set_paused(False)
        self._wake.set()

    def retry(self, job_ids: Sequence[str]) -> list[str]:
        """Queue finished domains again (failed or cancelled ones, say) on a running batch.

        Returns the job ids queued. Their pages are replaced, not duplicated: a
        domain's stored pages are dropped when it starts again.
        """
        queued: list[str] = []
        for job_id in job_ids:
            job = self.jobs.get(job_id)
            if job is None or job_id not in self.results:
                continue
            del self.results[job_id]
            self._pending.append(job)
            self.sink(PhaseChanged(job_id, job.target.domain, Phase.QUEUED, "retry"))
            queued.append(job_id)
        self._wake.set()
        return queued

    def failed_jobs(self) -> list[DomainJob]:
        """The jobs whose domain ended as failed."""
        return [
            self.jobs[job_id]
            for job_id, record in self.results.items()
            if record["status"] == DomainStatus.FAILED
        ]

    # -- running ------------------------------------------------------------

    async def run(
        self,
        jobs: Sequence[DomainJob],
        *,
        rejected: Sequence[Rejected] = (),
        resumed: bool = False,
        labels: dict[str, Any] | None = None,
    ) -> BatchStatus:
        """Run every job to its end; returns the batch's final status.

        It may be called again after it returned (`resumed=True`) to rerun jobs of
        the same batch, failed ones say. If the task running this is cancelled
        (Ctrl-C), running domains are cancelled without being marked finished, so
        a resume redoes them.
        """
        self._cancelled = False
        every = [*self.jobs.values(), *jobs]
        if len(every) > RECORDS_IN_THREAD:  # 100,000 domains take seconds: off the loop
            named, by_id, records = await asyncio.to_thread(with_gc_paused(_prepare), every, jobs)
        else:
            named, by_id, records = _prepare(every, jobs)
        # First, so a cluster that cannot be reached leaves no batch behind.
        await self._place.open(self.batch_id, self.settings, self.sink, named)
        self._pending.extend(jobs)
        self.jobs.update(by_id)
        if self.results:
            for job_id in by_id:
                self.results.pop(job_id, None)
        self.sink(
            BatchStarted(
                self.batch_id,
                self.settings.to_dict(),
                records,
                list(rejected),
                resumed,
                dict(labels or {}),
            )
        )
        try:
            self._place.set_paused(self.paused)
            await self._schedule()
        except asyncio.CancelledError:
            await self._abandon_running()
            self.sink(
                BatchFinished(self.batch_id, BatchStatus.INTERRUPTED, self.counts(), utc_now())
            )
            raise
        finally:
            await self._place.close()
        status = BatchStatus.CANCELLED if self._cancelled else BatchStatus.COMPLETED
        self.sink(BatchFinished(self.batch_id, status, self.counts(), utc_now()))
        return status

    async def _schedule(self) -> None:
        while self._pending or self._running:
            while (
                self._pending
                and len(self._running) < self._limit
                and not self.paused
                and not self._cancelled
            ):
                self._start(self._pending.popleft())
            self._wake.clear()
            await self._wake.wait()

    def _start(self, job: DomainJob) -> None:
        control = DomainControl(self._running_gate)
        task = self._place.start(job, control)
        self._running[job.job_id] = (task, control)
        task.add_done_callback(lambda done: self._on_done(job, done, control))

    def _on_done(
        self, job: DomainJob, task: asyncio.Task[DomainRecord], control: DomainControl
    ) -> None:
        self._running.pop(job.job_id, None)
        self._wake.set()
        if task.cancelled():
            if control.cancelled:  # cancelled before its first step: it never said so itself
                self._finish_unstarted(job)
            return  # otherwise interrupted: not finished, so a resume redoes it
        error = task.exception()
        if error is not None:
            # A bug in one domain's crawl must not stop the batch: that domain fails.
            record = new_domain_record(job)
            record.update(
                status=DomainStatus.FAILED.value,
                stop_reason=StopReason.START_FAILED.value,
                error=f"internal error: {type(error).__name__}: {error}"[:300],
                finished_at=utc_now(),
            )
            self.results[job.job_id] = record
            self.sink(DomainFinished(job.job_id, job.target.domain, record))
            return
        self.results[job.job_id] = task.result()

    def _finish_unstarted(self, job: DomainJob) -> None:
        record = new_domain_record(job)
        record.update(
            status=DomainStatus.CANCELLED.value,
            stop_reason=StopReason.CANCELLED.value,
            finished_at=utc_now(),
        )
        self.results[job.job_id] = record
        self.sink(PhaseChanged(job.job_id, job.target.domain, Phase.CANCELLED, "cancelled"))
        self.sink(DomainFinished(job.job_id, job.target.domain, record))

    async def _abandon_running(self) -> None:
        tasks = [task for task, _control in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def counts(self) -> dict[str, int]:
        records = self.results.values()
        return {
            "domains": len(self.jobs),
            "done": sum(r["status"] == DomainStatus.DONE for r in records),
            "failed": sum(r["status"] == DomainStatus.FAILED for r in records),
            "cancelled": sum(r["status"] == DomainStatus.CANCELLED for r in records),
            "pages": sum(r["pages_ok"] + r["pages_failed"] for r in records),
        }
