"""One batch of every demo site, crawled through the real aiohttp path, checked against
the demo web's own counters and its known truth."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.helpers.demo import BatchRun, demo_network, demo_settings, run_batch
from tui_scraper.demo import DemoServer, DemoSite, DemoStats, DemoWeb, build_demo_web
from tui_scraper.demo.sites import PRIVATE_REDIRECT_KINDS, TLS_FAILING_KINDS
from tui_scraper.engine.events import (
    BatchStatus,
    DomainStatus,
    PageRecord,
    RequestRetrying,
    StopReason,
    UrlExcluded,
)
from tui_scraper.engine.urls import canonicalize

CONCURRENCY = 5
PER_DOMAIN = 2
MAX_PAGES = 25
MAX_BYTES = 1_000_000
# 5xx answers and timeouts are retried (--retries 2), so these see a URL up to 3 times.
RETRYING_KINDS = {"flaky_503", "rate_limited_429", "hanging", "robots_5xx"}
# The cookie wall answers its first page with a redirect to itself, cookie set.
TWICE_KINDS = {"cookie_wall"}
# Sites no request reaches: a certificate refused at the handshake, a name never resolved.
UNREACHED_KINDS = {"untrusted_cert", "expired_cert", "wrong_name_cert", "silent_dns"}
# Sites that fail by design.
FAILING_KINDS = {
    "hanging",
    "redirect_loop",
    "start_404",
    "robots_5xx",
    "silent_dns",
    *TLS_FAILING_KINDS,
    *PRIVATE_REDIRECT_KINDS,
}


@dataclass
class FullBatch:
    web: DemoWeb
    run: BatchRun
    stats: DemoStats
    five_in_flight_seen: bool

    def site(self, kind: str) -> DemoSite:
        return self.web.by_kind(kind)

    def record_of(self, kind: str):
        return self.run.records[self.site(kind).host]

    def pages_of(self, kind: str) -> list[PageRecord]:
        return self.run.pages.get(self.site(kind).host, [])

    def requests_of(self, site: DemoSite) -> list[tuple[str, str]]:
        """(Host header, path) of every request the server saw for a site."""
        host_stats = self.stats.hosts.get(site.host)
        return list(host_stats.requests_log) if host_stats else []

    def requested_paths(self, site: DemoSite) -> list[str]:
        return [path for _host, path in self.requests_of(site)]


async def _crawl_everything() -> FullBatch:
    web = build_demo_web(seed=7)
    # A little latency, as on a real network, so requests overlap and can be counted.
    async with DemoServer(web, latency=0.03, slow_delay=0.2) as server:
        settings = demo_settings(
            server,
            concurrency=CONCURRENCY,
            per_domain=PER_DOMAIN,
            max_pages=MAX_PAGES,
            max_depth=50,  # deep enough that only --max-pages stops the trap
            timeout=1.5,
            max_bytes=MAX_BYTES,
            connect_to=[],  # names resolve through the demo web's DNS server instead
            ca_bundle=None,
        )
        seen = False

        async def watch(_runner: object) -> None:
            nonlocal seen
            await server.wait_until(lambda s: len(s.in_flight_hosts()) >= CONCURRENCY, 30)
            seen = True

        run = await run_batch(
            settings,
            web.demo_domains(),
            during=watch,
            timeout=120,
            network=demo_network(server),
        )
        return FullBatch(web, run, server.stats, seen)


@pytest.fixture(scope="module")
def full_batch() -> FullBatch:
    return asyncio.run(_crawl_everything())


def test_batch_completes_with_every_domain(full_batch: FullBatch) -> None:
    assert full_batch.run.status == BatchStatus.COMPLETED
    assert set(full_batch.run.records) == set(full_batch.web.demo_domains())


def test_concurrency_is_reached_and_never_exceeded(full_batch: FullBatch) -> None:
    assert full_batch.five_in_flight_seen
    assert full_batch.stats.max_hosts_in_flight == CONCURRENCY


def test_per_domain_requests_never_exceeded(full_batch: FullBatch) -> None:
    worst = max(host.max_in_flight for host in full_batch.stats.hosts.values())
    assert worst <= PER_DOMAIN
    assert worst == PER_DOMAIN  # the per-domain workers do run side by side


def test_no_url_fetched_twice(full_batch: FullBatch) -> None:
    for site in full_batch.web.sites.values():
        counts = Counter(full_batch.requests_of(site))
        if site.kind in UNREACHED_KINDS:
            assert not counts, site.host
            continue
        assert counts, site.host
        allowed = 1 + 2 if site.kind in RETRYING_KINDS else 2 if site.kind in TWICE_KINDS else 1
        twice = {path: n for path, n in counts.items() if n > allowed}
        assert not twice, f"{site.host} fetched more than once: {twice}"


def test_robots_excluded_urls_are_never_fetched_but_counted(full_batch: FullBatch) -> None:
    site = full_batch.site("robots_excluded")
    requested = full_batch.requested_paths(site)
    assert site.disallowed_prefixes
    assert not [p for p in requested if site.is_disallowed(p)]
    record = full_batch.record_of("robots_excluded")
    assert record["robots"]["found"] is True
    assert record["robots"]["disallowed"] >= 1
    excluded = [e for e in full_batch.run.events if isinstance(e, UrlExcluded)]
    assert any(e.domain == site.host for e in excluded)


def test_robots_5xx_disallows_everything(full_batch: FullBatch) -> None:
    site = full_batch.site("robots_5xx")
    record = full_batch.record_of("robots_5xx")
    assert record["status"] == DomainStatus.FAILED
    assert record["stop_reason"] == StopReason.START_FAILED
    assert "robots.txt" in record["error"]
    assert set(full_batch.requested_paths(site)) == {"/robots.txt"}


@pytest.mark.parametrize("kind", ["calendar_trap", "big"])
def test_trap_and_big_site_stop_at_max_pages(full_batch: FullBatch, kind: str) -> None:
    record = full_batch.record_of(kind)
    assert record["status"] == DomainStatus.DONE
    assert record["stop_reason"] == StopReason.MAX_PAGES
    assert len(full_batch.pages_of(kind)) == MAX_PAGES
    site = full_batch.site(kind)
    page_requests = [
        p for p in full_batch.requested_paths(site) if p not in ("/robots.txt", "/sitemap.xml")
    ]
    assert len(page_requests) == MAX_PAGES


def test_huge_page_is_cut_at_max_bytes(full_batch: FullBatch) -> None:
    site = full_batch.site("huge")
    huge = [p for p in full_batch.pages_of("huge") if p["truncated"]]
    assert len(huge) == 1
    assert huge[0]["bytes"] == MAX_BYTES
    assert "cut" in huge[0]["error"]
    assert any(host.endswith(site.host) for host, _path in full_batch.stats.closed_early)


def test_hanging_site_fails_by_timeout_while_others_finish(full_batch: FullBatch) -> None:
    record = full_batch.record_of("hanging")
    assert record["status"] == DomainStatus.FAILED
    assert "timeout" in record["error"]
    others = [r for d, r in full_batch.run.records.items() if d != record["domain"]]
    assert all(r["status"] in (DomainStatus.DONE, DomainStatus.FAILED) for r in others)
    failed = {r["domain"] for r in others if r["status"] == DomainStatus.FAILED}
    assert failed == {full_batch.site(kind).host for kind in FAILING_KINDS - {"hanging"}}


@pytest.mark.parametrize("kind", ["flaky_503", "rate_limited_429"])
def test_retried_pages_are_fetched(full_batch: FullBatch, kind: str) -> None:
    site = full_batch.site(kind)
    record = full_batch.record_of(kind)
    assert record["status"] == DomainStatus.DONE
    pages = full_batch.pages_of(kind)
    assert pages and all(p["status"] == 200 for p in pages)
    retries = [
        e for e in full_batch.run.events if isinstance(e, RequestRetrying) and e.domain == site.host
    ]
    assert retries
    if kind == "rate_limited_429":
        assert all("Retry-After" in e.reason for e in retries)


def test_redirect_loop_ends_with_clear_error(full_batch: FullBatch) -> None:
    record = full_batch.record_of("redirect_loop")
    assert record["status"] == DomainStatus.FAILED
    assert "redirect loop" in record["error"]
    page = full_batch.pages_of("redirect_loop")[0]
    assert [hop["status"] for hop in page["redirects"]] == [302, 302, 302]


def test_start_404_fails(full_batch: FullBatch) -> None:
    record = full_batch.record_of("start_404")
    assert record["status"] == DomainStatus.FAILED
    assert record["error"] == "HTTP 404"


def test_non_html_is_recorded_without_body(full_batch: FullBatch) -> None:
    pages = full_batch.pages_of("non_html")
    other = [p for p in pages if not (p["content_type"] or "").startswith("text/html")]
    assert {p["content_type"].split(";")[0] for p in other} >= {"application/pdf", "image/png"}
    site = full_batch.site("non_html")
    for p in other:
        truth = site.resolve(site.path_of(p["url"]) or "")
        assert truth is not None
        assert p["title"] is None
        assert p["bytes"] == len(truth.body)  # as announced by Content-Length, never parsed


@pytest.mark.parametrize("kind", ["latin1", "meta_charset", "gzip", "broken_html"])
def test_encodings_and_broken_html_extracted_like_a_browser(
    full_batch: FullBatch, kind: str
) -> None:
    site = full_batch.site(kind)
    pages = full_batch.pages_of(kind)
    assert pages
    for page in pages:
        truth = site.page(site.path_of(page["url"]) or "/")
        assert truth is not None
        assert page["title"] == truth.title
        assert page["h1"] == list(truth.h1)


def test_www_and_bare_host_are_one_site(full_batch: FullBatch) -> None:
    www_sites = [s for s in full_batch.web.sites.values() if s.canonical_host.startswith("www.")]
    assert www_sites
    for site in www_sites:
        record = full_batch.run.records[site.host]
        assert record["status"] == DomainStatus.DONE
        assert record["final_url"].startswith(f"https://{site.canonical_host}/")
        assert record["pages_ok"] > 1


def test_sitemaps_seed_the_frontier(full_batch: FullBatch) -> None:
    with_sitemaps = [s for s in full_batch.web.sites.values() if s.sitemap_only_paths]
    assert with_sitemaps
    for site in with_sitemaps:
        record = full_batch.run.records[site.host]
        assert record["sitemap_urls"]
        fetched = {site.path_of(p["url"]) for p in full_batch.run.pages[site.host]}
        assert set(site.sitemap_only_paths) <= fetched


def test_complete_crawl_of_small_sites(full_batch: FullBatch) -> None:
    """Every reachable page of a normal site within the budget is fetched, no more."""
    checked = 0
    for site in full_batch.web.sites.values():
        if site.kind != "normal" or site.host not in full_batch.run.pages:
            continue
        reachable = site.reachable_paths()
        if len(reachable) > MAX_PAGES:
            continue
        fetched = {site.path_of(p["url"]) for p in full_batch.run.pages[site.host]}
        assert fetched == set(reachable), site.host
        checked += 1
    assert checked >= 10


def test_extraction_matches_the_generated_truth(full_batch: FullBatch) -> None:
    compared = 0
    for site in full_batch.web.sites.values():
        if site.kind != "normal":
            continue
        for page in full_batch.run.pages.get(site.host, []):
            if page["status"] != 200:
                continue
            truth = site.page(site.path_of(page["final_url"]) or "")
            assert truth is not None, page["url"]
            where = page["url"]
            assert page["title"] == truth.title, where
            assert page["meta_description"] == truth.meta_description, where
            assert page["h1"] == list(truth.h1), where
            assert page["emails"] == sorted(truth.emails), where
            assert page["phones"] == sorted(truth.phones), where
            assert page["socials"] == sorted(truth.socials), where
            assert page["lang"] == truth.lang, where
            internal = {canonicalize(u) for u in truth.internal_links}
            assert page["links_internal"] == len(internal), where
            assert page["links_external"] == len(set(truth.external_links)), where
            compared += 1
    assert compared >= 200


def test_domain_records_merge_page_contacts(full_batch: FullBatch) -> None:
    for domain, record in full_batch.run.records.items():
        pages = full_batch.run.pages.get(domain, [])
        assert record["emails"] == sorted({e for p in pages for e in p["emails"]})
        assert record["phones"] == sorted({e for p in pages for e in p["phones"]})
        assert record["pages_ok"] + record["pages_failed"] == len(pages)
        assert sum(record["status_counts"].values()) == len(pages)
