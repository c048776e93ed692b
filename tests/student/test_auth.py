"""The Mini App sign-in (issue 20, "Also"): initData only minutes old for a new sign-in, then
the tab's own short-lived credential, renewed while the Mini App is open.

Real states (DashboardState, the simplest page) against the real database; the
credential goes to the tab through the `session_credential` sessionStorage var and
comes back the way INIT_DATA_JS sends it: "<credential>\\n<initData>".
"""

from __future__ import annotations

import logging
import time

import pytest
from reflex.event import EventSpec

from mockexam.cli import main, student_link_for
from mockexam.config import settings
from mockexam.student.auth import AuthStatus, StudentState, open_page, student_on_load
from mockexam.student.dashboard import DashboardState
from mockexam.telegram import webapp_session
from mockexam.telegram.webapp_link import init_data_from_link, launch_fragment
from mockexam.telegram.webapp_session import (
    RENEW_AFTER_SECONDS,
    CredentialError,
    CredentialProblem,
    check_credential,
    initdata_max_age,
    issue_credential,
)
from tests.student.helpers import init_data_for, make_state, run

REAL_TOKEN = "4242:real-bot-token-for-tests"


@pytest.fixture
def real_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(settings, "telegram_bot_token", REAL_TOKEN)
    return REAL_TOKEN


def _load(sign_in: str) -> DashboardState:
    """A tab whose server state is new (first open, or lost in a restart) signing in."""
    state = make_state(DashboardState)
    run(DashboardState.load, state, sign_in)
    return state


def _signed_in(telegram_id: int, **kwargs) -> DashboardState:
    state = _load(init_data_for(telegram_id, **kwargs))
    assert state.auth_status == AuthStatus.OK, "a fresh initData signs in"
    return state


def _refused(state: DashboardState) -> bool:
    return (
        state.auth_status == AuthStatus.DENIED
        and state._student_id is None
        and state.session_credential == ""
    )


def test_first_sign_in_gives_the_tab_a_credential_that_signs_it_in_after_the_state_is_lost(
    sqlite_url, real_token
):
    first = _signed_in(555_101)
    credential = first.session_credential
    assert credential.startswith("mx2.")
    assert check_credential(credential).student_id == first._student_id
    # the backend restarted: a new state, the page sends the credential alone …
    again = _load(credential + "\n")
    assert again.auth_status == AuthStatus.OK
    assert again._student_id == first._student_id and again.first_name == "Test"
    # … or beside Telegram's initData, authentic but older than a new sign-in may use
    old = init_data_for(555_101, auth_date=int(time.time()) - 3 * 3600)
    assert _refused(_load(old))
    beside = _load(credential + "\n" + old)
    assert beside._student_id == first._student_id
    assert beside.session_credential.startswith("mx2.")  # a renewed one for the tab


def test_credentials_forged_expired_moved_or_from_another_secret_or_bot_are_refused(
    sqlite_url, real_token, monkeypatch
):
    owner = _signed_in(555_201)
    other = _signed_in(555_202)
    credential = owner.session_credential
    head, sid, tid, since, issued, expires, signature = credential.split(".")
    now = int(time.time())
    lifetime = settings.miniapp_session_seconds
    old_owner_init = init_data_for(555_201, auth_date=now - 3 * 3600)

    expired = issue_credential(
        student_id=owner._student_id, telegram_id=555_201, now=now - lifetime - 1
    )
    monkeypatch.setattr(settings, "admin_secret_key", "another-installations-secret")
    other_secret = issue_credential(student_id=owner._student_id, telegram_id=555_201)
    monkeypatch.undo()
    monkeypatch.setattr(settings, "telegram_bot_token", None)  # minted under the dev token
    dev_minted = issue_credential(student_id=owner._student_id, telegram_id=555_201)
    monkeypatch.setattr(settings, "telegram_bot_token", real_token)
    for bad in (
        f"{head}.{other._student_id}.{tid}.{since}.{issued}.{expires}.{signature}",  # moved
        f"{head}.{sid}.555202.{since}.{issued}.{expires}.{signature}",
        f"{head}.{sid}.{tid}.{since}.{issued}.{int(expires) + 86_400}.{signature}",  # prolonged
        f"{head}.{sid}.{tid}.{int(since) + 86_400}.{issued}.{expires}.{signature}",  # younger
        f"{head}.{sid}.{tid}.{since}.{issued}.{expires}.{'A' * 43}",  # forged
        expired,
        other_secret,
        dev_minted,
        "mx2.².1.1.1.1." + "A" * 43,
        "mx2." + "9" * 5000,
        "mx2.\u202e1.2.3.4.5",
    ):
        assert _refused(_load(bad + "\n")), bad
        assert _refused(_load(bad + "\n" + old_owner_init)), bad
    # another student's genuine credential beside this Telegram user's initData
    assert _refused(_load(other.session_credential + "\n" + old_owner_init))
    # a forged initData beside a genuine credential: nothing is signed in
    forged = init_data_for(555_201, bot_token="123:another-bot", auth_date=now - 3 * 3600)
    assert _refused(_load(credential + "\n" + forged))
    # the genuine one still works
    assert _load(credential + "\n" + old_owner_init)._student_id == owner._student_id


