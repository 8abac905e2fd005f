"""The guard that keeps links found in feeds and pages away from private addresses: which addresses are public, and a
connection pool that connects to public addresses only."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import httpcore2
import httpx2

Site = tuple[str, int | None]  # host name and port as written (None: the scheme's default, so http and https match)
_NAT64 = ip_network("64:ff9b::/96")  # RFC 6052: an IPv4 address behind the well-known translation prefix


def site_of(address: str) -> Site | None:
    try:
        url = httpx2.URL(address)
    except httpx2.InvalidURL:
        return None
    return (url.host, url.port)


def is_public_address(address: IPv4Address | IPv6Address) -> bool:
    """Whether a link may lead to ``address``: not loopback, link-local, private, shared (100.64.0.0/10), multicast,
    unspecified or reserved. An IPv4 address written inside an IPv6 one is judged as itself."""
    if isinstance(address, IPv6Address):
        inner = address.ipv4_mapped or (IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if inner is not None:
            return is_public_address(inner)
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
    special = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(special)


class PrivateAddress(Exception):
    """Raised by the public-only connection pool instead of connecting; ``Fetcher.get`` turns it into LinkRefused."""

    def __init__(self, host: str, address: IPv4Address | IPv6Address) -> None:
        # an IPv4-mapped address is shown as the IPv4 address it is (Python 3.11 writes ::ffff:7f00:2)
        self.host, self.address = host, getattr(address, "ipv4_mapped", None) or address
        super().__init__(f"{host} is at {address}")

    def reason(self, url: str) -> str:
        asked_for = httpx2.URL(url).host == self.host
        where = "the link points at" if asked_for else "it redirected to"
        place = "a private address" if self.host == str(self.address) else f"{self.host}, a private address"
        return (
            f"{where} {place} ({self.address}), which Beatwatch does not follow; "
            "set fetch.allow_private_links if this is your intranet"
        )


class _PublicOnlyBackend(httpcore2.SyncBackend):
    """Opens connections to public addresses only.

    The name is resolved once, every address it has is checked, and the connection goes to a checked address: a
    name that answers with a public address to a check and a private one to the connection (DNS rebinding) gains
    nothing, and any spelling of an address (2130706433, 0x7f.1, [::ffff:127.0.0.1]) is judged by what it resolves to.
    """

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        addresses = _resolve(host, port)
        for address in addresses:
            if not is_public_address(address):
                raise PrivateAddress(host, address)
        failure = httpcore2.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as error:
                failure = error
        raise failure


def _resolve(host: str, port: int) -> list[IPv4Address | IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpcore2.ConnectError(str(error)) from error
    return list(dict.fromkeys(ip_address(sockaddr[0]) for *_, sockaddr in found))


class PublicOnlyTransport(httpx2.HTTPTransport):
    """httpx2's transport over a connection pool built on ``_PublicOnlyBackend``.

    Its pool only ever holds connections to checked addresses, so a kept-alive connection cannot carry a request
    past the check. HTTPTransport takes no network backend, hence the pool is replaced after it is built.
    """

    def __init__(self, limits: httpx2.Limits, tls: ssl.SSLContext) -> None:
        super().__init__(limits=limits, verify=tls)
        self._pool = httpcore2.ConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PublicOnlyBackend(),
        )
