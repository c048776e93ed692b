"""Dashboard service: the exam card through an exam's life, scores, streaks, new achievements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError
from mockexam.services import sessions as session_service
from mockexam.services.achievements import mark_achievements_seen
from mockexam.services.dashboard import ExamCardState, get_dashboard
from tests.factories import make_exam, make_student
from tests.gamification.support import release


def test_empty_dashboard_for_a_new_student(db_url):
    with session_scope() as db:
        student = make_student(db, first_name="Dilnoza")
    board = get_dashboard(student_id=student.id)
    assert board.name == "Dilnoza"
    assert (board.latest, board.elo, board.exam) == (None, None, None)
    assert (board.exams_taken, board.current_streak, board.longest_streak) == (0, 0, 0)
    assert board.recent_achievements == [] and board.new_achievements == []
    with pytest.raises(NotFoundError):
        get_dashboard(student_id=student.id + 999)


def test_exam_card_through_the_exam_lifecycle(db_url):
    now = utcnow()
    with session_scope() as db:
        student = make_student(db)
        other = make_student(db)
        exam = make_exam(db, start=now + timedelta(hours=2), hours=3)
    card = get_dashboard(student_id=student.id, now=now).exam
    assert card.state == ExamCardState.UPCOMING and card.exam_id == exam.id
    assert card.seconds_until_start == pytest.approx(7200, abs=1)

    opened = exam.window_start + timedelta(minutes=5)
    card = get_dashboard(student_id=student.id, now=opened).exam
    assert card.state == ExamCardState.NOT_STARTED and card.session_id is None

    with session_scope() as db:
        mine = session_service.start_session(db, student_id=student.id, exam_id=exam.id, now=opened)
        session_service.start_session(db, student_id=other.id, exam_id=exam.id, now=opened)
    card = get_dashboard(student_id=student.id, now=opened + timedelta(minutes=1)).exam
    assert card.state == ExamCardState.IN_PROGRESS and card.session_id == mine.id
    assert card.deadline == mine.deadline
    assert card.seconds_until_deadline == pytest.approx(149 * 60 + 30, abs=1)

    with session_scope() as db:
        session_service.submit_session(
            db, student_id=student.id, session_id=mine.id, now=opened + timedelta(minutes=60)
        )
    card = get_dashboard(student_id=student.id, now=opened + timedelta(minutes=61)).exam
    assert card.state == ExamCardState.SUBMITTED and card.seconds_until_end > 0
    # The other student is past their deadline without submitting: waiting too.
    late = get_dashboard(student_id=other.id, now=mine.deadline + timedelta(minutes=1))
    assert late.exam.state == ExamCardState.SUBMITTED

    closed = exam.window_end + timedelta(minutes=1)
    board = get_dashboard(student_id=student.id, now=closed)
    assert board.exam.state == ExamCardState.SUBMITTED and board.exam.seconds_until_end == 0
    assert board.latest is None and board.exams_taken == 1

    with session_scope() as db:
        release(db, exam, {student.id: 64.5}, now=closed + timedelta(minutes=1))
    board = get_dashboard(student_id=student.id, now=closed + timedelta(minutes=2))
    assert board.exam.state == ExamCardState.RELEASED and board.exam.session_id == mine.id
    assert board.latest.scaled_score == 64.5 and board.latest.scaled_score_se == 3.0
    assert board.elo == pytest.approx(1200 + 7.25)
    assert (board.current_streak, board.longest_streak) == (1, 1)


def test_new_achievements_are_toasted_once(db_url):
    now = utcnow()
    with session_scope() as db:
        student = make_student(db)
        other = make_student(db)
        exam = make_exam(db, start=now - timedelta(days=2), hours=3)
        for s in (student, other):
            started = session_service.start_session(
                db, student_id=s.id, exam_id=exam.id, now=exam.window_start
            )
            session_service.submit_session(
                db, student_id=s.id, session_id=started.id, now=exam.window_start
            )
        release(db, exam, {student.id: 52.0, other.id: 52.0})
    board = get_dashboard(student_id=student.id)
    codes = [a.code for a in board.new_achievements]
    assert sorted(codes) == ["exams_1", "score_25", "score_50"]
    assert board.recent_achievements[0].exam_title == "Mock exam"
    theirs = get_dashboard(student_id=other.id).new_achievements
    # Another student's award ids change nothing.
    assert (
        mark_achievements_seen(student_id=student.id, award_ids=[a.award_id for a in theirs]) == 0
    )
    assert mark_achievements_seen(student_id=student.id) == 3
    board = get_dashboard(student_id=student.id)
    assert board.new_achievements == [] and len(board.recent_achievements) == 3
    assert not any(a.is_new for a in board.recent_achievements)
    assert len(get_dashboard(student_id=other.id).new_achievements) == 3
