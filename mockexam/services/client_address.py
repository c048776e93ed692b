"""The address of the client behind a request, for throttling and the audit log.

Behind a reverse proxy every connection comes from the proxy; the client's own
address is in `X-Forwarded-For`, which anyone can also send. So the header is read
only when the connection comes from a trusted proxy (`TRUSTED_PROXIES`, default:
nobody), and then from the right: each proxy appends the address it saw, so the
right end is written by our own proxies and the left end by whoever sent the
request. The first address from the right that is not itself a trusted proxy is
the client; everything to its left is the client's own claim and ignored.

Loopback is not trusted by default: in development nothing stands in front of the
app, and a local process (or anything that forwards to localhost without cleaning
the header) would otherwise pick any address it likes, e.g. the real admin's, to
spend that address's sign-in attempts. The going-live layout (mockexam/deploy.py:
Caddy on the same machine) writes `TRUSTED_PROXIES=127.0.0.1,::1` into its env file.

Malformed entries (not an IP address) are skipped, and only the last
`MAX_HEADER_CHARS` characters of the header are read: the right end is the part
that can be trusted, the left end can be made arbitrarily long by the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from mockexam.config import IPNetwork, parse_trusted_proxies, settings
from mockexam.parsing import is_ascii_digits

MAX_ADDRESS_CHARS = 64
MAX_HEADER_CHARS = 2048
MAX_HOPS = 32  # addresses examined from the right before giving up
HEADER = "x-forwarded-for"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(text: str) -> tuple[IPNetwork, ...]:
    try:
        return parse_trusted_proxies(text)
    except ValueError:  # settings refuse such a value at start-up; never trust on a typo
        return ()


def trusted_networks() -> tuple[IPNetwork, ...]:
    """The networks of TRUSTED_PROXIES (read each time: tests and reloads change it)."""
    return _networks(settings.trusted_proxies or "")


def parse_address(value: str) -> IPAddress | None:
    """An IP address from a peer or header entry, or None.

    Accepts `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443` and
    `1.2.3.4:5678` (some proxies add the port); an IPv4-mapped IPv6 address is
    its IPv4 address, so one client has one spelling.
    """
    value = value.strip()
    if not value or len(value) > MAX_ADDRESS_CHARS:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or (end + 1 < len(value) and not _is_port_suffix(value[end + 1 :])):
            return None
        value = value[1:end]
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
        if not _is_port_suffix(":" + port):
            return None
        value = host
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port_suffix(text: str) -> bool:
    port = text[1:]
    return text.startswith(":") and is_ascii_digits(port) and len(port) <= 5 and int(port) < 65536


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def _forwarded_for(headers: Mapping[str, str] | None) -> str:
    """Every X-Forwarded-For value (several header lines joined in order), the right end kept."""
    if not headers:
        return ""
    values: list[str] = []
    getlist = getattr(headers, "getlist", None) or getattr(headers, "get_all", None)
    if callable(getlist):  # Starlette's Headers, email.Message: repeated lines
        values = [v for v in getlist(HEADER) if isinstance(v, str)]
    else:
        for key, value in headers.items():
            if (
                isinstance(key, str)
                and isinstance(value, str)
                and key.lower().replace("_", "-") == HEADER
            ):
                values.append(value)
    return ",".join(values)[-MAX_HEADER_CHARS:]


def client_address(peer: str | None, headers: Mapping[str, str] | None = None) -> str:
    """The client's address: `peer` (the TCP peer) unless it is a trusted proxy.

    From a trusted proxy: the first address in `X-Forwarded-For`, read from the
    right, that is not a trusted proxy; if every one is (or there is none), the
    left-most trusted address seen, i.e. the proxy talking on its own behalf.
    """
    raw_peer = (peer or "").strip()[:MAX_ADDRESS_CHARS]
    peer_address = parse_address(raw_peer)
    if peer_address is None:
        return raw_peer or "unknown"
    networks = trusted_networks()
    if not networks or not _is_trusted(peer_address, networks):
        return str(peer_address)
    client = peer_address
    for hop, entry in enumerate(reversed(_forwarded_for(headers).split(","))):
        if hop >= MAX_HOPS:
            break
        address = parse_address(entry)
        if address is None:
            continue  # malformed (or the cut-off left end): ignored
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)
