"""Admin sign-in, session checks and logout through the Reflex handlers, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.admin.auth import LOGIN_ROUTE, AdminState, AuthStatus, safe_next
from mockexam.admin.exams import ExamsState
from mockexam.admin.login import LoginState
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminSession, AuditLog
from mockexam.services import admin_auth
from tests.admin.helpers import (
    PASSWORD,
    admin_token,
    make_admin,
    make_state,
    redirect_target,
    run,
)


def test_login_submit_signs_in_and_keeps_the_token_in_the_cookie(db_url):
    admin_id = make_admin("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE)

    result = run(LoginState.submit, state, {"username": "alice", "password": PASSWORD})

    assert redirect_target(result) == "/admin"
    assert state._admin_id == admin_id
    assert state.auth_status == AuthStatus.OK
    assert state.admin_name == "alice"
    identity = admin_auth.admin_for_token(state.token)
    assert identity is not None and identity.admin_id == admin_id
    assert state.error == ""


def test_login_submit_goes_on_to_the_page_asked_for_but_never_off_site(db_url):
    make_admin("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE, params={"next": "/admin/audit"})
    result = run(LoginState.submit, state, {"username": "alice", "password": PASSWORD})
    assert redirect_target(result) == "/admin/audit"

    assert safe_next("https://evil.example/admin") == "/admin"
    assert safe_next("//evil.example") == "/admin"
    assert safe_next("/admin/../app") == "/admin"
    assert safe_next("/admin//evil.example") == "/admin"
    assert safe_next("/app") == "/admin"
    assert safe_next(None) == "/admin"


def test_login_submit_with_a_wrong_password_gets_the_generic_message_and_no_identity(db_url):
    make_admin("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE)

    result = run(LoginState.submit, state, {"username": "alice", "password": "wrong password"})

    assert redirect_target(result) is None
    assert state.error == admin_auth.WRONG_CREDENTIALS
    assert state._admin_id is None
    assert state.token == ""
    assert state.auth_status != AuthStatus.OK


def test_login_submit_is_throttled_after_repeated_failures(db_url, monkeypatch):
    monkeypatch.setattr(settings, "admin_login_max_failures", 3)
    make_admin("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE)
    for _ in range(3):
        run(LoginState.submit, state, {"username": "alice", "password": "nope nope"})

    run(LoginState.submit, state, {"username": "alice", "password": PASSWORD})

    assert "Too many failed sign-ins" in state.error
    assert state._admin_id is None and state.token == ""


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "", "password": ""},
        {"username": "alice"},
        {"username": ["alice"], "password": PASSWORD},
        {"username": "alice", "password": "x" * 10_000},
        "not a dict",
    ],
)
def test_login_submit_refuses_malformed_forms_without_asking_the_database(db_url, form):
    make_admin("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE)

    run(LoginState.submit, state, form)

    assert state._admin_id is None and state.token == ""
    with session_scope() as session:
        assert session.exec(select(AuditLog)).all() == []  # no attempt was even recorded


def test_check_session_without_a_token_redirects_to_the_login_page(db_url):
    state = make_state(AdminState, path="/admin/exams/3")

    result = run(AdminState.check_session, state)

    assert redirect_target(result) == "/admin/login?next=/admin/exams/3"
    assert state._admin_id is None
    assert state.auth_status == AuthStatus.DENIED


def test_check_session_with_a_valid_cookie_restores_the_identity_after_a_reload(db_url):
    token = admin_token("alice")
    state = make_state(AdminState, token=token)  # a new tab: nothing but the cookie

    result = run(AdminState.check_session, state)

    assert result is None
    assert state._admin_id is not None
    assert state.admin_name == "alice" and state.auth_status == AuthStatus.OK


def test_an_expired_session_is_refused_and_the_page_data_dropped(db_url):
    token = admin_token("alice")
    state = make_state(ExamsState, token=token)
    run(ExamsState.load, state)
    assert state.loaded and state._admin_id is not None
    with session_scope() as db:
        row = db.exec(select(AdminSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.add(row)

    run(ExamsState.load, state)

    assert state._admin_id is None
    assert state.auth_status == AuthStatus.DENIED
    assert state.loaded is False and state.rows == []


def test_a_forged_or_oversized_token_is_refused(db_url):
    admin_token("alice")
    for token in ("forged-token", "x" * 5000):
        state = make_state(AdminState, token=token)
        run(AdminState.check_session, state)
        assert state._admin_id is None and state.auth_status == AuthStatus.DENIED


def test_logout_revokes_the_token_everywhere_and_forgets_the_state(db_url):
    token = admin_token("alice")
    state = make_state(ExamsState, token=token)
    run(ExamsState.load, state)
    admin = state.parent_state

    result = run(AdminState.logout, admin)

    assert redirect_target(result) == LOGIN_ROUTE
    assert admin_auth.admin_for_token(token) is None
    assert admin.token == "" and admin._admin_id is None
    assert state.rows == [] and state.loaded is False
    # A second tab holding the same cookie is signed out too.
    other = make_state(AdminState, token=token)
    run(AdminState.check_session, other)
    assert other._admin_id is None


def test_login_page_load_skips_the_form_when_already_signed_in(db_url):
    token = admin_token("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE, token=token, params={"next": "/admin/audit"})
    assert redirect_target(run(LoginState.load, state)) == "/admin/audit"

    anonymous = make_state(LoginState, path=LOGIN_ROUTE)
    assert run(LoginState.load, anonymous) is None
