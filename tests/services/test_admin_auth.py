"""Admin sign-in: tokens, expiry, sign-out, and throttling per account and per client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.errors import InvalidCredentialsError, LoginThrottledError
from mockexam.models import Admin, AdminLoginAttempt, AdminSession, AuditLog
from mockexam.services import admin_auth
from mockexam.services.admins import create_admin

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def admin_id(db_url: str) -> int:
    with session_scope() as db:
        return create_admin(db, username="alice", password=PASSWORD).id


def _fail(username: str = "alice", *, client: str = "10.0.0.1", at: datetime = T0) -> None:
    with pytest.raises(InvalidCredentialsError):
        admin_auth.login(username=username, password="wrong password", client=client, now=at)


def test_login_returns_a_token_whose_hash_alone_is_stored(admin_id):
    result = admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=T0)
    assert result.admin_id == admin_id
    assert result.username == "alice"
    assert result.expires_at == T0 + timedelta(hours=settings.admin_session_hours)
    assert len(result.token) >= 43  # 32 random bytes, URL-safe base64
    with session_scope(readonly=True) as db:
        stored = db.exec(select(AdminSession)).one()
        admin = db.get(Admin, admin_id)
    assert stored.token_hash == admin_auth.hash_token(result.token)
    assert result.token not in stored.token_hash
    assert admin.last_login_at == T0
    identity = admin_auth.admin_for_token(result.token, now=T0 + timedelta(minutes=5))
    assert identity is not None
    assert (identity.admin_id, identity.username) == (admin_id, "alice")


def test_login_wrong_password_and_unknown_user_get_the_same_message(admin_id):
    messages = []
    for username in ("alice", "nobody"):
        with pytest.raises(InvalidCredentialsError) as err:
            admin_auth.login(username=username, password="nope nope", client="c", now=T0)
        messages.append(str(err.value))
    assert messages[0] == messages[1] == admin_auth.WRONG_CREDENTIALS


def test_login_inactive_admin_is_refused_like_a_wrong_password(admin_id):
    with session_scope() as db:
        db.get(Admin, admin_id).is_active = False
    with pytest.raises(InvalidCredentialsError, match="Wrong username or password"):
        admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0)


def test_login_locks_the_account_after_max_failures(admin_id):
    limit = settings.admin_login_max_failures
    for k in range(limit):
        _fail(at=T0 + timedelta(seconds=k))
    last = T0 + timedelta(seconds=limit - 1)
    with pytest.raises(LoginThrottledError) as err:
        admin_auth.login(username="alice", password=PASSWORD, client="10.9.9.9", now=last)
    until = last + timedelta(minutes=settings.admin_login_lockout_minutes)
    assert err.value.retry_at == until
    assert "Try again in 15 minute(s)" in str(err.value)
    # Still locked a second before the end; open again at the end.
    with pytest.raises(LoginThrottledError):
        admin_auth.login(
            username="alice", password=PASSWORD, client="c2", now=until - timedelta(seconds=1)
        )
    assert admin_auth.login(username="alice", password=PASSWORD, client="c2", now=until)


def test_login_throttled_attempts_are_not_counted_or_checked(admin_id):
    limit = settings.admin_login_max_failures
    for _ in range(limit):
        _fail()
    for _ in range(3):
        with pytest.raises(LoginThrottledError):
            admin_auth.login(username="alice", password="wrong again", client="c", now=T0)
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(AdminLoginAttempt)).all()) == limit


def test_login_failures_spread_wider_than_the_window_do_not_lock(admin_id):
    window = timedelta(minutes=settings.admin_login_lockout_minutes)
    step = window / (settings.admin_login_max_failures - 1) + timedelta(seconds=1)
    for k in range(settings.admin_login_max_failures * 2):
        _fail(at=T0 + k * step)


def test_login_unknown_usernames_are_throttled_too(db_url):
    for _ in range(settings.admin_login_max_failures):
        _fail("ghost")
    with pytest.raises(LoginThrottledError, match="for this account"):
        admin_auth.login(username="ghost", password="whatever1", client="other", now=T0)


def test_login_success_resets_the_account_failures(admin_id):
    limit = settings.admin_login_max_failures
    for _ in range(limit - 1):
        _fail()
    admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=T0)
    for _ in range(limit - 1):
        _fail(at=T0 + timedelta(seconds=1))
    assert admin_auth.login(
        username="alice", password=PASSWORD, client="10.0.0.1", now=T0 + timedelta(seconds=2)
    )


def test_login_locks_a_client_across_accounts(admin_id, monkeypatch):
    monkeypatch.setattr(admin_auth, "CLIENT_MAX_FAILURES", 3)
    for name in ("bob", "carol", "dave"):
        _fail(name, client="6.6.6.6")
    with pytest.raises(LoginThrottledError, match="from this address"):
        admin_auth.login(username="alice", password=PASSWORD, client="6.6.6.6", now=T0)
    # The account itself is fine from another address.
    assert admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=T0)


def test_login_parallel_guesses_cannot_exceed_the_limit(admin_id):
    def guess(k: int) -> str:
        try:
            admin_auth.login(username="alice", password=f"guess {k}", client=f"c{k}", now=T0)
        except InvalidCredentialsError:
            return "wrong"
        except LoginThrottledError:
            return "throttled"
        return "in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(guess, range(12)))
    assert outcomes.count("wrong") == settings.admin_login_max_failures
    assert outcomes.count("throttled") == 12 - settings.admin_login_max_failures


def test_login_audit_log_records_outcomes_without_the_password(admin_id):
    _fail()
    token = admin_auth.login(username="alice", password=PASSWORD, client="1.2.3.4", now=T0).token
    admin_auth.logout(token, now=T0)
    with session_scope(readonly=True) as db:
        rows = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["admin.login_failed", "admin.login", "admin.logout"]
    assert rows[0].details == {"username": "alice", "client": "10.0.0.1"}
    assert rows[1].admin_id == admin_id
    assert all(PASSWORD not in str(r.details) and "wrong" not in str(r.details) for r in rows)


def test_login_lockout_is_audited_once(admin_id):
    for _ in range(settings.admin_login_max_failures):
        _fail()
    with pytest.raises(LoginThrottledError):
        admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0)
    with session_scope(readonly=True) as db:
        locked = db.exec(select(AuditLog).where(AuditLog.action == "admin.login_locked")).all()
    assert len(locked) == 1
    assert locked[0].details["scope"] == "account"


def test_admin_for_token_refuses_expired_revoked_inactive_and_garbage(admin_id):
    token = admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0).token
    expiry = T0 + timedelta(hours=settings.admin_session_hours)
    assert admin_auth.admin_for_token(token, now=expiry - timedelta(seconds=1)) is not None
    assert admin_auth.admin_for_token(token, now=expiry) is None
    assert admin_auth.admin_for_token("not-a-token", now=T0) is None
    assert admin_auth.admin_for_token("", now=T0) is None
    assert admin_auth.admin_for_token(None, now=T0) is None
    assert admin_auth.admin_for_token("x" * 10_000, now=T0) is None
    with session_scope() as db:
        db.get(Admin, admin_id).is_active = False
    assert admin_auth.admin_for_token(token, now=T0) is None


def test_logout_ends_only_that_session(admin_id):
    first = admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0).token
    second = admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0).token
    assert admin_auth.logout(first, now=T0) is True
    assert admin_auth.logout(first, now=T0) is False
    assert admin_auth.admin_for_token(first, now=T0) is None
    assert admin_auth.admin_for_token(second, now=T0) is not None


def test_revoke_admin_sessions_signs_out_everywhere(admin_id):
    tokens = [
        admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0).token
        for _ in range(2)
    ]
    assert admin_auth.revoke_admin_sessions(admin_id, now=T0) == 2
    assert all(admin_auth.admin_for_token(t, now=T0) is None for t in tokens)


def test_prune_auth_records_drops_old_rows(admin_id):
    _fail()
    token = admin_auth.login(username="alice", password=PASSWORD, client="c", now=T0).token
    assert admin_auth.prune_auth_records(now=T0 + timedelta(days=1)) == 0
    removed = admin_auth.prune_auth_records(now=T0 + timedelta(days=60))
    assert removed == 3  # two attempts and the (long expired) session
    assert admin_auth.admin_for_token(token, now=T0) is None


def test_prune_runs_daily_as_a_periodic_task():
    from datetime import datetime

    from mockexam.tasks import prune_admin_auth
    from mockexam.worker import huey

    def due(moment: datetime) -> set[str]:
        return {task.name for task in huey.read_periodic(moment)}

    assert prune_admin_auth.task_class.__name__ in due(datetime(2026, 11, 23, 3, 7))
    assert prune_admin_auth.task_class.__name__ not in due(datetime(2026, 11, 23, 3, 8))
