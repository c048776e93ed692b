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


def _throttled(username: str = "alice", *, client: str, at: datetime) -> LoginThrottledError:
    with pytest.raises(LoginThrottledError) as err:
        admin_auth.login(username=username, password=PASSWORD, client=client, now=at)
    return err.value


def test_real_admin_signs_in_from_her_address_while_an_attacker_is_throttled(admin_id):
    """Issue 20, item 5: guessing at "alice" from one address never locks alice out."""
    at = T0
    for _ in range(settings.admin_login_max_failures):
        _fail(client="6.6.6.6", at=at)
    for _ in range(8):
        # The attacker waits; the real admin, elsewhere, is not refused.
        retry_at = _throttled(client="6.6.6.6", at=at).retry_at
        login = admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=at)
        assert login.admin_id == admin_id
        at = retry_at
        _fail(client="6.6.6.6", at=at)
    # Even with the right password the attacker's address waits its turn.
    _throttled(client="6.6.6.6", at=at)


def test_login_delay_per_address_doubles_and_is_capped(admin_id):
    free = settings.admin_login_max_failures
    cap = timedelta(minutes=settings.admin_login_lockout_minutes)
    at = T0
    for _ in range(free):
        _fail(at=at)
    waits = []
    for _ in range(12):
        err = _throttled(client="10.0.0.1", at=at)
        waits.append(err.retry_at - at)
        # One second before the end it still waits; at the end a try is allowed again.
        _throttled(client="10.0.0.1", at=err.retry_at - timedelta(seconds=1))
        at = err.retry_at
        _fail(at=at)
    expected = [min(cap, admin_auth.BASE_DELAY * 2**k) for k in range(12)]
    assert waits == expected
    assert waits[-1] == cap


def test_login_throttled_message_says_how_long_and_until_when(admin_id):
    for _ in range(settings.admin_login_max_failures):
        _fail()
    err = _throttled(client="10.0.0.1", at=T0 + timedelta(seconds=2))
    # 09:00:05 UTC is 14:00:05 in Tashkent: people read the local time.
    assert str(err) == (
        "Too many failed sign-ins for this account from your address. "
        "Try again in 3 second(s), after 14:00:05 (Asia/Tashkent)."
    )
    assert err.text("ru") == (
        "Слишком много неудачных попыток входа для этой учётной записи с вашего адреса. "
        "Попробуйте снова через 3 сек., после 14:00:05 (Asia/Tashkent)."
    )
    assert err.text("uz") == (
        "Muvaffaqiyatsiz kirish urinishlari juda ko‘p (bu hisob uchun sizning "
        "manzilingizdan). Qayta urinib ko‘ring: 3 soniyadan keyin, soat 14:00:05 "
        "(Asia/Tashkent) dan so‘ng."
    )
    assert err.retry_at == T0 + admin_auth.BASE_DELAY


def test_login_failures_older_than_the_lookback_stop_counting(admin_id):
    for _ in range(settings.admin_login_max_failures):
        _fail()
    _throttled(client="10.0.0.1", at=T0)
    later = T0 + admin_auth.LOOKBACK + timedelta(seconds=1)
    assert admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=later)


def test_login_account_guard_slows_new_addresses_only_for_seconds(admin_id, monkeypatch):
    """Many addresses guessing at one account: new addresses wait a few seconds, known don't."""
    monkeypatch.setattr(admin_auth, "ACCOUNT_FREE_FAILURES", 4)
    monkeypatch.setattr(admin_auth, "ACCOUNT_MAX_DELAY", timedelta(seconds=3))
    # alice has signed in from her office before.
    admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=T0)
    at = T0 + timedelta(minutes=1)
    for k in range(4):
        _fail(client=f"198.51.100.{k}", at=at)
    err = _throttled(client="198.51.100.200", at=at)
    assert "for this account from new addresses" in str(err)
    assert err.retry_at == at + timedelta(seconds=1)
    # From her known address she is not slowed at all.
    assert admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=at)
    # The botnet keeps going, one guess per slot: the wait grows slowly and stays capped.
    longest = timedelta(0)
    for k in range(30):
        retry_at = _throttled(client=f"203.0.113.{k % 250}", at=at).retry_at
        longest = max(longest, retry_at - at)
        at = retry_at
        _fail(client=f"192.0.2.{k % 250}", at=at)
    assert longest == admin_auth.ACCOUNT_MAX_DELAY
    # A new address with the right password gets in once it is its turn.
    retry_at = _throttled(client="100.64.0.1", at=at).retry_at
    assert retry_at - at <= admin_auth.ACCOUNT_MAX_DELAY
    assert admin_auth.login(username="alice", password=PASSWORD, client="100.64.0.1", now=retry_at)


def test_login_throttled_attempts_are_not_counted_or_checked(admin_id):
    limit = settings.admin_login_max_failures
    for _ in range(limit):
        _fail()
    for _ in range(3):
        with pytest.raises(LoginThrottledError):
            admin_auth.login(username="alice", password="wrong again", client="10.0.0.1", now=T0)
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(AdminLoginAttempt)).all()) == limit


def test_login_unknown_usernames_are_throttled_too(db_url):
    for _ in range(settings.admin_login_max_failures):
        _fail("ghost")
    with pytest.raises(LoginThrottledError, match="for this account from your address"):
        admin_auth.login(username="ghost", password="whatever1", client="10.0.0.1", now=T0)


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


def test_login_delays_an_address_across_accounts(admin_id, monkeypatch):
    monkeypatch.setattr(admin_auth, "CLIENT_FREE_FAILURES", 3)
    for name in ("bob", "carol", "dave"):
        _fail(name, client="6.6.6.6")
    with pytest.raises(LoginThrottledError, match="from your address"):
        admin_auth.login(username="alice", password=PASSWORD, client="6.6.6.6", now=T0)
    # The account itself is fine from another address.
    assert admin_auth.login(username="alice", password=PASSWORD, client="10.0.0.1", now=T0)


def _guess_in_parallel(clients: list[str]) -> list[str]:
    def guess(k: int) -> str:
        try:
            admin_auth.login(username="alice", password=f"guess {k}", client=clients[k], now=T0)
        except InvalidCredentialsError:
            return "wrong"
        except LoginThrottledError:
            return "throttled"
        return "in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(guess, range(len(clients))))


def test_login_parallel_guesses_from_one_address_cannot_exceed_the_limit(admin_id):
    outcomes = _guess_in_parallel(["6.6.6.6"] * 12)
    assert outcomes.count("wrong") == settings.admin_login_max_failures
    assert outcomes.count("throttled") == 12 - settings.admin_login_max_failures


def test_login_parallel_guesses_from_many_addresses_cannot_exceed_the_guard(admin_id, monkeypatch):
    monkeypatch.setattr(admin_auth, "ACCOUNT_FREE_FAILURES", 4)
    outcomes = _guess_in_parallel([f"198.51.100.{k}" for k in range(12)])
    assert outcomes.count("wrong") == 4
    assert outcomes.count("throttled") == 8


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


def test_login_start_of_a_wait_is_audited_once(admin_id):
    at = T0
    for _ in range(settings.admin_login_max_failures + 2):
        _fail(at=at)
        at += timedelta(hours=1)  # past each wait: every guess is checked and fails
    with session_scope(readonly=True) as db:
        rows = db.exec(select(AuditLog).where(AuditLog.action == "admin.login_throttled")).all()
    assert len(rows) == 1
    assert rows[0].details["scope"] == "address+account"
    assert rows[0].details["client"] == "10.0.0.1"
    assert rows[0].details["until"] == "2026-03-02T13:00:05Z"  # ISO UTC, for machines


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
