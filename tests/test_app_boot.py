"""The Reflex app boots, and its home page state really reads the database.

Fast tests import and compile the app in-process and run the page's load
handler against a fresh database. The slow one runs `reflex run --env prod`
like `make run` does (bun from .tools/, a fresh build directory), fetches the
page and the backend's /ping, and hydrates the page over the websocket the
way a browser does, checking the numbers come from the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import Session

from mockexam.config import PROJECT_ROOT, settings
from mockexam.db import dispose_engines, session_scope, utcnow
from mockexam.devserver import TOOLS_BIN, reflex_command, reflex_environment
from mockexam.mockexam import app
from mockexam.student.home import HomeState
from tests.factories import make_exam, make_student

IN_CI = os.environ.get("CI", "").lower() == "true"
APP_START_TIMEOUT = 240.0


def _home_state() -> HomeState:
    """A HomeState inside a fresh root state, as the state manager builds it."""
    root = rx.State(_reflex_internal_init=True)
    home = root.get_substate(HomeState.get_full_name().split(".")[1:])
    assert isinstance(home, HomeState)
    return home


def test_app_compiles_with_home_route() -> None:
    app._compile(dry_run=True, use_rich=False)
    assert "index" in app._pages


def test_home_state_load_reads_the_database(db: Session) -> None:
    make_student(db)
    make_student(db)
    make_student(db)
    make_exam(db, title="Weekly mock #7", start=utcnow() + timedelta(hours=5))
    db.commit()
    home = _home_state()

    asyncio.run(HomeState.load.fn(home))

    assert home.loaded
    assert not home.unavailable
    assert home.student_count == 3
    assert home.has_exam
    assert home.exam_title == "Weekly mock #7"
    assert not home.exam_is_open
    assert 5 * 3600 - 60 < home.seconds_until_start <= 5 * 3600
    assert home.window_start_iso.endswith("Z")


def test_home_state_load_without_exams_says_so(db: Session) -> None:
    home = _home_state()

    asyncio.run(HomeState.load.fn(home))

    assert home.loaded
    assert not home.has_exam
    assert home.student_count == 0


def test_home_state_load_reports_an_unreadable_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'no-tables.db'}")
    home = _home_state()
    try:
        asyncio.run(HomeState.load.fn(home))
    finally:
        dispose_engines()

    assert home.loaded
    assert home.unavailable


# --- the real server ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.fixture
def prod_server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`reflex run --env prod` on a free port and a fresh build dir; killed afterwards."""
    if not (TOOLS_BIN / "bun").exists():
        message = "bun is not installed in .tools/ (run `make install`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    web_dir = tmp_path / "web"
    env = reflex_environment()
    env.update(
        DATABASE_URL=sqlite_url,
        REFLEX_WEB_WORKDIR=str(web_dir),
        REFLEX_STATES_WORKDIR=str(tmp_path / "states"),
    )
    log_path = tmp_path / "reflex.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            reflex_command("prod", port=port),
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"reflex exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if _get(f"http://127.0.0.1:{port}/ping")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer in {APP_START_TIMEOUT:.0f}s:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield port, web_dir
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _hydrate_home(port: int, web_dir: Path) -> dict[str, object]:
    """Open `/`'s websocket as a browser does and return HomeState's vars after on_load."""
    from simple_websocket import Client

    context = (web_dir / "utils" / "context.jsx").read_text()
    hashes = json.loads(re.search(r"initialStateHashes = (\[.*?\])", context).group(1))  # type: ignore[union-attr]
    schema = re.search(r'stateSchema = "(\w+)"', context).group(1)  # type: ignore[union-attr]
    home_key = HomeState.get_full_name()
    ws = Client.connect(
        f"ws://127.0.0.1:{port}/_event/?token={uuid.uuid4()}&EIO=4&transport=websocket"
    )
    try:
        # Engine.io's open packet; 30 s like the hydrate below (one full-suite run here
        # saw no open packet within 10 s, the same test alone and under load took < 1 s).
        opened = ws.receive(timeout=30)
        assert opened is not None, "no engine.io open packet within 30 s"
        assert opened.startswith("0{")
        hydrate = {
            "event": {
                "name": f"{rx.State.get_full_name()}.hydrate_and_load",
                "payload": {"hashes": hashes},
                "router_data": {"pathname": "/", "asPath": "/"},
            },
            "state_schema": schema,
        }
        ws.send("40/_event," + json.dumps(hydrate))
        home: dict[str, object] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not home.get("loaded_rx_state_"):
            message = ws.receive(timeout=10)
            if message is None:
                break
            if message == "2":  # engine.io ping
                ws.send("3")
            elif message.startswith("42/_event,"):
                _, payload = json.loads(message.removeprefix("42/_event,"))
                home.update(payload.get("delta", {}).get(home_key, {}))
        return home
    finally:
        ws.close()


@pytest.mark.slow
def test_prod_server_serves_home_page_from_the_database(
    prod_server: tuple[int, Path],
) -> None:
    port, web_dir = prod_server
    with session_scope() as db:
        for _ in range(4):
            make_student(db)
        make_exam(db, title="Boot check exam", start=utcnow() + timedelta(days=1))

    assert _get(f"http://127.0.0.1:{port}/ping") == (200, '"pong"')
    status, html = _get(f"http://127.0.0.1:{port}/")
    assert status == 200
    assert "<title>mockexam</title>" in html

    home = _hydrate_home(port, web_dir)

    assert home.get("loaded_rx_state_") is True
    assert home.get("student_count_rx_state_") == 4
    assert home.get("exam_title_rx_state_") == "Boot check exam"
