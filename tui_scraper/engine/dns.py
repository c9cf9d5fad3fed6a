"""Name lookups for one batch: asynchronous (c-ares through aiodns), timed, cached.

A lookup never takes a thread: a resolver that does not answer costs only the
domains that asked it, never the screen or the store's writes, and a name that
does not exist fails at once. Answers, good and bad, are kept for the whole batch,
and one query serves every domain that asks for the same name at once.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

import aiodns
from aiohttp.abc import AbstractResolver, ResolveResult

# c-ares shortens a try's wait to what the server's past answers took, so a server that
# answers other names at once would fail a silent one long before --dns-timeout: it may
# try this often, and the batch's --dns-timeout alone ends the lookup.
_TRIES = 20


class DnsLookupError(OSError):
    """A name that could not be resolved; `reason` is what a person reads."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.reason = reason


NO_SUCH_HOST = "no such host"
DNS_TIMEOUT = "DNS timeout"

_NOT_FOUND = frozenset({aiodns.error.ARES_ENOTFOUND, aiodns.error.ARES_ENODATA})
_TIMED_OUT = frozenset({aiodns.error.ARES_ETIMEOUT, aiodns.error.ARES_ECONNREFUSED})

# (family, address) pairs of one name
_Addresses = list[tuple[int, str]]


class BatchResolver(AbstractResolver):
    """aiohttp's resolver for one batch: `nameservers` ("IP" or "IP:PORT"), else the system's."""

    def __init__(self, *, timeout: float, nameservers: Sequence[str] = ()) -> None:
        self._timeout = timeout
        self._resolver = aiodns.DNSResolver(
            nameservers=list(nameservers) or None, timeout=timeout, tries=_TRIES
        )
        self._lookups: dict[str, asyncio.Task[_Addresses]] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = host.lower().rstrip(".")
        lookup = self._lookups.get(name)
        if lookup is None:
            lookup = asyncio.ensure_future(self._lookup(name))
            self._lookups[name] = lookup
        # Shielded: a domain cancelled mid-lookup must not cancel it for the others.
        addresses = await asyncio.shield(lookup)
        wanted = [(f, a) for f, a in addresses if family in (socket.AF_UNSPEC, f)]
        if not wanted:
            raise DnsLookupError(host, NO_SUCH_HOST)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": found_family,
                "proto": socket.IPPROTO_TCP,
                "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            }
            for found_family, address in wanted
        ]

    async def _lookup(self, name: str) -> _Addresses:
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._resolver.getaddrinfo(
                    name, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM
                )
        except TimeoutError:
            raise DnsLookupError(name, DNS_TIMEOUT) from None
        except aiodns.error.DNSError as error:
            code = error.args[0] if error.args else None
            if code in _NOT_FOUND:
                raise DnsLookupError(name, NO_SUCH_HOST) from None
            if code in _TIMED_OUT:
                raise DnsLookupError(name, DNS_TIMEOUT) from None
            detail = error.args[1] if len(error.args) > 1 else "lookup failed"
            raise DnsLookupError(name, f"DNS error: {detail}") from None
        addresses: _Addresses = []
        for node in result.nodes:
            address = node.addr[0]
            text = address.decode() if isinstance(address, bytes) else str(address)
            if (node.family, text) not in addresses:
                addresses.append((node.family, text))
        return addresses

    async def close(self) -> None:
        for lookup in self._lookups.values():
            lookup.cancel()
        await self._resolver.close()
