"""The production build of the app, started for browser tests and the load bench.

`AppServer` migrates and seeds its own SQLite database, then runs
`reflex run --env prod` (what `MOCKEXAM_RUN_MODE=prod make run` runs) on one
free port with its own build directory. `stop()` kills the whole process
group (the "backend offline" case); `start()` brings it back on the same port.

A second `start()` skips Reflex's compile and frontend build: it starts only
the production backend the way `reflex run --env prod` ends up doing it
(`reflex.utils.exec.run_backend_prod`, Granian serving the API and the built
frontend from the same directory), with Reflex's compile switched off. The
bundle has the port baked in, so the port never changes.
`start(rebuild=True)` goes through `reflex run` again.

Also here, for the bench and the tests alike: the phone browser context,
Chromium's launch options, and `measure_load`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockexam import db as db_module
from mockexam.config import DEV_WEBAPP_TOKEN, PROJECT_ROOT, settings
from mockexam.devserver import TOOLS_BIN, reflex_command, reflex_environment

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

START_TIMEOUT_SECONDS = 240.0
STOP_GRACE_SECONDS = 15.0
# The Mini App lives under /app (WEBAPP_URL is what the bot sends).
WEBAPP_PATH = "/app"

# A phone as Telegram's in-app browser shows the Mini App (iPhone 12–15 size).
PHONE_CONTEXT: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# What `reflex run --env prod` runs once the frontend is built (reflex/reflex.py
# `_run_prod`): the backend, mounting the built frontend, on one port.
_BACKEND_ONLY = """
import sys
from reflex_base.config import get_config
from reflex.utils.exec import run_backend_prod
run_backend_prod(
    get_config().backend_host,
    int(sys.argv[1]),
    get_config().loglevel.subprocess_level(),
    mount_frontend_compiled_app=True,
)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except OSError:
        return None


@contextmanager
def use_database(url: str) -> Iterator[str]:
    """Point this process's settings (and engines) at `url`; restore afterwards."""
    previous = settings.database_url
    object.__setattr__(settings, "database_url", url)
    try:
        yield url
    finally:
        object.__setattr__(settings, "database_url", previous)
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()


class AppServerError(RuntimeError):
    """The app did not start (the message carries the end of its log)."""


