"""Tests for mockexam.scoring.rasch: recovery of known parameters, a hand-computed fit
case, cross-checks against independent estimators, extremes, input checks and pinned
regression values."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring import rasch
from mockexam.scoring.rasch import calibrate, estimate_abilities, fit_statistics

N_ITEMS = 55


def simulate(
    n_persons: int,
    rng: np.random.Generator,
    *,
    mean: float = 0.0,
    sd: float = 1.0,
    missing: float = 0.0,
    n_items: int = N_ITEMS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Responses from β ~ N(0, 1), θ ~ N(mean, sd²); `missing` of the cells set to NaN."""
    beta = rng.standard_normal(n_items)
    theta = rng.normal(mean, sd, n_persons)
    p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
    x = (rng.random((n_persons, n_items)) < p).astype(float)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return x, theta, beta


def asymptotic_bound(x: np.ndarray, theta: np.ndarray, beta: np.ndarray) -> float:
    """sqrt(mean_i 1/Σ_p P(1 − P)) over the administered cells: the SE of β with θ known."""
    p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
    w = np.where(np.isnan(x), 0.0, p * (1.0 - p))
    return float(np.sqrt(np.mean(1.0 / w.sum(axis=0))))


def centred(values: np.ndarray) -> np.ndarray:
    return values - values.mean()


# --- recovery ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "sd", "missing"),
    [(0.0, 1.0, 0.0), (0.5, 1.5, 0.0), (0.0, 1.0, 0.1)],
    ids=["standard", "shifted-wide", "10pc-missing"],
)
def test_calibrate_beta_rmse_within_10pc_of_asymptotic_bound(mean, sd, missing):
    # One replication's RMSE over 55 items scatters by ~10 % on its own, so pool ten.
    squared_errors, bounds, slopes, variances = [], [], [], []
    for replication in range(10):
        rng = np.random.default_rng([2024, replication, int(missing * 100), int(sd * 10)])
        x, theta, beta = simulate(10_000, rng, mean=mean, sd=sd, missing=missing)
        result = calibrate(x)
        assert result.converged
        error = centred(result.beta) - centred(beta)
        squared_errors.append(np.mean(error**2))
        bounds.append(asymptotic_bound(x, theta, beta) ** 2)
        slopes.append(np.polyfit(centred(beta), centred(result.beta), 1)[0])
        variances.append(np.mean(result.beta_se**2))
    ratio = math.sqrt(np.mean(squared_errors) / np.mean(bounds))
    assert 0.9 <= ratio <= 1.1, ratio
    # The reported SEs describe the actual errors.
    assert 0.9 <= math.sqrt(np.mean(variances) / np.mean(squared_errors)) <= 1.15
    assert 0.97 <= np.mean(slopes) <= 1.03
    assert min(slopes) >= 0.95 and max(slopes) <= 1.05


def test_calibrate_recovers_population_and_abilities():
    rng = np.random.default_rng(11)
    x, theta, beta = simulate(5_000, rng, mean=0.5, sd=1.5)
    result = calibrate(x)
    shift = beta.mean()  # the estimates put the mean difficulty at 0
    assert result.population_mean + shift == pytest.approx(0.5, abs=0.06)
    assert result.population_sd == pytest.approx(1.5, abs=0.05)
    inner = ~result.extreme_persons
    estimate = result.theta + shift
    assert np.corrcoef(estimate[inner], theta[inner])[0, 1] > 0.95
    z = (estimate[inner] - theta[inner]) / result.theta_se[inner]
    coverage = np.mean(np.abs(z) < 1.96)
    assert 0.93 <= coverage <= 0.97
    assert abs(np.median(estimate - theta)) < 0.03
    assert 0.85 <= result.person_separation_reliability <= 0.97


# --- fit statistics against a hand computation ----------------------------------------


HAND_THETA = [-1.2, -0.4, 0.1, 0.7, 1.6]
HAND_BETA = [-0.8, -0.1, 0.3, 1.1]
HAND_X = [
    [1, 0, 0, 0],
    [0, 1, 0, float("nan")],
    [1, 1, 0, 1],
    [1, 0, 1, 0],
    [1, 1, 1, 0],
]


