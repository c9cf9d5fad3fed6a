"""robots.txt (RFC 9309, via protego) and sitemaps (XML, indexes, gzip)."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from parsel import Selector
from protego import Protego

from tui_scraper.engine.http import Response
from tui_scraper.engine.urls import host_of

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 lets crawlers stop parsing past 500 KiB
SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_SITEMAP_FILES = 20
MAX_SITEMAP_URLS = 50_000


@dataclass(slots=True)
class RobotsPolicy:
    """What robots.txt of one host allows, with why."""

    found: bool = False
    # A 5xx or unreachable robots.txt disallows everything (RFC 9309 section 2.3.1.4).
    unreachable: bool = False
    error: str | None = None
    # Nothing answered at all (DNS, refused, timeout): the host is down, not its robots.txt.
    host_down: bool = False
    parser: Protego | None = None
    crawl_delay: float | None = None
    sitemaps: list[str] = field(default_factory=list)

    def allows(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))


def robots_policy(response: Response, user_agent: str) -> RobotsPolicy:
    """The policy that a robots.txt response sets, as RFC 9309 says."""
    status = response.status
    if status is None or status >= 500:
        reason = response.error or f"HTTP {status}"
        return RobotsPolicy(unreachable=True, error=reason, host_down=status is None)
    if status >= 400:
        return RobotsPolicy()  # 4xx: no robots.txt, everything is allowed
    text = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    parser = Protego.parse(text)
    delay = parser.crawl_delay(user_agent)
    return RobotsPolicy(
        found=True,
        parser=parser,
        crawl_delay=float(delay) if delay is not None else None,
        sitemaps=list(parser.sitemaps),
    )


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap or sitemap index, gzip or not."""
    data = _gunzip(body) if body[:2] == b"\x1f\x8b" else body
    if not data.strip():
        return [], []
    try:
        selector = Selector(body=data, type="xml")
    except (ValueError, TypeError):
        return [], []
    selector.remove_namespaces()
    pages = [u.strip() for u in selector.xpath("//urlset/url/loc/text()").getall() if u.strip()]
    children = [
        u.strip() for u in selector.xpath("//sitemapindex/sitemap/loc/text()").getall() if u.strip()
    ]
    return pages[:MAX_SITEMAP_URLS], children


def _gunzip(body: bytes) -> bytes:
    """Decompress at most SITEMAP_MAX_BYTES, so a gzip bomb costs nothing."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return decompressor.decompress(body, SITEMAP_MAX_BYTES)
    except (zlib.error, gzip.BadGzipFile):
        return b""


async def read_sitemaps(
    roots: list[str],
    fetch: Callable[[str], Awaitable[Response]],
    in_scope: Callable[[str], bool],
    limit: int,
) -> tuple[list[str], list[str]]:
    """Page URLs from the sitemaps at `roots`, following indexes breadth-first.

    Returns (page URLs in scope, at most `limit`; the sitemap files that were read).
    """
    pending = [url for url in roots if in_scope(url)]
    read: list[str] = []
    pages: list[str] = []
    seen: set[str] = set(pending)
    while pending and len(read) < MAX_SITEMAP_FILES and len(pages) < limit:
        url = pending.pop(0)
        response = await fetch(url)
        if response.status != 200 or not response.body:
            continue
        read.append(url)
        found, children = parse_sitemap(response.body)
        pages.extend(u for u in found if in_scope(u))
        for child in children:
            if child not in seen and in_scope(child):
                seen.add(child)
                pending.append(child)
    return pages[:limit], read


class RobotsRules:
    """The robots.txt of every host one domain crawl meets, fetched once per host.

    The domain's workers share each fetch; `on_policy` hears of every policy
    learnt (the crawl raises its delay to a Crawl-delay).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[Response]],
        user_agent: str,
        on_policy: Callable[[RobotsPolicy], None],
        *,
        ignore: bool = False,
    ) -> None:
        self._fetch = fetch
        self._user_agent = user_agent
        self._on_policy = on_policy
        self.ignore = ignore
        self.policies: dict[str, RobotsPolicy] = {}
        self._tasks: dict[str, asyncio.Task[RobotsPolicy]] = {}

    @property
    def found(self) -> bool:
        """Whether any host had a robots.txt."""
        return any(policy.found for policy in self.policies.values())

    def sitemaps(self) -> list[str]:
        """The sitemaps every robots.txt read so far names."""
        return [url for policy in self.policies.values() for url in policy.sitemaps]

    def learn(self, host: str, response: Response) -> RobotsPolicy:
        """The policy of `host` from its robots.txt response; a redirect's target gets it too.

        (bare -> www redirects are common: the www robots.txt is then not fetched again.)
        """
        policy = robots_policy(response, self._user_agent)
        landed = host_of(response.final_url)
        if response.redirects and landed and response.status is not None:
            self.policies.setdefault(landed, policy)
        self.policies[host] = policy
        self._on_policy(policy)
        return policy

    def unknown(self, hosts: Iterable[str]) -> set[str]:
        """Those of `hosts` whose robots.txt is not known yet (none when ignored)."""
        return set() if self.ignore else set(hosts) - self.policies.keys()

    async def ensure(self, hosts: Iterable[str], scheme: str) -> None:
        """Know the robots.txt of `hosts`, fetching (once per host) what is not known."""
        for host in self.unknown(hosts):
            task = self._tasks.get(host)
            if task is None:  # workers share one fetch per host
                task = asyncio.ensure_future(self._fetch_one(host, scheme))
                self._tasks[host] = task
            await asyncio.shield(task)

    async def _fetch_one(self, host: str, scheme: str) -> RobotsPolicy:
        response = await self._fetch(f"{scheme}://{host}/robots.txt")
        return self.learn(host, response)

    def allows(self, url: str) -> bool:
        if self.ignore:
            return True
        policy = self.policies.get(host_of(url))
        return policy is None or policy.allows(url, self._user_agent)

    def close(self) -> None:
        """Cancel fetches still under way: they must not outlive their domain."""
        for task in self._tasks.values():
            task.cancel()