@dataclass
class AppServer:
    """One production app on one port, with its own database and build directory."""

    workdir: Path
    port: int = field(default_factory=free_port)
    start_timeout: float = START_TIMEOUT_SECONDS
    process: subprocess.Popen[bytes] | None = None
    # How long the last start took, and whether it rebuilt the frontend.
    last_start_seconds: float = 0.0
    last_start_rebuilt: bool = False
    # Settings of the next start() on top of environment() (e.g. the sheet's transport).
    extra_env: dict[str, str] = field(default_factory=dict)
    _built: bool = False

    # --- addresses and settings ---------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webapp_url(self) -> str:
        return self.base_url + WEBAPP_PATH

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'app.db'}"

    @property
    def bot_token(self) -> str:
        """The token initData is checked against: no bot here, so the dev token."""
        return DEV_WEBAPP_TOKEN

    @property
    def log_path(self) -> Path:
        return self.workdir / "reflex.log"

    def environment(self) -> dict[str, str]:
        env = reflex_environment()
        for name in ("REDIS_URL", "TELEGRAM_CHANNEL_ID"):
            env.pop(name, None)
        env.update(
            DATABASE_URL=self.database_url,
            HUEY_SQLITE_PATH=str(self.workdir / "huey.db"),
            UPLOAD_DIR=str(self.workdir / "uploads"),
            # Empty beats a .env file: no bot, initData is checked with the dev token.
            TELEGRAM_BOT_TOKEN="",
            WEBAPP_URL=self.webapp_url,
            REFLEX_WEB_WORKDIR=str(self.workdir / "web"),
            REFLEX_STATES_WORKDIR=str(self.workdir / "states"),
        )
        env.update(self.extra_env)
        return env

    # --- database -----------------------------------------------------------

    def prepare_database(self, *, seed: bool = True) -> None:
        """Migrate (alembic, as `make db` does) and seed the demo data."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        commands = [["migrate"]] + ([["seed-demo", "--if-empty"]] if seed else [])
        for args in commands:
            done = subprocess.run(
                [sys.executable, "-m", "mockexam", *args],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise AppServerError(f"mockexam {args[0]} failed:\n{done.stdout}{done.stderr}")

    @contextmanager
    def database(self) -> Iterator[str]:
        """This process reads and writes the app's database inside the block, and its files
        (certificates, papers) and links (WEBAPP_URL) are the app's too."""
        previous = settings.upload_dir, settings.webapp_url
        object.__setattr__(settings, "upload_dir", self.workdir / "uploads")
        object.__setattr__(settings, "webapp_url", self.webapp_url)
        try:
            with use_database(self.database_url) as url:
                yield url
        finally:
            object.__setattr__(settings, "upload_dir", previous[0])
            object.__setattr__(settings, "webapp_url", previous[1])

    # --- links ----------------------------------------------------------------

    def student_link(self, telegram_id: int, path: str = "", **options: Any) -> str:
        """A signed Mini App link as Telegram opens it (names from the app's database).

        `options`: first_name, last_name, username, language, theme ("light"/"dark").
        """
        from mockexam.cli import student_link_for

        with self.database():
            return student_link_for(
                telegram_id,
                path=path,
                base_url=self.webapp_url,
                bot_token=self.bot_token,
                **options,
            )

    # --- process ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, rebuild: bool = False) -> float:
        """Start (or restart) the app on its port; the seconds until it answered."""
        if self.running:
            raise AppServerError("the app is already running; stop() it first")
        if not (TOOLS_BIN / "bun").exists():
            raise AppServerError("bun is not installed in .tools/ (run `make install`)")
        quick = self._built and not rebuild
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start ({'backend only' if quick else 'reflex run'}) ---\n".encode())
            log.flush()
            if quick:
                argv = [sys.executable, "-c", _BACKEND_ONLY, str(self.port)]
                env = self.environment()
                env.update(
                    REFLEX_ENV_MODE="prod",
                    REFLEX_SKIP_COMPILE="true",
                    REFLEX_FRONTEND_PORT=str(self.port),
                    REFLEX_BACKEND_PORT=str(self.port),
                )
            else:
                argv = reflex_command("prod", port=self.port)
                env = self.environment()
            self.process = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches all of it
            )
        self._wait_ready()
        self._built = True
        self.last_start_seconds = time.monotonic() - began
        self.last_start_rebuilt = not quick
        return self.last_start_seconds

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL what is left after a grace period."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            if _group_gone(process, wait):
                break
        process.wait(timeout=5)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise AppServerError(f"the app exited with {code}:\n{self.log_tail()}")
            if _status(f"{self.base_url}/ping") == 200 and _status(self.base_url + "/") == 200:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise AppServerError(
                    f"no answer within {self.start_timeout:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _group_members(pgid: int) -> list[int]:
    """Processes of group `pgid`, parents before children (pid order)."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat_file.parent.name))
    return sorted(members)


def _group_gone(process: subprocess.Popen[bytes], wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        process.poll()
        if not _group_members(process.pid):
            return True
        time.sleep(0.1)
    return False


# --- the browser ---------------------------------------------------------------


def chromium_path() -> str | None:
    """Debian's Chromium (`make chromium` installs it); Playwright never downloads one here."""
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright) -> Browser:
    path = chromium_path()
    if path is None:
        raise AppServerError("chromium is not installed (run `make chromium`)")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def new_phone_context(browser: Browser, *, color_scheme: str = "light") -> BrowserContext:
    """A fresh context (empty cache and storage) at a phone's size and touch."""
    return browser.new_context(**PHONE_CONTEXT, color_scheme=color_scheme)  # type: ignore[arg-type]


_READY_JS = """
selector => {
    const el = document.querySelector(selector);
    if (el && el.checkVisibility({visibilityProperty: true, opacityProperty: true})) {
        return performance.now();
    }
    return null;
}
"""


def measure_load(page: Page, url: str, ready_selector: str, *, timeout_ms: float = 60_000) -> float:
    """Seconds from navigation start to `ready_selector` being visible, in the browser's clock.

    Navigating to `url` starts a new document (open the link in a fresh page
    or from another URL: a change of the fragment alone would not reload).
    """
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    handle = page.wait_for_function(
        _READY_JS, arg=ready_selector, polling="raf", timeout=timeout_ms
    )
    return float(handle.json_value()) / 1000.0
