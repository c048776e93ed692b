"""The production layout of `deploy-config`, run for real: Debian's caddy in front of the prod build.

`deploy-config --tls-internal` writes the files for `mockexam.test` on free ports
(Caddy on 127.0.0.1 only, its admin endpoint off, its CA and certificates in a
temporary HOME). The operator's step is done as they would: the bot token filled
into the environment file (the fake Bot API's, and its address). Then the three
services are started from the generated units — ExecStart, WorkingDirectory,
Environment= and the generated EnvironmentFile, as systemd reads them — with the
project directory read-only but the units' ReadWritePaths (ProtectSystem=strict),
and Caddy runs the generated Caddyfile. The browser (Chromium resolving
mockexam.test to 127.0.0.1, accepting Caddy's internal CA) then:

- opens the student link over https: the dashboard shows the student's data;
- answers in an exam sheet over wss: the answers reach the database;
- signs in as the admin and uploads a PDF paper (3 MB: over the 1 MB body limit of
  everything but uploads) through Caddy (tests/test_deploy.py shows the limits refusing);
- sees the security headers on the Mini App and on /admin;
- is refused when a page of another origin frames /admin or the Mini App, while
  web.telegram.org may frame the Mini App.

The worker (heartbeat) and the bot (polling the fake Bot API) run from their units too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import select

from mockexam.config import PROJECT_ROOT
from mockexam.db import session_scope, utcnow
from mockexam.deploy import (
    APP_UNIT,
    BOT_UNIT,
    CADDYFILE,
    ENV_FILE,
    TELEGRAM_WEB_ORIGINS,
    UNITS_DIR,
    WORKER_UNIT,
    DeployOptions,
    DeployResult,
    write_deploy_config,
)
from mockexam.models import Exam, Student
from mockexam.services import exams as exam_service
from mockexam.services import heartbeat
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.deploy_helpers import (
    caddy_environment,
    https_request,
    read_only_project,
    require_caddy,
    unit_process_spec,
)
from tests.e2e.appserver import (
    CHROMIUM_ARGS,
    PHONE_CONTEXT,
    chromium_path,
    free_port,
    use_database,
)
from tests.e2e.test_exam_flow import (
    answer,
    create_open_exam,
    retire_exam,
    start_exam_in_browser,
    stored_answers,
    wait_for,
)
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of, wait_ready
from tests.telegram.fake_bot_api import FakeBotAPI

DOMAIN = "mockexam.test"
OPERATOR = "centre_owner"
OPERATOR_PASSWORD = secrets.token_urlsafe(16)
BUILD_TIMEOUT = 600.0  # the first start installs the frontend packages and builds
WAIT = 20_000
SHEET_TAKER = DEMO_STUDENT_TELEGRAM_ID + 261  # a demo student who sat no exam
SHEET_ANSWERS = {"1": "A", "2": "C", "36a": "36"}
TELEGRAM_FRAME_ANCESTORS = "frame-ancestors " + " ".join(TELEGRAM_WEB_ORIGINS)


@dataclass
class Deployment:
    """The generated files, the running services and how to reach them."""

    root: Path
    result: DeployResult
    fake: FakeBotAPI
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def opts(self) -> DeployOptions:
        return self.result.options

    @property
    def origin(self) -> str:
        return self.opts.site_origin

    @property
    def workdir(self) -> Path:
        """Where uploads live (for create_open_exam's paper): the data directory."""
        return self.opts.data

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.opts.data / 'mockexam.db'}"

    @contextmanager
    def database(self) -> Iterator[str]:
        with use_database(self.database_url) as url:
            yield url

    def student_link(self, telegram_id: int, path: str = "") -> str:
        from mockexam.cli import student_link_for

        with self.database():
            return student_link_for(
                telegram_id, path=path, base_url=self.opts.webapp_url, bot_token=self.fake.token
            )

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def log_tail(self, name: str, chars: int = 5000) -> str:
        try:
            return self.log(name).read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def caddy_root_certificate(self) -> Path:
        return (
            self.root
            / "caddy-home"
            / "data"
            / "caddy"
            / "pki"
            / "authorities"
            / "local"
            / ("root.crt")
        )


def _start(deployment: Deployment, name: str, argv: list[str], env: dict[str, str], cwd: Path):
    with deployment.log(name).open("ab") as log:
        deployment.processes[name] = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _start_unit(deployment: Deployment, unit: str) -> None:
    out = deployment.result.out_dir
    spec = unit_process_spec((out / UNITS_DIR / unit).read_text(), out / ENV_FILE)
    _start(deployment, unit, read_only_project(spec, PROJECT_ROOT), spec.env, spec.cwd)


