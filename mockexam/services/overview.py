"""The public overview on the home page: the next (or open) exam and how many study.

Nothing here needs an identity: it is what anyone opening the app may see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.models import ExamPhase, Student
from mockexam.services.exams import exam_phase, upcoming_or_open_exam


@dataclass(frozen=True, slots=True)
class ExamTeaser:
    """What the home page shows of one exam; times are UTC."""

    title: str
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    is_open: bool
    # From the server's clock at `PublicOverview.now`, so the page never
    # depends on the device's clock.
    seconds_until_start: int
    seconds_until_end: int


@dataclass(frozen=True, slots=True)
class PublicOverview:
    now: datetime
    student_count: int
    exam: ExamTeaser | None


def get_public_overview(*, now: datetime | None = None) -> PublicOverview:
    """The exam that is open now, else the next published one, and the student count."""
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        student_count = session.exec(select(func.count()).select_from(Student)).one()
        exam = upcoming_or_open_exam(session, now)
        teaser = None
        if exam is not None:
            teaser = ExamTeaser(
                title=exam.title,
                window_start=exam.window_start,
                window_end=exam.window_end,
                duration_minutes=exam.duration_minutes,
                is_open=exam_phase(exam, now) == ExamPhase.OPEN,
                seconds_until_start=_seconds_between(now, exam.window_start),
                seconds_until_end=_seconds_between(now, exam.window_end),
            )
    return PublicOverview(now=now, student_count=int(student_count), exam=teaser)


def _seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from `start` to `end`, rounded up; 0 if `end` has passed."""
    return max(0, math.ceil((end - start).total_seconds()))
