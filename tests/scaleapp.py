"""The production app as `make run-scale` runs it, started by fault tests and the load bench.

`AppStack` builds the frontend once for its port (`python -m
mockexam.scaleserver build`), migrates its database with Alembic, and runs
the backend (`python -m mockexam.scaleserver backend`: Granian workers,
Reflex's Redis state manager when `redis_url` is given) and Huey consumers
(the first one with the periodic sweep, the others `--no-periodic`), each in
its own process group. Without `redis_url` and with one worker that is the
embedded default as `MOCKEXAM_RUN_MODE=prod make run` serves it; `launcher="reflex"`
runs Reflex's own `run_backend_prod` instead (one worker, the in-memory state
manager), as the embedded mode was served before issue 25 (the load bench's
`--embedded-launcher reflex`, for a base commit).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mockexam.config import PROJECT_ROOT
from mockexam.devserver import reflex_environment
from mockexam.scaleserver import backend_command, wait_until_serving
from tests.consumer import Consumer
from tests.e2e.appserver import _BACKEND_ONLY, _group_gone, _group_members, free_port
from tests.examclient import AppBuild, ExamTab

START_TIMEOUT_SECONDS = 90.0


class StackError(RuntimeError):
    """A part of the stack did not start (the message carries its log)."""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass
class AppStack:
    workdir: Path
    database_url: str
    redis_url: str | None = None
    workers: int = 2
    port: int = field(default_factory=free_port)
    web_dir: Path | None = None  # a frontend already built for `port` (else built here)
    launcher: str = "scale"  # "scale" (mockexam.scaleserver) or "reflex" (Reflex's prod path)
    sweep_seconds: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    backend: subprocess.Popen[bytes] | None = None
    consumers: list[Consumer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.web_dir is None:
            self.web_dir = self.workdir / "web"

    # --- settings -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = reflex_environment()
        for name in ("REDIS_URL", "TELEGRAM_CHANNEL_ID"):
            env.pop(name, None)
        env.update(
            MOCKEXAM_ENV="test",
            DATABASE_URL=self.database_url,
            HUEY_SQLITE_PATH=str(self.workdir / "huey.db"),
            UPLOAD_DIR=str(self.workdir / "uploads"),
            TELEGRAM_BOT_TOKEN="",  # no bot: initData is checked with the dev token
            WEBAPP_URL=f"{self.base_url}/app",
            REFLEX_WEB_WORKDIR=str(self.web_dir),
            REFLEX_STATES_WORKDIR=str(self.workdir / "states"),
            REFLEX_FRONTEND_PORT=str(self.port),
            REFLEX_BACKEND_PORT=str(self.port),
            SWEEP_INTERVAL_SECONDS=str(self.sweep_seconds),
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def app_build(self) -> AppBuild:
        assert self.web_dir is not None
        return AppBuild.from_web_dir(self.web_dir, port=self.port)

    # --- set-up ---------------------------------------------------------------------

    def _run(self, argv: list[str], what: str) -> None:
        done = subprocess.run(
            argv,
            cwd=PROJECT_ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise StackError(f"{what} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")

    def build(self) -> None:
        """The production frontend for this port (about 20 s)."""
        self._run(
            [sys.executable, "-m", "mockexam.scaleserver", "build", "--port", str(self.port)],
            "the frontend build",
        )

    def migrate(self) -> None:
        self._run([sys.executable, "-m", "mockexam", "migrate"], "alembic upgrade head")

    # --- the backend ----------------------------------------------------------------

    def start_backend(self, timeout: float = START_TIMEOUT_SECONDS) -> float:
        if self.backend is not None and self.backend.poll() is None:
            raise StackError("the backend is already running")
        env = self.environment()
        if self.launcher == "reflex":
            argv = [sys.executable, "-c", _BACKEND_ONLY, str(self.port)]
            env["REFLEX_ENV_MODE"] = "prod"
            env["__REFLEX_SKIP_COMPILE"] = "true"
        else:
            argv = backend_command(self.port, self.workers)
        began = time.monotonic()
        with (self.workdir / "backend.log").open("ab") as log:
            self.backend = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not wait_until_serving(self.base_url, 0.5):
            if self.backend.poll() is not None or time.monotonic() > deadline:
                self.stop_backend()
                raise StackError(f"the backend did not start:\n{self.backend_log()}")
        expected = 1 if self.launcher == "reflex" else self.workers
        while len(self.worker_pids()) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return time.monotonic() - began

    def worker_pids(self) -> list[int]:
        """The backend's worker processes (Granian's children)."""
        if self.backend is None or self.backend.poll() is not None:
            return []
        return _children(self.backend.pid)

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def server_pids(self) -> list[int]:
        """Every process of the backend's and the consumers' process groups."""
        groups = [self.backend.pid] if self.backend is not None else []
        groups += [c.process.pid for c in self.consumers if c.process is not None]
        return [pid for group in groups for pid in _group_members(group)]

    def stop_backend(self) -> None:
        process, self.backend = self.backend, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            if _group_gone(process, wait):
                break
        process.wait(timeout=5)

    def backend_log(self, chars: int = 6000) -> str:
        try:
            return (self.workdir / "backend.log").read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    # --- consumers ------------------------------------------------------------------

    def start_consumer(self, *, periodic: bool = True, workers: int = 2) -> Consumer:
        env = self.environment()
        consumer = Consumer(
            database_url=self.database_url,
            queue_path=self.workdir / "huey.db",
            log_path=self.workdir / f"consumer-{len(self.consumers)}.log",
            sweep_seconds=self.sweep_seconds,
            workers=workers,
        )
        consumer.env = {**env, "HUEY_WORKERS": str(workers)}  # exactly the stack's settings
        if not periodic:
            consumer.argv_extra = ["--no-periodic"]
        self.consumers.append(consumer)
        return consumer.start()

    def close(self) -> None:
        for consumer in self.consumers:
            consumer.stop()
        self.stop_backend()


# --- what the tabs were told, against what the database holds ---------------------------


def tab_record(tab: ExamTab, telegram_id: int) -> dict[str, object]:
    """What one tab knows (JSON-able): the acks it got and every value it set."""
    return {
        "telegram_id": telegram_id,
        "acked": dict(tab.acked),
        "history": {label: list(values) for label, values in tab.history.items()},
        "pending": list(tab.pending),
        "submitted": tab.waiting,
    }


@dataclass
class SheetCheck:
    """Acked answers not stored as acked (lost), answers stored twice, submits not stored."""

    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    not_submitted: list[int] = field(default_factory=list)
    stored: dict[int, dict[str, str]] = field(default_factory=dict)  # telegram id → answers


def check_sheets(database_url: str, exam_id: int, records: list[dict]) -> SheetCheck:
    """Every acked answer is stored with the acked value or one the student set after it;
    no (session, item) twice; every submit the tab saw confirmed is submitted."""
    from sqlalchemy import create_engine, func
    from sqlmodel import Session, col, select

    from mockexam.models import Answer, ExamItem, ExamSession, Student

    engine = create_engine(database_url)
    check = SheetCheck()
    try:
        with Session(engine) as db:
            sessions = {
                tid: (sid, submitted)
                for tid, sid, submitted in db.execute(
                    select(Student.telegram_id, ExamSession.id, ExamSession.submitted_at)
                    .join(ExamSession, col(ExamSession.student_id) == Student.id)
                    .where(ExamSession.exam_id == exam_id)
                )
            }
            by_session: dict[int, dict[str, str]] = {}
            for sid, number, sub_part, value in db.execute(
                select(Answer.session_id, ExamItem.number, ExamItem.sub_part, Answer.value)
                .join(ExamItem, col(ExamItem.id) == Answer.item_id)
                .where(Answer.exam_id == exam_id)
            ):
                by_session.setdefault(sid, {})[f"{number}{sub_part}"] = value
            twice = db.execute(
                select(Answer.session_id, Answer.item_id)
                .where(Answer.exam_id == exam_id)
                .group_by(Answer.session_id, Answer.item_id)
                .having(func.count() > 1)
            ).all()
            check.duplicated = [f"session {s} item {i}" for s, i in twice]
    finally:
        engine.dispose()
    for record in records:
        tid = record["telegram_id"]
        session = sessions.get(tid)
        if record["submitted"] and (session is None or session[1] is None):
            check.not_submitted.append(tid)
        answers = by_session.get(session[0], {}) if session else {}
        check.stored[tid] = answers
        for label, value in record["acked"].items():
            history = record["history"][label]
            newer = history[len(history) - 1 - history[::-1].index(value) :]
            if answers.get(label) not in newer:
                check.lost.append(f"{tid} {label}: acked {value!r}, stored {answers.get(label)!r}")
    return check
