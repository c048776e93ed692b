"""Admin accounts: a reset ends sessions and keeps a deactivation; deactivation; listing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.errors import NotFoundError, PermissionDeniedError
from mockexam.models import Admin, AuditLog
from mockexam.services import admin_auth
from mockexam.services.admins import (
    end_admin_sessions,
    find_admin,
    get_admin,
    list_admins,
    set_active,
    set_admin,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _make(*names: str) -> dict[str, int]:
    with session_scope() as db:
        return {n: set_admin(db, username=n, password=PASSWORD).admin.id for n in names}


def _token(name: str, password: str = PASSWORD) -> str:
    return admin_auth.login(username=name, password=password, client="10.0.0.1", now=T0).token


def _actions() -> list[str]:
    with session_scope(readonly=True) as db:
        rows = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    return [r.action for r in rows if not r.action.startswith("admin.log")]


def test_a_reset_ends_every_session_keeps_a_deactivation_and_is_audited(db_url):
    ids = _make("alice")
    tokens = [_token("alice"), _token("alice")]
    with session_scope() as db:
        set_active(db, get_admin(db, ids["alice"]), False)
    with session_scope() as db:
        change = set_admin(db, username="alice", password="a new password")
        assert (change.created, change.reactivated, change.sessions_ended) == (False, False, 0)
        assert change.admin.is_active is False
    assert all(admin_auth.admin_for_token(t, now=T0) is None for t in tokens)

    with session_scope() as db:
        change = set_admin(db, username="alice", password="a new password", reactivate=True)
        assert change.reactivated is True
    token = _token("alice", "a new password")
    with session_scope() as db:
        assert set_admin(db, username="alice", password="third password").sessions_ended == 1
    assert admin_auth.admin_for_token(token, now=T0) is None
    assert _actions() == [
        "admin.deactivated",
        "admin.password_reset",
        "admin.password_reset",
        "admin.reactivated",
        "admin.password_reset",
    ]


def test_a_reset_before_the_fix_left_old_sessions_alive(db_url):
    """Issue 20, item 6: the token opened with the old password dies with the reset."""
    _make("alice")
    token = _token("alice")
    with session_scope() as db:
        set_admin(db, username="alice", password="another password")
    assert admin_auth.admin_for_token(token, now=T0) is None


def test_from_the_panel_nobody_deactivates_themselves_or_the_last_active_admin(db_url):
    ids = _make("alice", "bob")
    with session_scope() as db:
        with pytest.raises(PermissionDeniedError, match="cannot deactivate yourself"):
            set_active(db, get_admin(db, ids["bob"]), False, actor_id=ids["bob"])
        get_admin(db, ids["bob"]).is_active = False  # e.g. by the CLI meanwhile
    with session_scope() as db, pytest.raises(PermissionDeniedError, match="last active admin"):
        set_active(db, get_admin(db, ids["alice"]), False, actor_id=ids["bob"])
    with session_scope(readonly=True) as db:
        assert get_admin(db, ids["alice"]).is_active is True


def test_two_admins_deactivating_each_other_at_once_leave_one_active(db_url):
    ids = _make("alice", "bob")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(me: str, target: str) -> None:
        barrier.wait()
        try:
            with session_scope() as db:
                set_active(db, get_admin(db, ids[target]), False, actor_id=ids[me])
            outcomes.append("done")
        except PermissionDeniedError:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=act, args=("alice", "bob")),
        threading.Thread(target=act, args=("bob", "alice")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["done", "refused"]
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(Admin).where(Admin.is_active)).all()) == 1


def test_end_sessions_and_list_admins_count_live_sessions_only(db_url):
    ids = _make("alice", "bob")
    _token("alice")
    _token("bob")
    _token("bob")
    expired = T0 + timedelta(hours=settings.admin_session_hours)
    with session_scope(readonly=True) as db:
        rows = {r.username: r for r in list_admins(db, now=T0)}
        assert (rows["alice"].live_sessions, rows["bob"].live_sessions) == (1, 2)
        assert rows["bob"].last_login_at == T0 and rows["bob"].is_active
        assert all(r.live_sessions == 0 for r in list_admins(db, now=expired))
    with session_scope() as db:
        assert end_admin_sessions(db, get_admin(db, ids["bob"]), actor_id=ids["alice"]) == 2
    with session_scope(readonly=True) as db:
        rows = {r.username: r for r in list_admins(db, now=T0)}
    assert (rows["alice"].live_sessions, rows["bob"].live_sessions) == (1, 0)
    assert _actions() == ["admin.sessions_ended"]


def test_unknown_admins_are_named_errors(db_url):
    with session_scope() as db:
        with pytest.raises(NotFoundError, match="no admin named 'ghost'"):
            find_admin(db, "ghost")
        with pytest.raises(NotFoundError, match="no longer exists"):
            get_admin(db, 999)


@pytest.mark.parametrize("env", ["development", "production"])
def test_real_installs_hash_passwords_with_argon2ids_recommended_cost(env):
    from mockexam.services.admins import hasher_for

    hasher = hasher_for(env)
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # a hash carries its cost: the suite's light hasher verifies it, and the other way round
    light = hasher_for("test")
    assert light.verify(stored, "correct horse battery")
    assert hasher.verify(light.hash("x" * 12), "x" * 12)
