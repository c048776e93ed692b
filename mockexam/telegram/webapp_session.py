"""The Mini App's own short-lived credential, and how old Telegram's initData may be.

Telegram's initData is a signed statement "this is Telegram user N", valid for
as long as the server accepts its `auth_date`. Accepting it for a day made a
leaked Mini App link a day of someone's identity, exam included. So:

- A **new sign-in** needs initData younger than `INITDATA_MAX_AGE_SECONDS`
  (10 minutes by default). Telegram signs initData when the Mini App opens and
  the page sends it within seconds; 10 minutes covers a slow first load on a
  poor connection and clocks a little apart. Telegram's docs give no figure
  ("to prevent the use of outdated data, you can additionally check the
  auth_date field").
- After that first check the tab gets a **credential of its own**
  (`issue_credential`): the student, their Telegram id, when it was issued and
  when it expires (`MINIAPP_SESSION_SECONDS`, 2 h), signed with a key derived
  from `ADMIN_SECRET_KEY` and bound to the bot token. It lives in the tab's
  sessionStorage (it dies with the Mini App; it is never in a URL or a log) and
  is renewed while the Mini App is open (every use older than
  `RENEW_AFTER_SECONDS`, and a tick every `RENEW_TICK_MS`), so a 3–4 h exam
  never signs a student out. A page load that finds the tab's server state gone
  (a backend restart, a new page) signs in again with it. Renewal keeps the time
  of the Telegram sign-in it descends from (`since`): MAX_SIGNED_IN_SECONDS (a
  day) after it no credential is accepted, so a stolen one cannot be renewed
  for ever; the Mini App reopened from Telegram signs in afresh.
- The **development token** (no `TELEGRAM_BOT_TOKEN`; never in production,
  which refuses to start without one) keeps initData valid for 24 h: anyone can
  sign initData with that public token at any moment, so its age protects
  nothing, and the student link `make run` prints keeps working for a day. A
  real bot token never gets the longer age.

Credential format: `mx2.<student id>.<telegram id>.<since>.<issued>.<expires>.<signature>`
(unix seconds; signature HMAC-SHA256, base64url).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from enum import StrEnum

from mockexam.config import settings
from mockexam.errors import PermissionDeniedError

PREFIX = "mx2"
# The tab's sessionStorage key (ui/telegram.py's INIT_DATA_JS reads it back).
STORAGE_KEY = "mockexam_session"
DEV_INITDATA_MAX_AGE_SECONDS = 24 * 3600
RENEW_AFTER_SECONDS = 10 * 60  # a credential older than this is replaced on the next use
RENEW_TICK_MS = 5 * 60 * 1000  # an open Mini App asks for that renewal this often
CLOCK_SKEW_SECONDS = 30
MAX_CREDENTIAL_CHARS = 140
# However often it is renewed, a credential descends from a Telegram sign-in at most this old.
MAX_SIGNED_IN_SECONDS = 24 * 3600

_CREDENTIAL = re.compile(
    r"mx2\.([1-9][0-9]{0,17})\.([1-9][0-9]{0,17})\.([1-9][0-9]{0,11})\.([1-9][0-9]{0,11})"
    r"\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})"
)


class CredentialProblem(StrEnum):
    """Why a credential was refused (stable codes for logs and tests)."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    SIGNED_IN_TOO_LONG = "signed_in_too_long"
    FUTURE = "future"
    TOO_LONG_LIVED = "too_long_lived"


class CredentialError(PermissionDeniedError):
    """The tab's credential is missing, forged, from another server or bot, or expired."""

    def __init__(self, reason: CredentialProblem) -> None:
        self.reason = reason
        super().__init__(f"Mini App session refused ({reason.value}); reopen the Mini App.")


@dataclass(frozen=True)
class SessionCredential:
    """What a valid credential says."""

    student_id: int
    telegram_id: int
    signed_in_at: int  # the Telegram sign-in this credential descends from
    issued_at: int
    expires_at: int


