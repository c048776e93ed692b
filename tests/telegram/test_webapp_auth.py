"""Mini App initData validation: Telegram's HMAC algorithm, freshness, and every tampering."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote, urlencode

import pytest

from mockexam.telegram.webapp_auth import (
    InitDataError,
    InitDataProblem,
    parse_init_data,
    sign_init_data,
    validate_init_data,
)

TOKEN = "7342037359:AAHI25ES9xCOMPWYWd5Q8Df7dq6R3iIbA0c"
NOW = 1_733_584_800
USER = {
    "id": 279058397,
    "first_name": "Vladislav",
    "last_name": "Kibenko",
    "username": "vdkfrost",
    "language_code": "ru",
    "is_premium": True,
    "allows_write_to_pm": True,
}


def _independent_hash(fields: dict[str, str], token: str) -> str:
    """Telegram's documented algorithm, written out here independently of the module."""
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return hmac.new(secret, check.encode("utf-8"), hashlib.sha256).hexdigest()


def _fields(**overrides: str) -> dict[str, str]:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(NOW - 60),
        "start_param": "exam12",
        "signature": "6fbdaab833d39f54518bd5c3eb3f511d035e68cb",
    }
    fields.update(overrides)
    return fields


def _init_data(fields: dict[str, str], token: str = TOKEN) -> str:
    return urlencode({**fields, "hash": _independent_hash(fields, token)}, quote_via=quote)


def _check(init_data: str, **kwargs):
    return validate_init_data(init_data, bot_token=TOKEN, max_age_seconds=3600, now=NOW, **kwargs)


def test_validate_init_data_accepts_a_genuine_string():
    user = _check(_init_data(_fields()))
    assert user.id == 279058397
    assert (user.first_name, user.last_name, user.username) == ("Vladislav", "Kibenko", "vdkfrost")
    assert user.language_code == "ru"
    assert user.is_premium is True


def test_parse_init_data_returns_start_param_and_auth_date():
    data = parse_init_data(_init_data(_fields()), bot_token=TOKEN, max_age_seconds=3600, now=NOW)
    assert data.start_param == "exam12"
    assert data.auth_date == NOW - 60
    assert data.query_id == "AAHdF6IQAAAAAN0XohDhrOrc"


def test_validate_init_data_accepts_a_fixed_vector():
    """A hard-coded string and hash (computed once with the independent function above)."""
    fields = {"auth_date": str(NOW), "user": '{"id":42,"first_name":"Ali"}', "signature": "abc"}
    digest = _independent_hash(fields, TOKEN)
    assert (
        digest
        == hmac.new(
            hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest(),
            f'auth_date={NOW}\nsignature=abc\nuser={{"id":42,"first_name":"Ali"}}'.encode(),
            hashlib.sha256,
        ).hexdigest()
    )
    raw = f"user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Ali%22%7D&auth_date={NOW}&signature=abc&hash={digest}"
    assert _check(raw).id == 42


def test_validate_init_data_keeps_signature_in_the_check_string():
    fields = _fields()
    without_signature = {k: v for k, v in fields.items() if k != "signature"}
    wrong_hash = _independent_hash(without_signature, TOKEN)
    forged = urlencode({**fields, "hash": wrong_hash}, quote_via=quote)
    with pytest.raises(InitDataError) as err:
        _check(forged)
    assert err.value.reason == InitDataProblem.BAD_HASH


def test_sign_init_data_round_trips():
    raw = sign_init_data(_fields(), bot_token=TOKEN)
    assert _check(raw).id == USER["id"]


def _tampered_user() -> str:
    raw = _init_data(_fields())
    return raw.replace("Vladislav", "Vladimir")


def _with_extra_field() -> str:
    return _init_data(_fields()) + "&is_admin=1"


def _duplicate_key() -> str:
    raw = _init_data(_fields())
    return raw + "&auth_date=" + str(NOW)


def _signed(**overrides: str) -> str:
    return _init_data(_fields(**overrides))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: "", InitDataProblem.EMPTY),
        (lambda: "   ", InitDataProblem.EMPTY),
        (lambda: "x" * 20_000, InitDataProblem.TOO_LONG),
        (lambda: "user&auth_date", InitDataProblem.MALFORMED),
        (lambda: "a=1&&b=2", InitDataProblem.MALFORMED),
        (lambda: urlencode(_fields()), InitDataProblem.MISSING_HASH),
        (lambda: _init_data(_fields()).replace("hash=", "hash=0"), InitDataProblem.BAD_HASH),
        (_tampered_user, InitDataProblem.BAD_HASH),
        (_with_extra_field, InitDataProblem.BAD_HASH),
        (_duplicate_key, InitDataProblem.DUPLICATE_KEY),
        (lambda: _init_data(_fields(), token="1111:another-bots-token"), InitDataProblem.BAD_HASH),
        (lambda: _signed(auth_date=str(NOW - 3601)), InitDataProblem.STALE),
        (lambda: _signed(auth_date=str(NOW + 3600)), InitDataProblem.FUTURE),
        (lambda: _signed(auth_date="yesterday"), InitDataProblem.BAD_AUTH_DATE),
        (lambda: _signed(user="{not json"), InitDataProblem.BAD_USER),
        (lambda: _signed(user="[1, 2]"), InitDataProblem.BAD_USER),
        (lambda: _signed(user='{"first_name": "NoId"}'), InitDataProblem.BAD_USER),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "no-equals",
        "empty-pair",
        "missing-hash",
        "altered-hash",
        "altered-user",
        "added-field",
        "duplicate-key",
        "other-token",
        "stale",
        "future",
        "bad-auth-date",
        "user-not-json",
        "user-not-object",
        "user-without-id",
    ],
)
def test_validate_init_data_rejects_with_reason(make, reason):
    with pytest.raises(InitDataError) as err:
        _check(make())
    assert err.value.reason == reason
    assert reason.value in str(err.value)


def test_validate_init_data_missing_auth_date_and_user():
    fields = _fields()
    del fields["auth_date"]
    with pytest.raises(InitDataError) as err:
        _check(_init_data(fields))
    assert err.value.reason == InitDataProblem.MISSING_AUTH_DATE
    fields = _fields()
    del fields["user"]
    with pytest.raises(InitDataError) as err:
        _check(_init_data(fields))
    assert err.value.reason == InitDataProblem.MISSING_USER


def test_validate_init_data_non_ascii_hash_is_refused_not_crashing():
    raw = _init_data(_fields()).rsplit("hash=", 1)[0] + "hash=" + quote("ü" * 64)
    with pytest.raises(InitDataError) as err:
        _check(raw)
    assert err.value.reason == InitDataProblem.BAD_HASH
