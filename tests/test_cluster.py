"""Batches on a Dask cluster (`--cluster local:2`) against the demo web, through the real path."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import demo_settings
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine.events import (
    BatchStatus,
    DomainFinished,
    Event,
    PageFetched,
)
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

pytest.importorskip("distributed")

CLUSTER = "local:2"


def normal_hosts(web: DemoWeb, count: int) -> list[str]:
    hosts = [site.host for site in web.sites_of_kind("normal")]
    assert len(hosts) >= count
    return hosts[:count]


class Recorder:
    """The batch's events, with a way to await a condition on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[list[Event]], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()

    def of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


async def run_on(
    settings: Settings,
    domains: Sequence[str],
    store: Store | None = None,
    during: Callable[[BatchRunner, Recorder], Awaitable[None]] | None = None,
    timeout: float = 90.0,
) -> tuple[BatchStatus, Recorder, BatchRunner]:
    """Run a batch through `make_runner` (so on the cluster `settings` names), events recorded."""
    recorder = Recorder()
    writer = StoreWriter(store) if store is not None else None

    def sink(event: Event) -> None:
        if writer is not None:
            writer(event)
        recorder(event)

    runner = make_runner(settings, sink)
    jobs = make_jobs(runner.batch_id, parse_targets("\n".join(domains)).targets)
    async with asyncio.timeout(timeout):
        if writer is not None:
            async with writer.running():
                status = await _run(runner, jobs, recorder, during)
        else:
            status = await _run(runner, jobs, recorder, during)
    return status, recorder, runner


async def _run(runner: BatchRunner, jobs: Any, recorder: Recorder, during: Any) -> BatchStatus:
    batch = asyncio.create_task(runner.run(jobs))
    if during is not None:
        await during(runner, recorder)
    return await batch


def outcome(recorder: Recorder) -> dict[str, tuple[str, str, list[str]]]:
    """domain -> (status, stop reason, the URLs of its pages, sorted)."""
    pages: dict[str, list[str]] = {}
    for event in recorder.of(PageFetched):
        pages.setdefault(event.domain, []).append(event.page["url"])
    return {
        e.domain: (e.record["status"], e.record["stop_reason"], sorted(pages.get(e.domain, [])))
        for e in recorder.of(DomainFinished)
    }


async def test_a_cluster_batch_ends_as_a_local_one(demo_web: DemoWeb, tmp_path: Path) -> None:
    # Normal sites, a start page that is a 404 (failed) and a gzip-encoded one.
    hosts = [*normal_hosts(demo_web, 3), "start-404.test", "gzip-encoded.test"]
    async with DemoServer(demo_web) as server:
        settings = demo_settings(server, max_pages=6, concurrency=3, retries=0)
        local_status, local, _ = await run_on(settings, hosts)
        with Store.open(str(tmp_path / "db.json"), write=True) as store:
            cluster_run = await run_on(settings.replace(cluster=CLUSTER), hosts, store)
            status, cluster, runner = cluster_run
            stored = list(store.batch_pages(runner.batch_id))
            document = store.batch(runner.batch_id)
    assert status == local_status == BatchStatus.COMPLETED
    assert outcome(cluster) == outcome(local)
    assert len(outcome(cluster)) == len(hosts)
    # The driver alone wrote the store: every domain once, every page once.
    assert len(stored) == len(cluster.of(PageFetched))
    assert len({(p["job_id"], p["url"]) for p in stored}) == len(stored)
    assert document is not None and "cluster" not in document["settings"]


def test_no_dask_is_imported_without_cluster(tmp_path: Path) -> None:
    """A local batch, in a fresh interpreter: nothing of Dask in sys.modules afterwards."""
    script = """
import asyncio, sys
from tui_scraper.demo import DemoServer, build_demo_web
from tui_scraper.engine.pool import make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.settings import Settings
from tui_scraper.targets import parse_targets

async def main():
    web = build_demo_web(seed=7)
    host = web.sites_of_kind("normal")[0].host
    async with DemoServer(web) as server:
        settings = Settings(max_pages=2, connect_to=list(server.connect_to),
                            ca_bundle=server.ca_path)
        events = []
        runner = make_runner(settings, events.append)
        status = await runner.run(make_jobs(runner.batch_id, parse_targets(host).targets))
    print(status, len(events) > 3)

asyncio.run(main())
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"dask", "distributed"})
print("loaded:", loaded)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "completed True" in done.stdout, done.stdout + done.stderr
    assert "loaded: []" in done.stdout, done.stdout
