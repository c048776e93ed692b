"""Shared by the /health, doctor and banner tests: a migrated database, beats, small servers."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from mockexam import db as db_module
from mockexam.config import PROJECT_ROOT
from mockexam.db import session_scope, utcnow
from mockexam.services import heartbeat
from tests.conftest import make_database


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrated_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh `kind` database brought to the head migration by Alembic (not create_all)."""
    for url in make_database(kind, tmp_path, create=False):
        command.upgrade(alembic_config(url), "head")
        yield url
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()


def beat_seconds_ago(seconds: float, name: str = heartbeat.SWEEP, detail: str = "") -> None:
    """Record job `name`'s heartbeat as if it ran `seconds` ago."""
    with session_scope() as db:
        heartbeat.beat(db, name, detail=detail, now=utcnow() - timedelta(seconds=seconds))


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Ping(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/ping"
        body = json.dumps("pong" if ok else {"detail": "Not Found"}).encode()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key (openssl), as (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = "subjectAltName=DNS:localhost,IP:127.0.0.1"
    argv = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
    ]
    subprocess.run(
        [*argv, "-addext", san, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def ping_server(tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """An HTTP(S) server on 127.0.0.1 answering `/ping` like the app; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ping)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
