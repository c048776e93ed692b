"""`make run-scale`'s supervisor: what it starts and the database it prepares."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from mockexam import scaleserver
from tests.conftest import PG_BASE_URL, require_postgres


def test_child_specs_run_two_consumers_and_only_one_periodic() -> None:
    specs = {
        s.name: s for s in scaleserver.child_specs(port=3001, workers=4, telegram_enabled=False)
    }

    assert list(specs) == ["backend", "worker", "worker-2"]
    assert specs["backend"].argv[-5:] == ["backend", "--port", "3001", "--workers", "4"]
    assert "--no-periodic" not in specs["worker"].argv
    assert specs["worker-2"].argv[-1] == "--no-periodic"
    with_bot = scaleserver.child_specs(port=3001, workers=2, telegram_enabled=True)
    assert [s.name for s in with_bot][-1] == "bot"


def test_scale_environment_defaults_to_the_local_servers_and_refuses_sqlite() -> None:
    env = scaleserver.scale_environment({"PATH": "/usr/bin"})

    assert env["DATABASE_URL"] == scaleserver.DEFAULT_DATABASE_URL
    assert env["REDIS_URL"] == scaleserver.DEFAULT_REDIS_URL
    given = scaleserver.scale_environment(
        {"DATABASE_URL": "postgresql+psycopg://u@db/x", "REDIS_URL": "redis://r/1"}
    )
    assert (given["DATABASE_URL"], given["REDIS_URL"]) == (
        "postgresql+psycopg://u@db/x",
        "redis://r/1",
    )
    with pytest.raises(SystemExit, match="PostgreSQL"):
        scaleserver.scale_environment({"DATABASE_URL": "sqlite:///x.db"})


@pytest.mark.postgres
def test_ensure_database_creates_a_missing_database_once() -> None:
    require_postgres()
    name = f"mockexam_scale_{uuid.uuid4().hex[:8]}"
    url = PG_BASE_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        assert scaleserver.ensure_database(url) is True
        assert scaleserver.ensure_database(url) is False
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == name
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load_bench():
    import importlib.util
    import sys

    from mockexam.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location(
        "load_bench", PROJECT_ROOT / "bench" / "load_bench.py"
    )
    bench = importlib.util.module_from_spec(spec)
    sys.modules["load_bench"] = bench  # its dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["load_bench"]
    return bench


def test_the_bench_runs_as_many_backend_workers_as_run_scale_by_default():
    from mockexam import scaleserver

    assert _load_bench().DEFAULT_BACKEND_WORKERS == scaleserver.DEFAULT_BACKEND_WORKERS >= 1


def test_the_bench_counts_each_parts_cpu_per_process_as_processes_come_and_go():
    """A connection that opens counts from its first sample, one that ends stops
    counting (no negative share), and the window is the samples inside it."""
    bench = _load_bench()
    tick = bench.CLK_TCK
    samples = [
        (0.0, {"postgres": {1: 0, 2: 5 * tick}}),
        (1.0, {"postgres": {1: tick // 2, 2: 5 * tick}}),  # 1 used half a core
        (2.0, {"postgres": {1: tick, 3: 9 * tick}}),  # 2 ended; 3 is new (its past not ours)
        (3.0, {"postgres": {1: tick, 3: 9 * tick + tick // 4}}),
        (9.0, {"postgres": {1: 7 * tick, 3: 9 * tick + tick // 4}}),  # outside the window
    ]
    cpu = bench._part_cpu(samples, {"w": (0.0, 3.0), "empty": (4.0, 5.0)})
    assert cpu == {"w": {"postgres": 100.0 * (1 + 0.25) / 3}}


def test_sheet_save_threads_share_the_database_connections_among_the_workers():
    from mockexam.scaleserver import SAVE_CONNECTIONS, save_threads_for

    assert save_threads_for(1) == save_threads_for(2) == 24
    assert save_threads_for(3) == 16 and save_threads_for(4) == 12
    assert save_threads_for(64) == 4  # never fewer than 4
    assert all(save_threads_for(w) * w <= SAVE_CONNECTIONS for w in range(1, 13))


def test_the_backend_caps_connections_far_above_two_per_exam_tab(monkeypatch):
    """run_backend hands Granian our connection cap (its backpressure), not its default."""
    import granian.server

    from mockexam import scaleserver

    seen: dict = {}

    class FakeServer:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def serve(self):
            seen["served"] = True

    monkeypatch.setattr(granian.server, "Server", FakeServer)
    monkeypatch.setattr(
        "reflex.utils.exec.get_app_instance_from_file", lambda: "mockexam.mockexam:app"
    )
    monkeypatch.setattr("reflex.utils.exec._preload_for_fork", lambda _target: True)
    monkeypatch.delenv("MOCKEXAM_CONNECTIONS_PER_WORKER", raising=False)
    saved = dict(os.environ)  # run_backend sets Reflex's variables for its workers
    try:
        scaleserver.run_backend(port=3999, workers=2)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert seen["served"] and seen["workers"] == 2
    # The app with the answer-sheet saves in front (mockexam.mockexam.scale_app).
    assert seen["target"] == "mockexam.mockexam:scale_app" and seen["factory"] is True
    # A websocket and a keep-alive save connection per tab: 5,000 tabs on one worker fit.
    assert seen["backpressure"] == scaleserver.CONNECTIONS_PER_WORKER >= 2 * 5_000
    assert seen["backpressure"] > seen["backlog"] // seen["workers"]  # Granian's default

    monkeypatch.setenv("MOCKEXAM_CONNECTIONS_PER_WORKER", "50000")
    assert scaleserver.connections_per_worker() == 50_000
    for bad in ("many", "12", "-1", "2000000"):
        monkeypatch.setenv("MOCKEXAM_CONNECTIONS_PER_WORKER", bad)
        with pytest.raises(SystemExit, match="MOCKEXAM_CONNECTIONS_PER_WORKER"):
            scaleserver.connections_per_worker()


_TINY_ASGI = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            done = message["type"].replace(".startup", ".startup.complete").replace(
                ".shutdown", ".shutdown.complete")
            await send({"type": done})
            if "shutdown" in done:
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""
_SERVE = """
import sys
from granian.constants import Interfaces
from granian.server import Server
Server("tinyapp:app", address="127.0.0.1", port=int(sys.argv[1]), interface=Interfaces.ASGI,
       workers=1, backpressure=int(sys.argv[2])).serve()