def hand_fit(x, theta, beta, along_items: bool) -> list[tuple[float, float, float, float]]:
    """(infit, outfit, infit ZSTD, outfit ZSTD) by Wright & Masters (1982), one plain loop
    per item (or person): W = P(1 − P), C = P(1 − P)⁴ + (1 − P)P⁴, missing cells skipped."""
    rows = range(len(beta)) if along_items else range(len(theta))
    out = []
    for a in rows:
        sq_res = sum_w = sum_z2 = sum_c_w2 = sum_c_minus_w2 = 0.0
        n = 0
        for b in range(len(theta) if along_items else len(beta)):
            person, item = (b, a) if along_items else (a, b)
            value = x[person][item]
            if value != value:  # NaN
                continue
            p = 1.0 / (1.0 + math.exp(beta[item] - theta[person]))
            w = p * (1.0 - p)
            c = p * (1.0 - p) ** 4 + (1.0 - p) * p**4
            sq_res += (value - p) ** 2
            sum_w += w
            sum_z2 += (value - p) ** 2 / w
            sum_c_w2 += c / w**2
            sum_c_minus_w2 += c - w**2
            n += 1
        infit, outfit = sq_res / sum_w, sum_z2 / n
        q_in = math.sqrt(sum_c_minus_w2 / sum_w**2)
        q_out = math.sqrt(sum_c_w2 / n**2 - 1.0 / n)
        out.append(
            (
                infit,
                outfit,
                (infit ** (1 / 3) - 1.0) * 3.0 / q_in + q_in / 3.0,
                (outfit ** (1 / 3) - 1.0) * 3.0 / q_out + q_out / 3.0,
            )
        )
    return out


def test_fit_statistics_match_hand_computation():
    fit = fit_statistics(HAND_X, HAND_THETA, HAND_BETA)
    items = np.array(hand_fit(HAND_X, HAND_THETA, HAND_BETA, along_items=True))
    persons = np.array(hand_fit(HAND_X, HAND_THETA, HAND_BETA, along_items=False))
    np.testing.assert_allclose(fit.item_infit, items[:, 0], atol=1e-6)
    np.testing.assert_allclose(fit.item_outfit, items[:, 1], atol=1e-6)
    np.testing.assert_allclose(fit.item_infit_z, items[:, 2], atol=1e-6)
    np.testing.assert_allclose(fit.item_outfit_z, items[:, 3], atol=1e-6)
    np.testing.assert_allclose(fit.person_infit, persons[:, 0], atol=1e-6)
    np.testing.assert_allclose(fit.person_outfit, persons[:, 1], atol=1e-6)
    np.testing.assert_allclose(fit.person_infit_z, persons[:, 2], atol=1e-6)
    np.testing.assert_allclose(fit.person_outfit_z, persons[:, 3], atol=1e-6)


def test_fit_statistics_skip_rows_and_columns():
    fit = fit_statistics(
        HAND_X,
        HAND_THETA,
        HAND_BETA,
        skip_persons=[False, False, False, False, True],
        skip_items=[False, False, False, True],
    )
    kept_items = np.array(
        hand_fit(HAND_X[:4], HAND_THETA[:4], HAND_BETA, along_items=True), dtype=float
    )
    np.testing.assert_allclose(fit.item_outfit[:3], kept_items[:3, 1], atol=1e-6)
    kept_persons = [row[:3] for row in HAND_X]
    persons = np.array(hand_fit(kept_persons, HAND_THETA, HAND_BETA[:3], along_items=False))
    np.testing.assert_allclose(fit.person_infit_z[:4], persons[:4, 2], atol=1e-6)
    assert np.isnan(fit.item_infit[3]) and np.isnan(fit.person_outfit[4])


def test_calibrate_fit_equals_fit_statistics_of_its_own_measures():
    # calibrate works per response pattern in float32; fit_statistics per person in float64.
    x, _, _ = simulate(3_000, np.random.default_rng(5), missing=0.1)
    x[:500] = np.where(np.isnan(x[:500]), 1.0, x[:500])  # some complete rows share patterns
    result = calibrate(x)
    fit = fit_statistics(
        x,
        result.theta,
        result.beta,
        skip_persons=result.extreme_persons,
        skip_items=result.extreme_items,
    )
    for ours, reference in [
        (result.infit, fit.item_infit),
        (result.outfit, fit.item_outfit),
        (result.person_infit, fit.person_infit),
        (result.person_outfit, fit.person_outfit),
    ]:
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)
    for ours, reference in [
        (result.infit_z, fit.item_infit_z),
        (result.outfit_z, fit.item_outfit_z),
        (result.person_infit_z, fit.person_infit_z),
        (result.person_outfit_z, fit.person_outfit_z),
    ]:
        np.testing.assert_allclose(ours, reference, atol=2e-3)


