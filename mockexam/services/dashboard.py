"""The student's dashboard (spec §7): latest score, Elo, streaks, achievements, the exam card.

One call, four small indexed queries (statements built once), all about the caller only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, exists, func
from sqlmodel import Session, col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import (
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamSession,
    ExamStatus,
    GroupMember,
    SessionStatus,
    Streak,
    Student,
    StudentRating,
)
from mockexam.scoring.layout import SCALED
from mockexam.scoring.points import points_number
from mockexam.services.achievements import EarnedAchievement, earned_achievements
from mockexam.services.history import calibrated_only, require_student

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
    """The student's latest released result (provisional: no grade, no SE)."""

    session_id: int
    exam_id: int
    exam_title: str
    exam_date: datetime
    scaled_score: float | None
    scaled_score_se: float | None
    grade: str | None
    is_provisional: bool
    points: float | None  # 143.7 (points_number: 55, not 55.0)
    max_points: float | None
    official_score: str = SCALED  # what the result shows first: "scaled" or "points" (DTM)


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
    exam: tuple[int, str, datetime, datetime, int],
    mine: tuple[int, datetime, datetime | None] | None,
    state: ExamCardState,
    now: datetime,
) -> ExamCard:
    exam_id, title, window_start, window_end, duration = exam
    session_id, deadline, _ = mine or (None, None, None)
    in_progress = state == ExamCardState.IN_PROGRESS
    return ExamCard(
        exam_id=exam_id,
        title=title,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration,
        state=state,
        session_id=session_id,
        deadline=deadline if in_progress else None,
        seconds_until_start=_seconds(now, window_start),
        seconds_until_end=_seconds(now, window_end),
        seconds_until_deadline=_seconds(now, deadline) if in_progress and deadline else None,
    )


# The dashboard's statements, built once (building them per call is ~2 ms of
# Python); parameters: student_id, and now for the exam card.
_STUDENT = bindparam("student_id")
_NOW = bindparam("now")
_EXAMS_TAKEN = (
    select(func.count())
    .select_from(ExamSession)
    .where(ExamSession.student_id == _STUDENT, col(ExamSession.submitted_at).is_not(None))
    .scalar_subquery()
)
_ME = (
    select(
        Student.first_name,
        Student.last_name,
        Student.username,
        Student.telegram_id,
        StudentRating.elo,
        Streak.current,
        Streak.longest,
        _EXAMS_TAKEN,
    )
    .join(StudentRating, col(StudentRating.student_id) == Student.id, isouter=True)
    .join(Streak, col(Streak.student_id) == Student.id, isouter=True)
    .where(Student.id == _STUDENT)
)
_LATEST = (
    select(
        ExamSession.id,
        ExamSession.exam_id,
        Exam.title,
        Exam.window_start,
        ExamSession.scaled_score,
        ExamSession.scaled_score_se,
        ExamSession.grade,
        ExamSession.is_provisional,
        ExamSession.points,
        ExamSession.max_points,
        Exam.window_end,
        Exam.duration_minutes,
        ExamSession.deadline,
        Exam.layout,
    )
    .join(Exam, col(Exam.id) == ExamSession.exam_id)
    .where(
        ExamSession.student_id == _STUDENT,
        ExamSession.status == SessionStatus.RELEASED,
        Exam.status == ExamStatus.RELEASED,
    )
    .order_by(col(Exam.window_start).desc())
    .limit(1)
)
_EXAM = (Exam.id, Exam.title, Exam.window_start, Exam.window_end, Exam.duration_minutes)
_MINE = (ExamSession.id, ExamSession.deadline, ExamSession.submitted_at)
# Published exams not closed yet, and closed ones the student took, with the student's session.
_CANDIDATES = (
    select(*_EXAM, *_MINE)
    .join(
        ExamSession,
        (col(ExamSession.exam_id) == Exam.id) & (col(ExamSession.student_id) == _STUDENT),
        isouter=True,
    )
    .where(
        Exam.status == ExamStatus.PUBLISHED,
        (col(Exam.window_end) > _NOW) | col(ExamSession.id).is_not(None),
        # An exam for chosen groups is on the home screen of their members only (and of
        # whoever started it before the audience changed).
        (col(Exam.audience) != ExamAudienceKind.GROUPS)
        | col(ExamSession.id).is_not(None)
        | exists().where(
            col(ExamAudience.exam_id) == Exam.id,
            col(GroupMember.group_id) == ExamAudience.group_id,
            col(GroupMember.student_id) == _STUDENT,
        ),
    )
    .order_by(Exam.window_start)
)


