"""Streak rules: tables of edge cases, and the three forms of the rule agree on random histories."""

from __future__ import annotations

import numpy as np
import pytest

from mockexam.gamification.streaks import (
    StreakState,
    advance,
    streak_from_history,
    streaks_from_matrix,
)


@pytest.mark.parametrize(
    ("exams", "taken", "expected"),
    [
        pytest.param([], set(), StreakState(), id="no exam yet"),
        pytest.param([1], {1}, StreakState(1, 1, 1), id="first exam"),
        pytest.param([1], set(), StreakState(0, 0, None), id="first exam missed"),
        pytest.param([1, 2, 3], {1, 2, 3}, StreakState(3, 3, 3), id="three in a row"),
        pytest.param([1, 2, 3], {1, 3}, StreakState(1, 1, 3), id="missed one resets"),
        pytest.param([1, 2, 3, 4], {1, 2, 3}, StreakState(0, 3, 3), id="missed the last"),
        pytest.param([1, 2, 3, 4, 5], {1, 2, 4, 5}, StreakState(2, 2, 5), id="longest kept"),
        pytest.param([1, 2, 3, 4, 5, 6], {1, 2, 3, 5, 6}, StreakState(2, 3, 6), id="longest stays"),
        pytest.param([1, 2, 3], {2, 3}, StreakState(2, 2, 3), id="joined late"),
        # Weeks without an exam are simply not in the list: nothing changes.
        pytest.param([10, 30], {10, 30}, StreakState(2, 2, 30), id="gap weeks change nothing"),
    ],
)
def test_streak_from_history_table(exams, taken, expected):
    assert streak_from_history(exams, taken) == expected


def test_advance_is_idempotent_for_the_same_exam():
    state = advance(StreakState(2, 4, 7), exam_id=8, took_exam=True)
    assert state == StreakState(3, 4, 8)
    assert advance(state, exam_id=8, took_exam=True) == state
    missed = advance(state, exam_id=9, took_exam=False)
    assert missed == StreakState(0, 4, 8)
    assert advance(missed, exam_id=9, took_exam=False) == missed


def test_an_exam_nobody_took_resets_every_streak():
    students = [StreakState(3, 3, 1), StreakState(0, 2, 1), StreakState()]
    after = [advance(s, exam_id=2, took_exam=False) for s in students]
    assert [s.current for s in after] == [0, 0, 0]
    assert [s.longest for s in after] == [3, 2, 0]


@pytest.mark.parametrize("seed", range(5))
def test_fold_and_matrix_agree_on_random_histories(seed):
    rng = np.random.default_rng(seed)
    n_students, n_exams = 40, 25
    propensity = rng.uniform(0.1, 0.95, n_students)
    taken = rng.random((n_students, n_exams)) < propensity[:, None]
    exam_ids = list(range(100, 100 + n_exams))
    result = streaks_from_matrix(taken, thresholds=[3, 5])
    for s in range(n_students):
        took = {exam_ids[e] for e in np.flatnonzero(taken[s])}
        expected = streak_from_history(exam_ids, took)
        last = result.last_column[s]
        assert expected == StreakState(
            int(result.current[s]), int(result.longest[s]), exam_ids[last] if last >= 0 else None
        )
        for t in (3, 5):
            prefix = [
                streak_from_history(exam_ids[: c + 1], took).current >= t for c in range(n_exams)
            ]
            first = prefix.index(True) if any(prefix) else -1
            assert result.first_reached[t][s] == first
