"""Scaled scores (0–100) and letter grades, numpy only.

Scaled score = 50 + 12.5·θ, i.e. θ mapped linearly from [−4, 4] to [0, 100] and
clamped, so θ = 0 scores 50; its SE is 12.5·SE(θ). With too few participants to
calibrate, the scaled score is the raw percentage, marked provisional.

Letter grades compare the scores as shown (rounded to SCORE_DECIMALS), so a
student never sees 70.00 and a grade for "below 70". `letter_grades` picks the
score each scheme reads: the percentile scheme ranks the layout's official score
(the points of a DTM block, the scaled score of the certificate); the fixed bands
are the national certificate's bands and always read the scaled score.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError

FloatArray = npt.NDArray[np.float64]

THETA_RANGE: Final = (-4.0, 4.0)
SCALE_RANGE: Final = (0.0, 100.0)
POINTS_PER_LOGIT: Final = (SCALE_RANGE[1] - SCALE_RANGE[0]) / (THETA_RANGE[1] - THETA_RANGE[0])
SCORE_DECIMALS: Final = 2

PERCENTILE: Final = "percentile"
FIXED_BANDS: Final = "fixed_bands"
SCHEMES: Final = (PERCENTILE, FIXED_BANDS)

PERCENTILE_GRADES: Final = (
    ("A+", 10),
    ("A", 20),
    ("B+", 35),
    ("B", 50),
    ("C+", 65),
    ("C", 80),
)
"""(grade, top per cent): a grade goes to whoever has fewer than that per cent of the
participants strictly above them; everyone else gets LOWEST_GRADE."""

FIXED_GRADES: Final = (
    ("A+", 70.0),
    ("A", 65.0),
    ("B+", 60.0),
    ("B", 55.0),
    ("C+", 50.0),
    ("C", 46.0),
)
"""(grade, lowest scaled score) of the national-certificate bands."""

LOWEST_GRADE: Final = "D"


def scaled_score(theta: npt.ArrayLike) -> FloatArray:
    """50 + 12.5·θ clamped to [0, 100] (θ = −4 → 0, θ = 4 → 100); NaN stays NaN."""
    theta_arr = np.asarray(theta, dtype=np.float64)
    scaled = SCALE_RANGE[0] + (theta_arr - THETA_RANGE[0]) * POINTS_PER_LOGIT
    return np.clip(scaled, *SCALE_RANGE)


def scaled_se(theta_se: npt.ArrayLike) -> FloatArray:
    """The SE on the 0–100 scale: 12.5·SE(θ) (not clamped: it says how unsure θ is)."""
    return np.asarray(theta_se, dtype=np.float64) * POINTS_PER_LOGIT


def provisional_score(points: npt.ArrayLike, max_points: npt.ArrayLike) -> FloatArray:
    """The provisional scaled score: the raw percentage 100·points/max points."""
    pts = np.asarray(points, dtype=np.float64)
    top = np.broadcast_to(np.asarray(max_points, dtype=np.float64), pts.shape)
    if not (top > 0).all():
        raise ValidationError("Maximum points must be positive to turn points into a percentage.")
    if not ((pts >= 0) & (pts <= top)).all():
        raise ValidationError("Points must lie between 0 and the maximum points.")
    return 100.0 * pts / top


def grade_exam(scores: npt.ArrayLike, *, scheme: str) -> list[str]:
    """Letter grades for one exam's participants, in the order of `scores`.

    "percentile": with h the share of participants whose score is strictly higher,
    A+ if h < 10 %, A if h < 20 %, B+ < 35 %, B < 50 %, C+ < 65 %, C < 80 %, else D.
    Equal scores therefore get the same grade, and a tie at a boundary lifts the
    whole tie. "fixed_bands": A+ ≥ 70, A ≥ 65, B+ ≥ 60, B ≥ 55, C+ ≥ 50, C ≥ 46,
    else D, on the scaled score.
    """
    shown = np.round(np.asarray(scores, dtype=np.float64), SCORE_DECIMALS)
    if shown.ndim != 1:
        raise ValidationError("Scores must be a flat list, one per participant.")
    if not np.isfinite(shown).all():
        raise ValidationError("Every participant needs a finite score to be graded.")
    if scheme == PERCENTILE:
        return _percentile_grades(shown)
    if scheme == FIXED_BANDS:
        return [_band(score) for score in shown.tolist()]
    raise ValidationError(f"Unknown grading scheme {scheme!r}: use {' or '.join(SCHEMES)}.")


def _percentile_grades(scores: FloatArray) -> list[str]:
    n = scores.size
    ordered = np.sort(scores)
    higher = n - np.searchsorted(ordered, scores, side="right")  # strictly higher scores
    grades = []
    for above in higher.tolist():
        # above/n < pct/100, in integers so that no boundary is lost to rounding
        grade = next((g for g, pct in PERCENTILE_GRADES if 100 * above < pct * n), LOWEST_GRADE)
        grades.append(grade)
    return grades


def _band(score: float) -> str:
    return next((grade for grade, low in FIXED_GRADES if score >= low), LOWEST_GRADE)


def letter_grades(*, scheme: str, official: npt.ArrayLike, scaled: npt.ArrayLike) -> list[str]:
    """Letter grades in participant order: percentile on `official`, fixed bands on `scaled`.

    `official` is what the exam's layout shows first (`Layout.official_score`):
    the points (DTM) or the scaled score (certificate). Both arrays have one
    entry per participant.
    """
    official_arr = np.asarray(official, dtype=np.float64)
    scaled_arr = np.asarray(scaled, dtype=np.float64)
    if official_arr.shape != scaled_arr.shape:
        raise ValidationError("The official and the scaled scores must have one entry each.")
    if scheme == PERCENTILE:
        return grade_exam(official_arr, scheme=PERCENTILE)
    if scheme == FIXED_BANDS:
        return grade_exam(scaled_arr, scheme=FIXED_BANDS)
    raise ValidationError(f"Unknown grading scheme {scheme!r}: use {' or '.join(SCHEMES)}.")
