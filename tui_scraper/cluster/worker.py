"""The worker side of a cluster batch: one HTTP client per worker, one Dask task per domain.

`BatchWorkerPlugin` opens the batch's HTTP client when a worker joins (and
closes it when the batch ends), and follows the batch's steering (pause, the
attempts cancelled) from a Dask `Variable` the driver sets, read while crawls
run here. `crawl_task` is the Dask task of one domain attempt: it crawls on the
worker's event loop; its events go to the driver with those of the worker's
other crawls, in batches through the scheduler's event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from distributed import Variable, Worker, WorkerPlugin, get_worker

from tui_scraper.cluster.wire import FINISHED, Item, Section, encode, pack, plain
from tui_scraper.engine.connect import Network
from tui_scraper.engine.crawl import DomainControl, DomainJob, crawl_domain
from tui_scraper.engine.events import DomainFinished, DomainRecord, Event
from tui_scraper.engine.http import HttpClient
from tui_scraper.engine.parse import InlineParser
from tui_scraper.settings import Settings

# How often a worker with crawls of the batch reads its steering.
STEERING_POLL_S = 0.1
# Events are sent at most this late, or as soon as this many are waiting.
FLUSH_AFTER_S = 0.05
FLUSH_AT_EVENTS = 500


def plugin_name(batch_id: str) -> str:
    return f"tui-scraper-batch-{batch_id}"


def topic_name(batch_id: str) -> str:
    """The event-log topic a batch's domain events go to."""
    return f"tui-scraper-events-{batch_id}"


def steering_name(batch_id: str) -> str:
    """The Dask Variable holding a batch's steering: {"paused": bool, "cancelled": [keys]}."""
    return f"tui-scraper-steering-{batch_id}"


class AttemptSink:
    """The sink of one domain attempt on a worker: its events go out with the worker's others.

    A run is one execution of the attempt (a task Dask restarts after its worker
    died is a new run); each flush that carries events of the run gives them the
    next sequence number, so the driver keeps only the latest run. DomainFinished is
    not sent: the run's last item is its record.
    """

    def __init__(self, sender: EventSender, key: str) -> None:
        self._sender = sender
        self.key = key
        self.run = uuid.uuid4().hex
        self.sent = 0
        self.waiting: list[Item] = []

    def __call__(self, event: Event) -> None:
        if type(event) is not DomainFinished:
            self._add(encode(event))

    def finish(self, record: DomainRecord) -> None:
        """Send the run's record now, after all its events: the driver frees its slot."""
        self._add([FINISHED, plain(record)])
        self._sender.flush()

    def _add(self, item: Item) -> None:
        if not self.waiting:
            self._sender.waiting.append(self)
        self.waiting.append(item)
        self._sender.added()


class EventSender:
    """The events of all the batch's crawls on one worker, sent together as one blob.

    One message every FLUSH_AFTER_S (or as soon as FLUSH_AT_EVENTS wait), not one
    per domain, keeps the messages the scheduler relays few whatever the window.
    """

    def __init__(self, worker: Worker, topic: str) -> None:
        self._worker = worker
        self._topic = topic
        self.waiting: list[AttemptSink] = []
        self._count = 0
        self._timer: asyncio.TimerHandle | None = None

    def added(self) -> None:
        self._count += 1
        if self._count >= FLUSH_AT_EVENTS:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_AFTER_S, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.waiting:
            return
        sections: list[Section] = []
        for sink in self.waiting:
            sections.append([sink.key, sink.run, sink.sent, sink.waiting])
            sink.sent += 1
            sink.waiting = []
        self.waiting, self._count = [], 0
        self._worker.log_event(self._topic, {"blob": pack(sections)})


class BatchWorkerPlugin(WorkerPlugin):
    """One batch's HTTP client and steering on one worker."""

    def __init__(
        self,
        batch_id: str,
        settings: Settings,
        network: Network | None,
        named: list[tuple[str, int | None]],
    ) -> None:
        self.batch_id = batch_id
        self.settings = settings
        self.network = network
        self.named = named
        self.name = plugin_name(batch_id)

    async def setup(self, worker: Worker) -> None:
        self.worker = worker
        self.client = await HttpClient.open(self.settings, self.network, self.named)
        self.parser = InlineParser()  # the worker processes are the parallelism
        self.sender = EventSender(worker, topic_name(self.batch_id))
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = asyncio.Event()  # the gate's opposite: set while the batch is paused
        self.crawls: dict[str, tuple[asyncio.Task[Any], DomainControl]] = {}
        self._watcher: asyncio.Task[None] | None = None

    async def teardown(self, worker: Worker) -> None:
        for task, _control in list(self.crawls.values()):
            task.cancel()
        self.sender.flush()
        if self._watcher is not None:
            self._watcher.cancel()
        await self.client.close()

    async def crawl(self, job: DomainJob, key: str) -> dict[str, Any]:
        """Crawl one domain attempt here; returns its run and record (which the driver
        has by then from the run's last section, unless that section came late)."""
        sink = AttemptSink(self.sender, key)
        control = DomainControl(self.gate)
        task = asyncio.create_task(
            crawl_domain(job, self.settings, self.client, sink, control, self.parser),
            name=f"crawl {job.target.domain}",
        )
        self.crawls[key] = (task, control)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._follow_steering())
        try:
            record = await asyncio.shield(task)
        except BaseException:
            task.cancel()  # the Dask task was cancelled (its worker closes), or the crawl failed
            self.sender.flush()
            raise
        finally:
            self.crawls.pop(key, None)
        sink.finish(record)
        return {"run": sink.run, "record": plain(record)}

    async def _follow_steering(self) -> None:
        """While crawls of the batch run here, obey the steering the driver sets."""
        variable = Variable(steering_name(self.batch_id), client=self.worker._get_client())
        while self.crawls:
            with contextlib.suppress(TimeoutError):
                self._obey(await variable.get(timeout=5))
            await asyncio.sleep(STEERING_POLL_S)

    def _obey(self, steering: dict[str, Any]) -> None:
        if steering.get("paused"):
            self.gate.clear()
            self.held.set()
        else:
            self.gate.set()
            self.held.clear()
        for key in steering.get("cancelled", ()):
            running = self.crawls.get(key)
            if running is not None and not running[1].cancelled:
                task, control = running
                control.cancelled = True  # the crawl ends as cancelled, with what it has
                task.cancel()


async def crawl_task(batch_id: str, job: DomainJob, key: str) -> dict[str, Any]:
    """The Dask task of one domain attempt (runs on the worker's event loop)."""
    plugin = get_worker().plugins[plugin_name(batch_id)]
    assert isinstance(plugin, BatchWorkerPlugin)
    return await plugin.crawl(job, key)


async def held_here(batch_id: str, timeout: float, dask_worker: Worker) -> bool | None:
    """Once this worker holds the batch paused, True; False if it did not within `timeout`
    s; None if no crawl of the batch ran here. For tests.

    Run it with `Client.run`, which passes the worker as `dask_worker` and runs a
    coroutine function on the worker's event loop.
    """
    plugin = dask_worker.plugins.get(plugin_name(batch_id))
    if not isinstance(plugin, BatchWorkerPlugin) or not hasattr(plugin, "held"):
        return None
    try:
        async with asyncio.timeout(timeout):
            await plugin.held.wait()
    except TimeoutError:
        return False
    return True
