"""One domain crawl: the unit of work the pool schedules.

`crawl_domain(job, settings, client, sink, control)` owns no global state: all it
shares with other domains is the HTTP client and the event sink, so it can run
in any process that has those two.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
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
)
from tui_scraper.engine.extract import Extraction
from tui_scraper.engine.fields import parse_field_specs
from tui_scraper.engine.http import HttpClient, Response, Unfollowed
from tui_scraper.engine.parse import InlineParser, PageParser
from tui_scraper.engine.robots import RobotsPolicy, read_sitemaps, robots_policy
from tui_scraper.engine.urls import Scope, canonicalize, host_of
from tui_scraper.settings import Settings
from tui_scraper.targets import Target

# A wait shorter than this is not worth a phase change on screen.
VISIBLE_WAIT_S = 0.25


@dataclass(frozen=True, slots=True)
class DomainJob:
    """One domain of one batch."""

    batch_id: str
    job_id: str
    target: Target


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


def utc_now() -> str:
    """ISO 8601 UTC timestamp, as stored."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_domain_record(job: DomainJob) -> DomainRecord:
    """The domain document of a job that has not started."""
    return {
        "batch_id": job.batch_id,
        "job_id": job.job_id,
        "domain": job.target.domain,
        "input": job.target.input,
        "status": DomainStatus.QUEUED.value,
        "start_url": job.target.start_url,
        "final_url": None,
        "pages_ok": 0,
        "pages_failed": 0,
        "status_counts": {},
        "emails": [],
        "phones": [],
        "socials": [],
        "robots": {"found": False, "disallowed": 0},
        "sitemap_urls": [],
        "links_out_of_scope": 0,
        # why https was not used when the crawl fell back to http (null otherwise)
        "http_fallback": None,
        "stop_reason": None,
        "started_at": None,
        "finished_at": None,
        "elapsed_s": None,
        "error": None,
    }


