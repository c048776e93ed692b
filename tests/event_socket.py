"""The ASGI scope of a browser's websocket to Reflex's /_event endpoint (in-process tests)."""

from __future__ import annotations

from typing import Any


def event_socket_scope(origin: str) -> dict[str, Any]:
    """A websocket handshake to /_event from a page at `origin`, as Socket.IO's client sends it."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": "/_event/",
        "raw_path": b"/_event/",
        "root_path": "",
        "query_string": b"EIO=4&transport=websocket",
        "scheme": "ws",
        "headers": [
            (b"host", b"localhost:8000"),
            (b"origin", origin.encode()),
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
    }
