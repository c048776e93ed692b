"""The Telegram Login Widget's redirect: Telegram's documented check, and every tampering.

The hash is computed here independently of the module (SHA-256 of the bot token as the
HMAC key, the sorted data-check-string), like the initData tests do.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

import pytest

from mockexam.telegram.webapp_auth import (
    InitDataError,
    InitDataProblem,
    parse_login_widget,
    sign_init_data,
    sign_login_widget,
)

TOKEN = "7342037359:AAHI25ES9xCOMPWYWd5Q8Df7dq6R3iIbA0c"
OTHER_BOT = "6000000000:AAOtherBotTokenOtherBotTokenOtherBo"
NOW = 1_733_584_800
AGE = 600


def _fields(**overrides: str) -> dict[str, str]:
    fields = {
        "id": "279058397",
        "first_name": "Vladislav",
        "last_name": "Kibenko",
        "username": "vdkfrost",
        "photo_url": "https://t.me/i/userpic/320/vdkfrost.jpg",
        "auth_date": str(NOW - 5),
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def _independent(fields: dict[str, str], token: str = TOKEN) -> str:
    secret = hashlib.sha256(token.encode()).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def _parse(query: str, *, now: float = NOW):
    return parse_login_widget(query, bot_token=TOKEN, max_age_seconds=AGE, now=now)


def test_a_genuine_redirect_names_the_user():
    user = _parse(_independent(_fields()))
    assert (user.id, user.first_name, user.last_name, user.username) == (
        279058397,
        "Vladislav",
        "Kibenko",
        "vdkfrost",
    )
    assert user.photo_url == "https://t.me/i/userpic/320/vdkfrost.jpg"
    assert sign_login_widget(_fields(), bot_token=TOKEN) == _independent(_fields())


def test_only_id_and_auth_date_are_required():
    user = _parse(_independent(_fields(last_name=None, username=None, photo_url=None)))
    assert (user.id, user.last_name, user.username) == (279058397, "", None)


def _tampered_name() -> str:
    return _independent(_fields()).replace("Vladislav", "Vladimir")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: "", InitDataProblem.EMPTY),
        (lambda: "x" * 20_000, InitDataProblem.TOO_LONG),
        (lambda: "id=1&&&=", InitDataProblem.MALFORMED),
        (lambda: _independent(_fields()) + "&id=1", InitDataProblem.DUPLICATE_KEY),
        (lambda: urlencode(_fields()), InitDataProblem.MISSING_HASH),
        (_tampered_name, InitDataProblem.BAD_HASH),
        (lambda: _independent(_fields(), OTHER_BOT), InitDataProblem.BAD_HASH),
        # initData's algorithm (the Mini App's key) is not the widget's
        (lambda: sign_init_data(_fields(), bot_token=TOKEN), InitDataProblem.BAD_HASH),
        (lambda: _independent(_fields(auth_date=str(NOW - AGE - 1))), InitDataProblem.STALE),
        (lambda: _independent(_fields(auth_date=str(NOW + 120))), InitDataProblem.FUTURE),
        (lambda: _independent(_fields(auth_date=None)), InitDataProblem.MISSING_AUTH_DATE),
        (lambda: _independent(_fields(auth_date="17e8")), InitDataProblem.BAD_AUTH_DATE),
        (lambda: _independent(_fields(auth_date="²")), InitDataProblem.BAD_AUTH_DATE),
        (lambda: _independent(_fields(id="0")), InitDataProblem.BAD_USER),
        (lambda: _independent(_fields(id="-5")), InitDataProblem.BAD_USER),
        (lambda: _independent(_fields(id="9" * 40)), InitDataProblem.BAD_USER),
        (lambda: _independent(_fields(id=None)), InitDataProblem.BAD_USER),
        (lambda: _independent({**_fields(), "is_admin": "1"}), InitDataProblem.MALFORMED),
    ],
)
def test_a_forged_stale_or_foreign_redirect_is_refused_with_its_reason(make, reason):
    with pytest.raises(InitDataError) as err:
        _parse(make())
    assert err.value.reason == reason


def test_a_non_ascii_hash_is_refused_not_crashing():
    query = _independent(_fields()).rsplit("hash=", 1)[0] + "hash=%D0%B0" * 4
    with pytest.raises(InitDataError) as err:
        _parse(query)
    assert err.value.reason == InitDataProblem.BAD_HASH