def phone_region_for(domain: str) -> str | None:
    """A default phone region from a country-code TLD (".de" -> "DE"), else None."""
    tld = domain.rsplit(":", 1)[0].rsplit(".", 1)[-1].upper()
    if tld == "UK":
        tld = "GB"
    return tld if tld in phonenumbers.SUPPORTED_REGIONS else None


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
        self.scope = Scope(host_of(job.target.start_url) or self.domain)
        self.robots: dict[str, RobotsPolicy] = {}
        self.robots_tasks: dict[str, asyncio.Task[RobotsPolicy]] = {}
        self.seen: set[str] = set()
        self.queue: asyncio.Queue[tuple[str, int, str | None]] = asyncio.Queue()
        self.enqueued = 0
        self.budget_hit = False
        self.excluded = 0
        self.out_of_scope = 0
        self.pages_ok = 0
        self.pages_failed = 0
        self.status_counts: Counter[str] = Counter()
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.socials: set[str] = set()
        self.delay = settings.delay
        self.next_request_at = 0.0
        self.throttle = asyncio.Lock()
        self.phase = Phase.QUEUED
        self.start_fetched = False
        self.phone_region = phone_region_for(self.domain)
        self.fields = parse_field_specs(settings.field)
        self.budget: asyncio.Timeout | None = None
        self.budget_left: float | None = None  # of --domain-timeout, while paused
        # This domain's cookies alone: consent walls work, nothing leaks to other domains.
        self.cookies = new_cookie_jar()
        # Hosts whose https could not connect at all: their https links are crawled as
        # http, not retried and failed one by one (nor fetched twice, once per scheme).
        self.http_only: set[str] = set()

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
            reason = StopReason.MAX_PAGES if self.budget_hit else StopReason.FRONTIER_EXHAUSTED
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
            # A robots.txt fetch shared between workers must not outlive its domain.
            for task in self.robots_tasks.values():
                task.cancel()
        record["elapsed_s"] = round(time.monotonic() - started, 3)
        return record

    def _finish(self, status: DomainStatus, reason: StopReason, error: str | None = None) -> None:
        record = self.record
        record["status"] = status.value
        record["stop_reason"] = reason.value
        record["error"] = error
        record["finished_at"] = utc_now()
        record["pages_ok"] = self.pages_ok
        record["pages_failed"] = self.pages_failed
        record["status_counts"] = dict(self.status_counts)
        record["emails"] = sorted(self.emails)
        record["phones"] = sorted(self.phones)
        record["socials"] = sorted(self.socials)
        record["robots"] = {
            "found": any(policy.found for policy in self.robots.values()),
            "disallowed": self.excluded,
        }
        record["links_out_of_scope"] = self.out_of_scope
        phase = {
            DomainStatus.DONE: Phase.DONE,
            DomainStatus.FAILED: Phase.FAILED,
        }.get(status, Phase.CANCELLED)
        self._set_phase(phase, error or reason.value)

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
                self.http_only.add(host)
            self.robots[host] = policy
            if policy.host_down:
                # The error names the host and says why (DNS, refused, certificate...).
                raise StartFailed(policy.error or f"cannot reach {host}")
            if policy.unreachable:
                raise StartFailed(
                    f"robots.txt unreachable ({policy.error}), so everything is disallowed"
                )
            self._apply_crawl_delay(policy)
            if not policy.allows(start_url, self.settings.user_agent):
                self.excluded += 1
                raise StartFailed("start page disallowed by robots.txt")

        self._set_phase(Phase.CRAWLING)
        page, extraction, response = await self._fetch_page(start_url, 0, None, start=True)
        if probe_http and response.connect_failed:
            self.record["http_fallback"] = response.error
            self.http_only.add(host_of(start_url))
            start_url = as_http(start_url)
            page, extraction, response = await self._fetch_page(start_url, 0, None, start=True)
        self.seen.add(canonicalize(start_url) or start_url)
        if extraction is None:
            self.record["final_url"] = response.final_url  # where it failed
            reason = page["error"] or f"start page is not HTML ({page['content_type']})"
            raise StartFailed(reason)
        self.start_fetched = True
        final_url = response.final_url
        self.record["final_url"] = final_url
        self.scope = Scope(host_of(final_url))
        self.seen.add(canonicalize(final_url) or final_url)
        await self._ensure_robots([host_of(final_url)], URL(final_url).scheme)

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
            await self.queue.join()
            for worker in workers:
                worker.cancel()

    async def _worker(self) -> None:
        while True:
            url, depth, referrer = await self.queue.get()
            try:
                _page, extraction, _response = await self._fetch_page(url, depth, referrer)
                if extraction is not None and depth < self.settings.max_depth:
                    await self._enqueue_links(extraction.links, depth + 1, url, canonical=True)
            finally:
                self.queue.task_done()

    # -- frontier -----------------------------------------------------------

    async def _enqueue_links(
        self, links: Iterable[str], depth: int, referrer: str | None, canonical: bool = False
    ) -> None:
        """Canonicalize (unless `canonical`), dedupe, scope, robots-check and budget links."""
        if depth > self.settings.max_depth:
            return
        fresh: list[str] = []
        for link in links:
            canonical_url = link if canonical else canonicalize(link)
            if canonical_url is not None and self.http_only and canonical_url[:8] == "https://":
                canonical_url = self._over_http(canonical_url)
            if canonical_url is None or canonical_url in self.seen:
                continue
            self.seen.add(canonical_url)
            if canonical_url in self.scope:
                fresh.append(canonical_url)
            else:
                self.out_of_scope += 1
        if not fresh:
            return
        unknown_hosts = {host_of(url) for url in fresh} - self.robots.keys()
        if unknown_hosts and not self.settings.ignore_robots:
            await self._ensure_robots(unknown_hosts, URL(fresh[0]).scheme)
        for url in fresh:
            if not self._allowed(url):
                self.excluded += 1
                self.sink(UrlExcluded(self.job.job_id, self.domain, url))
                continue
            if self.enqueued >= self.settings.max_pages - 1:  # the start page took one
                self.budget_hit = True
                return
            self.enqueued += 1
            self.queue.put_nowait((url, depth, referrer))

    def _over_http(self, url: str) -> str:
        """`url` as http:// when its host is known not to connect over https."""
        return as_http(url) if host_of(url) in self.http_only else url

    def _allowed(self, url: str) -> bool:
        if self.settings.ignore_robots:
            return True
        policy = self.robots.get(host_of(url))
        return policy is None or policy.allows(url, self.settings.user_agent)

    async def _seed_from_sitemaps(self, scheme: str) -> None:
        if self.settings.max_depth < 1:
            return
        host = self.scope.host
        roots = [s for policy in self.robots.values() for s in policy.sitemaps]
        if not roots:
            roots = [f"{scheme}://{host}/sitemap.xml"]
        urls, read = await read_sitemaps(
            roots,
            lambda url: self._fetch_resource(self._over_http(url)),
            lambda url: url in self.scope,
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
        return self._robots_from(response), https_error

    async def _ensure_robots(self, hosts: Iterable[str], scheme: str) -> None:
        if self.settings.ignore_robots:
            return
        for host in hosts:
            if host in self.robots:
                continue
            task = self.robots_tasks.get(host)
            if task is None:  # workers share one fetch per host
                task = asyncio.ensure_future(self._fetch_robots(host, scheme))
                self.robots_tasks[host] = task
            policy = await asyncio.shield(task)
            self.robots[host] = policy
            self._apply_crawl_delay(policy)

    async def _fetch_robots(self, host: str, scheme: str) -> RobotsPolicy:
        response = await self._fetch_resource(f"{scheme}://{host}/robots.txt")
        return self._robots_from(response)

    def _robots_from(self, response: Response) -> RobotsPolicy:
        """The policy of a robots.txt response; a redirect's target host gets it too.

        (bare -> www redirects are common: the www robots.txt is then not fetched again.)
        """
        policy = robots_policy(response, self.settings.user_agent)
        landed = host_of(response.final_url)
        if response.redirects and landed and response.status is not None:
            self.robots.setdefault(landed, policy)
        return policy

    def _apply_crawl_delay(self, policy: RobotsPolicy) -> None:
        if policy.crawl_delay is not None and policy.crawl_delay > self.delay:
            self.delay = policy.crawl_delay

    # -- fetching -----------------------------------------------------------

    async def _gate(self) -> None:
        """Before every request: wait while paused, then keep the politeness delay."""
        if not self.control.running.is_set():
            await self._wait_out_pause()
        if self.delay <= 0 and self.next_request_at <= time.monotonic():
            return  # the common case: no delay, no host asking us to back off
        async with self.throttle:
            wait = self.next_request_at - time.monotonic()
            if wait > 0:
                visible = wait >= VISIBLE_WAIT_S and self.phase != Phase.BACKOFF
                if visible:
                    self._set_phase(Phase.BACKOFF, f"Crawl-delay {self.delay:g}s")
                await asyncio.sleep(wait)
                if visible:
                    self._set_phase(Phase.CRAWLING)
            if self.delay > 0:
                self.next_request_at = time.monotonic() + self.delay

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
        self.next_request_at = max(self.next_request_at, time.monotonic() + wait)
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
        if url not in self.scope:
            return Unfollowed(f"redirected out of scope to {url}")
        canonical = canonicalize(url)
        if canonical is not None and canonical in self.seen:
            return Unfollowed(None)  # that page is (or will be) fetched on its own: no refetch
        if not self.settings.ignore_robots:
            await self._ensure_robots([host_of(url)], URL(url).scheme)
            if not self._allowed(url):
                self.excluded += 1
                self.sink(UrlExcluded(self.job.job_id, self.domain, url))
                return Unfollowed("redirect target disallowed by robots.txt")
        if canonical is not None:
            self.seen.add(canonical)
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
                    self.scope.host,
                    self.phone_region,
                    self.fields,
                )
            except Exception as error:  # a page that breaks the parser costs that page alone
                response.error = f"extraction failed: {type(error).__name__}: {error}"[:300]
        elif status is not None and 200 <= status < 300 and not html and start:
            response.error = response.error or f"not HTML ({response.content_type})"
        page = self._page_record(url, depth, referrer, response, extraction)
        if response.connect_failed and may_fall_back:
            return page, None, response  # not a page yet: the caller tries http
        self.status_counts[str(status) if status is not None else "error"] += 1
        if page["error"] is None and status is not None and status < 400:
            self.pages_ok += 1
        else:
            self.pages_failed += 1
        if extraction is not None:
            self.emails.update(extraction.emails)
            self.phones.update(extraction.phones)
            self.socials.update(extraction.socials)
        self.sink(PageFetched(self.job.job_id, self.domain, page, self.pages_ok, self.pages_failed))
        return page, extraction, response

    def _page_record(
        self,
        url: str,
        depth: int,
        referrer: str | None,
        response: Response,
        extraction: Extraction | None,
    ) -> PageRecord:
        error = response.error
        if response.truncated and error is None:
            error = f"body cut at {self.settings.max_bytes} bytes"
        x = extraction
        return {
            "batch_id": self.job.batch_id,
            "job_id": self.job.job_id,
            "domain": self.domain,
            "url": url,
            "final_url": response.final_url,
            "redirects": response.redirects,
            "referrer": referrer,
            "status": response.status,
            "content_type": response.content_type,
            "bytes": response.size,
            "truncated": response.truncated,
            "elapsed_ms": response.elapsed_ms,
            "depth": depth,
            "title": x.title if x else None,
            "meta_description": x.meta_description if x else None,
            "h1": x.h1 if x else [],
            "canonical": x.canonical if x else None,
            "lang": x.lang if x else None,
            "word_count": x.word_count if x else 0,
            "links_internal": x.links_internal if x else 0,
            "links_external": x.links_external if x else 0,
            "emails": x.emails if x else [],
            "phones": x.phones if x else [],
            "socials": x.socials if x else [],
            "fields": x.fields if x else {},
            "error": error,
            "fetched_at": utc_now(),
        }

    def _set_phase(self, phase: Phase, detail: str = "") -> None:
        self.phase = phase
        self.sink(PhaseChanged(self.job.job_id, self.domain, phase, detail))


def response_may_fall_back(target: Target, url: str) -> bool:
    """Whether a connect failure at `url` should be retried over http instead."""
    return not target.explicit_scheme and url.startswith("https://")


def as_http(url: str) -> str:
    """The http:// form of an https:// URL (the fallback when https cannot connect)."""
    return "http://" + url.removeprefix("https://")
