"""Rasch (1PL) calibration: item difficulties, person measures and fit, numpy only.

Model: P(x_ni = 1) = 1 / (1 + exp(−(θ_n − β_i))).

Items are calibrated by marginal maximum likelihood (MML, Bock–Aitkin EM,
accelerated by SQUAREM) with a normal population θ ~ N(μ, σ²) whose μ and σ are
estimated with the items; the difficulties are centred at 0 over the non-extreme
items. MML is consistent without any (I−1)/I correction (JMLE needs one, and it is
only approximate once cells are missing), uses every person including extreme
scorers, and handles never-administered cells (NaN) exactly: they drop out of each
person's likelihood. Against simulated data its β RMSE sits at the asymptotic bound.

Persons are then measured with the items fixed, on the non-extreme items (an item
everyone got right or wrong says nothing about who is abler): maximum likelihood,
or Warm's weighted likelihood (WLE) for all-right / all-wrong scores, so every
person gets a finite θ and SE. Items answered all right (all wrong) by everyone who
saw them get a finite difficulty from the score n − 0.3 (0.3) against the fitted
population, and are flagged.

Speed: persons with the same administered items and raw score share the posterior
and the MLE, so that work runs once per pattern (a few dozen rows for complete
data); masked sums are matrix products; the E-step and the persons' Newton steps
run in float32 on cache-sized blocks (β to ~1e-6, θ to ~2e-6 logits).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

EXTREME_ITEM_SCORE_ADJUSTMENT = 0.3
"""Score points an extreme item is moved off its all-right / all-wrong score (Winsteps)."""

_GRID_HALF_WIDTH = 5.0  # quadrature nodes cover μ ± 5σ
_GRID_STEP = 0.6  # most logits between nodes (β moves by ~1e-5 against a 0.2 grid)
_GRID_STEP_PER_SD = 2.0  # ... and at most two of the narrowest posterior's SDs, 2/sqrt(I)
_NODES = (21, 121)  # fewest and most nodes
_MIN_SIGMA, _MAX_SIGMA = 0.05, 5.0  # population SD bounds (tiny data can run off)
_BLOCK = 4096  # rows per block of work arrays (they stay in the CPU cache)
_DENSE_PICK_LIMIT = 20_000_000  # persons × groups up to which a product beats a gather
_MAX_STEP = 1.0  # Newton steps on θ or β are clipped to ±1 logit
_PERSON_TOL = 1e-9  # float64 Newton (WLE) stops below this step
_NEWTON_DONE = 2e-3  # float32 Newton (MLE) stops after a step this small
_EXP_LIMIT = 20.0  # |β|, |θ| beyond 20 logits are clipped inside exponentials


@dataclass(frozen=True, slots=True)
class AbilityEstimates:
    """Person measures with the item difficulties held fixed.

    θ is the maximum-likelihood estimate, r = Σ_i P_ni, or Warm's WLE
    r − Σ_i P_ni + J/(2·I) = 0 (I = Σ W, J = Σ W(1 − 2P)) for extreme scores;
    SE = 1/sqrt(Σ_i P_ni(1 − P_ni)) at the estimate.
    """

    theta: FloatArray  # NaN for a person with no item to measure on
    theta_se: FloatArray
    extreme: BoolArray  # all right or all wrong of the items used
    raw_score: FloatArray  # points on the items used
    n_items: IntArray  # items used: given (non-NaN) and not skipped


@dataclass(frozen=True, slots=True)
class FitStatistics:
    """Infit/outfit mean-squares and their Wilson–Hilferty ZSTD, per item and per person.

    Outfit = mean of z² over the cells, z² = (x − P)²/W with W = P(1 − P);
    infit = Σ(x − P)² / ΣW. ZSTD t = (MS^(1/3) − 1)(3/q) + q/3 with
    q² = Σ(C/W²)/n² − 1/n (outfit) or Σ(C − W²)/(ΣW)² (infit), where
    C = E[(x − P)⁴] = P(1 − P)⁴ + (1 − P)P⁴ (Wright & Masters 1982, p. 100).
    NaN where the statistic is not defined (skipped rows/columns, no cells).
    """

    item_infit: FloatArray
    item_outfit: FloatArray
    item_infit_z: FloatArray
    item_outfit_z: FloatArray
    person_infit: FloatArray
    person_outfit: FloatArray
    person_infit_z: FloatArray
    person_outfit_z: FloatArray


@dataclass(frozen=True, slots=True)
class RaschCalibration:
    """One exam's Rasch calibration; arrays follow the rows/columns of the input.

    Items with no responses at all (a column that is entirely NaN) have NaN
    measures and statistics. Persons are measured on the non-extreme items they
    were given (on all their items if they were given only extreme ones); an
    extreme person is all right or all wrong on those. Fit statistics leave out
    extreme persons (for items) and extreme items (for persons), and are NaN for
    the extremes themselves, whose residuals say nothing (as in Winsteps).
    """

    # items
    beta: FloatArray  # difficulty, logits, centred at 0 over non-extreme items
    beta_se: FloatArray
    infit: FloatArray
    outfit: FloatArray
    infit_z: FloatArray
    outfit_z: FloatArray
    extreme_items: BoolArray  # answered all right or all wrong by everyone given it
    item_n_responses: IntArray
    item_score: IntArray  # number of correct responses
    # persons
    theta: FloatArray  # ability, logits (MLE; WLE for extreme scores)
    theta_se: FloatArray
    person_infit: FloatArray
    person_outfit: FloatArray
    person_infit_z: FloatArray
    person_outfit_z: FloatArray
    extreme_persons: BoolArray
    person_raw_score: FloatArray  # points on all the items given
    person_n_items: IntArray  # items given
    # test
    person_separation_reliability: float  # (var θ − mean SE²)/var θ, non-extreme persons
    person_separation: float  # separation index sqrt(R/(1 − R))
    population_mean: float  # μ of the fitted θ ~ N(μ, σ²), on the centred scale
    population_sd: float
    log_likelihood: float  # marginal log-likelihood (at the last E-step)
    iterations: int  # EM steps taken (E-step + M-step each, SQUAREM's included)
    converged: bool


# --- public API ---------------------------------------------------------------


def calibrate(
    responses: npt.ArrayLike, *, max_iter: int = 200, tol: float = 1e-5
) -> RaschCalibration:
    """Calibrate items and measure persons from a persons × items matrix of 1, 0 and NaN.

    EM iterates until no difficulty, μ or σ moves more than `tol` logits (the
    float32 E-step leaves a noise floor near 1e-6) or `max_iter` is reached;
    `converged` says which. A matrix in which every item or every person is
    extreme still gets finite measures, all flagged.
    """
    if max_iter < 1:
        raise ValidationError("max_iter must be at least 1.")
    if not tol > 0:
        raise ValidationError("tol must be positive.")
    mask, x = _validate_responses(responses)
    patterns = _Patterns.build(mask, x)
    given = patterns.n_items[patterns.group_of_person]
    if (given == 0).any():
        row = int(np.flatnonzero(given == 0)[0])
        raise ValidationError(f"Person row {row} has no administered item (all NaN).")

    item_n = np.count_nonzero(mask, axis=0).astype(np.int64)
    item_score = np.rint(patterns.right.sum(axis=0, dtype=np.float64)).astype(np.int64)
    administered = item_n > 0
    extreme_items = administered & ((item_score == 0) | (item_score == item_n))
    estimable = administered & ~extreme_items

    # Extreme items say nothing about who is abler (everyone given one answered alike), so
    # persons are measured on the other items, like Winsteps: raw score and count less
    # the extreme items given, and "extreme person" means all right/wrong on the rest.
    used_mask, used_score, used_n = patterns.mask, patterns.score, patterns.n_items
    if extreme_items.any():
        used_mask = patterns.mask & ~extreme_items
        all_right = extreme_items & (item_score > 0)
        used_score = used_score - _count(patterns.mask[:, all_right])
        used_n = used_n - _count(patterns.mask[:, extreme_items])

    em = _fit_population_model(
        patterns,
        estimable,
        extreme_items,
        item_score,
        item_n,
        used_score,
        used_n,
        max_iter=max_iter,
        tol=tol,
    )
    beta, beta_se, population_mean = _difficulties(em, estimable, extreme_items, item_score, item_n)
    group = _measure(used_mask, used_score, used_n, beta, em.group_mean)
    rows = np.flatnonzero(used_n == 0)  # given extreme items only: measure on those
    if rows.size:
        fallback = _measure(
            patterns.mask[rows], patterns.score[rows], patterns.n_items[rows], beta, None
        )
        group.theta[rows], group.se[rows] = fallback.theta, fallback.se
        group.extreme[rows] = fallback.extreme
    fit = _fit_statistics(
        patterns, group.theta, beta, skip_groups=group.extreme, skip_items=extreme_items
    )
    inv = patterns.group_of_person
    theta, theta_se, extreme_persons = group.theta[inv], group.se[inv], group.extreme[inv]
    reliability, separation = _separation_reliability(theta, theta_se, extreme_persons)
    if not em.converged:
        logger.warning(
            "Rasch calibration stopped after %s iterations without converging (last change %s)",
            em.iterations,
            em.last_change,
        )
    return RaschCalibration(
        beta=beta,
        beta_se=beta_se,
        infit=fit.item_infit,
        outfit=fit.item_outfit,
        infit_z=fit.item_infit_z,
        outfit_z=fit.item_outfit_z,
        extreme_items=extreme_items,
        item_n_responses=item_n,
        item_score=item_score,
        theta=theta,
        theta_se=theta_se,
        person_infit=fit.person_infit,
        person_outfit=fit.person_outfit,
        person_infit_z=fit.person_infit_z,
        person_outfit_z=fit.person_outfit_z,
        extreme_persons=extreme_persons,
        person_raw_score=patterns.score[inv].astype(np.float64),
        person_n_items=given,
        person_separation_reliability=reliability,
        person_separation=separation,
        population_mean=float(population_mean),
        population_sd=float(em.sigma),
        log_likelihood=em.log_likelihood,
        iterations=em.iterations,
        converged=em.converged,
    )


def estimate_abilities(
    responses: npt.ArrayLike, beta: npt.ArrayLike, *, skip_items: npt.ArrayLike | None = None
) -> AbilityEstimates:
    """Measure persons against fixed item difficulties (MLE; WLE for extreme scores).

    `skip_items` are left out, as if not administered (`calibrate` skips the extreme
    items); raw scores and counts are then on the other items. A person with no item
    left gets NaN: there is nothing to measure.
    """
    mask, x = _validate_responses(responses)
    skip = _flags(skip_items, mask.shape[1], "skip_items")
    if skip.any():
        mask, x = mask & ~skip, x & ~skip
    beta_arr = _validate_beta(beta, mask)
    patterns = _Patterns.build(mask, x)
    group = _measure(patterns.mask, patterns.score, patterns.n_items, beta_arr, None)
    inv = patterns.group_of_person
    return AbilityEstimates(
        theta=group.theta[inv],
        theta_se=group.se[inv],
        extreme=group.extreme[inv],
        raw_score=patterns.score[inv].astype(np.float64),
        n_items=patterns.n_items[inv],
    )


def fit_statistics(
    responses: npt.ArrayLike,
    theta: npt.ArrayLike,
    beta: npt.ArrayLike,
    *,
    skip_persons: npt.ArrayLike | None = None,
    skip_items: npt.ArrayLike | None = None,
) -> FitStatistics:
    """Infit/outfit and ZSTD of the data against given measures.

    Skipped persons don't count towards item statistics and skipped items don't
    count towards person statistics; the skipped get NaN themselves (`calibrate`
    skips extreme persons and extreme items).
    """
    mask, x = _validate_responses(responses)
    n_persons, n_items = mask.shape
    beta_arr = _validate_beta(beta, mask)
    theta_arr = np.asarray(theta, dtype=np.float64)
    if theta_arr.shape != (n_persons,) or not np.isfinite(theta_arr).all():
        raise ValidationError(f"theta must be {n_persons} finite numbers, one per person.")
    skip_p = _flags(skip_persons, n_persons, "skip_persons")
    skip_i = _flags(skip_items, n_items, "skip_items")
    patterns = _Patterns.singletons(mask, x)
    return _fit_statistics(
        patterns, theta_arr, beta_arr, skip_groups=skip_p, skip_items=skip_i, dtype=np.float64
    )


def _difficulties(
    em: _PopulationFit,
    estimable: BoolArray,
    extreme_items: BoolArray,
    item_score: IntArray,
    item_n: IntArray,
) -> tuple[FloatArray, FloatArray, float]:
    """β and SE for every item (NaN if nobody was given it), and the population mean.

    An extreme item's β solves Σ_q N_iq P(θ_q − β) = n − 0.3 (all right) or 0.3
    (all wrong) against the fitted population: finite, and beyond the others.
    """
    beta = np.full(item_n.size, np.nan)
    beta_se = np.full(item_n.size, np.nan)
    beta[estimable], beta_se[estimable] = em.beta, em.beta_se
    if extreme_items.any():
        n_ext = item_n[extreme_items].astype(np.float64)
        target = np.where(
            item_score[extreme_items] > 0,
            n_ext - EXTREME_ITEM_SCORE_ADJUSTMENT,
            EXTREME_ITEM_SCORE_ADJUSTMENT,
        )
        start = np.log((n_ext - target) / target) + em.mu
        beta[extreme_items], beta_se[extreme_items] = _solve_items(
            em.extreme_counts, em.nodes, target, start
        )
    if estimable.any():
        return beta, beta_se, em.mu
    # Nothing to anchor on but the extremes: centre over every administered item.
    administered = estimable | extreme_items
    shift = float(np.mean(beta[administered]))
    beta[administered] -= shift
    return beta, beta_se, em.mu - shift


# --- input checks -------------------------------------------------------------


def _validate_responses(responses: npt.ArrayLike) -> tuple[BoolArray, BoolArray]:
    """(administered, right) boolean matrices, or a ValidationError saying what is wrong."""
    try:
        arr = np.asarray(responses, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Responses must be numbers 1, 0 or NaN: {exc}") from exc
    if arr.ndim != 2:
        raise ValidationError(
            f"Responses must be a 2-D persons × items matrix, got {arr.ndim} dimension(s)."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValidationError(
            f"Responses need at least one person and one item, got shape {arr.shape}."
        )
    right = arr == 1.0
    mask = right | (arr == 0.0)
    if np.count_nonzero(mask) + np.count_nonzero(np.isnan(arr)) != arr.size:
        row, col = (int(v) for v in np.argwhere(~mask & ~np.isnan(arr))[0])
        raise ValidationError(
            f"Responses must be 1, 0 or NaN; found {arr[row, col]!r} at person {row}, item {col}."
        )
    return mask, right


def _validate_beta(beta: npt.ArrayLike, mask: BoolArray) -> FloatArray:
    arr = np.asarray(beta, dtype=np.float64)
    n_items = mask.shape[1]
    if arr.shape != (n_items,):
        raise ValidationError(f"beta must have one difficulty per item ({n_items}).")
    if not np.isfinite(arr[mask.any(axis=0)]).all():
        raise ValidationError("Every administered item needs a finite difficulty.")
    return arr


def _flags(values: npt.ArrayLike | None, n: int, name: str) -> BoolArray:
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(values, dtype=bool)
    if arr.shape != (n,):
        raise ValidationError(f"{name} must have {n} entries.")
    return arr


def _count(mask: BoolArray) -> IntArray:
    """True cells per row."""
    return np.add.reduce(mask.view(np.uint8), axis=1, dtype=np.int64)


def _blocks(n: int) -> range:
    """Starts of row blocks small enough for their work arrays to stay in the CPU cache."""
    return range(0, n, _BLOCK)


# --- response patterns --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Patterns:
    """Persons grouped by (administered items, raw score): the sufficient statistic for
    the posterior of θ and for its MLE, so both are computed once per group."""

    mask: BoolArray  # groups × items
    right: npt.NDArray[np.float32]  # groups × items: right answers summed over the group
    score: IntArray  # raw score of each group
    n_items: IntArray  # items administered in each group
    count: FloatArray  # persons in each group
    group_of_person: IntArray  # person → group
    members: IntArray  # persons in groups of two or more, whose answers differ
    x: BoolArray  # persons × items, right answers

    @property
    def n_groups(self) -> int:
        return int(self.count.shape[0])

    @classmethod
    def build(cls, mask: BoolArray, x: BoolArray) -> _Patterns:
        n_persons = mask.shape[0]
        score = np.add.reduce(x.view(np.uint8), axis=1, dtype=np.int64)
        keys = _pattern_keys(mask, score)
        order = np.argsort(keys)
        sorted_keys = keys[order]
        new_group = np.empty(n_persons, dtype=bool)
        new_group[0] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_group[1:])
        starts = np.flatnonzero(new_group)
        first = order[starts]
        count = np.diff(np.append(starts, n_persons))
        sorted_group = np.cumsum(new_group) - 1
        group_of_person = np.empty(n_persons, dtype=np.int64)
        group_of_person[order] = sorted_group
        group_mask = np.take(mask, first, axis=0)
        right = np.take(x, first, axis=0).astype(np.float32)
        in_multi = count[sorted_group] > 1
        members = order[in_multi]  # grouped together, in group order
        if members.size:
            segment_starts = np.flatnonzero(new_group[in_multi])
            right[count > 1] = np.add.reduceat(
                np.take(x, members, axis=0).view(np.uint8), segment_starts, axis=0, dtype=np.int32
            )
        return cls(
            mask=group_mask,
            right=right,
            score=score[first],
            n_items=_count(group_mask),
            count=count.astype(np.float64),
            group_of_person=group_of_person,
            members=members,
            x=x,
        )

    @classmethod
    def singletons(cls, mask: BoolArray, x: BoolArray) -> _Patterns:
        n_persons = mask.shape[0]
        return cls(
            mask=mask,
            right=x.astype(np.float32),
            score=np.add.reduce(x.view(np.uint8), axis=1, dtype=np.int64),
            n_items=np.add.reduce(mask.view(np.uint8), axis=1, dtype=np.int64),
            count=np.ones(n_persons),
            group_of_person=np.arange(n_persons),
            members=np.empty(0, dtype=np.int64),
            x=x,
        )


def _pattern_keys(mask: BoolArray, score: IntArray) -> npt.NDArray[np.uint64]:
    """One sortable key per person; equal keys ⇔ same administered items and score."""
    n_persons, n_items = mask.shape
    packed = np.packbits(mask, axis=1)
    if n_items <= 57:  # the mask bits and a 7-bit score fit in one 64-bit word
        words = np.zeros((n_persons, 8), dtype=np.uint8)
        words[:, : packed.shape[1]] = packed
        key = words.view(">u8")[:, 0] >> np.uint64(64 - n_items)
        return (key << np.uint64(7)) | score.astype(np.uint64)
    _, rank = np.unique(packed, axis=0, return_inverse=True)
    return rank.reshape(-1).astype(np.uint64) * np.uint64(n_items + 1) + score.astype(np.uint64)


# --- marginal maximum likelihood (EM) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PopulationFit:
    beta: FloatArray  # estimable items only, centred
    beta_se: FloatArray
    mu: float
    sigma: float
    nodes: FloatArray  # θ quadrature nodes at the solution
    extreme_counts: FloatArray  # extreme items × nodes: expected respondents N_iq
    group_mean: FloatArray  # posterior mean θ (EAP) of each group
    log_likelihood: float
    iterations: int
    converged: bool
    last_change: float


def _fit_population_model(
    patterns: _Patterns,
    estimable: BoolArray,
    extreme_items: BoolArray,
    item_score: IntArray,
    item_n: IntArray,
    score: IntArray,
    given: IntArray,
    *,
    max_iter: int,
    tol: float,
) -> _PopulationFit:
    """Bock–Aitkin EM for β (estimable items) and θ ~ N(μ, σ²), accelerated by SQUAREM.

    E-step, per pattern g on nodes θ_q = μ + σ z_q with weights w_q ∝ φ(z_q):
    f_qg ∝ exp(r_g θ_q − Σ_i m_gi log(1 + e^(θ_q − β_i))) w_q, normalised over q.
    M-step: β_i solves Σ_q N_iq P(θ_q − β_i) = s_i, where s_i is the item's number
    of right answers and N_iq = Σ_g c_g m_gi f_qg the expected number of its
    respondents at node q; μ and σ are the mean and SD of the expected node counts.
    Centring β (and μ with it) fixes the origin. EM converges linearly (σ slowest);
    SQUAREM (Varadhan & Roland 2008) extrapolates along two EM steps and keeps the
    result only if it does not lower the likelihood.
    """
    items = np.flatnonzero(estimable)
    k = items.size
    count = patterns.count
    weights = count.astype(np.float32)
    extra = patterns.mask[:, extreme_items].astype(np.float32)  # the E-step weights by c_g
    if k == 0:
        # Every item is extreme: nothing to estimate; assume a standard normal population.
        z, log_w = _standard_grid(1.0, _GRID_STEP)
        prior = np.exp(log_w)
        return _PopulationFit(
            beta=np.empty(0),
            beta_se=np.empty(0),
            mu=0.0,
            sigma=1.0,
            nodes=z,
            extreme_counts=(weights @ extra)[:, None].astype(np.float64) * prior[None, :],
            group_mean=np.zeros(patterns.n_groups),
            log_likelihood=math.nan,
            iterations=0,
            converged=True,
            last_change=0.0,
        )

    # design = [m_g | 1 | r_g] (a row per group): the log posterior is
    # [−L | log w | θ] @ designᵀ, and [m_g | 1] weighted by it gives N_iq and node totals.
    # `score` and `given` count the estimable items only.
    design = np.empty((patterns.n_groups, k + 2), dtype=np.float32)
    design[:, :k] = patterns.mask if k == patterns.mask.shape[1] else patterns.mask[:, items]
    design[:, k] = 1.0
    design[:, k + 1] = score
    s = item_score[items].astype(np.float64)
    total = float(count.sum())

    # Start (PROX-like): item logits; person logits shifted by their items' mean difficulty.
    beta = np.log((item_n[items] - s + 0.5) / (s + 0.5))
    beta -= beta.mean()
    with_items = np.maximum(given, 1)
    person = (design[:, :k] @ beta.astype(np.float32)) / with_items + np.log(
        (score + 0.5) / (with_items - score + 0.5)
    )
    start_weights = np.where(given > 0, count, 0.0)
    mu = float(np.average(person, weights=start_weights))
    spread = float(np.sqrt(np.average((person - mu) ** 2, weights=start_weights)))
    # One item cannot tell the spread of θ from its own slope: keep σ = 1 then.
    sigma = float(np.clip(spread, 0.3, 5.0)) if k > 1 else 1.0
    # A person's posterior SD is at least 2/sqrt(items given) (all P = 0.5); the
    # trapezoid rule is exact to ~1 % per person at two SDs a step, and those errors
    # average out over persons (β moves by ~1e-5).
    step = min(_GRID_STEP, _GRID_STEP_PER_SD * 2.0 / math.sqrt(max(float(given.max()), 1.0)))
    z, log_w = _standard_grid(sigma * 1.2, step)
    rhs = np.empty((z.size, k + 2), dtype=np.float32)
    rhs[:, k] = log_w

    def em_step(params: FloatArray) -> tuple[FloatArray, _EStep]:
        """One EM update of [β, μ, log σ], and the E-step at `params`."""
        beta, mu, sigma = params[:k], params[k], math.exp(params[k + 1])
        nodes = mu + sigma * z
        step = _e_step(design, rhs, beta, nodes, weights, extra)
        new_beta = _newton_items(step.expected[:, :k].T, nodes, s, beta, steps=2)
        node_n = step.expected[:, k]
        new_mu = float(node_n @ nodes / total)
        new_sigma = float(np.sqrt(node_n @ (nodes - new_mu) ** 2 / total))
        new_sigma = float(np.clip(new_sigma, _MIN_SIGMA, _MAX_SIGMA)) if k > 1 else sigma
        shift = float(new_beta.mean())
        new = np.concatenate([new_beta - shift, [new_mu - shift, math.log(new_sigma)]])
        return new, step

    def log_likelihood(step: _EStep, params: FloatArray) -> float:
        return step.log_likelihood - float(s @ params[:k])

    params = np.concatenate([beta, [mu, math.log(sigma)]])
    converged = False
    change = math.inf
    iterations = 0
    while iterations < max_iter:
        start = params
        first, step = em_step(start)
        evaluated, iterations = start, iterations + 1
        change = float(np.max(np.abs(first - start)))
        params = first
        if change < tol or iterations >= max_iter:
            converged = change < tol
            break
        second, step = em_step(first)
        evaluated, iterations = first, iterations + 1
        first_likelihood = log_likelihood(step, first)
        params = second
        if iterations >= max_iter:
            break
        r = first - start
        v = second - first - r
        alpha = min(-float(np.linalg.norm(r) / max(np.linalg.norm(v), 1e-300)), -1.0)
        jump = start - 2.0 * alpha * r + alpha**2 * v
        jump[k + 1] = np.clip(jump[k + 1], math.log(_MIN_SIGMA), math.log(_MAX_SIGMA))
        jump[:k] -= jump[:k].mean()
        if not np.isfinite(jump).all():
            continue
        stabilised, jump_step = em_step(jump)
        iterations += 1
        # float32 E-steps make the log-likelihood noisy at the 1e-7 relative level.
        slack = 1e-6 * abs(first_likelihood)
        if log_likelihood(jump_step, jump) >= first_likelihood - slack:
            step, evaluated = jump_step, jump
            change = float(np.max(np.abs(stabilised - jump)))
            params = stabilised
            if change < tol:
                converged = True
                break

    if float(np.max(np.abs(params - evaluated))) > max(tol, 1e-6):
        _, step = em_step(params)  # only after max_iter: the summaries below need it
        evaluated = params
    beta, mu, sigma = params[:k], float(params[k]), math.exp(params[k + 1])
    # The last E-step ran at `evaluated`, within tol of the solution: its counts,
    # posterior means and likelihood stand for the solution's.
    nodes = evaluated[k] + math.exp(evaluated[k + 1]) * z
    # Start persons near their MLE: the EAP shrinks towards μ by V/σ² (normal
    # approximation), so undo that shrinkage.
    var = step.group_var
    shrink = np.clip(var / (sigma**2 - np.minimum(var, 0.9 * sigma**2)), 0.0, 9.0)
    return _PopulationFit(
        beta=beta,
        beta_se=_item_se(step.expected[:, :k].T, nodes, beta),
        mu=mu,
        sigma=sigma,
        nodes=nodes,
        extreme_counts=step.extra.T,
        group_mean=step.group_mean + (step.group_mean - mu) * shrink,
        log_likelihood=log_likelihood(step, evaluated),
        iterations=iterations,
        converged=converged,
        last_change=change,
    )


@dataclass(frozen=True, slots=True)
class _EStep:
    expected: FloatArray  # nodes × (items + 1): N_iq, then the node totals
    log_likelihood: float  # Σ_g c_g log ∫ exp(r_g θ − Σ_i m_gi log(1 + e^(θ − β_i))) dF(θ)
    extra: FloatArray  # nodes × extra columns: the same counts for other items
    group_mean: FloatArray  # posterior mean of θ per group
    group_var: FloatArray  # posterior variance of θ per group


def _e_step(
    design: npt.NDArray[np.float32],
    rhs: npt.NDArray[np.float32],
    beta: FloatArray,
    nodes: FloatArray,
    weights: npt.NDArray[np.float32],
    extra: npt.NDArray[np.float32],
) -> _EStep:
    """Posterior of θ over the nodes for every group, block by block, reduced to the
    expected counts (also for the `extra` items) and each group's posterior mean and
    variance."""
    k = beta.size
    n_groups = design.shape[0]
    rhs[:, :k] = -np.logaddexp(0.0, nodes[:, None] - beta[None, :])
    rhs[:, k + 1] = nodes
    centred = nodes - nodes.mean()
    moments = np.stack([np.ones_like(centred), centred, centred**2]).astype(np.float32)
    expected = np.zeros((nodes.size, k + 1))
    extra_counts = np.zeros((nodes.size, extra.shape[1]))
    log_likelihood = 0.0
    group_mean = np.empty(n_groups)
    group_var = np.empty(n_groups)
    for lo in _blocks(n_groups):
        block = design[lo : lo + _BLOCK]
        w = weights[lo : lo + _BLOCK]
        post = rhs @ block.T  # log f, nodes × groups
        top = post.max(axis=0)
        post -= top
        # exp(−80) is still a normal float32: subnormals would slow the products 50×.
        np.maximum(post, -80.0, out=post)
        np.exp(post, out=post)
        norm, mean, square = moments @ post
        mean /= norm
        log_likelihood += float(w @ top) + float(w @ np.log(norm))
        group_var[lo : lo + _BLOCK] = square / norm - mean**2
        group_mean[lo : lo + _BLOCK] = mean + nodes.mean()
        post *= w / norm
        expected += post @ block[:, : k + 1]
        if extra.shape[1]:
            extra_counts += post @ extra[lo : lo + _BLOCK]
    return _EStep(expected, log_likelihood, extra_counts, group_mean, group_var)


def _standard_grid(sigma: float, step: float) -> tuple[FloatArray, FloatArray]:
    """Equally spaced z nodes on ±5 with log weights ∝ −z²/2 (trapezoid rule for N(0, 1)),
    about `step` logits apart for a population SD of `sigma`."""
    n_nodes = math.ceil(2 * _GRID_HALF_WIDTH * sigma / step) + 1
    z = np.linspace(-_GRID_HALF_WIDTH, _GRID_HALF_WIDTH, int(np.clip(n_nodes, *_NODES)))
    log_w = -0.5 * z**2
    return z, log_w - np.log(np.exp(log_w).sum())


def _newton_items(
    counts: FloatArray, nodes: FloatArray, target: FloatArray, beta: FloatArray, *, steps: int
) -> FloatArray:
    """Newton steps on Σ_q N_iq P(θ_q − β_i) = target_i for every item at once."""
    beta = beta.copy()
    for _ in range(steps):
        p = _probability(nodes, beta).T
        f = (counts * p).sum(axis=1) - target
        slope = (counts * p * (1.0 - p)).sum(axis=1)
        beta += np.clip(f / np.maximum(slope, 1e-300), -_MAX_STEP, _MAX_STEP)
    return beta


def _item_se(counts: FloatArray, nodes: FloatArray, beta: FloatArray) -> FloatArray:
    """SE = 1/sqrt(Σ_q N_iq P(1 − P)), the item information with θ integrated out."""
    p = _probability(nodes, beta).T
    return 1.0 / np.sqrt((counts * p * (1.0 - p)).sum(axis=1))


def _solve_items(
    counts: FloatArray, nodes: FloatArray, target: FloatArray, start: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """β solving Σ_q N_iq P(θ_q − β) = target, with its SE."""
    beta = start.astype(np.float64)
    for _ in range(100):
        new = _newton_items(counts, nodes, target, beta, steps=1)
        done = np.max(np.abs(new - beta)) < 1e-10
        beta = new
        if done:
            break
    return beta, _item_se(counts, nodes, beta)


def _probability(theta: FloatArray, beta: FloatArray) -> FloatArray:
    """P[n, i] = 1 / (1 + exp(β_i − θ_n))."""
    return 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))


# --- person measures -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GroupMeasures:
    theta: FloatArray
    se: FloatArray
    extreme: BoolArray


def _measure(
    mask: BoolArray, score: IntArray, given: IntArray, beta: FloatArray, start: FloatArray | None
) -> _GroupMeasures:
    """θ, SE and the extreme flag of each row (a group of persons) from the items in
    `mask`: MLE, or WLE for all right / all wrong; NaN for a row with no items."""
    score_f = score.astype(np.float64)
    extreme = (score == 0) | (score == given)
    finite_beta = np.nan_to_num(beta)
    if start is None:
        start = (mask @ finite_beta) / np.maximum(given, 1) + np.log(
            (score_f + 0.5) / (given - score_f + 0.5)
        )
    theta = np.full(score.size, np.nan)
    se = np.full(score.size, np.nan)
    odds_item = _odds_factors(finite_beta, np.float32)
    rows = np.flatnonzero(~extreme & (given > 0))
    for lo in _blocks(rows.size):
        block = rows[lo : lo + _BLOCK]
        theta[block], se[block] = _solve_mle(
            np.take(mask, block, axis=0), odds_item, score_f[block], start[block]
        )
    rows = np.flatnonzero(extreme & (given > 0))
    for lo in _blocks(rows.size):
        block = rows[lo : lo + _BLOCK]
        b = np.where(np.take(mask, block, axis=0), finite_beta, np.inf)  # P = 0 if not given
        theta[block], se[block] = _solve_wle(b, score_f[block], start[block])
    return _GroupMeasures(theta=theta, se=se, extreme=extreme & (given > 0))


def _odds_factors(beta: FloatArray, dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    """e^β_i, so that the odds of a wrong answer e^(β_i − θ) = e^β_i · e^−θ is a product;
    exponents are clipped to ±_EXP_LIMIT so no product leaves the normal float range."""
    return np.exp(np.clip(beta, -_EXP_LIMIT, _EXP_LIMIT)).astype(dtype)


def _masked_odds(
    odds_item: npt.NDArray[np.floating], given: npt.NDArray[np.floating]
) -> npt.NDArray[np.floating]:
    """e^β_i where the item was given (given = 1), +inf where not (given = 0): then
    P = 1/(1 + odds·e^−θ) is exactly 0 there. (A division beats np.where 4×.)"""
    with np.errstate(divide="ignore"):
        return odds_item / given


def _person_factors(theta: FloatArray, dtype: type[np.floating]) -> npt.NDArray[np.floating]:
    return np.exp(np.clip(-theta, -_EXP_LIMIT, _EXP_LIMIT)).astype(dtype)


def _solve_mle(
    mask: BoolArray, odds_item: npt.NDArray[np.float32], score: FloatArray, theta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Newton on r − Σ_i P_i(θ) = 0 with information I = Σ P(1 − P), in float32 (θ to
    about 2e-6 logits), steps clipped to ±1 logit; rows that have converged drop out.
    Returns θ and SE = 1/sqrt(I) at the final θ."""
    theta = theta.copy()
    odds = _masked_odds(odds_item, mask.astype(np.float32))  # P = 0 where not administered
    ones = np.ones(mask.shape[1], dtype=np.float32)

    def expected_and_information(rows: IntArray | None) -> tuple[FloatArray, FloatArray]:
        sub = odds if rows is None else odds[rows]
        at = theta if rows is None else theta[rows]
        p = sub * _person_factors(at, np.float32)[:, None]
        p += 1.0
        np.reciprocal(p, out=p)  # P = 1/(1 + e^(β − θ))
        expected = (p @ ones).astype(np.float64)
        np.multiply(p, p, out=p)
        return expected, np.maximum(expected - (p @ ones), 1e-12)  # Σ P(1 − P)

    info = np.ones(theta.size)
    last_step = np.zeros(theta.size)
    active: IntArray | None = None  # None: every row
    for _ in range(100):
        expected, information = expected_and_information(active)
        rows = slice(None) if active is None else active
        step = np.clip((score[rows] - expected) / information, -_MAX_STEP, _MAX_STEP)
        theta[rows] += step
        info[rows], last_step[rows] = information, step
        # Newton squares the error: after a step below _NEWTON_DONE the error is under
        # 2e-6, about the float32 noise, so the row is done.
        going = np.abs(step) >= _NEWTON_DONE
        if not going.any():
            break
        active = np.flatnonzero(going) if active is None else active[going]
    moved = np.flatnonzero(np.abs(last_step) > 1e-6)  # information at the final θ
    if moved.size:
        info[moved] = expected_and_information(moved)[1]
    return theta, 1.0 / np.sqrt(info)


