"""A running batch's findings, kept up to date from its events (no Textual, no store reads).

The store's open chunk is written by the store writer's thread while a batch runs, so
the app does not read it then: it takes the same page and domain records from the
event stream instead, and the `report` rules (`tui_scraper.findings`) run on each as
it arrives. A domain's duplicates and whole-domain findings come when it ends, as in
`report`; a retried domain's earlier findings are dropped when it starts again. A
resumed batch's domains that ended before the resume are read from the store once,
before the batch runs again (`stored_findings`), and listed first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from tui_scraper.engine.events import DomainFinished, DomainStarted, Event, PageFetched
from tui_scraper.findings import Finding, FindingsCollector, batch_findings
from tui_scraper.store import BatchStore


@dataclass(slots=True)
class _JobFindings:
    domain: str
    collector: FindingsCollector = field(default_factory=FindingsCollector)
    pages: list[Finding] = field(default_factory=list)
    ended: list[Finding] = field(default_factory=list)


class LiveFindings:
    """An event sink: every finding of the batch so far, in the order they were found.

    `found` only grows, so a view adds its new end; a retry rebuilds it without the
    retried domain's earlier findings and bumps `generation` (the view starts over).
    """

    def __init__(self) -> None:
        self._jobs: dict[str, _JobFindings] = {}
        self._stored: list[Finding] = []
        self.found: list[Finding] = []
        self.generation = 0

    def add_stored(self, findings: list[Finding]) -> None:
        """Findings of domains that ended before this run (a resumed batch's), listed first."""
        self._stored = findings
        self._rebuild()

    def __call__(self, event: Event) -> None:
        if isinstance(event, PageFetched):
            job = self._job(event.job_id, event.domain)
            found = job.collector.add_page(event.page)
            job.pages += found
            self.found += found
        elif isinstance(event, DomainFinished):
            job = self._job(event.job_id, event.domain)
            job.ended = job.collector.finish_domain(event.record)
            self.found += job.ended
        elif isinstance(event, DomainStarted) and event.job_id in self._jobs:
            # Started again (a retry): the store forgets its earlier pages, and so does this.
            self._jobs[event.job_id] = _JobFindings(event.domain)
            self._rebuild()

    def _rebuild(self) -> None:
        """`found` made again from its parts; views start over (`generation`)."""
        live = [f for job in self._jobs.values() for f in (*job.pages, *job.ended)]
        self.found = [*self._stored, *live]
        self.generation += 1

    def _job(self, job_id: str, domain: str) -> _JobFindings:
        job = self._jobs.get(job_id)
        if job is None:
            job = self._jobs[job_id] = _JobFindings(domain)
        return job


def stored_findings(store: BatchStore, batch_id: str, rerun: Collection[str]) -> list[Finding]:
    """The stored findings of a batch's domains but `rerun` (job ids): read before it runs,
    as the writer changes the store once it does."""
    domains = [d for d in store.batch_domains(batch_id) if d["job_id"] not in rerun]
    pages = (p for p in store.batch_pages(batch_id) if p.get("job_id") not in rerun)
    return list(batch_findings(domains, pages))
