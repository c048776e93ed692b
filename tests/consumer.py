"""Run the real Huey consumer (`python -m mockexam worker`) as a child process in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mockexam.config import PROJECT_ROOT


class Consumer:
    """A consumer process pointed at the test's database and queue."""

    def __init__(
        self,
        *,
        database_url: str,
        queue_path: Path,
        log_path: Path,
        sweep_seconds: int = 1,
        workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ):
        self.env = {
            **os.environ,
            "MOCKEXAM_ENV": "test",
            "DATABASE_URL": database_url,
            "HUEY_SQLITE_PATH": str(queue_path),
            "SWEEP_INTERVAL_SECONDS": str(sweep_seconds),
            "HUEY_WORKERS": str(workers),
            **(extra_env or {}),
        }
        self.log_path = log_path
        self.argv_extra: list[str] = []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Consumer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockexam", "worker", *self.argv_extra],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for(
    predicate: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "condition",
    log: Callable[[], str] | None = None,
) -> object:
    """Poll until `predicate()` is truthy; fail with the consumer's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tail = (log() if log else "")[-4000:]
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what}\n--- consumer log ---\n{tail}"
    )
