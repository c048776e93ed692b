"""Admin sign-in, session checks and logout through the Reflex handlers, on the real database."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from reflex.istate.data import RouterData
from sqlmodel import select

from mockexam.admin.auth import LOGIN_ERROR_COOKIE, LOGIN_ROUTE, AdminState, AuthStatus, safe_next
from mockexam.admin.exams import ExamsState
from mockexam.admin.login import LoginState
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminSession
from mockexam.services import admin_auth
from tests.admin.helpers import (
    admin_token,
    make_state,
    redirect_target,
    run,
)


def test_safe_next_stays_on_the_admin_panel():
    assert safe_next("/admin/audit") == "/admin/audit"
    assert safe_next("https://evil.example/admin") == "/admin"
    assert safe_next("//evil.example") == "/admin"
    assert safe_next("/admin/../app") == "/admin"
    assert safe_next("/admin//evil.example") == "/admin"
    assert safe_next("/app") == "/admin"
    assert safe_next(None) == "/admin"


def test_the_token_is_read_from_the_handshake_cookie_header_not_a_client_var(db_url):
    """No var of the state holds the token, so no delta can ever send it to the page."""
    token = admin_token("alice")
    state = make_state(AdminState, token=token)
    assert state._session_token() == token
    assert not any(token in repr(value) for value in state.dict().values())
    assert "token" not in AdminState.get_fields()


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
    assert admin._admin_id is None
    assert state.rows == [] and state.loaded is False
    # A second tab holding the same cookie is signed out too.
    other = make_state(AdminState, token=token)
    run(AdminState.check_session, other)
    assert other._admin_id is None


def test_login_page_load_skips_the_form_when_already_signed_in(db_url):
    token = admin_token("alice")
    state = make_state(LoginState, path=LOGIN_ROUTE, token=token, params={"next": "/admin/audit"})
    assert redirect_target(run(LoginState.load, state)) == "/admin/audit"

    anonymous = make_state(LoginState, path=LOGIN_ROUTE, params={"next": "//evil.example"})
    assert run(LoginState.load, anonymous) is None
    assert anonymous.next_path == "/admin" and anonymous.error == ""


def test_login_page_shows_the_reason_the_login_route_left_in_its_cookie(db_url):
    state = make_state(LoginState, path=LOGIN_ROUTE)
    reason = quote("Too many failed sign-ins; try again at 12:00.\u202e")
    state.router = RouterData.from_router_data(
        {"pathname": LOGIN_ROUTE, "headers": {"cookie": f"a=b; {LOGIN_ERROR_COOKIE}={reason}"}}
    )
    run(LoginState.load, state)
    assert state.error == "Too many failed sign-ins; try again at 12:00."
