"""Copying detection: pairs of students who agree more than independent work explains, numpy only.

For two students a and b the evidence is the number M of items on which they gave the
same answer (both answered; a blank is not an answer). Taking b as the one who might
have copied from a (the ω index, Wollack 1997, with the answer model below), each item
is an independent trial: b, working alone, gives a's answer with probability

    p_i = P_b(a's answer to i),

so M is a sum of independent Bernoulli trials (a Poisson–binomial variable) and the
p-value of m agreements is P(M ≥ m), computed exactly. Who copied from whom is not
known: both directions are tested and the smaller p-value, doubled (Bonferroni over
the two), is the pair's. Conditioning on a's actual answers is what makes the test
strong: agreeing on a right answer an able student would give anyway weighs little,
agreeing on a wrong answer few of b's peers chose weighs much.

The answer probabilities follow the Rasch model and what the cohort actually answered:

    P_b(right)   = σ(θ_b − β_i),
    P_b(wrong k) = (1 − P_b(right)) · w_s,i,k,

where w_s,i,k is the share of wrong answer k among the wrong answers to item i of the
students in b's ability stratum s (ten strata by θ), pulled toward the item's share over
everyone (a stratum sees few of a rare answer). β_i is solved from the answers given θ
(expected right answers = observed).

A pair is flagged when p ≤ alpha / (number of pairs): Bonferroni over every pair, so
`alpha` is the family-wise chance that any pair of honest students is flagged.

10,000 students are 50 million pairs; testing each exactly would take minutes. The
agreements M and their expectations E (both directions) for every pair are instead
matrix products over blocks of rows — one-hot answers against one-hot answers for M,
one-hot answers against every student's probability of each answer for E — and only
pairs whose excess agreement reaches `SCREEN_Z` standard deviations (the variance
over-estimated, so a pair's screening z is below its real one) are tested exactly.
Answers so rare that a one-hot column would be wasted on them (a free response almost
nobody wrote) are counted pair by pair for M and left out of E (which only raises the
screening z). The tests check on whole cohorts that the screen keeps every pair the
exact test over all pairs flags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError

BLANK = -1
STRATA = 10
SHRINK = 5.0  # pseudo-answers pulling a stratum's wrong-answer shares to the item's
SCREEN_Z = 3.0  # pairs below this excess agreement (in SDs, variance over-estimated) are cleared
BLOCK_ROWS = 1024
DENSE_MIN_SHARE = 0.002  # an answer given by fewer than this share of students is counted pairwise
MAX_NEWTON = 30

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pair:
    """Two students (row indexes, a < b) whose agreement is improbable for independent work."""

    a: int
    b: int
    matches: int  # items both answered alike (right or wrong)
    identical_wrong: int  # ... of them the same wrong answer
    expected: float  # agreements expected for independent work
    p_value: float  # P(M ≥ matches) under independence


@dataclass(frozen=True, slots=True)
class _Model:
    right: FloatArray  # P_a(right) on items a answered, 0 on blanks
    wrong: FloatArray  # 1 − P_a(right) on items a answered, 0 on blanks
    stratum: IntArray
    codes: list[IntArray]  # per item: its wrong answers' codes, sorted
    shares: list[FloatArray]  # per item: strata × codes, w_s,i,k


def _check(
    responses: npt.ArrayLike, key: npt.ArrayLike, theta: npt.ArrayLike | None, alpha: float
) -> tuple[IntArray, IntArray, FloatArray | None]:
    x = np.asarray(responses)
    k = np.asarray(key)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValidationError("responses must be a persons × items matrix with 2 persons or more")
    if not (np.issubdtype(x.dtype, np.integer) and np.issubdtype(k.dtype, np.integer)):
        raise ValidationError("responses and key must be integer codes (−1 for a blank)")
    if k.shape != (x.shape[1],):
        raise ValidationError(f"key must have one code per item ({x.shape[1]}), not {k.shape}")
    if (x < BLANK).any() or (k < 0).any():
        raise ValidationError("codes are ≥ 0 (−1 is a blank; the key has no blanks)")
    if not 0 < alpha < 1:
        raise ValidationError("alpha must be between 0 and 1")
    t = None
    if theta is not None:
        t = np.asarray(theta, dtype=np.float64)
        if t.shape != (x.shape[0],) or not np.isfinite(t).all():
            raise ValidationError("theta must hold one finite ability per person")
    return x.astype(np.int64), k.astype(np.int64), t


def _abilities(right: FloatArray, answered: npt.NDArray[np.bool_]) -> FloatArray:
    """θ from a Rasch calibration of the right/wrong matrix (blanks wrong)."""
    from mockexam.scoring.rasch import calibrate

    theta = calibrate(np.where(answered, right, 0.0)).theta
    return np.where(np.isfinite(theta), theta, 0.0)


def _difficulties(
    theta: FloatArray, right: FloatArray, answered: npt.NDArray[np.bool_]
) -> FloatArray:
    """β per item with θ fixed: Σ P = observed right answers over those who answered."""
    n = answered.sum(axis=0)
    score = np.where(answered, right, 0.0).sum(axis=0)
    # Items answered all right or all wrong: half an answer off the extreme (finite β).
    score = np.clip(score, 0.5, np.maximum(n - 0.5, 0.5))
    beta = np.zeros(right.shape[1])
    for _ in range(MAX_NEWTON):
        p = 1.0 / (1.0 + np.exp(np.clip(beta[None, :] - theta[:, None], -30, 30)))
        p = np.where(answered, p, 0.0)
        step = (p.sum(axis=0) - score) / np.maximum((p * (1.0 - p)).sum(axis=0), 1e-9)
        beta += np.clip(step, -1.0, 1.0)
        if np.abs(step).max() < 1e-6:
            break
    return beta


def _model(x: IntArray, key: IntArray, theta: FloatArray | None) -> _Model:
    answered = x != BLANK
    right = (x == key[None, :]).astype(np.float64)
    if theta is None:
        theta = _abilities(right, answered)
    beta = _difficulties(theta, right, answered)
    p = 1.0 / (1.0 + np.exp(np.clip(beta[None, :] - theta[:, None], -30, 30)))
    edges = np.quantile(theta, np.linspace(0, 1, STRATA + 1)[1:-1])
    stratum = np.searchsorted(edges, theta, side="right").astype(np.int64)
    wrong_given = answered & (x != key[None, :])
    codes: list[IntArray] = []
    shares: list[FloatArray] = []
    for i in range(x.shape[1]):
        rows = np.flatnonzero(wrong_given[:, i])
        item_codes, code_of = np.unique(x[rows, i], return_inverse=True)
        counts = np.zeros((STRATA, item_codes.size))
        np.add.at(counts, (stratum[rows], code_of), 1.0)
        overall = counts.sum(axis=0) / max(counts.sum(), 1.0)
        codes.append(item_codes.astype(np.int64))
        shares.append(
            (counts + SHRINK * overall[None, :]) / (counts.sum(axis=1, keepdims=True) + SHRINK)
        )
    return _Model(
        right=np.where(answered, p, 0.0),
        wrong=np.where(answered, 1.0 - p, 0.0),
        stratum=stratum,
        codes=codes,
        shares=shares,
    )


def _answer_columns(
    x: IntArray, key: IntArray, model: _Model
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], IntArray]:
    """One-hot columns of the answers at least DENSE_MIN_SHARE of students gave (and ≥ 2),
    every student's probability of giving each of those answers, and the pairs that
    share a rarer answer (a, b, how many such answers), a < b."""
    n_persons, n_items = x.shape
    floor = max(2, math.ceil(DENSE_MIN_SHARE * n_persons))
    onehot: list[npt.NDArray[np.bool_]] = []
    chance: list[FloatArray] = []
    rare_pairs: list[IntArray] = []
    for i in range(n_items):
        col = x[:, i]
        codes, counts = np.unique(col[col != BLANK], return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            if count >= floor:
                onehot.append(col == code)
                if code == key[i]:
                    chance.append(model.right[:, i])
                else:
                    j = int(np.searchsorted(model.codes[i], code))
                    chance.append(model.wrong[:, i] * model.shares[i][model.stratum, j])
            elif count >= 2:
                rows = np.flatnonzero(col == code)
                a, b = np.triu_indices(rows.size, k=1)
                rare_pairs.append(np.stack([rows[a], rows[b]], axis=1))
    if onehot:
        dense = np.stack(onehot, axis=1).astype(np.float32)
        probability = np.stack(chance, axis=1).astype(np.float32)
    else:
        dense = probability = np.zeros((n_persons, 0), dtype=np.float32)
    if not rare_pairs:
        return dense, probability, np.zeros((0, 3), dtype=np.int64)
    pairs = np.concatenate(rare_pairs)
    keys = pairs[:, 0] * n_persons + pairs[:, 1]
    unique, counts = np.unique(keys, return_counts=True)
    return dense, probability, np.stack([unique // n_persons, unique % n_persons, counts], 1)


def _candidates(x: IntArray, key: IntArray, model: _Model) -> IntArray:
    """Pairs (a, b), a < b, whose screening z reaches SCREEN_Z in either direction.

    Per block of rows only the columns from the block's first row on are computed (the
    pairs a < b), into buffers reused from block to block. The direction with the smaller
    expectation is the one screened: for a given number of agreements its z is the larger
    (the variance bound grows with E while E < n/2, where every suspicious pair lies).
    """
    n_persons = x.shape[0]
    onehot, probability, rare = _answer_columns(x, key, model)
    answered = (x != BLANK).astype(np.float32)
    found: list[IntArray] = []
    rare_rows = rare[:, 0] if rare.size else np.zeros(0, dtype=np.int64)
    rows_max = min(BLOCK_ROWS, n_persons)
    buffers = [np.empty((rows_max, n_persons), dtype=np.float32) for _ in range(3)]
    limit = np.float32(SCREEN_Z * SCREEN_Z)
    for start in range(0, n_persons, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_persons)
        width = n_persons - start
        matches, expected, work = (b[: stop - start, :width] for b in buffers)
        np.matmul(onehot[start:stop], onehot[start:].T, out=matches)
        if rare.size:
            inside = (rare_rows >= start) & (rare_rows < stop)
            np.add.at(matches, (rare[inside, 0] - start, rare[inside, 1] - start), rare[inside, 2])
        np.matmul(onehot[start:stop], probability[start:].T, out=expected)  # b gives a's
        np.matmul(probability[start:stop], onehot[start:].T, out=work)  # a gives b's
        np.minimum(expected, work, out=expected)
        np.matmul(answered[start:stop], answered[start:].T, out=work)
        np.maximum(work, 1.0, out=work)
        # Var = Σp(1 − p) ≤ E − E²/n (Cauchy–Schwarz: Σp² ≥ (Σp)²/n): an over-estimate.
        np.divide(expected, work, out=work)
        np.subtract(1.0, work, out=work)
        np.multiply(work, expected, out=work)
        np.maximum(work, 0.25, out=work)
        np.subtract(matches, expected, out=matches)  # the excess agreement
        hit = matches > 0
        np.multiply(matches, matches, out=expected)
        np.multiply(work, limit, out=work)
        hit &= expected >= work
        a, b = np.nonzero(hit)
        a += start
        b += start
        keep = b > a
        found.append(np.stack([a[keep], b[keep]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def _copy_probabilities(
    x: IntArray, key: IntArray, model: _Model, source: IntArray, copier: IntArray
) -> FloatArray:
    """P(copier, alone, gives source's answer) per pair and item; 0 where either is blank."""
    out = np.zeros((source.size, x.shape[1]))
    for i in range(x.shape[1]):
        given = x[source, i]
        both = (given != BLANK) & (x[copier, i] != BLANK)
        right = given == key[i]
        out[:, i] = np.where(right, model.right[copier, i], 0.0)
        wrong = both & ~right
        if wrong.any() and model.codes[i].size:
            j = np.clip(np.searchsorted(model.codes[i], given[wrong]), 0, model.codes[i].size - 1)
            out[wrong, i] = (
                model.wrong[copier[wrong], i] * model.shares[i][model.stratum[copier[wrong]], j]
            )
        out[~both, i] = 0.0
    return out


def _pair_p_values(
    x: IntArray, key: IntArray, model: _Model, pairs: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Agreements, identical wrong answers, the expected agreements (of the likelier copying
    direction) and the p-value (the smaller direction's, doubled) of each pair."""
    a, b = pairs[:, 0], pairs[:, 1]
    alike = (x[a] != BLANK) & (x[b] != BLANK) & (x[a] == x[b])
    matches = alike.sum(axis=1)
    identical_wrong = (alike & (x[a] != key[None, :])).sum(axis=1)
    b_copies = _copy_probabilities(x, key, model, a, b)
    a_copies = _copy_probabilities(x, key, model, b, a)
    p_b, p_a = upper_tail(b_copies, matches), upper_tail(a_copies, matches)
    expected = np.where(p_b <= p_a, b_copies.sum(axis=1), a_copies.sum(axis=1))
    return matches, identical_wrong, expected, np.minimum(2.0 * np.minimum(p_a, p_b), 1.0)


def upper_tail(p: FloatArray, observed: IntArray) -> FloatArray:
    """P(M ≥ observed) for M a sum of independent Bernoulli(p[c, i]) over i, per row c."""
    p = np.asarray(p, dtype=np.float64)
    n_rows, n_items = p.shape
    dist = np.zeros((n_rows, n_items + 1))
    dist[:, 0] = 1.0
    for i in range(n_items):
        q = p[:, i : i + 1]
        dist[:, 1:] = dist[:, 1:] * (1.0 - q) + dist[:, :-1] * q
        dist[:, 0] *= 1.0 - q[:, 0]
    index = np.arange(n_items + 1)[None, :]
    tail = np.where(index >= np.asarray(observed)[:, None], dist, 0.0).sum(axis=1)
    return np.minimum(tail, 1.0)


def find_pairs(
    responses: npt.ArrayLike,
    key: npt.ArrayLike,
    theta: npt.ArrayLike | None = None,
    *,
    alpha: float = 1e-6,
) -> list[Pair]:
    """Pairs of students whose agreement is improbable for independent work, most
    improbable first.

    `responses`: persons × items integer codes, −1 for a blank (multiple choice 0–3 for
    A–D; a free response: any integer standing for one normalised answer); `key`: the
    right code per item; `theta`: the students' abilities (the exam's calibration; None:
    calibrated here). `alpha`: the family-wise level over all pairs.
    """
    x, k, t = _check(responses, key, theta, alpha)
    model = _model(x, k, t)
    pairs = _candidates(x, k, model)
    if pairs.size == 0:
        return []
    matches, identical_wrong, expected, p_values = _pair_p_values(x, k, model, pairs)
    n_pairs = x.shape[0] * (x.shape[0] - 1) / 2
    flagged = np.flatnonzero(p_values <= alpha / n_pairs)
    a, b = pairs[:, 0], pairs[:, 1]
    order = flagged[np.lexsort((b[flagged], a[flagged], p_values[flagged]))]
    return [
        Pair(
            a=int(a[c]),
            b=int(b[c]),
            matches=int(matches[c]),
            identical_wrong=int(identical_wrong[c]),
            expected=float(expected[c]),
            p_value=float(p_values[c]),
        )
        for c in order
    ]


def pair_p_values(
    responses: npt.ArrayLike, key: npt.ArrayLike, theta: npt.ArrayLike | None = None
) -> tuple[IntArray, FloatArray]:
    """Every pair (a < b) and its exact p-value, with no screen: the reference the screen is
    checked against (small cohorts only: it is quadratic in memory)."""
    x, k, t = _check(responses, key, theta, 0.5)
    model = _model(x, k, t)
    a, b = np.triu_indices(x.shape[0], k=1)
    pairs = np.stack([a, b], axis=1).astype(np.int64)
    return pairs, _pair_p_values(x, k, model, pairs)[3]
