"""`python -m mockexam doctor` against real parts: a fit installation, then each failure in turn.

The fit installation: production settings, a database migrated by Alembic (SQLite
and PostgreSQL), fresh consumer and backup heartbeats, an admin with a password of
their own, the fake Bot API for getMe/getWebhookInfo (the real PTB client through
the gateway), and WEBAPP_URL on a real HTTPS server answering /ping with a
certificate trusted through SSL_CERT_FILE. Each failure case changes one thing and
expects exactly the checks it breaks to fail, each with a fix, and exit status 1.
The doctor goes through `cli.main` (parsing, printing, exit status); one case runs
`python -m mockexam doctor` as a process configured by its environment alone.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from mockexam.cli import main
from mockexam.config import DEV_ADMIN_SECRET, PROJECT_ROOT, settings
from mockexam.db import session_scope
from mockexam.services import doctor, heartbeat
from mockexam.services.admins import create_admin
from mockexam.services.demo import DEMO_ADMIN_PASSWORD_DEFAULT, DEMO_ADMIN_USERNAME
from tests.health_helpers import (
    alembic_config,
    beat_seconds_ago,
    closed_port,
    migrated_database,
    ping_server,
    self_signed_cert,
)
from tests.telegram.fake_bot_api import FakeBotAPI, _ok

SECRET = "pg-Passw0rd-never-printed"
ALL_CHECKS = [
    "production mode",
    "admin secret",
    "Mini App token",
    "WEBAPP_URL",
    "client addresses",
    "sign-in lifetimes",
    "allowed origins",
    "app answers",
    "database",
    "schema",
    "time zone",
    "demo admin",
    "redis",
    "consumer",
    "bot token",
    "webhook",
    "disk (uploads)",
    "disk (backups)",
    "last backup",
]


class WebhookFake(FakeBotAPI):
    """The fake Bot API with a webhook whose state a test sets (url, last error, pending)."""

    webhook: dict[str, Any] | None = None  # `error_seconds_ago`: last_error_date that long ago

    def _api_getwebhookinfo(self, _params: dict[str, Any]) -> tuple[int, dict, float]:
        info = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        info.update(self.webhook or {})
        if "error_seconds_ago" in info:
            info["last_error_date"] = int(time.time()) - info.pop("error_seconds_ago")
        return 200, _ok(info), 0.0


@dataclass
class Installation:
    db_url: str
    https_origin: str
    http_origin: str
    cert: Path
    telegram: WebhookFake
    tmp_path: Path


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fit(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tls: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Installation]:
    """A fit installation (see the module's docstring); settings point at its parts."""
    with (
        WebhookFake() as fake,
        ping_server(tls) as https_origin,
        ping_server() as http_origin,
    ):
        for url in migrated_database(request.param, tmp_path):
            values = {
                "mockexam_env": "production",
                "database_url": url,
                "admin_secret_key": secrets.token_urlsafe(32),
                "telegram_bot_token": fake.token,
                "telegram_api_base_url": fake.base_url,
                "webapp_url": f"{https_origin}/app",
                "redis_url": None,
                "upload_dir": tmp_path / "uploads",
                "backup_dir": tmp_path / "backups",
                "trusted_proxies": "127.0.0.1,::1",
            }
            for name, value in values.items():
                monkeypatch.setattr(settings, name, value)
            monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))
            # The machine's own disk must not decide this test; test_doctor_disk_* does.
            monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1)
            monkeypatch.setattr(doctor, "MIN_FREE_FRACTION", 0.0)
            with session_scope() as db:
                create_admin(db, username=DEMO_ADMIN_USERNAME, password="a-password-of-its-own")
            beat_seconds_ago(2)
            beat_seconds_ago(3600, heartbeat.BACKUP, detail=str(tmp_path / "backups" / "b.tar"))
            yield Installation(url, https_origin, http_origin, tls[0], fake, tmp_path)


def run_doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`python -m mockexam doctor` in this process: (exit status, what it printed)."""
    status = main(["doctor"])
    out = capsys.readouterr()
    return status, out.out + out.err


def marks(output: str) -> dict[str, bool]:
    """{check name: passed} from the doctor's ✓/✗ lines."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"^([✓✗]) ([^:]+): ", line)
        if match:
            found[match.group(2)] = match.group(1) == "✓"
    return found


def failed(output: str) -> set[str]:
    return {name for name, ok in marks(output).items() if not ok}


def assert_fix_under_each_failure(output: str) -> None:
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("✗ "):
            assert lines[i + 1].startswith("    fix: ") and len(lines[i + 1]) > 15, line


