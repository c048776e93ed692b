"""The origins the app's own pages come from: for CORS, the websocket and cross-site checks.

A browser tells the server which page a request comes from (`Origin`, and
`Sec-Fetch-Site`); the admin's cookie is sent by the browser whatever page
asks. So every answer that carries the admin's data (the exports, through
CORS with credentials) and every request that changes the admin's session
(login, logout) is accepted only from the app's own pages:

- the origin of `WEBAPP_URL` (production serves every page from there);
- outside production, the dev servers on this machine: the page on the
  frontend port (3000) and the backend (8000), as `localhost` and
  `127.0.0.1` (`REFLEX_FRONTEND_PORT` / `REFLEX_BACKEND_PORT`, which
  `reflex run` sets for its backend, move them);
- `CORS_ALLOWED_ORIGINS`, comma-separated, for an unusual layout (e.g. the
  panel reached under a second host name).

Another port of the same host is another origin: a page there is refused
(browsers send the cookie to it, since cookies ignore ports).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from mockexam.config import Settings, settings

DEV_HOSTS = ("localhost", "127.0.0.1")
DEFAULT_FRONTEND_PORT = 3000
DEFAULT_BACKEND_PORT = 8000
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL (lower case, default port dropped), else None."""
    if not isinstance(url, str) or not url.isascii() or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else default


def parse_origins(text: str) -> tuple[str, ...]:
    """CORS_ALLOWED_ORIGINS as origins; ValueError naming an entry that is not one."""
    origins: list[str] = []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        origin = origin_of(entry)
        if origin is None or origin != entry.rstrip("/").lower():
            raise ValueError(
                f"CORS_ALLOWED_ORIGINS: {entry[:80]!r} is not an origin "
                "(scheme://host[:port], e.g. https://exam.example.com)"
            )
        origins.append(origin)
    return tuple(origins)


def app_origins(
    config: Settings | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Every origin the app's own pages are served from (see the module's docstring)."""
    config = config or settings
    environ = os.environ if environ is None else environ
    origins: list[str] = []
    own = origin_of(config.webapp_url)
    if own is not None:
        origins.append(own)
    if config.mockexam_env != "production":
        ports = (
            _port(environ, "REFLEX_FRONTEND_PORT", DEFAULT_FRONTEND_PORT),
            _port(environ, "REFLEX_BACKEND_PORT", DEFAULT_BACKEND_PORT),
        )
        origins.extend(f"http://{host}:{port}" for port in ports for host in DEV_HOSTS)
    origins.extend(parse_origins(config.cors_allowed_origins))
    return tuple(dict.fromkeys(origins))
