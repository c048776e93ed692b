"""Streaks and achievements at release time (spec §5), inside the release transaction.

`apply_release` runs at the end of the window-close pipeline, after
calibration, so milestones see the final scaled scores. It is idempotent:
running it again for the same exam changes nothing.

- Streaks: every participant's streak is extended (once per exam, guarded by
  `Streak.last_exam_id`), and every other student's active streak is reset,
  since that student missed a published exam. If the exam is released out of
  window order (a later exam is already out, e.g. after a worker outage),
  every streak is rebuilt from the whole history instead.
- Achievements: each participant's outcome (final scaled score, previous
  exam's score, exams completed, streak) is checked against the catalogue;
  new awards are inserted with this exam's session, `ON CONFLICT DO NOTHING`.
- Recalibration (`recalibrate=True`, after an item was excluded): scores
  changed, so the achievements are checked again with the new scores;
  awards the new scores earn are added, and **no award is ever taken back**
  (the student was told; a toast cannot be unsent). Streaks do not change,
  participation being the same.
- The leaderboard's kept values are refreshed: 30-day gains and every
  board's ranks and size (services/leaderboard.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import and_, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from mockexam.db import insert_for
from mockexam.gamification.achievements import (
    AchievementKind,
    ExamOutcome,
    earned_codes,
)
from mockexam.gamification.leaderboard import Board
from mockexam.gamification.streaks import StreakState, advance, streaks_from_matrix
from mockexam.models import (
    COMMON_SCALE,
    Achievement,
    AchievementAward,
    Exam,
    ExamSession,
    ExamStatus,
    SessionStatus,
    Streak,
)
from mockexam.services.achievements import catalogue, spec_of
from mockexam.services.leaderboard import refresh_ranks, refresh_recent_gains

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GamificationSummary:
    """What one `apply_release` did."""

    exam_id: int
    participants: int
    streaks_extended: int
    streaks_reset: int
    streaks_rebuilt: bool  # released out of window order: every streak recomputed
    awards: int  # new awards written


def apply_release(
    db: Session,
    exam: Exam,
    sessions: Sequence[ExamSession],
    *,
    now: datetime,
    recalibrate: bool = False,
) -> GamificationSummary:
    """Update streaks, award achievements and refresh the 30-day gains for a released exam.

    `sessions` are the exam's submitted sessions with their final scores.
    """
    db.flush()
    achievements = catalogue(db)
    if _released_later_exists(db, exam):
        streak_now, extended, reset = _rebuild_streaks(db, exam, achievements, now=now)
        rebuilt = True
    else:
        streak_now, extended, reset = _advance_streaks(db, exam, sessions, now=now)
        rebuilt = False
    awards = _award(db, exam, sessions, achievements, streaks=streak_now, now=now)
    refresh_recent_gains(db, now=now)  # and the most-improved ranks
    refresh_ranks(db, boards=(Board.TOP_RATED, Board.MOST_ACTIVE))
    summary = GamificationSummary(
        exam_id=exam.id,
        participants=len(sessions),
        streaks_extended=extended,
        streaks_reset=reset,
        streaks_rebuilt=rebuilt,
        awards=awards,
    )
    logger.info(
        "Gamification for exam %s%s: %s streak(s) extended, %s reset%s, %s new award(s)",
        exam.id,
        " (recalibrated)" if recalibrate else "",
        extended,
        reset,
        ", all streaks rebuilt" if rebuilt else "",
        awards,
    )
    return summary


def _released_later_exists(db: Session, exam: Exam) -> bool:
    return (
        db.exec(
            select(Exam.id)
            .where(
                Exam.id != exam.id,
                Exam.status == ExamStatus.RELEASED,
                col(Exam.window_start) > exam.window_start,
            )
            .limit(1)
        ).first()
        is not None
    )


def _took(exam_id: int) -> object:
    """SQL: the streak's student submitted `exam_id`."""
    return exists().where(
        ExamSession.student_id == Streak.student_id,
        ExamSession.exam_id == exam_id,
        col(ExamSession.submitted_at).is_not(None),
    )


