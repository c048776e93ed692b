"""Small factories for test data."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlmodel import Session

from mockexam.db import utcnow
from mockexam.models import Exam, Student
from mockexam.services import exams as exam_service
from mockexam.services.students import upsert_student

_ids = itertools.count(1_000_000)

DEFAULT_KEY_TEXT = "ABCDABCDABCDABCDABCDABCDABCDABCDABC\n" + "\n".join(
    f"{n}a {n}\n{n}b -{n}/2" for n in range(36, 46)
)


def make_student(session: Session, **fields: object) -> Student:
    telegram_id = int(fields.pop("telegram_id", next(_ids)))
    fields.setdefault("first_name", f"Student{telegram_id % 10000}")
    return upsert_student(session, telegram_id=telegram_id, **fields)


def make_exam(
    session: Session,
    *,
    title: str = "Mock exam",
    start: datetime | None = None,
    hours: float = 3.0,
    duration_minutes: int = 150,
    publish: bool = True,
    key: bool = True,
    grading_scheme: str = "percentile",
) -> Exam:
    """An exam with the default 45/55 layout; by default open now, keyed, published."""
    start = start or utcnow() - timedelta(minutes=10)
    exam = exam_service.create_exam(
        session,
        title=title,
        window_start=start,
        window_end=start + timedelta(hours=hours),
        duration_minutes=duration_minutes,
        grading_scheme=grading_scheme,
    )
    if key:
        exam_service.import_answer_key(session, exam.id, DEFAULT_KEY_TEXT)
    if publish:
        exam_service.publish_exam(session, exam.id, now=min(start, utcnow()))
    session.flush()
    return exam
