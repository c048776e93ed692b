"""Tests for mockexam.scoring.collusion: the exact tail against enumeration, simulated honest
cohorts (few or no false pairs), planted copiers (found), the screen against the exact test
over every pair, free responses with rare shared answers, and input checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.collusion import BLANK, find_pairs, pair_p_values, upper_tail

N_ITEMS = 55


def cohort(
    n: int,
    rng: np.random.Generator,
    *,
    n_items: int = N_ITEMS,
    options: int = 4,
    blank: float = 0.03,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Honest answers: right with the Rasch probability, else a wrong option drawn from the
    item's own popularity of wrong answers (some distractors attract far more than others);
    a few blanks. Returns (responses, key, θ)."""
    theta = rng.normal(0.0, 1.0, n)
    beta = rng.normal(0.0, 1.0, n_items)
    key = rng.integers(0, options, n_items)
    p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
    right = rng.random((n, n_items)) < p
    x = np.empty((n, n_items), dtype=np.int64)
    for i in range(n_items):
        wrong = [o for o in range(options) if o != key[i]]
        popularity = rng.dirichlet(np.ones(len(wrong)) * 1.5)
        x[:, i] = np.where(right[:, i], key[i], rng.choice(wrong, size=n, p=popularity))
    x[rng.random(x.shape) < blank] = BLANK
    return x, key, theta


def plant(
    x: np.ndarray, rng: np.random.Generator, pairs: list[tuple[int, int]], share: float
) -> np.ndarray:
    """Each copier (second of a pair) takes `share` of the items' answers from its source,
    wrong ones and blanks included."""
    x = x.copy()
    for source, copier in pairs:
        items = rng.random(x.shape[1]) < share
        x[copier, items] = x[source, items]
    return x


# --- the exact tail --------------------------------------------------------------------------
def test_upper_tail_by_hand_and_against_enumeration():
    half = np.array([[0.5, 0.5]])
    assert upper_tail(half, np.array([0])).tolist() == [1.0]
    assert upper_tail(half, np.array([1])).tolist() == [0.75]
    assert upper_tail(half, np.array([2])).tolist() == [0.25]
    rng = np.random.default_rng(5)
    p = rng.random((3, 10))
    for row in range(3):
        for m in (0, 3, 7, 10):
            brute = sum(
                np.prod([p[row, i] if hit else 1 - p[row, i] for i, hit in enumerate(bits)])
                for bits in itertools.product([0, 1], repeat=10)
                if sum(bits) >= m
            )
            got = upper_tail(p[row : row + 1], np.array([m]))[0]
            assert got == pytest.approx(brute, rel=1e-12)
    # A tiny tail keeps its relative precision (no 1 − (1 − ε)).
    assert upper_tail(np.full((1, 40), 0.01), np.array([40]))[0] == pytest.approx(1e-80, rel=1e-9)


# --- simulated cohorts -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_honest_cohort_flags_next_to_nobody(seed):
    rng = np.random.default_rng(seed)
    x, key, theta = cohort(2000, rng)
    assert len(find_pairs(x, key, theta)) <= 1


def test_planted_copiers_are_found_and_named_with_their_evidence():
    rng = np.random.default_rng(7)
    x, key, _theta = cohort(2000, rng)
    planted = [(2 * k, 2 * k + 1001) for k in range(10)]
    x = plant(x, rng, planted, share=0.9)
    found = find_pairs(x, key)  # abilities from the answers given, as at release
    hits = {(p.a, p.b) for p in found} & set(planted)
    # One in ten or so copies its source's right answers mostly (an able source): those
    # agreements are what an able copier gives anyway, and the test lets them be.
    assert len(hits) >= 8
    assert len(found) <= len(hits) + 1
    first = found[0]
    assert first.p_value <= found[-1].p_value
    row_a, row_b = x[first.a], x[first.b]
    alike = (row_a == row_b) & (row_a != BLANK)
    assert first.matches == int(alike.sum())
    assert first.identical_wrong == int((alike & (row_a != key)).sum())
    assert first.expected < first.matches


