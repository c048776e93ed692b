"""The student's dashboard (spec §7): latest score, Elo, streaks, achievements, the exam card.

One call, a handful of small indexed queries, all about the caller only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import (
    Exam,
    ExamSession,
    ExamStatus,
    SessionStatus,
    Streak,
    StudentRating,
)
from mockexam.services.achievements import EarnedAchievement, earned_achievements
from mockexam.services.exams import upcoming_or_open_exam
from mockexam.services.history import require_student

RECENT_ACHIEVEMENTS = 3


class ExamCardState(StrEnum):
    """Where the student stands with the exam on the dashboard card."""

    UPCOMING = "upcoming"  # published, window not open yet: countdown to the start
    NOT_STARTED = "not_started"  # open now, the student has not started
    IN_PROGRESS = "in_progress"  # started, before the personal deadline
    SUBMITTED = "submitted"  # submitted (or past the deadline): waiting for results
    RELEASED = "released"  # results are out (nothing newer to show)


@dataclass(frozen=True, slots=True)
class ExamCard:
    """The exam of the moment, as it is for this student; seconds from the server clock."""

    exam_id: int
    title: str
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    state: ExamCardState
    session_id: int | None
    deadline: datetime | None  # the personal deadline while in progress
    seconds_until_start: int
    seconds_until_end: int
    seconds_until_deadline: int | None


@dataclass(frozen=True, slots=True)
class LatestScore:
    """The student's latest released result."""

    session_id: int
    exam_id: int
    exam_title: str
    exam_date: datetime
    scaled_score: float | None
    scaled_score_se: float | None
    grade: str | None
    is_provisional: bool
    points: int | None
    max_points: int | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    student_id: int
    name: str
    latest: LatestScore | None  # None: no released exam yet
    elo: float | None  # None: not rated yet (no released exam)
    exams_taken: int  # submitted exams, released or waiting
    current_streak: int
    longest_streak: int
    recent_achievements: list[EarnedAchievement]  # newest first
    new_achievements: list[EarnedAchievement]  # not seen yet: toast them, then mark seen
    exam: ExamCard | None  # None: nothing upcoming ("try practice")


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, math.ceil((end - start).total_seconds()))


def _card(
    exam: Exam, exam_session: ExamSession | None, state: ExamCardState, now: datetime
) -> ExamCard:
    in_progress = state == ExamCardState.IN_PROGRESS
    return ExamCard(
        exam_id=exam.id,
        title=exam.title,
        window_start=exam.window_start,
        window_end=exam.window_end,
        duration_minutes=exam.duration_minutes,
        state=state,
        session_id=exam_session.id if exam_session is not None else None,
        deadline=exam_session.deadline if in_progress and exam_session else None,
        seconds_until_start=_seconds(now, exam.window_start),
        seconds_until_end=_seconds(now, exam.window_end),
        seconds_until_deadline=_seconds(now, exam_session.deadline)
        if in_progress and exam_session
        else None,
    )


def _exam_card(
    session: Session, *, student_id: int, latest: LatestScore | None, now: datetime
) -> ExamCard | None:
    """Open exam › a closed one awaiting results › the next one › the latest results."""
    upcoming = upcoming_or_open_exam(session, now)
    if upcoming is not None and upcoming.window_start <= now:
        mine = session.exec(
            select(ExamSession).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == upcoming.id
            )
        ).first()
        if mine is None:
            state = ExamCardState.NOT_STARTED
        elif mine.submitted_at is None and now <= mine.deadline:
            state = ExamCardState.IN_PROGRESS
        else:
            state = ExamCardState.SUBMITTED
        return _card(upcoming, mine, state, now)
    waiting = session.exec(
        select(Exam, ExamSession)
        .join(ExamSession, col(ExamSession.exam_id) == Exam.id)
        .where(
            ExamSession.student_id == student_id,
            Exam.status == ExamStatus.PUBLISHED,
            col(Exam.window_end) <= now,
        )
        .order_by(col(Exam.window_end).desc())
    ).first()
    if waiting is not None:
        return _card(waiting[0], waiting[1], ExamCardState.SUBMITTED, now)
    if upcoming is not None:
        return _card(upcoming, None, ExamCardState.UPCOMING, now)
    if latest is not None:
        exam = session.get(Exam, latest.exam_id)
        mine = session.get(ExamSession, latest.session_id)
        return _card(exam, mine, ExamCardState.RELEASED, now)
    return None


def get_dashboard(*, student_id: int, now: datetime | None = None) -> Dashboard:
    """Everything the student's home screen shows, for the caller only."""
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        name = require_student(session, student_id=student_id).display_name
        latest_row = session.exec(
            select(ExamSession, Exam.title, Exam.window_start)
            .join(Exam, col(Exam.id) == ExamSession.exam_id)
            .where(
                ExamSession.student_id == student_id,
                ExamSession.status == SessionStatus.RELEASED,
                Exam.status == ExamStatus.RELEASED,
            )
            .order_by(col(Exam.window_start).desc())
            .limit(1)
        ).first()
        latest = None
        if latest_row is not None:
            s, title, window_start = latest_row
            latest = LatestScore(
                session_id=s.id,
                exam_id=s.exam_id,
                exam_title=title,
                exam_date=window_start,
                scaled_score=s.scaled_score,
                scaled_score_se=s.scaled_score_se,
                grade=s.grade,
                is_provisional=s.is_provisional,
                points=s.points,
                max_points=s.max_points,
            )
        elo = session.exec(
            select(StudentRating.elo).where(StudentRating.student_id == student_id)
        ).first()
        streak = session.exec(
            select(Streak.current, Streak.longest).where(Streak.student_id == student_id)
        ).first()
        exams_taken = session.exec(
            select(func.count())
            .select_from(ExamSession)
            .where(
                ExamSession.student_id == student_id,
                col(ExamSession.submitted_at).is_not(None),
            )
        ).one()
        # At most one award per achievement: a student holds a few dozen rows at most.
        awards = earned_achievements(session, student_id=student_id)
        card = _exam_card(session, student_id=student_id, latest=latest, now=now)
    return Dashboard(
        now=now,
        student_id=student_id,
        name=name,
        latest=latest,
        elo=elo,
        exams_taken=int(exams_taken),
        current_streak=streak[0] if streak else 0,
        longest_streak=streak[1] if streak else 0,
        recent_achievements=awards[:RECENT_ACHIEVEMENTS],
        new_achievements=[a for a in awards if a.is_new],
        exam=card,
    )
