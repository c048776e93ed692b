"""Admin accounts: creation, password resets, deactivation, sessions (argon2 passwords).

Every change to an account ends that admin's sessions where it should and is in
the audit log, in the same transaction (`actor_id`: the admin who acted in the
panel; None when the operator acted from the command line):

- a password reset ends every session of the admin (a stolen session must not
  outlive the password it was opened with) and never re-activates a deactivated
  admin: that is a separate, explicit step (`reactivate`), so a routine reset
  cannot undo a deliberate deactivation;
- deactivation ends every session (`admin_for_token` also checks `is_active`, so
  a token stops working at once either way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError, msg
from mockexam.models import Admin, AdminRole, AdminSession
from mockexam.services import audit


def hasher_for(env: str) -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106's second recommendation: 64 MiB,
    3 passes, 4 lanes; ~0.2 s here) for every install. The test suite alone
    (MOCKEXAM_ENV=test, which serves no one) hashes with the smallest parameters: the
    same code and checks, without 0.4 s of hashing in each of a thousand tests. A
    hash carries its parameters, so either verifies anywhere."""
    if env == "test":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


_hasher = hasher_for(settings.mockexam_env)
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_admin(
    session: Session, *, username: str, password: str, role: AdminRole = AdminRole.ADMIN
) -> Admin:
    """Create an admin, or reset the password of an existing one (see `set_admin`)."""
    return set_admin(session, username=username, password=password, role=role).admin


def create_account(
    session: Session, *, username: str, password: str, role: object, actor_id: int
) -> Admin:
    """An owner creates an account in the panel (audited). Unlike `set_admin`, an existing
    username is refused: a password reset of someone else stays on the server."""
    from mockexam.services.access import parse_role

    role = parse_role(role)
    name = username.strip() if isinstance(username, str) else ""
    if session.exec(select(Admin.id).where(Admin.username == name)).first() is not None:
        raise ValidationError(
            msg(
                "{name} nomli hisob allaqachon bor.",
                "Учётная запись {name} уже есть.",
                "There is already an account called {name}.",
                name=name,
            )
        )
    admin = set_admin(
        session,
        username=name,
        password=password if isinstance(password, str) else "",
        role=role,
        actor_id=actor_id,
    ).admin
    _audit(session, actor_id, "admin.created", admin, role=role)
    return admin


@dataclass(frozen=True, slots=True)
class AdminChange:
    """What `set_admin` did: the admin, whether it is new, and sessions ended."""

    admin: Admin
    created: bool
    sessions_ended: int
    reactivated: bool