def _exam_card(
    session: Session,
    *,
    student_id: int,
    latest: tuple[tuple[int, str, datetime, datetime, int], tuple[int, datetime, None]] | None,
    now: datetime,
) -> ExamCard | None:
    """The exam of the moment, in this order: the open exam (not started / in progress /
    submitted), a closed exam of the student's awaiting results, the next scheduled
    exam, the student's latest released exam.

    One query: the published exams not closed yet, and closed ones the student
    took, each with the student's session (a handful of rows).
    """
    candidates = session.exec(_CANDIDATES, params={"student_id": student_id, "now": now}).all()
    open_now = [r for r in candidates if r[2] <= now < r[3]]
    if open_now:
        exam, mine = open_now[0][:5], open_now[0][5:]
        if mine[0] is None:
            return _card(exam, None, ExamCardState.NOT_STARTED, now)
        in_progress = mine[2] is None and now <= mine[1]
        state = ExamCardState.IN_PROGRESS if in_progress else ExamCardState.SUBMITTED
        return _card(exam, mine, state, now)
    waiting = [r for r in candidates if r[3] <= now and r[5] is not None]
    if waiting:
        return _card(waiting[-1][:5], waiting[-1][5:], ExamCardState.SUBMITTED, now)
    upcoming = [r for r in candidates if r[2] > now]
    if upcoming:
        return _card(upcoming[0][:5], None, ExamCardState.UPCOMING, now)
    if latest is not None:
        return _card(latest[0], latest[1], ExamCardState.RELEASED, now)
    return None


def get_dashboard(*, student_id: int, now: datetime | None = None) -> Dashboard:
    """Everything the student's home screen shows, for the caller only."""
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        me = session.exec(_ME, params={"student_id": student_id}).first()
        if me is None:
            require_student(session, student_id=student_id)  # raises NotFoundError
        first, last, username, telegram_id, elo, current, longest, taken = me
        latest_row = session.exec(_LATEST, params={"student_id": student_id}).first()
        latest = latest_exam = None
        if latest_row is not None:
            (
                session_id,
                exam_id,
                title,
                start,
                scaled,
                scaled_se,
                grade,
                provisional,
                points,
                max_points,
                end,
                duration,
                deadline,
                layout,
            ) = latest_row
            latest = LatestScore(
                session_id=session_id,
                exam_id=exam_id,
                exam_title=title,
                exam_date=start,
                scaled_score=scaled,
                # Provisional (too few takers to calibrate): no SE, no grade to show.
                scaled_score_se=calibrated_only(scaled_se, is_provisional=bool(provisional)),
                grade=calibrated_only(grade, is_provisional=bool(provisional)),
                is_provisional=bool(provisional),
                points=points_number(points),
                max_points=points_number(max_points),
                official_score=(layout or {}).get("official_score") or SCALED,
            )
            latest_exam = ((exam_id, title, start, end, duration), (session_id, deadline, None))
        # At most one award per achievement: a student holds a few dozen rows at most.
        awards = earned_achievements(session, student_id=student_id)
        card = _exam_card(session, student_id=student_id, latest=latest_exam, now=now)
    name = Student(
        first_name=first, last_name=last, username=username, telegram_id=telegram_id
    ).display_name
    return Dashboard(
        now=now,
        student_id=student_id,
        name=name,
        latest=latest,
        elo=elo,
        exams_taken=int(taken),
        current_streak=current or 0,
        longest_streak=longest or 0,
        recent_achievements=awards[:RECENT_ACHIEVEMENTS],
        new_achievements=[a for a in awards if a.is_new],
        exam=card,
    )
