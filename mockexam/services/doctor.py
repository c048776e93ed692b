"""`python -m mockexam doctor`: is this installation fit to serve real students?

Every check runs every time, in development too (where the first check already says
the installation is not fit: that is the point of asking), and each ends as a
`Check`: ok or not, what was found, and the one-line fix. No check raises: an
unreachable service is a failed check with the reason, found within a few seconds
(every network call has a timeout). The CLI prints them; any failure is exit 1.

The consumer's and the backup's heartbeats are judged by services.heartbeat's rule,
the same one `/health` and the admin panel's banner use.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from mockexam.config import DEV_ADMIN_SECRET, DEV_WEBAPP_TOKEN, settings
from mockexam.db import utcnow
from mockexam.localtime import local_text, to_local, zone_label
from mockexam.models import Admin
from mockexam.origins import parse_origins
from mockexam.services import heartbeat
from mockexam.services.admins import verify_password
from mockexam.services.demo import DEMO_ADMIN_PASSWORD_DEFAULT, demo_admin_password
from mockexam.services.health import (
    DatabaseReading,
    ago,
    head_revision,
    probe_engine,
    read_database,
    redis_ping,
)
from mockexam.telegram.gateway import TelegramUnavailableError, gateway_from_settings

logger = logging.getLogger(__name__)

NETWORK_TIMEOUT_SECONDS = 5.0
MIN_SECRET_CHARS = 32
# Disk: at least this much free, and this share of the disk (whichever bites first).
MIN_FREE_BYTES = 1024**3
MIN_FREE_FRACTION = 0.10
# Webhook: an error this recent, or this many updates waiting, means the bot is not served.
RECENT_WEBHOOK_ERROR = timedelta(hours=1)
MAX_PENDING_UPDATES = 100

NEW_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
FIX_DATABASE_FIRST = "Fix the database check above first."


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict: `name` passed or not, what was found, and how to fix it (when not)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _reason(err: BaseException) -> str:
    """The first line of an error (what went wrong, not a traceback)."""
    text = str(getattr(err, "orig", None) or err).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
def check_mode() -> Check:
    env = settings.mockexam_env
    if env == "production":
        return Check("production mode", True, "MOCKEXAM_ENV=production")
    return Check(
        "production mode",
        False,
        f"MOCKEXAM_ENV={env}: this installation is not fit to serve real users",
        "Set MOCKEXAM_ENV=production in the environment file (deploy-config writes one).",
    )


def check_admin_secret() -> Check:
    secret = settings.admin_secret_key or ""
    fix = f"Set ADMIN_SECRET_KEY to a new random value: {NEW_SECRET}"
    if not secret or secret == DEV_ADMIN_SECRET:
        return Check("admin secret", False, "ADMIN_SECRET_KEY is the development default", fix)
    if len(secret) < MIN_SECRET_CHARS:
        return Check(
            "admin secret",
            False,
            f"ADMIN_SECRET_KEY has {len(secret)} characters (at least {MIN_SECRET_CHARS})",
            fix,
        )
    return Check("admin secret", True, "ADMIN_SECRET_KEY is set and not the development default")


def check_webapp_token() -> Check:
    token = settings.telegram_bot_token
    if token and token != DEV_WEBAPP_TOKEN:
        return Check("Mini App token", True, "Mini App sign-ins are checked with the bot's token")
    return Check(
        "Mini App token",
        False,
        "no TELEGRAM_BOT_TOKEN: Mini App sign-ins are checked with the development token, "
        "which anyone can sign with",
        "Set TELEGRAM_BOT_TOKEN to the token BotFather gave the bot.",
    )


def check_webapp_url() -> Check:
    url = settings.webapp_url
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return Check("WEBAPP_URL", True, f"{url} is HTTPS")
    return Check(
        "WEBAPP_URL",
        False,
        f"{url} is not HTTPS: Telegram opens Mini Apps only over HTTPS",
        "Set WEBAPP_URL=https://<your domain>/app (Caddy in front, see deploy-config).",
    )


MAX_INITDATA_AGE_SECONDS = 3600
MAX_ADMIN_SESSION_HOURS = 24


def check_trusted_proxies() -> Check:
    """Behind the proxy every connection comes from it: its X-Forwarded-For must be believed.

    Without that, every admin sign-in has the proxy's address, and the sign-in throttle,
    which slows an address that keeps failing, slows every admin for one attacker's
    failures (services/admin_auth.py).
    """
    name = "client addresses"
    if settings.trusted_proxies.strip():
        return Check(name, True, f"X-Forwarded-For believed from {settings.trusted_proxies}")
    if urlsplit(settings.webapp_url).scheme != "https":
        return Check(name, True, "no proxy in front (WEBAPP_URL is not HTTPS)")
    return Check(
        name,
        False,
        "TRUSTED_PROXIES is empty: behind the HTTPS proxy every client has the proxy's "
        "address, so one attacker's failed sign-ins slow every admin",
        "Set TRUSTED_PROXIES=127.0.0.1,::1 (Caddy on this machine; deploy-config writes it).",
    )


def check_sign_in_lifetimes() -> Check:
    """A leaked Mini App link, or a stolen admin cookie, is someone's identity for this long."""
    name = "sign-in lifetimes"
    problems = []
    if settings.initdata_max_age_seconds > MAX_INITDATA_AGE_SECONDS:
        problems.append(
            f"INITDATA_MAX_AGE_SECONDS={settings.initdata_max_age_seconds}: a Mini App link "
            f"signs anyone in for {settings.initdata_max_age_seconds // 60} minutes"
        )
    if settings.admin_session_hours > MAX_ADMIN_SESSION_HOURS:
        problems.append(f"ADMIN_SESSION_HOURS={settings.admin_session_hours}")
    if problems:
        return Check(
            name,
            False,
            "; ".join(problems),
            f"Keep INITDATA_MAX_AGE_SECONDS at most {MAX_INITDATA_AGE_SECONDS} (default 600) "
            f"and ADMIN_SESSION_HOURS at most {MAX_ADMIN_SESSION_HOURS} (default 12).",
        )
    return Check(
        name,
        True,
        f"Mini App links {settings.initdata_max_age_seconds // 60} min, "
        f"admin sessions {settings.admin_session_hours} h",
    )


