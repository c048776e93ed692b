"""Signed, expiring credentials of one student for one exam (HMAC-SHA256).

A token is `<student id>.<expiry, unix seconds>.<signature>`; the signature
covers the purpose, the student, the exam and the expiry under a key derived
from `settings.admin_secret_key` for that one purpose. So a token cannot be
forged, moved to another exam or student, used for another purpose (a paper
link is no answer-sheet credential) or used after it expires.

Purposes: `paper` (services.paper: the question-paper link), `sheet`
(services.exam_room: the answer sheet's saves over HTTP) and `practice-sheet`
(services.practice: the same for a practice session, whose id takes the exam's place).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from datetime import UTC, datetime

from mockexam.config import settings
from mockexam.errors import PermissionDeniedError

_TOKEN = re.compile(
    r"^(?P<student>[1-9]\d{0,18})\.(?P<exp>[1-9]\d{0,11})\.(?P<sig>[A-Za-z0-9_-]{43})$"
)


class TokenExpiredError(PermissionDeniedError):
    """A genuine token past its expiry."""


@functools.cache
def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"mockexam/{purpose}/v1".encode(), hashlib.sha256).digest()


def _signature(purpose: str, student_id: int, exam_id: int, expires: int) -> str:
    secret = settings.admin_secret_key
    if not secret:
        raise PermissionDeniedError("The server has no secret key configured.")
    message = f"{purpose}:{student_id}:{exam_id}:{expires}".encode()
    digest = hmac.new(_key(secret, purpose), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(purpose: str, *, student_id: int, exam_id: int, expires_at: datetime) -> str:
    """A token of `purpose` for this student and exam, valid until `expires_at`."""
    expires = int(expires_at.timestamp())
    return f"{student_id}.{expires}.{_signature(purpose, student_id, exam_id, expires)}"


def check_token(
    purpose: str, *, exam_id: int, token: str, now: datetime, invalid: str, expired: str
) -> int:
    """The student id `token` was made for; PermissionDeniedError(`invalid`) if forged or
    moved, TokenExpiredError(`expired`) once expired."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise PermissionDeniedError(invalid)
    student_id, expires = int(match["student"]), int(match["exp"])
    expected = _signature(purpose, student_id, exam_id, expires)
    if not hmac.compare_digest(expected.encode(), match["sig"].encode()):
        raise PermissionDeniedError(invalid)
    if now >= datetime.fromtimestamp(expires, UTC):
        raise TokenExpiredError(expired)
    return student_id