def test_check_credential_reasons():
    now = time.time()
    good = issue_credential(student_id=7, telegram_id=70, now=now)
    assert check_credential(good, now=now + 60).student_id == 7
    cases = {
        CredentialProblem.EXPIRED: (good, now + settings.miniapp_session_seconds),
        CredentialProblem.FUTURE: (
            issue_credential(student_id=7, telegram_id=70, now=now + 600),
            now,
        ),
        CredentialProblem.MALFORMED: ("mx2.7.70", now),
        CredentialProblem.SIGNED_IN_TOO_LONG: (
            issue_credential(student_id=7, telegram_id=70, since=now - 86_000, now=now),
            now + 400,
        ),
        CredentialProblem.BAD_SIGNATURE: (good[:-2] + ("AA" if good[-2:] != "AA" else "BB"), now),
    }
    for reason, (text, at) in cases.items():
        with pytest.raises(CredentialError) as refused:
            check_credential(text, now=at)
        assert refused.value.reason == reason
    for junk in (None, 42, "", "x" * 10_000, good + "\n"):
        with pytest.raises(CredentialError):
            check_credential(junk, now=now)


def test_initdata_older_than_ten_minutes_is_refused_for_a_new_sign_in(sqlite_url, real_token):
    assert settings.initdata_max_age_seconds == 600 == initdata_max_age()
    now = int(time.time())
    assert _load(init_data_for(555_301, auth_date=now - 5 * 60)).auth_status == AuthStatus.OK
    assert _refused(_load(init_data_for(555_302, auth_date=now - 11 * 60)))
    assert _refused(_load(init_data_for(555_303, auth_date=now - 3 * 3600)))


def test_only_the_development_token_keeps_a_student_link_valid_for_a_day(
    sqlite_url, monkeypatch, capsys
):
    """`make run` prints a link signed with the dev token; a newcomer may click it hours later.
    A real bot token never gets the longer age, nor does production."""
    three_hours_ago = int(time.time()) - 3 * 3600
    assert settings.telegram_bot_token is None
    assert initdata_max_age() == 24 * 3600
    link = student_link_for(555_401)
    assert _load(init_data_from_link(link)).auth_status == AuthStatus.OK
    assert main(["student-link", "555401"]) == 0
    assert "valid for 24 h" in capsys.readouterr().err
    old = init_data_for(555_402, auth_date=three_hours_ago)
    assert _load(old).auth_status == AuthStatus.OK
    assert _refused(_load(init_data_for(555_403, auth_date=int(time.time()) - 25 * 3600)))

    monkeypatch.setattr(settings, "telegram_bot_token", REAL_TOKEN)
    assert initdata_max_age() == 600
    old_real = init_data_for(555_404, auth_date=three_hours_ago)  # signed with the real token
    assert _refused(_load(old_real))
    assert main(["student-link", "555404"]) == 0
    assert "valid for 10 min" in capsys.readouterr().err

    monkeypatch.setattr(settings, "telegram_bot_token", None)
    monkeypatch.setattr(settings, "mockexam_env", "production")
    assert initdata_max_age() == 600


