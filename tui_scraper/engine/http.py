"""The batch's shared HTTP client: one aiohttp session, curl-style --connect-to, retries.

One `HttpClient` serves every domain of a batch, so connections and DNS answers
are reused. `fetch` follows redirects itself (to record every hop and detect
loops), reads at most `max_bytes` of a body, and retries connection errors,
429 and 5xx answers with exponential backoff, jitter and Retry-After.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import socket
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import ResolveResult
from yarl import URL

from tui_scraper.engine.events import Redirect
from tui_scraper.settings import Settings, parse_connect_to

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 120.0
CHUNK_SIZE = 64 * 1024
KEEPALIVE_S = 2.0


@dataclass(frozen=True, slots=True)
class ConnectToRule:
    """A request for host:port connects to target_host:target_port instead."""

    host: str
    port: int | None
    target_host: str
    target_port: int

    @classmethod
    def parse(cls, rule: str) -> ConnectToRule:
        return cls(*parse_connect_to(rule))

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host) and (self.port is None or self.port == port)


class ConnectToConnector(aiohttp.TCPConnector):
    """A TCPConnector that applies --connect-to rules before name resolution.

    URLs, Host headers and TLS server names keep the real host: only the address
    connected to changes, as with curl. IP-address hosts are covered too, which
    a custom resolver alone would miss (aiohttp skips the resolver for them).
    """

    def __init__(self, rules: Sequence[ConnectToRule], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rules = tuple(rules)

    async def _resolve_host(  # type: ignore[override]
        self, host: str, port: int, traces: Any = None
    ) -> list[ResolveResult]:
        lookup = host.lower().rstrip(".")
        for rule in self._rules:
            if rule.matches(lookup, port):
                results = await super()._resolve_host(rule.target_host, rule.target_port, traces)
                return [{**r, "hostname": host} for r in results]  # type: ignore[typeddict-item]
        return await super()._resolve_host(host, port, traces)


@dataclass(slots=True)
class Response:
    """What one fetch returned, after redirects, retries and the body cap."""

    url: str
    final_url: str
    redirects: list[Redirect] = field(default_factory=list)
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    size: int = 0
    truncated: bool = False
    elapsed_ms: int = 0
    error: str | None = None
    # True when nothing answered at all (refused, TLS, reset): the cue for https -> http.
    connect_failed: bool = False
    dns_failed: bool = False
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


class HttpClient:
    """The shared session of one batch; make it with `HttpClient.open(settings)`."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout)
        self._headers = {"User-Agent": settings.user_agent}
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
    async def open(cls, settings: Settings) -> HttpClient:
        rules = [ConnectToRule.parse(rule) for rule in settings.connect_to]
        connector = ConnectToConnector(
            rules,
            limit=0,  # the pool and per-domain workers bound concurrency, not the connector
            ttl_dns_cache=300,
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
            cookie_jar=aiohttp.DummyCookieJar(),
            read_bufsize=CHUNK_SIZE,
        )
        return cls(session, settings)

    async def close(self) -> None:
        await self.session.close()

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
    ) -> Response:
        """Fetch `url`, following redirects and retrying; never raises for network trouble.

        `read_body(content_type)` says whether to read the body at all; `follow(url)`
        may decline a redirect target (it stays unfetched).
        With `retry_connect_failures` False, a host that cannot be connected to at all
        is reported at once (the caller falls back from https to http).
        """
        max_retries = self.settings.retries
        attempt = 0
        while True:
            if gate is not None:
                await gate()
            response = await self._fetch_once(url, read_body, follow)
            retry_reason, wait = self._retry_decision(response, attempt)
            if response.connect_failed and not retry_connect_failures:
                return response
            if retry_reason is None or attempt >= max_retries:
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
        if response.status is None and response.error and not response.dns_failed:
            return response.error, backoff
        return None, 0.0

    async def _fetch_once(
        self,
        url: str,
        read_body: Callable[[str | None], bool],
        follow: Follow | None,
    ) -> Response:
        started = time.perf_counter()
        result = Response(url=url, final_url=url)
        seen = {url}
        current = url
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                request_url = URL(current, encoded=True)
                async with self.session.get(
                    request_url,
                    allow_redirects=False,
                    timeout=self._timeout,
                    headers=self._headers,
                    proxy=self.proxy_for(request_url),
                ) as resp:
                    result.final_url = current
                    result.status = resp.status
                    location = resp.headers.get("Location")
                    redirected = resp.status in REDIRECT_STATUSES and bool(location)
                    if not redirected:
                        await self._finish_response(resp, result, read_body)
                        return result
                # The redirect's connection is released before anything else is asked
                # (robots.txt of the target, say), so one caller holds one connection.
                target = str(URL(current).join(URL(location or "")).with_fragment(None))
                result.redirects.append({"url": current, "status": result.status or 0})
                if target in seen:
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
                seen.add(target)
                current = target
            result.error = f"too many redirects (more than {MAX_REDIRECTS})"
            return result
        except TimeoutError:
            result.status = None
            result.error = f"timeout after {self.settings.timeout:g}s"
        except aiohttp.ClientConnectorDNSError:
            result.status = None
            result.error = "DNS lookup failed"
            result.dns_failed = True
        except aiohttp.ClientHttpProxyError as error:
            # The proxy answered but would not tunnel (CONNECT refused): like no https there.
            result.status = None
            result.error = f"proxy refused the connection (HTTP {error.status})"
            result.connect_failed = True
        except aiohttp.ClientProxyConnectionError as error:
            result.status = None
            result.error = f"proxy unreachable: {_os_reason(error)}"
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as error:
            result.status = None
            result.error = f"TLS error: {_short(error)}"
            result.connect_failed = True
        except aiohttp.ClientConnectorError as error:
            result.status = None
            result.error = f"connection failed: {_os_reason(error)}"
            result.connect_failed = True
        except aiohttp.ClientPayloadError:
            result.error = "body incomplete (connection closed early)"
        except (aiohttp.ClientError, ValueError, OSError) as error:
            result.status = None
            result.error = _short(error)
        finally:
            result.elapsed_ms = round((time.perf_counter() - started) * 1000)
        return result

    async def _finish_response(
        self,
        resp: aiohttp.ClientResponse,
        result: Response,
        read_body: Callable[[str | None], bool],
    ) -> None:
        """Record a final (non-redirect) response and read its body if wanted."""
        result.content_type = resp.headers.get("Content-Type")
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


def _os_reason(error: aiohttp.ClientConnectorError) -> str:
    os_error = error.os_error
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(os_error, socket.gaierror):
        return "DNS lookup failed"
    return os_error.strerror or type(os_error).__name__


def _short(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
