"""Which addresses a batch may connect to: never a private one the user did not name.

A redirect, link, robots.txt or sitemap must not lead the crawler to a loopback,
private, link-local, multicast or unspecified address (a cloud's metadata
service, a router's admin page). The check is made on the address a name
resolves to, where connections are made, so a public name that resolves to
10.0.0.5 is refused too. What the user named stays allowed: the batch's own
domains (at their ports, and what they resolve to there) and --connect-to
targets (address and port).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
DEFAULT_PORTS = (80, 443)


class PrivateAddressRefused(OSError):
    """A connection to an address the private-address rule refuses."""

    def __init__(self, address: str) -> None:
        super().__init__(f"refused: private address ({address})")
        self.address = address


def is_private_address(address: str) -> bool:
    """True for loopback, private (RFC 1918, fc00::/7), link-local, multicast, unspecified."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or any(ip in network for network in _PRIVATE_NETWORKS)
    )


def _twin_names(host: str) -> tuple[str, str]:
    bare = host.lower().rstrip(".").removeprefix("www.")
    return bare, f"www.{bare}"


class NamedHosts(list[tuple[str, int | None]]):
    """A batch's named (host, port) pairs with the policy's lookup set made already.

    Made in a thread for a big batch: an `AddressPolicy` given one takes its set as is,
    so 100,000 domains cost the event loop nothing when the batch's client opens.
    """

    def __init__(self, named: Iterable[tuple[str, int | None]]) -> None:
        super().__init__(named)
        self.pairs: set[tuple[str, int]] = {
            (name, each)
            for host, port in self
            for name in _twin_names(host)
            for each in ((port,) if port is not None else DEFAULT_PORTS)
        }


class AddressPolicy:
    """The private-address rule of one batch; `allow_all` is --allow-private."""

    def __init__(
        self, named: Iterable[tuple[str, int | None]] = (), *, allow_all: bool = False
    ) -> None:
        """`named`: the batch's domains as (host, port), port None for both 80 and 443."""
        self.allow_all = allow_all
        self._named: set[tuple[str, int]] = set()
        # (address, port) pairs a named host or a --connect-to target resolved to
        self._allowed: set[tuple[str, int]] = set()
        if isinstance(named, NamedHosts):
            self._named = named.pairs  # made for this one policy: taken, not copied
            return
        for host, port in named:
            self.add_named(host, port)

    def add_named(self, host: str, port: int | None) -> None:
        """Name one of the batch's domains."""
        for name in _twin_names(host):
            for each in (port,) if port is not None else DEFAULT_PORTS:
                self._named.add((name, each))

    def names(self, host: str, port: int) -> bool:
        """Whether the user named host:port (one of the batch's domains)."""
        return (host.lower().rstrip("."), port) in self._named

    def check_host(self, host: str, port: int) -> None:
        """Refuse a URL whose host is itself a private address the user did not name."""
        if self.allow_all or not is_private_address(host):
            return
        if not self.names(host, port):
            raise PrivateAddressRefused(host.strip("[]"))

    def keep(
        self,
        host: str,
        port: int,
        addresses: list[tuple[str, int]],
        *,
        named_target: bool = False,
    ) -> list[int]:
        """The indexes of `addresses` (address, port connected to) that may be used.

        Addresses that a named host, or a --connect-to rule's own target
        (`named_target`), resolves to become allowed at that port for the rest of
        the batch: another name for the same server is the same server.
        """
        if self.allow_all:
            return list(range(len(addresses)))
        named = named_target or self.names(host, port)
        kept = []
        for index, (address, target_port) in enumerate(addresses):
            if named:
                self._allowed.add((address, target_port))
                kept.append(index)
            elif not is_private_address(address) or (address, target_port) in self._allowed:
                kept.append(index)
        return kept
