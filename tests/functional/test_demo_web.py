"""The demo web: its truth agrees with its HTML, and its server misbehaves and counts as promised.

Everything talks to 127.0.0.1 only: requests go to the server's port with the site's name
in the Host header, the way the crawler's --connect-to rules make them.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import parsel
import phonenumbers
import pytest
from yarl import URL

from tui_scraper.demo import DemoServer, DemoWeb, build_demo_web, build_perf_web
from tui_scraper.demo.sites import (
    CP1252_SPECIAL,
    HUGE_PATH,
    MARKUP_H1,
    MARKUP_TITLE,
    MISBEHAVING_KINDS,
    DemoPage,
    DemoSite,
    canonical_url,
    collapse,
)

SOCIAL_HOSTS = (
    "twitter.com",
    "x.com",
    "facebook.com",
    "linkedin.com",
    "instagram.com",
    "youtube.com",
    "github.com",
    "tiktok.com",
)
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SPELLED_RE = re.compile(r"([\w.+-]+) ?(?:\[at\]|\(at\)) ?([\w-]+(?:(?: ?\[dot\] ?|\.)[\w-]+)+)")
DOT_WORD_RE = re.compile(r" ?\[dot\] ?")
ASSET_SUFFIXES = (".png", ".webp", ".jpg")


def decode_cloudflare(hex_text: str) -> str:
    """Cloudflare's email protection undone: the first byte is the XOR key of the rest."""
    data = bytes.fromhex(hex_text)
    return bytes(b ^ data[0] for b in data[1:]).decode()


LOWER = "translate(@name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


@pytest.fixture(scope="module")
def demo_web() -> DemoWeb:
    return build_demo_web()


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


# Block-level elements of the HTML standard's default style sheet (those the demo writes).
READER_BLOCKS = frozenset({"div", "p", "li", "ul", "td", "tr", "table", "address", "section"})


def reader_text(element: Any) -> str:
    """An element's text as a reader sees it: breaks at block edges and <br>, else run on."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str):
                block = child.tag in READER_BLOCKS or child.tag == "br"
                parts.append(" " if block else "")
                walk(child)
                parts.append(" " if block else "")
            parts.append(child.tail or "")

    walk(element)
    return collapse("".join(parts))


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def read_like_the_spec(page: DemoPage, site: DemoSite) -> dict[str, object]:
    """Extract a page the way the spec's rules say, independently of the generator."""
    sel = parsel.Selector(text=page.html())
    titles = sel.xpath("//title")
    h1s = (reader_text(h.root) for h in sel.xpath("//h1"))
    internal: list[str] = []
    external: list[str] = []
    socials: list[str] = []
    emails: set[str] = set()
    phones: set[str] = set()
    for encoded in sel.xpath("//@data-cfemail").getall():
        emails.add(decode_cloudflare(encoded))
    for href in sel.xpath("//a/@href").getall():
        scheme = href.split(":", 1)[0].lower()
        if href.startswith("/cdn-cgi/l/email-protection"):
            if "#" in href:  # a disguised mailto link, not a page
                emails.add(decode_cloudflare(href.split("#", 1)[1]))
        elif scheme == "mailto":
            emails.add(href[7:].split("?", 1)[0])
        elif scheme == "tel":
            number = phonenumbers.parse(href[4:], None)
            phones.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        elif scheme != "javascript":
            url = canonical_url(href, page.url)
            host = URL(url).host or ""
            if host in (site.host, site.canonical_host):
                internal.append(url)
            else:
                external.append(url)
                if any(host == d or host.endswith("." + d) for d in SOCIAL_HOSTS):
                    socials.append(href)
    text = " ".join(sel.xpath("//body//text()[not(ancestor::script or ancestor::style)]").getall())
    emails.update(e for e in EMAIL_RE.findall(text) if not e.endswith(ASSET_SUFFIXES))
    for local, domain in SPELLED_RE.findall(text):
        emails.add(local + "@" + DOT_WORD_RE.sub(".", domain))
    for region in ("GB", "US"):  # stray digits must not read as phones in either
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            phones.add(
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            )
    return {
        "title": (collapse("".join(titles[0].xpath(".//text()").getall())) or None)
        if titles
        else None,
        "meta_description": sel.xpath(f"//meta[{LOWER}='description'][1]/@content").get(),
        "h1": tuple(h for h in h1s if h),
        "internal_links": _dedupe(internal),
        "external_links": _dedupe(external),
        "socials": _dedupe(socials),
        "emails": emails,
        "phones": phones,
        "lang": sel.xpath("/html/@lang").get(),
        "canonical": sel.xpath("//link[@rel='canonical']/@href").get(),
    }


