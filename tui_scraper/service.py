"""The one batch service: every front end runs and resumes its batches through it.

It wires what a batch needs: its settings, the store writer, where the crawls
run, and the demo web (served here for the service's life, or one already
running that it attaches to). The command line, the app and the served app call
it; none of them assembles these parts itself, so a fix here holds everywhere.

    async with BatchService(store, demo=DemoSource(web=build_demo_web(7))) as service:
        batch = service.new_batch(settings, parse_targets(text))
        status = await batch.run(progress)      # progress: any event sink
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tui_scraper.engine.connect import Network
from tui_scraper.engine.events import BatchStatus, EventSink, Rejected, fan_out
from tui_scraper.engine.pool import BatchRunner, make_jobs, new_batch_id
from tui_scraper.engine.records import DomainJob
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreError, StoreWriter
from tui_scraper.targets import ParsedTargets

if TYPE_CHECKING:
    from tui_scraper.demo import DemoServer, DemoWeb


@dataclass(frozen=True, slots=True)
class DemoSource:
    """Where a demo batch's web comes from: `web` served by the service, or `facts` of one
    already running (`python -m tui_scraper.demo` prints them; `serve --demo` shares one).
    """

    web: DemoWeb
    facts: dict[str, Any] | None = None
    # seconds each answer waits (None: the demo's own, like a real network's)
    latency: float | None = None


class NothingToResume(StoreError):
    """A batch with no unfinished domain."""


@dataclass
class Batch:
    """One batch to run (or rerun, for retries); `runner` holds its controls."""

    store: Store
    runner: BatchRunner
    jobs: list[DomainJob]
    rejected: list[Rejected] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=dict)
    resumes_stored: bool = False
    runs: int = 0
    # the last write that failed, if the store could not be written
    store_error: str | None = None

    @property
    def batch_id(self) -> str:
        return self.runner.batch_id

    async def run(
        self, sink: EventSink | None = None, jobs: Sequence[DomainJob] | None = None
    ) -> BatchStatus:
        """Run the batch (or rerun `jobs` of it) until it ends, saving every event as it comes.

        `sink` (progress, the screen) sees the same events as the store writer. If the
        task running this is cancelled, the batch is left interrupted, and what was
        fetched is on disk before the cancellation goes on.
        """
        resumed = self.runs > 0 or self.resumes_stored
        self.runs += 1
        writer = StoreWriter(self.store)
        self.runner.sink = fan_out([writer, sink]) if sink is not None else writer
        try:
            async with writer.running():
                return await self.runner.run(
                    list(jobs if jobs is not None else self.jobs),
                    rejected=() if resumed else self.rejected,
                    resumed=resumed,
                    labels=self.labels,
                )
        finally:
            self.store_error = writer.last_error


class BatchService:
    """Runs new batches and resumes stored ones in one store; `async with` it."""

    def __init__(self, store: Store, *, demo: DemoSource | None = None) -> None:
        self.store = store
        self.demo = demo
        self.network: Network | None = None
        self.demo_server: DemoServer | None = None

    async def __aenter__(self) -> BatchService:
        demo = self.demo
        if demo is not None:
            facts = demo.facts
            if facts is None:
                from tui_scraper.demo import DEMO_LATENCY_S, DemoServer

                latency = DEMO_LATENCY_S if demo.latency is None else demo.latency
                self.demo_server = DemoServer(demo.web, latency=latency)
                await self.demo_server.start()
                facts = self.demo_server.connection_facts()
            # The demo's address, DNS server and CA reach the HTTP client, never settings.
            self.network = Network.from_facts(facts["network"])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self.demo_server = self.demo_server, None
        if server is not None:
            await asyncio.shield(server.stop())

    def _labels(self) -> dict[str, Any]:
        # A demo batch records its seed, so `resume` can serve the same web again.
        return {"demo_seed": self.demo.web.seed} if self.demo is not None else {}

    def _runner(self, settings: Settings, batch_id: str) -> BatchRunner:
        return make_runner(settings, lambda _event: None, batch_id=batch_id, network=self.network)

    def new_batch(
        self, settings: Settings, parsed: ParsedTargets, *, batch_id: str | None = None
    ) -> Batch:
        """A new batch of the parsed domains (its rejected lines are stored with it)."""
        runner = self._runner(settings, batch_id or new_batch_id())
        return Batch(
            self.store,
            runner,
            make_jobs(runner.batch_id, parsed.targets),
            rejected=[Rejected(r.line, r.input, r.reason) for r in parsed.rejected],
            labels=self._labels(),
        )

    def resume_batch(self, batch_id: str, settings: Settings | None = None) -> Batch:
        """The unfinished domains of a stored batch, with its settings (or `settings`).

        Raises NothingToResume when every domain of it has finished.
        """
        document = self.store.find_batch(batch_id)
        stored_id = document["batch_id"]
        jobs = self.store.unfinished_jobs(stored_id)
        if not jobs:
            raise NothingToResume(f"batch {stored_id} has no unfinished domain")
        if settings is None:
            settings = Settings.from_dict(document.get("settings") or {})
        return Batch(
            self.store,
            self._runner(settings, stored_id),
            jobs,
            labels=self._labels(),
            resumes_stored=True,
        )


def demo_source_for(document: dict[str, Any]) -> DemoSource | None:
    """The demo web a stored batch ran against (its seed), to serve again on resume."""
    seed = document.get("demo_seed")
    if seed is None:
        return None
    from tui_scraper.demo import build_demo_web

    return DemoSource(web=build_demo_web(seed=int(seed)))
