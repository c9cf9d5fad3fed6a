"""The batch's shared HTTP client: one aiohttp session, verified TLS, async DNS, retries.

One `HttpClient` serves every domain of a batch, so connections and DNS answers
are reused. `fetch` follows redirects itself (to record every hop, keep the
domain's cookies and detect loops), reads at most `max_bytes` of a body, and
retries connection errors, 429 and 5xx answers with exponential backoff, jitter
and Retry-After. Failures come back as a person's words naming the host.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from tui_scraper.engine.addresses import AddressPolicy
from tui_scraper.engine.connect import (
    Attempt,
    ConnectToConnector,
    ConnectToRule,
    Network,
    Phase,
    connect_timeout,
    current_attempt,
    tls_context,
)
from tui_scraper.engine.decode import valid_unicode
from tui_scraper.engine.dns import BatchResolver
from tui_scraper.engine.events import Redirect
from tui_scraper.engine.failures import describe_failure, error_text, with_retries
from tui_scraper.settings import Settings, parse_header

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 120.0
CHUNK_SIZE = 64 * 1024
KEEPALIVE_S = 2.0

# What a browser sends for a document (Accept-Language comes from the settings).
DOCUMENT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


@dataclass(slots=True)
class Response:
    """What one fetch returned, after redirects, retries and the body cap."""

    url: str
    final_url: str  # where it ended: the last hop reached, or the one that failed
    redirects: list[Redirect] = field(default_factory=list)
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    size: int = 0
    truncated: bool = False
    elapsed_ms: int = 0
    error: str | None = None
    # Nothing answered at all (refused, reset, no answer in the connect timeout):
    # the cue for https -> http.
    connect_failed: bool = False
    dns_failed: bool = False
    # The certificate or the TLS handshake failed: never retried, never a cue for http.
    tls_failed: bool = False
    # Refused by the private-address rule: the server never saw it, never retried.
    refused: bool = False
    retry_after: float | None = None


RetryHook = Callable[[str, int, float, str], None]
"""Told (url, attempt, wait seconds, reason) before each backoff."""


@dataclass(frozen=True, slots=True)
class Unfollowed:
    """Why a redirect was not followed; `error` None means it is no failure (already seen)."""

    error: str | None


Follow = Callable[[str], Awaitable[Unfollowed | None]]
"""Asked before following a redirect to a URL; None means follow it."""

Gate = Callable[[], Awaitable[None]]
"""Awaited before every request attempt (pause, politeness delay)."""


def request_headers(settings: Settings) -> CIMultiDict[str]:
    """The headers of every request: a browser's for a document, then --header's."""
    headers = CIMultiDict(
        {
            "User-Agent": settings.user_agent,
            "Accept": DOCUMENT_ACCEPT,
            "Accept-Language": settings.accept_language,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
    )
    for header in settings.header:
        name, value = parse_header(header)
        headers[name] = value
    return headers


class HttpClient:
    """The shared session of one batch; make it with `HttpClient.open(settings, network)`."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, resolver: BatchResolver
    ) -> None:
        self.session = session
        self.settings = settings
        self._resolver = resolver
        self._timeout = aiohttp.ClientTimeout(
            total=settings.timeout, sock_connect=connect_timeout(settings)
        )
        self._headers = request_headers(settings)
        self._env_proxies = {} if settings.proxy else urllib.request.getproxies_environment()
        self._proxy_by_origin: dict[tuple[str, str], str | None] = {}

    def proxy_for(self, url: URL) -> str | None:
        """--proxy, else the proxy the environment names for this URL (NO_PROXY honoured)."""
        if self.settings.proxy is not None or not self._env_proxies:
            return self.settings.proxy
        key = (url.scheme, url.host or "")
        if key not in self._proxy_by_origin:
            proxy = self._env_proxies.get(url.scheme)
            if proxy and urllib.request.proxy_bypass_environment(key[1], self._env_proxies):
                proxy = None
            self._proxy_by_origin[key] = proxy
        return self._proxy_by_origin[key]

    @classmethod
    async def open(
        cls,
        settings: Settings,
        network: Network | None = None,
        named: Iterable[tuple[str, int | None]] = (),
    ) -> HttpClient:
        """The client of one batch; `named` are its domains as (host, port or None).

        Private addresses are refused but for those the user named: `named`, what
        they resolve to, and --connect-to targets (--allow-private lifts the rule).
        """
        network = network or Network()
        policy = AddressPolicy(named, allow_all=settings.allow_private)
        # The proxies the user set are named too, wherever they are.
        proxies = [settings.proxy] if settings.proxy else urllib.request.getproxies_environment()
        for proxy in proxies if isinstance(proxies, list) else proxies.values():
            proxy_url = URL(proxy)
            if proxy_url.host:
                policy.add_named(proxy_url.host, proxy_url.port)
        rules = [ConnectToRule.parse(rule) for rule in (*network.connect_to, *settings.connect_to)]
        resolver = BatchResolver(timeout=settings.dns_timeout, nameservers=network.nameservers)
        connector = ConnectToConnector(
            rules,
            policy,
            limit=0,  # the pool and per-domain workers bound concurrency, not the connector
            resolver=resolver,
            use_dns_cache=False,  # the resolver keeps the batch's answers, failures too
            ssl=tls_context(settings, network),
            # Domains end and never come back: their idle connections must not pile up
            # into thousands of open files on a long batch (aiohttp keeps them 15 s).
            keepalive_timeout=KEEPALIVE_S,
            enable_cleanup_closed=True,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            # Proxy variables are read once, below: aiohttp's trust_env would re-read them,
            # and ~/.netrc, in a thread for every request (a fifth of the crawler's CPU).
            trust_env=False,
            auto_decompress=True,
            # Cookies are kept per domain crawl (see `fetch`), never shared between domains.
            cookie_jar=aiohttp.DummyCookieJar(),
            read_bufsize=CHUNK_SIZE,
        )
        return cls(session, settings, resolver)

    async def close(self) -> None:
        await self.session.close()
        await self._resolver.close()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def fetch(
        self,
        url: str,
        *,
        read_body: Callable[[str | None], bool] = lambda content_type: True,
        gate: Gate | None = None,
        on_retry: RetryHook | None = None,
        follow: Follow | None = None,
        retry_connect_failures: bool = True,
        cookies: aiohttp.CookieJar | None = None,
    ) -> Response:
        """Fetch `url`, following redirects and retrying; never raises for network trouble.

        `read_body(content_type)` says whether to read the body at all; `follow(url)`
        may decline a redirect target (it stays unfetched); `cookies` is the domain
        crawl's jar, sent and filled on every hop.
        With `retry_connect_failures` False, a host that cannot be connected to at all
        is reported at once (the caller falls back from https to http).
        """
        max_retries = self.settings.retries
        attempt = 0
        while True:
            if gate is not None:
                await gate()
            response = await self._fetch_once(url, read_body, follow, cookies)
            if response.connect_failed and not retry_connect_failures:
                return response
            retry_reason, wait = self._retry_decision(response, attempt)
            if retry_reason is None or attempt >= max_retries:
                if attempt and retry_reason is not None and response.error is not None:
                    response.error = with_retries(response.error, attempt)
                return response
            attempt += 1
            if on_retry is not None:
                on_retry(url, attempt, wait, retry_reason)
            await asyncio.sleep(wait)

    def _retry_decision(self, response: Response, attempt: int) -> tuple[str | None, float]:
        backoff = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt) * random.uniform(0.5, 1.5)
        if response.status in RETRY_STATUSES:
            if response.retry_after is not None:
                reason = f"HTTP {response.status}, Retry-After {response.retry_after:g}s"
                return reason, response.retry_after
            return f"HTTP {response.status}", backoff
        if (
            response.status is None
            and response.error
            and not response.dns_failed
            and not response.tls_failed
            and not response.refused
        ):
            return response.error, backoff
        return None, 0.0

    async def _fetch_once(
        self,
        url: str,
        read_body: Callable[[str | None], bool],
        follow: Follow | None,
        cookies: aiohttp.CookieJar | None,
    ) -> Response:
        started = time.perf_counter()
        result = Response(url=url, final_url=url)
        # A hop is a loop when its URL comes back with the same cookies: a cookie
        # wall's redirect to the same URL, with the cookie now set, is not one.
        seen = {(url, _cookie_header(cookies, url))}
        current = url
        attempt = Attempt()
        token = current_attempt.set(attempt)
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                request_url = URL(current, encoded=True)
                result.final_url = current
                attempt.phase = Phase.REQUEST
                headers = self._headers
                cookie = _cookie_header(cookies, request_url)
                if cookie:
                    headers = CIMultiDict(headers)
                    headers["Cookie"] = cookie
                async with self.session.get(
                    request_url,
                    allow_redirects=False,
                    timeout=self._timeout,
                    headers=headers,
                    proxy=self.proxy_for(request_url),
                ) as resp:
                    result.status = resp.status
                    if cookies is not None and "Set-Cookie" in resp.headers:
                        cookies.update_cookies(resp.cookies, resp.url)
                    location = resp.headers.get("Location")
                    redirected = resp.status in REDIRECT_STATUSES and bool(location)
                    if not redirected:
                        await self._finish_response(resp, result, read_body)
                        return result
                # The redirect's connection is released before anything else is asked
                # (robots.txt of the target, say), so one caller holds one connection.
                target = _redirect_target(current, location or "")
                result.redirects.append({"url": current, "status": result.status or 0})
                if target is None:
                    result.error = error_text("redirect to an invalid URL", request_url.host)
                    return result
                key = (target, _cookie_header(cookies, target))
                if key in seen:
                    result.error = f"redirect loop back to {target}"
                    return result
                if URL(target).scheme not in ("http", "https"):
                    result.error = f"redirect to unsupported URL {target}"
                    return result
                decision = await follow(target) if follow is not None else None
                if decision is not None:
                    result.final_url = target
                    result.error = decision.error
                    return result
                seen.add(key)
                current = target
            result.error = f"too many redirects (more than {MAX_REDIRECTS})"
            return result
        except Exception as error:
            failure = describe_failure(
                error, URL(result.final_url).host, attempt.phase, self.settings
            )
            if failure is None:
                raise
            if not failure.answered:
                result.status = None
            result.error = failure.error
            result.connect_failed = failure.connect_failed
            result.dns_failed = failure.dns_failed
            result.tls_failed = failure.tls_failed
            result.refused = failure.refused
        finally:
            current_attempt.reset(token)
            result.elapsed_ms = round((time.perf_counter() - started) * 1000)
        return result

    async def _finish_response(
        self,
        resp: aiohttp.ClientResponse,
        result: Response,
        read_body: Callable[[str | None], bool],
    ) -> None:
        """Record a final (non-redirect) response and read its body if wanted."""
        content_type = resp.headers.get("Content-Type")
        result.content_type = valid_unicode(content_type) if content_type is not None else None
        if resp.status in RETRY_STATUSES:
            result.retry_after = _retry_after_seconds(resp.headers.get("Retry-After"))
        if resp.status >= 400:
            result.error = f"HTTP {resp.status}"
        if read_body(result.content_type):
            await self._read_body(resp, result)
        else:
            result.size = resp.content_length or 0  # as announced, unread
            resp.close()  # not reading it: do not pay for the rest of the transfer

    async def _read_body(self, resp: aiohttp.ClientResponse, result: Response) -> None:
        limit = self.settings.max_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(CHUNK_SIZE):
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                if size > limit or not resp.content.at_eof():
                    result.truncated = True
                    resp.close()  # drop the connection: the server sees the cut
                break
        body = b"".join(chunks)
        result.body = body[:limit]
        result.size = len(result.body)


def _cookie_header(cookies: aiohttp.CookieJar | None, url: str | URL) -> str:
    """The Cookie header the jar sends to `url` ("" when none)."""
    if cookies is None or not len(cookies):
        return ""  # the common case: no URL parsed
    found = cookies.filter_cookies(url if isinstance(url, URL) else URL(url, encoded=True))
    return "; ".join(f"{name}={morsel.coded_value}" for name, morsel in found.items())


def _redirect_target(current: str, location: str) -> str | None:
    """The absolute URL a Location header points to, fragment dropped; None if unusable."""
    try:
        return str(URL(current).join(URL(valid_unicode(location))).with_fragment(None))
    except (ValueError, TypeError):
        return None


def _retry_after_seconds(header: str | None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date), capped."""
    if not header:
        return None
    seconds: float | None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
            seconds = when.timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = None
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)
