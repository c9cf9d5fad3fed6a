"""The demo web's DNS server (UDP on loopback): its names resolve to 127.0.0.1.

The crawler's async resolver is pointed here in demos and tests, so the whole
lookup path is real. A name the web does not know gets NXDOMAIN at once; names
under `silent-dns.test` get no answer at all, like a resolver that hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from dnslib import QTYPE, RCODE, RR, A, DNSRecord

SILENT_DNS_HOST = "silent-dns.test"
ANSWER_TTL_S = 60


class DemoDnsProtocol(asyncio.DatagramProtocol):
    """Answers A queries for names `knows(name)` accepts; AAAA queries get no address."""

    def __init__(self, knows: Callable[[str], bool], address: str) -> None:
        self._knows = knows
        self._address = address
        self._transport: asyncio.DatagramTransport | None = None
        self.queries: list[str] = []  # every name asked, in order (for tests)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = DNSRecord.parse(data)
        except Exception:  # not DNS: a real server ignores it too
            return
        name = str(query.q.qname).rstrip(".").lower()
        self.queries.append(name)
        if name == SILENT_DNS_HOST or name.endswith("." + SILENT_DNS_HOST):
            return  # never answered: the client's timeout decides
        reply = query.reply()
        if not self._knows(name):
            reply.header.rcode = RCODE.NXDOMAIN
        elif query.q.qtype == QTYPE.A:
            reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A(self._address), ttl=ANSWER_TTL_S))
        if self._transport is not None:
            self._transport.sendto(reply.pack(), addr)


async def start_dns_server(
    knows: Callable[[str], bool], host: str = "127.0.0.1"
) -> tuple[asyncio.DatagramTransport, DemoDnsProtocol]:
    """Serve DNS on host (a free UDP port); the transport's sockname has the port."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: DemoDnsProtocol(knows, host), local_addr=(host, 0)
    )
    return transport, protocol
