"""Running what `deploy-config` writes: Debian's caddy, and a systemd unit's command as systemd would.

There is no systemd here to start the units, so `unit_process_spec` reads a
generated unit the way systemd does for what matters to the command itself —
`ExecStart`, `WorkingDirectory`, `Environment=` and `EnvironmentFile=` (read
from the generated file, not from /etc) — and `read_only_project` runs it with
the project directory mounted read-only (as `ProtectSystem=strict` leaves it)
except the unit's `ReadWritePaths`, in a private mount namespace.
"""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockexam.deploy import parse_env_file

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_caddy() -> str:
    """Debian's caddy (`make caddy` installs it); skip without it, fail under CI=true."""
    path = shutil.which("caddy")
    if path is None:
        message = "caddy is not installed (make caddy)"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the Caddy tests must run)")
        pytest.skip(message)
    return path


def caddy_environment(home: Path) -> dict[str, str]:
    """Caddy's certificates, CA and autosave under `home`, not the system's."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


@dataclass(frozen=True)
class UnitProcess:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    read_write_paths: list[Path]


def unit_directives(unit_text: str) -> dict[str, list[str]]:
    """Every `Key=value` of the unit (repeated keys in order); sections are not kept apart."""
    directives: dict[str, list[str]] = {}
    for line in unit_text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        directives.setdefault(key.strip(), []).append(value.strip())
    return directives


def unit_process_spec(unit_text: str, env_file: Path) -> UnitProcess:
    """The command, environment and directory systemd would start the unit's service with."""
    directives = unit_directives(unit_text)
    env = {"LANG": "C.UTF-8"}
    env.update(parse_env_file(env_file.read_text(encoding="utf-8")))
    for assignment in directives.get("Environment", []):
        name, _, value = assignment.partition("=")
        env[name] = value
    (exec_start,) = directives["ExecStart"]
    (cwd,) = directives["WorkingDirectory"]
    writable = [
        Path(path.lstrip("-"))
        for line in directives.get("ReadWritePaths", [])
        for path in line.split()
    ]
    return UnitProcess(shlex.split(exec_start), env, Path(cwd), writable)


def read_only_project(spec: UnitProcess, project: Path) -> list[str]:
    """`spec.argv` in a mount namespace where `project` is read-only but the unit's writable paths."""
    root = shlex.quote(str(project))
    # `mount --bind -o ro` alone leaves the bind writable on some file systems (seen on
    # this machine's /work): the read-only flag is set by the remount.
    binds = [f"mount --bind {root} {root}", f"mount -o remount,bind,ro {root}"]
    for path in spec.read_write_paths:
        if path.is_relative_to(project) and path.exists():
            quoted = shlex.quote(str(path))
            # A bind inside a read-only mount is read-only too until remounted.
            binds.append(f"mount --bind {quoted} {quoted}")
            binds.append(f"mount -o remount,bind,rw {quoted}")
    # cd again: the working directory was taken before the mounts, and relative paths
    # (Reflex's ./uploaded_files) would still reach the writable directory under them.
    script = " && ".join([*binds, 'cd "$PWD"', 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *spec.argv]


def https_request(
    domain: str,
    port: int,
    context: ssl.SSLContext,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    """One request to the site on 127.0.0.1:`port` over TLS (SNI: `domain`).

    The body goes in pieces, and a refusal that cuts it short (Caddy answers and
    closes) still yields the response Caddy sent.
    """
    connection = http.client.HTTPSConnection(domain, port, context=context, timeout=30)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sock = context.wrap_socket(raw, server_hostname=domain)
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in {**(headers or {}), "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for start in range(0, len(body), 256 * 1024):
            connection.send(body[start : start + 256 * 1024])
    except OSError:
        pass  # refused before the end: the answer is already on its way
    return connection.getresponse()
