"""The driver side of a cluster batch: `DaskPlace`, where the runner's crawls run on Dask.

The runner keeps scheduling and steering as for local crawls (its window of
`--concurrency` domains in flight, its pause, cancel and retry); this place
submits each domain attempt as one Dask task, tracks the window's futures with
`as_completed`, turns the workers' event batches back into typed events for
the runner's sink, and keeps only the latest run of each attempt: a task Dask
restarts after its worker died starts the domain again, and the store replaces
its earlier pages as for a resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing.resource_tracker
import sys
from typing import Any

import dask.config
from distributed import Client, LocalCluster, Variable, as_completed
from distributed import Future as DaskFuture

from tui_scraper.cluster.wire import FINISHED, decode, unpack
from tui_scraper.cluster.worker import (
    BatchWorkerPlugin,
    crawl_task,
    plugin_name,
    steering_name,
    topic_name,
)
from tui_scraper.engine.connect import Network
from tui_scraper.engine.crawl import DomainControl, DomainJob, new_domain_record, utc_now
from tui_scraper.engine.events import (
    DomainFinished,
    DomainRecord,
    DomainStarted,
    DomainStatus,
    EventSink,
    PageFetched,
    Phase,
    PhaseChanged,
    StopReason,
)
from tui_scraper.settings import SettingError, Settings, parse_cluster_address

# Task slots of each local worker: enough for any window (`dask worker --nthreads`).
SLOTS_PER_WORKER = 64
# How long the driver tries to reach a scheduler.
CONNECT_S = 5.0
# A task that returned waits at most this long for its run's last section.
LATE_EVENTS_S = 5.0
# A local cluster runs without what only a person watching a dashboard needs: each of these
# wakes every process tens of times a second. The event log keeps few of the workers'
# flushes (each of which holds tens of pages): the driver has them already.
LOCAL_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.low-level-log-length": 50,
}
# A cancelled running attempt waits at most this long for its worker's record.
STOP_WAIT_S = 5.0


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr before workers spawn.

    It hands its child `sys.stderr.fileno()`, and under the app that is Textual's
    capture, whose fileno is -1: spawning the worker processes would fail.
    """
    if sys.__stderr__ is None:
        return
    with contextlib.redirect_stderr(sys.__stderr__):
        multiprocessing.resource_tracker.ensure_running()


@dataclasses.dataclass(eq=False)
class _Attempt:
    """One domain attempt in the window: its future and what its latest run told."""

    job: DomainJob
    control: DomainControl
    future: DaskFuture | None
    landed: asyncio.Future[None]
    # The record its run sent last, after all the run's events.
    record: asyncio.Future[DomainRecord] = dataclasses.field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    run: str | None = None
    started_at: str | None = None
    pages_ok: int = 0
    pages_failed: int = 0


