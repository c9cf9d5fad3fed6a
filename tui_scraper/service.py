"""The one batch service: every front end runs and resumes its batches through it.

It wires what a batch needs: its settings, the store writer, where the crawls
run, and the demo web (served here for the service's life, or one already
running that it attaches to). The command line, the app and the served app call
it; none of them assembles these parts itself, so a fix here holds everywhere.

    async with BatchService(store, demo_web=build_demo_web(7)) as service:
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
from tui_scraper.engine.events import BatchStatus, Event, EventSink, Rejected, fan_out
from tui_scraper.engine.pool import BatchRunner, make_jobs, new_batch_id
from tui_scraper.engine.records import DomainJob
from tui_scraper.gc_quiet import with_gc_paused
from tui_scraper.runners import close_runner, make_runner
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreError, StoreWriter
from tui_scraper.targets import ParsedTargets, Target

if TYPE_CHECKING:
    from tui_scraper.demo import DemoServer, DemoWeb


class NothingToResume(StoreError):
    """A batch with no unfinished domain."""


# Beyond this many domains the jobs (a uuid each) are made in a thread, not on the loop,
# so a screen that starts a batch of 100,000 domains keeps answering keys.
JOBS_IN_THREAD = 2000


@dataclass
class Batch:
    """One batch to run (or rerun, for retries); `runner` holds its controls."""

    store: Store
    runner: BatchRunner
    targets: list[Target] = field(default_factory=list)
    jobs: list[DomainJob] | None = None  # made from `targets` on the first run
    rejected: list[Rejected] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=dict)
    resumes_stored: bool = False
    runs: int = 0
    running: bool = False
    # the last write that failed, if the store could not be written
    store_error: str | None = None
    # results the store could not save at all (each costs only itself)
    unsaved: int = 0

    @property
    def batch_id(self) -> str:
        return self.runner.batch_id

    @property
    def size(self) -> int:
        """How many domains the batch has."""
        return len(self.jobs) if self.jobs is not None else len(self.targets)

    def listen(self, sink: EventSink) -> None:
        """Send the runner's events to `sink` until `run` starts (a pause or a concurrency
        change made before the batch is under way reaches the screen's state)."""
        self.runner.sink = sink

    async def run(
        self, sink: EventSink | None = None, jobs: Sequence[DomainJob] | None = None
    ) -> BatchStatus:
        """Run the batch (or rerun `jobs` of it) until it ends, saving every event as it comes.

        `sink` (progress, the screen) sees the same events as the store writer. If the
        task running this is cancelled, the batch is left interrupted, and what was
        fetched is on disk before the cancellation goes on.
        """
        if sink is not None:
            self.listen(sink)  # a key pressed while the jobs are made is heard
        if self.jobs is None:
            if len(self.targets) > JOBS_IN_THREAD:
                build = with_gc_paused(make_jobs)
                self.jobs = await asyncio.to_thread(build, self.batch_id, self.targets)
            else:
                self.jobs = make_jobs(self.batch_id, self.targets)
        resumed = self.runs > 0 or self.resumes_stored
        self.runs += 1
        writer = StoreWriter(self.store)
        self.runner.sink = fan_out([writer, sink]) if sink is not None else writer
        self.running = True
        try:
            async with writer.running():
                return await self.runner.run(
                    list(jobs if jobs is not None else self.jobs),
                    rejected=() if resumed else self.rejected,
                    resumed=resumed,
                    labels=self.labels,
                )
        finally:
            self.running = False
            self.store_error = writer.last_error
            self.unsaved = writer.failed_events

    async def close(self) -> None:
        """End what the batch keeps between its runs (its cluster): it runs no more."""
        await close_runner(self.runner)