def check_allowed_origins() -> Check:
    """Every extra origin allowed the admin's cookie must be HTTPS (plain HTTP can be forged)."""
    name = "allowed origins"
    try:
        extra = parse_origins(settings.cors_allowed_origins)
    except ValueError as err:
        return Check(name, False, str(err), "Fix CORS_ALLOWED_ORIGINS.")
    plain = [origin for origin in extra if not origin.startswith("https://")]
    if plain:
        return Check(
            name,
            False,
            f"CORS_ALLOWED_ORIGINS has origins without HTTPS: {', '.join(plain)}",
            "List only https:// origins in CORS_ALLOWED_ORIGINS (or leave it empty).",
        )
    return Check(
        name, True, "only the app's own origin" + (f" and {', '.join(extra)}" if extra else "")
    )


def check_ping() -> Check:
    """The app answers `/ping` at WEBAPP_URL's origin (through the proxy, over its TLS)."""
    parts = urlsplit(settings.webapp_url)
    if not parts.scheme or not parts.netloc:
        return Check("app answers", False, f"WEBAPP_URL {settings.webapp_url!r} has no host", "")
    ping = f"{parts.scheme}://{parts.netloc}/ping"
    fix = (
        "Start the app and its proxy (systemctl start mockexam-app caddy) and check that "
        "the domain's DNS points at this server."
    )
    try:
        response = httpx.get(ping, timeout=NETWORK_TIMEOUT_SECONDS, follow_redirects=False)
    except OSError as err:  # before any request: e.g. an SSL_CERT_FILE it may not read
        return Check(
            "app answers",
            False,
            f"{ping}: cannot set up TLS: {err.strerror or err} "
            f"({os.environ.get('SSL_CERT_FILE') or 'the trusted certificates'})",
            "Make SSL_CERT_FILE a file this user may read (or unset it).",
        )
    except httpx.HTTPError as err:
        reason = _reason(err)
        if "CERTIFICATE" in reason.upper():
            fix = (
                "The certificate must be one phones trust: Caddy gets one from Let's Encrypt "
                "(for a `tls internal` test, point SSL_CERT_FILE at Caddy's root CA)."
            )
        return Check("app answers", False, f"{ping}: {reason}", fix)
    if response.status_code != 200 or "pong" not in response.text:
        return Check(
            "app answers",
            False,
            f"{ping} answered {response.status_code}, not the app's pong",
            fix,
        )
    return Check("app answers", True, f"{ping} answered pong")


# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------
def check_database(reading: DatabaseReading) -> Check:
    url = settings.database_url
    backend = reading.health.backend
    if reading.health.ok:
        return Check("database", True, f"{backend} answers")
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        if not path.exists():
            return Check(
                "database",
                False,
                f"no database file at {path}",
                "Check DATABASE_URL, then create the schema: python -m mockexam migrate",
            )
    return Check(
        "database",
        False,
        f"{backend} is unreachable: {reading.error}",
        "Start the database server and check DATABASE_URL (host, port, name, user, password).",
    )


def check_schema(reading: DatabaseReading) -> Check:
    if not reading.health.ok:
        return Check(
            "schema", False, "cannot tell: the database is unreachable", FIX_DATABASE_FIRST
        )
    revision, head = reading.health.revision, head_revision()
    if revision is None:
        return Check(
            "schema", False, "the database has no schema yet", "Run: python -m mockexam migrate"
        )
    if revision != head:
        return Check(
            "schema",
            False,
            f"the database is at migration {revision}, this code needs {head}",
            "Back up (python -m mockexam backup), then run: python -m mockexam migrate",
        )
    return Check("schema", True, f"at the head migration ({head})")


def check_time_zone(reading: DatabaseReading, now: datetime) -> Check:
    """LOCAL_TIMEZONE loads (tzdata), and PostgreSQL knows it (analytics months use it there)."""
    name, zone = "time zone", settings.local_timezone
    try:
        detail = f"{zone_label(now)}: {local_text(now)} there now"
        offsets = {to_local(now.replace(month=m, day=1)).utcoffset() for m in (1, 7)}
    except (KeyError, ValueError, OSError) as err:  # ZoneInfoNotFoundError is a KeyError
        return Check(
            name,
            False,
            f"LOCAL_TIMEZONE {zone!r} cannot be loaded: {_reason(err)}",
            "Set LOCAL_TIMEZONE to an IANA zone name (e.g. Asia/Tashkent); "
            "images without /usr/share/zoneinfo need tzdata (pip install -r requirements.txt).",
        )
    if settings.database_url.startswith("postgresql") and reading.health.ok:
        try:
            with probe_engine(settings.database_url).connect() as conn:
                conn.execute(text("SELECT timezone(:zone, now())"), {"zone": zone})
        except SQLAlchemyError as err:
            return Check(
                name,
                False,
                f"PostgreSQL does not know the zone {zone}: {_reason(err)}",
                "Set LOCAL_TIMEZONE to a zone PostgreSQL lists (SELECT name FROM "
                "pg_timezone_names), or update the server's time zone data.",
            )
        detail += "; PostgreSQL knows it"
    elif len(offsets) > 1:
        detail += "; it has daylight saving: SQLite's analytics months use today's offset"
    return Check(name, True, detail)


def demo_passwords() -> set[str]:
    """Passwords that are public: the README's demo password and DEMO_ADMIN_PASSWORD."""
    return {DEMO_ADMIN_PASSWORD_DEFAULT, demo_admin_password()}


def check_demo_admin(reading: DatabaseReading) -> Check:
    """No active admin account opens with the demo password (seed-demo's admin, or any)."""
    if not reading.health.ok:
        return Check(
            "demo admin", False, "cannot tell: the database is unreachable", FIX_DATABASE_FIRST
        )
    try:
        with Session(probe_engine(settings.database_url)) as db:
            # Only the columns every schema has: a database behind head still answers.
            admins = list(
                db.exec(select(Admin.username, Admin.password_hash).where(col(Admin.is_active)))
            )
    except SQLAlchemyError as err:
        return Check("demo admin", False, f"the admins could not be read: {_reason(err)}", "")
    passwords = demo_passwords()
    exposed = sorted(
        admin.username
        for admin in admins
        if any(verify_password(admin.password_hash, p) for p in passwords)
    )
    if exposed:
        names = ", ".join(exposed)
        return Check(
            "demo admin",
            False,
            f"admin account(s) {names} sign in with the demo password, which is published",
            f"Give it a new password: python -m mockexam create-admin {exposed[0]}",
        )
    return Check("demo admin", True, f"no admin uses the demo password ({len(admins)} active)")


