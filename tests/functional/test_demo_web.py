"""The demo web: its truth agrees with its HTML, and its server misbehaves and counts as promised.

Everything talks to 127.0.0.1 only: requests go to the server's port with the site's name
in the Host header, the way the crawler's --connect-to rules make them.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import parsel
import pytest

from tests.helpers.reader import (
    assert_truth_matches_html,
)
from tests.helpers.requestlog import arrivals_between
from tui_scraper.demo import DemoServer, DemoWeb, build_demo_web, build_perf_web
from tui_scraper.demo.sites import (
    CP1252_SPECIAL,
    HUGE_PATH,
    MARKUP_H1,
    MARKUP_TITLE,
    collapse,
)


@pytest.fixture
async def server(demo_web: DemoWeb) -> AsyncIterator[DemoServer]:
    async with DemoServer(demo_web, slow_delay=0.2) as srv:
        yield srv


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def fetch(
    session: aiohttp.ClientSession, server: DemoServer, host: str, path: str = "/", **kw: Any
) -> Any:
    """A request for http://HOST/PATH sent to the demo server (as --connect-to does)."""
    kw.setdefault("allow_redirects", False)
    return session.get(f"{server.base_url}{path}", headers={"Host": host}, **kw)


# --------------------------------------------------------------------------- a reference reader


# --------------------------------------------------------------------------- the truth


# --------------------------------------------------------------------------- the server


