"""Elo rating update for one exam's participants (the gamification rating, not Rasch).

Each exam plays one game against all its participants:
    s_i = points_i / max points                       (actual score, 0–1)
    p̄ = mean of s_i clamped to [0.01, 0.99]           (clamped for the mean only)
    R̄ = mean pre-exam rating of the participants
    R_exam = R̄ + 400·log10((1 − p̄)/p̄)               (the exam's own rating)
    E_i = 1 / (1 + 10^((R_exam − R_i)/400))           (expected score)
    R_i' = max(100, R_i + K_i·(s_i − E_i))
with K_i = 40 for a student's first 5 rated exams and 20 after; new students
start at 1200. Points are the weighted points of the sheet (floats in 0.01
steps), so s is the proportion of points, not of items right: a DTM block's
143.7 of 189 gives s ≈ 0.76.

On the linked scale (issue 23) an exam's rating comes from its paper, not its takers.
The cohort's R_exam above is zero-sum: whatever the paper, the takers' mean expected
score is their mean actual score, so a cohort that grew shows no growth. An exam on the
item bank's linked scale is instead rated where its paper is: θ₅₀, the ability whose
expected share of the points is one half (the weighted Rasch test characteristic curve
at 0.5, from the items' linked β), turned into Elo by the scale's anchor:
    R_exam = anchor + ELO_PER_LOGIT·θ₅₀,   ELO_PER_LOGIT = 400/ln 10 ≈ 173.7
(Elo's 400 points are a factor 10 in odds, ln 10 logits). The scale's origin exam is
rated as usual (by its takers) and sets anchor = R_exam − ELO_PER_LOGIT·θ₅₀; every exam
linked to it reuses that anchor. A harder paper then plays at a higher rating, so the
same ability scores less and loses no Elo for it, and a cohort that grew gains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError

FloatArray = npt.NDArray[np.float64]

START_RATING: Final = 1200.0
RATING_FLOOR: Final = 100.0
K_NEW: Final = 40.0
K_SETTLED: Final = 20.0
NEW_PLAYER_EXAMS: Final = 5
"""A student with fewer rated exams than this (before this one) gets K_NEW."""
SCORE_CLAMP: Final = (0.01, 0.99)
ELO_PER_LOGIT: Final = 400.0 / np.log(10.0)
"""Elo points per logit: a 400-point gap is odds of 10 to 1, ln 10 logits."""
_HALF_TOL: Final = 1e-9


@dataclass(frozen=True, slots=True)
class EloUpdate:
    """The outcome for every participant, in input order, and the exam's rating."""

    new_ratings: FloatArray
    k: FloatArray
    expected: FloatArray  # E_i
    actual: FloatArray  # s_i, not clamped
    exam_rating: float  # R_exam
    mean_score: float  # p̄ (of the clamped scores)
    mean_rating: float  # R̄


def update_ratings(
    ratings: npt.ArrayLike,
    exams_rated: npt.ArrayLike,
    points: npt.ArrayLike,
    max_points: npt.ArrayLike,
    *,
    exam_rating: float | None = None,
) -> EloUpdate:
    """New ratings after one exam; `exams_rated` counts each student's rated exams before
    this one (0 for a newcomer, whose rating should be START_RATING). `exam_rating`, when
    given, is the exam's own rating (an exam on the linked scale, `linked_exam_rating`);
    otherwise the exam is rated from its takers as above."""
    before = np.asarray(ratings, dtype=np.float64)
    if before.ndim != 1 or before.size == 0:
        raise ValidationError("Elo needs a flat list of at least one participant's rating.")
    n = before.size
    rated = _per_participant(exams_rated, n, "exams_rated")
    pts = _per_participant(points, n, "points")
    top = _per_participant(max_points, n, "max_points")
    if not np.isfinite(before).all():
        raise ValidationError("Every participant needs a finite rating.")
    if not (top > 0).all():
        raise ValidationError("Maximum points must be positive.")
    if not ((pts >= 0) & (pts <= top)).all():
        raise ValidationError("Points must lie between 0 and the maximum points.")
    if not (rated >= 0).all():
        raise ValidationError("The number of rated exams cannot be negative.")
    if exam_rating is not None and not np.isfinite(exam_rating):
        raise ValidationError("The exam's rating must be a finite number.")

    actual = pts / top
    mean_score = float(np.mean(np.clip(actual, *SCORE_CLAMP)))
    mean_rating = float(np.mean(before))
    if exam_rating is None:
        exam_rating = mean_rating + 400.0 * np.log10((1.0 - mean_score) / mean_score)
    expected = 1.0 / (1.0 + 10.0 ** ((exam_rating - before) / 400.0))
    k = np.where(rated < NEW_PLAYER_EXAMS, K_NEW, K_SETTLED)
    new = np.maximum(RATING_FLOOR, before + k * (actual - expected))
    return EloUpdate(
        new_ratings=new,
        k=k,
        expected=expected,
        actual=actual,
        exam_rating=float(exam_rating),
        mean_score=mean_score,
        mean_rating=mean_rating,
    )


def half_score_theta(beta: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> float:
    """θ₅₀: the ability whose expected share of the points is one half.

    Solves Σ wⱼ·σ(θ − βⱼ) = ½·Σ wⱼ (the weighted Rasch test characteristic curve); the
    curve rises strictly, so bisection between the extreme β ± 1 finds it (to 1e-9).
    Equal weights and a symmetric set of β give their centre; one item gives its β.
    """
    b = np.asarray(beta, dtype=np.float64)
    if b.ndim != 1 or b.size == 0 or not np.isfinite(b).all():
        raise ValidationError("θ₅₀ needs at least one item's finite difficulty.")
    w = np.ones_like(b) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != b.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValidationError("Item weights must be non-negative, finite, one per item.")
    half = 0.5 * w.sum()
    low, high = float(b.min()) - 1.0, float(b.max()) + 1.0
    while high - low > _HALF_TOL:
        mid = 0.5 * (low + high)
        expected = float(np.sum(w / (1.0 + np.exp(b - mid))))
        if expected < half:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def scale_anchor(exam_rating: float, theta_half: float) -> float:
    """The Elo of θ = 0 on the linked scale, from the origin exam's rating and θ₅₀."""
    return float(exam_rating - ELO_PER_LOGIT * theta_half)


def linked_exam_rating(anchor: float, theta_half: float) -> float:
    """The rating of an exam on the linked scale whose paper's θ₅₀ is `theta_half`."""
    return float(anchor + ELO_PER_LOGIT * theta_half)


def _per_participant(values: npt.ArrayLike, n: int, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,) or not np.isfinite(arr).all():
        raise ValidationError(f"{name} must be {n} finite numbers, one per participant.")
    return arr
