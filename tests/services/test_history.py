"""History, one session's results (owner only, after release) and the Elo series."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError
from mockexam.models import Exam, ExamItem, ExamSession, SessionStatus
from mockexam.services import release as release_service
from mockexam.services import sessions as session_service
from mockexam.services.dashboard import get_dashboard
from mockexam.services.grading import grade_session
from mockexam.services.history import (
    calibrated_only,
    get_elo_series,
    get_history,
    get_session_results,
)
from tests.factories import make_cohort, make_exam, make_student
from tests.gamification.support import release


def _sit(db, exam, student_id: int, answers: dict[str, str], *, at) -> int:
    """Start, answer, submit and grade; returns the session id (grading expires loaded rows)."""
    started = session_service.start_session(db, student_id=student_id, exam_id=exam.id, now=at)
    if answers:
        session_service.save_answers(
            db,
            student_id=student_id,
            session_id=started.id,
            changes={k: session_service.AnswerChange(value=v) for k, v in answers.items()},
            now=at,
        )
    session_service.submit_session(db, student_id=student_id, session_id=started.id, now=at)
    session_id = started.id
    grade_session(db, session_id, now=at)
    return session_id


def test_history_shows_scores_only_once_released(db_url):
    now = utcnow()
    with session_scope() as db:
        student = make_student(db).id
        old = make_exam(db, title="Old", start=now - timedelta(days=8), hours=3)
        new = make_exam(db, title="New", start=now - timedelta(hours=1), hours=3)
        first = _sit(db, old, student, {"1": "A"}, at=old.window_start)
        release(db, old, {student: 58.25})
        second = _sit(db, new, student, {"1": "B"}, at=new.window_start + timedelta(minutes=5))
    entries = get_history(student_id=student)
    assert [e.exam_title for e in entries] == ["New", "Old"]
    waiting, done = entries
    assert waiting.session_id == second and waiting.status == SessionStatus.SUBMITTED
    assert not waiting.is_released
    assert (waiting.points, waiting.scaled_score, waiting.grade, waiting.elo_change) == (
        None,
        None,
        None,
        None,
    )
    assert done.session_id == first and done.is_released
    assert (done.scaled_score, done.scaled_score_se, done.grade) == (58.25, 3.0, "B")
    assert done.elo_before == 1200 and done.elo_change == pytest.approx(4.125)
    assert done.max_points == 55 and not done.is_auto_submitted
    with session_scope() as db:
        other = make_student(db).id
    assert get_history(student_id=other) == []


def test_session_results_only_for_the_owner_and_only_after_release(db_url):
    now = utcnow()
    with session_scope() as db:
        owner, stranger = make_student(db).id, make_student(db).id
        exam = make_exam(db, start=now - timedelta(days=1), hours=3)
        mine = _sit(
            db, exam, owner, {"1": "a", "2": "C", "36a": "36", "36b": "-18"}, at=exam.window_start
        )
        _sit(db, exam, stranger, {}, at=exam.window_start)
        exam_id = exam.id
        excluded = db.exec(
            select(ExamItem).where(ExamItem.exam_id == exam_id, ExamItem.number == 3)
        ).one()
        excluded.is_excluded = True
        db.add(excluded)
    with pytest.raises(PermissionDeniedError, match="come out after the exam window closes"):
        get_session_results(student_id=owner, session_id=mine)
    with session_scope() as db:
        release(db, db.get(Exam, exam_id), {owner: 70.0})
    with pytest.raises(NotFoundError):
        get_session_results(student_id=stranger, session_id=mine)
    with pytest.raises(NotFoundError):
        get_session_results(student_id=owner, session_id=mine + 1000)

    results = get_session_results(student_id=owner, session_id=mine)
    assert results.entry.scaled_score == 70.0 and results.released_at is not None
    assert len(results.items) == 55
    by_label = {i.label: i for i in results.items}
    assert (by_label["1"].answer, by_label["1"].is_correct) == ("A", True)  # stored normalised
    assert (by_label["2"].answer, by_label["2"].is_correct) == ("C", False)
    assert by_label["2"].accepted_answers == ("B",) and by_label["2"].options == (
        "A",
        "B",
        "C",
        "D",
    )
    assert by_label["3"].is_excluded and by_label["3"].is_correct is None
    assert by_label["36a"].is_correct and by_label["36b"].is_correct
    assert (by_label["45b"].answer, by_label["45b"].is_correct) == (None, False)


def test_elo_series_in_release_order(db_url):
    now = utcnow()
    with session_scope() as db:
        student = make_student(db).id
        for k, score in enumerate((40.0, 70.0, 60.0)):
            exam = make_exam(db, title=f"E{k}", start=now - timedelta(days=30 - 7 * k), hours=3)
            _sit(db, exam, student, {}, at=exam.window_start)
            release(db, exam, {student: score})
    series = get_elo_series(student_id=student)
    assert [p.exam_title for p in series.points] == ["E0", "E1", "E2"]
    assert [p.elo_after for p in series.points] == [1195.0, 1205.0, 1210.0]
    assert series.start == 1200.0 and series.current == 1210.0
    assert all(a.elo_after == b.elo_before for a, b in pairwise(series.points))


def test_session_results_of_a_dtm_exam_have_section_subtotals(db_url):
    """Right: 1, 2 (block 1 at 1.1), 31 (block 4 at 3.1), 61 (block 5 at 2.1) → 7.4/189;
    the sections carry their titles, numbers and the student's subtotals."""
    from mockexam.scoring.layout_templates import DTM_BLOCK

    now = utcnow()
    with session_scope() as db:
        owner = make_student(db).id
        exam = make_exam(db, start=now - timedelta(days=1), hours=4, layout=DTM_BLOCK)
        mine = _sit(
            db,
            exam,
            owner,
            {"1": "A", "2": "B", "3": "D", "31": "C", "61": "A"},
            at=exam.window_start,
        )
        release(db, exam, {owner: 61.0})
    results = get_session_results(student_id=owner, session_id=mine)
    assert (results.entry.points, results.entry.max_points) == (7.4, 189)
    assert results.entry.official_score == "points"
    sections = results.sections
    assert [(s.first, s.last, s.item_points) for s in sections] == [
        (1, 10, 1.1),
        (11, 20, 1.1),
        (21, 30, 1.1),
        (31, 60, 3.1),
        (61, 90, 2.1),
    ]
    assert [s.points for s in sections] == [2.2, 0, 0, 3.1, 2.1]
    assert [s.max_points for s in sections] == [11, 11, 11, 93, 63]
    assert [s.exercises for s in sections] == [2, 0, 0, 1, 1]
    assert sections[3].title("ru") and sections[3].title("ru") != sections[3].title("uz")
    assert {i.label: i.section for i in results.items}["61"] == 4
    assert {i.label: i.points for i in results.items}["31"] == 3.1