def set_admin(
    session: Session,
    *,
    username: str,
    password: str,
    reactivate: bool = False,
    role: AdminRole = AdminRole.ADMIN,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> AdminChange:
    """Create an admin, or reset an existing one's password (ending all their sessions).

    A reset leaves a deactivated admin deactivated unless `reactivate` is given.
    A reset and a re-activation are audited (creation is not: the first admin is made
    before there is anyone to audit, and the account list shows it). `role` is the new
    account's; a reset keeps the role (`set_role` changes it).
    """
    if not _USERNAME.match(username):
        raise ValidationError(
            msg(
                "Foydalanuvchi nomi 3–64 belgidan iborat bo‘lishi kerak: harflar, raqamlar, "
                "'_', '.' yoki '-'.",
                "Имя пользователя — от 3 до 64 символов: буквы, цифры, '_', '.' или '-'.",
                "Username must be 3–64 characters: letters, digits, '_', '.' or '-'.",
            )
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            msg(
                "Parol kamida {n} belgidan iborat bo‘lishi kerak.",
                "Пароль должен быть не короче {n} символов.",
                "Password must be at least {n} characters.",
                n=MIN_PASSWORD_LENGTH,
            )
        )
    now = now or utcnow()
    admin = session.exec(select(Admin).where(Admin.username == username)).first()
    if admin is None:
        admin = Admin(
            username=username,
            password_hash=hash_password(password),
            language=settings.admin_default_language,
            role=AdminRole(role),
        )
        session.add(admin)
        session.flush()
        return AdminChange(admin=admin, created=True, sessions_ended=0, reactivated=False)
    admin.password_hash = hash_password(password)
    session.add(admin)
    session.flush()
    ended = end_sessions(session, admin.id, now=now)
    _audit(session, actor_id, "admin.password_reset", admin, sessions_ended=ended)
    reactivated = False
    if reactivate and not admin.is_active:
        admin.is_active = True
        session.add(admin)
        reactivated = True
        _audit(session, actor_id, "admin.reactivated", admin)
    session.flush()
    return AdminChange(admin=admin, created=False, sessions_ended=ended, reactivated=reactivated)


def end_sessions(session: Session, admin_id: int, *, now: datetime | None = None) -> int:
    """Revoke every live session of the admin in the caller's transaction; how many ended."""
    result = session.execute(
        update(AdminSession)
        .where(col(AdminSession.admin_id) == admin_id, col(AdminSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount or 0)


def find_admin(session: Session, username: str) -> Admin:
    """The admin with this username; NotFoundError naming it otherwise."""
    name = username.strip() if isinstance(username, str) else ""
    admin = session.exec(select(Admin).where(Admin.username == name)).first() if name else None
    if admin is None:
        raise NotFoundError(
            msg(
                "{name} nomli admin yo‘q.",
                "Администратора с именем {name} нет.",
                "There is no admin named {name}.",
                name=repr(name[:64]),
            )
        )
    return admin


def get_admin(session: Session, admin_id: int) -> Admin:
    """The admin with this id; NotFoundError otherwise (e.g. a stale page)."""
    admin = session.get(Admin, admin_id)
    if admin is None:
        raise NotFoundError(
            msg(
                "Bu admin endi mavjud emas; sahifani yangilang.",
                "Этого администратора больше нет; обновите страницу.",
                "That admin no longer exists; reload the page.",
            )
        )
    return admin


ADMIN_LANGUAGES = ("uz", "ru", "en")


def set_admin_language(session: Session, admin_id: int, language: str) -> Admin:
    """Keep the panel's language (uz, ru, en) for this admin; audited when it changes."""
    if language not in ADMIN_LANGUAGES:
        raise ValidationError(
            msg(
                "Til uz, ru yoki en bo‘lishi kerak.",
                "Язык должен быть uz, ru или en.",
                "The language must be uz, ru or en.",
            )
        )
    admin = get_admin(session, admin_id)
    if admin.language != language:
        before = admin.language
        admin.language = language
        session.add(admin)
        _audit(session, admin_id, "admin.language", admin, before=before, after=language)
    return admin


def set_active(
    session: Session,
    admin: Admin,
    active: bool,
    *,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Deactivate (ending every session) or re-activate `admin`; returns sessions ended.

    From the panel (`actor_id` given) an admin cannot deactivate themselves, nor
    the last active admin: that would leave nobody to undo it there. The command
    line (the operator, `actor_id` None) may, since it can also re-activate.
    """
    if not active and actor_id is not None:
        if admin.id == actor_id:
            raise PermissionDeniedError(
                msg(
                    "O‘zingizni faolsizlantira olmaysiz.",
                    "Нельзя деактивировать самого себя.",
                    "You cannot deactivate yourself.",
                )
            )
        if admin.is_active and active_admin_count(session) <= 1:
            raise PermissionDeniedError(
                msg(
                    "Oxirgi faol adminni faolsizlantirib bo‘lmaydi.",
                    "Нельзя деактивировать последнего активного администратора.",
                    "The last active admin cannot be deactivated.",
                )
            )
        if admin.is_active and admin.role == AdminRole.OWNER:
            _refuse_last_owner(session)
    ended = 0
    if not active:
        ended = end_sessions(session, admin.id, now=now)
    changed = admin.is_active != active
    admin.is_active = active
    session.add(admin)
    session.flush()
    if changed or ended:
        action = "admin.reactivated" if active else "admin.deactivated"
        _audit(session, actor_id, action, admin, sessions_ended=ended)
    return ended


_LAST_OWNER = msg(
    "Oxirgi faol egani o‘zgartirib bo‘lmaydi: avval boshqa hisobni ega qiling.",
    "Нельзя изменить последнего активного владельца: сначала сделайте владельцем другую запись.",
    "The last active owner cannot be changed: make another account an owner first.",
)


def _refuse_last_owner(session: Session) -> None:
    """PermissionDeniedError when only one active owner is left (rows locked: see
    active_admin_count)."""
    owners = session.exec(
        select(Admin.id)
        .where(col(Admin.is_active).is_(True), Admin.role == AdminRole.OWNER)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise PermissionDeniedError(_LAST_OWNER)


def set_role(
    session: Session, admin: Admin, role: AdminRole, *, actor_id: int | None = None
) -> bool:
    """Give `admin` another role (audited; their sessions end, so every open tab re-reads
    what it may do). The last active owner keeps theirs; True if it changed."""
    role = AdminRole(role)
    if admin.role == role:
        return False
    if admin.role == AdminRole.OWNER and admin.is_active:
        _refuse_last_owner(session)
    before, admin.role = admin.role, role
    session.add(admin)
    session.flush()
    ended = end_sessions(session, admin.id)
    _audit(session, actor_id, "admin.role", admin, before=before, after=role, sessions_ended=ended)
    return True


def end_admin_sessions(
    session: Session, admin: Admin, *, actor_id: int | None = None, now: datetime | None = None
) -> int:
    """Sign `admin` out everywhere (audited); returns how many sessions ended."""
    ended = end_sessions(session, admin.id, now=now)
    _audit(session, actor_id, "admin.sessions_ended", admin, sessions_ended=ended)
    return ended


@dataclass(frozen=True, slots=True)
class AdminRow:
    """One admin as the admins page lists them."""

    admin_id: int
    username: str
    is_active: bool
    last_login_at: datetime | None
    live_sessions: int
    role: str = AdminRole.ADMIN


MAX_LISTED = 500


def list_admins(session: Session, *, now: datetime | None = None) -> list[AdminRow]:
    """Every admin (by name, at most MAX_LISTED) with their live session count."""
    now = now or utcnow()
    live = (
        select(AdminSession.admin_id, func.count().label("n"))
        .where(col(AdminSession.revoked_at).is_(None), AdminSession.expires_at > now)
        .group_by(col(AdminSession.admin_id))
        .subquery()
    )
    rows = session.exec(
        select(Admin.id, Admin.username, Admin.is_active, Admin.last_login_at, live.c.n, Admin.role)
        .outerjoin(live, live.c.admin_id == Admin.id)
        .order_by(col(Admin.username))
        .limit(MAX_LISTED)
    ).all()
    return [
        AdminRow(
            admin_id=admin_id,
            username=username,
            is_active=bool(active),
            last_login_at=last,
            live_sessions=int(n or 0),
            role=role,
        )
        for admin_id, username, active, last, n, role in rows
    ]


def active_admin_count(session: Session) -> int:
    """Active admins, their rows locked until commit (PostgreSQL; SQLite has one writer).

    Two admins deactivating each other at once must not both see "two active".
    """
    ids = session.exec(
        select(Admin.id).where(col(Admin.is_active).is_(True)).with_for_update()
    ).all()
    return len(ids)


def _audit(
    session: Session, actor_id: int | None, action: str, admin: Admin, **details: object
) -> None:
    audit.record(
        session,
        admin_id=actor_id,
        action=action,
        entity="admin",
        entity_id=admin.id,
        details={"username": admin.username, "by": "panel" if actor_id else "cli", **details},
    )


def authenticate(session: Session, *, username: str, password: str) -> Admin | None:
    """The active admin with these credentials, or None."""
    admin = session.exec(select(Admin).where(Admin.username == username)).first()
    if admin is None or not admin.is_active:
        verify_password(_DUMMY_HASH, password)  # same work as a real check: no user probing
        return None
    if not verify_password(admin.password_hash, password):
        return None
    admin.last_login_at = utcnow()
    session.add(admin)
    return admin


_DUMMY_HASH = _hasher.hash("not-a-real-password")
