"""Tests for mockexam.scoring.linking: hand-computed cases, drift, the not-linked case, input
checks, and a simulated sequence of weekly forms with known truth (the cohort's growth is
recovered on the linked scale, and lost without it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.linking import MAX_DISPLACEMENT, MIN_COMMON, link
from mockexam.scoring.rasch import calibrate


# --- hand cases ------------------------------------------------------------------------------
def test_a_form_easier_by_a_constant_links_by_that_constant():
    anchor = {"A": -1.0, "B": -0.5, "C": 0.0, "D": 0.5, "E": 1.0, "only-old": 2.0}
    new = {c: b - 0.8 for c, b in anchor.items() if c != "only-old"} | {"only-new": 3.0}
    result = link(anchor, new)
    assert result.linked
    assert result.shift == pytest.approx(0.8)
    assert result.shift_se == pytest.approx(0.0, abs=1e-12)
    assert (result.used, result.dropped, result.common) == (("A", "B", "C", "D", "E"), (), 5)
    assert all(abs(d) < 1e-12 for d in result.displacement.values())


def test_the_shift_is_the_mean_difference_and_its_se_the_spread():
    # Differences anchor − new: 0.1, 0.3, 0.2, 0.4, 0.0 → mean 0.2, sd 0.1581, se 0.0707.
    anchor = {"A": 0.1, "B": 0.3, "C": 0.2, "D": 0.4, "E": 0.0}
    new = dict.fromkeys(anchor, 0.0)
    result = link(anchor, new)
    assert result.shift == pytest.approx(0.2)
    assert result.shift_se == pytest.approx(math.sqrt(0.025) / math.sqrt(5))
    assert result.displacement == pytest.approx(
        {"A": -0.1, "B": 0.1, "C": 0.0, "D": 0.2, "E": -0.2}
    )


def test_items_standard_errors_are_a_floor_for_the_shifts():
    anchor = dict.fromkeys("ABCDE", 0.5)
    new = dict.fromkeys("ABCDE", 0.0)
    result = link(anchor, new, new_se=dict.fromkeys("ABCDE", 0.2))
    assert result.shift == pytest.approx(0.5)
    assert result.shift_se == pytest.approx(math.sqrt(5 * 0.04) / 5)


def test_a_drifted_item_is_dropped_and_the_rest_link():
    # Six stable items at a shift of 0.3 and one (F) that moved by 1.2 logits.
    anchor = {c: float(i) / 4 for i, c in enumerate("ABCDEFG")}
    new = {c: b - 0.3 for c, b in anchor.items()}
    new["F"] -= 1.2
    result = link(anchor, new)
    assert result.dropped == ("F",)
    assert result.used == ("A", "B", "C", "D", "E", "G")
    assert result.shift == pytest.approx(0.3)
    assert result.displacement["F"] == pytest.approx(1.2)


def test_drift_is_dropped_worst_first_until_everything_left_is_within_the_limit():
    anchor = dict.fromkeys("ABCDEFGH", 0.0)
    new = dict.fromkeys("ABCDEFGH", 0.0)
    new["B"], new["G"] = -2.0, 1.0  # B is the worse; once it is gone G still stands out
    result = link(anchor, new)
    assert result.dropped == ("B", "G")
    assert result.shift == pytest.approx(0.0)
    # A displacement of exactly the limit is kept.
    new = dict.fromkeys("ABCDEF", 0.0)
    anchor = dict.fromkeys("ABCDEF", 0.0) | {"A": 0.6}
    # mean shift = 0.1, A's displacement = 0.5 = the limit: kept.
    assert link(anchor, new, max_displacement=0.5).dropped == ()


def test_too_few_common_items_leave_the_form_on_its_own_scale():
    anchor = dict.fromkeys("ABCD", 0.0)
    result = link(anchor, dict.fromkeys("ABCD", -0.4))
    assert not result.linked
    assert (result.shift, result.shift_se, result.common) == (None, None, 4)
    # Enough common items, but after the drifted ones go too few are left.
    anchor = dict.fromkeys("ABCDEF", 0.0)
    new = {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0, "E": 2.0, "F": -2.0}
    result = link(anchor, new)
    assert not result.linked and len(result.used) < MIN_COMMON and result.dropped
    assert link({}, {}).common == 0


@pytest.mark.parametrize(
    ("anchor", "new", "kwargs", "words"),
    [
        ({"A": float("nan")}, {"A": 0.0}, {}, "not finite"),
        ({"A": 0.0}, {"": 0.0}, {}, "non-empty strings"),
        ({"A": 0.0}, {"A": float("inf")}, {}, "not finite"),
        ({}, {}, {"max_displacement": 0.0}, "positive"),
        ({}, {}, {"min_common": 0}, "at least 1"),
    ],
)
def test_bad_input_is_refused_clearly(anchor, new, kwargs, words):
    with pytest.raises(ValidationError) as err:
        link(anchor, new, **kwargs)
    assert words in str(err.value)


# --- a simulated sequence of weekly forms --------------------------------------------------
def weekly_forms(rng: np.random.Generator, *, n_forms: int, drifted: tuple[int, str] | None):
    """Weekly forms of 40 items from a bank on one true scale: 12 items of each form come
    back from the forms before (the common items), 28 are new; each week's new items are
    harder or easier than the last's (a paper's difficulty varies); the cohort grows
    (mean ability +0.15 a week, 1,200 then +150 students a week). `drifted`: (form, code)
    of a common item whose true difficulty moved by 1.5 logits that week (a leaked or
    edited question)."""
    bank: dict[str, float] = {}
    forms = []
    offsets = [0.0, 0.6, -0.4, 0.9, 0.2, -0.7][:n_forms]
    for week, offset in enumerate(offsets):
        fresh = {f"W{week}-{k:02d}": float(rng.normal(offset, 1.0)) for k in range(28)}
        old = sorted(bank)
        common = list(rng.choice(old, size=12, replace=False)) if old else []
        if not old:  # the first form: 40 new items
            fresh |= {f"W0-{k:02d}": float(rng.normal(offset, 1.0)) for k in range(28, 40)}
        bank |= fresh
        items = {c: bank[c] for c in common} | fresh
        if drifted is not None and drifted[0] == week and common:
            code = common[0]
            items[code] = bank[code] + 1.5
            drifted = (week, code)
        n = 1200 + 150 * week
        mean = 0.15 * week
        theta = rng.normal(mean, 1.0, n)
        codes = list(items)
        beta = np.array([items[c] for c in codes])
        p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
        x = (rng.random(p.shape) < p).astype(float)
        forms.append((codes, x, mean, beta))
    return forms, drifted


def run_sequence(seed: int, *, drifted: tuple[int, str] | None = None):
    """Calibrate each form alone, link it onto the bank of linked difficulties (the first
    form defines the scale; a code keeps the first linked value it got), and return per
    form: the true cohort mean on the linked scale, the linked estimate, the unlinked
    estimate, and the Link."""
    rng = np.random.default_rng(seed)
    forms, drifted = weekly_forms(rng, n_forms=6, drifted=drifted)
    linked_bank: dict[str, float] = {}
    out = []
    origin = None
    for codes, x, true_mean, true_beta in forms:
        cal = calibrate(x)
        own = dict(zip(codes, cal.beta.tolist(), strict=True))
        if not linked_bank:
            shift, result = 0.0, None
            origin = float(np.mean(true_beta))  # form 0's items centred at 0: the scale's 0
        else:
            result = link(linked_bank, own)
            assert result.linked
            shift = result.shift
        for code, beta in own.items():
            linked_bank.setdefault(code, beta + shift)
        out.append((true_mean - origin, cal.population_mean + shift, cal.population_mean, result))
    return out, drifted


def test_linking_recovers_the_cohorts_growth_across_forms_of_different_difficulty():
    errors_linked, errors_alone = [], []
    for seed in (11, 12, 13):
        sequence, _ = run_sequence(seed)
        for truth, linked, alone, _result in sequence[1:]:
            errors_linked.append(linked - truth)
            errors_alone.append(alone - truth)
    linked_rmse = math.sqrt(np.mean(np.square(errors_linked)))
    alone_rmse = math.sqrt(np.mean(np.square(errors_alone)))
    assert linked_rmse < 0.06, errors_linked  # a few hundredths of a logit
    assert max(abs(e) for e in errors_linked) < 0.12
    assert alone_rmse > 5 * linked_rmse  # the papers' difficulty swamps the growth otherwise


def test_a_drifted_common_item_is_dropped_in_the_simulation():
    sequence, (week, code) = run_sequence(21, drifted=(3, ""))
    result = sequence[week][3]
    assert code in result.dropped
    assert result.displacement[code] == pytest.approx(-1.5, abs=MAX_DISPLACEMENT)
    truth, linked, *_ = sequence[week]
    assert abs(linked - truth) < 0.12
    # The other weeks dropped nothing or next to nothing.
    assert sum(len(s[3].dropped) for i, s in enumerate(sequence[1:], 1) if i != week) <= 1