def test_detection_grows_with_the_share_copied():
    rng = np.random.default_rng(8)
    x, key, _theta = cohort(2000, rng)
    rates = []
    for share in (0.3, 0.6, 0.9):
        planted = [(k, 1000 + k) for k in range(20)]
        flagged = {(p.a, p.b) for p in find_pairs(plant(x, rng, planted, share), key)}
        rates.append(len(flagged & set(planted)) / len(planted))
    assert rates == sorted(rates)
    assert rates[0] < rates[-1] and rates[-1] >= 0.8


def test_the_screen_keeps_every_pair_the_exact_test_over_all_pairs_flags():
    rng = np.random.default_rng(9)
    x, key, theta = cohort(400, rng)
    planted = [(k, 200 + k) for k in range(12)]
    # Copiers of every strength, the weak ones right at the edge of detection.
    for (source, copier), share in zip(planted, np.linspace(0.25, 0.85, 12), strict=True):
        x = plant(x, rng, [(source, copier)], float(share))
    alpha = 1e-3  # a loose level: more pairs near the line
    pairs, p_values = pair_p_values(x, key, theta)
    threshold = alpha / len(pairs)
    exact = {
        tuple(pair) for pair, p in zip(pairs.tolist(), p_values, strict=True) if p <= threshold
    }
    screened = {(p.a, p.b) for p in find_pairs(x, key, theta, alpha=alpha)}
    assert exact, "the check needs flagged pairs"
    assert screened == exact


def test_free_responses_with_many_distinct_answers_are_compared_exactly():
    """Free-response items: a right answer, a few common mistakes and many one-off answers
    (counted pair by pair, not as one-hot columns). A copier of 70 % of the answers, the
    odd ones included, is found; the honest rest is not."""
    rng = np.random.default_rng(10)
    n = 3000
    x, key, theta = cohort(n, rng, n_items=45)
    free = np.empty((n, 10), dtype=np.int64)
    ability = 1.0 / (1.0 + np.exp(-theta))
    for j in range(10):
        right = rng.random(n) < ability
        common = rng.integers(1, 4, n)
        odd = 1000 + j * 10_000 + rng.integers(0, 5000, n)  # one-off answers
        free[:, j] = np.where(right, 0, np.where(rng.random(n) < 0.6, common, odd))
    x, key = np.hstack([x, free]), np.concatenate([key, np.zeros(10, dtype=np.int64)])
    x = plant(x, rng, [(5, 6)], share=0.7)
    found = find_pairs(x, key)
    assert [(p.a, p.b) for p in found][:1] == [(5, 6)]
    assert len(found) <= 2
    assert found[0].matches == int(((x[5] == x[6]) & (x[5] != BLANK)).sum())


def test_without_abilities_they_are_calibrated_here():
    rng = np.random.default_rng(11)
    x, key, _theta = cohort(600, rng)
    x = plant(x, rng, [(1, 2)], share=0.9)
    assert (1, 2) in {(p.a, p.b) for p in find_pairs(x, key)}


@pytest.mark.parametrize(
    ("responses", "key", "theta", "alpha", "words"),
    [
        (np.zeros((1, 3), dtype=int), np.zeros(3, dtype=int), None, 1e-6, "2 persons"),
        (np.zeros((3, 3)), np.zeros(3, dtype=int), None, 1e-6, "integer codes"),
        (np.zeros((3, 3), dtype=int), np.zeros(2, dtype=int), None, 1e-6, "one code per item"),
        (np.full((3, 3), -2), np.zeros(3, dtype=int), None, 1e-6, "codes are ≥ 0"),
        (np.zeros((3, 3), dtype=int), np.zeros(3, dtype=int), [0.0, np.nan, 1.0], 1e-6, "finite"),
        (np.zeros((3, 3), dtype=int), np.zeros(3, dtype=int), None, 0.0, "alpha"),
    ],
)
def test_bad_input_is_refused_clearly(responses, key, theta, alpha, words):
    with pytest.raises(ValidationError) as err:
        find_pairs(responses, key, theta, alpha=alpha)
    assert words in str(err.value)
