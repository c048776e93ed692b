"""The dev supervisor: what it starts, and that stopping leaves no process behind."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from mockexam.config import PROJECT_ROOT, reload_settings
from mockexam.devserver import (
    ChildSpec,
    Supervisor,
    _live_members,
    child_specs,
    reflex_environment,
    reload_paths,
    runtime_paths,
    runtime_paths_in_source,
)


def _supervisor(*specs: ChildSpec, grace: float = 5.0) -> Supervisor:
    return Supervisor(list(specs), reflex_environment(), grace_seconds=grace)


def test_child_specs_start_the_bot_only_with_a_token() -> None:
    without = child_specs("dev", port=3000, telegram_enabled=False)
    with_bot = child_specs("dev", port=3000, telegram_enabled=True)

    assert [spec.name for spec in without] == ["worker", "app"]
    assert [spec.name for spec in with_bot] == ["worker", "app", "bot"]


def test_child_specs_prod_serves_one_port() -> None:
    app = {spec.name: spec for spec in child_specs("prod", port=3123, telegram_enabled=False)}[
        "app"
    ]

    # Built, then served by mockexam.scaleserver's runner with one worker: the in-memory
    # state manager lives in one process, and Granian's connection cap is ours.
    assert app.argv[1:] == [
        "-m",
        "mockexam.scaleserver",
        "serve",
        "--port",
        "3123",
        "--workers",
        "1",
    ]
    dev = {spec.name: spec for spec in child_specs("dev", port=3000, telegram_enabled=False)}
    assert dev["app"].argv[1:] == ["-m", "reflex", "run", "--env", "dev"]


def test_reflex_environment_uses_local_bun_and_only_the_npm_registry() -> None:
    env = reflex_environment({"PATH": "/usr/bin"})

    assert env["PATH"].split(":")[0].endswith(str(Path(".tools/node_modules/.bin")))
    assert env["REFLEX_USE_SYSTEM_BUN"] == "1"
    assert env["NPM_CONFIG_REGISTRY"] == "https://registry.npmjs.org"


def test_stop_kills_whole_process_groups_including_grandchildren() -> None:
    supervisor = _supervisor(
        ChildSpec("tree", ["sh", "-c", "sleep 60 & sleep 60 & wait"]),
        ChildSpec("py", [sys.executable, "-c", "import time; time.sleep(60)"]),
    )
    supervisor.start()
    time.sleep(0.5)
    groups = [process.pid for process in supervisor.processes.values()]
    assert all(_live_members(pgid) for pgid in groups)

    started = time.monotonic()
    supervisor.stop()

    assert time.monotonic() - started < 5
    assert not any(_live_members(pgid) for pgid in groups)


def test_stop_escalates_to_sigkill_when_a_child_ignores_the_signal() -> None:
    supervisor = _supervisor(
        ChildSpec("stubborn", ["sh", "-c", "trap '' TERM INT; sleep 60 & wait; sleep 60"]),
        grace=0.5,
    )
    supervisor.start()
    time.sleep(0.3)
    pgid = supervisor.processes["stubborn"].pid

    supervisor.stop()

    assert not _live_members(pgid)
    assert supervisor.processes["stubborn"].returncode == -signal.SIGKILL


def test_a_dead_child_is_restarted_and_the_others_keep_running(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    supervisor = _supervisor(
        # Dies 0.2 s after each start; counts its starts in a file.
        ChildSpec("crash", ["sh", "-c", f"echo x >> {runs}; sleep 0.2; exit 3"]),
        ChildSpec("steady", ["sleep", "60"]),
    )
    supervisor.restart_delays = (0.1, 0.2, 0.4)
    supervisor.start()
    steady_pid = supervisor.processes["steady"].pid

    deadline = time.monotonic() + 10
    with caplog.at_level(logging.ERROR, logger="mockexam.devserver"):

        def tick() -> None:
            if supervisor.restarts.get("crash", 0) >= 3 or time.monotonic() > deadline:
                supervisor.request_stop(signal.SIGTERM)

        status = supervisor.wait(on_tick=tick)
    supervisor.stop()

    assert status == 0
    assert len(runs.read_text().split()) >= 3
    # The crash loop backs off: 0.1 s, then 0.2 s, then 0.4 s.
    delays = [r.getMessage() for r in caplog.records if "restarting it" in r.getMessage()]
    assert delays[0].startswith("crash exited (status 3) after 0 s; restarting it in 0.1 s")
    assert "restarting it in 0.2 s" in delays[1]
    assert "restarting it in 0.4 s" in delays[2]
    # The steady child was never touched until the stop.
    assert supervisor.processes["steady"].pid == steady_pid
    assert supervisor.processes["steady"].returncode == -signal.SIGTERM
    assert "steady" not in supervisor.restarts


def test_a_killed_child_comes_back_at_once_after_running_a_while(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = _supervisor(ChildSpec("worker", ["sleep", "60"]))
    supervisor.stable_seconds = 0.2  # it has "run a while" after 0.2 s
    supervisor.start()
    first = supervisor.processes["worker"]
    time.sleep(0.5)
    os.kill(first.pid, signal.SIGKILL)

    with caplog.at_level(logging.ERROR, logger="mockexam.devserver"):

        def tick() -> None:
            if supervisor.processes["worker"] is not first:
                supervisor.request_stop(signal.SIGINT)

        supervisor.wait(on_tick=tick)
    second = supervisor.processes["worker"]
    alive = second.poll() is None
    supervisor.stop()

    assert alive
    assert second.pid != first.pid
    assert supervisor.restarts == {"worker": 1}
    assert any(
        "worker exited (killed by SIGKILL)" in r.getMessage()
        and "restarting it in 0.5 s" in r.getMessage()
        for r in caplog.records
    )


def test_hot_reload_watches_only_the_source() -> None:
    env = reflex_environment({"PATH": "/usr/bin"})

    watched = env["REFLEX_HOT_RELOAD_OVERRIDE_PATHS"].split(":")
    assert watched == [str(PROJECT_ROOT / "mockexam"), str(PROJECT_ROOT / "rxconfig.py")]
    # What the app writes while it runs is outside all of them (the default data/).
    assert runtime_paths_in_source({}) == []
    for path in runtime_paths({}).values():
        assert not any(Path(w) == path or Path(w) in path.parents for w in watched), path


def test_reflex_reads_the_watched_paths_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The variable's name and format are Reflex's: what its dev backend will watch."""
    from reflex.utils.exec import get_reload_paths

    env = reflex_environment({"PATH": "/usr/bin"})
    monkeypatch.setenv("REFLEX_HOT_RELOAD_OVERRIDE_PATHS", env["REFLEX_HOT_RELOAD_OVERRIDE_PATHS"])

    watched = [Path(p) for p in get_reload_paths()]

    assert watched == reload_paths()
    assert PROJECT_ROOT / "data" not in watched


def test_runtime_paths_inside_the_source_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPLOAD_DIR", str(PROJECT_ROOT / "mockexam" / "uploads"))
    reload_settings()
    try:
        inside = runtime_paths_in_source(
            {"REFLEX_STATES_WORKDIR": str(PROJECT_ROOT / "rxconfig.py")}
        )
    finally:
        monkeypatch.undo()
        reload_settings()

    assert inside == [
        f"UPLOAD_DIR={PROJECT_ROOT / 'mockexam' / 'uploads'}",
        f"REFLEX_STATES_WORKDIR={PROJECT_ROOT / 'rxconfig.py'}",
    ]


def test_wait_returns_zero_after_a_stop_signal() -> None:
    supervisor = _supervisor(ChildSpec("steady", ["sleep", "60"]))
    supervisor.start()
    supervisor.request_stop(signal.SIGTERM)

    status = supervisor.wait()
    supervisor.stop()

    assert status == 0
    assert supervisor.processes["steady"].returncode == -signal.SIGTERM
