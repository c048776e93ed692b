"""Taking an exam: start once, personal deadline, autosave rules, submit, auto-submit, grading."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.db import utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    NotFoundError,
    ValidationError,
)
from mockexam.models import Answer, ExamSession, SessionStatus
from mockexam.services import grading, sessions
from mockexam.services.sessions import AnswerChange
from tests.factories import make_exam, make_student


def test_start_session_once_with_personal_deadline(db):
    exam = make_exam(db, start=utcnow() - timedelta(minutes=10), hours=4, duration_minutes=150)
    student = make_student(db)
    now = utcnow()
    first = sessions.start_session(db, student_id=student.id, exam_id=exam.id, now=now)
    assert first.deadline == now + timedelta(minutes=150, seconds=30)
    again = sessions.start_session(
        db, student_id=student.id, exam_id=exam.id, now=now + timedelta(minutes=5)
    )
    assert again.id == first.id and again.deadline == first.deadline
    assert len(db.exec(select(ExamSession)).all()) == 1


def test_late_starter_gets_less_time(db):
    exam = make_exam(db, start=utcnow() - timedelta(hours=3), hours=3.5, duration_minutes=150)
    student = make_student(db)
    started = sessions.start_session(db, student_id=student.id, exam_id=exam.id)
    assert started.deadline == exam.window_end + timedelta(seconds=30)


def test_start_refused_before_and_after_window(db):
    student = make_student(db)
    future = make_exam(db, start=utcnow() + timedelta(hours=2))
    with pytest.raises(ExamNotOpenError, match="opens at") as err:
        sessions.start_session(db, student_id=student.id, exam_id=future.id)
    # In local time (Tashkent, UTC+5), not UTC.
    opens = (future.window_start + timedelta(hours=5)).strftime("%d.%m.%Y %H:%M")
    assert str(err.value) == (
        f"The exam opens at {opens} (Asia/Tashkent time); you cannot start yet."
    )
    assert err.value.text("ru").startswith(f"Экзамен откроется {opens} ")
    past = make_exam(db, start=utcnow() - timedelta(days=3), hours=1)
    with pytest.raises(ExamNotOpenError, match="closed"):
        sessions.start_session(db, student_id=student.id, exam_id=past.id)
    draft = make_exam(db, start=utcnow() + timedelta(days=9), publish=False)
    with pytest.raises(ExamNotOpenError):
        sessions.start_session(
            db, student_id=student.id, exam_id=draft.id, now=utcnow() + timedelta(days=9, minutes=1)
        )


def _started(db):
    exam = make_exam(db)
    student = make_student(db)
    exam_session = sessions.start_session(db, student_id=student.id, exam_id=exam.id)
    return exam, student, exam_session


def test_save_answer_validates_item_and_value(db):
    _, student, es = _started(db)
    save = sessions.save_answer
    assert save(db, student_id=student.id, session_id=es.id, label="1", value=" b ") == "B"
    assert save(db, student_id=student.id, session_id=es.id, label="36a", value="−1/2") == "−1/2"
    with pytest.raises(ValidationError, match="not on this answer sheet"):
        save(db, student_id=student.id, session_id=es.id, label="46", value="A")
    with pytest.raises(ValidationError, match="7"):
        save(db, student_id=student.id, session_id=es.id, label="7", value="E")
    with pytest.raises(ValidationError, match="37a"):
        save(db, student_id=student.id, session_id=es.id, label="37a", value="9" * 65)
    with pytest.raises(ValidationError, match="not an item label"):
        save(db, student_id=student.id, session_id=es.id, label="x1", value="A")
    saved = sessions.session_answers(db, es.id)
    assert {k: a.value for k, a in saved.items()} == {"1": "B", "36a": "−1/2"}


def test_save_answer_overwrites_and_keeps_flag(db):
    _, student, es = _started(db)
    sessions.save_answer(db, student_id=student.id, session_id=es.id, label="3", value="A")
    sessions.save_answer(db, student_id=student.id, session_id=es.id, label="3", flagged=True)
    sessions.save_answer(db, student_id=student.id, session_id=es.id, label="3", value="C")
    answer = sessions.session_answers(db, es.id)["3"]
    assert (answer.value, answer.is_flagged) == ("C", True)
    assert len(db.exec(select(Answer)).all()) == 1


def test_batch_save_is_all_or_nothing(db):
    _, student, es = _started(db)
    with pytest.raises(ValidationError, match="Not saved"):
        sessions.save_answers(
            db,
            student_id=student.id,
            session_id=es.id,
            changes={
                "1": AnswerChange(value="A"),
                "2": AnswerChange(value="Z"),
            },
        )
    assert sessions.session_answers(db, es.id) == {}


def test_save_refused_for_another_students_session(db):
    _, _, es = _started(db)
    intruder = make_student(db)
    with pytest.raises(NotFoundError, match="not yours"):
        sessions.save_answer(db, student_id=intruder.id, session_id=es.id, label="1", value="A")
    with pytest.raises(NotFoundError):
        sessions.submit_session(db, student_id=intruder.id, session_id=es.id)


def test_save_refused_after_deadline_and_after_submit(db):
    _, student, es = _started(db)
    late = es.deadline + timedelta(seconds=1)
    with pytest.raises(DeadlinePassedError, match="Time is up"):
        sessions.save_answer(
            db, student_id=student.id, session_id=es.id, label="1", value="A", now=late
        )
    # exactly at the deadline is still accepted
    sessions.save_answer(
        db, student_id=student.id, session_id=es.id, label="1", value="A", now=es.deadline
    )
    sessions.submit_session(db, student_id=student.id, session_id=es.id)
    with pytest.raises(AlreadySubmittedError):
        sessions.save_answer(db, student_id=student.id, session_id=es.id, label="1", value="B")
    assert sessions.session_answers(db, es.id)["1"].value == "A"


def test_submit_is_idempotent(db):
    _, student, es = _started(db)
    first = sessions.submit_session(db, student_id=student.id, session_id=es.id)
    submitted_at = first.submitted_at
    second = sessions.submit_session(
        db, student_id=student.id, session_id=es.id, now=utcnow() + timedelta(minutes=5)
    )
    assert second.submitted_at == submitted_at
    assert second.status == SessionStatus.SUBMITTED and not second.is_auto_submitted


def test_late_submit_counts_as_auto_submit_at_deadline(db):
    _, student, es = _started(db)
    done = sessions.submit_session(
        db, student_id=student.id, session_id=es.id, now=es.deadline + timedelta(minutes=3)
    )
    assert done.submitted_at == es.deadline and done.is_auto_submitted


def test_auto_submit_sweep_uses_the_deadline(db):
    exam, _student, es = _started(db)
    other = sessions.start_session(db, student_id=make_student(db).id, exam_id=exam.id)
    sessions.submit_session(db, student_id=other.student_id, session_id=other.id)
    db.flush()
    assert sessions.auto_submit_overdue(db, now=es.deadline) == 0
    assert sessions.auto_submit_overdue(db, now=es.deadline + timedelta(seconds=1)) == 1
    db.expire_all()
    swept = db.get(ExamSession, es.id)
    assert swept.submitted_at == es.deadline and swept.is_auto_submitted
    assert not db.get(ExamSession, other.id).is_auto_submitted
    assert sessions.auto_submit_overdue(db, now=es.deadline + timedelta(hours=1)) == 0


def test_the_sweep_leaves_an_exam_in_its_closing_rush_ungraded(db):
    """GRADING_HOLD_SECONDS: while a session of the exam still in progress has its
    deadline that close, its submitted sessions wait; other exams are graded."""
    now = utcnow()
    rushing = make_exam(db, start=now - timedelta(hours=1), hours=1.02, duration_minutes=90)
    calm = make_exam(db, start=now - timedelta(hours=5), hours=2, duration_minutes=90)
    done, taking, other = make_student(db), make_student(db), make_student(db)
    earlier = now - timedelta(hours=4)
    for student, exam, at in ((done, rushing, now), (taking, rushing, now), (other, calm, earlier)):
        own = sessions.start_session(db, student_id=student.id, exam_id=exam.id, now=at)
        if student is not taking:
            sessions.submit_session(db, student_id=student.id, session_id=own.id, now=at)
    db.commit()
    # `taking`'s deadline: the window's end (1 min 12 s from now) plus the 30 s grace.
    assert sorted(grading.exams_with_ungraded_sessions(db)) == sorted([rushing.id, calm.id])
    assert grading.exams_with_ungraded_sessions(db, hold_seconds=120, now=now) == [calm.id]
    assert sorted(grading.exams_with_ungraded_sessions(db, hold_seconds=60, now=now)) == sorted(
        [rushing.id, calm.id]
    )  # its deadline is 102 s away: not yet the rush
    # Once the last session of the rush is submitted, the exam is graded again.
    last = db.exec(select(ExamSession).where(ExamSession.student_id == taking.id)).one()
    sessions.submit_session(db, student_id=taking.id, session_id=last.id)
    db.commit()
    assert sorted(grading.exams_with_ungraded_sessions(db, hold_seconds=120, now=now)) == sorted(
        [rushing.id, calm.id]
    )


def test_grade_session_points_and_exercises(db):
    _, student, es = _started(db)
    # key: 1..35 = ABCD repeating; 36a = 36, 36b = -36/2, …
    answers = {
        "1": "A",
        "2": "B",
        "3": "D",
        "36a": "36",
        "36b": "-18",
        "37a": "37",
        "37b": "1",
        "38a": "38,0",
        "38b": "−19",
    }
    sessions.save_answers(
        db,
        student_id=student.id,
        session_id=es.id,
        changes={k: AnswerChange(value=v) for k, v in answers.items()},
    )
    sessions.submit_session(db, student_id=student.id, session_id=es.id)
    assert grading.exams_with_ungraded_sessions(db) == [es.exam_id]
    assert grading.grade_session(db, es.id) is True
    assert grading.grade_session(db, es.id) is False  # once
    db.expire_all()
    graded = db.get(ExamSession, es.id)
    # right: 1, 2, 36a, 36b, 37a, 38a, 38b → 7 points; exercises: 1, 2, 36, 38 → 4
    assert (graded.points, graded.max_points) == (7, 55)
    assert (graded.exercises, graded.max_exercises) == (4, 45)
    marks = {k: a.is_correct for k, a in sessions.session_answers(db, es.id).items()}
    assert marks["3"] is False and marks["38b"] is True and marks["37b"] is False
    assert grading.exams_with_ungraded_sessions(db) == []