class DaskPlace:
    """Crawls as Dask tasks on a cluster: `tcp://HOST:PORT` of a scheduler, or `local:N`.

    `keep_open`: the client (and a local cluster) outlive a run, for the next run
    of the same batch (retries), until `shutdown`; else each run's `close` ends them.
    """

    def __init__(
        self, address: str, network: Network | None = None, *, keep_open: bool = False
    ) -> None:
        self.address = address
        self.keep_open = keep_open
        self._kind, self._where = parse_cluster_address(address)
        self._network = network
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None
        self._attempts: dict[str, _Attempt] = {}
        self._tries: dict[str, int] = {}
        self._steering: dict[str, Any] = {"paused": False, "cancelled": []}
        self._steer_task: asyncio.Task[None] | None = None
        self._steer_again = False
        self._consumer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()

    def _background(self, awaitable: Any) -> None:
        """Run a client call that returns an awaitable, keeping it alive until done."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def open(
        self,
        batch_id: str,
        settings: Settings,
        sink: EventSink,
        named: list[tuple[str, int | None]],
    ) -> None:
        self._sink = sink
        self._batch_id = batch_id
        try:
            await self._open(settings, named)
        except BaseException:
            await self.close()  # a half-started cluster must not outlive a failed start
            raise

    async def _open(self, settings: Settings, named: list[tuple[str, int | None]]) -> None:
        if self.client is None:
            await self._connect(settings)
        assert self.client is not None
        batch_id = self._batch_id
        self._variable = Variable(steering_name(batch_id), client=self.client)
        await self._variable.set(dict(self._steering))
        self.client.subscribe_topic(topic_name(batch_id), self._on_message)
        await self.client.register_plugin(
            BatchWorkerPlugin(batch_id, settings, self._network, named), name=plugin_name(batch_id)
        )
        self._window = as_completed(loop=self.client.loop)

    async def _connect(self, settings: Settings) -> None:
        if self._kind == "local":
            _start_resource_tracker()
            with dask.config.set(LOCAL_CONFIG):  # the scheduler here, the workers via their Nannies
                self.cluster = await LocalCluster(
                    n_workers=int(self._where),
                    # A running async task holds one of its worker's slots though it uses no
                    # thread: with one slot a worker would crawl one domain at a time.
                    threads_per_worker=max(SLOTS_PER_WORKER, settings.concurrency),
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # Its processes share the terminal: a warning would land in the app's screen.
                    silence_logs=logging.ERROR,
                    asynchronous=True,
                )
                self.client = await Client(self.cluster, asynchronous=True)
            return
        try:
            self.client = await Client(str(self._where), asynchronous=True, timeout=CONNECT_S)
        except (OSError, TimeoutError) as error:
            raise SettingError(f"--cluster {self.address}: cannot reach it ({error})") from None
        # Driver, scheduler and workers must run the same versions (msgpack, pickles).
        try:
            await self.client.get_versions(check=True, packages=["tui_scraper"])
        except ValueError as error:
            await self.client.close()
            self.client = None
            first = str(error).strip().splitlines()[0]
            raise SettingError(f"--cluster {self.address}: {first}") from None

    # -- the window -----------------------------------------------------------

    def start(self, job: DomainJob, control: DomainControl) -> asyncio.Task[DomainRecord]:
        assert self.client is not None
        tries = self._tries[job.job_id] = self._tries.get(job.job_id, 0) + 1
        key = f"crawl-{job.job_id}-{tries}"
        future = self.client.submit(crawl_task, self._batch_id, job, key, key=key, pure=False)
        attempt = _Attempt(job, control, future, asyncio.get_running_loop().create_future())
        self._attempts[key] = attempt
        self._window.add(future)
        if self._consumer is None or self._consumer.done():
            self._consumer = asyncio.create_task(self._follow_window())
        return asyncio.create_task(self._attempt_result(key), name=f"crawl {job.target.domain}")

    async def _follow_window(self) -> None:
        """Wake each attempt whose future is done (finished, failed or cancelled)."""
        while not self._window.is_empty():
            async for future in self._window:
                attempt = self._attempts.get(future.key)
                if attempt is not None and not attempt.landed.done():
                    attempt.landed.set_result(None)

    async def _attempt_result(self, key: str) -> DomainRecord:
        attempt = self._attempts[key]
        try:
            record = await self._record_of(attempt)
        except asyncio.CancelledError:
            if attempt.control.cancelled:
                return await self._stop(key, attempt)
            if attempt.future is not None:  # interrupted: the domain stays unfinished, for resume
                self._background(attempt.future.cancel())
            self._drop(key)
            raise
        except Exception:
            self._drop(key)  # the task failed (a bug, or its workers kept dying): the domain fails
            raise
        return self._finished(key, attempt, record)

    @staticmethod
    async def _record_of(attempt: _Attempt) -> DomainRecord:
        """The attempt's record, as its run's last section brings it after all its events.

        The domain's slot is free then, before Dask reports the task done (and with no
        round trip to fetch its result). A task that ends (fails, is cancelled) first
        says so; one that returned while its last section is late gives its record.
        """
        # (asyncio.wait cancels neither future when this is cancelled)
        await asyncio.wait({attempt.record, attempt.landed}, return_when=asyncio.FIRST_COMPLETED)
        if attempt.record.done():
            return attempt.record.result()
        assert attempt.future is not None
        result: dict[str, Any] = await attempt.future.result()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LATE_EVENTS_S):
                return await asyncio.shield(attempt.record)
        late: DomainRecord = result["record"]
        return late

    def _finished(self, key: str, attempt: _Attempt, record: DomainRecord) -> DomainRecord:
        # Held, a finished future makes Dask recompute it when the worker holding it dies.
        self._drop(key)
        self._sink(DomainFinished(attempt.job.job_id, attempt.job.target.domain, record))
        return record

    async def _stop(self, key: str, attempt: _Attempt) -> DomainRecord:
        """End a cancelled attempt: with the record its worker makes when it stops the crawl.

        That record is the whole of it (pages, merged contacts, robots), as a local
        cancelled crawl's. An attempt not yet running, or whose worker does not
        answer within STOP_WAIT_S, ends at once with the counts seen here.
        """
        self._steering["cancelled"].append(key)
        self._push_steering()
        if attempt.run is not None and attempt.future is not None:
            waiter = asyncio.ensure_future(self._record_of(attempt))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STOP_WAIT_S
            while not waiter.done() and (left := deadline - loop.time()) > 0:
                # A second cancel (cancel all after cancel one) must not cut the wait short.
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({waiter}, timeout=left)
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                return self._finished(key, attempt, waiter.result())
            waiter.cancel()
        if attempt.future is not None:  # never started, or stopped where it runs
            self._background(attempt.future.cancel())
        self._drop(key)
        return self._cancelled(attempt)

    def _drop(self, key: str) -> None:
        """Forget an attempt: its future, and any event of it still to come."""
        attempt = self._attempts.pop(key, None)
        if attempt is not None:
            self._release(attempt)

    @staticmethod
    def _release(attempt: _Attempt) -> None:
        if attempt.future is not None:
            attempt.future.release()
            attempt.future = None

    def _cancelled(self, attempt: _Attempt) -> DomainRecord:
        """End a cancelled attempt now; its worker stops it, and its late events are dropped."""
        job = attempt.job
        record = new_domain_record(job)
        record.update(
            status=DomainStatus.CANCELLED.value,
            stop_reason=StopReason.CANCELLED.value,
            started_at=attempt.started_at,
            pages_ok=attempt.pages_ok,
            pages_failed=attempt.pages_failed,
            finished_at=utc_now(),
        )
        self._sink(PhaseChanged(job.job_id, job.target.domain, Phase.CANCELLED, "cancelled"))
        self._sink(DomainFinished(job.job_id, job.target.domain, record))
        return record

    # -- events from the workers ------------------------------------------------

    def _on_message(self, logged: tuple[float, dict[str, Any]]) -> None:
        """One worker's flush: the sections of each of its attempts that had events."""
        _timestamp, message = logged
        for key, run, seq, items in unpack(message["blob"]):
            attempt = self._attempts.get(key)
            if attempt is None:
                continue  # an attempt that ended (cancelled, say): its late events are stale
            if run != attempt.run:
                if seq != 0:
                    continue  # the rest of a run that was replaced
                attempt.run = run  # a (re)started run
            job_id, domain = attempt.job.job_id, attempt.job.target.domain
            sink = self._sink
            for item in items:
                if item[0] == FINISHED:
                    if not attempt.record.done():
                        attempt.record.set_result(item[1])
                    continue
                event = decode(item, job_id, domain)
                if type(event) is PageFetched:
                    attempt.pages_ok, attempt.pages_failed = event.pages_done, event.pages_failed
                elif type(event) is DomainStarted:
                    attempt.started_at = event.started_at
                sink(event)

    # -- steering ---------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        if self._steering["paused"] != paused:
            self._steering["paused"] = paused
            self._push_steering()

    def _push_steering(self) -> None:
        """Set the steering Variable to the latest state, one set at a time, in order."""
        if self.client is None:
            return
        if self._steer_task is not None and not self._steer_task.done():
            self._steer_again = True
            return
        self._steer_task = asyncio.create_task(self._set_steering())

    async def _set_steering(self) -> None:
        self._steer_again = True
        while self._steer_again:
            self._steer_again = False
            await self._variable.set(
                {"paused": self._steering["paused"], "cancelled": list(self._steering["cancelled"])}
            )

    async def close(self) -> None:
        """End this run: its attempts, subscription, worker plugin and steering.

        The client and a local cluster end too, unless kept open for another run.
        """
        for key in list(self._attempts):
            self._drop(key)
        if self._consumer is not None:
            self._consumer.cancel()
        if self._steer_task is not None:
            with contextlib.suppress(Exception):
                await self._steer_task
        if self.client is not None and hasattr(self, "_batch_id"):
            with contextlib.suppress(Exception):
                self.client.unsubscribe_topic(topic_name(self._batch_id))
            with contextlib.suppress(Exception):
                await self.client.unregister_worker_plugin(plugin_name(self._batch_id))
            if hasattr(self, "_variable"):
                with contextlib.suppress(Exception):
                    await self._variable.delete()
        if not self.keep_open:
            await self.shutdown()

    async def shutdown(self) -> None:
        """Close the client, and the local cluster if this place started one."""
        if self.client is not None:
            await self.client.close()
            self.client = None
        if self.cluster is not None:
            await self.cluster.close()
            self.cluster = None
