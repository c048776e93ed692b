"""Raw scores of many answer sheets at once: points and exercises from a correctness matrix.

The vectorised twin of `grading.grade_sheet` (a test checks they agree on
random sheets): the exam-end surge grades thousands of sheets in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.scoring.grading import ItemSpec


@dataclass(frozen=True)
class Tally:
    """Per sheet: points and exercises (an exercise counts if every graded part is right)."""

    points: npt.NDArray[np.int64]
    exercises: npt.NDArray[np.int64]
    max_points: int
    max_exercises: int


def tally(
    items: Sequence[ItemSpec],
    correct: npt.NDArray[np.bool_],
    excluded: npt.NDArray[np.bool_] | None = None,
) -> Tally:
    """Score sheets × items of right/wrong marks; excluded items count for nothing.

    points_p = Σ_i points_i · x_pi over graded items; exercises_p = number of
    exercises whose graded parts are all right; an exercise with no graded
    part drops out of max_exercises.
    """
    n_items = len(items)
    correct = np.asarray(correct, dtype=bool).reshape(-1, n_items)
    graded = np.ones(n_items, dtype=bool) if excluded is None else ~np.asarray(excluded, bool)
    weights = np.array([item.points for item in items], dtype=np.int64) * graded
    points = correct.astype(np.int64) @ weights
    numbers = sorted({item.number for item, g in zip(items, graded, strict=True) if g})
    exercises = np.zeros(correct.shape[0], dtype=np.int64)
    for number in numbers:
        cols = [c for c, item in enumerate(items) if item.number == number and graded[c]]
        exercises += correct[:, cols].all(axis=1)
    return Tally(
        points=points,
        exercises=exercises,
        max_points=int(weights.sum()),
        max_exercises=len(numbers),
    )