# ---------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------
def test_doctor_on_a_fit_installation_passes_every_check_and_exits_0(fit, capsys):
    status, output = run_doctor(capsys)
    assert marks(output) == dict.fromkeys(ALL_CHECKS, True), output
    assert status == 0
    assert "fit to serve" in output
    assert "Traceback" not in output
    assert f"{fit.https_origin}/ping answered pong" in output
    assert re.search(
        r"✓ time zone: Asia/Tashkent \(UTC\+05:00\): [0-9.]+ [0-9:]+ there now", output
    )
    assert "@mockexam_test_bot" in output
    methods = [method for method, _ in fit.telegram.calls()]
    assert "getMe" in methods
    assert "getWebhookInfo" in methods


def test_doctor_with_redis_answering_passes(fit, redis_queue_url, monkeypatch, capsys):
    monkeypatch.setattr(settings, "redis_url", redis_queue_url)
    status, output = run_doctor(capsys)
    assert status == 0, output
    assert "✓ redis: Redis answers" in output


def test_doctor_reports_an_old_webhook_error_without_failing(fit, capsys):
    fit.telegram.webhook = {
        "url": "https://exam.example.uz/telegram",
        "error_seconds_ago": 3 * 3600,
        "last_error_message": "Connection timed out",
    }
    status, output = run_doctor(capsys)
    assert status == 0, output
    assert "(last error 3 h ago: Connection timed out)" in output