class BatchService:
    """Runs new batches and resumes stored ones in one store; `async with` it.

    `demo_web` makes new batches demo batches: the service serves that web (or
    attaches to `demo_facts`, the facts of one already running). A stored demo
    batch is resumed against its own web, served again from its seed.
    """

    def __init__(
        self,
        store: Store,
        *,
        demo_web: DemoWeb | None = None,
        demo_facts: dict[str, Any] | None = None,
        demo_latency: float | None = None,
    ) -> None:
        self.store = store
        self.demo_web = demo_web
        self._demo_facts = demo_facts
        self._demo_latency = demo_latency
        self._servers: list[DemoServer] = []
        self._networks: dict[int, Network] = {}  # demo seed -> how to reach its web
        self._batches: list[Batch] = []  # each keeps its cluster for its reruns until closed
        self._closing: set[asyncio.Future[None]] = set()

    async def __aenter__(self) -> BatchService:
        if self.demo_web is not None:
            await self._demo_network(self.demo_web.seed)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the batches' clusters, and stop the demo webs this service serves."""
        batches, self._batches = self._batches, []
        for batch in batches:
            await asyncio.shield(batch.close())
        if self._closing:
            await asyncio.shield(asyncio.gather(*self._closing, return_exceptions=True))
        servers, self._servers = self._servers, []
        for server in servers:
            await asyncio.shield(server.stop())

    @property
    def demo_server(self) -> DemoServer | None:
        """The demo web served for new batches, if this service serves one."""
        return self._servers[0] if self._servers else None

    @property
    def network(self) -> Network | None:
        """How new batches reach their hosts beyond the settings (the demo web's facts)."""
        return self._networks.get(self.demo_web.seed) if self.demo_web is not None else None

    async def _demo_network(self, seed: int) -> Network:
        """How to reach the demo web of `seed`, serving it first if nothing serves it yet."""
        network = self._networks.get(seed)
        if network is not None:
            return network
        own = self.demo_web if self.demo_web is not None and seed == self.demo_web.seed else None
        facts = self._demo_facts if own is not None else None
        if facts is None:
            from tui_scraper.demo import DEMO_LATENCY_S, DemoServer, build_demo_web

            web = own if own is not None else build_demo_web(seed=seed)
            latency = DEMO_LATENCY_S if self._demo_latency is None else self._demo_latency
            server = DemoServer(web, latency=latency)
            await server.start()
            self._servers.append(server)
            facts = server.connection_facts()
        # The demo's address, DNS server and CA reach the HTTP client, never settings.
        network = self._networks[seed] = Network.from_facts(facts["network"])
        return network

    def new_batch(
        self, settings: Settings, parsed: ParsedTargets, *, batch_id: str | None = None
    ) -> Batch:
        """A new batch of the parsed domains (its rejected lines are stored with it)."""
        batch_id = batch_id or new_batch_id()
        runner = make_runner(
            settings, _no_sink, batch_id=batch_id, network=self.network, keep_cluster=True
        )
        # A demo batch records its seed, so `resume` can serve the same web again.
        labels = {"demo_seed": self.demo_web.seed} if self.demo_web is not None else {}
        return self._kept(
            Batch(
                self.store,
                runner,
                targets=list(parsed.targets),
                rejected=[Rejected(r.line, r.input, r.reason) for r in parsed.rejected],
                labels=labels,
            )
        )

    async def resume_batch(self, batch_id: str, settings: Settings | None = None) -> Batch:
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
        network, labels = None, {}
        seed = document.get("demo_seed")
        if seed is not None:  # a demo batch: its web is served again
            network = await self._demo_network(int(seed))
            labels = {"demo_seed": int(seed)}
        runner = make_runner(
            settings, _no_sink, batch_id=stored_id, network=network, keep_cluster=True
        )
        return self._kept(Batch(self.store, runner, jobs=jobs, labels=labels, resumes_stored=True))

    def _kept(self, batch: Batch) -> Batch:
        """Keep the batch, to close it with the service; a new batch ends the earlier ones'
        sessions, so their clusters close now (one that still runs keeps its own)."""
        earlier = [b for b in self._batches if not b.running]
        self._batches = [b for b in self._batches if b.running]
        for old in earlier:
            task = asyncio.ensure_future(old.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self._batches.append(batch)
        return batch


def _no_sink(_event: Event) -> None:
    """Until a batch runs, its runner's events go nowhere (`Batch.run` gives the sink)."""
