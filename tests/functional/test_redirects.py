"""Redirect rules on a purpose-built site: no refetch of a seen page, robots.txt of the target."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from tests.helpers.demo import run_batch
from tui_scraper.engine.events import DomainStatus, RequestRetrying
from tui_scraper.settings import Settings

HOME = (
    "<html><head><title>Home</title></head><body>"
    '<a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a> <a href="/r">r</a>'
    '<a href="/flaky">f</a></body></html>'
)


@asynccontextmanager
async def redirect_site() -> AsyncIterator[tuple[int, list[tuple[str, str]]]]:
    """site.test: /a and /c redirect to /b; /r to www.site.test/secret, which www forbids."""
    requests: list[tuple[str, str]] = []
    flaky_hits = 0

    async def handle(request: web.Request) -> web.StreamResponse:
        nonlocal flaky_hits
        host = request.host.split(":")[0]
        requests.append((host, request.path))
        html = "text/html"
        if request.path == "/robots.txt":
            if host.startswith("www."):
                return web.Response(text="User-agent: *\nDisallow: /secret\n")
            return web.Response(status=404)
        if request.path in ("/a", "/c"):
            raise web.HTTPMovedPermanently("/b")
        if request.path == "/r":
            raise web.HTTPFound("http://www.site.test/secret")
        if request.path == "/flaky":
            flaky_hits += 1
            if flaky_hits == 1:
                return web.Response(status=503, headers={"Retry-After": "nan"})
        if request.path == "/":
            return web.Response(text=HOME, content_type=html)
        return web.Response(text=f"<title>{request.path}</title>", content_type=html)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, requests
    finally:
        await runner.cleanup()


async def test_redirects_never_refetch_and_obey_the_targets_robots() -> None:
    async with redirect_site() as (port, requests):
        settings = Settings(connect_to=[f"::127.0.0.1:{port}"], timeout=3, retries=1, per_domain=2)
        async with asyncio.timeout(30):
            run = await run_batch(settings, ["http://site.test/"])
    record = run.records["site.test"]
    assert record["status"] == DomainStatus.DONE
    paths = [path for host, path in requests if host == "site.test"]
    assert paths.count("/b") == 1  # /a and /c land on it: it is fetched once
    assert ("www.site.test", "/robots.txt") in requests  # the target host's robots.txt
    assert ("www.site.test", "/secret") not in requests  # ... and it forbids the target
    assert record["robots"]["disallowed"] >= 1
    retries = [e for e in run.events if isinstance(e, RequestRetrying)]
    assert retries and all(0 <= e.wait_s < 60 and "nan" not in e.reason for e in retries)
    flaky = [p for p in run.pages["site.test"] if p["url"].endswith("/flaky")]
    assert [p["status"] for p in flaky] == [200]
