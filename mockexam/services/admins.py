"""Admin accounts: creation and password checks (argon2)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from mockexam.db import utcnow
from mockexam.errors import ValidationError
from mockexam.models import Admin

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_admin(session: Session, *, username: str, password: str) -> Admin:
    """Create an admin, or reset the password of an existing one with that name."""
    if not _USERNAME.match(username):
        raise ValidationError("Username must be 3–64 characters: letters, digits, '_', '.' or '-'.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
    admin = session.exec(select(Admin).where(Admin.username == username)).first()
    if admin is None:
        admin = Admin(username=username, password_hash=hash_password(password))
    else:
        admin.password_hash = hash_password(password)
        admin.is_active = True
    session.add(admin)
    session.flush()
    return admin


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
