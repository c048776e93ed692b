"""A provisional result (fewer takers than the calibration minimum) shows no ± and no grade.

The release stores a percentile grade among the few takers (the top one of three
gets A+ whatever the score) and no SE; the student's results page, dashboard and
history show neither, label the score as a percentage of points and say why, in
the student's language, with the configured minimum.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import ExamSession, Student
from mockexam.services import release
from mockexam.services.students import set_language
from mockexam.student.dashboard import DashboardState
from mockexam.student.history import HistoryState
from mockexam.student.results import ResultsState, ResultsView
from mockexam.telegram.messages import provisional_note
from tests.factories import make_cohort, make_exam
from tests.student.helpers import init_data_for, make_state, run


def _top_of_three(lang: str = "en") -> tuple[int, int, int]:
    """Three took an exam, released provisionally: (student id, telegram id, session id) of
    the one the percentile grading put first."""
    with session_scope() as db:
        exam = make_exam(db, title="Small week", start=utcnow() - timedelta(hours=5), hours=4)
        make_cohort(db, exam, n=3, seed=11, graded=True)
        exam_id = exam.id
    summary = release.release_exam(exam_id)
    assert summary is not None and not summary.calibrated
    with session_scope(readonly=True) as db:
        top, telegram_id = db.exec(
            select(ExamSession, Student.telegram_id)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .where(ExamSession.exam_id == exam_id)
            .order_by(col(ExamSession.points).desc(), col(ExamSession.id))
        ).first()
        # What the release stored: a grade among three, no SE, a percentage as the score.
        assert top.is_provisional and top.grade and top.scaled_score_se is None
        assert top.scaled_score == round(100 * top.points / top.max_points, 2)
        student_id, session_id = top.student_id, top.id
    set_language(student_id=student_id, language=lang)
    return student_id, telegram_id, session_id


def test_results_page_of_a_provisional_result_shows_no_grade_no_se_and_says_why(db_url):
    _, telegram_id, session_id = _top_of_three("ru")
    state = make_state(ResultsState, path=f"/app/results/{session_id}")

    run(ResultsState.load, state, init_data_for(telegram_id))

    assert state.view == ResultsView.READY and state.lang == "ru"
    assert state.is_provisional and state.has_scaled
    assert state.grade == "" and not state.has_se
    minimum = settings.min_participants_for_calibration
    assert state.provisional_note == {lang: provisional_note(lang) for lang in ("uz", "ru", "en")}
    assert f"меньше {minimum} учеников" in state.provisional_note["ru"]
    assert f"fewer than {minimum} students" in state.provisional_note["en"]
    assert f"{minimum} nafardan kam" in state.provisional_note["uz"]


def test_dashboard_of_a_provisional_result_shows_no_grade_no_se_and_says_why(db_url):
    _, telegram_id, _ = _top_of_three()
    state = make_state(DashboardState)

    run(DashboardState.load, state, init_data_for(telegram_id))

    assert state.has_score and state.is_provisional
    assert state.grade == "" and not state.has_se
    assert state.provisional_note["en"].startswith("Provisional result: fewer than")


def test_history_of_a_provisional_result_shows_no_grade_and_says_why(db_url):
    _, telegram_id, session_id = _top_of_three("uz")
    state = make_state(HistoryState, path="/app/history")

    run(HistoryState.load, state, init_data_for(telegram_id))

    row = next(r for r in state.rows if r["session_id"] == session_id)
    assert row["is_provisional"] and row["has_scaled"] and row["grade"] == ""
    assert state.provisional_note["uz"].startswith("Dastlabki natija")


def test_a_calibrated_history_carries_no_provisional_note(db_url):
    with session_scope() as db:
        exam = make_exam(db, title="Big week", start=utcnow() - timedelta(hours=5), hours=4)
        make_cohort(db, exam, n=settings.min_participants_for_calibration, seed=5, graded=True)
        exam_id = exam.id
    assert release.release_exam(exam_id).calibrated
    with session_scope(readonly=True) as db:
        telegram_id = db.exec(
            select(Student.telegram_id)
            .join(ExamSession, col(ExamSession.student_id) == Student.id)
            .where(ExamSession.exam_id == exam_id)
        ).first()
    state = make_state(HistoryState, path="/app/history")

    run(HistoryState.load, state, init_data_for(telegram_id))

    assert state.rows and not state.rows[0]["is_provisional"] and state.rows[0]["grade"]
    assert state.provisional_note == {}
    board = make_state(DashboardState)
    run(DashboardState.load, board, init_data_for(telegram_id))
    assert board.grade and board.has_se and board.provisional_note == {}
