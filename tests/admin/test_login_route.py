"""The admin's sign-in and sign-out over HTTP: the session cookie no page script can read.

Requests go into `create_api()` through httpx's ASGI transport as a browser
sends them (form-encoded, with its Origin / Sec-Fetch-Site headers).
"""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from urllib.parse import unquote

import httpx
import pytest
from sqlmodel import select

from mockexam.admin.auth import LEGACY_TOKEN_COOKIE, LOGIN_ERROR_COOKIE, TOKEN_COOKIE
from mockexam.admin.login import login_error_text
from mockexam.api import create_api
from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.models import AuditLog
from mockexam.services import admin_auth
from tests.admin.helpers import PASSWORD, admin_token, make_admin

SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://localhost:3000"}
DEV_PAGE = {"sec-fetch-site": "same-site", "origin": "http://localhost:3000"}


def _post(path: str, *, data=None, json=None, content=None, **headers: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
            return await c.post(path, data=data, json=json, content=content, headers=headers)

    return asyncio.run(send())


def _login(form: dict[str, str] | None = None, **headers: str) -> httpx.Response:
    form = {"username": "alice", "password": PASSWORD} if form is None else form
    return _post("/admin/api/login", data=form, **(headers or SAME_ORIGIN))


def _cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie of the response, parsed, by cookie name."""
    out: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name in jar:
            out[name] = jar
    return out


def _attempts() -> list[AuditLog]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(AuditLog).where(AuditLog.action.startswith("admin.login"))))


def test_login_sets_an_httponly_strict_session_cookie_for_the_whole_site(db_url):
    admin_id = make_admin("alice")

    response = _login()

    assert (
        response.status_code == 303
        and response.headers["location"] == "http://localhost:3000/admin"
    )
    cookie = _cookies(response)[TOKEN_COOKIE][TOKEN_COOKIE]
    assert cookie["httponly"] is True  # no script of the origin can read it
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/"  # the websocket handshake at /_event carries it
    assert int(cookie["max-age"]) == settings.admin_session_hours * 3600
    assert not cookie["secure"]  # http://localhost: a Secure cookie would not be sent
    identity = admin_auth.admin_for_token(cookie.value)
    assert identity is not None and identity.admin_id == admin_id
    # The script-readable cookie of older versions is expired.
    legacy = _cookies(response)[LEGACY_TOKEN_COOKIE][LEGACY_TOKEN_COOKIE]
    assert legacy["path"] == "/admin" and int(legacy["max-age"]) == 0


@pytest.mark.parametrize(
    ("env", "url"),
    [("development", "https://exam.example.com/app"), ("production", "http://localhost:3000/app")],
)
def test_the_session_cookie_is_secure_under_https_and_in_production(db_url, monkeypatch, env, url):
    make_admin("alice")
    monkeypatch.setattr(settings, "webapp_url", url)
    monkeypatch.setattr(settings, "mockexam_env", env)
    response = _login(**{"sec-fetch-site": "same-origin"})
    cookie = _cookies(response)[TOKEN_COOKIE][TOKEN_COOKIE]
    assert cookie["secure"] is True and cookie["httponly"] is True


def test_login_goes_on_to_the_page_asked_for_on_the_posting_page_and_never_off_site(db_url):
    make_admin("alice")
    form = {"username": "alice", "password": PASSWORD, "next": "/admin/audit"}
    assert _login(form, **DEV_PAGE).headers["location"] == "http://localhost:3000/admin/audit"
    form["next"] = "//evil.example/admin"
    assert _login(form, **DEV_PAGE).headers["location"] == "http://localhost:3000/admin"
    # No Origin (a client that is not a browser page): a relative redirect.
    response = _post("/admin/api/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/admin"


def test_a_wrong_password_goes_back_to_the_login_page_with_the_reason_and_no_session(db_url):
    make_admin("alice")
    secret = "wrong password 1234"
    response = _login({"username": "alice", "password": secret, "next": "/admin/audit"})

    assert response.status_code == 303
    assert response.headers["location"] == "http://localhost:3000/admin/login?next=%2Fadmin%2Faudit"
    cookies = _cookies(response)
    assert TOKEN_COOKIE not in cookies
    reason = cookies[LOGIN_ERROR_COOKIE][LOGIN_ERROR_COOKIE]
    assert reason["httponly"] is True and 0 < int(reason["max-age"]) <= 60
    assert unquote(reason.value) == admin_auth.WRONG_CREDENTIALS
    assert login_error_text(f"{LOGIN_ERROR_COOKIE}={reason.value}") == admin_auth.WRONG_CREDENTIALS
    # Nothing the admin typed comes back.
    assert "1234" not in str(response.headers) and "wrong" not in response.headers["location"]


def test_repeated_failures_are_throttled_even_with_the_right_password(db_url, monkeypatch):
    monkeypatch.setattr(settings, "admin_login_max_failures", 3)
    make_admin("alice")
    for _ in range(3):
        _login({"username": "alice", "password": "nope nope"})
    response = _login()
    assert TOKEN_COOKIE not in _cookies(response)
    reason = unquote(_cookies(response)[LOGIN_ERROR_COOKIE][LOGIN_ERROR_COOKIE].value)
    assert reason and reason != admin_auth.WRONG_CREDENTIALS


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"username=alice",
        b"username=&password=",
        b"username=alice&password=" + b"x" * 5000,  # over the body limit
        b"username=" + b"a" * 100 + b"&password=x",
        b"\xff\xfe=1",
    ],
)
def test_malformed_forms_go_back_with_a_message_and_ask_nothing_of_the_database(db_url, content):
    make_admin("alice")
    response = _post(
        "/admin/api/login",
        content=content,
        **{"content-type": "application/x-www-form-urlencoded", **SAME_ORIGIN},
    )
    assert response.status_code == 303
    assert TOKEN_COOKIE not in _cookies(response)
    assert unquote(_cookies(response)[LOGIN_ERROR_COOKIE][LOGIN_ERROR_COOKIE].value)
    assert _attempts() == []


def test_a_json_login_gets_json_and_the_same_cookie(db_url):
    make_admin("alice")
    ok = _post("/admin/api/login", json={"username": "alice", "password": PASSWORD}, **SAME_ORIGIN)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert _cookies(ok)[TOKEN_COOKIE][TOKEN_COOKIE]["httponly"] is True
    bad = _post("/admin/api/login", json=["alice", PASSWORD], **SAME_ORIGIN)
    assert bad.status_code == 400 and bad.json()["error"]


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
        {"origin": "https://evil.example"},  # a browser without Fetch metadata
        {"sec-fetch-site": "same-site", "origin": "http://localhost:5555"},  # another port
        {"sec-fetch-site": "cross-site", "origin": "null"},  # a sandboxed frame
        {"sec-fetch-site": "same-site"},  # no Origin, no Referer: cannot tell whose page
    ],
)
def test_login_and_logout_refuse_requests_from_pages_that_are_not_the_apps(db_url, headers):
    make_admin("alice")
    response = _login(**headers)
    assert response.status_code == 403 and TOKEN_COOKIE not in _cookies(response)
    assert _attempts() == []  # not even a failed attempt is recorded

    token = admin_token("alice")
    out = _post("/admin/api/logout", **{**headers, "cookie": f"{TOKEN_COOKIE}={token}"})
    assert out.status_code == 403
    assert admin_auth.admin_for_token(token) is not None  # a forged sign-out ends nothing


def test_logout_revokes_the_session_and_clears_the_cookie(db_url):
    token = admin_token("alice")
    response = _post("/admin/api/logout", **{**DEV_PAGE, "cookie": f"{TOKEN_COOKIE}={token}"})

    assert response.status_code == 303
    assert response.headers["location"] == "http://localhost:3000/admin/login"
    cleared = _cookies(response)[TOKEN_COOKIE][TOKEN_COOKIE]
    assert cleared.value in ("", '""') and int(cleared["max-age"]) == 0 and cleared["path"] == "/"
    assert admin_auth.admin_for_token(token) is None
    # Without a cookie (already signed out): the same answer, nothing to revoke.
    again = _post("/admin/api/logout", **DEV_PAGE)
    assert again.status_code == 303