def test_fit_mean_squares_near_one_when_the_model_holds():
    x, _, _ = simulate(4_000, np.random.default_rng(8))
    result = calibrate(x)
    assert np.nanmean(result.infit) == pytest.approx(1.0, abs=0.02)
    assert np.nanmean(result.outfit) == pytest.approx(1.0, abs=0.03)
    assert np.nanmean(result.person_infit) == pytest.approx(1.0, abs=0.02)
    # Estimated measures absorb some residual variance, so ZSTDs spread a bit under 1.
    assert 0.4 < np.nanstd(result.infit_z) < 1.3


def test_fit_flags_a_guessing_item():
    rng = np.random.default_rng(9)
    x, _, _ = simulate(3_000, rng, n_items=20)
    x[:, 7] = (rng.random(3_000) < 0.5).astype(float)  # answered at random
    result = calibrate(x)
    assert result.infit[7] > 1.15 and result.outfit[7] > 1.2
    assert result.infit_z[7] > 5
    assert np.nanmax(np.delete(result.infit, 7)) < 1.1


# --- cross-checks with independent estimators -------------------------------------------


def _esf(eps: np.ndarray) -> np.ndarray:
    """Elementary symmetric functions γ_0..γ_n of eps (the summation algorithm)."""
    gamma = np.zeros(eps.size + 1)
    gamma[0] = 1.0
    for e in eps:
        gamma[1:] = gamma[1:] + e * gamma[:-1]
    return gamma


def conditional_ml(x: np.ndarray) -> np.ndarray:
    """CML item difficulties (complete data), centred: the score-conditional likelihood,
    solved by the fixed point β_i += log(E[right answers | scores] / right answers)."""
    n_items = x.shape[1]
    score = x.sum(axis=1).astype(int)
    inner = (score > 0) & (score < n_items)
    persons_at = np.bincount(score[inner], minlength=n_items + 1)[1:]
    right = x[inner].sum(axis=0)
    beta = np.zeros(n_items)
    for _ in range(2_000):
        eps = np.exp(-beta)
        gamma = _esf(eps)
        expected = np.array(
            [persons_at @ (eps[i] * _esf(np.delete(eps, i)) / gamma[1:]) for i in range(n_items)]
        )
        step = np.log(expected / right)
        beta = centred(beta + step)
        if np.max(np.abs(step)) < 1e-11:
            break
    return beta


def test_mml_difficulties_agree_with_conditional_ml():
    rng = np.random.default_rng(21)
    beta = rng.standard_normal(12)
    theta = rng.normal(0.3, 1.2, 3_000)
    x = (rng.random((3_000, 12)) < 1.0 / (1.0 + np.exp(beta - theta[:, None]))).astype(float)
    result = calibrate(x, tol=1e-6)
    reference = conditional_ml(x)
    # Both are consistent; at N = 3000 they differ by a tenth of an SE (≈ 0.045).
    assert np.max(np.abs(result.beta - reference)) < 0.01


def _solve(f, low: float = -15.0, high: float = 15.0) -> float:
    """Bisection for a decreasing f."""
    for _ in range(200):
        mid = 0.5 * (low + high)
        if f(mid) > 0:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def test_person_measures_agree_with_bisection_mle_and_wle():
    x, _, _ = simulate(400, np.random.default_rng(4), missing=0.05, n_items=15)
    x[0] = 1.0  # all right
    x[1] = np.where(np.isnan(x[1]), np.nan, 0.0)  # all wrong of the items given
    result = calibrate(x)
    assert not result.extreme_items.any()
    for person in [0, 1, 2, 3, 4, 5]:
        given = ~np.isnan(x[person])
        b = result.beta[given]
        r = float(np.nansum(x[person]))

        def probabilities(t: float, b: np.ndarray = b) -> np.ndarray:
            return 1.0 / (1.0 + np.exp(b - t))

        if result.extreme_persons[person]:

            def warm(t: float, r: float = r) -> float:
                p = probabilities(t)
                w = p * (1.0 - p)
                return r - p.sum() + (w * (1.0 - 2.0 * p)).sum() / (2.0 * w.sum())

            expected = _solve(warm)
        else:
            expected = _solve(lambda t, r=r: r - probabilities(t).sum())
        p = probabilities(expected)
        assert result.theta[person] == pytest.approx(expected, abs=1e-5)
        assert result.theta_se[person] == pytest.approx(
            1.0 / math.sqrt((p * (1 - p)).sum()), rel=1e-5
        )
    assert result.extreme_persons[:2].all() and not result.extreme_persons[2:6].any()


