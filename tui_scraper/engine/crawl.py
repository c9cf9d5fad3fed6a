"""One domain crawl: the unit of work the pool schedules.

`crawl_domain(job, settings, client, sink, control)` owns no global state: all it
shares with other domains is the HTTP client and the event sink, so it can run
in any process that has those two.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from yarl import URL

from tui_scraper.engine.connect import new_cookie_jar
from tui_scraper.engine.decode import is_html
from tui_scraper.engine.events import (
    DomainFinished,
    DomainRecord,
    DomainStarted,
    DomainStatus,
    EventSink,
    FetchStarted,
    PageFetched,
    PageRecord,
    Phase,
    PhaseChanged,
    RequestRetrying,
    StopReason,
    UrlExcluded,
    phase_for,
)
from tui_scraper.engine.extract import Extraction
from tui_scraper.engine.fields import parse_field_specs
from tui_scraper.engine.frontier import Frontier, as_http
from tui_scraper.engine.http import HttpClient, Response, Unfollowed
from tui_scraper.engine.parse import InlineParser, PageParser
from tui_scraper.engine.politeness import VISIBLE_WAIT_S, PolitenessSlot
from tui_scraper.engine.records import (
    DomainJob,
    DomainTally,
    new_domain_record,
    page_record,
    phone_region_for,
    utc_now,
)
from tui_scraper.engine.robots import RobotsPolicy, RobotsRules, read_sitemaps
from tui_scraper.engine.urls import Scope, canonicalize, host_of
from tui_scraper.settings import Settings
from tui_scraper.targets import Target

__all__ = [
    "DomainControl",
    "DomainJob",
    "StartFailed",
    "as_http",
    "crawl_domain",
    "new_domain_record",
    "phone_region_for",
    "utc_now",
]


class DomainControl:
    """The controls a running crawl obeys: the batch's pause gate and its own cancel."""

    def __init__(self, running: asyncio.Event | None = None) -> None:
        if running is None:
            running = asyncio.Event()
            running.set()
        self.running = running
        self.cancelled = False

    async def wait_if_paused(self) -> None:
        if not self.running.is_set():
            await self.running.wait()


class StartFailed(Exception):
    """The start page could not be fetched as HTML: the domain fails."""


async def crawl_domain(
    job: DomainJob,
    settings: Settings,
    client: HttpClient,
    sink: EventSink,
    control: DomainControl | None = None,
    parser: PageParser | None = None,
) -> DomainRecord:
    """Crawl one domain to its end and return its domain record (also sent as an event)."""
    crawl = _DomainCrawl(
        job, settings, client, sink, control or DomainControl(), parser or InlineParser()
    )
    record = await crawl.run()
    sink(DomainFinished(job.job_id, job.target.domain, record))
    return record