def test_results_not_out_yet_says_when_in_local_time(db_url):
    with session_scope() as db:
        owner = make_student(db).id
        exam = make_exam(db, start=utcnow() - timedelta(hours=1), hours=3)
        mine = _sit(db, exam, owner, {}, at=exam.window_start)
        exam.window_end = exam.window_end.replace(
            year=2026, month=11, day=22, hour=9, minute=0, second=0, microsecond=0
        )
        db.add(exam)
    with pytest.raises(PermissionDeniedError) as caught:
        get_session_results(student_id=owner, session_id=mine)
    assert "(22.11.2026 14:00, Asia/Tashkent)" in str(caught.value)
    assert "закрытия окна экзамена (22.11.2026 14:00" in caught.value.text("ru")
    assert "UTC" not in str(caught.value)


def test_calibrated_only_keeps_a_calibrated_value_and_drops_a_provisional_one():
    assert calibrated_only("A+", is_provisional=False) == "A+"
    assert calibrated_only(2.5, is_provisional=False) == 2.5
    assert calibrated_only("A+", is_provisional=True) is None
    assert calibrated_only(0.0, is_provisional=True) is None


def test_a_provisional_result_is_shown_to_its_student_with_no_grade_and_no_se(db_url):
    """Three takers: the release stores a rank among three (A+ for the first, whatever the
    score) and a percentage; the student's history, results and dashboard drop the grade
    (and have no SE)."""
    with session_scope() as db:
        exam = make_exam(db, title="Small week", start=utcnow() - timedelta(hours=5), hours=4)
        make_cohort(db, exam, n=3, seed=11, graded=True)
        exam_id = exam.id
    assert not release_service.release_exam(exam_id).calibrated
    with session_scope(readonly=True) as db:
        stored = db.exec(select(ExamSession).where(col(ExamSession.exam_id) == exam_id)).all()
        db.expunge_all()
    assert len(stored) == 3
    for row in stored:
        assert row.is_provisional and row.grade and row.scaled_score_se is None
        entry = next(e for e in get_history(student_id=row.student_id) if e.exam_id == exam_id)
        assert entry.is_provisional and entry.scaled_score == row.scaled_score
        assert entry.grade is None and entry.scaled_score_se is None
        results = get_session_results(student_id=row.student_id, session_id=row.id).entry
        assert results.grade is None and results.scaled_score_se is None
        latest = get_dashboard(student_id=row.student_id).latest
        assert latest is not None and latest.session_id == row.id and latest.is_provisional
        assert latest.grade is None and latest.scaled_score_se is None
        assert latest.scaled_score == row.scaled_score
