"""`python -m mockexam.devserver`: run the whole app locally under one supervisor.

Starts the Huey consumer, the Reflex app and, when `TELEGRAM_BOT_TOKEN` is set,
the Telegram bot. Each child runs in its own process group; Ctrl-C or SIGTERM
stops every group (SIGTERM, then SIGKILL after a grace period), and if one
child dies the supervisor says so and stops the rest.

`MOCKEXAM_RUN_MODE=dev` (default) runs Reflex with hot reload (frontend on
3000, backend on 8000); `MOCKEXAM_RUN_MODE=prod` builds the frontend once and
serves everything from one port (3000), which is what students should get.
Meant for a developer's machine; a deployment runs the same three commands
under its own process manager.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from mockexam.config import PROJECT_ROOT, settings

logger = logging.getLogger("mockexam.devserver")

RUN_MODES = ("dev", "prod")
ADMIN_PATH = "/admin"
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.25
TOOLS_BIN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org"


def reflex_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment in which `reflex` works here, offline but for the npm registry.

    bun comes from `.tools/` (`make install` puts it there from the npm
    registry) and Reflex is told to use it instead of downloading its own;
    Reflex asks only the npm registry for packages (it would otherwise probe
    a mirror too) and does not look for a newer Reflex on PyPI.
    """
    env = dict(os.environ if base is None else base)
    path = [str(TOOLS_BIN), str(Path(sys.executable).parent)]
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    env["REFLEX_USE_SYSTEM_BUN"] = "1"
    env.setdefault("NPM_CONFIG_REGISTRY", DEFAULT_NPM_REGISTRY)
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass(frozen=True, slots=True)
class ChildSpec:
    name: str
    argv: list[str]
    # The polite stop; SIGKILL follows after the grace period.
    stop_signal: signal.Signals = signal.SIGTERM


@dataclass(frozen=True, slots=True)
class AppUrls:
    app: str
    admin: str


def run_mode(env: Mapping[str, str] | None = None) -> str:
    """`dev` or `prod`, from MOCKEXAM_RUN_MODE (default `dev`)."""
    mode = (env if env is not None else os.environ).get("MOCKEXAM_RUN_MODE", "dev").lower()
    if mode not in RUN_MODES:
        raise SystemExit(f"MOCKEXAM_RUN_MODE must be one of {', '.join(RUN_MODES)}, not {mode!r}")
    return mode


def frontend_port() -> int:
    """The port the browser opens, as Reflex will read it (rxconfig + REFLEX_FRONTEND_PORT)."""
    from rxconfig import config

    return int(config.frontend_port or 3000)


def app_urls(port: int) -> AppUrls:
    base = f"http://localhost:{port}"
    return AppUrls(app=f"{base}/", admin=f"{base}{ADMIN_PATH}")


def reflex_command(mode: str, *, port: int) -> list[str]:
    """`reflex run` for `mode`; prod serves frontend and backend on one `port`."""
    argv = [sys.executable, "-m", "reflex", "run", "--env", mode]
    if mode == "prod":
        # rxconfig's two dev ports would make Reflex refuse to start in prod.
        argv += ["--frontend-port", str(port), "--backend-port", str(port)]
    return argv