# ---------------------------------------------------------------------------
# Queue and background jobs
# ---------------------------------------------------------------------------
def check_redis() -> Check:
    url = settings.redis_url
    if not url:
        return Check("redis", True, "not used: the queue is SQLite (one server)")
    try:
        redis_ping(url)
    except Exception as err:  # redis-py's errors differ by failure; each one means "down"
        return Check(
            "redis",
            False,
            f"Redis does not answer: {_reason(err)}",
            "Start Redis (systemctl start redis-server) and check REDIS_URL.",
        )
    return Check("redis", True, "Redis answers")


def _beats_unknown(name: str, reading: DatabaseReading) -> Check:
    """A heartbeat check when the beats could not be read (the check above says why)."""
    if not reading.health.ok:
        return Check(name, False, "cannot tell: the database is unreachable", FIX_DATABASE_FIRST)
    return Check(
        name,
        False,
        "cannot tell: the heartbeats could not be read",
        "Bring the schema to the head migration (the schema check above).",
    )


def check_consumer(reading: DatabaseReading, now: datetime) -> Check:
    if reading.sweep is None:
        return _beats_unknown("consumer", reading)
    fix = (
        "Start the consumer (systemctl start mockexam-worker, or python -m mockexam worker); "
        "its log: journalctl -u mockexam-worker"
    )
    allowance = heartbeat.sweep_allowance_seconds()
    age = reading.sweep.age_seconds(now)
    if age is None:
        return Check(
            "consumer",
            False,
            "the consumer never ran here: overdue exams are not auto-submitted or released, "
            "messages are not sent",
            fix,
        )
    if age > allowance:
        return Check(
            "consumer",
            False,
            f"the last sweep was {ago(age)} ago (allowed {ago(allowance)}): "
            "the consumer is not running",
            fix,
        )
    return Check("consumer", True, f"the last sweep was {ago(age)} ago")


def check_backup(reading: DatabaseReading, now: datetime) -> Check:
    if settings.backup_dir is None:
        return Check(
            "last backup",
            False,
            "BACKUP_DIR is not set: nothing is backed up",
            "Set BACKUP_DIR (e.g. /var/backups/mockexam): the consumer then backs up nightly.",
        )
    if reading.backup is None:
        return _beats_unknown("last backup", reading)
    allowance = heartbeat.stale_after(heartbeat.BACKUP).total_seconds()
    fix = "Take one now: python -m mockexam backup (the consumer backs up nightly)."
    age = reading.backup.age_seconds(now)
    if age is None:
        return Check("last backup", False, "no backup was ever taken", fix)
    where = f": {reading.backup.detail}" if reading.backup.detail else ""
    if age > allowance:
        return Check(
            "last backup",
            False,
            f"the last backup is {ago(age)} old (allowed {ago(allowance)}){where}",
            fix + " Is the consumer running?",
        )
    return Check("last backup", True, f"{ago(age)} ago{where}")


# ---------------------------------------------------------------------------
# Disk
# ---------------------------------------------------------------------------
def _existing(path: Path) -> Path:
    """`path`, or its nearest parent that exists (a folder made at first use)."""
    path = path.expanduser().absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(name: str, setting: str, path: Path) -> Check:
    """Free space where `path` lives, and that the app may write there."""
    where = _existing(path)
    usage = shutil.disk_usage(where)
    free_gib = usage.free / 1024**3
    share = usage.free / usage.total if usage.total else 0.0
    detail = f"{path}: {free_gib:.1f} GiB free ({share:.0%} of the disk)"
    if not os.access(where, os.W_OK):
        return Check(
            name,
            False,
            f"{where} is not writable by this user",
            f"Give the app's user write access to {where}, or set {setting} elsewhere.",
        )
    if usage.free < MIN_FREE_BYTES or share < MIN_FREE_FRACTION:
        return Check(
            name,
            False,
            detail,
            f"Free some space (at least {MIN_FREE_BYTES / 1024**3:.0f} GiB and "
            f"{MIN_FREE_FRACTION:.0%}), or set {setting} on a bigger disk.",
        )
    return Check(name, True, detail)


