"""The dev supervisor: what it starts, and that stopping leaves no process behind."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from mockexam.devserver import ChildSpec, Supervisor, _live_members, child_specs, reflex_environment


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

    assert app.argv[-6:] == ["--env", "prod", "--frontend-port", "3123", "--backend-port", "3123"]


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


def test_wait_reports_a_dead_child_and_stop_ends_the_others() -> None:
    supervisor = _supervisor(
        ChildSpec("crash", ["sh", "-c", "sleep 0.3; exit 3"]),
        ChildSpec("steady", ["sleep", "60"]),
    )
    supervisor.start()

    status = supervisor.wait()
    supervisor.stop()

    assert status == 3
    assert supervisor.processes["steady"].returncode == -signal.SIGTERM


def test_wait_returns_zero_after_a_stop_signal() -> None:
    supervisor = _supervisor(ChildSpec("steady", ["sleep", "60"]))
    supervisor.start()
    supervisor.request_stop(signal.SIGTERM)

    status = supervisor.wait()
    supervisor.stop()

    assert status == 0
    assert supervisor.processes["steady"].returncode == -signal.SIGTERM
