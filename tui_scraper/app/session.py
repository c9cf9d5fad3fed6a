"""One batch run by the app: the service's batch and the plain state the screens render.

The app is a consumer of the engine's event stream, beside the store writer that
the batch service runs: every event reaches `BatchState`, which only records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tui_scraper.app.live_findings import LiveFindings, stored_findings
from tui_scraper.app.state import BatchState, Clock
from tui_scraper.engine.events import BatchStatus, fan_out
from tui_scraper.engine.records import DomainJob
from tui_scraper.service import Batch
from tui_scraper.store import BatchStore


class BatchSession:
    """A batch the app runs: `run()` runs it (again, for retries)."""

    def __init__(self, batch: Batch, clock: Clock) -> None:
        self.batch = batch
        self.runner = batch.runner
        self.settings = batch.runner.settings
        self.state = BatchState(self.settings.max_pages, self.settings.concurrency, clock)
        # The findings view's source while the batch runs (the store is being written).
        self.findings = LiveFindings()
        self._sink = fan_out([self.state, self.findings])
        batch.listen(self._sink)
        self.running = False
        self.status: BatchStatus | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    @property
    def batch_id(self) -> str:
        """The batch's id, as stored."""
        return self.batch.batch_id

    @property
    def runs(self) -> int:
        """How many times it ran (retries run it again)."""
        return self.batch.runs

    async def load_stored_findings(self, store: BatchStore) -> None:
        """A resumed batch: its findings of the domains that ended before, read in a thread
        (the live findings have only what this run sees)."""
        if not self.batch.resumes_stored:
            return
        rerun = {job.job_id for job in self.batch.jobs or ()}
        found = await asyncio.to_thread(stored_findings, store, self.batch_id, rerun)
        self.findings.add_stored(found)

    async def run(self, jobs: Sequence[DomainJob] | None = None) -> BatchStatus:
        """Run the batch (or rerun `jobs` of it) until it ends; cancelling leaves it interrupted.

        What was fetched is on disk before this returns or re-raises the cancellation.
        """
        self.running = True
        self.idle.clear()
        try:
            status = await self.batch.run(self._sink, jobs)
        except asyncio.CancelledError:
            self.status = BatchStatus.INTERRUPTED
            raise
        else:
            self.status = status
            return status
        finally:
            self.running = False
            self.idle.set()

    def failed_job_ids(self) -> list[str]:
        """Jobs whose domain ended as failed."""
        return [job.job_id for job in self.runner.failed_jobs()]
