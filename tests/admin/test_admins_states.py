"""The admins page: list, deactivate, end sessions; refusals; audit (issue 20, item 6)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from mockexam.admin.admins import AdminsState
from mockexam.db import session_scope
from mockexam.models import Admin, AuditLog
from mockexam.services import admin_auth
from tests.admin.helpers import PASSWORD, admin_token, make_state, redirect_target, run

PATH = "/admin/admins"


def _sign_in(username: str) -> str:
    """One more session of an existing admin (admin_token would reset the password first)."""
    return admin_auth.login(username=username, password=PASSWORD, client="198.51.100.1").token


def _audit(action: str) -> list[AuditLog]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(AuditLog).where(AuditLog.action == action)))


def _admin(username: str) -> Admin:
    with session_scope(readonly=True) as db:
        return db.exec(select(Admin).where(Admin.username == username)).one()


def test_load_lists_admins_with_status_last_sign_in_and_live_sessions(admin):
    admin_token("bob")
    _sign_in("bob")
    state = make_state(AdminsState, path=PATH, token=admin.token)

    run(AdminsState.load, state)

    assert state.loaded and state.error == ""
    rows = {r["username"]: r for r in state.rows}
    assert rows["alice"]["is_me"] is True and rows["bob"]["is_me"] is False
    assert rows["alice"]["sessions"] == 1 and rows["bob"]["sessions"] == 2
    assert rows["bob"]["active"] is True
    assert rows["bob"]["last_login"] not in ("", "never")


def test_deactivate_signs_the_admin_out_at_once_and_is_audited(admin):
    bob_token = admin_token("bob")
    bob_id = _admin("bob").id
    assert admin_auth.admin_for_token(bob_token) is not None
    state = make_state(AdminsState, path=PATH, token=admin.token)
    run(AdminsState.load, state)

    run(AdminsState.deactivate, state, bob_id)

    assert state.error == ""
    assert state.notice == "bob is deactivated; 1 session signed out."
    assert admin_auth.admin_for_token(bob_token) is None
    assert _admin("bob").is_active is False
    bob_row = next(r for r in state.rows if r["username"] == "bob")
    assert bob_row["active"] is False and bob_row["sessions"] == 0
    (row,) = _audit("admin.deactivated")
    assert row.admin_id == admin.admin_id and row.entity_id == bob_id
    assert row.details == {"username": "bob", "by": "panel", "sessions_ended": 1}
    # Bob's own panel tab is refused at its next call.
    bob_tab = make_state(AdminsState, path=PATH, token=bob_token)
    run(AdminsState.load, bob_tab)
    assert bob_tab.rows == [] and bob_tab._admin_id is None


def test_a_deactivated_admins_live_token_stops_working_even_without_revocation(admin):
    """admin_for_token checks is_active: flipping the flag alone ends access."""
    bob_token = admin_token("bob")
    with session_scope() as db:
        db.exec(select(Admin).where(Admin.username == "bob")).one().is_active = False
    assert admin_auth.admin_for_token(bob_token) is None


def test_an_admin_cannot_deactivate_themselves(admin):
    admin_token("bob")
    state = make_state(AdminsState, path=PATH, token=admin.token)

    run(AdminsState.deactivate, state, admin.admin_id)

    assert state.error == "You cannot deactivate yourself."
    assert _admin("alice").is_active is True
    assert admin_auth.admin_for_token(admin.token) is not None
    assert _audit("admin.deactivated") == []


def test_end_sessions_signs_another_admin_out_but_keeps_the_account(admin):
    tokens = [admin_token("bob"), _sign_in("bob")]
    bob_id = _admin("bob").id
    state = make_state(AdminsState, path=PATH, token=admin.token)

    run(AdminsState.end_sessions, state, bob_id)

    assert state.error == "" and state.notice == "bob: 2 sessions signed out."
    assert all(admin_auth.admin_for_token(t) is None for t in tokens)
    assert _admin("bob").is_active is True
    (row,) = _audit("admin.sessions_ended")
    assert row.admin_id == admin.admin_id and row.details["sessions_ended"] == 2
    assert admin_auth.admin_for_token(admin.token) is not None


def test_end_sessions_on_oneself_signs_this_tab_out(admin):
    state = make_state(AdminsState, path=PATH, token=admin.token)
    run(AdminsState.load, state)

    result = run(AdminsState.end_sessions, state, admin.admin_id)

    assert redirect_target(result) == "/admin/login"
    assert admin_auth.admin_for_token(admin.token) is None
    assert state.rows == [] and state._admin_id is None


@pytest.mark.parametrize("bad", [None, "", "²", "-1", "0", "x", 10**30, "9" * 40, [1], {"a": 1}])
def test_bad_or_unknown_ids_get_a_message_and_change_nothing(admin, bad):
    state = make_state(AdminsState, path=PATH, token=admin.token)
    for handler in (AdminsState.deactivate, AdminsState.end_sessions):
        run(handler, state, bad)
        assert state.error in ("Unknown admin; reload the page.",)
    for handler in (AdminsState.deactivate, AdminsState.end_sessions):
        run(handler, state, 4242)
        assert state.error == "That admin no longer exists; reload the page."
    assert admin_auth.admin_for_token(admin.token) is not None
    with session_scope(readonly=True) as db:
        assert [r.action for r in db.exec(select(AuditLog))] == ["admin.login"]


def test_non_admins_get_nothing_and_change_nothing(admin):
    bob_token = admin_token("bob")
    bob_id = _admin("bob").id
    for token in ("", "x" * 43):
        state = make_state(AdminsState, path=PATH, token=token)
        run(AdminsState.load, state)
        run(AdminsState.deactivate, state, bob_id)
        run(AdminsState.end_sessions, state, bob_id)
        assert state.rows == [] and state.notice == "" and state.error == ""
    assert admin_auth.admin_for_token(bob_token) is not None
    assert _audit("admin.deactivated") == _audit("admin.sessions_ended") == []