class _DomainCrawl:
    def __init__(
        self,
        job: DomainJob,
        settings: Settings,
        client: HttpClient,
        sink: EventSink,
        control: DomainControl,
        parser: PageParser,
    ) -> None:
        self.job = job
        self.parser = parser
        self.domain = job.target.domain
        self.settings = settings
        self.client = client
        self.sink = sink
        self.control = control
        self.record = new_domain_record(job)
        self.frontier = Frontier(
            Scope(host_of(job.target.start_url) or self.domain), settings.max_pages
        )
        self.slot = PolitenessSlot(settings.delay, settings.per_domain)
        self.tally = DomainTally()
        self.robots = RobotsRules(
            self._fetch_resource,
            settings.user_agent,
            lambda policy: self.slot.raise_delay(policy.crawl_delay),
            ignore=settings.ignore_robots,
        )
        self.excluded = 0
        self.phase = Phase.QUEUED
        self.start_fetched = False
        self.phone_region = phone_region_for(self.domain)
        self.fields = parse_field_specs(settings.field)
        self.budget: asyncio.Timeout | None = None
        self.budget_left: float | None = None  # of --domain-timeout, while paused
        # This domain's cookies alone: consent walls work, nothing leaks to other domains.
        self.cookies = new_cookie_jar()

    # -- the crawl --------------------------------------------------------

    async def run(self) -> DomainRecord:
        started = time.monotonic()
        record = self.record
        record["started_at"] = utc_now()
        record["status"] = DomainStatus.RUNNING.value
        self.sink(
            DomainStarted(self.job.job_id, self.domain, record["start_url"], record["started_at"])
        )
        try:
            async with asyncio.timeout(self.settings.domain_timeout) as budget:
                self.budget = budget
                await self._crawl()
            budget_hit = self.frontier.budget_hit
            reason = StopReason.MAX_PAGES if budget_hit else StopReason.FRONTIER_EXHAUSTED
            self._finish(DomainStatus.DONE, reason)
        except StartFailed as error:
            self._finish(DomainStatus.FAILED, StopReason.START_FAILED, str(error))
        except TimeoutError:
            if self.start_fetched:
                self._finish(DomainStatus.DONE, StopReason.DOMAIN_TIMEOUT)
            else:
                error = f"domain timeout ({self.settings.domain_timeout:g}s) before the start page"
                self._finish(DomainStatus.FAILED, StopReason.START_FAILED, error)
        except asyncio.CancelledError:
            if not self.control.cancelled:
                raise  # interrupted, not cancelled: the domain stays unfinished for resume
            self._finish(DomainStatus.CANCELLED, StopReason.CANCELLED)
        finally:
            self.robots.close()
        record["elapsed_s"] = round(time.monotonic() - started, 3)
        return record

    def _finish(self, status: DomainStatus, reason: StopReason, error: str | None = None) -> None:
        record = self.record
        record["status"] = status.value
        record["stop_reason"] = reason.value
        record["error"] = error
        record["finished_at"] = utc_now()
        self.tally.fill(record)
        record["robots"] = {
            "found": self.robots.found,
            "disallowed": self.excluded,
        }
        record["links_out_of_scope"] = self.frontier.out_of_scope
        self._set_phase(phase_for(status), error or reason.value)

    async def _crawl(self) -> None:
        target = self.job.target
        start_url = target.start_url
        self._set_phase(Phase.STARTING)
        probe_http = not target.explicit_scheme and start_url.startswith("https://")
        if not self.settings.ignore_robots:
            self._set_phase(Phase.ROBOTS)
            host = host_of(start_url)
            policy, https_error = await self._probe_robots(start_url, probe_http)
            if https_error is not None:
                start_url = as_http(start_url)
                probe_http = False
                self.record["http_fallback"] = https_error
                self.frontier.http_only.add(host)
            if policy.host_down:
                # The error names the host and says why (DNS, refused, certificate...).
                raise StartFailed(policy.error or f"cannot reach {host}")
            if policy.unreachable:
                raise StartFailed(
                    f"robots.txt unreachable ({policy.error}), so everything is disallowed"
                )
            if not policy.allows(start_url, self.settings.user_agent):
                self.excluded += 1
                raise StartFailed("start page disallowed by robots.txt")

        self._set_phase(Phase.CRAWLING)
        page, extraction, response = await self._fetch_page(start_url, 0, None, start=True)
        if probe_http and response.connect_failed:
            self.record["http_fallback"] = response.error
            self.frontier.http_only.add(host_of(start_url))
            start_url = as_http(start_url)
            page, extraction, response = await self._fetch_page(start_url, 0, None, start=True)
        self.frontier.mark_seen(start_url)
        if extraction is None:
            self.record["final_url"] = response.final_url  # where it failed
            reason = page["error"] or f"start page is not HTML ({page['content_type']})"
            raise StartFailed(reason)
        self.start_fetched = True
        final_url = response.final_url
        self.record["final_url"] = final_url
        self.frontier.scope = Scope(host_of(final_url))
        self.frontier.mark_seen(final_url)
        await self.robots.ensure([host_of(final_url)], URL(final_url).scheme)

        await self._enqueue_links(extraction.links, 1, page["final_url"], canonical=True)
        await self._run_workers(URL(final_url).scheme)

    async def _run_workers(self, scheme: str) -> None:
        """Crawl the frontier with --per-domain workers, the sitemaps read meanwhile.

        Reading the sitemaps takes one of the domain's request slots until it is
        done, so the host never sees more than --per-domain requests at once.
        """
        async with asyncio.TaskGroup() as group:
            slots = self.settings.per_domain
            workers = [group.create_task(self._worker()) for _ in range(slots - 1)]
            await self._seed_from_sitemaps(scheme)
            workers.append(group.create_task(self._worker()))
            await self.frontier.queue.join()
            for worker in workers:
                worker.cancel()

    async def _worker(self) -> None:
        while True:
            url, depth, referrer = await self.frontier.queue.get()
            try:
                _page, extraction, _response = await self._fetch_page(url, depth, referrer)
                if extraction is not None and depth < self.settings.max_depth:
                    await self._enqueue_links(extraction.links, depth + 1, url, canonical=True)
            finally:
                self.frontier.queue.task_done()

    # -- frontier -----------------------------------------------------------

    async def _enqueue_links(
        self, links: Iterable[str], depth: int, referrer: str | None, canonical: bool = False
    ) -> None:
        """Queue the fresh links in scope that robots.txt allows, while the budget has room."""
        if depth > self.settings.max_depth:
            return
        fresh = self.frontier.fresh(links, canonical)
        if not fresh:
            return
        unknown_hosts = self.robots.unknown(host_of(url) for url in fresh)
        if unknown_hosts:
            await self.robots.ensure(unknown_hosts, URL(fresh[0]).scheme)
        for url in fresh:
            if not self.robots.allows(url):
                self.excluded += 1
                self.sink(UrlExcluded(self.job.job_id, self.domain, url))
                continue
            if not self.frontier.push(url, depth, referrer):
                return

    async def _seed_from_sitemaps(self, scheme: str) -> None:
        if self.settings.max_depth < 1:
            return
        host = self.frontier.scope.host
        roots = self.robots.sitemaps()
        if not roots:
            roots = [f"{scheme}://{host}/sitemap.xml"]
        urls, read = await read_sitemaps(
            roots,
            lambda url: self._fetch_resource(self.frontier.over_http(url)),
            lambda url: url in self.frontier.scope,
            limit=self.settings.max_pages * 4,
        )
        self.record["sitemap_urls"] = read
        if urls:
            await self._enqueue_links(urls, 1, read[0])

    # -- robots -------------------------------------------------------------

    async def _probe_robots(
        self, start_url: str, probe_http: bool
    ) -> tuple[RobotsPolicy, str | None]:
        """robots.txt of the start host, trying http when https cannot connect at all.

        Returns the policy and, when it fell back to http, why https failed. A
        certificate error is no cue for http: it fails the domain.
        """
        url = str(URL(start_url).with_path("/robots.txt").with_query(None).with_fragment(None))
        response = await self._fetch_resource(url, retry_connect=not probe_http)
        https_error = response.error if probe_http and response.connect_failed else None
        if https_error is not None:
            response = await self._fetch_resource(as_http(url))
        return self.robots.learn(host_of(start_url), response), https_error

    # -- fetching -----------------------------------------------------------

    async def _gate(self) -> None:
        """Before every request: wait while paused, then for this domain's turn."""
        if not self.control.running.is_set():
            await self._wait_out_pause()
        await self.slot.wait_turn(self._show_wait)

    def _show_wait(self, _seconds: float) -> Callable[[], None] | None:
        """Show a politeness wait as backing off (unless a retry's backoff shows already)."""
        if self.phase == Phase.BACKOFF:
            return None
        self._set_phase(Phase.BACKOFF, f"Crawl-delay {self.slot.delay:g}s")
        return lambda: self._set_phase(Phase.CRAWLING)

    async def _wait_out_pause(self) -> None:
        """Wait while the batch is paused; time paused does not count against --domain-timeout."""
        budget = self.budget
        # Workers of one domain pause together: the first to get here stops the clock.
        if self.budget_left is None and budget is not None and budget.when() is not None:
            self.budget_left = budget.when() - asyncio.get_running_loop().time()  # type: ignore[operator]
            budget.reschedule(None)
        await self.control.wait_if_paused()
        if self.budget_left is not None and budget is not None:
            budget.reschedule(asyncio.get_running_loop().time() + self.budget_left)
            self.budget_left = None

    def _on_retry(self, url: str, attempt: int, wait: float, reason: str) -> None:
        self.sink(RequestRetrying(self.job.job_id, self.domain, url, attempt, wait, reason))
        # The host asked to slow down (429, 503, Retry-After): every worker of this
        # domain holds off, not only the one that was told.
        self.slot.hold(wait)
        if wait >= VISIBLE_WAIT_S:
            self._set_phase(Phase.BACKOFF, f"{reason}, retry {attempt} in {wait:.1f}s")

    async def _fetch_resource(self, url: str, retry_connect: bool = True) -> Response:
        """robots.txt and sitemaps: fetched politely, not counted as pages."""
        response = await self.client.fetch(
            url,
            gate=self._gate,
            on_retry=self._on_retry,
            retry_connect_failures=retry_connect,
            cookies=self.cookies,
        )
        if self.phase == Phase.BACKOFF:
            self._set_phase(Phase.CRAWLING)
        return response

    async def _follow_redirect(self, url: str) -> Unfollowed | None:
        """Follow a redirect only in scope, where robots.txt allows, to a URL not yet seen."""
        if url not in self.frontier.scope:
            return Unfollowed(f"redirected out of scope to {url}")
        canonical = canonicalize(url)
        if canonical is not None and canonical in self.frontier.seen:
            return Unfollowed(None)  # that page is (or will be) fetched on its own: no refetch
        if not self.settings.ignore_robots:
            await self.robots.ensure([host_of(url)], URL(url).scheme)
            if not self.robots.allows(url):
                self.excluded += 1
                self.sink(UrlExcluded(self.job.job_id, self.domain, url))
                return Unfollowed("redirect target disallowed by robots.txt")
        if canonical is not None:
            self.frontier.seen.add(canonical)
        return None

    async def _fetch_page(
        self, url: str, depth: int, referrer: str | None, start: bool = False
    ) -> tuple[PageRecord, Extraction | None, Response]:
        self.sink(FetchStarted(self.job.job_id, self.domain, url))
        may_fall_back = start and response_may_fall_back(self.job.target, url)
        response = await self.client.fetch(
            url,
            read_body=is_html,
            gate=self._gate,
            on_retry=self._on_retry,
            follow=None if start else self._follow_redirect,
            retry_connect_failures=not may_fall_back,
            cookies=self.cookies,
        )
        if self.phase == Phase.BACKOFF:
            self._set_phase(Phase.CRAWLING)
        extraction: Extraction | None = None
        status = response.status
        html = is_html(response.content_type)
        if status is not None and 200 <= status < 300 and html and response.error is None:
            try:
                extraction = await self.parser.parse(
                    response.body,
                    response.content_type,
                    response.final_url,
                    self.frontier.scope.host,
                    self.phone_region,
                    self.fields,
                )
            except Exception as error:  # a page that breaks the parser costs that page alone
                response.error = f"extraction failed: {type(error).__name__}: {error}"[:300]
        elif status is not None and 200 <= status < 300 and not html and start:
            response.error = response.error or f"not HTML ({response.content_type})"
        page = page_record(
            self.job, url, depth, referrer, response, extraction, self.settings.max_bytes
        )
        if response.connect_failed and may_fall_back:
            return page, None, response  # not a page yet: the caller tries http
        self.tally.add(page, extraction)
        ok, failed = self.tally.pages_ok, self.tally.pages_failed
        self.sink(PageFetched(self.job.job_id, self.domain, page, ok, failed))
        return page, extraction, response

    def _set_phase(self, phase: Phase, detail: str = "") -> None:
        self.phase = phase
        self.sink(PhaseChanged(self.job.job_id, self.domain, phase, detail))


def response_may_fall_back(target: Target, url: str) -> bool:
    """Whether a connect failure at `url` should be retried over http instead."""
    return not target.explicit_scheme and url.startswith("https://")
