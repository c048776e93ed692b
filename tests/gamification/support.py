"""Test helpers: past exams, sessions, and a stand-in for the end of the release pipeline.

`release` does what `services.release._score_exam` does to the rows that
gamification reads (final scaled scores, statuses, Elo history and ratings,
the exam's released_at) and then calls the same hook, `apply_release`, so
these tests do not depend on the scoring engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from mockexam.db import utcnow
from mockexam.gamification.streaks import StreakState
from mockexam.models import (
    EloHistory,
    Exam,
    ExamSession,
    ExamStatus,
    SessionStatus,
    Streak,
    StudentRating,
)
from mockexam.services.gamification import GamificationSummary, apply_release
from tests.factories import make_exam, make_student

BASE = (utcnow() - timedelta(days=7 * 200)).replace(hour=6, minute=0, second=0, microsecond=0)


def week_start(week: int) -> datetime:
    return BASE + timedelta(days=7 * week)


def add_exam(session: Session, week: int, *, title: str | None = None, items: bool = False) -> Exam:
    """A published exam whose 3-hour window was in week `week` (closed long ago)."""
    if items:
        return make_exam(session, title=title or f"Week {week}", start=week_start(week), hours=3)
    exam = Exam(
        title=title or f"Week {week}",
        window_start=week_start(week),
        window_end=week_start(week) + timedelta(hours=3),
        status=ExamStatus.PUBLISHED,
        published_at=week_start(week) - timedelta(days=1),
    )
    session.add(exam)
    session.flush()
    return exam


def add_students(session: Session, n: int, **fields: object) -> list[int]:
    return [make_student(session, **fields).id for _ in range(n)]


def take(
    session: Session,
    exam: Exam,
    student_id: int,
    *,
    auto: bool = False,
    points: int = 30,
    submitted: bool = True,
) -> ExamSession:
    """The student's session of `exam`, submitted (or auto-submitted) unless told otherwise."""
    deadline = exam.window_start + timedelta(minutes=150, seconds=30)
    row = ExamSession(
        student_id=student_id,
        exam_id=exam.id,
        status=SessionStatus.SUBMITTED if submitted else SessionStatus.IN_PROGRESS,
        started_at=exam.window_start,
        deadline=deadline,
        submitted_at=(deadline if auto else exam.window_start + timedelta(hours=1))
        if submitted
        else None,
        is_auto_submitted=auto,
        points=points if submitted else None,
        max_points=55 if submitted else None,
        exercises=points - 4 if submitted else None,
        max_exercises=45 if submitted else None,
    )
    session.add(row)
    session.flush()
    return row


def release(
    session: Session,
    exam: Exam,
    scores: Mapping[int, float] | None = None,
    *,
    provisional: bool = False,
    now: datetime | None = None,
    recalibrate: bool = False,
    elo_gain: Mapping[int, float] | None = None,
) -> GamificationSummary:
    """Release `exam`: scores by student id (default 50), Elo +gain (default (score − 50) / 2)."""
    now = now or exam.window_end + timedelta(minutes=5)
    sessions = list(
        session.exec(
            select(ExamSession)
            .where(ExamSession.exam_id == exam.id, col(ExamSession.submitted_at).is_not(None))
            .order_by(ExamSession.id)
        )
    )
    scores = scores or {}
    for s in sessions:
        s.scaled_score = float(scores.get(s.student_id, 50.0))
        s.scaled_score_se = None if provisional else 3.0
        s.is_provisional = provisional
        s.grade = "B"
        s.status = SessionStatus.RELEASED
        s.released_at = s.released_at or now
        session.add(s)
    exam.status = ExamStatus.RELEASED
    exam.is_provisional = provisional
    exam.n_participants = len(sessions)
    exam.released_at = exam.released_at or now
    session.add(exam)
    session.flush()
    if not recalibrate:
        ratings = {
            r.student_id: r
            for r in session.exec(
                select(StudentRating).where(
                    col(StudentRating.student_id).in_([s.student_id for s in sessions])
                )
            )
        }
        for s in sessions:
            rating = ratings.get(s.student_id) or StudentRating(student_id=s.student_id)
            gain = (elo_gain or {}).get(s.student_id, (s.scaled_score - 50.0) / 2)
            session.add(
                EloHistory(
                    session_id=s.id,
                    student_id=s.student_id,
                    exam_id=exam.id,
                    elo_before=rating.elo,
                    elo_after=rating.elo + gain,
                    k_factor=40,
                    expected=0.5,
                    actual=0.5,
                    created_at=now,
                )
            )
            rating.elo += gain
            rating.exams_rated += 1
            session.add(rating)
        session.flush()
    return apply_release(session, exam, sessions, now=now, recalibrate=recalibrate)


def streak_of(session: Session, student_id: int) -> StreakState:
    row = session.get(Streak, student_id)
    if row is None:
        return StreakState()
    session.refresh(row)
    return StreakState(current=row.current, longest=row.longest, last_exam_id=row.last_exam_id)
