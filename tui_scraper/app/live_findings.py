"""A running batch's findings, kept up to date from its events (no Textual, no store reads).

The store's open chunk is written by the store writer's thread while a batch runs, so
the app does not read it then: it takes the same page and domain records from the
event stream instead, and the `report` rules (`tui_scraper.findings`) run on each as
it arrives. A domain's duplicates and whole-domain findings come when it ends, as in
`report`; a retried domain's earlier findings are dropped when it starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_scraper.engine.events import DomainFinished, DomainStarted, Event, PageFetched
from tui_scraper.findings import Finding, FindingsCollector


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
        self.found: list[Finding] = []
        self.generation = 0

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
            self.found = [f for job in self._jobs.values() for f in (*job.pages, *job.ended)]
            self.generation += 1

    def _job(self, job_id: str, domain: str) -> _JobFindings:
        job = self._jobs.get(job_id)
        if job is None:
            job = self._jobs[job_id] = _JobFindings(domain)
        return job