def assert_truth_matches_html(page: DemoPage, site: DemoSite) -> None:
    got = read_like_the_spec(page, site)
    for name, value in got.items():
        want = getattr(page, name)
        if name in ("emails", "phones"):
            want = set(want)
        assert value == want, f"{site.host}{page.path}: {name}"


# --------------------------------------------------------------------------- the truth


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


def test_web_shape(demo_web: DemoWeb) -> None:
    kinds = [site.kind for site in demo_web.sites.values()]
    normal = [s for s in demo_web.sites.values() if s.kind in ("normal", "www_redirect")]
    assert 25 <= len(normal) <= 35
    assert all(5 <= len(site.pages) <= 30 for site in normal)
    assert sorted(set(kinds) - {"normal", "www_redirect"}) == sorted(MISBEHAVING_KINDS)
    assert kinds.count("www_redirect") == 1
    assert demo_web.demo_domains() == list(demo_web.sites)
    assert all(host.endswith(".test") for host in demo_web.demo_domains())
    assert {"acme-plumbing.test", "northwind-bakery.test"} <= set(demo_web.sites)
    www = demo_web.by_kind("www_redirect")
    assert www.canonical_host == f"www.{www.host}"
    assert demo_web.site(f"WWW.{www.host}:80") is www
    with pytest.raises(KeyError):
        demo_web.site("nowhere.test")
    # Fictional numbers only, each used by one site.
    owners: dict[str, str] = {}
    for site in normal:
        for page in site.pages.values():
            for phone in page.phones:
                assert re.fullmatch(r"\+(442079460\d{3}|120255501\d{2}|4930901820\d{2})", phone)
                assert owners.setdefault(phone, site.host) == site.host
    features = {
        "robots": any(s.robots_txt and s.disallowed_prefixes for s in normal),
        "sitemap": any(s.sitemap_only_paths for s in normal),
        "broken": any(s.broken_paths for s in normal),
        "two_h1": any(len(p.h1) > 1 for s in normal for p in s.pages.values()),
        "mailto_subject": any("?subject=" in p.html() for s in normal for p in s.pages.values()),
        "social": any(p.socials for s in normal for p in s.pages.values()),
    }
    assert all(features.values()), features


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


def test_sitemap_only_pages_are_not_linked(demo_web: DemoWeb) -> None:
    with_sitemaps = [s for s in demo_web.sites.values() if s.sitemap_only_paths]
    assert with_sitemaps
    for site in with_sitemaps:
        linked = {link for page in site.pages.values() for link in page.internal_links}
        for path in site.sitemap_only_paths:
            assert site.pages[path].status == 200
            assert site.url(path) not in linked
            assert path not in site.reachable_paths(use_sitemaps=False)
            assert path in site.reachable_paths()


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
        with pytest.raises(TimeoutError):
            await server.wait_until(lambda s: s.total_requests > 4, timeout=0.05)
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


def test_perf_web_pages_are_reachable_breadth_first() -> None:
    web = build_perf_web(200, 50, page_bytes=3_000)
    for host in ("perf-0001.test", "perf-0117.test", "perf-0200.test"):
        site = web.site(host)
        depth = {"/": 0}
        frontier = ["/"]
        while frontier:
            path = frontier.pop(0)
            for link in site.pages[path].internal_links:
                target = site.path_of(link)
                assert target is not None and target in site.pages
                if target not in depth:
                    depth[target] = depth[path] + 1
                    frontier.append(target)
        assert len(depth) == 50
        assert max(depth.values()) <= 3
    assert build_perf_web(3, 4).site("perf-0002.test").pages["/p/3"].title


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