def _solve_wle(
    b: FloatArray, score: FloatArray, theta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Newton on Warm's r − ΣP + J/(2I) = 0 (I = ΣW, J = ΣW(1 − 2P)), in float64, steps
    clipped to ±1 logit; returns θ and SE = 1/sqrt(I)."""
    theta = theta.copy()
    info = np.ones(theta.size)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(b - theta[:, None]))
        w = p * (1.0 - p)
        info = np.maximum(w.sum(axis=1), 1e-300)
        j = (w * (1.0 - 2.0 * p)).sum(axis=1)
        dj = (w - 6.0 * w * w).sum(axis=1)
        f = score - p.sum(axis=1) + j / (2.0 * info)
        slope = np.minimum(-info + (dj * info - j * j) / (2.0 * info * info), -0.5 * info)
        step = np.clip(-f / slope, -_MAX_STEP, _MAX_STEP)
        theta += step
        if np.max(np.abs(step)) < _PERSON_TOL:
            break
    return theta, 1.0 / np.sqrt(info)


# --- fit ---------------------------------------------------------------------------------


def _fit_statistics(
    patterns: _Patterns,
    group_theta: FloatArray,
    beta: FloatArray,
    *,
    skip_groups: BoolArray,
    skip_items: BoolArray,
    dtype: type[np.floating] = np.float32,
) -> FitStatistics:
    """Infit/outfit and ZSTD of every item and person (see FitStatistics).

    With E = e^(β − θ) = (1 − P)/P per cell: z² = E for a right answer and 1/E for a
    wrong one; (x − P)² = x − 2xP + P²; W = P − P²; C/W² = E + 1/E − 1;
    C − W² = W − 4W². E factors into e^β · e^−θ, so its sums are matrix-vector
    products of the right/wrong counts; only P, P², W² and the right count × P are
    formed cell by cell. Sums over groups give the items, sums over items the
    groups; a person in a group of several gets the group's mean plus what their
    own answers change.
    """
    n_groups, n_items = patterns.mask.shape
    skip_items = skip_items | ~np.isfinite(beta)
    finite_beta = np.where(skip_items, 0.0, beta)
    u = _odds_factors(finite_beta, np.float64)
    t = _person_factors(group_theta, np.float64)
    keep_i = (~skip_items).astype(np.float64)
    keep_g = (~skip_groups).astype(np.float64)
    count = patterns.count
    kc = keep_g * count
    odds_item = u.astype(dtype)
    vu, vu_inv = keep_i * u, keep_i / u

    # Item sums (over kept groups) and group sums (over kept items), each row one
    # quantity: Σ right·E, Σ wrong/E, Σ(x − P)², ΣW, n, Σ C/W², Σ(C − W²).
    items = np.zeros((7, n_items))
    groups = np.empty((7, n_groups))
    by_item = np.stack([keep_i, vu, vu_inv], axis=1).astype(dtype)  # v, v·e^β, v·e^−β
    for lo in _blocks(n_groups):
        hi = min(lo + _BLOCK, n_groups)
        mask = patterns.mask[lo:hi]
        given = mask.astype(dtype)
        right = patterns.right[lo:hi].astype(dtype, copy=False)
        tb, kb, cb, kcb = t[lo:hi], keep_g[lo:hi], count[lo:hi], kc[lo:hi]
        p = _masked_odds(odds_item, given)
        p *= tb.astype(dtype)[:, None]
        p += 1.0
        np.reciprocal(p, out=p)  # P, 0 where not administered
        powers = np.empty((3, hi - lo, n_items), dtype=dtype)  # P², W, W²
        np.multiply(p, p, out=powers[0])
        np.subtract(p, powers[0], out=powers[1])
        np.multiply(powers[1], powers[1], out=powers[2])
        rp = right * p
        # over groups, for the items
        r3 = np.stack([kb * tb, kb / tb, kb]).astype(dtype) @ right
        g3 = np.stack([kcb / tb, kcb * tb, kcb]).astype(dtype) @ given
        p3 = np.matmul(kcb.astype(dtype), powers)
        items[0] += u * r3[0]
        items[1] += (g3[0] - r3[1]) / u
        items[2] += r3[2] - 2.0 * (kb.astype(dtype) @ rp) + p3[0]
        items[3] += p3[1]
        items[4] += g3[2]
        items[5] += u * g3[1] + g3[0] / u
        items[6] += p3[1] - 4.0 * p3[2]
        # over items, for the groups
        rv, gv = right @ by_item, given @ by_item
        pv = (powers.reshape(-1, n_items) @ by_item[:, 0]).reshape(3, hi - lo).T
        groups[0, lo:hi] = tb * rv[:, 1]
        groups[1, lo:hi] = (cb * gv[:, 2] - rv[:, 2]) / tb
        groups[2, lo:hi] = rv[:, 0] - 2.0 * (rp @ by_item[:, 0]) + cb * pv[:, 0]
        groups[3, lo:hi] = cb * pv[:, 1]
        groups[4, lo:hi] = cb * gv[:, 0]
        groups[5, lo:hi] = cb * (tb * gv[:, 1] + gv[:, 2] / tb)
        groups[6, lo:hi] = cb * (pv[:, 1] - 4.0 * pv[:, 2])
    items[5] -= items[4]
    groups[5] -= groups[4]
    item = _mean_squares(items[0] + items[1], *items[2:])

    inv = patterns.group_of_person
    person_sums = groups[:, inv] / count[inv]
    members = patterns.members
    if members.size:
        # own = x − group mean; its effect on Σz² is t·own·(v e^β) − own·(v e^−β)/t and
        # on Σ(x − P)² is Σ v·own − 2 own·(v P_g): P_g per group, the rest per item.
        who: IntArray | slice
        if 2 * members.size >= inv.size:  # most persons: take all (own = 0 for the rest)
            who, multi, x = slice(None), np.arange(n_groups), patterns.x.astype(dtype)
        else:
            who, multi = members, np.unique(inv[members])
            x = np.take(patterns.x, members, axis=0).astype(dtype)
        g = inv[who]
        at = np.searchsorted(multi, g)
        mean_right = patterns.right[multi] / count[multi, None]
        p = _masked_odds(odds_item, np.take(patterns.mask, multi, axis=0).astype(dtype))
        p *= t[multi].astype(dtype)[:, None]
        p += 1.0
        np.reciprocal(p, out=p)
        p *= keep_i
        own_terms = x @ by_item - (mean_right @ by_item)[at]  # own · (v, v e^β, v e^−β)
        own_p = _rowwise_dot(x, p, at) - np.einsum("ij,ij->i", mean_right, p)[at]
        tg = t[g]
        person_sums[0, who] += tg * own_terms[:, 1]
        person_sums[1, who] -= own_terms[:, 2] / tg
        person_sums[2, who] += own_terms[:, 0] - 2.0 * own_p
    person = _mean_squares(person_sums[0] + person_sums[1], *person_sums[2:])

    item_nan = skip_items | np.isnan(item[0])
    person_nan = skip_groups[inv] | np.isnan(person[0])
    item = [np.where(item_nan, np.nan, s) for s in item]
    person = [np.where(person_nan, np.nan, s) for s in person]
    return FitStatistics(
        item_infit=item[1],
        item_outfit=item[0],
        item_infit_z=item[3],
        item_outfit_z=item[2],
        person_infit=person[1],
        person_outfit=person[0],
        person_infit_z=person[3],
        person_outfit_z=person[2],
    )


def _rowwise_dot(
    x: npt.NDArray[np.floating], rows: npt.NDArray[np.floating], at: IntArray
) -> FloatArray:
    """x[n] · rows[at[n]] for every n: one matrix product when `rows` is short, else by
    gathering the rows block by block."""
    if rows.shape[0] * x.shape[0] <= _DENSE_PICK_LIMIT:
        return np.take_along_axis(x @ rows.T, at[:, None], axis=1)[:, 0].astype(np.float64)
    out = np.empty(x.shape[0])
    for lo in _blocks(x.shape[0]):
        out[lo : lo + _BLOCK] = np.einsum(
            "ij,ij->i", x[lo : lo + _BLOCK], rows[at[lo : lo + _BLOCK]]
        )
    return out


def _mean_squares(
    sq_z: FloatArray,
    sq_residual: FloatArray,
    info: FloatArray,
    n: FloatArray,
    kurt_out: FloatArray,
    kurt_in: FloatArray,
) -> list[FloatArray]:
    """[outfit, infit, outfit ZSTD, infit ZSTD] from the cell sums."""
    with np.errstate(divide="ignore", invalid="ignore"):
        outfit = sq_z / n
        infit = sq_residual / info
        q2_out = kurt_out / n**2 - 1.0 / n
        q2_in = kurt_in / info**2
    return [outfit, infit, _wilson_hilferty(outfit, q2_out), _wilson_hilferty(infit, q2_in)]


def _wilson_hilferty(mean_square: FloatArray, q2: FloatArray) -> FloatArray:
    """ZSTD t = (MS^(1/3) − 1)(3/q) + q/3; 0 when q = 0 (every P = 0.5: MS is exactly 1)."""
    q = np.sqrt(np.maximum(q2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.cbrt(mean_square) - 1.0) * (3.0 / q) + q / 3.0
    return np.where(q > 0, t, np.where(np.isnan(mean_square), np.nan, 0.0))


def _separation_reliability(
    theta: FloatArray, theta_se: FloatArray, extreme: BoolArray
) -> tuple[float, float]:
    """Person separation reliability (var θ − mean SE²)/var θ over non-extreme persons,
    and the separation index sqrt(R/(1 − R)); 0 when it cannot be estimated."""
    keep = ~extreme
    if np.count_nonzero(keep) < 2:
        return 0.0, 0.0
    observed = float(np.var(theta[keep]))
    error = float(np.mean(theta_se[keep] ** 2))
    if observed <= error:
        return 0.0, 0.0
    reliability = (observed - error) / observed
    return reliability, math.sqrt(reliability / (1.0 - reliability))