def test_calibrate_theta_agrees_with_estimate_abilities():
    x, _, _ = simulate(2_000, np.random.default_rng(6), missing=0.1)
    x[:, 3] = 1.0  # an extreme item: left out of the person measures
    result = calibrate(x)
    again = estimate_abilities(x, result.beta, skip_items=result.extreme_items)
    np.testing.assert_allclose(result.theta, again.theta, atol=1e-5)
    np.testing.assert_allclose(result.theta_se, again.theta_se, rtol=1e-5)
    np.testing.assert_array_equal(result.extreme_persons, again.extreme)
    np.testing.assert_array_equal(result.person_raw_score, again.raw_score + 1.0)


# --- extremes and degenerate input ---------------------------------------------------------


def test_extreme_persons_and_items_get_finite_flagged_measures():
    x, _, _ = simulate(300, np.random.default_rng(12), n_items=10)
    x[:, 0] = 1.0  # everyone given item 0 got it right
    x[:, 9] = 0.0  # and item 9 wrong
    x[0, :9] = 1.0  # all right of the items given (not item 9)
    x[0, 9] = np.nan
    x[1, 1:] = 0.0  # all wrong of the items given (not item 0)
    x[1, 0] = np.nan
    x[2, :] = np.nan
    x[2, 3] = 1.0  # one item given, answered right
    result = calibrate(x)
    assert np.isfinite(result.theta).all() and np.isfinite(result.theta_se).all()
    assert np.isfinite(result.beta).all() and np.isfinite(result.beta_se).all()
    assert result.extreme_items.tolist() == [True] + [False] * 8 + [True]
    assert result.extreme_persons[:3].all()
    inner = ~result.extreme_persons
    assert result.theta[0] > result.theta[inner].max()
    assert result.theta[1] < result.theta[inner].min()
    assert result.beta[0] < result.beta[1:9].min() and result.beta[9] > result.beta[1:9].max()
    assert result.beta[1:9].mean() == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(result.infit[[0, 9]]).all() and np.isfinite(result.infit[1:9]).all()
    assert np.isnan(result.person_outfit[:3]).all()


def test_theta_increases_with_raw_score_through_the_extremes():
    beta = np.linspace(-2.0, 2.0, 20)
    x = np.tril(np.ones((21, 20)), -1)  # row r: the r easiest items right
    estimates = estimate_abilities(x, beta)
    assert np.all(np.diff(estimates.theta) > 0.2)
    assert estimates.extreme.tolist() == [True] + [False] * 19 + [True]
    assert np.isfinite(estimates.theta_se).all()


@pytest.mark.parametrize(
    "responses",
    [
        np.ones((6, 4)),
        np.zeros((6, 4)),
        np.array([[1.0, 1.0, 0.0, 0.0]] * 6),  # two easy and two hard items, no overlap
        np.array([[1.0, 0.0, 1.0]]),  # one person
        np.array([[1.0], [0.0], [1.0]]),  # one item
    ],
    ids=["all-right", "all-wrong", "guttman-split", "one-person", "one-item"],
)
def test_all_extreme_matrices_still_give_finite_results(responses):
    result = calibrate(responses)
    assert np.isfinite(result.theta).all() and np.isfinite(result.theta_se).all()
    assert np.isfinite(result.beta).all() and np.isfinite(result.beta_se).all()
    assert 0.0 <= result.person_separation_reliability < 1.0


def test_excluded_item_column_changes_nothing_else():
    x, _, _ = simulate(1_000, np.random.default_rng(13), n_items=12, missing=0.05)
    excluded = x.copy()
    excluded[:, 4] = np.nan
    with_column = calibrate(excluded)
    without = calibrate(np.delete(x, 4, axis=1))
    assert np.isnan(with_column.beta[4]) and with_column.item_n_responses[4] == 0
    assert not with_column.extreme_items[4]
    np.testing.assert_allclose(np.delete(with_column.beta, 4), without.beta, atol=1e-9)
    # Person measures come from float32 Newton steps: equal to about 1e-6.
    np.testing.assert_allclose(with_column.theta, without.theta, atol=1e-5)
    np.testing.assert_allclose(np.delete(with_column.infit, 4), without.infit, atol=1e-5)