"""


@pytest.mark.parametrize("cap", [8, 64])
def test_granian_backpressure_is_a_cap_on_open_connections(tmp_path, cap):
    """Why the cap above matters: idle keep-alive connections hold Granian's slots."""
    import socket
    import subprocess
    import sys
    import time

    (tmp_path / "tinyapp.py").write_text(_TINY_ASGI)
    (tmp_path / "serve.py").write_text(_SERVE)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "serve.py", str(port), str(cap)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    idle: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "granian did not start"
                time.sleep(0.2)
        time.sleep(0.5)  # the probe's own slot is given back
        request = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
        for _ in range(8):  # eight clients that keep their connection open, idle
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(request)
            assert conn.recv(64).startswith(b"HTTP/1.1 200")
            idle.append(conn)
        ninth = socket.create_connection(("127.0.0.1", port), timeout=3)
        idle.append(ninth)
        ninth.sendall(request)
        try:
            answered = ninth.recv(64).startswith(b"HTTP/1.1 200")
        except TimeoutError:
            answered = False
        assert answered == (cap > 8)
    finally:
        for conn in idle:
            conn.close()
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("command", ["backend", "serve"])
def test_without_redis_the_backend_refuses_more_than_one_worker(monkeypatch, command):
    """The in-memory state manager lives in one process: a second worker would not know
    the tabs of the first."""
    monkeypatch.setattr(scaleserver.settings, "redis_url", None)
    with pytest.raises(SystemExit, match="--workers 1"):
        scaleserver.main([command, "--port", "3999", "--workers", "2"])
