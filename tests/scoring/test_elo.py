"""Tests for mockexam.scoring.elo against hand computations of spec §4."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring import elo
from mockexam.scoring.elo import update_ratings


def hand_update(ratings, rated, points, max_points):
    """Spec §4, one participant at a time."""
    s = [p / max_points for p in points]
    p_bar = sum(min(max(v, 0.01), 0.99) for v in s) / len(s)
    r_bar = sum(ratings) / len(ratings)
    r_exam = r_bar + 400 * math.log10((1 - p_bar) / p_bar)
    out = []
    for r, n, v in zip(ratings, rated, s, strict=True):
        expected = 1 / (1 + 10 ** ((r_exam - r) / 400))
        k = 40 if n < 5 else 20
        out.append((max(100.0, r + k * (v - expected)), k, expected, v))
    return out, r_exam


def test_update_matches_hand_computation():
    ratings, rated, points = [1200.0, 1350.0, 1100.0, 1500.0], [0, 7, 3, 12], [40, 50, 20, 55]
    result = update_ratings(ratings, rated, points, 55)
    expected, r_exam = hand_update(ratings, rated, points, 55)
    np.testing.assert_allclose(result.new_ratings, [e[0] for e in expected], atol=1e-9)
    np.testing.assert_allclose(result.k, [e[1] for e in expected])
    np.testing.assert_allclose(result.expected, [e[2] for e in expected], atol=1e-12)
    np.testing.assert_allclose(result.actual, [e[3] for e in expected])
    assert result.exam_rating == pytest.approx(r_exam, abs=1e-9)


def test_two_newcomers_by_hand():
    # s = 0.8 and 0.4: p̄ = 0.6, R_exam = 1200 + 400·log10(0.4/0.6) ≈ 1129.56,
    # E = 1/(1 + 10^(−70.44/400)) ≈ 0.6, so R' = 1200 + 40·(s − 0.6).
    result = update_ratings([1200.0, 1200.0], [0, 0], [44, 22], 55)
    r_exam = 1200 + 400 * math.log10(0.4 / 0.6)
    e = 1 / (1 + 10 ** ((r_exam - 1200) / 400))
    assert e == pytest.approx(0.6)
    np.testing.assert_allclose(result.new_ratings, [1200 + 40 * (0.8 - e), 1200 + 40 * (0.4 - e)])
    assert result.mean_score == pytest.approx(0.6) and result.mean_rating == 1200.0


def test_elo_on_proportion_of_weighted_points():
    # DTM: 141.75/189 and 47.25/189 are s = 0.75 and 0.25, so p̄ = 0.5, R_exam = 1200,
    # E = 0.5 and R' = 1200 ± 40·0.25.
    result = update_ratings([1200.0, 1200.0], [0, 0], [141.75, 47.25], 189.0)
    assert result.actual.tolist() == [0.75, 0.25]
    assert result.mean_score == 0.5
    assert result.exam_rating == 1200.0
    np.testing.assert_allclose(result.expected, [0.5, 0.5])
    np.testing.assert_allclose(result.new_ratings, [1210.0, 1190.0])


def test_rating_never_falls_below_the_floor():
    # R_exam ≈ 816, so E ≈ 0.016 and 100 + 40·(0 − 0.016) < 100.
    result = update_ratings([100.0, 1200.0], [0, 0], [0, 30], 55)
    assert result.new_ratings[0] == elo.RATING_FLOOR


def test_k_switches_after_five_rated_exams():
    result = update_ratings([1200.0] * 4, [0, 4, 5, 30], [10, 20, 30, 40], 55)
    assert result.k.tolist() == [40.0, 40.0, 20.0, 20.0]


def test_scores_are_clamped_for_the_mean_only():
    result = update_ratings([1200.0, 1200.0], [0, 0], [55, 55], 55)
    assert result.mean_score == pytest.approx(0.99)
    assert result.exam_rating == pytest.approx(1200 + 400 * math.log10(0.01 / 0.99))
    assert result.actual.tolist() == [1.0, 1.0]
    assert (result.new_ratings > 1200).all()


def test_per_participant_max_points():
    result = update_ratings([1200.0, 1200.0], [0, 0], [27, 50], [54, 50])
    np.testing.assert_allclose(result.actual, [0.5, 1.0])


@pytest.mark.parametrize(
    "args",
    [
        ([], [], [], 55),
        ([1200.0], [0], [56], 55),
        ([1200.0], [0], [-1], 55),
        ([1200.0], [0], [10], 0),
        ([1200.0], [-1], [10], 55),
        ([1200.0, 1200.0], [0], [10, 10], 55),
        ([float("nan")], [0], [10], 55),
    ],
)
def test_bad_input_raises_validation_error(args):
    with pytest.raises(ValidationError):
        update_ratings(*args)
