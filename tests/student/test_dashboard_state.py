"""The Mini App sign-in and the dashboard's handlers, against the real database."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.models import Achievement, AchievementAward, Student
from mockexam.services import sessions as session_service
from mockexam.student.auth import AuthStatus, StudentState
from mockexam.student.dashboard import DASHBOARD_ON_LOAD, DashboardState
from tests.factories import make_exam, make_student
from tests.gamification.support import release
from tests.student.helpers import init_data_for, make_state, run, toast_js


def _released_student(db_url: str) -> Student:
    now = utcnow()
    with session_scope() as db:
        student = make_student(db, telegram_id=555_001, first_name="Dilnoza")
        other = make_student(db)
        exam = make_exam(db, title="Weekly #1", start=now - timedelta(days=2), hours=3)
        for s in (student, other):
            started = session_service.start_session(
                db, student_id=s.id, exam_id=exam.id, now=exam.window_start
            )
            session_service.submit_session(
                db, student_id=s.id, session_id=started.id, now=exam.window_start
            )
        release(db, exam, {student.id: 64.5, other.id: 40.0})
        db.expunge(student)
    return student


def test_dashboard_load_signs_in_and_shows_the_callers_figures(db_url):
    student = _released_student(db_url)
    state = make_state(DashboardState)

    events = run(DashboardState.load, state, init_data_for(555_001, first_name="Dilnoza"))

    assert state.auth_status == AuthStatus.OK
    assert state._student_id == student.id
    assert state.loaded and not state.failed
    assert state.name == "Dilnoza"
    assert state.has_score and state.scaled_score == 64.5 and state.grade
    assert state.exams_taken == 1 and state.current_streak == 1
    assert state.has_elo and state.elo > 1200
    assert len(state.awards) == 3  # the three most recent
    # Every new award is toasted once, then marked seen.
    with session_scope(readonly=True) as db:
        awarded = db.exec(
            select(Achievement.code)
            .join(AchievementAward, AchievementAward.achievement_id == Achievement.id)
            .where(AchievementAward.student_id == student.id)
        ).all()
    assert set(awarded) == {"exams_1", "score_25", "score_50", "score_60"}
    # Four new awards: one combined toast (not four stacked over the score).
    assert len(events) == 1
    assert '"4 ta yangi yutuq"' in toast_js(events[0])
    with session_scope(readonly=True) as db:
        unseen = db.exec(
            select(AchievementAward).where(
                AchievementAward.student_id == student.id,
                AchievementAward.seen_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
    assert unseen == []
    assert run(DashboardState.load, make_state(DashboardState), init_data_for(555_001)) is None


def test_dashboard_refuses_forged_stale_and_missing_init_data(db_url):
    _released_student(db_url)
    forged = init_data_for(555_001, bot_token="123:another-bot")
    stale = init_data_for(555_001, auth_date=int(time.time()) - 3 * 24 * 3600)
    tampered = init_data_for(555_001).replace("Test", "Evil")
    for bad in (forged, stale, tampered, "", "x" * 10_000, "user=%7B%7D&hash=00"):
        state = make_state(DashboardState)
        run(DashboardState.load, state, bad)
        assert state.auth_status == AuthStatus.DENIED
        assert state._student_id is None
        assert not state.loaded and state.name == "" and state.awards == []


def test_refresh_without_sign_in_asks_the_browser_for_init_data(db_url):
    state = make_state(DashboardState)
    event = run(DashboardState.refresh, state)
    assert state._student_id is None and not state.loaded
    assert event is DASHBOARD_ON_LOAD  # the page's on_load again: no launch hash here, so …
    assert "_call_script" in str(run(event.handler, state))  # … it asks the browser


def test_first_sign_in_registers_the_student_in_their_telegram_language(db_url):
    state = make_state(DashboardState)
    run(DashboardState.load, state, init_data_for(777_002, first_name="Ivan", language_code="ru"))
    assert state.lang == "ru" and state.name == "Ivan"
    assert not state.has_score and not state.has_exam and state.exams_taken == 0
    with session_scope(readonly=True) as db:
        stored = db.exec(select(Student).where(Student.telegram_id == 777_002)).one()
    assert stored.first_name == "Ivan" and stored.language_code == "ru"


def test_switch_language_is_kept_and_rejects_unknown_codes(db_url):
    state = make_state(DashboardState)
    run(DashboardState.load, state, init_data_for(777_003))
    assert state.lang == "uz"
    run(StudentState.switch_language, state, "de")
    assert state.lang == "uz"
    run(StudentState.switch_language, state, "en")
    assert state.lang == "en"
    with session_scope(readonly=True) as db:
        assert (
            db.exec(select(Student.language_code).where(Student.telegram_id == 777_003)).one()
            == "en"
        )
    # A fresh tab of the same student opens in the chosen language.
    again = make_state(DashboardState)
    run(DashboardState.load, again, init_data_for(777_003))
    assert again.lang == "en"


def test_switch_language_before_sign_in_changes_nothing(db_url):
    state = make_state(DashboardState)
    run(StudentState.switch_language, state, "ru")
    assert state.lang == "uz"
