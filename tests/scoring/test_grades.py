"""Tests for mockexam.scoring.grades: the scaled score, provisional scores and both
letter-grade schemes (ties, boundaries, clamping)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.grades import (
    grade_exam,
    letter_grades,
    provisional_score,
    scaled_score,
    scaled_se,
)


def test_scaled_score_maps_theta_linearly_and_clamps():
    theta = [-5.0, -4.0, -1.0, 0.0, 0.4, 4.0, 7.5, float("nan")]
    expected = [0.0, 0.0, 37.5, 50.0, 55.0, 100.0, 100.0]
    np.testing.assert_allclose(scaled_score(theta)[:-1], expected)
    assert math.isnan(scaled_score(theta)[-1])
    assert scaled_score(0.0) == 50.0


def test_scaled_se_is_12_5_points_per_logit():
    np.testing.assert_allclose(scaled_se([0.3, 1.0]), [3.75, 12.5])


def test_provisional_score_is_the_raw_percentage():
    np.testing.assert_allclose(provisional_score([42, 0, 55], 55), [4200 / 55, 0.0, 100.0])
    np.testing.assert_allclose(provisional_score([3, 5], [4, 10]), [75.0, 50.0])
    with pytest.raises(ValidationError):
        provisional_score([3], [0])
    with pytest.raises(ValidationError):
        provisional_score([56], [55])


def test_percentile_grades_follow_the_bands_for_distinct_scores():
    scores = np.arange(20, 0, -1, dtype=float)  # 20 distinct scores, best first
    grades = grade_exam(scores, scheme="percentile")
    expected = ["A+"] * 2 + ["A"] * 2 + ["B+"] * 3 + ["B"] * 3 + ["C+"] * 3 + ["C"] * 3
    assert grades == [*expected, "D", "D", "D", "D"]


def test_percentile_grades_are_in_input_order():
    assert grade_exam([1.0, 10.0, 5.0], scheme="percentile") == ["C", "A+", "B+"]


def test_percentile_ties_share_the_higher_grade():
    # Ten participants, two tied on top: nobody is strictly above either, so both A+.
    scores = [90, 90, 80, 70, 60, 50, 40, 30, 20, 10]
    grades = grade_exam(scores, scheme="percentile")
    assert grades[:2] == ["A+", "A+"] and grades[2] == "B+"
    assert grade_exam([50.0] * 7, scheme="percentile") == ["A+"] * 7


def test_percentile_ties_compare_scores_as_shown():
    grades = grade_exam([70.001, 70.004, 10.0], scheme="percentile")
    assert grades[0] == grades[1] == "A+"


def test_fixed_bands_boundaries():
    scores = [70.0, 69.99, 65.0, 64.99, 60.0, 55.0, 50.0, 49.99, 46.0, 45.99, 0.0, 100.0]
    assert grade_exam(scores, scheme="fixed_bands") == [
        "A+", "A", "A", "B+", "B+", "B", "C+", "C", "C", "D", "D", "A+",
    ]  # fmt: skip


def test_fixed_bands_grade_the_score_as_shown():
    assert grade_exam([69.996, 69.994], scheme="fixed_bands") == ["A+", "A"]


def test_provisional_scores_are_graded_like_scaled_scores():
    scores = provisional_score([50, 28, 20], 55)  # fewer than 10 participants
    np.testing.assert_allclose(scores, [5000 / 55, 2800 / 55, 2000 / 55])
    assert grade_exam(scores, scheme="fixed_bands") == ["A+", "C+", "D"]
    assert grade_exam(scores, scheme="percentile") == ["A+", "B+", "C"]


@pytest.mark.parametrize(
    ("scores", "scheme"),
    [([50.0], "curve"), ([float("nan")], "percentile"), ([[1.0, 2.0]], "percentile")],
)
def test_grade_exam_rejects_bad_input(scores, scheme):
    with pytest.raises(ValidationError):
        grade_exam(scores, scheme=scheme)


def test_grade_exam_of_nobody_is_empty():
    assert grade_exam([], scheme="percentile") == []


def test_percentile_letters_follow_official_points():
    points = np.arange(100, 0, -10, dtype=float)  # 100, 90, …, 10: best first
    expected = ["A+", "A", "B+", "B+", "B", "C+", "C+", "C", "D", "D"]
    reverse_scaled = np.arange(10, 101, 10, dtype=float)  # the worst has the best scaled score
    letters = letter_grades(scheme="percentile", official=points, scaled=reverse_scaled)
    assert letters == expected
    # in input order: the same people listed from the lowest points up
    assert (
        letter_grades(scheme="percentile", official=points[::-1], scaled=reverse_scaled[::-1])
        == expected[::-1]
    )


def test_fixed_bands_letters_read_the_scaled_score():
    official = [189.0, 10.0, 100.0]  # points that would rank the other way
    scaled = [45.0, 70.0, 55.0]
    assert letter_grades(scheme="fixed_bands", official=official, scaled=scaled) == [
        "D",
        "A+",
        "B",
    ]
    with pytest.raises(ValidationError):
        letter_grades(scheme="curve", official=official, scaled=scaled)
    with pytest.raises(ValidationError):
        letter_grades(scheme="percentile", official=official, scaled=scaled[:2])