def _run_cli(deployment: Deployment, *args: str) -> None:
    """`mockexam <args>` with the services' settings (what the generated wrapper does)."""
    out = deployment.result.out_dir
    spec = unit_process_spec((out / UNITS_DIR / WORKER_UNIT).read_text(), out / ENV_FILE)
    done = subprocess.run(
        [str(deployment.opts.python_path), "-m", "mockexam", *args],
        cwd=spec.cwd,
        env=spec.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until(check: Callable[[], bool], deployment: Deployment, name: str, timeout: float):
    deadline = time.monotonic() + timeout
    while not check():
        process = deployment.processes[name]
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{deployment.log_tail(name)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{name} not ready within {timeout:.0f}s:\n{deployment.log_tail(name)}")
        time.sleep(0.5)


def _app_answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False


def _https(
    deployment: Deployment,
    path: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    """A request to the site through Caddy, trusting only Caddy's internal root.

    The body goes in pieces, and a refusal that cuts it short (Caddy answers 413
    and closes) still yields the response Caddy sent.
    """
    context = ssl.create_default_context(cafile=str(deployment.caddy_root_certificate()))
    port = deployment.opts.https_port
    return https_request(DOMAIN, port, context, method, path, body, headers)


def _caddy_answers(deployment: Deployment) -> bool:
    if not deployment.caddy_root_certificate().exists():
        return False
    try:
        return _https(deployment, "/ping").status == 200
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    caddy = require_caddy()
    root = tmp_path_factory.mktemp("deploy")
    options = DeployOptions(
        domain=DOMAIN,
        tls_internal=True,
        app_port=free_port(),
        https_port=free_port(),
        http_port=free_port(),
        bind="127.0.0.1",
        caddy_admin="off",
        data_dir=root / "data",
    )
    result = write_deploy_config(options, root / "deploy")
    # The operator's part: the data directory, and the bot token in the environment file.
    (root / "data" / ".home").mkdir(parents=True)
    fake = FakeBotAPI().start()
    env_path = result.out_dir / ENV_FILE
    env_path.write_text(
        env_path.read_text().replace("TELEGRAM_BOT_TOKEN=''", f"TELEGRAM_BOT_TOKEN='{fake.token}'")
        + f"TELEGRAM_API_BASE_URL='{fake.base_url}'\n"
    )
    deployment = Deployment(root, result, fake)
    try:
        _run_cli(deployment, "migrate")
        # As the operator does (Going live): the first admin with a password of their own.
        # Students and exams to look at come from the demo data, which production seeds
        # only when asked explicitly.
        _run_cli(deployment, "create-admin", OPERATOR, "--password", OPERATOR_PASSWORD)
        _run_cli(deployment, "seed-demo", "--if-empty", "--in-production")
        # Reflex's default upload folder, left in the project by the other browser tests'
        # app: gone, so that the read-only project shows whether the unit still needs it.
        with contextlib.suppress(OSError):
            (PROJECT_ROOT / "uploaded_files").rmdir()  # only when empty
        _start_unit(deployment, APP_UNIT)
        _start_unit(deployment, WORKER_UNIT)
        _start_unit(deployment, BOT_UNIT)
        _start(
            deployment,
            "caddy",
            [caddy, "run", "--config", str(result.out_dir / CADDYFILE), "--adapter", "caddyfile"],
            caddy_environment(root / "caddy-home"),
            root,
        )
        _wait_until(lambda: _app_answers(options.app_port), deployment, APP_UNIT, BUILD_TIMEOUT)
        _wait_until(lambda: _caddy_answers(deployment), deployment, "caddy", 60)
        yield deployment
    finally:
        for process in deployment.processes.values():
            _stop(process)
        fake.stop()


@pytest.fixture(scope="module")
def site_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium that finds mockexam.test at 127.0.0.1 (no DNS here), as a real client finds the server."""
    rules = f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"
    # The site is on 127.0.0.1 here (a public address on a server): without this, Chromium's
    # Local Network Access checks refuse every frame of it in a public page, allowed or not.
    local_network = "--disable-features=LocalNetworkAccessChecks"
    launched = browser.browser_type.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[*CHROMIUM_ARGS, rules, local_network],
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def phone(site_browser: Browser) -> Iterator[Page]:
    context = site_browser.new_context(**PHONE_CONTEXT, ignore_https_errors=True)
    context.set_default_timeout(WAIT)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop(site_browser: Browser) -> Iterator[BrowserContext]:
    context = site_browser.new_context(
        viewport={"width": 1440, "height": 900}, ignore_https_errors=True
    )
    context.set_default_timeout(WAIT)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)


# --- the student's side ---------------------------------------------------------------------


def test_student_link_over_https_shows_the_dashboard_with_its_headers(
    deployment: Deployment, phone: Page
):
    errors = ConsoleErrors(phone)
    link = deployment.student_link(DEMO_STUDENT_TELEGRAM_ID)
    assert link.startswith(f"https://{DOMAIN}:{deployment.opts.https_port}/app#tgWebAppData=")
    response = phone.goto(link)
    assert response is not None and response.ok
    # The app redirects /app to /app/ with http://; Caddy sends it on as https://.
    assert response.url == f"{deployment.origin}/app/"
    assert response.request.redirected_from is not None
    wait_ready(phone, "dashboard-ready")
    with deployment.database(), session_scope(readonly=True) as db:
        student = db.exec(
            select(Student).where(Student.telegram_id == DEMO_STUDENT_TELEGRAM_ID)
        ).one()
        name = student.first_name
    expect(phone.locator("#student-name")).to_contain_text(name)
    expect(phone.locator("#exams-taken")).not_to_have_text("0")

    headers = response.headers
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["content-security-policy"].startswith(TELEGRAM_FRAME_ANCESTORS + ";")
    assert "x-frame-options" not in headers
    errors.assert_none()


def test_answers_saved_over_wss_reach_the_database(deployment: Deployment, phone: Page):
    # Deployment has what create_open_exam uses of an AppServer: database() and workdir.
    exam_id, _end = create_open_exam(deployment, title="Caddy exam", seconds_open=600)  # type: ignore[arg-type]
    try:
        errors = ConsoleErrors(phone)
        phone.goto(deployment.student_link(SHEET_TAKER, f"/exam/{exam_id}"))
        start_exam_in_browser(phone)
        for label, value in SHEET_ANSWERS.items():
            answer(phone, label, value)
        expect(phone.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
        with deployment.database():
            student_id = student_id_of(SHEET_TAKER)
            stored = wait_for(
                lambda: (
                    (s := stored_answers(student_id, exam_id))
                    and all(s.get(k, ("",))[0] == v for k, v in SHEET_ANSWERS.items())
                    and s
                ),
                what="the answers in the database",
            )
        assert {label: value for label, (value, _flag) in stored.items()} == SHEET_ANSWERS
        errors.assert_none()
    finally:
        retire_exam(deployment, exam_id)  # type: ignore[arg-type]


# --- the admin's side -------------------------------------------------------------------------


def _sign_in(page: Page, origin: str) -> None:
    page.goto(origin + "/admin")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin$"))
    page.fill("#username", OPERATOR)
    page.fill("#password", OPERATOR_PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#admin-name")).to_have_text(OPERATOR)


def test_admin_uploads_a_pdf_through_caddy_and_admin_pages_carry_their_headers(
    deployment: Deployment, desktop: BrowserContext, tmp_path: Path
):
    page = desktop.new_page()
    errors = ConsoleErrors(page)
    response = page.goto(deployment.origin + "/admin/login")
    assert response is not None and response.ok
    # Caddy's policy beside the app's own (mockexam/api.py): a browser enforces both.
    policies = response.headers["content-security-policy"].split("\n")
    assert "frame-ancestors 'none'" in policies
    assert any(p.startswith("frame-ancestors 'none'; base-uri 'self'") for p in policies)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    _sign_in(page, deployment.origin)

    start = utcnow().replace(microsecond=0)
    with deployment.database(), session_scope() as db:
        exam = exam_service.create_exam(
            db,
            title="Caddy upload",
            window_start=start + timedelta(days=60),
            window_end=start + timedelta(days=60, hours=3),
            duration_minutes=120,
        )
        exam_id = exam.id
    # 3 MB: more than the 1 MB every other request body may have, less than a paper may.
    body = b"%PDF-1.4\n" + b"%" + b"x" * (3 * 1024 * 1024) + b"\n%%EOF\n"
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(body)
    page.goto(f"{deployment.origin}/admin/exams/{exam_id}")
    page.set_input_files("#exam-pdf input[type=file]", str(paper))
    page.click("#exam-pdf-upload")
    expect(page.locator("#exam-pdf-path")).to_contain_text(f"papers/exam-{exam_id}-")
    with deployment.database(), session_scope(readonly=True) as db:
        stored = db.get(Exam, exam_id)
        assert stored is not None and stored.pdf_path
        assert (deployment.opts.data / "uploads" / stored.pdf_path).read_bytes() == body
    errors.assert_none()


# --- framing ----------------------------------------------------------------------------------


def _framing_page(page: Page, parent: str, sources: list[str]) -> None:
    """Serve `parent`'s page (no network: Playwright answers) with one iframe per source."""
    frames = "".join(
        f'<iframe src="{src}" width="390" height="600" onload="window.loaded += 1"></iframe>'
        for src in sources
    )
    body = f"<!doctype html><script>window.loaded = 0;</script><body>{frames}</body>"
    page.route(
        f"{parent}/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=body),
    )


def _child_urls(page: Page, count: int) -> list[str]:
    """The URLs the iframes ended on, once each has loaded (a refused one shows an error page)."""
    page.wait_for_function(f"window.loaded >= {count}", timeout=30_000)
    return [frame.url for frame in page.main_frame.child_frames]


def _failures(page: Page) -> dict[str, str]:
    """URL (no trailing /) -> why its request failed (the CSP refusal: ERR_BLOCKED_BY_RESPONSE)."""
    failed: dict[str, str] = {}
    page.on(
        "requestfailed",
        lambda request: failed.update({request.url.rstrip("/"): request.failure or ""}),
    )
    return failed


REFUSED = "chrome-error://chromewebdata/"
BLOCKED_BY_RESPONSE = "net::ERR_BLOCKED_BY_RESPONSE"


def test_another_site_cannot_frame_the_admin_panel_or_the_mini_app(
    deployment: Deployment, desktop: BrowserContext
):
    page = desktop.new_page()
    admin = deployment.origin + "/admin/login"
    app = deployment.student_link(DEMO_STUDENT_TELEGRAM_ID)
    failed = _failures(page)
    _framing_page(page, "https://evil.example", [admin, app])
    page.goto("https://evil.example/frames")
    assert _child_urls(page, 2) == [REFUSED, REFUSED]
    # Refused for the page's policy (the response came, the frame was not shown).
    assert failed == {admin: BLOCKED_BY_RESPONSE, deployment.origin + "/app": BLOCKED_BY_RESPONSE}


def test_telegram_web_may_frame_the_mini_app_but_not_the_admin_panel(
    deployment: Deployment, desktop: BrowserContext
):
    page = desktop.new_page()
    app = deployment.student_link(DEMO_STUDENT_TELEGRAM_ID)
    admin = deployment.origin + "/admin/login"
    _framing_page(page, "https://web.telegram.org", [app, admin])
    errors = ConsoleErrors(page)
    failed = _failures(page)
    page.goto("https://web.telegram.org/k/")
    urls = _child_urls(page, 2)
    assert urls[0].startswith(f"{deployment.origin}/app/"), urls
    assert urls[1] == REFUSED
    assert failed == {admin: BLOCKED_BY_RESPONSE}
    mini_app = page.frame_locator("iframe").nth(0)
    expect(mini_app.locator("#dashboard-ready")).to_be_attached(timeout=30_000)
    # The only errors: the admin frame's refusal (once per policy that refuses it: the
    # app's own and Caddy's). The Mini App in its frame logged none.
    assert 1 <= len(errors.messages) <= 2, errors.messages
    assert all("frame-ancestors 'none'" in message for message in errors.messages)


# --- the other services -------------------------------------------------------------------------


def test_worker_and_bot_run_from_their_units(deployment: Deployment):
    with deployment.database():
        beat = wait_for(_sweep_beat, what="the worker's sweep heartbeat", timeout=60)
    assert beat.at is not None
    wait_for(lambda: deployment.fake.calls("getUpdates"), what="the bot polling", timeout=60)
    for name in (APP_UNIT, WORKER_UNIT, BOT_UNIT, "caddy"):
        assert deployment.processes[name].poll() is None, deployment.log_tail(name)


def _sweep_beat() -> Any:
    with session_scope(readonly=True) as db:
        beat = heartbeat.last_beat(db, heartbeat.SWEEP)
    return beat if beat.at is not None else None