def test_row_order_does_not_matter():
    x, _, _ = simulate(1_500, np.random.default_rng(14), missing=0.1)
    order = np.random.default_rng(15).permutation(x.shape[0])
    result, shuffled = calibrate(x), calibrate(x[order])
    np.testing.assert_allclose(shuffled.beta, result.beta, atol=1e-6)
    np.testing.assert_allclose(shuffled.theta, result.theta[order], atol=1e-6)
    np.testing.assert_allclose(shuffled.person_outfit, result.person_outfit[order], atol=1e-5)


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ([1.0, 0.0, 1.0], "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        ([[1.0, 2.0], [0.0, 1.0]], "1, 0 or NaN"),
        ([[1.0, -0.0], [0.5, 1.0]], "1, 0 or NaN"),
        ([[1.0, np.inf]], "1, 0 or NaN"),
        (np.zeros((0, 5)), "at least one person"),
        (np.zeros((5, 0)), "at least one person"),
        ([["a", "b"]], "numbers"),
        ([[1.0, 0.0], [np.nan, np.nan]], "no administered item"),
    ],
)
def test_calibrate_rejects_bad_input(responses, message):
    with pytest.raises(ValidationError, match=message):
        calibrate(responses)


def test_other_entry_points_reject_bad_input():
    with pytest.raises(ValidationError, match="one difficulty per item"):
        estimate_abilities([[1.0, 0.0]], [0.0])
    with pytest.raises(ValidationError, match="finite difficulty"):
        estimate_abilities([[1.0, 0.0]], [0.0, np.nan])
    with pytest.raises(ValidationError, match="finite numbers"):
        fit_statistics([[1.0, 0.0]], [0.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValidationError, match="max_iter"):
        calibrate([[1.0, 0.0]], max_iter=0)
    # An item nobody was given needs no difficulty; a person with no items has no θ.
    estimates = estimate_abilities([[1.0, np.nan], [np.nan, np.nan]], [0.5, np.nan])
    assert np.isfinite(estimates.theta[0]) and np.isnan(estimates.theta[1])


def test_max_iter_reports_not_converged():
    x, _, _ = simulate(500, np.random.default_rng(16), n_items=10)
    result = calibrate(x, max_iter=2)
    assert not result.converged and result.iterations == 2
    assert np.isfinite(result.beta).all()


# --- regression -------------------------------------------------------------------------


def test_regression_values_for_a_seeded_matrix():
    x, _, _ = simulate(300, np.random.default_rng(2024), n_items=12, missing=0.05)
    result = calibrate(x)
    np.testing.assert_allclose(result.beta[:4], PINNED_BETA, atol=1e-4)
    np.testing.assert_allclose(result.beta_se[:2], PINNED_BETA_SE, atol=1e-4)
    np.testing.assert_allclose(result.theta[:3], PINNED_THETA, atol=1e-4)
    np.testing.assert_allclose(result.infit[:2], PINNED_INFIT, atol=1e-4)
    np.testing.assert_allclose(result.outfit_z[:2], PINNED_OUTFIT_Z, atol=1e-3)
    assert result.population_sd == pytest.approx(PINNED_SD, abs=1e-4)
    assert result.person_separation_reliability == pytest.approx(PINNED_RELIABILITY, abs=1e-4)


PINNED_BETA: npt.ArrayLike = [0.794729, 1.030273, 0.649883, -1.277646]
PINNED_BETA_SE: npt.ArrayLike = [0.146399, 0.155844]
PINNED_THETA: npt.ArrayLike = [-0.804886, 0.19431, -0.368995]
PINNED_INFIT: npt.ArrayLike = [1.030128, 0.973227]
PINNED_OUTFIT_Z: npt.ArrayLike = [-0.325856, -0.666486]
PINNED_SD = 0.966014
PINNED_RELIABILITY = 0.572547


# --- purity ---------------------------------------------------------------------------------


def test_scoring_engine_imports_only_numpy_and_the_standard_library():
    allowed = {"__future__", "collections", "dataclasses", "logging", "math", "typing"}
    allowed |= {"numpy", "mockexam"}
    for name in ("rasch", "classical", "grades", "elo"):
        path = Path(rasch.__file__).with_name(f"{name}.py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, (name, roots)
