"""How a batch reaches hosts: --connect-to rules, the resolver, TLS, and the connection facts.

`Network` holds what a run knows about reaching hosts beyond its settings (the
demo web's address, its DNS server and certificate authority): arguments of the
HTTP client, never stored in a batch. `ConnectToConnector` applies curl-style
--connect-to rules and tells each request which phase it is in, so a timeout is
told apart as a DNS timeout, a connect timeout or a slow answer.
"""

from __future__ import annotations

import contextvars
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import ResolveResult

from tui_scraper.engine.addresses import AddressPolicy, PrivateAddressRefused
from tui_scraper.settings import Settings, parse_connect_to


@dataclass(frozen=True, slots=True)
class Network:
    """Connection facts of one run (never settings): extra rules, nameservers, a CA file.

    `connect_to` rules come before the settings' own; `nameservers` ("IP" or
    "IP:PORT") replace the system's; `ca_bundle` replaces --ca-bundle.
    """

    connect_to: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    ca_bundle: str | None = None

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> Network:
        """From the JSON a demo server gives (`connect_to`, `nameservers`, `ca_bundle`)."""
        return cls(
            connect_to=tuple(facts.get("connect_to") or ()),
            nameservers=tuple(facts.get("nameservers") or ()),
            ca_bundle=facts.get("ca_bundle"),
        )


@dataclass(frozen=True, slots=True)
class ConnectToRule:
    """A request for host:port connects to target_host:target_port instead.

    An empty target host keeps the request's host (resolved as usual).
    """

    host: str
    port: int | None
    target_host: str
    target_port: int

    @classmethod
    def parse(cls, rule: str) -> ConnectToRule:
        return cls(*parse_connect_to(rule))

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host) and (self.port is None or self.port == port)


class Phase:
    """Where one request attempt is: looking up, connecting, or past both."""

    DNS = "dns"
    CONNECT = "connect"
    REQUEST = "request"


class Attempt:
    """The phase of the current request attempt, set by the connector and the resolver."""

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase = Phase.REQUEST


# The attempt being made in this task (and in the tasks it starts): a holder, so
# the connector's inner tasks can update it.
current_attempt: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "current_attempt", default=None
)


def _set_phase(phase: str) -> None:
    attempt = current_attempt.get()
    if attempt is not None:
        attempt.phase = phase


class ConnectToConnector(aiohttp.TCPConnector):
    """A TCPConnector that applies --connect-to rules before name resolution.

    URLs, Host headers and TLS server names keep the real host: only the address
    connected to changes, as with curl. IP-address hosts are covered too, which
    a custom resolver alone would miss (aiohttp skips the resolver for them).
    """

    def __init__(
        self, rules: Sequence[ConnectToRule], policy: AddressPolicy, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._rules = tuple(rules)
        self._policy = policy

    async def _create_connection(  # type: ignore[override]
        self, req: Any, traces: Any, timeout: aiohttp.ClientTimeout
    ) -> Any:
        _set_phase(Phase.CONNECT)
        protocol = await super()._create_connection(req, traces, timeout)
        _set_phase(Phase.REQUEST)
        return protocol

    async def _resolve_host(  # type: ignore[override]
        self, host: str, port: int, traces: Any = None
    ) -> list[ResolveResult]:
        self._policy.check_host(host, port)  # an address in the URL itself
        lookup = host.lower().rstrip(".")
        rule = next((r for r in self._rules if r.matches(lookup, port)), None)
        if rule is None:
            results = await self._lookup(host, port, traces)
        else:
            target = rule.target_host or host
            found = await self._lookup(target, rule.target_port, traces)
            results = [{**r, "hostname": host} for r in found]  # type: ignore[typeddict-item]
        # A rule's own target host was named by the user: what it resolves to is allowed.
        named_target = rule is not None and bool(rule.target_host)
        addresses = [(r["host"], r["port"]) for r in results]
        kept = self._policy.keep(host, port, addresses, named_target=named_target)
        if not kept and results:
            raise PrivateAddressRefused(results[0]["host"])
        return [results[index] for index in kept]

    async def _lookup(self, host: str, port: int, traces: Any) -> list[ResolveResult]:
        _set_phase(Phase.DNS)
        results = await super()._resolve_host(host, port, traces)
        _set_phase(Phase.CONNECT)  # only once answered: a timeout meanwhile is DNS's
        return results


def connect_timeout(settings: Settings) -> float:
    """TCP and TLS handshake together: the smaller of 10 s and --timeout."""
    return min(10.0, settings.timeout)


def tls_context(settings: Settings, network: Network) -> ssl.SSLContext | bool:
    """What aiohttp verifies certificates with: --ca-bundle, else the system store.

    `ssl.create_default_context()` reads the system store, honouring SSL_CERT_FILE
    and SSL_CERT_DIR; False (no verification) with --insecure.
    """
    if settings.insecure:
        return False
    bundle = network.ca_bundle or settings.ca_bundle
    return ssl.create_default_context(cafile=bundle) if bundle else ssl.create_default_context()


def new_cookie_jar() -> aiohttp.CookieJar:
    """A cookie jar of one domain crawl (IP-address hosts keep cookies too)."""
    return aiohttp.CookieJar(unsafe=True)