async def test_home_page_of_a_normal_site(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    site = demo_web.site("acme-plumbing.test")
    truth = site.pages["/"]
    async with fetch(session, server, "acme-plumbing.test:80") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        body = await resp.text()
    sel = parsel.Selector(text=body)
    assert collapse(sel.xpath("//title/text()").get() or "") == truth.title
    assert truth.emails
    for email in truth.emails:
        assert email in body
    assert server.stats.host("acme-plumbing.test").paths == ["/"]
    assert server.stats.host("acme-plumbing.test").host_counts["acme-plumbing.test"] == 1


async def test_counters_and_hosts_in_flight(
    demo_web: DemoWeb, session: aiohttp.ClientSession
) -> None:
    hosts = [
        "acme-plumbing.test",
        "northwind-bakery.test",
        "www." + demo_web.by_kind("www_redirect").host,
    ]
    async with DemoServer(demo_web, latency=0.5) as server:
        tasks = [asyncio.create_task(_status(session, server, h, "/about")) for h in hosts]
        tasks.append(asyncio.create_task(_status(session, server, hosts[0], "/contact")))
        await server.wait_until(lambda s: s.in_flight == 4, timeout=5)
        assert server.stats.in_flight_hosts() == {h.removeprefix("www.") for h in hosts}
        assert server.stats.host(hosts[0]).in_flight == 2
        assert await asyncio.gather(*tasks) == [200, 200, 200, 200]
        await server.wait_until(lambda s: s.in_flight == 0, timeout=5)
        stats = server.stats
        assert stats.total_requests == 4
        assert stats.max_hosts_in_flight == 3
        assert stats.in_flight_hosts() == set()
        first = stats.host(hosts[0])
        assert (first.requests, first.max_in_flight, first.in_flight) == (2, 2, 0)
        assert sorted(first.paths) == ["/about", "/contact"]
        assert first.path_counts["/about"] == 1
        # www. and the bare host are one site in the counters.
        assert stats.host(hosts[2]) is stats.host(hosts[2].removeprefix("www."))
        # The timestamped log holds these four requests and nothing else.
        logged = arrivals_between(stats, 0.0, time.monotonic(), besides=())
        assert sorted((host, path) for host, path, _at in logged) == sorted(
            [(host, "/about") for host in hosts] + [(hosts[0], "/contact")]
        )
        # A condition that never holds ends in a TimeoutError that shows the counters.
        with pytest.raises(TimeoutError, match="total_requests=4"):
            await server.wait_until(lambda s: False, timeout=0.05)
        server.reset()
        assert server.stats.total_requests == 0
        assert server.stats.max_hosts_in_flight == 0


async def _status(session: aiohttp.ClientSession, server: DemoServer, host: str, path: str) -> int:
    async with fetch(session, server, host, path) as resp:
        await resp.read()
        return resp.status


async def test_flaky_503_then_200(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    host = demo_web.by_kind("flaky_503").host
    assert await _status(session, server, host, "/") == 503
    assert await _status(session, server, host, "/") == 200
    assert await _status(session, server, host, "/about") == 503
    assert await _status(session, server, host, "/robots.txt") == 404  # never flaky
    server.reset()  # forgets which paths were already asked
    assert await _status(session, server, host, "/") == 503
    assert server.stats.host(host).path_counts["/"] == 1


async def test_429_with_retry_after_then_200(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    host = demo_web.by_kind("rate_limited_429").host
    async with fetch(session, server, host, "/about") as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
    assert await _status(session, server, host, "/about") == 200


async def test_redirects(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    host = demo_web.by_kind("redirect_loop").host
    hops = []
    for path in ("/", "/a", "/b"):
        async with fetch(session, server, host, path) as resp:
            hops.append((resp.status, resp.headers["Location"]))
    assert hops == [(302, "/a"), (302, "/b"), (302, "/a")]
    with pytest.raises(aiohttp.TooManyRedirects):
        async with fetch(session, server, host, "/", allow_redirects=True, max_redirects=10):
            pass
    www = demo_web.by_kind("www_redirect")
    async with fetch(session, server, www.host, "/about?x=1") as resp:
        assert resp.status == 301
        assert resp.headers["Location"] == f"http://www.{www.host}/about?x=1"
    assert await _status(session, server, www.canonical_host, "/about") == 200


async def test_huge_page_records_an_abandoned_download(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    host = demo_web.by_kind("huge").host
    assert demo_web.site(host).url(HUGE_PATH) in demo_web.site(host).pages["/"].internal_links
    async with fetch(session, server, host, HUGE_PATH) as resp:
        assert resp.headers["Content-Type"].startswith("text/html")
        assert "Content-Length" not in resp.headers  # streamed: only reading tells the size
        received = 0
        while received < 1_000_000:
            chunk = await resp.content.read(65536)
            assert chunk
            received += len(chunk)
        resp.close()
    await server.wait_until(lambda s: (host, HUGE_PATH) in s.closed_early, timeout=5)
    await server.wait_until(lambda s: s.host(host).in_flight == 0, timeout=5)


async def test_hanging_start_page_is_released_when_the_client_gives_up(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    host = demo_web.by_kind("hanging").host
    request = asyncio.create_task(_hang(session, server, host))
    await server.wait_until(lambda s: s.host(host).in_flight == 1, timeout=5)
    with pytest.raises(asyncio.TimeoutError):
        await request
    await server.wait_until(lambda s: s.host(host).in_flight == 0, timeout=5)
    assert server.stats.in_flight_hosts() == set()
    assert await _status(session, server, host, "/about") == 200


async def _hang(session: aiohttp.ClientSession, server: DemoServer, host: str) -> int:
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with fetch(session, server, host, "/", timeout=timeout) as resp:
        return resp.status


async def test_unknown_host_and_unknown_path(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    async with fetch(session, server, "nowhere.test") as resp:
        assert resp.status == 404
        assert resp.content_type == "text/plain"
    site = demo_web.sites_of_kind("normal")[0]
    async with fetch(session, server, site.host, "/no/such/page") as resp:
        assert resp.status == 404
        assert "Not Found" in await resp.text()


async def test_refused_port_and_connect_to(server: DemoServer) -> None:
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", server.refused_port)
    assert server.connect_to == [
        f"filtered-https.test:443:127.0.0.1:{server.blackhole_port}",
        f":443:127.0.0.1:{server.tls_port}",
        f":80:127.0.0.1:{server.port}",
    ]


async def test_slow_site_waits(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    started = time.monotonic()
    assert await _status(session, server, demo_web.by_kind("slow").host, "/") == 200
    assert time.monotonic() - started >= 0.2


async def test_robots_and_sitemaps(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    assert await _status(session, server, demo_web.by_kind("robots_5xx").host, "/robots.txt") == 500
    excluded = demo_web.by_kind("robots_excluded")
    async with fetch(session, server, excluded.host, "/robots.txt") as resp:
        assert "Disallow: /members/" in await resp.text()
    assert any("/members/" in link for link in excluded.pages["/"].internal_links)
    assert all(not p.startswith("/members/") for p in excluded.reachable_paths())
    # The sitemap index leads, through a gzip'd sitemap, to pages no page links to.
    indexed = next(s for s in demo_web.sites.values() if "/sitemap_index.xml" in s.files)
    async with fetch(session, server, indexed.host, "/robots.txt") as resp:
        assert f"Sitemap: {indexed.url('/sitemap_index.xml')}" in await resp.text()
    async with fetch(session, server, indexed.host, "/sitemap_index.xml") as resp:
        assert indexed.url("/sitemap-pages.xml.gz") in await resp.text()
    async with fetch(session, server, indexed.host, "/sitemap-pages.xml.gz") as resp:
        listed = gzip.decompress(await resp.read()).decode()
    for path in indexed.sitemap_only_paths:
        assert f"<loc>{indexed.url(path)}</loc>" in listed


async def test_encodings_and_content_types(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    latin1 = demo_web.by_kind("latin1")
    async with fetch(session, server, latin1.host) as resp:
        assert resp.headers["Content-Type"] == "text/html; charset=iso-8859-1"
        raw = await resp.read()
    assert b"\x80" in raw and CP1252_SPECIAL.encode("cp1252") in raw
    assert "é" in (latin1.pages["/"].title or "")
    meta = demo_web.by_kind("meta_charset")
    async with fetch(session, server, meta.host) as resp:
        assert resp.headers["Content-Type"] == "text/html"
        raw = await resp.read()
    assert b'<meta charset="windows-1252">' in raw[:1024] and b"\x80" in raw
    gz = demo_web.by_kind("gzip")
    async with fetch(session, server, gz.host) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert gz.pages["/"].title in parsel.Selector(text=await resp.text()).xpath(
            "normalize-space(//title)"
        ).get("")
    non_html = demo_web.by_kind("non_html")
    types = {}
    for path in ("/report.html", "/logo.png", "/data.json"):
        async with fetch(session, server, non_html.host, path) as resp:
            types[path] = resp.content_type
    assert types == {
        "/report.html": "application/pdf",
        "/logo.png": "image/png",
        "/data.json": "application/json",
    }
    assert await _status(session, server, demo_web.by_kind("start_404").host, "/") == 404


async def test_markup_and_control_characters_survive(
    server: DemoServer, session: aiohttp.ClientSession, demo_web: DemoWeb
) -> None:
    site = demo_web.by_kind("markup_title")
    assert site.pages["/"].title == MARKUP_TITLE
    assert site.pages["/"].h1 == (MARKUP_H1,)
    async with fetch(session, server, site.host) as resp:
        body = await resp.text()
    assert "\x1b[31m" in body and "\x07" in body and "[red]x[/]" in body


# --------------------------------------------------------------------------- the perf web


async def test_perf_web_is_cheap_and_pages_are_the_size_asked(
    session: aiohttp.ClientSession,
) -> None:
    started = time.perf_counter()
    web = build_perf_web(10_000, 10)
    assert time.perf_counter() - started < 2.0
    assert len(web.demo_domains()) == 10_000
    assert web.demo_domains()[0] == "perf-0001.test"
    site = web.site("perf-10000.test")
    assert len(site.pages) == 10 and site.robots_txt is None
    async with DemoServer(web) as server:
        async with fetch(session, server, "perf-0042.test", "/p/7") as resp:
            body = await resp.read()
        assert await _status(session, server, "perf-0042.test", "/robots.txt") == 404
        assert await _status(session, server, "perf-0042.test", "/sitemap.xml") == 404
    assert 0.9 * 25_000 <= len(body) <= 1.2 * 25_000
    page = web.site("perf-0042.test").pages["/p/7"]
    assert page.body == body
    assert_truth_matches_html(page, web.site("perf-0042.test"))
    assert 20 <= body.count(b"<a href=") <= 40


async def test_standalone_runner() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui_scraper.demo",
        "--perf",
        "3",
        "4",
        "--page-bytes",
        "2000",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(await asyncio.wait_for(proc.stdout.readline(), timeout=20))
        assert info["domains"] == ["perf-0001.test", "perf-0002.test", "perf-0003.test"]
        assert info["connect_to"][-1] == f":80:127.0.0.1:{info['port']}"
        assert info["network"]["ca_bundle"] == info["ca_bundle"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{info['port']}/p/2", headers={"Host": "perf-0003.test"}
            ) as resp,
        ):
            assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_truth_matches_the_html(demo_web: DemoWeb) -> None:
    checked = 0
    for site in demo_web.sites.values():
        pages = list(site.pages.values())
        if site.kind == "big":
            pages = [site.pages[p] for p in ("/", "/products?page=50", "/product/4949")]
        if site.kind == "calendar_trap":
            months = (site.page(p) for p in ("/calendar/2026/11", "/calendar/9999/12"))
            pages += [page for page in months if page is not None]
        for page in pages:
            if page.is_html and not page.stream_bytes:
                assert_truth_matches_html(page, site)
                checked += 1
    assert checked > 400


def test_same_seed_same_truth() -> None:
    first, again, other = build_demo_web(7), build_demo_web(7), build_demo_web(8)
    assert list(first.sites) == list(again.sites)
    for host, site in first.sites.items():
        twin = again.sites[host]
        if site.kind == "big":  # 5,000 lazy pages: compare a sample
            for path in ("/", "/products?page=7", "/product/321"):
                assert site.pages[path] == twin.pages[path]
        else:
            assert site == twin
    assert set(first.sites) != set(other.sites)  # another seed names other businesses


def test_big_site_and_calendar_trap(demo_web: DemoWeb) -> None:
    big = demo_web.by_kind("big")
    assert len(big.pages) == 5000
    assert len(big.reachable_paths()) == 5000
    calendar = demo_web.by_kind("calendar_trap")
    assert calendar.infinite
    page = calendar.page("/calendar/2026/11")
    assert page is not None
    assert calendar.url("/calendar/2026/12") in page.internal_links
    assert calendar.url("/calendar/2026/10") in page.internal_links
    assert calendar.url("/calendar/2026/11") in calendar.pages["/"].internal_links
    assert calendar.page("/calendar/5000/01") is not None
    with pytest.raises(ValueError):
        calendar.reachable_paths()
