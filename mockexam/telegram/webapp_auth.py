"""Mini App authentication: validate `Telegram.WebApp.initData` (Telegram's algorithm).

    secret_key       = HMAC-SHA256(key=b"WebAppData", msg=bot_token)
    data_check_string = "\\n".join(f"{k}={v}" for every field but `hash`, sorted by k)
    valid            ⇔ hex(HMAC-SHA256(key=secret_key, msg=data_check_string)) == hash

A `signature` field (Ed25519, for third parties) stays in the data-check
string. `auth_date` must be neither older than `max_age_seconds` nor in the
future (beyond a small clock skew). Anything else gets no access.

The Telegram Login Widget (websites: a student at a classroom computer) signs
its redirect's query string the same way with another key
(https://core.telegram.org/widgets/login#checking-authorization):

    secret_key = SHA256(bot_token)
    fields     = id, first_name, last_name, username, photo_url, auth_date (+ hash)

`parse_login_widget` checks it with the same rules (one value per field, the
hash, a fresh auth_date, a valid id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mockexam.errors import PermissionDeniedError
from mockexam.parsing import is_ascii_digits

# Our clock may trail Telegram's a little; more than this in the future is refused.
CLOCK_SKEW_SECONDS = 30
MAX_INIT_DATA_CHARS = 16_384


class InitDataProblem(StrEnum):
    """Why initData was refused (stable codes for logs and tests)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    MALFORMED = "malformed"
    DUPLICATE_KEY = "duplicate_key"
    MISSING_HASH = "missing_hash"
    BAD_HASH = "bad_hash"
    MISSING_AUTH_DATE = "missing_auth_date"
    BAD_AUTH_DATE = "bad_auth_date"
    STALE = "stale"
    FUTURE = "future"
    MISSING_USER = "missing_user"
    BAD_USER = "bad_user"


class InitDataError(PermissionDeniedError):
    """initData is missing, forged, tampered with or too old; `reason` says which."""

    def __init__(self, reason: InitDataProblem, detail: str) -> None:
        self.reason = reason
        super().__init__(f"Telegram sign-in failed ({reason.value}): {detail}")


@dataclass(frozen=True)
class TelegramUser:
    """The Telegram user the Mini App was opened by (from initData's `user`)."""

    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False
    photo_url: str | None = None


@dataclass(frozen=True)
class WebAppInitData:
    """Everything a validated initData carries that mockexam uses."""

    user: TelegramUser
    auth_date: int
    start_param: str | None = None
    query_id: str | None = None
    chat_type: str | None = None
    chat_instance: str | None = None


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or not init_data.strip():
        raise InitDataError(InitDataProblem.EMPTY, "no initData was sent")
    if len(init_data) > MAX_INIT_DATA_CHARS:
        raise InitDataError(InitDataProblem.TOO_LONG, "initData is too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as err:
        raise InitDataError(InitDataProblem.MALFORMED, f"not a query string ({err})") from err
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InitDataError(InitDataProblem.DUPLICATE_KEY, f"the field {key!r} appears twice")
        fields[key] = value
    return fields


def _user(raw: str | None) -> TelegramUser:
    if raw is None:
        raise InitDataError(InitDataProblem.MISSING_USER, "initData has no user")
    try:
        data: Any = json.loads(raw)
    except ValueError as err:
        raise InitDataError(InitDataProblem.BAD_USER, "the user field is not valid JSON") from err
    if not isinstance(data, dict):
        raise InitDataError(InitDataProblem.BAD_USER, "the user field is not a JSON object")
    user_id = data.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InitDataError(InitDataProblem.BAD_USER, "the user has no valid id")

    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) else None

    return TelegramUser(
        id=user_id,
        first_name=text("first_name") or "",
        last_name=text("last_name") or "",
        username=text("username"),
        language_code=text("language_code"),
        is_premium=data.get("is_premium") is True,
        photo_url=text("photo_url"),
    )


