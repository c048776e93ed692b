"""Settings from the environment (pydantic-settings); one `settings` object.

Every knob is an environment variable of the same name in upper case, e.g.
`DATABASE_URL`, `REDIS_URL`, `TELEGRAM_BOT_TOKEN`. A `.env` file in the project
root is read too. No secret has a public default:

- with `MOCKEXAM_ENV=production` a missing `ADMIN_SECRET_KEY` or
  `TELEGRAM_BOT_TOKEN` is a start-up error;
- elsewhere an unset `ADMIN_SECRET_KEY` is a random secret made once and kept
  in `SECRET_KEY_FILE` (data/admin_secret.key, mode 0600), so every process of
  the installation signs with the same one and nobody else knows it;
- without a bot token, Mini App sign-ins are checked with the development token
  (`student-link` signs with it): only while `WEBAPP_URL` is on this machine
  (localhost); a WEBAPP_URL anyone else can reach refuses to start without
  `TELEGRAM_BOT_TOKEN`, since anyone could sign in as any Telegram user.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"

# The public value older versions fell back to; `doctor` still flags it if set.
DEV_ADMIN_SECRET = "dev-only-admin-secret-change-me"
# Signs and checks Mini App initData when no bot token is configured (development
# and tests without Telegram): `student-link` signs with it exactly as Telegram
# signs with the real token. Production refuses to start without the real token.
DEV_WEBAPP_TOKEN = "0:dev-only-webapp-token"


class Settings(BaseSettings):
    """The whole configuration of a mockexam process."""

    model_config = SettingsConfigDict(env_file=PROJECT_ROOT / ".env", extra="ignore")

    mockexam_env: Literal["development", "test", "production"] = "development"

    # Storage
    database_url: str = f"sqlite:///{DATA_DIR / 'mockexam.db'}"
    redis_url: str | None = None
    huey_sqlite_path: Path = DATA_DIR / "huey.db"
    upload_dir: Path = DATA_DIR / "uploads"

    # The centre's name: the brand line of certificates and reports
    centre_name: str = Field(default="mockexam", min_length=1, max_length=80)

    # Telegram
    telegram_bot_token: str | None = None
    telegram_channel_id: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = None
    # Webhook mode: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token (telegram-setup, bot)
    telegram_webhook_secret: str | None = None
    webapp_url: str = "http://localhost:3000/app"
    # Origins besides WEBAPP_URL's (and the dev ports on localhost outside production)
    # whose pages may use the admin's cookie: comma-separated, see mockexam/origins.py.
    cors_allowed_origins: str = ""
    telegram_messages_per_second: float = 30.0
    # How old Telegram's initData may be for a new Mini App sign-in (telegram/webapp_session.py;
    # the development token alone gets 24 h), and how long the tab's own credential lasts
    # after it (renewed while the Mini App is open).
    initdata_max_age_seconds: int = Field(default=600, ge=30, le=24 * 3600)
    miniapp_session_seconds: int = Field(default=2 * 3600, ge=15 * 60, le=24 * 3600)

    # Admin panel
    admin_secret_key: str | None = None
    # Where an unset ADMIN_SECRET_KEY is generated once and kept (not in production).
    secret_key_file: Path = DATA_DIR / "admin_secret.key"
    admin_session_hours: int = 12
    # Sign-in throttling (services/admin_auth.py): wrong passwords one address may try for one
    # username before each further try waits (5 s, doubling), and the longest such wait.
    admin_login_max_failures: int = Field(default=5, ge=1, le=1000)
    admin_login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Reverse proxies whose X-Forwarded-For is believed (services/client_address.py):
    # comma-separated IPs or CIDRs, e.g. "127.0.0.1,::1" for Caddy on the same machine.
    # Empty (the default): nobody's; the connection's own address is the client's.
    trusted_proxies: str = ""

    # Exams
    deadline_grace_seconds: int = 30
    default_duration_minutes: int = 150
    max_pdf_bytes: int = 30 * 1024 * 1024
    free_response_max_chars: int = 64
    min_participants_for_calibration: int = 10
    # A block of a multi-section exam (DTM) gets its own Rasch measure when it has
    # this many active items (and the calibration minimum of takers).
    min_items_for_block_calibration: int = Field(default=10, ge=2, le=300)
    fit_low: float = 0.7
    fit_high: float = 1.3

    # People: every time an admin reads or types is in this zone (an IANA name);
    # the database keeps UTC. The admin panel's language for a new admin.
    local_timezone: str = "Asia/Tashkent"
    admin_default_language: Literal["uz", "ru", "en"] = "uz"

    # Background work
    sweep_interval_seconds: int = Field(default=15, ge=1, le=3600)
    huey_workers: int = 2
    grading_batch_size: int = Field(default=1000, ge=1)
    # The sweep leaves an exam ungraded while a session still in progress has its deadline
    # within this many seconds (its closing rush: services/grading.py); 0 grades at once.
    grading_hold_seconds: int = Field(default=120, ge=0, le=3600)

    # Backups (services/backup.py): `python -m mockexam backup` writes into BACKUP_DIR,
    # and the consumer backs up nightly when it is set. Rotation keeps the newest
    # backup of each of the last BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY ISO weeks.
    backup_dir: Path | None = None
    backup_keep_daily: int = Field(default=7, ge=1, le=366)
    backup_keep_weekly: int = Field(default=4, ge=0, le=520)

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _empty_backup_dir_is_unset(cls, value: object) -> object:
        # BACKUP_DIR= (empty) means "no backups", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_trusted_proxies(value)  # a typo refuses to start rather than trust nobody
        return value

    @field_validator("local_timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"LOCAL_TIMEZONE: {value!r} is not a time zone name (e.g. Asia/Tashkent)"
            ) from None
        return value.strip()

    @model_validator(mode="after")
    def _secrets_in_production(self) -> Settings:
        if self.mockexam_env == "production":
            missing = [
                name
                for name in ("admin_secret_key", "telegram_bot_token")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    "production mode needs these secrets set in the environment: "
                    + ", ".join(name.upper() for name in missing)
                )
        else:
            if not self.telegram_bot_token and not is_local_url(self.webapp_url):
                raise ValueError(
                    f"WEBAPP_URL {self.webapp_url} is reachable from other machines, and "
                    "without TELEGRAM_BOT_TOKEN Mini App sign-ins would be checked with the "
                    "public development token (anyone could sign in as anyone): set "
                    "TELEGRAM_BOT_TOKEN, or keep WEBAPP_URL on localhost"
                )
            if self.admin_secret_key is None:
                self.admin_secret_key = stored_secret(self.secret_key_file)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def webapp_token(self) -> str:
        """The bot token Mini App initData is signed with (the dev token without a real one)."""
        return self.telegram_bot_token or DEV_WEBAPP_TOKEN


MAX_TRUSTED_PROXIES = 64

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks; ValueError naming the entry that is not an IP or CIDR."""
    networks: list[IPNetwork] = []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES: {entry[:60]!r} is not an IP address or CIDR "
                "(e.g. 127.0.0.1,::1 or 10.0.0.0/8)"
            ) from None
        if network.prefixlen == 0:  # every address: anyone could name any client
            raise ValueError(
                f"TRUSTED_PROXIES: {entry!r} trusts every address, so any client could claim "
                "to be any other (e.g. the admin's): list the proxies themselves"
            )
        networks.append(network)
    if len(networks) > MAX_TRUSTED_PROXIES:
        raise ValueError(f"TRUSTED_PROXIES: at most {MAX_TRUSTED_PROXIES} entries")
    return tuple(networks)


LOCAL_HOSTS = ("localhost", "localhost.localdomain")
SECRET_BYTES = 32


def is_local_url(url: str) -> bool:
    """Whether `url` points at this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def stored_secret(path: Path) -> str:
    """The secret kept in `path`; made (random, mode 0600) by the first process to ask.

    Several processes start together (app, worker, bot): the file is created with
    O_EXCL, so exactly one writes it and the others read what it wrote.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            text = path.read_text(encoding="ascii").strip()
            if text:
                return text
            time.sleep(0.02)
        raise ValueError(f"{path} is empty: delete it to have a new secret made") from None
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret + "\n")
    return secret


settings = Settings()


def reload_settings() -> Settings:
    """Re-read the environment into the shared `settings` object (tests, CLI)."""
    fresh = Settings()
    for name in type(fresh).model_fields:
        object.__setattr__(settings, name, getattr(fresh, name))
    return settings
