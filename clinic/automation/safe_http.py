"""Outgoing HTTP that an admin-typed address can't turn against the clinic's own network.

A webhook's host could name this server, the office network or a cloud metadata service, in any
spelling the resolver accepts (``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]`` …). So the
host is resolved, every address it names must be allowed, and the connection then goes to one
of those checked addresses — never to the name looked up again, which DNS could answer
differently in between (DNS rebinding). TLS still checks the certificate against the name, and
the Host header carries the name.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

# Imported by name so tests can stand in for DNS in this module without touching the process.
from socket import getaddrinfo

IPAddress = IPv4Address | IPv6Address

# Where a clinic's own receiver may sit; reachable only when WEBHOOK_ALLOW_PRIVATE is on.
OWN_NETWORKS = tuple(
    ip_network(network)
    for network in (
        "127.0.0.0/8",  # this server
        "::1/128",
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # shared address space: carrier NAT, also VPN meshes such as Tailscale
        "fc00::/7",  # unique local IPv6
    )
)
# Cloud instance metadata services hand out credentials: never, whatever the setting. Two of
# them sit inside networks listed above (Alibaba's in 100.64/10, AWS's IPv6 one in fc00::/7).
CLOUD_METADATA = frozenset(
    ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
# Special-purpose blocks that are not public destinations (IANA registries). ipaddress's
# is_global misses some of them in the Python versions we support (multicast, fec0::/10,
# 64:ff9b:1::/48, IPv4-compatible ::a.b.c.d), so the list is checked as well.
SPECIAL_PURPOSE = tuple(
    ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/8",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
# IPv6 prefixes that carry an IPv4 address a gateway will connect to: judged by that address.
NAT64_WELL_KNOWN = ip_network("64:ff9b::/96")


class AddressNotAllowed(Exception):
    """The host is, or resolves to, an address outgoing requests may not go to."""


class HostNotFound(Exception):
    """The host name does not resolve (now): a typing mistake, or DNS is down."""


def _carried_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address a NAT64 or 6to4 address will reach, if it is one."""
    if not isinstance(address, IPv6Address):
        return None
    if address in NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.sixtofour


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet, in none of the special-purpose blocks."""
    carried = _carried_ipv4(address)
    if carried is not None:
        return is_public(carried)
    return address.is_global and not any(address in network for network in SPECIAL_PURPOSE)


def is_allowed(address: IPAddress, *, allow_private: bool) -> bool:
    """May an outgoing request connect to ``address``?

    Public addresses always; with ``allow_private`` also this server and the private networks
    in OWN_NETWORKS. Link-local, multicast, reserved, unspecified and cloud metadata never.
    """
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in CLOUD_METADATA:
        return False
    if allow_private and any(address in network for network in OWN_NETWORKS):
        return True
    return is_public(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` names now, in the resolver's order; an IPv4-mapped one as IPv4.

    :raise HostNotFound: the name does not resolve.
    """
    try:
        answers = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise HostNotFound(host) from error
    addresses: list[IPAddress] = []
    for *_, sockaddr in answers:
        address = ip_address(sockaddr[0])
        if isinstance(address, IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(host)
    return addresses


def vetted_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, every one of them allowed.

    One forbidden address refuses the host: which of its answers a connection would get is up
    to the resolver and the network, not to us.

    :raise HostNotFound: the name does not resolve.
    :raise AddressNotAllowed: some address it names is not allowed.
    """
    addresses = resolve(host, port)
    if not all(is_allowed(address, allow_private=allow_private) for address in addresses):
        raise AddressNotAllowed(host)
    return addresses


def open_socket(addresses: list[IPAddress], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers, without any name lookup.

    :raise OSError: none answered (the last failure; TimeoutError if that one timed out).
    """
    failure: OSError = OSError("no address to connect to")
    for address in addresses:
        family = socket.AF_INET if address.version == 4 else socket.AF_INET6
        connection = socket.socket(family, socket.SOCK_STREAM)
        try:
            connection.settimeout(timeout)
            connection.connect((str(address), port))
        except OSError as error:
            connection.close()
            failure = error
        else:
            return connection
    raise failure


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP that connects to checked addresses, with the host name in the Host header."""

    def __init__(self, host: str, port: int, addresses: list[IPAddress], *, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = open_socket(self.addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to checked addresses; SNI and the certificate check use the host name."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: list[IPAddress],
        *,
        timeout: float,
        tls: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=timeout, context=tls)
        self.addresses = addresses
        self.tls = tls

    def connect(self) -> None:
        raw = open_socket(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def pinned_connection(
    scheme: str,
    host: str,
    port: int,
    addresses: list[IPAddress],
    *,
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> http.client.HTTPConnection:
    """A connection for one request to ``host`` that can only reach ``addresses``.

    Nothing here follows redirects: http.client returns a 3xx as it is.
    """
    if scheme == "https":
        return PinnedHTTPSConnection(
            host, port, addresses, timeout=timeout, tls=tls or ssl.create_default_context()
        )
    return PinnedHTTPConnection(host, port, addresses, timeout=timeout)
