"""Roles: owner, admin, teacher. What each may do, how a role changes, and what the panel
shows an account whose role does not open a page. (Every handler against a teacher:
test_non_admin_sweep.py.)"""

from __future__ import annotations

import pytest
from sqlmodel import select

from mockexam.admin.admins import AdminsState
from mockexam.admin.auth import AdminState, AuthStatus
from mockexam.admin.exams import ExamsState
from mockexam.admin.login import LoginState
from mockexam.db import session_scope
from mockexam.errors import PermissionDeniedError, ValidationError
from mockexam.models import Admin, AdminRole, AdminSession, AuditLog
from mockexam.services import access, admin_auth
from mockexam.services.access import Capability
from mockexam.services.admins import find_admin, list_admins, set_active, set_role
from tests.admin.helpers import admin_token, make_admin, make_state, redirect_target, run
from tests.factories import make_exam


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", {"view", "message", "manage", "own"}),
        ("admin", {"view", "message", "manage"}),
        ("teacher", {"view", "message"}),
        ("root", {"view", "message"}),  # an unknown stored role reads as a teacher
        (None, {"view", "message"}),
    ],
)
def test_each_role_has_its_capabilities(role, allowed):
    assert {c.value for c in Capability if access.allows(role, c)} == allowed


@pytest.mark.parametrize("value", ["", "Owner ", "superuser", None, 3])
def test_parse_role_names_the_three_roles(value):
    if value == "Owner ":
        assert access.parse_role(value) == AdminRole.OWNER
        return
    with pytest.raises(ValidationError) as err:
        access.parse_role(value)
    assert "owner, admin or teacher" in err.value.text("en")


def test_a_teacher_passes_the_page_check_but_a_managing_page_is_shown_as_not_theirs(db_url):
    with session_scope() as db:
        make_exam(db)  # something the page would list
    token = admin_token("tess", AdminRole.TEACHER)
    state = make_state(ExamsState, path="/admin/exams/new", token=token)
    admin = state.parent_state
    assert run(AdminState.check_session, admin) is None  # no redirect to the login page
    assert (admin.auth_status, admin.admin_name) == (AuthStatus.OK, "tess")
    run(ExamsState.load, state)
    assert admin.auth_status == AuthStatus.FORBIDDEN
    assert admin._admin_id is None
    assert (state.rows, state.total, state.loaded) == ([], 0, False)
    assert admin._admin_role == AdminRole.TEACHER


def test_a_teacher_opening_the_panels_front_page_lands_on_their_groups(db_url):
    for path in ("/admin", "/admin/"):
        state = make_state(ExamsState, path=path, token=admin_token("tess", AdminRole.TEACHER))
        assert redirect_target(run(AdminState.check_session, state.parent_state)) == "/admin/groups"
    owner = make_state(ExamsState, path="/admin", token=admin_token("olga"))
    assert run(AdminState.check_session, owner.parent_state) is None


def test_a_signed_in_teacher_skips_the_login_form(db_url):
    token = admin_token("tess", AdminRole.TEACHER)
    state = make_state(LoginState, path="/admin/login", token=token)
    assert redirect_target(run(LoginState.load, state)) == "/admin"


def test_an_owner_and_an_admin_open_the_managing_pages(db_url):
    with session_scope() as db:
        make_exam(db)
    for name, role in (("olga", AdminRole.OWNER), ("adam", AdminRole.ADMIN)):
        state = make_state(ExamsState, path="/admin", token=admin_token(name, role))
        run(ExamsState.load, state)
        assert state.parent_state.auth_status == AuthStatus.OK, name
        assert state.total == 1, name


