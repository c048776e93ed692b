"""Achievements a student sees: earned (with date and exam), locked (with progress), new ones.

The catalogue lives in the `achievement` table (seeded by migration 0002; a
database made with `metadata.create_all` gets it from `ensure_achievements`).
Awards are written only by the release pipeline (services/gamification.py).
An award is *new* until the Mini App marks it seen, so its toast shows once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from mockexam.db import insert_for, session_scope, utcnow
from mockexam.gamification.achievements import (
    ACHIEVEMENTS,
    AchievementKind,
    AchievementSpec,
    Standing,
    best_improvement,
    progress,
)
from mockexam.models import (
    COMMON_SCALE,
    Achievement,
    AchievementAward,
    Exam,
    ExamSession,
    SessionStatus,
    Streak,
)
from mockexam.services.history import require_student


@dataclass(frozen=True, slots=True)
class EarnedAchievement:
    """An achievement the student holds: when, and which exam earned it."""

    award_id: int
    code: str
    kind: str
    name: str
    description: str
    icon: str
    threshold: float
    awarded_at: datetime
    session_id: int | None
    exam_id: int | None
    exam_title: str | None
    is_new: bool  # not yet marked seen: the Mini App toasts it once


@dataclass(frozen=True, slots=True)
class LockedAchievement:
    """An achievement not earned yet, with progress: `value` of `threshold` (`fraction` 0..1)."""

    code: str
    kind: str
    name: str
    description: str
    icon: str
    threshold: float
    value: float
    fraction: float


@dataclass(frozen=True, slots=True)
class AchievementsOverview:
    earned: list[EarnedAchievement]  # newest first
    locked: list[LockedAchievement]  # catalogue order
    total: int  # size of the catalogue


def ensure_achievements(session: Session) -> int:
    """Insert the catalogue rows a database lacks (a `create_all` one); returns how many.

    Existing rows are left as they are: the table, not the code, is the truth.
    """
    existing = set(session.exec(select(Achievement.code)))
    missing = [spec for spec in ACHIEVEMENTS if spec.code not in existing]
    if missing:
        statement = insert_for(session, Achievement).on_conflict_do_nothing(index_elements=["code"])
        session.execute(
            statement,
            [
                {
                    "code": s.code,
                    "kind": str(s.kind),
                    "name": s.name,
                    "description": s.description,
                    "icon": s.icon,
                    "threshold": s.threshold,
                    "sort_order": s.sort_order,
                }
                for s in missing
            ],
        )
    return len(missing)


def catalogue(session: Session) -> list[Achievement]:
    """Every achievement row in display order (seeding any that are missing)."""
    rows = list(session.exec(select(Achievement).order_by(Achievement.sort_order, Achievement.id)))
    if len(rows) < len(ACHIEVEMENTS) and ensure_achievements(session):
        rows = list(
            session.exec(select(Achievement).order_by(Achievement.sort_order, Achievement.id))
        )
    return rows


def spec_of(row: Achievement) -> AchievementSpec:
    return AchievementSpec(
        code=row.code,
        kind=AchievementKind(row.kind),
        name=row.name,
        description=row.description,
        icon=row.icon,
        threshold=row.threshold,
        sort_order=row.sort_order,
    )


def earned_achievements(
    session: Session,
    *,
    student_id: int,
    limit: int | None = None,
    only_new: bool = False,
    session_id: int | None = None,
) -> list[EarnedAchievement]:
    """The student's awards, newest first (optionally: only unseen, or only one session's)."""
    statement = (
        select(
            AchievementAward.id,
            Achievement.code,
            Achievement.kind,
            Achievement.name,
            Achievement.description,
            Achievement.icon,
            Achievement.threshold,
            AchievementAward.awarded_at,
            AchievementAward.session_id,
            Exam.id,
            Exam.title,
            col(AchievementAward.seen_at).is_(None),
        )
        .join(Achievement, col(Achievement.id) == AchievementAward.achievement_id)
        .join(ExamSession, col(ExamSession.id) == AchievementAward.session_id, isouter=True)
        .join(Exam, col(Exam.id) == ExamSession.exam_id, isouter=True)
        .where(AchievementAward.student_id == student_id)
        .order_by(
            col(AchievementAward.awarded_at).desc(),
            col(Achievement.sort_order).desc(),
        )
    )
    if only_new:
        statement = statement.where(col(AchievementAward.seen_at).is_(None))
    if session_id is not None:
        statement = statement.where(AchievementAward.session_id == session_id)
    if limit is not None:
        statement = statement.limit(limit)
    return [EarnedAchievement(*row[:-1], is_new=bool(row[-1])) for row in session.exec(statement)]


def standing(session: Session, *, student_id: int) -> Standing:
    """Best calibrated score, best improvement, exams completed and current streak."""
    scores = [
        (score, bool(provisional), link_status in COMMON_SCALE)
        for score, provisional, link_status in session.exec(
            select(ExamSession.scaled_score, ExamSession.is_provisional, Exam.link_status)
            .join(Exam, col(Exam.id) == ExamSession.exam_id)
            .where(
                ExamSession.student_id == student_id,
                ExamSession.status == SessionStatus.RELEASED,
            )
            .order_by(Exam.window_start)
        )
    ]
    calibrated = [s for s, provisional, _ in scores if s is not None and not provisional]
    current = session.exec(select(Streak.current).where(Streak.student_id == student_id)).first()
    return Standing(
        best_scaled_score=max(calibrated) if calibrated else None,
        best_improvement=best_improvement(scores),
        exams_completed=len(scores),
        current_streak=current or 0,
    )


def get_achievements(*, student_id: int) -> AchievementsOverview:
    """All achievements for one student: earned ones (newest first) and locked ones with progress."""
    with session_scope(readonly=True) as session:
        require_student(session, student_id=student_id)
        specs = [spec_of(row) for row in catalogue(session)]
        earned = earned_achievements(session, student_id=student_id)
        student_standing = standing(session, student_id=student_id)
    held = {e.code for e in earned}
    locked = []
    for spec in specs:
        if spec.code in held:
            continue
        p = progress(spec, student_standing)
        locked.append(
            LockedAchievement(
                code=spec.code,
                kind=str(spec.kind),
                name=spec.name,
                description=spec.description,
                icon=spec.icon,
                threshold=spec.threshold,
                value=p.value,
                fraction=p.fraction,
            )
        )
    return AchievementsOverview(earned=earned, locked=locked, total=len(specs))


def new_achievements(*, student_id: int) -> list[EarnedAchievement]:
    """Awards the student has not seen yet (for the toast), newest first."""
    with session_scope(readonly=True) as session:
        return earned_achievements(session, student_id=student_id, only_new=True)


def mark_achievements_seen(
    *, student_id: int, award_ids: Collection[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the student's unseen awards (all, or those in `award_ids`) seen; returns how many.

    Only the student's own awards change, whatever ids are passed.
    """
    now = now or utcnow()
    conditions = [
        AchievementAward.student_id == student_id,
        col(AchievementAward.seen_at).is_(None),
    ]
    if award_ids is not None:
        ids = sorted({int(i) for i in award_ids})
        if not ids:
            return 0
        conditions.append(col(AchievementAward.id).in_(ids))
    with session_scope() as session:
        result = session.execute(update(AchievementAward).where(*conditions).values(seen_at=now))
        return int(result.rowcount or 0)
