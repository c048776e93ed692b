"""`tally` (vectorised) agrees with `grade_sheet` (one sheet at a time) on random sheets."""

from __future__ import annotations

import numpy as np

from mockexam.scoring.grading import default_layout, grade_sheet
from mockexam.scoring.tally import tally


def test_tally_agrees_with_grade_sheet_on_random_sheets():
    rng = np.random.default_rng(3)
    items = default_layout()
    key = {i.label: ["A"] if i.kind == "mcq" else ["1/2"] for i in items}
    for _ in range(200):
        marks = rng.random(len(items)) < rng.random()
        excluded = rng.random(len(items)) < 0.05
        answers = {
            i.label: (key[i.label][0] if right else ("B" if i.kind == "mcq" else "7"))
            for i, right in zip(items, marks, strict=True)
        }
        one = grade_sheet(
            items,
            key,
            answers,
            excluded={i.label for i, e in zip(items, excluded, strict=True) if e},
        )
        many = tally(items, marks[None, :], excluded)
        assert (int(many.points[0]), many.max_points) == (one.points, one.max_points)
        assert (int(many.exercises[0]), many.max_exercises) == (one.exercises, one.max_exercises)


def test_tally_two_part_exercise_needs_both_parts():
    items = default_layout()
    marks = np.zeros((2, len(items)), dtype=bool)
    col = {i.label: c for c, i in enumerate(items)}
    marks[0, [col["36a"], col["36b"], col["1"]]] = True
    marks[1, [col["36a"], col["37b"]]] = True
    result = tally(items, marks)
    assert result.points.tolist() == [3, 2]
    assert result.exercises.tolist() == [2, 0]
    assert (result.max_points, result.max_exercises) == (55, 45)
