"""What the README tells a newcomer to run: `make run`, in its default dev mode.

Every other browser test runs the production build, which is how a dev backend that
hot-reloaded every 2 s (its watcher saw the SQLite `-wal` files in data/) went unseen
for weeks. This test runs `make run` itself from the project root, with the default
data directory (data/ in the project, where the SQLite database and queue write),
the Huey consumer beside the app, and only the ports moved to free ones. It opens the
student link that `make run` prints in Chromium, keeps the page open for more than a
minute, and checks: the dashboard shows the demo student's data, the backend worker
never restarts (same process, no "Killing worker" line), `/ping` answers throughout;
and when the consumer is killed, the supervisor starts it again while the app keeps
serving. Meanwhile the admin signs in on the printed admin link with the printed
credentials (the login form posts across ports, from the page to the backend, which
sets the HttpOnly session cookie and sends the browser back), sees the exams and
signs out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.config import PROJECT_ROOT
from tests.e2e.appserver import free_port, new_phone_context

pytestmark = pytest.mark.timeout(1200)

BANNER_TIMEOUT = 600  # a fresh clone installs the frontend's packages first
KEEP_OPEN_SECONDS = 60
# Settings the test run's conftest points elsewhere; `make run` must see none of them.
TEST_SETTINGS = (
    "MOCKEXAM_ENV",
    "DATABASE_URL",
    "HUEY_SQLITE_PATH",
    "UPLOAD_DIR",
    "REDIS_URL",
    "TELEGRAM_BOT_TOKEN",
    "WEBAPP_URL",
    "BACKUP_DIR",
    "REFLEX_WEB_WORKDIR",
    "REFLEX_STATES_WORKDIR",
    "REFLEX_HOT_RELOAD_OVERRIDE_PATHS",
    "MOCKEXAM_RUN_MODE",
)
LINK = re.compile(r"Student Mini App: (\S+)")
ADMIN_LINK = re.compile(r"Admin panel:\s+(\S+)\s+username '([^']+)', password '([^']+)'")


def _listening_pids(port: int) -> set[int]:
    """The processes holding the listening socket on `port` (from /proc, as root)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = {str(fd.readlink()) for fd in fd_dir.iterdir()}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            pids.add(int(fd_dir.parent.name))
    return pids


def _children(pid: int) -> dict[int, str]:
    """Direct children of `pid`: their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
            if int(fields[1]) == pid:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(stat.parent.name)] = cmdline
        except (OSError, ValueError, IndexError):
            continue
    return found


def _ping(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as response:
            return response.status
    except (urllib.error.URLError, OSError):
        return None


class MakeRun:
    """`make run` in its own process group, its output in a file."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.frontend_port = free_port()
        self.backend_port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in TEST_SETTINGS}
        env.update(
            REFLEX_FRONTEND_PORT=str(self.frontend_port),
            REFLEX_BACKEND_PORT=str(self.backend_port),
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # Ctrl-C as a terminal's shell gives it: SIGINT at its default. An earlier
                # test that ran a server's main() in this process leaves SIGINT ignored
                # (devserver/scaleserver ignore it while stopping), and make inherited that.
                preexec_fn=_default_sigint,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, chars: int = 5000) -> str:
        return self.output()[-chars:]

    def wait_for_link(self) -> str:
        deadline = time.monotonic() + BANNER_TIMEOUT
        while time.monotonic() < deadline:
            found = LINK.search(self.output())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                pytest.fail(f"make run exited with {self.process.returncode}:\n{self.tail()}")
            time.sleep(1)
        pytest.fail(f"make run printed no student link in {BANNER_TIMEOUT} s:\n{self.tail()}")

    def supervisor_pid(self) -> int:
        """The devserver (make's recipe `exec`s it in the shell make started)."""
        for pid, cmdline in _children(self.process.pid).items():
            if "mockexam.devserver" in cmdline:
                return pid
        pytest.fail(f"no devserver under make (pid {self.process.pid})")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C in the terminal
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    run = MakeRun(tmp_path / "make-run.log")
    try:
        yield run
    finally:
        run.stop()


