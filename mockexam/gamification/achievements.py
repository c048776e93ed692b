"""The achievement catalogue and its rules (SPEC §5); pure data and functions.

Kinds and what their threshold is compared with (value ≥ threshold earns):

- milestone: the final scaled score of one exam. A provisional score (fewer
  than 10 participants: a raw percentage, not the scale) earns no milestone;
- streak: the current streak after the exam;
- exams: the number of released exams the student completed, this one included;
- improvement: this exam's scaled score minus the student's previous exam's
  (the last exam they took before it). Both must be calibrated: a provisional
  score is not on the same scale. And both on the item bank's linked scale, or
  neither (issue 23): a score on the common scale against one on a paper's own
  scale mixes progress with the papers' difficulty.

The same list is seeded by the Alembic migration 0002 (a deliberate copy: a
migration must not change meaning with the app code); a test keeps them equal.
Names and descriptions are the English defaults; the UI may translate by code.
Icons are Lucide names as Reflex spells them (`rx.icon("book_open")`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

SCORE_TOLERANCE = 1e-6
"""Scores are stored to 2 decimals; a difference of 9.999999 is the 10 the student sees."""


class AchievementKind(StrEnum):
    MILESTONE = "milestone"
    STREAK = "streak"
    EXAMS = "exams"
    IMPROVEMENT = "improvement"


@dataclass(frozen=True, slots=True)
class AchievementSpec:
    """One achievement as seeded: what earns it and how it looks."""

    code: str
    kind: AchievementKind
    name: str
    description: str
    icon: str
    threshold: float
    sort_order: int


def _spec(
    code: str,
    kind: AchievementKind,
    name: str,
    description: str,
    icon: str,
    threshold: float,
    sort_order: int,
) -> AchievementSpec:
    return AchievementSpec(code, kind, name, description, icon, threshold, sort_order)


_SCALE = "Score {t} or more on the 0–100 scale in an exam."
_STREAK = "Take {t} exams in a row without missing one."
_BEAT = "Beat your previous exam's scaled score by {t} points or more."
_M, _S, _E, _IMP = (
    AchievementKind.MILESTONE,
    AchievementKind.STREAK,
    AchievementKind.EXAMS,
    AchievementKind.IMPROVEMENT,
)

ACHIEVEMENTS: tuple[AchievementSpec, ...] = (
    _spec("score_25", _M, "First steps", _SCALE.format(t=25), "footprints", 25.0, 10),
    _spec("score_50", _M, "Halfway", _SCALE.format(t=50), "target", 50.0, 20),
    _spec("score_60", _M, "Solid ground", _SCALE.format(t=60), "star", 60.0, 30),
    _spec("score_70", _M, "Strong result", _SCALE.format(t=70), "award", 70.0, 40),
    _spec("score_80", _M, "Excellent", _SCALE.format(t=80), "medal", 80.0, 50),
    _spec("score_90", _M, "Outstanding", _SCALE.format(t=90), "trophy", 90.0, 60),
    _spec("score_95", _M, "Top of the scale", _SCALE.format(t=95), "crown", 95.0, 70),
    _spec("streak_3", _S, "On a roll", _STREAK.format(t=3), "flame", 3.0, 80),
    _spec("streak_5", _S, "Committed", _STREAK.format(t=5), "zap", 5.0, 90),
    _spec("streak_10", _S, "Unstoppable", _STREAK.format(t=10), "rocket", 10.0, 100),
    _spec("exams_1", _E, "First exam", "Complete your first mock exam.", "book_open", 1.0, 110),
    _spec("exams_5", _E, "Regular", "Complete 5 mock exams.", "book_open_check", 5.0, 120),
    _spec("exams_10", _E, "Dedicated", "Complete 10 mock exams.", "library", 10.0, 130),
    _spec("exams_25", _E, "Veteran", "Complete 25 mock exams.", "graduation_cap", 25.0, 140),
    _spec("improve_10", _IMP, "Big step up", _BEAT.format(t=10), "trending_up", 10.0, 150),
    _spec("improve_20", _IMP, "Leap forward", _BEAT.format(t=20), "chevrons_up", 20.0, 160),
)


@dataclass(frozen=True, slots=True)
class ExamOutcome:
    """What one released exam means for one student's achievements."""

    scaled_score: float | None
    is_provisional: bool
    previous_scaled_score: float | None  # None: no previous exam
    previous_is_provisional: bool
    exams_completed: int  # released exams taken so far, this one included
    streak: int  # current streak after this exam
    on_common_scale: bool = False  # this exam is on the item bank's linked scale
    previous_on_common_scale: bool = False


