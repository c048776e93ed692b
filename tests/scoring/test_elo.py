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


# --- the linked scale (issue 23) -----------------------------------------------------------


def test_half_score_theta_by_hand():
    assert elo.half_score_theta([0.7]) == pytest.approx(0.7, abs=1e-8)
    assert elo.half_score_theta([-1.0, 0.0, 1.0]) == pytest.approx(0.0, abs=1e-8)
    assert elo.half_score_theta([-2.0, 3.0, 2.0, -3.0]) == pytest.approx(0.0, abs=1e-8)
    # Two items at 0 and 2, the first worth 3 points: 3σ(θ) + σ(θ − 2) = 2 at θ ≈ 0.2913
    # (σ(0.2913) = 0.57232, σ(−1.7087) = 0.15330; 3·0.57232 + 0.15330 = 1.87 + 0.13…).
    theta = elo.half_score_theta([0.0, 2.0], [3.0, 1.0])
    sigma = lambda x: 1.0 / (1.0 + math.exp(-x))  # noqa: E731
    assert 3 * sigma(theta) + sigma(theta - 2.0) == pytest.approx(2.0, abs=1e-7)
    assert 0.0 < theta < 0.5
    # A zero weight leaves its item out.
    assert elo.half_score_theta([0.0, 5.0], [1.0, 0.0]) == pytest.approx(0.0, abs=1e-8)


def test_anchor_and_linked_rating_by_hand():
    anchor = elo.scale_anchor(1250.0, 0.1)
    assert anchor == pytest.approx(1250.0 - 17.37178, abs=1e-4)
    # A paper one logit harder plays 400/ln 10 ≈ 173.7 Elo higher.
    assert elo.linked_exam_rating(anchor, 1.1) == pytest.approx(1250.0 + 173.7178, abs=1e-3)
    assert abs(elo.ELO_PER_LOGIT - 173.7178) < 1e-4


def test_given_exam_rating_replaces_the_cohorts():
    result = elo.update_ratings([1200.0, 1300.0], [5, 5], [6.0, 9.0], 10.0, exam_rating=1400.0)
    assert result.exam_rating == 1400.0
    expected = 1.0 / (1.0 + 10.0 ** ((1400.0 - np.array([1200.0, 1300.0])) / 400.0))
    np.testing.assert_allclose(result.expected, expected)
    np.testing.assert_allclose(
        result.new_ratings, np.array([1200.0, 1300.0]) + 20.0 * (np.array([0.6, 0.9]) - expected)
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_exam_rating_must_be_finite(bad):
    with pytest.raises(ValidationError, match="exam's rating"):
        elo.update_ratings([1200.0], [0], [5.0], 10.0, exam_rating=bad)


@pytest.mark.parametrize(
    ("beta", "weights"),
    [([], None), ([math.nan], None), ([0.0, 1.0], [1.0]), ([0.0], [-1.0]), ([0.0], [0.0])],
)
def test_half_score_theta_bad_input(beta, weights):
    with pytest.raises(ValidationError):
        elo.half_score_theta(beta, weights)


def _simulate_weeks(growth: float, difficulty: list[float], *, linked: bool, seed: int):
    """A fixed cohort of 600 takes one 40-item paper a week; returns the mean Elo per week.

    Week 0 is the scale's origin (rated by its takers); later papers are rated from their
    true (linked) difficulties when `linked`, else from their takers.
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, 600)
    ratings = np.full(600, elo.START_RATING)
    rated = np.zeros(600)
    anchor = None
    means = [float(ratings.mean())]
    for week, shift in enumerate(difficulty):
        beta = rng.normal(shift, 0.8, 40)
        ability = theta + growth * week
        p = 1.0 / (1.0 + np.exp(beta[None, :] - ability[:, None]))
        points = (rng.random(p.shape) < p).sum(axis=1).astype(float)
        theta_half = elo.half_score_theta(beta)
        given = (
            None if (anchor is None or not linked) else elo.linked_exam_rating(anchor, theta_half)
        )
        result = elo.update_ratings(ratings, rated, points, 40.0, exam_rating=given)
        if anchor is None:
            anchor = elo.scale_anchor(result.exam_rating, theta_half)
        ratings, rated = result.new_ratings, rated + 1
        means.append(float(ratings.mean()))
    return np.array(means)


PAPERS = [0.0, 0.8, -0.6, 0.5, -0.3, 0.9, -0.8, 0.2, 0.6, -0.5]


def test_linked_elo_shows_a_cohorts_growth_the_cohort_rating_hides():
    # The cohort grows 0.2 logits a week over papers of wandering difficulty.
    linked = _simulate_weeks(0.2, PAPERS, linked=True, seed=3)
    alone = _simulate_weeks(0.2, PAPERS, linked=False, seed=3)
    # Rated by their takers, the cohort's mean Elo stays where it started (zero-sum) ...
    assert abs(alone[-1] - alone[0]) < 3.0
    # ... on the linked scale it rises week after week with the growth (1.8 logits; Elo
    # follows slowly, K = 20–40 a week: ~35 points here, against 0.2 without linking).
    assert linked[-1] - linked[0] > 25.0
    assert (np.diff(linked[1:]) > 0).mean() >= 0.8


def test_linked_elo_does_not_reward_an_easy_paper_or_punish_a_hard_one():
    # No growth: the papers' difficulty alone must not move the cohort's mean Elo.
    linked = _simulate_weeks(0.0, PAPERS, linked=True, seed=5)
    steps = np.diff(linked[1:])
    assert np.abs(steps).max() < 4.0  # K = 20–40: a paper 0.8 logits off would move ±30
    assert abs(linked[-1] - linked[1]) < 8.0