def test_a_four_hour_exam_never_signs_the_student_out(sqlite_url, real_token, monkeypatch):
    """The open Mini App ticks every few minutes (keep_signed_in); whenever the server
    loses the tab's state, the credential the tab holds then signs it in again."""
    state = _signed_in(555_501)
    student_id = state._student_id
    old_init = init_data_for(555_501)  # Telegram's initData from the opening, ageing
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    tick = webapp_session.RENEW_TICK_MS / 1000
    for step in range(1, int(4 * 3600 / tick) + 1):
        clock[0] += tick
        run(DashboardState.keep_signed_in, state, "tick")  # answers save over HTTP meanwhile
        if step * tick in (3.5 * 3600, 4 * 3600):  # the backend restarted: a new state
            state = _load(state.session_credential + "\n" + old_init)
            assert state._student_id == student_id, f"signed out after {step * tick:.0f} s"
    assert check_credential(state.session_credential).expires_at > clock[0]


def test_renewals_never_carry_a_credential_past_a_day_from_the_telegram_sign_in(
    sqlite_url, real_token, monkeypatch
):
    """A stolen credential, renewed by signing in with it again and again, dies a day
    after the Telegram sign-in it descends from (MAX_SIGNED_IN_SECONDS)."""
    state = _signed_in(555_551)
    signed_in_at = check_credential(state.session_credential).signed_in_at
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    credential = state.session_credential
    step = settings.miniapp_session_seconds - 60
    while clock[0] + step < signed_in_at + webapp_session.MAX_SIGNED_IN_SECONDS:
        clock[0] += step
        state = _load(credential + "\n")  # a new tab each time, from the credential alone
        assert state._student_id is not None
        credential = state.session_credential
        claim = check_credential(credential)
        assert claim.signed_in_at == signed_in_at  # kept across renewals
        assert claim.expires_at <= signed_in_at + webapp_session.MAX_SIGNED_IN_SECONDS
    clock[0] = signed_in_at + webapp_session.MAX_SIGNED_IN_SECONDS
    assert _refused(_load(credential + "\n"))
    with pytest.raises(CredentialError):
        check_credential(credential)


def test_every_student_page_ticks_to_keep_its_credential_fresh():
    from mockexam.ui.telegram import telegram_bridge

    rendered = str(telegram_bridge().render())
    assert "keep_signed_in" in rendered
    assert str(webapp_session.RENEW_TICK_MS) in rendered


def test_the_credential_is_renewed_on_use_and_only_when_old(sqlite_url, real_token, monkeypatch):
    state = _signed_in(555_601)
    first = state.session_credential
    run(DashboardState.refresh, state)
    assert state.session_credential == first  # fresh enough: not reissued on every event
    clock = [time.time() + RENEW_AFTER_SECONDS + 1]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    run(DashboardState.refresh, state)
    renewed = state.session_credential
    assert renewed != first
    assert check_credential(renewed).issued_at > check_credential(first).issued_at


def test_no_credential_or_initdata_in_logs(sqlite_url, real_token, caplog):
    caplog.set_level(logging.DEBUG)
    state = _signed_in(555_701)
    credential = state.session_credential
    _load(credential + "\n")
    _load(credential[:-3] + "xyz\n")
    _load(init_data_for(555_701, auth_date=int(time.time()) - 3600))
    signature = credential.rsplit(".", 1)[1]
    assert signature not in caplog.text
    assert "hash=" not in caplog.text