def outcome_value(kind: AchievementKind | str, outcome: ExamOutcome) -> float | None:
    """The number `kind`'s threshold is compared with, or None if this exam cannot earn it."""
    if kind == AchievementKind.MILESTONE:
        if outcome.is_provisional or outcome.scaled_score is None:
            return None
        return outcome.scaled_score
    if kind == AchievementKind.STREAK:
        return float(outcome.streak)
    if kind == AchievementKind.EXAMS:
        return float(outcome.exams_completed)
    if kind == AchievementKind.IMPROVEMENT:
        return improvement(
            outcome.scaled_score,
            outcome.is_provisional,
            outcome.previous_scaled_score,
            outcome.previous_is_provisional,
            same_scale=outcome.on_common_scale == outcome.previous_on_common_scale,
        )
    return None


def improvement(
    score: float | None,
    is_provisional: bool,
    previous: float | None,
    previous_is_provisional: bool,
    *,
    same_scale: bool = True,
) -> float | None:
    """Scaled-score gain over the previous exam; None unless both are calibrated scores on
    the same footing (`same_scale`: both on the linked scale, or neither)."""
    if score is None or previous is None or is_provisional or previous_is_provisional:
        return None
    if not same_scale:
        return None
    return score - previous


def meets(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold - SCORE_TOLERANCE


def earned_codes(specs: Iterable[AchievementSpec], outcome: ExamOutcome) -> list[str]:
    """Codes of the achievements this exam's outcome earns (already-held ones included)."""
    return [s.code for s in specs if meets(outcome_value(s.kind, outcome), s.threshold)]


@dataclass(frozen=True, slots=True)
class Standing:
    """A student's best so far, for progress towards locked achievements."""

    best_scaled_score: float | None  # best calibrated scaled score
    best_improvement: float | None  # best calibrated gain between consecutive exams
    exams_completed: int
    current_streak: int


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a student is towards a threshold: `value` of `target`, `fraction` in [0, 1]."""

    value: float
    target: float
    fraction: float


def progress(spec: AchievementSpec, standing: Standing) -> Progress:
    """Progress towards `spec`: best score, best improvement, exams completed, current streak."""
    values = {
        AchievementKind.MILESTONE: standing.best_scaled_score,
        AchievementKind.IMPROVEMENT: standing.best_improvement,
        AchievementKind.EXAMS: float(standing.exams_completed),
        AchievementKind.STREAK: float(standing.current_streak),
    }
    value = max(0.0, values.get(AchievementKind(spec.kind)) or 0.0)
    target = float(spec.threshold)
    fraction = 1.0 if target <= 0 else min(1.0, value / target)
    return Progress(value=value, target=target, fraction=fraction)


def best_improvement(scores: Sequence[tuple[float | None, bool, bool]]) -> float | None:
    """Best gain between consecutive exams; `scores` = (scaled score, provisional, on the
    linked scale) in exam order."""
    gains = [
        g
        for (prev, prev_prov, prev_common), (cur, cur_prov, cur_common) in pairwise(scores)
        if (g := improvement(cur, cur_prov, prev, prev_prov, same_scale=prev_common == cur_common))
        is not None
    ]
    return max(gains) if gains else None
