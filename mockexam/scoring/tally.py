"""Raw scores of many answer sheets at once: points and exercises from a correctness matrix.

The vectorised twin of `grading.grade_sheet` (a test checks they agree on
random sheets): the exam-end surge grades thousands of sheets in one pass.

Points are summed in int64 centipoints (hundredths) and divided by 100 at the
end, so weighted totals are exact: 27 items at 1.1 make 29.7, where a float
sum gives 29.700000000000003.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.scoring.grading import ItemSpec


@dataclass(frozen=True)
class Tally:
    """Per sheet: points and exercises (an exercise counts if every graded part is right).

    The `section_*` arrays have one column per section index 0 … S−1 (S = the
    largest `ItemSpec.section` + 1): `section_points` is (sheets × S),
    `section_max_points` (S,), likewise for exercises. An exercise belongs to
    the section of its items.
    """

    points: npt.NDArray[np.float64]
    exercises: npt.NDArray[np.int64]
    max_points: float
    max_exercises: int
    section_points: npt.NDArray[np.float64]
    section_max_points: npt.NDArray[np.float64]
    section_exercises: npt.NDArray[np.int64]
    section_max_exercises: npt.NDArray[np.int64]


def tally(
    items: Sequence[ItemSpec],
    correct: npt.NDArray[np.bool_],
    excluded: npt.NDArray[np.bool_] | None = None,
) -> Tally:
    """Score sheets × items of right/wrong marks; excluded items count for nothing.

    points_p = Σ_i points_i · x_pi over graded items (in centipoints, exact);
    exercises_p = number of exercises whose graded parts are all right; an
    exercise with no graded part drops out of max_exercises. The same per section.
    """
    n_items = len(items)
    correct = np.asarray(correct, dtype=bool).reshape(-1, n_items)
    n_sheets = correct.shape[0]
    graded = np.ones(n_items, dtype=bool) if excluded is None else ~np.asarray(excluded, bool)
    cents = np.array([item.centipoints for item in items], dtype=np.int64) * graded
    sections = np.array([item.section for item in items], dtype=np.int64)
    n_sections = int(sections.max()) + 1 if n_items else 0

    # (items × sections) one-hot of the weights: one matrix product gives every subtotal.
    weights = np.zeros((n_items, n_sections), dtype=np.int64)
    weights[np.arange(n_items), sections] = cents
    section_cents = correct.astype(np.int64) @ weights
    section_max_cents = weights.sum(axis=0)

    columns: dict[int, list[int]] = {}
    section_of_number: dict[int, int] = {}
    for c, item in enumerate(items):
        if graded[c]:
            columns.setdefault(item.number, []).append(c)
            section_of_number.setdefault(item.number, item.section)
    section_exercises = np.zeros((n_sheets, n_sections), dtype=np.int64)
    section_max_exercises = np.zeros(n_sections, dtype=np.int64)
    for number, cols in columns.items():
        s = section_of_number[number]
        section_exercises[:, s] += correct[:, cols].all(axis=1)
        section_max_exercises[s] += 1

    return Tally(
        points=section_cents.sum(axis=1) / 100,
        exercises=section_exercises.sum(axis=1),
        max_points=int(section_max_cents.sum()) / 100,
        max_exercises=len(columns),
        section_points=section_cents / 100,
        section_max_points=section_max_cents / 100,
        section_exercises=section_exercises,
        section_max_exercises=section_max_exercises,
    )
