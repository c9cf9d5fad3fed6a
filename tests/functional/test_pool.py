"""The worker pool's controls and per-domain crawl rules, seen from the demo web's side."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from tests.helpers.demo import demo_settings, run_batch
from tests.helpers.requestlog import arrivals_between, probe
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.engine import parse as parse_module
from tui_scraper.engine.events import (
    BatchFinished,
    BatchStatus,
    DomainFinished,
    DomainStarted,
    DomainStatus,
    Phase,
    PhaseChanged,
    StopReason,
)
from tui_scraper.engine.http import HttpClient
from tui_scraper.engine.parse import InlineParser
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.targets import parse_targets


def normal_hosts(web: DemoWeb, count: int) -> list[str]:
    hosts = [site.host for site in web.sites_of_kind("normal")]
    assert len(hosts) >= count
    return hosts[:count]


async def test_concurrency_grows_and_shrinks_while_running(demo_web: DemoWeb) -> None:
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=1, per_domain=1, max_pages=8)

        async def steer(runner: BatchRunner) -> None:
            await server.wait_until(lambda s: len(s.in_flight_hosts()) == 1, 10)
            assert server.stats.max_hosts_in_flight == 1
            runner.set_concurrency(4)
            await server.wait_until(lambda s: len(s.in_flight_hosts()) == 4, 10)
            runner.set_concurrency(2)
            # Running domains finish; no new one starts until fewer than 2 run.
            await server.wait_until(lambda s: runner.running_count <= 2, 20)
            # From here on the demo web must never see more than 2 sites at once.
            server.stats.max_hosts_in_flight = len(server.stats.in_flight_hosts())

        run = await run_batch(settings, normal_hosts(demo_web, 10), during=steer)
    assert run.status == BatchStatus.COMPLETED
    assert len(run.records) == 10
    assert server.stats.max_hosts_in_flight <= 2


async def test_pause_stops_new_requests_and_resume_continues(demo_web: DemoWeb) -> None:
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=3, max_pages=10)

        async def pause_and_resume(runner: BatchRunner) -> None:
            await server.wait_until(lambda s: s.total_requests >= 10, 10)
            runner.pause()
            await server.wait_until(lambda s: s.in_flight == 0, 10)
            paused_at = time.monotonic()
            # Eleven probe requests at 50 ms each keep arriving: none from the batch may.
            _first, last_probe = await probe(server, count=11)
            assert arrivals_between(server.stats, paused_at, last_probe) == []
            asked = server.stats.total_requests
            runner.resume()
            await server.wait_until(lambda s: s.total_requests > asked, 10)

        run = await run_batch(settings, normal_hosts(demo_web, 5), during=pause_and_resume)
    assert run.status == BatchStatus.COMPLETED
    assert all(r["status"] == DomainStatus.DONE for r in run.records.values())


async def test_cancel_one_domain_leaves_the_others_running(demo_web: DemoWeb) -> None:
    slow = demo_web.by_kind("slow").host
    others = normal_hosts(demo_web, 3)
    async with DemoServer(demo_web, slow_delay=0.3) as server:
        settings = demo_settings(server, concurrency=4)

        async def cancel_slow(runner: BatchRunner) -> None:
            await server.wait_until(lambda s: s.hosts.get(slow) is not None, 10)
            job_id = next(j for j, (task, _c) in runner._running.items() if slow in task.get_name())
            assert runner.cancel_domain(job_id)

        run = await run_batch(settings, [slow, *others], during=cancel_slow)
    assert run.records[slow]["status"] == DomainStatus.CANCELLED
    assert run.records[slow]["stop_reason"] == StopReason.CANCELLED
    assert all(run.records[h]["status"] == DomainStatus.DONE for h in others)
    assert run.status == BatchStatus.COMPLETED


async def test_cancel_batch_stops_running_and_queued(demo_web: DemoWeb) -> None:
    hosts = normal_hosts(demo_web, 8)
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=2)

        async def cancel_all(runner: BatchRunner) -> None:
            await server.wait_until(lambda s: s.total_requests >= 4, 10)
            runner.cancel()

        run = await run_batch(settings, hosts, during=cancel_all)
    assert run.status == BatchStatus.CANCELLED
    assert len(run.records) == 8
    statuses = [r["status"] for r in run.records.values()]
    assert statuses.count(DomainStatus.CANCELLED) >= 6
    finished = [e for e in run.events if isinstance(e, BatchFinished)]
    assert finished[-1].counts["cancelled"] == statuses.count(DomainStatus.CANCELLED)


async def test_interrupt_leaves_running_domains_unfinished(demo_web: DemoWeb) -> None:
    hosts = normal_hosts(demo_web, 6)
    events: list[object] = []
    async with DemoServer(demo_web, latency=0.05) as server:
        settings = demo_settings(server, concurrency=2)
        runner = BatchRunner(settings, events.append)
        parsed = parse_targets("\n".join(hosts))
        task = asyncio.create_task(runner.run(make_jobs(runner.batch_id, parsed.targets)))
        await server.wait_until(lambda s: s.total_requests >= 4, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    started = {e.job_id for e in events if isinstance(e, DomainStarted)}
    finished = {e.job_id for e in events if isinstance(e, DomainFinished)}
    assert started - finished  # interrupted domains are not marked finished: resume redoes them
    last = events[-1]
    assert isinstance(last, BatchFinished) and last.status == BatchStatus.INTERRUPTED


async def test_bug_in_extraction_fails_one_page_not_the_batch(
    demo_web: DemoWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim, healthy = normal_hosts(demo_web, 2)
    real_extract = parse_module.extract

    def flaky_extract(html: str, url: str, *args: object, **kwargs: object) -> object:
        if victim in url and url.rstrip("/").endswith("about"):
            raise RuntimeError("boom")
        return real_extract(html, url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_module, "extract", flaky_extract)
    async with DemoServer(demo_web) as server:
        run = await run_batch(demo_settings(server), [victim, healthy])
    assert run.records[victim]["status"] == DomainStatus.DONE
    assert run.records[healthy]["status"] == DomainStatus.DONE
    broken = [p for p in run.pages[victim] if p["error"]]
    assert [p["error"] for p in broken] == ["extraction failed: RuntimeError: boom"]


async def test_domain_timeout_ends_done_with_what_it_has(demo_web: DemoWeb) -> None:
    slow = demo_web.by_kind("slow").host
    async with DemoServer(demo_web, slow_delay=0.3) as server:
        run = await run_batch(demo_settings(server, domain_timeout=1.0, per_domain=1), [slow])
    record = run.records[slow]
    assert record["status"] == DomainStatus.DONE
    assert record["stop_reason"] == StopReason.DOMAIN_TIMEOUT
    assert 1 <= record["pages_ok"] < len(demo_web.site(slow).reachable_paths())


async def test_crawl_delay_is_obeyed_and_shown(demo_web: DemoWeb) -> None:
    site = next(s for s in demo_web.sites.values() if s.crawl_delay)
    async with DemoServer(demo_web) as server:
        run = await run_batch(demo_settings(server, max_pages=4), [site.host])
    backoffs = [
        e
        for e in run.events
        if isinstance(e, PhaseChanged) and e.phase == Phase.BACKOFF and "Crawl-delay" in e.detail
    ]
    assert backoffs
    assert run.records[site.host]["pages_ok"] == 4


async def test_max_depth_zero_fetches_only_the_start_page(demo_web: DemoWeb) -> None:
    host = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web) as server:
        run = await run_batch(demo_settings(server, max_depth=0), [host])
    assert [p["depth"] for p in run.pages[host]] == [0]
    assert run.records[host]["stop_reason"] == StopReason.FRONTIER_EXHAUSTED


def https_refused(server: DemoServer) -> list[str]:
    """Rules sending https to a closed port: the demo web as an http-only site."""
    return [f":443:127.0.0.1:{server.refused_port}", f":80:127.0.0.1:{server.port}"]


async def test_explicit_https_does_not_fall_back_to_http(demo_web: DemoWeb) -> None:
    host = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web) as server:
        settings = demo_settings(server, retries=0, connect_to=https_refused(server))
        run = await run_batch(settings, [f"https://{host}/"])
    record = run.records[host]
    assert record["status"] == DomainStatus.FAILED
    assert "connection" in record["error"] or "robots" in record["error"]
    assert server.stats.total_requests == 0


async def test_bare_domain_falls_back_to_http(demo_web: DemoWeb) -> None:
    host = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web) as server:
        settings = demo_settings(server, max_pages=2, connect_to=https_refused(server))
        run = await run_batch(settings, [host])
    assert run.records[host]["final_url"] == f"http://{host}/"
    assert run.records[host]["status"] == DomainStatus.DONE
    assert run.records[host]["http_fallback"] == f"connection refused ({host})"


async def test_ignore_robots_fetches_excluded_urls(demo_web: DemoWeb) -> None:
    site = demo_web.by_kind("robots_excluded")
    async with DemoServer(demo_web) as server:
        await run_batch(demo_settings(server, ignore_robots=True), [site.host])
    paths = server.stats.hosts[site.host].paths
    assert "/robots.txt" not in paths
    assert any(site.is_disallowed(p) for p in paths)


async def test_failed_domain_retried_in_the_same_batch(demo_web: DemoWeb) -> None:
    flaky = demo_web.by_kind("flaky_503").host
    good = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web) as server:
        # No retries: the first 503 fails the domain; run again, the page answers 200.
        settings = demo_settings(server, retries=0, max_pages=3)
        events: list[object] = []
        runner = BatchRunner(settings, events.append)
        jobs = make_jobs(runner.batch_id, parse_targets(f"{flaky}\n{good}").targets)
        assert await runner.run(jobs) == BatchStatus.COMPLETED
        failed = runner.failed_jobs()
        assert [job.target.domain for job in failed] == [flaky]
        assert await runner.run(failed, resumed=True) == BatchStatus.COMPLETED
    assert runner.failed_jobs() == []
    assert runner.results[failed[0].job_id]["status"] == DomainStatus.DONE
    assert runner.counts()["domains"] == 2 and runner.counts()["done"] == 2


async def test_time_paused_does_not_count_against_domain_timeout(demo_web: DemoWeb) -> None:
    slow = demo_web.by_kind("slow").host
    async with DemoServer(demo_web, slow_delay=0.2) as server:
        settings = demo_settings(server, domain_timeout=1.2, per_domain=1)
        before_pause = 0

        async def hold_a_pause(runner: BatchRunner) -> None:
            nonlocal before_pause
            await server.wait_until(lambda s: s.total_requests >= 3, 10)
            runner.pause()
            await server.wait_until(lambda s: s.in_flight == 0, 10)
            paused_at = time.monotonic()
            # Paused longer than the whole budget: the probe's requests span 1.5 s meanwhile.
            _first, last_probe = await probe(server, span=1.5)
            assert arrivals_between(server.stats, paused_at, last_probe) == []
            before_pause = server.stats.host(slow).requests
            runner.resume()

        run = await run_batch(settings, [slow], during=hold_a_pause)
    record = run.records[slow]
    assert record["stop_reason"] == StopReason.DOMAIN_TIMEOUT
    assert server.stats.host(slow).requests >= before_pause + 2  # the budget left still ran


async def test_delay_spaces_requests_to_one_domain(demo_web: DemoWeb) -> None:
    host = normal_hosts(demo_web, 1)[0]
    async with DemoServer(demo_web) as server:
        # Plain http: a TLS handshake before the first request would shorten the first gap
        # the server sees, though the crawler spaced the requests' starts right.
        settings = demo_settings(server, delay=0.2, per_domain=2, max_pages=6)
        run = await run_batch(settings, [f"http://{host}/"])
    assert run.records[host]["pages_ok"] == 6
    arrivals = server.stats.hosts[host].arrivals
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) >= 6
    # Two workers, yet every request starts --delay after the one before. The server sees
    # arrivals, and one that a busy machine delays shortens the gap after it as much as it
    # lengthens the one before: so the span holds every delay, and no two requests ever
    # came together (two workers without the shared delay give gaps near 0).
    assert arrivals[-1] - arrivals[0] >= len(gaps) * 0.2 - 0.1, gaps  # at most 0.1 s of jitter
    assert min(gaps) >= 0.1, gaps


async def test_domain_cancelled_before_its_first_step_still_finishes(demo_web: DemoWeb) -> None:
    """A crawl task cancelled in the tick it was created still ends as a cancelled domain."""
    host = normal_hosts(demo_web, 1)[0]
    events: list[object] = []
    async with DemoServer(demo_web) as server:
        settings = demo_settings(server)
        client = await HttpClient.open(settings)
        runner = BatchRunner(settings, events.append, client=client, parser=InlineParser())
        [job] = make_jobs(runner.batch_id, parse_targets(host).targets)
        try:
            await runner._place.open(runner.batch_id, settings, runner.sink, [])
            runner._start(job)  # created, not yet run a single step
            [(task, _control)] = runner._running.values()
            assert runner.cancel_domain(job.job_id)
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await client.close()
    finished = [e for e in events if isinstance(e, DomainFinished)]
    assert [e.record["status"] for e in finished] == [DomainStatus.CANCELLED]
    assert runner.results[job.job_id]["stop_reason"] == StopReason.CANCELLED


async def test_host_that_does_not_answer_fails_with_a_clear_reason(demo_web: DemoWeb) -> None:
    async with DemoServer(demo_web) as server:
        # The demo's closed port: nothing answers there, robots.txt included.
        settings = demo_settings(
            server, retries=0, connect_to=[f"::127.0.0.1:{server.refused_port}"]
        )
        run = await run_batch(settings, ["http://nobody.test/"])
    record = run.records["nobody.test"]
    assert record["status"] == DomainStatus.FAILED
    assert record["error"] == "connection refused (nobody.test)"
