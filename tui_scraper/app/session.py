"""One batch run by the app: the runner, the store writer and the plain state, wired together.

The app is the third consumer of the engine's event stream, beside the store
writer (as in the headless command, see `cli._run_runner`): the runner's sink
hands every event to the writer and to `BatchState`, both of which only record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from tui_scraper.app.state import BatchState, Clock
from tui_scraper.engine.connect import Network
from tui_scraper.engine.crawl import DomainJob
from tui_scraper.engine.events import BatchStatus, Event, Rejected
from tui_scraper.engine.pool import make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import ParsedTargets

# Beyond this many domains the jobs (a uuid each) are made in a thread, not on the loop.
JOBS_IN_THREAD = 2000


class BatchSession:
    """A batch the app runs: `run()` runs it (again, for retries) with a fresh store writer."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        parsed: ParsedTargets,
        *,
        batch_id: str,
        clock: Clock,
        resume_jobs: Sequence[DomainJob] | None = None,
        labels: dict[str, Any] | None = None,
        network: Network | None = None,
    ) -> None:
        """A new batch of `parsed`; or, with `resume_jobs`, the unfinished jobs of a stored one."""
        self.store = store
        self.settings = settings
        self.state = BatchState(settings.max_pages, settings.concurrency, clock)
        self.runner = make_runner(settings, self._sink, batch_id=batch_id, network=network)
        self.targets = list(parsed.targets)
        self.jobs: list[DomainJob] = list(resume_jobs) if resume_jobs is not None else []
        self._jobs_made = resume_jobs is not None
        self.resumes_stored = resume_jobs is not None
        self.labels = dict(labels or {})  # extra facts for the batch document
        self.rejected = [Rejected(r.line, r.input, r.reason) for r in parsed.rejected]
        self.writer: StoreWriter | None = None
        self.running = False
        self.runs = 0
        self.status: BatchStatus | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    @property
    def batch_id(self) -> str:
        """The batch's id, as stored."""
        return self.runner.batch_id

    def _sink(self, event: Event) -> None:
        # Both consumers only queue or record: neither blocks the crawl nor touches a widget.
        if self.writer is not None:
            self.writer(event)
        self.state(event)

    async def run(self, jobs: Sequence[DomainJob] | None = None) -> BatchStatus:
        """Run the batch (or rerun `jobs` of it) until it ends; cancelling leaves it interrupted.

        The writer is closed in every case, so what was fetched is on disk before
        this returns or re-raises the cancellation.
        """
        resumed = self.runs > 0 or self.resumes_stored
        self.runs += 1
        self.running = True
        self.idle.clear()
        try:
            if not self._jobs_made:
                self.jobs = await self._make_jobs()
                self._jobs_made = True
            self.writer = StoreWriter(self.store)
            async with self.writer.running():
                status = await self.runner.run(
                    list(jobs if jobs is not None else self.jobs),
                    rejected=() if resumed else self.rejected,
                    resumed=resumed,
                    labels=self.labels,
                )
        except asyncio.CancelledError:
            self.status = BatchStatus.INTERRUPTED
            raise
        else:
            self.status = status
            return status
        finally:
            self.running = False
            self.idle.set()

    async def _make_jobs(self) -> list[DomainJob]:
        if len(self.targets) > JOBS_IN_THREAD:
            return await asyncio.to_thread(make_jobs, self.batch_id, self.targets)
        return make_jobs(self.batch_id, self.targets)

    def failed_job_ids(self) -> list[str]:
        """Jobs whose domain ended as failed."""
        return [job.job_id for job in self.runner.failed_jobs()]