def _checked(fields: dict[str, str], key: bytes, *, max_age_seconds: int, now: float | None) -> int:
    """Check the hash (with `key`) and the age of `auth_date`; returns auth_date."""
    received = fields.get("hash")
    if not received:
        raise InitDataError(InitDataProblem.MISSING_HASH, "initData carries no hash")
    expected = hmac.new(key, _data_check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.lower().encode()):
        raise InitDataError(
            InitDataProblem.BAD_HASH, "the hash does not match (forged, altered or another bot)"
        )
    raw_date = fields.get("auth_date")
    if raw_date is None:
        raise InitDataError(InitDataProblem.MISSING_AUTH_DATE, "initData has no auth_date")
    if not is_ascii_digits(raw_date, max_len=12):  # '²' and 5,000 digits are no Unix time
        raise InitDataError(InitDataProblem.BAD_AUTH_DATE, "auth_date is not a Unix time")
    auth_date = int(raw_date)
    now = time.time() if now is None else now
    if auth_date > now + CLOCK_SKEW_SECONDS:
        raise InitDataError(InitDataProblem.FUTURE, "auth_date lies in the future")
    if now - auth_date > max_age_seconds:
        raise InitDataError(
            InitDataProblem.STALE,
            f"the sign-in is older than {max_age_seconds} s; reopen the Mini App",
        )
    return auth_date


def parse_init_data(
    init_data: str, *, bot_token: str, max_age_seconds: int, now: float | None = None
) -> WebAppInitData:
    """Validate initData and return all of it; raises `InitDataError` with the reason."""
    fields = _fields(init_data)
    auth_date = _checked(fields, _secret_key(bot_token), max_age_seconds=max_age_seconds, now=now)
    return WebAppInitData(
        user=_user(fields.get("user")),
        auth_date=auth_date,
        start_param=fields.get("start_param") or None,
        query_id=fields.get("query_id") or None,
        chat_type=fields.get("chat_type") or None,
        chat_instance=fields.get("chat_instance") or None,
    )


def validate_init_data(
    init_data: str, *, bot_token: str, max_age_seconds: int, now: float | None = None
) -> TelegramUser:
    """The user of a valid, fresh initData; raises `InitDataError` with the reason."""
    return parse_init_data(
        init_data, bot_token=bot_token, max_age_seconds=max_age_seconds, now=now
    ).user


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """A query string with the hash Telegram would add (dev tools and tests only)."""
    unsigned = {key: value for key, value in fields.items() if key != "hash"}
    digest = hmac.new(
        _secret_key(bot_token), _data_check_string(unsigned).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**unsigned, "hash": digest})


def _widget_key(bot_token: str) -> bytes:
    return hashlib.sha256(bot_token.encode()).digest()


# Where the widget sends the browser (mockexam/api.py answers it).
LOGIN_WIDGET_ROUTE = "/auth/telegram"
# What the widget sends (besides `hash`); anything else is not from Telegram.
WIDGET_FIELDS = frozenset({"id", "first_name", "last_name", "username", "photo_url", "auth_date"})


def parse_login_widget(
    query: str, *, bot_token: str, max_age_seconds: int, now: float | None = None
) -> TelegramUser:
    """The user of a valid, fresh Login Widget redirect (its query string); raises
    `InitDataError` with the reason otherwise."""
    fields = _fields(query)
    unknown = sorted(set(fields) - WIDGET_FIELDS - {"hash"})
    if unknown:
        raise InitDataError(InitDataProblem.MALFORMED, f"unexpected fields {unknown[:3]}")
    _checked(fields, _widget_key(bot_token), max_age_seconds=max_age_seconds, now=now)
    raw_id = fields.get("id", "")
    if not is_ascii_digits(raw_id, max_len=15) or int(raw_id) <= 0:
        raise InitDataError(InitDataProblem.BAD_USER, "the user has no valid id")
    return TelegramUser(
        id=int(raw_id),
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
        username=fields.get("username") or None,
        photo_url=fields.get("photo_url") or None,
    )


def sign_login_widget(fields: dict[str, str], *, bot_token: str) -> str:
    """A query string as the Login Widget's redirect carries it (tests only)."""
    unsigned = {key: value for key, value in fields.items() if key != "hash"}
    digest = hmac.new(
        _widget_key(bot_token), _data_check_string(unsigned).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**unsigned, "hash": digest})