def initdata_max_age() -> int:
    """How old initData may be for a new sign-in (the dev token's 24 h: see the module)."""
    if settings.telegram_bot_token or settings.mockexam_env == "production":
        return settings.initdata_max_age_seconds
    return max(settings.initdata_max_age_seconds, DEV_INITDATA_MAX_AGE_SECONDS)


def describe_age(seconds: int) -> str:
    """`600` → "10 min", `86400` → "24 h" (for the printed student link)."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


@functools.cache
def _key(secret: str, bot_token: str) -> bytes:
    """A key for this purpose only, and for this bot: a credential minted while the dev
    token was in use is void once a real token is configured (and vice versa)."""
    bot = hashlib.sha256(bot_token.encode()).hexdigest()
    return hmac.new(
        secret.encode(), f"mockexam/miniapp-session/v1/{bot}".encode(), hashlib.sha256
    ).digest()


def _signature(student_id: int, telegram_id: int, since: int, issued: int, expires: int) -> str:
    secret = settings.admin_secret_key
    if not secret:
        raise PermissionDeniedError("The server has no secret key configured.")
    message = f"{PREFIX}:{student_id}:{telegram_id}:{since}:{issued}:{expires}".encode()
    digest = hmac.new(_key(secret, settings.webapp_token), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_credential(
    *, student_id: int, telegram_id: int, since: float | None = None, now: float | None = None
) -> str:
    """A credential for this student, valid `MINIAPP_SESSION_SECONDS` from `now`.

    `since`: when the Telegram sign-in it descends from happened (default: now, a
    fresh sign-in); a renewal passes the old credential's. It never outlives
    `since + MAX_SIGNED_IN_SECONDS`.
    """
    issued = int(time.time() if now is None else now)
    signed_in = min(issued, int(issued if since is None else since))
    expires = min(issued + settings.miniapp_session_seconds, signed_in + MAX_SIGNED_IN_SECONDS)
    signature = _signature(student_id, telegram_id, signed_in, issued, expires)
    return f"{PREFIX}.{student_id}.{telegram_id}.{signed_in}.{issued}.{expires}.{signature}"


def check_credential(text: object, *, now: float | None = None) -> SessionCredential:
    """What a genuine, unexpired credential says; `CredentialError` with the reason if not."""
    if not isinstance(text, str) or len(text) > MAX_CREDENTIAL_CHARS:
        raise CredentialError(CredentialProblem.MALFORMED)
    match = _CREDENTIAL.fullmatch(text)
    if match is None:
        raise CredentialError(CredentialProblem.MALFORMED)
    student_id, telegram_id, since, issued, expires = (int(match[n]) for n in range(1, 6))
    expected = _signature(student_id, telegram_id, since, issued, expires)
    if not hmac.compare_digest(expected.encode(), match[6].encode()):
        raise CredentialError(CredentialProblem.BAD_SIGNATURE)
    now = time.time() if now is None else now
    if issued > now + CLOCK_SKEW_SECONDS:
        raise CredentialError(CredentialProblem.FUTURE)
    if expires - issued > settings.miniapp_session_seconds:
        raise CredentialError(CredentialProblem.TOO_LONG_LIVED)  # the lifetime was lowered
    if now >= since + MAX_SIGNED_IN_SECONDS:
        raise CredentialError(CredentialProblem.SIGNED_IN_TOO_LONG)
    if now >= expires:
        raise CredentialError(CredentialProblem.EXPIRED)
    return SessionCredential(student_id, telegram_id, since, issued, expires)


def split_sign_in(text: str) -> tuple[str | None, str]:
    """The page's sign-in string (INIT_DATA_JS) as (credential or None, initData).

    `"<credential>\\n<initData>"` when the tab has a credential, else the initData
    alone (initData is a percent-encoded query string: it never holds a newline).
    """
    if text.startswith(PREFIX + "."):
        credential, _, init_data = text.partition("\n")
        return credential, init_data
    return None, text
