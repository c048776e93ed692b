"""`python -m mockexam.devserver`: run the whole app locally under one supervisor.

Starts the Huey consumer, the Reflex app and, when `TELEGRAM_BOT_TOKEN` is set,
the Telegram bot. Each child runs in its own process group; a child that dies
is started again (a log line says so; a child that keeps dying waits longer
each time, up to a minute), and only Ctrl-C or SIGTERM stops every group
(SIGTERM, then SIGKILL after a grace period).

Hot reload watches the source only (`reload_paths()`: the `mockexam` package
and `rxconfig.py`), never the project root: the SQLite database and queue
write `-wal`/`-shm` files on every poll and save, and a watched data directory
restarted the backend every two seconds. A runtime directory configured inside
the watched source is refused at start-up (`runtime_paths_in_source`).

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
# A dead child is started again after RESTART_DELAYS[n] seconds, n = how many times in a
# row it died within STABLE_SECONDS of starting (a crash loop backs off; a child that ran
# a while and then died comes back at once).
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STABLE_SECONDS = 30.0
# What the backend's hot reload watches: the code, nothing the app writes at run time.
RELOAD_SOURCES = ("mockexam", "rxconfig.py")
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
    # Reflex would watch every folder of the project root, data/ included (see module doc).
    env.setdefault(
        "REFLEX_HOT_RELOAD_OVERRIDE_PATHS", ":".join(str(path) for path in reload_paths())
    )
    env.setdefault("NPM_CONFIG_REGISTRY", DEFAULT_NPM_REGISTRY)
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def reload_paths(root: Path = PROJECT_ROOT) -> list[Path]:
    """What the dev backend's hot reload watches: the app's source, not the project root."""
    return [root / name for name in RELOAD_SOURCES]


def runtime_paths(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Where the app writes while it runs (databases, queue, uploads, backups, Reflex's states)."""
    env = os.environ if env is None else env
    paths: dict[str, Path] = {
        "HUEY_SQLITE_PATH": settings.huey_sqlite_path,
        "UPLOAD_DIR": settings.upload_dir,
    }
    if settings.is_sqlite:
        database = settings.database_url.split("///", 1)[-1]
        if database and database != ":memory:":
            paths["DATABASE_URL"] = Path(database)
    backup_dir = getattr(settings, "backup_dir", None)
    if backup_dir:
        paths["BACKUP_DIR"] = Path(backup_dir)
    for name in ("REFLEX_STATES_WORKDIR", "REFLEX_WEB_WORKDIR"):
        if env.get(name):
            paths[name] = Path(env[name])
    return {name: path.resolve() for name, path in paths.items()}


