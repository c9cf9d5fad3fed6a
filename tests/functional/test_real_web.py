"""The real web's troubles, each served by the demo web: TLS, DNS, cookies, headers, encodings.

Names resolve through the crawler's async resolver pointed at the demo web's DNS
server (`demo_network`), and every site is reached over real TLS with the demo
web's own CA, as `--ca-bundle` gives it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.helpers.demo import demo_network, demo_settings, run_batch
from tui_scraper.demo import DemoServer, DemoWeb
from tui_scraper.demo.sites import COOKIE_WALL_COOKIE, KIND_NORMAL
from tui_scraper.engine.events import DomainFinished, Event
from tui_scraper.engine.http import ACCEPT_ENCODING, DOCUMENT_ACCEPT
from tui_scraper.engine.pool import BatchRunner, make_jobs
from tui_scraper.settings import DEFAULT_ACCEPT_LANGUAGE, Settings
from tui_scraper.store import Store, StoreWriter
from tui_scraper.targets import parse_targets

CERT_ERRORS = {
    "untrusted-cert.test": "certificate error: certificate issuer is not trusted",
    "expired-cert.test": "certificate error: certificate has expired",
    "wrong-name.test": "certificate error: certificate is for another name",
}


def dns_settings(server: DemoServer, **changes: object) -> Settings:
    """Test settings that reach the demo web through its DNS server, not --connect-to."""
    return demo_settings(server, connect_to=[], ca_bundle=None).replace(**changes)


def small_normal_sites(web: DemoWeb, count: int) -> list[str]:
    sites = sorted(
        (
            site
            for site in web.sites_of_kind(KIND_NORMAL)
            if len(site.reachable_paths()) <= 12 and site.crawl_delay is None
        ),
        key=lambda site: site.host,
    )
    return [site.host for site in sites[:count]]


async def test_certificate_failures_fail_the_domain_and_never_fall_back_to_http(
    demo_server: DemoServer,
) -> None:
    run = await run_batch(demo_settings(demo_server), list(CERT_ERRORS))
    for host, reason in CERT_ERRORS.items():
        record = run.record(host)
        assert record["status"] == "failed", host
        assert record["error"] == f"{reason} ({host})"
        assert record["http_fallback"] is None
        # The handshake failed, so the server saw no request at all, and no http one after.
        assert demo_server.stats.host(host).requests == 0, host


async def test_insecure_crawls_sites_with_bad_certificates(demo_server: DemoServer) -> None:
    run = await run_batch(demo_settings(demo_server, insecure=True, max_pages=3), list(CERT_ERRORS))
    for host in CERT_ERRORS:
        record = run.record(host)
        assert record["status"] == "done", (host, record["error"])
        assert record["final_url"] == f"https://{host}/"
        assert record["pages_ok"] == 3
        assert set(demo_server.stats.host(host).schemes) == {"https"}


async def test_a_redirect_of_the_start_page_to_a_bad_certificate_names_that_error(
    demo_server: DemoServer,
) -> None:
    run = await run_batch(demo_settings(demo_server), ["moved-shop.test"])
    record = run.record("moved-shop.test")
    assert record["status"] == "failed"
    assert record["error"] == "certificate error: certificate has expired (expired-cert.test)"
    page = run.pages["moved-shop.test"][0]
    assert page["final_url"] == "https://expired-cert.test/"  # where it failed
    assert page["redirects"] == [{"url": "https://moved-shop.test/", "status": 301}]


async def test_a_filtered_https_port_falls_back_to_http(demo_server: DemoServer) -> None:
    run = await run_batch(demo_settings(demo_server, timeout=1.0), ["filtered-https.test"])
    record = run.record("filtered-https.test")
    assert record["status"] == "done", record["error"]
    assert record["final_url"] == "http://filtered-https.test/"
    assert record["http_fallback"] == (
        "no answer within 1s (connect timeout) (filtered-https.test)"
    )
    site = demo_server.web.site("filtered-https.test")
    assert record["pages_ok"] == len(site.reachable_paths())
    assert set(demo_server.stats.host("filtered-https.test").schemes) == {"http"}


async def test_a_cookie_wall_yields_its_pages_and_keeps_its_cookie(
    demo_server: DemoServer, demo_web: DemoWeb
) -> None:
    others = small_normal_sites(demo_web, 2)
    run = await run_batch(demo_settings(demo_server), ["cookie-wall.test", *others])
    record = run.record("cookie-wall.test")
    site = demo_web.site("cookie-wall.test")
    assert record["status"] == "done", record["error"]
    assert record["pages_ok"] == min(len(site.reachable_paths()), 25)
    start = next(p for p in run.pages["cookie-wall.test"] if p["depth"] == 0)
    # The wall's redirect to the same URL, cookie set, is followed once: not a loop.
    assert start["redirects"] == [{"url": "https://cookie-wall.test/", "status": 302}]
    assert start["final_url"] == "https://cookie-wall.test/"
    assert start["title"] == site.page("/").title  # type: ignore[union-attr]
    name, value = COOKIE_WALL_COOKIE
    assert f"{name}={value}" in demo_server.stats.host("cookie-wall.test").cookies
    for other in others:
        assert run.record(other)["status"] == "done"
        assert demo_server.stats.host(other).cookies == [], other


async def test_requests_send_a_browsers_document_headers(
    demo_server: DemoServer, demo_web: DemoWeb
) -> None:
    [host] = small_normal_sites(demo_web, 1)
    await run_batch(demo_settings(demo_server, max_pages=2), [host])
    headers = demo_server.stats.host(host).last_headers
    assert headers["Accept"] == DOCUMENT_ACCEPT
    assert headers["Accept-Language"] == DEFAULT_ACCEPT_LANGUAGE == "en-US,en;q=0.9"
    assert headers["Accept-Encoding"] == ACCEPT_ENCODING == "gzip, deflate, br, zstd"
    assert headers["User-Agent"].startswith("tui-scraper/")


async def test_accept_language_and_header_settings_reach_the_server(
    demo_server: DemoServer, demo_web: DemoWeb
) -> None:
    [host] = small_normal_sites(demo_web, 1)
    settings = demo_settings(
        demo_server,
        max_pages=2,
        accept_language="de-DE,de;q=0.8",
        header=["X-Audit: q4 review", "User-Agent: AuditBot/2.0 (+https://audit.example)"],
    )
    await run_batch(settings, [host])
    headers = demo_server.stats.host(host).last_headers
    assert headers["Accept-Language"] == "de-DE,de;q=0.8"
    assert headers["X-Audit"] == "q4 review"
    assert headers["User-Agent"] == "AuditBot/2.0 (+https://audit.example)"  # replaced
    assert headers["Accept"] == DOCUMENT_ACCEPT


async def test_a_site_that_wants_a_browser_accept_header(demo_server: DemoServer) -> None:
    run = await run_batch(demo_settings(demo_server, max_pages=3), ["browser-only.test"])
    assert run.record("browser-only.test")["status"] == "done"
    demo_server.reset()
    blunt = demo_settings(demo_server, max_pages=3, retries=0, header=["Accept: */*"])
    run = await run_batch(blunt, ["browser-only.test"])
    assert run.record("browser-only.test")["error"] == "HTTP 403"


async def test_brotli_and_zstd_pages_decode(demo_server: DemoServer, demo_web: DemoWeb) -> None:
    hosts = ["brotli-encoded.test", "zstd-encoded.test"]
    run = await run_batch(demo_settings(demo_server), hosts)
    for host in hosts:
        site = demo_web.site(host)
        assert run.record(host)["status"] == "done", host
        pages = run.pages[host]
        assert len(pages) == len(site.reachable_paths())
        for page in pages:
            truth = site.page(page["url"].removeprefix(f"https://{host}"))
            assert truth is not None and page["title"] == truth.title, page["url"]
            assert page["h1"] == list(truth.h1)


async def test_no_such_host_fails_at_once(demo_server: DemoServer) -> None:
    network = demo_network(demo_server)
    run = await run_batch(dns_settings(demo_server), ["nobody-lives-here.test"], network=network)
    record = run.record("nobody-lives-here.test")
    assert record["status"] == "failed"
    assert record["error"] == "no such host (nobody-lives-here.test)"
    assert record["elapsed_s"] < 1.0
    assert "nobody-lives-here.test" in demo_server.dns.queries  # type: ignore[union-attr]


async def test_names_resolve_through_the_async_resolver(
    demo_server: DemoServer, demo_web: DemoWeb
) -> None:
    hosts = small_normal_sites(demo_web, 2)
    network = demo_network(demo_server)
    run = await run_batch(dns_settings(demo_server, max_pages=2), hosts, network=network)
    for host in hosts:
        assert run.record(host)["status"] == "done", run.record(host)["error"]
        assert host in demo_server.dns.queries  # type: ignore[union-attr]


async def test_a_silent_resolver_delays_neither_other_domains_nor_the_store(
    demo_server: DemoServer, demo_web: DemoWeb, tmp_path: Path
) -> None:
    healthy = small_normal_sites(demo_web, 3)
    silent = [f"shop{i}.silent-dns.test" for i in range(40)]
    settings = dns_settings(demo_server, concurrency=43, dns_timeout=5.0, timeout=10.0)
    network = demo_network(demo_server)
    alone = await run_batch(settings, healthy, network=network)

    store = Store.open(str(tmp_path / "store.json"), write=True)
    writer = StoreWriter(store)
    healthy_done = asyncio.Event()
    finished: dict[str, float] = {}

    def sink(event: Event) -> None:
        writer(event)
        if isinstance(event, DomainFinished) and event.domain in healthy:
            finished[event.domain] = event.record["elapsed_s"] or 0.0
            if len(finished) == len(healthy):
                healthy_done.set()

    runner = BatchRunner(settings, sink, network=network)
    jobs = make_jobs(runner.batch_id, parse_targets("\n".join(healthy + silent)).targets)
    started = time.monotonic()
    async with writer.running():
        batch = asyncio.create_task(runner.run(jobs))
        await asyncio.wait_for(healthy_done.wait(), timeout=10)
        # On disk, read back from the files, while the silent names still hang.
        while True:
            writer.wrote.clear()  # before looking: a flush from now on sets it again
            if _healthy_on_disk(store.path, runner.batch_id, healthy):
                break
            await asyncio.wait_for(writer.wrote.wait(), timeout=5)
        on_disk_after = time.monotonic() - started
        assert not batch.done()
        await asyncio.wait_for(batch, timeout=15)
    store.close()
    assert on_disk_after < 2.0
    for host in healthy:
        assert finished[host] <= alone.record(host)["elapsed_s"] + 1.0, host  # type: ignore[operator]
    with Store.open(str(tmp_path / "store.json")) as reread:
        records = {r["domain"]: r for r in reread.batch_domains(runner.batch_id)}
    for name in silent:
        assert records[name]["error"] == f"DNS timeout ({name})"
        # --dns-timeout decides, not c-ares' guess from the server's quick other answers
        assert records[name]["elapsed_s"] >= 0.9 * settings.dns_timeout, records[name]


def _healthy_on_disk(path: str, batch_id: str, hosts: list[str]) -> bool:
    with Store.open(path) as reader:
        done = {r["domain"] for r in reader.batch_domains(batch_id) if r["status"] == "done"}
    return set(hosts) <= done


async def test_redirects_to_private_addresses_are_refused(demo_server: DemoServer) -> None:
    hosts = ["metadata-redirect.test", "other-port.test"]
    for settings, network in (
        (demo_settings(demo_server), None),  # --connect-to, as the CLI tests reach it
        (dns_settings(demo_server), demo_network(demo_server)),  # through the demo's DNS
    ):
        demo_server.reset()
        run = await run_batch(settings, hosts, network=network)
        metadata = run.record("metadata-redirect.test")
        assert metadata["status"] == "failed"
        assert metadata["error"] == "refused: private address (169.254.169.254)"
        other_port = run.record("other-port.test")
        assert other_port["error"] == "refused: private address (127.0.0.1)"
        [page] = run.pages["other-port.test"]
        assert page["final_url"] == f"http://127.0.0.1:{demo_server.side_port}/admin"
        # The other port is this same server: it saw no request there.
        assert demo_server.stats.host("127.0.0.1").requests == 0
        assert demo_server.stats.host("other-port.test").requests == 2  # robots.txt and /


async def test_allow_private_lifts_the_rule(demo_server: DemoServer) -> None:
    settings = demo_settings(demo_server, allow_private=True, max_pages=2, retries=0)
    run = await run_batch(settings, ["other-port.test"])
    assert demo_server.stats.host("127.0.0.1").requests >= 1
    assert run.record("other-port.test")["final_url"] == (
        f"http://127.0.0.1:{demo_server.side_port}/admin"
    )
