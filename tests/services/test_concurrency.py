"""200 students save and submit at once: every accepted save is there, nothing duplicated,
nothing accepted after a deadline or a submit."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from mockexam.db import session_scope
from mockexam.errors import AlreadySubmittedError, DeadlinePassedError
from mockexam.models import Answer, ExamSession
from mockexam.services import sessions
from mockexam.services.exams import get_items
from tests.factories import make_exam, make_student

STUDENTS = 200
ANSWERS_EACH = 25


@pytest.mark.slow
def test_concurrent_students_lose_nothing(db_url):
    with session_scope() as db:
        exam = make_exam(db, duration_minutes=150)
        student_ids = [make_student(db).id for _ in range(STUDENTS)]
        labels = [i.label for i in get_items(db, exam.id)]

    barrier = threading.Barrier(16, timeout=60)
    accepted: dict[int, dict[str, str]] = {}
    refused_late: list[int] = []

    def start(student_id: int) -> int:
        with session_scope() as db:
            return sessions.start_session(db, student_id=student_id, exam_id=exam.id).id

    def take_exam(k: int, student_id: int) -> None:
        if k < 16:
            barrier.wait()  # the first 16 start at the very same moment
        rng = random.Random(k)
        session_id = start(student_id)
        mine: dict[str, str] = {}
        chosen = rng.sample(labels, ANSWERS_EACH)
        for label in chosen + chosen[:5]:  # some answers changed twice
            value = rng.choice("ABCD") if not label[-1].isalpha() else str(rng.randint(-9, 99))
            with session_scope() as db:
                mine[label] = sessions.save_answer(
                    db, student_id=student_id, session_id=session_id, label=label, value=value
                )
        with session_scope() as db:
            deadline = db.get(ExamSession, session_id).deadline
        try:
            with session_scope() as db:
                sessions.save_answer(
                    db,
                    student_id=student_id,
                    session_id=session_id,
                    label="1",
                    value="D",
                    now=deadline + timedelta(milliseconds=1),
                )
        except DeadlinePassedError:
            refused_late.append(student_id)
        with session_scope() as db:
            sessions.submit_session(db, student_id=student_id, session_id=session_id)
        try:
            with session_scope() as db:
                sessions.save_answer(
                    db, student_id=student_id, session_id=session_id, label=labels[0], value="A"
                )
            raise AssertionError("a save after submit was accepted")
        except AlreadySubmittedError:
            pass
        accepted[student_id] = mine

    with ThreadPoolExecutor(max_workers=16) as pool:
        # every student starts twice, from two threads, and still has one session
        starts = list(pool.map(start, student_ids[:50]))
        futures = [pool.submit(take_exam, k, sid) for k, sid in enumerate(student_ids)]
        for future in futures:
            future.result()

    assert len(refused_late) == STUDENTS
    with session_scope(readonly=True) as db:
        rows = db.exec(select(ExamSession)).all()
        assert len(rows) == STUDENTS
        assert {r.student_id for r in rows} == set(student_ids)
        assert all(r.submitted_at is not None and not r.is_auto_submitted for r in rows)
        by_session = {r.id: r.student_id for r in rows}
        assert set(starts) <= set(by_session)
        stored: dict[int, dict[str, str]] = {sid: {} for sid in student_ids}
        items = {i.id: i.label for i in get_items(db, exam.id)}
        for answer in db.exec(select(Answer)):
            stored[by_session[answer.session_id]][items[answer.item_id]] = answer.value
            deadline = next(r.deadline for r in rows if r.id == answer.session_id)
            assert answer.saved_at <= deadline
        assert stored == accepted
        assert db.exec(select(func.count()).select_from(Answer)).one() == STUDENTS * ANSWERS_EACH
