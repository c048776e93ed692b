"""Admin sign-in: throttled password checks, session tokens, sign-out.

Throttling (the state lives in the database, so every backend worker agrees):

- per account: once `settings.admin_login_max_failures` failed attempts for one
  username fall within `settings.admin_login_lockout_minutes`, that username is
  refused until that long after the last of them. A successful sign-in wipes
  the slate (earlier failures stop counting). Unknown usernames are throttled
  exactly like real ones, so the answers never tell which accounts exist.
- per client (address): `CLIENT_MAX_FAILURES` failures across all usernames
  within the same window lock the client out the same way (success does not
  reset this one: one valid account must not buy guesses at the others).

An attempt is stored as a failure *before* the password is checked (with the
throttling rows of that username and client serialised: PostgreSQL advisory
locks, SQLite's single writer) and turned into a success afterwards, so a burst
of parallel guesses cannot slip past the limit while argon2 is busy.

Sessions: a random 32-byte URL-safe token goes to the browser; only its
SHA-256 is stored, with an expiry `settings.admin_session_hours` after sign-in.
Sign-ins, failures, lock-outs and sign-outs go to the audit log (never the
password).
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
from mockexam.errors import InvalidCredentialsError, LoginThrottledError
from mockexam.models import Admin, AdminLoginAttempt, AdminSession
from mockexam.services import audit
from mockexam.services.admins import hash_password, verify_password

logger = logging.getLogger(__name__)

CLIENT_MAX_FAILURES = 20
"""Failed sign-ins from one client address (any usernames) before it is locked out."""

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


def hash_token(token: str) -> str:
    """Hex SHA-256 of a session token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(*, username: str, password: str, client: str, now: datetime | None = None) -> AdminLogin:
    """Check the credentials and open an admin session.

    InvalidCredentialsError: wrong username or password, or an inactive account
    (one generic message). LoginThrottledError: too many failures for this
    username or from this client; its `retry_at` says when to try again.
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
            lock = _lock(db, name, client, now)
            if lock is not None:
                audit.record(
                    db,
                    admin_id=None,
                    action="admin.login_locked",
                    entity="admin",
                    entity_id=admin_id,
                    details={
                        "username": name,
                        "client": client,
                        "scope": lock[1],
                        "until": lock[0].isoformat(),
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
            select(AdminSession.id, Admin.id, Admin.username, AdminSession.expires_at)
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
    session_id, admin_id, username, expires_at = row
    return AdminIdentity(
        admin_id=admin_id, username=username, session_id=session_id, expires_at=expires_at
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
    now = now or utcnow()
    with session_scope() as db:
        result = db.execute(
            update(AdminSession)
            .where(col(AdminSession.admin_id) == admin_id, col(AdminSession.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)


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


def _locked_until(
    db: Session, where: list, limit: int, window: timedelta, now: datetime
) -> datetime | None:
    """When the lock ends if the last `limit` failures matching `where` fall within `window`."""
    recent = list(
        db.exec(
            select(AdminLoginAttempt.attempted_at)
            .where(
                *where,
                col(AdminLoginAttempt.succeeded).is_(False),
                col(AdminLoginAttempt.attempted_at) > now - 2 * window,
            )
            .order_by(col(AdminLoginAttempt.attempted_at).desc())
            .limit(limit)
        )
    )
    if len(recent) < limit or recent[0] - recent[-1] > window:
        return None
    until = recent[0] + window
    return until if until > now else None


def _lock(db: Session, name: str, client: str, now: datetime) -> tuple[datetime, str] | None:
    """(until, "account" or "client") if this username or client is locked out now."""
    window = timedelta(minutes=settings.admin_login_lockout_minutes)
    account_scope = [AdminLoginAttempt.username == name]
    last_success = db.exec(
        select(func.max(AdminLoginAttempt.attempted_at)).where(
            *account_scope, col(AdminLoginAttempt.succeeded).is_(True)
        )
    ).one()
    if last_success is not None:
        account_scope.append(col(AdminLoginAttempt.attempted_at) > last_success)
    account = _locked_until(
        db, account_scope, max(settings.admin_login_max_failures, 1), window, now
    )
    if account is not None:
        return account, "account"
    by_client = _locked_until(
        db, [AdminLoginAttempt.client == client], CLIENT_MAX_FAILURES, window, now
    )
    if by_client is not None:
        return by_client, "client"
    return None


def _check_throttle(db: Session, name: str, client: str, now: datetime) -> None:
    lock = _lock(db, name, client, now)
    if lock is None:
        return
    until, scope = lock
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    who = "for this account" if scope == "account" else "from this address"
    logger.warning("Admin sign-in throttled (%s) for %r from %s", scope, name, client)
    raise LoginThrottledError(
        f"Too many failed sign-ins {who}. Try again in {minutes} minute(s), "
        f"after {until:%H:%M} UTC.",
        retry_at=until,
    )


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
