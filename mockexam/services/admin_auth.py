"""Admin sign-in: throttled password checks, session tokens, sign-out.

Throttling slows guessing down without letting anyone lock the real admin out.
Every rule is a *delay* after a run of failures (never a lock of the account as a
whole), and the state lives in the database, so every backend worker agrees:

- per (client address, username): after `settings.admin_login_max_failures`
  failures (within `LOOKBACK`, since the last success of that pair) each further
  attempt waits `BASE_DELAY` after the last failure, doubling with every failure,
  at most `settings.admin_login_lockout_minutes`. A success from that address
  wipes its slate.
- per client address (any usernames): the same after `CLIENT_FREE_FAILURES`
  failures; a success does not reset this one (one valid account must not buy
  guesses at the others).
- per account, the guard against a distributed attack (many addresses, one
  username): once `ACCOUNT_FREE_FAILURES` failures for the username fall within
  `ACCOUNT_WINDOW`, attempts from *new* addresses wait after the account's last
  failure: 1 s, one more second per further 10 failures, at most
  `ACCOUNT_MAX_DELAY`. So a botnet gets at most one guess per few seconds at the
  account, whatever its size.

Why none of this can be used to deny the real admin: the first two rules count
only failures sent *from the address they throttle*; another client cannot send
from the admin's address (the TCP peer cannot be forged for a whole exchange, and
X-Forwarded-For is believed only from TRUSTED_PROXIES, services/client_address.py).
The account guard never applies to an address that signed in to that account
successfully within `KNOWN_CLIENT_DAYS` (a "known" address), and to a new address
it is a wait of a few seconds, never a lock: at worst, during a sustained
distributed attack, the admin at a brand-new address retries for a turn, and
from any address they have used before they are not slowed at all. (Behind a
reverse proxy that is not in TRUSTED_PROXIES every client has the proxy's
address and these guarantees are void: deploy.py writes the setting.)

Unknown usernames are throttled exactly like real ones, so the answers never tell
which accounts exist. Messages say how long to wait and until when.

An attempt is stored as a failure *before* the password is checked (with the
throttling rows of that username and client serialised: PostgreSQL advisory
locks, SQLite's single writer) and turned into a success afterwards, so a burst
of parallel guesses cannot slip past the limits while argon2 is busy.

Sessions: a random 32-byte URL-safe token goes to the browser; only its
SHA-256 is stored, with an expiry `settings.admin_session_hours` after sign-in.
Sign-ins, failures, the start of a wait and sign-outs go to the audit log (never
the password).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, or_, text, update
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import InvalidCredentialsError, LoginThrottledError, Msg, msg
from mockexam.localtime import local_text, local_time_text, to_local, utc_iso
from mockexam.models import Admin, AdminLoginAttempt, AdminRole, AdminSession
from mockexam.services import audit
from mockexam.services.access import known_role
from mockexam.services.admins import end_sessions, hash_password, verify_password

logger = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=5)
"""The first wait of the per-address rules; it doubles with every further failure."""
LOOKBACK = timedelta(hours=24)
"""Failures older than this no longer count for the per-address rules."""
CLIENT_FREE_FAILURES = 20
"""Failed sign-ins from one address (any usernames) before its attempts are delayed."""
ACCOUNT_FREE_FAILURES = 20
"""Failures for one username (any addresses) within ACCOUNT_WINDOW before new addresses wait."""
ACCOUNT_WINDOW = timedelta(hours=1)
ACCOUNT_MAX_DELAY = timedelta(seconds=10)
"""The longest wait the account guard imposes (per attempt, on new addresses only)."""
KNOWN_CLIENT_DAYS = 30
"""An address with a successful sign-in to the account this recently skips the account guard
(sign-in attempts are kept 30 days, see prune_auth_records)."""

TOKEN_BYTES = 32
MAX_FIELD = 64  # stored length of username and client
WRONG_CREDENTIALS = "Wrong username or password."


@dataclass(frozen=True, slots=True)
class AdminLogin:
    """A successful sign-in: give `token` to the browser (e.g. a cookie), keep nothing else."""

    token: str
    admin_id: int
    username: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AdminIdentity:
    """The admin behind a valid session token."""

    admin_id: int
    username: str
    session_id: int
    expires_at: datetime
    language: str = "uz"  # the admin panel's language (Admin.language)
    role: AdminRole = AdminRole.TEACHER  # what the account may do (services/access.py)


def hash_token(token: str) -> str:
    """Hex SHA-256 of a session token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(*, username: str, password: str, client: str, now: datetime | None = None) -> AdminLogin:
    """Check the credentials and open an admin session.

    `client` is the caller's address (services/client_address.py). InvalidCredentialsError:
    wrong username or password, or an inactive account (one generic message).
    LoginThrottledError: too many recent failures (see the module's rules); its
    `retry_at` says when to try again, and so does its message.
    """
    now = now or utcnow()
    name = username.strip()[:MAX_FIELD]
    client = (client or "").strip()[:MAX_FIELD] or "unknown"
    with session_scope() as db:
        _serialise(db, name, client)
        _check_throttle(db, name, client, now)
        attempt = AdminLoginAttempt(username=name, client=client, attempted_at=now)
        db.add(attempt)
        admin = db.exec(select(Admin).where(Admin.username == name)).first()
        db.flush()
        attempt_id = attempt.id
        known = admin is not None and admin.is_active
        admin_id, stored_hash = (admin.id, admin.password_hash) if known else (None, None)

    # The slow argon2 check runs outside any transaction; unknown users cost the same.
    ok = verify_password(stored_hash or _dummy_hash(), password) and known

    with session_scope() as db:
        if not ok:
            audit.record(
                db,
                admin_id=None,
                action="admin.login_failed",
                entity="admin",
                entity_id=admin_id,
                details={"username": name, "client": client},
            )
            # A rule whose free failures this one used up starts making attempts wait.
            for wait in _waits(db, name, client, now):
                if wait.failures == wait.free and wait.until > now:
                    audit.record(
                        db,
                        admin_id=None,
                        action="admin.login_throttled",
                        entity="admin",
                        entity_id=admin_id,
                        details={
                            "username": name,
                            "client": client,
                            "scope": wait.scope,
                            "until": utc_iso(wait.until),
                        },
                    )
        else:
            db.execute(
                update(AdminLoginAttempt)
                .where(col(AdminLoginAttempt.id) == attempt_id)
                .values(succeeded=True)
            )
            token = secrets.token_urlsafe(TOKEN_BYTES)
            expires_at = now + timedelta(hours=settings.admin_session_hours)
            db.add(
                AdminSession(
                    token_hash=hash_token(token),
                    admin_id=admin_id,
                    client=client,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            db.execute(update(Admin).where(col(Admin.id) == admin_id).values(last_login_at=now))
            audit.record(
                db,
                admin_id=admin_id,
                action="admin.login",
                entity="admin",
                entity_id=admin_id,
                details={"client": client},
            )
    if not ok:
        logger.info("Admin sign-in failed for %r from %s", name, client)
        raise InvalidCredentialsError(WRONG_CREDENTIALS)
    logger.info("Admin %r signed in from %s", name, client)
    return AdminLogin(token=token, admin_id=admin_id, username=name, expires_at=expires_at)


def admin_for_token(token: str | None, *, now: datetime | None = None) -> AdminIdentity | None:
    """The active admin of a live session token; None if unknown, expired, revoked or inactive."""
    if not token or not isinstance(token, str) or len(token) > 256:
        return None
    now = now or utcnow()
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(
                AdminSession.id,
                Admin.id,
                Admin.username,
                AdminSession.expires_at,
                Admin.language,
                Admin.role,
            )
            .join(Admin, col(Admin.id) == AdminSession.admin_id)
            .where(
                AdminSession.token_hash == hash_token(token),
                col(AdminSession.revoked_at).is_(None),
                AdminSession.expires_at > now,
                col(Admin.is_active).is_(True),
            )
        ).first()
    if row is None:
        return None
    session_id, admin_id, username, expires_at, language, role = row
    return AdminIdentity(
        admin_id=admin_id,
        username=username,
        session_id=session_id,
        expires_at=expires_at,
        language=language,
        role=known_role(role),
    )


def logout(token: str | None, *, now: datetime | None = None) -> bool:
    """Revoke the session of `token`; True if a live session was ended."""
    if not token or not isinstance(token, str) or len(token) > 256:
        return False
    now = now or utcnow()
    with session_scope() as db:
        row = db.exec(
            select(AdminSession).where(
                AdminSession.token_hash == hash_token(token),
                col(AdminSession.revoked_at).is_(None),
            )
        ).first()
        if row is None:
            return False
        row.revoked_at = now
        db.add(row)
        audit.record(
            db,
            admin_id=row.admin_id,
            action="admin.logout",
            entity="admin",
            entity_id=row.admin_id,
        )
    return True


def revoke_admin_sessions(admin_id: int, *, now: datetime | None = None) -> int:
    """Sign an admin out everywhere (e.g. after a password reset); returns sessions ended."""
    with session_scope() as db:
        return end_sessions(db, admin_id, now=now)


def prune_auth_records(*, now: datetime | None = None, keep_days: int = 30) -> int:
    """Delete sign-in attempts and ended sessions older than `keep_days` (a periodic chore)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    with session_scope() as db:
        attempts = db.execute(
            delete(AdminLoginAttempt).where(col(AdminLoginAttempt.attempted_at) < cutoff)
        )
        sessions = db.execute(
            delete(AdminSession).where(
                or_(
                    col(AdminSession.expires_at) < cutoff,
                    col(AdminSession.revoked_at) < cutoff,
                )
            )
        )
        return int(attempts.rowcount or 0) + int(sessions.rowcount or 0)


# ---------------------------------------------------------------------------
# Throttling
# ---------------------------------------------------------------------------
def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.sha256(f"mockexam-admin-login:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _serialise(db: Session, name: str, client: str) -> None:
    """Make concurrent sign-ins for one username / client take turns (PostgreSQL).

    SQLite needs nothing: write transactions begin IMMEDIATE, one at a time.
    Locks are always taken username first, then client, so they cannot deadlock.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    for key in (_lock_key("user", name), _lock_key("client", client)):
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass(frozen=True, slots=True)
class _Wait:
    """One rule's verdict: attempts wait until `until`; `failures` counted against `free`."""

    until: datetime
    scope: str  # "address+account", "address" or "account"
    failures: int
    free: int


def _failures(db: Session, where: list, since: datetime, limit: int) -> list[datetime]:
    """The newest failures matching `where` after `since` (at most `limit`, newest first)."""
    return list(
        db.exec(
            select(AdminLoginAttempt.attempted_at)
            .where(
                *where,
                col(AdminLoginAttempt.succeeded).is_(False),
                col(AdminLoginAttempt.attempted_at) > since,
            )
            .order_by(col(AdminLoginAttempt.attempted_at).desc())
            .limit(limit)
        )
    )


def _last_success(db: Session, where: list) -> datetime | None:
    return db.exec(
        select(func.max(AdminLoginAttempt.attempted_at)).where(
            *where, col(AdminLoginAttempt.succeeded).is_(True)
        )
    ).one()


def _doubling(recent: list[datetime], free: int, scope: str) -> _Wait | None:
    """BASE_DELAY after the last failure once `free` are used up, doubling, capped."""
    if len(recent) < free:
        return None
    cap = timedelta(minutes=settings.admin_login_lockout_minutes)
    delay = min(cap, BASE_DELAY * 2 ** min(len(recent) - free, 30))
    return _Wait(until=recent[0] + delay, scope=scope, failures=len(recent), free=free)


# Enough rows to reach any capped delay: 5 s * 2**20 is far beyond a day.
_DOUBLINGS = 21


def _waits(db: Session, name: str, client: str, now: datetime) -> list[_Wait]:
    """Every rule's wait for this username from this client (expired ones included)."""
    since = now - LOOKBACK
    waits: list[_Wait] = []

    pair = [AdminLoginAttempt.username == name, AdminLoginAttempt.client == client]
    pair_success = _last_success(db, pair)
    free = settings.admin_login_max_failures
    recent = _failures(
        db, pair, max(since, pair_success) if pair_success else since, free + _DOUBLINGS
    )
    if (wait := _doubling(recent, free, "address+account")) is not None:
        waits.append(wait)

    by_client = [AdminLoginAttempt.client == client]
    recent = _failures(db, by_client, since, CLIENT_FREE_FAILURES + _DOUBLINGS)
    if (wait := _doubling(recent, CLIENT_FREE_FAILURES, "address")) is not None:
        waits.append(wait)

    if not _known_client(db, name, client, now):
        steps = int(ACCOUNT_MAX_DELAY.total_seconds())
        recent = _failures(
            db,
            [AdminLoginAttempt.username == name],
            now - ACCOUNT_WINDOW,
            ACCOUNT_FREE_FAILURES + 10 * steps,
        )
        if len(recent) >= ACCOUNT_FREE_FAILURES:
            seconds = min(steps, 1 + (len(recent) - ACCOUNT_FREE_FAILURES) // 10)
            waits.append(
                _Wait(
                    until=recent[0] + timedelta(seconds=seconds),
                    scope="account",
                    failures=len(recent),
                    free=ACCOUNT_FREE_FAILURES,
                )
            )
    return waits


def _known_client(db: Session, name: str, client: str, now: datetime) -> bool:
    """Whether `client` signed in to `name` successfully within KNOWN_CLIENT_DAYS."""
    row = db.exec(
        select(AdminLoginAttempt.id)
        .where(
            AdminLoginAttempt.username == name,
            AdminLoginAttempt.client == client,
            col(AdminLoginAttempt.succeeded).is_(True),
            col(AdminLoginAttempt.attempted_at) > now - timedelta(days=KNOWN_CLIENT_DAYS),
        )
        .limit(1)
    ).first()
    return row is not None


def _current_wait(db: Session, name: str, client: str, now: datetime) -> _Wait | None:
    """The rule that makes this attempt wait longest, if any does now."""
    live = [w for w in _waits(db, name, client, now) if w.until > now]
    return max(live, key=lambda w: w.until) if live else None


_WHO = {
    "address+account": msg(
        "bu hisob uchun sizning manzilingizdan",
        "для этой учётной записи с вашего адреса",
        "for this account from your address",
    ),
    "address": msg("sizning manzilingizdan", "с вашего адреса", "from your address"),
    "account": msg(
        "bu hisob uchun yangi manzillardan",
        "для этой учётной записи с новых адресов",
        "for this account from new addresses",
    ),
}


def _wait_text(until: datetime, now: datetime) -> Msg:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    if seconds < 120:
        return msg("{n} soniya", "{n} сек.", "{n} second(s)", n=seconds)
    return msg("{n} daqiqa", "{n} мин.", "{n} minute(s)", n=math.ceil(seconds / 60))


def _until_text(until: datetime, now: datetime) -> str:
    """`14:00:05` in local time; with the date when that is not today there."""
    if to_local(until).date() == to_local(now).date():
        return local_time_text(until, seconds=True)
    return local_text(until, seconds=True)


def _check_throttle(db: Session, name: str, client: str, now: datetime) -> None:
    wait = _current_wait(db, name, client, now)
    if wait is None:
        return
    logger.warning("Admin sign-in throttled (%s) for %r from %s", wait.scope, name, client)
    raise LoginThrottledError(
        msg(
            "Muvaffaqiyatsiz kirish urinishlari juda ko‘p ({who}). "
            "Qayta urinib ko‘ring: {wait}dan keyin, soat {until} ({zone}) dan so‘ng.",
            "Слишком много неудачных попыток входа {who}. "
            "Попробуйте снова через {wait}, после {until} ({zone}).",
            "Too many failed sign-ins {who}. Try again in {wait}, after {until} ({zone}).",
            who=_WHO[wait.scope],
            wait=_wait_text(wait.until, now),
            until=_until_text(wait.until, now),
            zone=settings.local_timezone,
        ),
        retry_at=wait.until,
    )


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