def test_a_new_role_ends_the_sessions_and_is_audited(db_url):
    owner = make_admin("olga", AdminRole.OWNER)
    token = admin_token("adam", AdminRole.ADMIN)
    with session_scope() as db:
        assert set_role(db, find_admin(db, "adam"), AdminRole.TEACHER, actor_id=owner)
        assert not set_role(db, find_admin(db, "adam"), AdminRole.TEACHER, actor_id=owner)
    assert admin_auth.admin_for_token(token) is None  # every open tab re-reads its role
    token = admin_token("adam", AdminRole.ADMIN)  # signs in again (the role stays teacher)
    assert admin_auth.admin_for_token(token).role == AdminRole.TEACHER
    with session_scope(readonly=True) as db:
        row = db.exec(select(AuditLog).where(AuditLog.action == "admin.role")).one()
        assert (row.admin_id, row.details["before"], row.details["after"]) == (
            owner,
            "admin",
            "teacher",
        )
        assert {r.username: r.role for r in list_admins(db)} == {"adam": "teacher", "olga": "owner"}


def test_the_last_active_owner_keeps_the_role_and_stays_active(db_url):
    olga = make_admin("olga", AdminRole.OWNER)
    adam = make_admin("adam", AdminRole.ADMIN)
    with session_scope() as db:
        for change in (
            lambda: set_role(db, db.get(Admin, olga), AdminRole.ADMIN, actor_id=adam),
            lambda: set_active(db, db.get(Admin, olga), False, actor_id=adam),
        ):
            with pytest.raises(PermissionDeniedError) as err:
                change()
            assert "last active owner" in err.value.text("en")
    make_admin("otto", AdminRole.OWNER)
    with session_scope() as db:
        assert set_role(db, db.get(Admin, olga), AdminRole.ADMIN, actor_id=None)
    with session_scope(readonly=True) as db:
        roles = {a.username: a.role for a in list_admins(db)}
        assert roles == {"adam": "admin", "olga": "admin", "otto": "owner"}
        assert db.exec(select(AdminSession)).all() == []


def _accounts() -> dict[str, tuple[str, bool]]:
    with session_scope(readonly=True) as db:
        return {a.username: (a.role, a.is_active) for a in db.exec(select(Admin)).all()}


def test_an_owner_creates_a_teacher_account_and_changes_roles_on_the_page(db_url):
    state = make_state(AdminsState, path="/admin/admins", token=admin_token("olga"))
    run(
        AdminsState.create,
        state,
        {"username": "tess", "password": "long enough pw", "role": "teacher"},
    )
    assert "tess" in state.notice and state.error == ""
    assert _accounts()["tess"] == ("teacher", True)
    assert admin_auth.login(username="tess", password="long enough pw", client="t").token
    tess = next(r for r in state.rows if r["username"] == "tess")
    run(AdminsState.change_role, state, tess["admin_id"], "admin")
    assert _accounts()["tess"] == ("admin", True)
    for form, words in (
        ({"username": "tess", "password": "long enough pw", "role": "admin"}, "already an account"),
        (
            {"username": "tina", "password": "long enough pw", "role": "root"},
            "owner, admin or teacher",
        ),
        ({"username": "tina", "password": "short", "role": "admin"}, "at least 8"),
        ({"username": "t", "password": "long enough pw", "role": "admin"}, "3–64 characters"),
    ):
        run(AdminsState.create, state, form)
        assert words in state.error, form
    run(AdminsState.change_role, state, tess["admin_id"], "superuser")
    assert "owner, admin or teacher" in state.error
    assert set(_accounts()) == {"olga", "tess"}
    assert _accounts()["tess"] == ("admin", True)


@pytest.mark.parametrize("role", [AdminRole.ADMIN, AdminRole.TEACHER])
def test_only_an_owner_manages_accounts(db_url, role):
    owner = make_admin("olga", AdminRole.OWNER)
    state = make_state(AdminsState, path="/admin/admins", token=admin_token("adam", role))
    before = _accounts()
    run(AdminsState.load, state)
    run(
        AdminsState.create,
        state,
        {"username": "evil", "password": "long enough pw", "role": "owner"},
    )
    run(AdminsState.change_role, state, owner, "teacher")
    run(AdminsState.deactivate, state, owner)
    run(AdminsState.end_sessions, state, owner)
    assert _accounts() == before
    assert state.rows == [] and state.notice == ""
    assert state.parent_state.auth_status == AuthStatus.FORBIDDEN