def _upsert_streaks(db: Session, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    statement = insert_for(db, Streak)
    statement = statement.on_conflict_do_update(
        index_elements=["student_id"],
        set_={
            "current": statement.excluded.current,
            "longest": statement.excluded.longest,
            "last_exam_id": statement.excluded.last_exam_id,
            "updated_at": statement.excluded.updated_at,
        },
    )
    db.execute(statement, rows)


def _advance_streaks(
    db: Session, exam: Exam, sessions: Sequence[ExamSession], *, now: datetime
) -> tuple[dict[int, int], int, int]:
    """Incremental update for an exam released in order. Returns (current by participant, …)."""
    existing = {
        student_id: StreakState(current=current, longest=longest, last_exam_id=last)
        for student_id, current, longest, last in db.execute(
            select(Streak.student_id, Streak.current, Streak.longest, Streak.last_exam_id)
            .join(ExamSession, col(ExamSession.student_id) == Streak.student_id)
            .where(ExamSession.exam_id == exam.id, col(ExamSession.submitted_at).is_not(None))
        )
    }
    current: dict[int, int] = {}
    changed: list[dict[str, object]] = []
    for exam_session in sessions:
        before = existing.get(exam_session.student_id, StreakState())
        after = advance(before, exam_id=exam.id, took_exam=True)
        current[exam_session.student_id] = after.current
        if after != before:
            changed.append(
                {
                    "student_id": exam_session.student_id,
                    "current": after.current,
                    "longest": after.longest,
                    "last_exam_id": after.last_exam_id,
                    "updated_at": now,
                }
            )
    _upsert_streaks(db, changed)
    reset = db.execute(
        update(Streak)
        .where(col(Streak.current) > 0, ~_took(exam.id))
        .values(current=0, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return current, len(changed), int(reset.rowcount or 0)


def _rebuild_streaks(
    db: Session, exam: Exam, achievements: Sequence[Achievement], *, now: datetime
) -> tuple[dict[int, int], int, int]:
    """Recompute every streak from all released exams (an exam came out of order).

    Also awards streak achievements reached anywhere in the history, with the
    session at which the streak first reached the threshold.
    """
    logger.warning(
        "Exam %s was released after a later exam: rebuilding every streak from the history",
        exam.id,
    )
    exam_ids = list(
        db.exec(
            select(Exam.id).where(Exam.status == ExamStatus.RELEASED).order_by(Exam.window_start)
        )
    )
    column_of = {exam_id: c for c, exam_id in enumerate(exam_ids)}
    rows = db.execute(
        select(ExamSession.student_id, ExamSession.exam_id, ExamSession.id)
        .join(Exam, col(Exam.id) == ExamSession.exam_id)
        .where(Exam.status == ExamStatus.RELEASED, col(ExamSession.submitted_at).is_not(None))
    ).all()
    streak_students = set(db.exec(select(Streak.student_id)))
    students = sorted({r[0] for r in rows} | streak_students)
    row_of = {student_id: r for r, student_id in enumerate(students)}
    taken = np.zeros((len(students), len(exam_ids)), dtype=bool)
    session_at: dict[tuple[int, int], int] = {}
    for student_id, exam_id, session_id in rows:
        taken[row_of[student_id], column_of[exam_id]] = True
        session_at[(row_of[student_id], column_of[exam_id])] = session_id
    streak_specs = [a for a in achievements if a.kind == AchievementKind.STREAK]
    thresholds = sorted({int(np.ceil(a.threshold)) for a in streak_specs})
    result = streaks_from_matrix(taken, thresholds=thresholds)
    at_exam = streaks_from_matrix(taken[:, : column_of[exam.id] + 1]).current

    _upsert_streaks(
        db,
        [
            {
                "student_id": student_id,
                "current": int(result.current[r]),
                "longest": int(result.longest[r]),
                "last_exam_id": exam_ids[result.last_column[r]]
                if result.last_column[r] >= 0
                else None,
                "updated_at": now,
            }
            for r, student_id in enumerate(students)
        ],
    )
    awards = [
        {
            "student_id": student_id,
            "achievement_id": spec.id,
            "session_id": session_at[(r, int(column))],
            "awarded_at": now,
        }
        for spec in streak_specs
        for r, student_id in enumerate(students)
        if (column := result.first_reached[int(np.ceil(spec.threshold))][r]) >= 0
    ]
    _insert_awards(db, awards)
    current = {
        student_id: int(at_exam[row_of[student_id]])
        for student_id, exam_id, _ in rows
        if exam_id == exam.id
    }
    return current, len(current), 0


def _insert_awards(db: Session, rows: list[dict[str, object]]) -> None:
    if rows:
        statement = insert_for(db, AchievementAward).on_conflict_do_nothing(
            index_elements=["student_id", "achievement_id"]
        )
        db.execute(statement, rows)


def _award(
    db: Session,
    exam: Exam,
    sessions: Sequence[ExamSession],
    achievements: Sequence[Achievement],
    *,
    streaks: Mapping[int, int],
    now: datetime,
) -> int:
    """Award what each participant's outcome earns; returns how many awards are new."""
    if not sessions or not achievements:
        return 0
    specs = [spec_of(a) for a in achievements]
    id_of = {a.code: a.id for a in achievements}
    participant = aliased(ExamSession)
    mine = and_(
        participant.student_id == ExamSession.student_id,
        participant.exam_id == exam.id,
        col(participant.submitted_at).is_not(None),
    )
    # Per participant: released exams up to this one, newest first; row 2 is the previous exam.
    ordered = (
        select(
            ExamSession.student_id,
            ExamSession.scaled_score,
            ExamSession.is_provisional,
            Exam.link_status,
            func.row_number()
            .over(partition_by=ExamSession.student_id, order_by=col(Exam.window_start).desc())
            .label("position"),
            func.count().over(partition_by=ExamSession.student_id).label("completed"),
        )
        .join(Exam, col(Exam.id) == ExamSession.exam_id)
        .join(participant, mine)
        .where(
            ExamSession.status == SessionStatus.RELEASED,
            col(Exam.window_start) <= exam.window_start,
        )
        .subquery()
    )
    previous = {
        student_id: (score, bool(provisional), link_status in COMMON_SCALE, int(completed))
        for student_id, score, provisional, link_status, completed in db.execute(
            select(
                ordered.c.student_id,
                ordered.c.scaled_score,
                ordered.c.is_provisional,
                ordered.c.link_status,
                ordered.c.completed,
            ).where(ordered.c.position == 2)
        )
    }
    held = set(
        db.execute(
            select(AchievementAward.student_id, AchievementAward.achievement_id).join(
                participant,
                and_(
                    participant.student_id == AchievementAward.student_id,
                    participant.exam_id == exam.id,
                ),
            )
        ).all()
    )
    new: list[dict[str, object]] = []
    for exam_session in sessions:
        student_id = exam_session.student_id
        prev_score, prev_provisional, prev_common, completed = previous.get(
            student_id, (None, False, False, 1)
        )
        outcome = ExamOutcome(
            scaled_score=exam_session.scaled_score,
            is_provisional=bool(exam_session.is_provisional),
            previous_scaled_score=prev_score,
            previous_is_provisional=prev_provisional,
            exams_completed=completed,
            streak=streaks.get(student_id, 0),
            on_common_scale=exam.link_status in COMMON_SCALE,
            previous_on_common_scale=prev_common,
        )
        for code in earned_codes(specs, outcome):
            achievement_id = id_of[code]
            if (student_id, achievement_id) not in held:
                held.add((student_id, achievement_id))
                new.append(
                    {
                        "student_id": student_id,
                        "achievement_id": achievement_id,
                        "session_id": exam_session.id,
                        "awarded_at": now,
                    }
                )
    _insert_awards(db, new)
    return len(new)