def test_the_mini_app_opened_from_an_invite_joins_the_group_and_says_so(db_url):
    from sqlmodel import select

    from mockexam.db import session_scope
    from mockexam.models import GroupMember, StudentGroup
    from mockexam.services import groups

    with session_scope() as db:
        group = groups.create_group(db, name="Fizika 10", actor_id=None)
        code, group_id = group.invite_code, group.id
    first = _load(init_data_for(555_301, language_code="ru", start_param=f"g_{code}"))
    assert first.group_notice == "Вы добавлены в группу «Fizika 10»."
    again = _load(init_data_for(555_301, start_param=f"g_{code}"))
    assert again.group_notice == "Вы уже в группе «Fizika 10»."  # the student's own language
    run(DashboardState.dismiss_group_notice, again)
    assert again.group_notice == ""
    stale = _load(init_data_for(555_302, language_code="en", start_param="g_abcdefghjk"))
    assert stale.auth_status == AuthStatus.OK  # signed in all the same
    assert stale.group_notice == "This invite link no longer works. Ask your teacher for a new one."
    plain = _load(init_data_for(555_303, start_param="exam12"))
    assert plain.group_notice == ""
    with session_scope(readonly=True) as db:
        members = db.exec(select(GroupMember.group_id, GroupMember.source)).all()
        assert members == [(group_id, "invite")]
        assert db.get(StudentGroup, group_id) is not None


# --- the on_load without the script: Telegram's launch hash, or a tab already signed in ----


def _launch(init: str, **extra: str) -> str:
    """The hash Telegram opens the Mini App with (telegram/webapp_link.py), plus `extra`."""
    from urllib.parse import quote, urlencode

    return launch_fragment(init) + ("&" + urlencode(extra, quote_via=quote) if extra else "")


def _open(state: DashboardState):
    """The page's on_load as the server runs it (what `student_on_load` returns)."""
    on_load = student_on_load(DashboardState.load)
    assert on_load.handler.fn is open_page and on_load.handler.state is DashboardState
    return run(on_load.handler, state)


def _asks_the_browser(event: object) -> bool:
    """The on_load answered with INIT_DATA_JS, whose answer calls the page's load."""
    return (
        isinstance(event, EventSpec)
        and event.handler.fn.__qualname__ == "_call_script"
        and "dashboard_state.load" in str(event.args)
    )


def test_a_fresh_launch_hash_signs_in_on_the_server_without_the_script(sqlite_url, real_token):
    state = make_state(DashboardState, fragment=_launch(init_data_for(555_801, first_name="Lola")))
    event = _open(state)
    assert not _asks_the_browser(event) and "_call_script" not in str(event)
    assert state.auth_status == AuthStatus.OK and state.loaded  # the page's load ran
    assert state.first_name == "Lola" and state.name == "Lola"
    assert check_credential(state.session_credential).student_id == state._student_id
    # the same student the script's answer signs in
    assert _load(init_data_for(555_801))._student_id == state._student_id


def test_a_forged_stale_or_missing_launch_hash_signs_nobody_in_and_asks_the_browser(
    sqlite_url, real_token
):
    now = int(time.time())
    good = init_data_for(555_811)
    hashes = {
        "forged": _launch(init_data_for(555_811, bot_token="123:another-bot")),
        "tampered": _launch(good.replace("Test", "Evil")),
        "another_user": _launch(good.replace("555811", "555812")),
        "stale": _launch(init_data_for(555_811, auth_date=now - 11 * 60)),
        "future": _launch(init_data_for(555_811, auth_date=now + 3600)),
        "empty": _launch(""),
        "junk": "tgWebAppData=user%3D%7B%7D%26hash%3D00",
        "too_long": _launch(good + "&x=" + "a" * 5000),
        "none": "",
        "other_params": "tgWebAppVersion=8.0&tgWebAppPlatform=ios",
    }
    for name, fragment in hashes.items():
        state = make_state(DashboardState, fragment=fragment)
        assert _asks_the_browser(_open(state)), name
        assert state._student_id is None and state.session_credential == "", name
        assert state.auth_status == AuthStatus.PENDING and not state.loaded, name