# ---------------------------------------------------------------------------
# Each failure in turn
# ---------------------------------------------------------------------------
def _set(name: str, value: object) -> Callable[[Installation, pytest.MonkeyPatch], None]:
    def change(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(settings, name, value)

    return change


def _demo_password(_fit: Installation, _mp: pytest.MonkeyPatch) -> None:
    with session_scope() as db:
        create_admin(db, username=DEMO_ADMIN_USERNAME, password=DEMO_ADMIN_PASSWORD_DEFAULT)


def _http_url(fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webapp_url", f"{fit.http_origin}/app")


def _nothing_listening(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webapp_url", f"https://127.0.0.1:{closed_port()}/app")


def _untrusted_certificate(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")


def _unreadable_ca_file(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    # A directory stands for Caddy's root.crt that only the caddy user may read.
    monkeypatch.setenv("SSL_CERT_FILE", str(PROJECT_ROOT))


def _behind_head(fit: Installation, _mp: pytest.MonkeyPatch) -> None:
    command.downgrade(alembic_config(fit.db_url), "-1")


def _redis_down(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", f"redis://127.0.0.1:{closed_port()}/0")


def _stale_sweep(_fit: Installation, _mp: pytest.MonkeyPatch) -> None:
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 10)


def _webhook(**info: Any) -> Callable[[Installation, pytest.MonkeyPatch], None]:
    def change(fit: Installation, _mp: pytest.MonkeyPatch) -> None:
        fit.telegram.webhook = {"url": "https://exam.example.uz/telegram", **info}

    return change


def _old_backup(_fit: Installation, _mp: pytest.MonkeyPatch) -> None:
    beat_seconds_ago(27 * 3600, heartbeat.BACKUP)


def _small_disk(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "MIN_FREE_BYTES", 1024**6)  # an exbibyte


def _db_unreachable(_fit: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://mockexam:{SECRET}@127.0.0.1:{closed_port()}/mockexam"
    monkeypatch.setattr(settings, "database_url", url)


BEATS = {"consumer", "last backup"}
FAILURES: dict[str, tuple[Callable[[Installation, pytest.MonkeyPatch], None], set[str], str]] = {
    # case: (the change, the checks that must fail, a phrase of the output)
    "development mode": (_set("mockexam_env", "development"), {"production mode"}, "not fit"),
    "dev admin secret": (
        _set("admin_secret_key", DEV_ADMIN_SECRET),
        {"admin secret"},
        "ADMIN_SECRET_KEY is the development default",
    ),
    "short admin secret": (_set("admin_secret_key", "x" * 20), {"admin secret"}, "20 characters"),
    "demo admin password": (_demo_password, {"demo admin"}, "admin account(s) admin sign in"),
    "no bot token": (
        _set("telegram_bot_token", None),
        {"Mini App token", "bot token", "webhook"},
        "development token",
    ),
    "http WEBAPP_URL": (_http_url, {"WEBAPP_URL"}, "is not HTTPS"),
    "nothing answers /ping": (_nothing_listening, {"app answers"}, "ConnectError"),
    "untrusted certificate": (_untrusted_certificate, {"app answers"}, "SSL_CERT_FILE"),
    "unreadable SSL_CERT_FILE": (
        _unreadable_ca_file,
        {"app answers", "bot token", "webhook"},
        "cannot set up TLS",
    ),
    "database behind head": (_behind_head, {"schema"}, "this code needs"),
    "database unreachable": (
        _db_unreachable,
        {"database", "schema", "demo admin", *BEATS},
        "postgresql is unreachable",
    ),
    "redis down": (_redis_down, {"redis"}, "Redis does not answer"),
    "unknown time zone": (
        _set("local_timezone", "Mars/Olympus"),  # past the start-up check
        {"time zone"},
        "LOCAL_TIMEZONE 'Mars/Olympus' cannot be loaded",
    ),
    "stale heartbeat": (_stale_sweep, {"consumer"}, "the consumer is not running"),
    "bad token": (
        _set("telegram_bot_token", "123456789:AAWrongTokenWrongTokenWrongToken"),
        {"bot token", "webhook"},
        "refused the bot token",
    ),
    "webhook error": (
        _webhook(error_seconds_ago=120, last_error_message="Wrong response"),
        {"webhook"},
        "Wrong response",
    ),
    "webhook updates piling up": (_webhook(pending_update_count=250), {"webhook"}, "250 updates"),
    "no trusted proxies": (
        _set("trusted_proxies", ""),
        {"client addresses"},
        "every client has the proxy's address",
    ),
    "day-long Mini App links": (
        _set("initdata_max_age_seconds", 24 * 3600),
        {"sign-in lifetimes"},
        "signs anyone in for 1440 minutes",
    ),
    "week-long admin sessions": (
        _set("admin_session_hours", 168),
        {"sign-in lifetimes"},
        "ADMIN_SESSION_HOURS=168",
    ),
    "plain-http extra origin": (
        _set("cors_allowed_origins", "http://panel.example.com"),
        {"allowed origins"},
        "without HTTPS: http://panel.example.com",
    ),
    "old backup": (_old_backup, {"last backup"}, "the last backup is 27 h old"),
    "low disk": (_small_disk, {"disk (uploads)", "disk (backups)"}, "GiB free"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_doctor_names_each_failure_with_its_fix_and_exits_1(case, fit, monkeypatch, capsys):
    change, expected, phrase = FAILURES[case]
    change(fit, monkeypatch)
    status, output = run_doctor(capsys)
    assert failed(output) == expected, output
    assert status == 1
    assert phrase in output
    assert_fix_under_each_failure(output)
    assert "Traceback" not in output
    assert SECRET not in output
    assert "not fit to serve real users" in output


def test_doctor_without_backup_dir_says_nothing_is_backed_up(fit, monkeypatch, capsys):
    monkeypatch.setattr(settings, "backup_dir", None)
    status, output = run_doctor(capsys)
    assert status == 1
    assert failed(output) == {"last backup"}
    assert "disk (backups)" not in marks(output)
    assert "BACKUP_DIR is not set" in output


def test_doctor_of_a_consumer_that_never_ran(fit, capsys):
    from sqlmodel import delete

    from mockexam.models import Heartbeat

    with session_scope() as db:
        db.exec(delete(Heartbeat))  # type: ignore[call-overload]
    status, output = run_doctor(capsys)
    assert status == 1
    assert failed(output) == {"consumer", "last backup"}
    assert "the consumer never ran here" in output
    assert "no backup was ever taken" in output


def test_doctor_with_nothing_reachable_answers_within_its_timeouts(fit, monkeypatch, capsys):
    """Every network check fails fast and alone: no traceback, one ✗ each."""
    _db_unreachable(fit, monkeypatch)
    _nothing_listening(fit, monkeypatch)
    _redis_down(fit, monkeypatch)
    monkeypatch.setattr(settings, "telegram_api_base_url", f"http://127.0.0.1:{closed_port()}/bot")
    status, output = run_doctor(capsys)
    assert status == 1
    assert {"database", "app answers", "redis", "bot token", "webhook"} <= failed(output)
    assert "Traceback" not in output
    assert SECRET not in output


# ---------------------------------------------------------------------------
# The command as an operator runs it: settings from the environment only
# ---------------------------------------------------------------------------
def test_doctor_as_a_process_reads_its_environment(fit, tmp_path):
    env = {
        **os.environ,
        "MOCKEXAM_ENV": "production",
        "DATABASE_URL": fit.db_url,
        "ADMIN_SECRET_KEY": DEV_ADMIN_SECRET,
        "TELEGRAM_BOT_TOKEN": fit.telegram.token,
        "TELEGRAM_API_BASE_URL": fit.telegram.base_url,
        "WEBAPP_URL": f"{fit.https_origin}/app",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "SSL_CERT_FILE": str(fit.cert),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "mockexam", "doctor"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    found = marks(done.stdout)
    assert found["admin secret"] is False
    for name in ("production mode", "Mini App token", "WEBAPP_URL", "app answers", "database"):
        assert found[name] is True, output
    for name in ("schema", "demo admin", "consumer", "bot token", "webhook", "last backup"):
        assert found[name] is True, output
    assert "Set ADMIN_SECRET_KEY to a new random value" in done.stdout
    assert "Traceback" not in output