def runtime_paths_in_source(
    env: Mapping[str, str] | None = None, root: Path = PROJECT_ROOT
) -> list[str]:
    """Settings that put run-time files where hot reload watches (each would restart it)."""
    watched = [path.resolve() for path in reload_paths(root)]
    return [
        f"{name}={path}"
        for name, path in runtime_paths(env).items()
        if any(path == source or source in path.parents for source in watched)
    ]


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
    """The app for `mode`: `reflex run` with hot reload in dev; in prod the production
    frontend built for `port`, then served with the backend on that one port by
    mockexam.scaleserver's runner with one worker (Reflex's own prod runner keeps
    Granian's default cap on open connections, 2,048: every exam tab holds two, and
    the answer sheets' saves of the tabs past it waited minutes for a slot)."""
    if mode == "prod":
        scale = [sys.executable, "-m", "mockexam.scaleserver", "serve"]
        return [*scale, "--port", str(port), "--workers", "1"]
    return [sys.executable, "-m", "reflex", "run", "--env", mode]


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
    """Starts children in their own process groups, restarts any that dies, stops them all.

    Only a stop request (Ctrl-C, SIGTERM, SIGHUP: `request_stop`) ends `wait()`;
    a child that exits is logged and started again after `restart_delay()`.
    """

    specs: Sequence[ChildSpec]
    env: Mapping[str, str]
    cwd: Path = PROJECT_ROOT
    grace_seconds: float = STOP_GRACE_SECONDS
    restart_delays: Sequence[float] = RESTART_DELAYS
    stable_seconds: float = STABLE_SECONDS
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    stop_requested: str | None = None
    # Per child: how many times it has been restarted, and how many times in a row it
    # died soon after starting (the back-off's step).
    restarts: dict[str, int] = field(default_factory=dict)
    _quick_deaths: dict[str, int] = field(default_factory=dict)
    _started_at: dict[str, float] = field(default_factory=dict)
    _restart_at: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        for spec in self.specs:
            self._start(spec)

    def _start(self, spec: ChildSpec) -> None:
        logger.info("starting %s: %s", spec.name, " ".join(spec.argv[1:]))
        self.processes[spec.name] = subprocess.Popen(
            spec.argv,
            cwd=self.cwd,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            process_group=0,  # its own group: one killpg reaches all it starts
            preexec_fn=_die_with_parent,  # safe: the supervisor has no threads
        )
        self._started_at[spec.name] = time.monotonic()

    def request_stop(self, signum: int, _frame: FrameType | None = None) -> None:
        self.stop_requested = signal.Signals(signum).name

    def restart_delay(self, name: str) -> float:
        """Seconds before child `name` starts again: longer while it keeps dying at once."""
        step = min(self._quick_deaths.get(name, 0), len(self.restart_delays)) - 1
        return self.restart_delays[max(step, 0)]

    def wait(self, on_tick: Callable[[], None] | None = None) -> int:
        """Block until a stop is requested, restarting children that die; returns 0."""
        while self.stop_requested is None:
            self._restart_dead()
            if on_tick is not None:
                on_tick()
            time.sleep(POLL_SECONDS)
        logger.info("%s received; stopping", self.stop_requested)
        return 0

    def _restart_dead(self) -> None:
        now = time.monotonic()
        for spec in self.specs:
            process = self.processes[spec.name]
            if spec.name in self._restart_at:
                if now >= self._restart_at[spec.name]:
                    del self._restart_at[spec.name]
                    self.restarts[spec.name] = self.restarts.get(spec.name, 0) + 1
                    self._start(spec)
                continue
            code = process.poll()
            if code is None:
                continue
            # Whatever it started may still run (a reloader's worker): end the group first.
            self._signal_groups({spec.name: process.pid}, signal.SIGKILL)
            ran = now - self._started_at.get(spec.name, now)
            quick = self._quick_deaths.get(spec.name, 0)
            self._quick_deaths[spec.name] = quick + 1 if ran < self.stable_seconds else 1
            delay = self.restart_delay(spec.name)
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"status {code}"
            logger.error(
                "%s exited (%s) after %.0f s; restarting it in %g s (the others keep running)",
                spec.name,
                how,
                ran,
                delay,
            )
            self._restart_at[spec.name] = now + delay

    def stop(self) -> None:
        """Signal every process group to stop, wait, then SIGKILL what is left."""
        self._restart_at.clear()
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
    from mockexam.services.demo import admin_sign_in_hint

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
        f"                  {admin_sign_in_hint()}",
        f"    Telegram:     {telegram}",
    ]
    if student_link:
        from mockexam.telegram.webapp_session import describe_age, initdata_max_age

        age = describe_age(initdata_max_age())
        lines += [
            f"    Student Mini App: {student_link}",
            f"                  (the demo student, signed in as Telegram would; valid {age},"
            " `python -m mockexam student-link TELEGRAM_ID` makes more)",
        ]
    lines += [
        "    Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run until Ctrl-C / SIGTERM (children that die are restarted); return the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s devserver %(levelname)s %(message)s"
    )
    mode = run_mode()
    env = reflex_environment()
    if not _on_path("bun", env["PATH"]):
        logger.error("bun is missing: run `make install` (it installs bun into .tools/)")
        return 2
    if mode == "dev":
        inside = runtime_paths_in_source(env)
        if inside:
            logger.error(
                "hot reload would restart the backend whenever these are written; move them "
                "out of the source (mockexam/): %s",
                ", ".join(inside),
            )
            return 2
    port = frontend_port()
    urls = app_urls(port)
    _webapp_url_follows_port(env, port)
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


def _webapp_url_follows_port(env: dict[str, str], port: int) -> None:
    """An unset WEBAPP_URL (default: port 3000) follows REFLEX_FRONTEND_PORT here and in
    the children, so the printed student link opens the app that is running."""
    from mockexam.config import Settings, reload_settings

    if settings.webapp_url != Settings.model_fields["webapp_url"].default:
        return
    url = f"{app_urls(port).app}app"
    if url != settings.webapp_url:
        env["WEBAPP_URL"] = os.environ["WEBAPP_URL"] = url
        reload_settings()


def _on_path(program: str, path: str) -> bool:
    return any((Path(entry) / program).exists() for entry in path.split(os.pathsep) if entry)


if __name__ == "__main__":
    raise SystemExit(main())