def _admin_signs_in_and_out(make_run: MakeRun, browser: Browser) -> None:
    """The printed admin link and credentials, used as a newcomer would."""
    found = ADMIN_LINK.search(make_run.output())
    assert found, make_run.tail()
    url, username, password = found.groups()
    assert url == f"http://localhost:{make_run.frontend_port}/admin"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(url)
        expect(page).to_have_url(re.compile(r"/admin/login"), timeout=120_000)
        expect(page.locator("#login-submit")).to_be_enabled(timeout=60_000)
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-submit")
        expect(page.locator("#admin-name")).to_have_text(username, timeout=60_000)
        expect(page).to_have_url(re.compile(r"/admin$"))
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies[TOKEN_COOKIE]["httpOnly"] is True
        assert TOKEN_COOKIE not in page.evaluate("() => document.cookie")
        page.click("#logout")
        expect(page).to_have_url(re.compile(r"/admin/login"), timeout=30_000)
        assert TOKEN_COOKIE not in {c["name"] for c in context.cookies()}
    finally:
        context.close()


def test_make_run_keeps_the_printed_student_link_working(
    make_run: MakeRun, browser: Browser
) -> None:
    link = make_run.wait_for_link()
    assert link.startswith(f"http://localhost:{make_run.frontend_port}/app#tgWebAppData=")
    assert _ping(make_run.backend_port) == 200
    backend = _listening_pids(make_run.backend_port)
    assert backend, "nothing listens on the backend port"

    context = new_phone_context(browser)
    page = context.new_page()
    try:
        page.goto(link)
        page.locator("#dashboard-ready").wait_for(state="attached", timeout=120_000)
        expect(page.locator("#student-name")).not_to_be_empty()
        name = page.locator("#student-name").inner_text()
        expect(page.locator("#exams-taken")).to_have_text(re.compile(r"^[1-9]"))

        _admin_signs_in_and_out(make_run, browser)

        # Kept open as a student would, for over a minute; the consumer is killed halfway.
        devserver = make_run.supervisor_pid()
        workers = [pid for pid, cmd in _children(devserver).items() if "mockexam worker" in cmd]
        assert len(workers) == 1, _children(devserver)
        began = time.monotonic()
        killed = False
        pings = []
        while time.monotonic() - began < KEEP_OPEN_SECONDS:
            pings.append(_ping(make_run.backend_port))
            if not killed and time.monotonic() - began > KEEP_OPEN_SECONDS / 2:
                os.kill(workers[0], signal.SIGKILL)
                killed = True
            time.sleep(5)

        assert pings and all(status == 200 for status in pings), pings
        # The backend worker that served the first request is the one still serving.
        assert _listening_pids(make_run.backend_port) == backend
        output = make_run.output()
        assert "Killing worker" not in output, make_run.tail()
        assert "refused to gracefully stop" not in output
        # Still the same page, still connected, still showing the data.
        expect(page.locator("#student-name")).to_have_text(name)
        page.reload()
        page.locator("#dashboard-ready").wait_for(state="attached", timeout=60_000)
        expect(page.locator("#student-name")).to_have_text(name)

        # The consumer came back, and everything else kept running.
        assert re.search(r"worker exited \(killed by SIGKILL\).*restarting it", output)
        new_workers = [pid for pid, cmd in _children(devserver).items() if "mockexam worker" in cmd]
        assert len(new_workers) == 1
        assert new_workers != workers
        assert make_run.process.poll() is None
    finally:
        context.close()

    # Ctrl-C: make itself dies of the signal (as in a terminal); the devserver stops all.
    make_run.stop()
    assert make_run.process.returncode == -signal.SIGINT
    deadline = time.monotonic() + 60
    while Path(f"/proc/{devserver}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "SIGINT received; stopping" in make_run.output()
    assert "all stopped" in make_run.output(), make_run.tail()
    assert not _listening_pids(make_run.backend_port)
    assert not _listening_pids(make_run.frontend_port)
