"""Batches on a Dask cluster (`--cluster local:2`) against the demo web, through the real path."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.app import (
    DONE_WORDS,
    NORMAL,
    SIZE,
    finished,
    make_test_app,
    row_state,
    screen_text,
    start,
    wait_for,
)
from tests.helpers.cli import assert_one_line_error, crawl_args, run_cli, start_cli
from tests.helpers.demo import demo_settings
from tests.helpers.requestlog import arrivals_between, probe
from tests.helpers.store import FINISHED, check_store
from tui_scraper.cluster import DaskPlace
from tui_scraper.cluster.worker import held_here
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine.events import (
    BatchStatus,
    DomainFinished,
    DomainStarted,
    DomainStatus,
    Event,
    PageFetched,
)
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.runners import make_runner
from tui_scraper.service import BatchService
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
from tui_scraper.service import BatchService
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


def place_of(runner: BatchRunner) -> DaskPlace:
    place = runner._place
    assert isinstance(place, DaskPlace) and place.client is not None
    return place


def job_of(runner: BatchRunner, domain: str) -> str:
    return next(job.job_id for job in runner.jobs.values() if job.target.domain == domain)


def pages_of(recorder: Recorder, domain: str) -> int:
    return sum(event.domain == domain for event in recorder.of(PageFetched))


async def test_pause_stops_new_requests_on_every_worker(demo_web: DemoWeb) -> None:
    hosts = normal_hosts(demo_web, 4)
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=4, per_domain=1, max_pages=12)

        async def steer(runner: BatchRunner, recorder: Recorder) -> None:
            # Pages reach the driver while the batch runs, not at its end.
            await recorder.wait_for(lambda events: len(recorder.of(PageFetched)) >= 4, 30)
            # The window is --concurrency domains, whatever the workers' thread count.
            await server.wait_until(lambda stats: len(stats.in_flight_hosts()) == 4, 30)
            client = place_of(runner).client
            assert client is not None
            runner.pause()

            # Each worker answers once it holds its crawls (or that it ran none of them).
            held = await client.run(held_here, runner.batch_id, 10)
            assert [h for h in held.values() if h is not None], held
            assert all(h in (True, None) for h in held.values()), held
            await server.wait_until(lambda stats: not stats.in_flight_hosts(), 10)
            paused_at = time.monotonic()
            # 21 probe requests at 50 ms each keep arriving: none from any worker may.
            _first, last_probe = await probe(server, count=21)
            assert arrivals_between(server.stats, paused_at, last_probe) == []
            runner.resume()

        status, recorder, _runner = await run_on(
            settings.replace(cluster=CLUSTER), hosts, during=steer
        )
    assert status == BatchStatus.COMPLETED
    assert {e.domain: e.record["pages_ok"] for e in recorder.of(DomainFinished)} == {
        host: 12 for host in hosts
    }
    # Politeness holds across workers: --concurrency sites, --per-domain requests each.
    assert server.stats.max_hosts_in_flight <= 4
    assert all(server.stats.hosts[host].max_in_flight <= 1 for host in hosts)


async def test_cancel_one_domain_then_all(demo_web: DemoWeb) -> None:
    first, second, third = normal_hosts(demo_web, 3)
    async with DemoServer(demo_web, latency=0.1) as server:
        settings = demo_settings(server, concurrency=2, per_domain=1, max_pages=40, max_depth=9)

        async def steer(runner: BatchRunner, recorder: Recorder) -> None:
            await recorder.wait_for(lambda _: pages_of(recorder, first) >= 2, 30)
            assert runner.cancel_domain(job_of(runner, first))
            # The freed slot goes to the queued domain; then the rest are cancelled.
            await recorder.wait_for(lambda _: pages_of(recorder, third) >= 1, 30)
            runner.cancel()

        status, recorder, _runner = await run_on(
            settings.replace(cluster=CLUSTER), [first, second, third], during=steer
        )
        # The cancelled domains' requests stop on their workers.
        await server.wait_until(lambda stats: not stats.in_flight_hosts(), 10)
    assert status == BatchStatus.CANCELLED
    finished = {e.domain: e.record for e in recorder.of(DomainFinished)}
    assert Counter(e.domain for e in recorder.of(DomainFinished)) == Counter(list(finished))
    assert {d: r["status"] for d, r in finished.items()} == dict.fromkeys(
        (first, second, third), DomainStatus.CANCELLED
    )
    assert 2 <= finished[first]["pages_ok"] < 40


async def test_retry_and_concurrency_change_on_a_cluster_batch(demo_web: DemoWeb) -> None:
    slow = normal_hosts(demo_web, 3)
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=1, per_domain=1, max_pages=10, retries=0)

        async def steer(runner: BatchRunner, recorder: Recorder) -> None:
            # (the runner records a domain's end just after its DomainFinished event)
            await recorder.wait_for(lambda _: bool(runner.failed_jobs()), 30)
            [failed] = runner.failed_jobs()
            assert failed.target.domain == "start-404.test"
            assert runner.retry([failed.job_id]) == [failed.job_id]
            assert server.stats.max_hosts_in_flight == 1
            runner.set_concurrency(3)
            await server.wait_until(lambda stats: len(stats.in_flight_hosts()) >= 2, 20)

        status, recorder, runner = await run_on(
            settings.replace(cluster=CLUSTER), ["start-404.test", *slow], during=steer
        )
    assert status == BatchStatus.COMPLETED
    ends = Counter(e.domain for e in recorder.of(DomainFinished))
    assert ends == Counter({"start-404.test": 2, **dict.fromkeys(slow, 1)})
    assert runner.counts()["failed"] == 1 and runner.counts()["done"] == 3
    assert server.stats.max_hosts_in_flight <= 3


async def test_a_killed_worker_costs_only_its_running_domains(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    hosts = normal_hosts(demo_web, 6)
    finished_before: set[str] = set()
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=2, per_domain=1, max_pages=10)

        async def kill(runner: BatchRunner, recorder: Recorder) -> None:
            def running_pages(_: list[Event]) -> bool:
                done = {e.domain for e in recorder.of(DomainFinished)}
                return bool(done) and any(pages_of(recorder, h) >= 2 for h in set(hosts) - done)

            await recorder.wait_for(running_pages, 60)
            finished_before.update(e.domain for e in recorder.of(DomainFinished))
            client = place_of(runner).client
            assert client is not None
            processing = await client.processing()
            worker = next(address for address, keys in processing.items() if keys)
            pids = await client.run(os.getpid, workers=[worker])
            os.kill(pids[worker], signal.SIGKILL)

        with Store.open(str(tmp_path / "db.json"), write=True) as store:
            status, recorder, runner = await run_on(
                settings.replace(cluster=CLUSTER), hosts, store, during=kill
            )
            stored = list(store.batch_pages(runner.batch_id))
            domains = {d["domain"]: d for d in store.batch_domains(runner.batch_id)}
    assert status == BatchStatus.COMPLETED
    # Each domain ends once, done, with all its pages; a finished one never ran again.
    assert Counter(e.domain for e in recorder.of(DomainFinished)) == Counter(hosts)
    assert all(d["status"] == DomainStatus.DONE and d["pages_ok"] == 10 for d in domains.values())
    starts = Counter(e.domain for e in recorder.of(DomainStarted))
    assert all(starts[host] == 1 for host in finished_before)
    # ... as the demo web saw: no URL of a domain that had finished was asked again.
    for host in finished_before:
        assert set(server.stats.hosts[host].path_counts.values()) == {1}, host
    assert any(count == 2 for count in starts.values())  # the killed worker's domains
    # No page stored twice: the restarted domains' earlier pages were replaced.
    assert len({(p["job_id"], p["url"]) for p in stored}) == len(stored) == 10 * len(hosts)


async def test_ctrl_c_leaves_a_cluster_batch_interrupted_and_resume_completes_it(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    """Through `python -m tui_scraper`, whose worker processes re-import the main module."""
    db = tmp_path / "store.json"
    hosts = normal_hosts(demo_web, 6)
    async with DemoServer(demo_web, latency=0.05) as server:
        args = [*crawl_args(server, db), "--cluster", CLUSTER, "--per-domain", "1"]
        process = await start_cli("crawl", *hosts, *args, capture=True)
        await server.wait_until(lambda s: s.total_requests >= 15, 60)
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            code = await process.wait()
        assert code == 130, (await process.stderr.read()).decode()  # type: ignore[union-attr]
        state = check_store(db)
        assert state["batch"]["status"] == "interrupted"
        assert [d for d in state["domains"] if d["status"] not in FINISHED]
        code, _out, err = await run_cli("resume", state["batch"]["batch_id"], *args)
        assert code == 0, err
    final = check_store(db)
    assert final["batch"]["status"] == "completed"
    assert all(d["status"] == "done" and d["pages_ok"] == 12 for d in final["domains"])


async def test_the_app_shows_a_cluster_batch_as_a_local_one(
    tmp_path: Path, demo_server: DemoServer
) -> None:
    settings = demo_settings(demo_server, max_pages=6, concurrency=3, cluster=CLUSTER)
    domains = [*NORMAL[:3], "start-404.test", "redirect-loop.test"]
    app = make_test_app(tmp_path, settings, domains)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        assert app.session is not None
        assert isinstance(app.session.runner._place, DaskPlace)  # the crawls ran on the cluster
        await wait_for(pilot, lambda: finished(app), timeout=90)
        await pilot.pause()
        for domain in NORMAL[:3]:
            assert row_state(app, domain) in DONE_WORDS, domain
        assert row_state(app, "start-404.test") == "start page failed: HTTP 404"
        assert row_state(app, "redirect-loop.test").startswith("start page failed: redirect loop")
        assert "5/5 domains · 2 failed" in screen_text(app)
    batch = Store.open(str(tmp_path / "store.json")).all_batches()[-1]
    assert batch["status"] == "completed"
    assert batch["counts"]["done"] == 3 and batch["counts"]["failed"] == 2


async def test_a_bad_or_unreachable_cluster_is_a_one_line_error(tmp_path: Path) -> None:
    db = str(tmp_path / "store.json")
    code, _out, err = await run_cli("crawl", "example.test", "--db", db, "--cluster", "nope")
    assert code == 2
    assert_one_line_error(err, "--cluster")
    # Nothing listens on port 1: no batch is left behind in the store.
    args = ["--db", db, "--cluster", "tcp://127.0.0.1:1"]
    code, _out, err = await run_cli("crawl", "example.test", *args)
    assert code == 2
    assert_one_line_error(err, "--cluster tcp://127.0.0.1:1: cannot reach it")
    code, out, _err = await run_cli("batches", "--db", db)
    assert "no batches" in out + _err


async def test_a_domain_cancelled_while_running_keeps_its_contacts(demo_web: DemoWeb) -> None:
    """Its record merges what its pages found, on a cluster as on a local batch."""
    host = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web, latency=0.1) as server:
        settings = demo_settings(server, concurrency=1, per_domain=1, max_pages=40, max_depth=9)

        async def steer(runner: BatchRunner, recorder: Recorder) -> None:
            def found_contacts(_: list[Event]) -> bool:
                pages = [e.page for e in recorder.of(PageFetched)]
                return len(pages) >= 3 and any(page["emails"] for page in pages)

            await recorder.wait_for(found_contacts, 30)
            assert runner.cancel_domain(job_of(runner, host))

        for where in (None, CLUSTER):
            status, recorder, _runner = await run_on(
                settings.replace(cluster=where), [host], during=steer
            )
            assert status == BatchStatus.COMPLETED
            [finished] = recorder.of(DomainFinished)
            record = finished.record
            pages = [e.page for e in recorder.of(PageFetched)]
            assert record["status"] == DomainStatus.CANCELLED, where
            assert 3 <= record["pages_ok"] == len(pages) < 40, where
            emails = {email for page in pages for email in page["emails"]}
            assert emails and record["emails"] == sorted(emails), where
            phones = {phone for page in pages for phone in page["phones"]}
            assert record["phones"] == sorted(phones), where
            assert sum(record["status_counts"].values()) == len(pages), where


async def test_retries_of_a_batch_reuse_its_cluster_until_the_batch_ends(
    demo_web: DemoWeb, tmp_path: Path
) -> None:
    """The service keeps a batch's local cluster between its runs, and closes it at its end."""
    hosts = ["start-404.test", *normal_hosts(demo_web, 1)]
    async with DemoServer(demo_web) as server:
        settings = demo_settings(server, max_pages=3, retries=0, cluster=CLUSTER)
        with Store.open(str(tmp_path / "db.json"), write=True) as store:
            async with BatchService(store) as service:
                batch = service.new_batch(settings, parse_targets("\n".join(hosts)))
                place = batch.runner._place
                assert isinstance(place, DaskPlace)
                assert await batch.run() == BatchStatus.COMPLETED
                cluster = place.cluster
                assert cluster is not None and place.client is not None  # still up
                address = cluster.scheduler_address
                [failed] = batch.runner.failed_jobs()
                for _retry in range(2):
                    assert await batch.run(jobs=[failed]) == BatchStatus.COMPLETED
                    assert place.cluster is cluster
                    assert cluster.scheduler_address == address
                assert batch.runner.counts()["failed"] == 1
                assert len(await place.client.run(os.getpid)) == 2  # the same two workers
            # The service's end is the batch's: its cluster is closed.
            assert place.cluster is None and place.client is None
            assert cluster.status.name == "closed"
            retried = store.batch(batch.batch_id)
    assert retried is not None and retried["counts"]["done"] == 1