# ---------------------------------------------------------------------------
# Telegram
# ---------------------------------------------------------------------------
async def _telegram_checks(now: datetime) -> list[Check]:
    """getMe (the token) and getWebhookInfo (updates reach the bot), through the gateway."""
    no_token = "Set TELEGRAM_BOT_TOKEN to the token BotFather gave the bot."
    if not settings.telegram_bot_token:
        return [
            Check("bot token", False, "TELEGRAM_BOT_TOKEN is not set", no_token),
            Check("webhook", False, "cannot tell without a bot token", no_token),
        ]
    timeouts = {
        "connect_timeout": NETWORK_TIMEOUT_SECONDS,
        "read_timeout": NETWORK_TIMEOUT_SECONDS,
        "write_timeout": NETWORK_TIMEOUT_SECONDS,
        "pool_timeout": NETWORK_TIMEOUT_SECONDS,
    }
    try:
        async with gateway_from_settings(**timeouts) as gateway:
            token = Check("bot token", True, f"the token is @{gateway.bot_username}'s")
            try:
                info = await gateway.bot.get_webhook_info()
            except Exception as err:  # PTB's errors stay below the gateway; any one = unknown
                return [
                    token,
                    Check("webhook", False, f"getWebhookInfo failed: {_reason(err)}", ""),
                ]
    except OSError as err:  # before any request: e.g. an SSL_CERT_FILE it may not read
        fix = "Make SSL_CERT_FILE a file this user may read (or unset it)."
        reason = f"cannot set up TLS: {err.strerror or err}"
        return [
            Check("bot token", False, reason, fix),
            Check("webhook", False, f"cannot tell: {reason}", fix),
        ]
    except TelegramUnavailableError as err:
        fix = (
            "Copy the token from BotFather into TELEGRAM_BOT_TOKEN."
            if err.permanent
            else "Check this server's connection to the Bot API (TELEGRAM_API_BASE_URL)."
        )
        return [
            Check("bot token", False, str(err), fix),
            Check("webhook", False, "cannot tell: the bot token was not accepted", fix),
        ]
    return [token, _webhook_check(info, now)]


def _webhook_check(info: object, now: datetime) -> Check:
    url: str = getattr(info, "url", "") or ""
    pending: int = getattr(info, "pending_update_count", 0) or 0
    error_at: datetime | None = getattr(info, "last_error_date", None)
    error: str = getattr(info, "last_error_message", None) or ""
    mode = f"webhook {url}" if url else "no webhook (the bot polls)"
    bot_fix = "Start the bot (systemctl start mockexam-bot, or python -m mockexam bot)."
    if url and error_at is not None and now - error_at < RECENT_WEBHOOK_ERROR:
        seconds = (now - error_at).total_seconds()
        return Check(
            "webhook",
            False,
            f"{mode}: Telegram could not deliver an update {ago(seconds)} ago: {error}; "
            f"{pending} update(s) waiting",
            "Check that the bot runs and the webhook URL answers over HTTPS; "
            "python -m mockexam telegram-setup sets the webhook again.",
        )
    if pending >= MAX_PENDING_UPDATES:
        return Check(
            "webhook",
            False,
            f"{mode}: {pending} updates are waiting; the bot is not taking them",
            bot_fix,
        )
    note = ""
    if error_at is not None and error:
        note = f" (last error {ago((now - error_at).total_seconds())} ago: {error})"
    return Check("webhook", True, f"{mode}, {pending} update(s) waiting{note}")


def check_telegram(now: datetime) -> list[Check]:
    return asyncio.run(_telegram_checks(now))


# ---------------------------------------------------------------------------
# All of them
# ---------------------------------------------------------------------------
def run_checks(*, now: datetime | None = None) -> list[Check]:
    """Every check, in the order an operator fixes things (blocking; a few seconds)."""
    reading = read_database()
    now = now or utcnow()
    checks = [
        check_mode(),
        check_admin_secret(),
        check_webapp_token(),
        check_webapp_url(),
        check_trusted_proxies(),
        check_sign_in_lifetimes(),
        check_allowed_origins(),
        check_ping(),
        check_database(reading),
        check_schema(reading),
        check_time_zone(reading, now),
        check_demo_admin(reading),
        check_redis(),
        check_consumer(reading, now),
        *check_telegram(now),
        check_disk("disk (uploads)", "UPLOAD_DIR", Path(settings.upload_dir)),
    ]
    if settings.backup_dir is not None:
        checks.append(check_disk("disk (backups)", "BACKUP_DIR", Path(settings.backup_dir)))
    checks.append(check_backup(reading, now))
    return checks


def fit_to_serve(checks: list[Check]) -> bool:
    return all(check.ok for check in checks)