def test_a_stale_launch_hash_leaves_the_tab_to_its_credential(sqlite_url, real_token):
    """A reload long after the launch: the hash's initData is stale; the script sends it
    with the tab's credential (rule 2), as before."""
    credential = _signed_in(555_821).session_credential
    stale = init_data_for(555_821, auth_date=int(time.time()) - 3 * 3600)
    state = make_state(DashboardState, fragment=_launch(stale))
    assert _asks_the_browser(_open(state))
    run(DashboardState.load, state, credential + "\n" + stale)  # the script's answer
    assert state.auth_status == AuthStatus.OK and state.loaded


def test_a_web_sign_in_handoff_in_the_hash_always_goes_through_the_script(sqlite_url, real_token):
    """`#mx_session=…&state=…` must reach the tab's sessionStorage (and leave the address
    bar), which only INIT_DATA_JS does: never signed in from the hash, even beside initData."""
    owner = _signed_in(555_831)
    handoff = {"mx_session": owner.session_credential, "state": "s" * 16}
    for fragment in (
        _launch("", **handoff).removeprefix("tgWebAppData=&"),
        _launch(init_data_for(555_832), **handoff),
    ):
        state = make_state(DashboardState, fragment=fragment)
        assert _asks_the_browser(_open(state))
        assert state._student_id is None and state.session_credential == ""
    # nor for a tab already signed in: the handoff still has to leave the URL
    signed = _signed_in(555_833)
    signed.router = make_state(DashboardState, fragment=_launch("", **handoff)).router
    assert _asks_the_browser(_open(signed))


def test_a_tab_already_signed_in_loads_its_next_page_without_the_script(sqlite_url, real_token):
    """In-app navigation drops the hash; the tab's server state still knows the student,
    and `_sign_in` would ignore whatever the script sent (no fresh sign-in, no credential)."""
    state = _signed_in(555_841)
    student_id, credential = state._student_id, state.session_credential
    state.loaded = False
    assert not _asks_the_browser(_open(state))
    assert state.loaded and state._student_id == student_id
    assert state.session_credential == credential  # renewed only when old, as on any event
    # a launch hash (even another user's fresh initData) changes nothing, exactly as the
    # script's answer would not: the kept sign-in wins within the state's lifetime
    state.router = make_state(DashboardState, fragment=_launch(init_data_for(555_842))).router
    assert state.router.url.fragment.startswith("tgWebAppData=")
    assert not _asks_the_browser(_open(state))
    assert state._student_id == student_id


def test_a_launch_hash_the_database_cannot_sign_in_falls_back_to_the_script(
    sqlite_url, real_token, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from mockexam.student import auth

    def unavailable(**_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(auth, "login_student", unavailable)
    state = make_state(DashboardState, fragment=_launch(init_data_for(555_851)))
    assert _asks_the_browser(_open(state))
    assert state._student_id is None and state.auth_status == AuthStatus.PENDING  # no flash


def test_a_launch_from_a_group_invite_joins_the_group_from_the_hash(sqlite_url):
    from mockexam.db import session_scope
    from mockexam.services import groups

    with session_scope() as db:
        code = groups.create_group(db, name="Kimyo 9", actor_id=None).invite_code
    init = init_data_for(555_861, language_code="en", start_param=f"g_{code}")
    state = make_state(DashboardState, fragment=_launch(init))
    assert not _asks_the_browser(_open(state))
    assert state.group_notice == "You have joined the group “Kimyo 9”."


def test_every_student_page_loads_through_its_own_open_page():
    """Each student route's on_load is `open_page` of a page state (its own handler, so a
    connect fetches that page's state only), and the handler refuses what is not a load."""
    import mockexam.mockexam as app_module

    student_routes = [r for r in app_module.app._load_events if r.startswith("app")]
    assert len(student_routes) >= 8
    for route in student_routes:
        for spec in app_module.app._load_events[route]:
            page = spec.handler.state
            assert spec.handler.fn is open_page, route
            assert issubclass(page, StudentState) and page is not StudentState, route
            assert page.event_handlers["open_page"] is spec.handler, route
    assert "open_page" not in StudentState.event_handlers
    with pytest.raises(TypeError):
        student_on_load(DashboardState.refresh)