def child_specs(mode: str, *, port: int, telegram_enabled: bool) -> list[ChildSpec]:
    """What to start: the worker, the app, and the bot only with a token."""
    python = sys.executable
    specs = [
        # SIGINT lets Huey finish the running tasks; SIGTERM would interrupt them.
        ChildSpec("worker", [python, "-m", "mockexam", "worker"], stop_signal=signal.SIGINT),
        ChildSpec("app", reflex_command(mode, port=port)),
    ]
    if telegram_enabled:
        specs.append(ChildSpec("bot", [python, "-m", "mockexam", "bot"]))
    return specs


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor dies (Linux only)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _live_members(pgid: int) -> bool:
    """Whether any process of group `pgid` is still running (zombies do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for stat_file in proc.glob("[0-9]*/stat"):
        try:
            stat = stat_file.read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces or parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


@dataclass
class Supervisor:
    """Starts children in their own process groups and stops them all together."""

    specs: Sequence[ChildSpec]
    env: Mapping[str, str]
    cwd: Path = PROJECT_ROOT
    grace_seconds: float = STOP_GRACE_SECONDS
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stop_requested: str | None = None

    def start(self) -> None:
        for spec in self.specs:
            logger.info("starting %s: %s", spec.name, " ".join(spec.argv[1:]))
            self.processes[spec.name] = subprocess.Popen(
                spec.argv,
                cwd=self.cwd,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                process_group=0,  # its own group: one killpg reaches all it starts
                preexec_fn=_die_with_parent,  # safe: the supervisor has no threads
            )

    def request_stop(self, signum: int, _frame: FrameType | None = None) -> None:
        self.stop_requested = signal.Signals(signum).name

    def wait(self, on_tick: Callable[[], None] | None = None) -> int:
        """Block until a signal arrives or a child exits; the exit status to use."""
        while self.stop_requested is None:
            for name, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    logger.error("%s exited with status %s; stopping everything else", name, code)
                    return code if code > 0 else 1
            if on_tick is not None:
                on_tick()
            time.sleep(POLL_SECONDS)
        logger.info("%s received; stopping", self.stop_requested)
        return 0

    def stop(self) -> None:
        """Signal every process group to stop, wait, then SIGKILL what is left."""
        groups = {name: process.pid for name, process in self.processes.items()}
        stop_signals = {spec.name: spec.stop_signal for spec in self.specs}
        for name, pgid in groups.items():
            self._signal_groups({name: pgid}, stop_signals[name])
        deadline = time.monotonic() + self.grace_seconds
        while time.monotonic() < deadline:
            if not self._running(groups):
                break
            time.sleep(0.1)
        left = self._running(groups)
        if left:
            logger.warning(
                "still running after %.0fs, killing: %s", self.grace_seconds, ", ".join(left)
            )
            self._signal_groups({name: groups[name] for name in left}, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while self._running(groups) and time.monotonic() < deadline:
                time.sleep(0.1)
        for process in self.processes.values():
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                logger.error("process %s did not exit", process.pid)
        logger.info("all stopped")

    def _running(self, groups: Mapping[str, int]) -> list[str]:
        for process in self.processes.values():
            process.poll()  # reap the group leaders we started
        return [name for name, pgid in groups.items() if _live_members(pgid)]

    @staticmethod
    def _signal_groups(groups: Mapping[str, int], sig: signal.Signals) -> None:
        for name, pgid in groups.items():
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                continue
            except PermissionError:
                logger.warning("cannot signal %s (process group %s)", name, pgid)


def _responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def demo_student_link() -> str:
    """A signed Mini App link (WEBAPP_URL) for the demo student, as Telegram would open it."""
    from mockexam.cli import student_link_for
    from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID

    return student_link_for(DEMO_STUDENT_TELEGRAM_ID)


def banner(
    urls: AppUrls, mode: str, *, telegram_enabled: bool, student_link: str | None = None
) -> str:
    """What a person needs to start: where the app is, how to log in, what is off."""
    from mockexam.services.demo import DEMO_ADMIN_USERNAME, demo_admin_password

    if telegram_enabled:
        telegram = "bot running; messages are sent to real Telegram users"
    else:
        telegram = "NOT configured (TELEGRAM_BOT_TOKEN is unset): messages are not being sent"
    mode_text = "dev, hot reload" if mode == "dev" else "prod build"
    lines = [
        "",
        f"  mockexam is running ({mode_text})",
        f"    App:          {urls.app}",
        f"    Admin panel:  {urls.admin}",
        f"                  username {DEMO_ADMIN_USERNAME!r}, password {demo_admin_password()!r}",
        f"    Telegram:     {telegram}",
    ]
    if student_link:
        hours = settings.initdata_max_age_seconds / 3600
        lines += [
            f"    Student Mini App: {student_link}",
            f"                  (the demo student, signed in as Telegram would; valid {hours:g} h,"
            " `python -m mockexam student-link TELEGRAM_ID` makes more)",
        ]
    lines += [
        "    Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run until Ctrl-C / SIGTERM or until a child dies; return the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s devserver %(levelname)s %(message)s"
    )
    mode = run_mode()
    env = reflex_environment()
    if not _on_path("bun", env["PATH"]):
        logger.error("bun is missing: run `make install` (it installs bun into .tools/)")
        return 2
    port = frontend_port()
    urls = app_urls(port)
    telegram_enabled = settings.telegram_enabled
    if not telegram_enabled:
        logger.warning("Telegram is not configured: messages are not being sent")
    specs = child_specs(mode, port=port, telegram_enabled=telegram_enabled)
    supervisor = Supervisor(specs, env)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGHUP, supervisor.request_stop)

    announced = False
    next_check = 0.0

    def announce_when_ready() -> None:
        nonlocal announced, next_check
        if announced or time.monotonic() < next_check:
            return
        next_check = time.monotonic() + 1.0
        if _responds(urls.app):
            announced = True
            link = demo_student_link()
            sys.stdout.write(
                banner(urls, mode, telegram_enabled=telegram_enabled, student_link=link)
            )
            sys.stdout.flush()

    logger.info(
        "starting in %s mode; the first start also installs the frontend packages",
        mode,
    )
    try:
        supervisor.start()
        status = supervisor.wait(on_tick=announce_when_ready)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop()
    return status


def _on_path(program: str, path: str) -> bool:
    return any((Path(entry) / program).exists() for entry in path.split(os.pathsep) if entry)


if __name__ == "__main__":
    raise SystemExit(main())
