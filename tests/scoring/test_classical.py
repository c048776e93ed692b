"""Tests for mockexam.scoring.classical: hand-computed alpha, SEM, facility,
item–rest discrimination and option counts."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from mockexam.errors import ValidationError
from mockexam.scoring import classical
from mockexam.scoring.classical import item_statistics, option_counts, option_counts_by_item

NAN = float("nan")
MATRIX = [
    [1, 1, 1, 0],
    [1, 0, 1, 0],
    [1, 1, 0, 1],
    [0, 0, 1, 0],
    [1, 1, 1, 1],
    [0, 0, 0, 0],
]


def test_alpha_and_sem_match_the_textbook_formula():
    result = classical.test_statistics(MATRIX)
    totals = [sum(row) for row in MATRIX]
    item_vars = [statistics.variance(col) for col in zip(*MATRIX, strict=True)]
    total_var = statistics.variance(totals)
    k = len(MATRIX[0])
    alpha = k / (k - 1) * (1 - sum(item_vars) / total_var)
    assert result.alpha == pytest.approx(alpha, abs=1e-12)
    assert result.sd == pytest.approx(math.sqrt(total_var), abs=1e-12)
    assert result.sem == pytest.approx(math.sqrt(total_var) * math.sqrt(1 - alpha), abs=1e-12)
    assert result.mean == pytest.approx(statistics.mean(totals))
    assert (result.n_persons, result.n_items) == (6, 4)


def test_alpha_ignores_an_excluded_column():
    with_column = [[*row, NAN] for row in MATRIX]
    assert classical.test_statistics(with_column).alpha == pytest.approx(
        classical.test_statistics(MATRIX).alpha, abs=1e-12
    )
    assert classical.test_statistics(with_column).n_items == 4


def test_alpha_is_nan_when_undefined():
    assert math.isnan(classical.test_statistics([[1, 0, 1]]).alpha)  # one person
    assert math.isnan(classical.test_statistics([[1], [0], [1]]).alpha)  # one item
    assert math.isnan(classical.test_statistics([[1, 1], [1, 1]]).alpha)  # no variance


def test_facility_counts_only_the_persons_given_the_item():
    result = item_statistics([[1, 0, NAN], [1, NAN, NAN], [0, 1, NAN], [1, 1, NAN]])
    np.testing.assert_allclose(result.facility[:2], [0.75, 2 / 3])
    assert math.isnan(result.facility[2])
    assert result.n_responses.tolist() == [4, 3, 0]
    assert result.n_right.tolist() == [3, 2, 0]


def test_discrimination_is_the_item_rest_correlation():
    result = item_statistics(MATRIX)
    for i in range(4):
        item = [row[i] for row in MATRIX]
        rest = [sum(row) - row[i] for row in MATRIX]
        assert result.discrimination[i] == pytest.approx(
            statistics.correlation(item, rest), abs=1e-12
        )


def test_discrimination_with_missing_cells_uses_the_persons_given_the_item():
    x = [[1, 1, 0], [0, NAN, 0], [1, 0, 1], [0, 0, NAN], [1, 1, 1]]
    result = item_statistics(x)
    rows = [0, 2, 3, 4]  # the persons given item 1
    item = [x[r][1] for r in rows]
    rest = [np.nansum(x[r]) - x[r][1] for r in rows]
    assert result.discrimination[1] == pytest.approx(statistics.correlation(item, rest), abs=1e-12)


def test_discrimination_is_negative_for_an_item_the_weak_get_right():
    x = np.array(MATRIX, dtype=float)
    x[:, 3] = [0, 0, 0, 1, 0, 1]
    assert item_statistics(x).discrimination[3] < 0


def test_discrimination_is_nan_without_variance():
    result = item_statistics([[1, 1, 0], [1, 0, 0], [1, 1, 1]])
    assert math.isnan(result.discrimination[0])  # everyone right


def test_option_counts_match_case_insensitively_and_count_blanks():
    counts = option_counts(["A", "b", " B ", "", None, "d", "E", "a"], ["A", "B", "C", "D"])
    assert counts.counts == (2, 2, 0, 1)
    assert (counts.blank, counts.other) == (2, 1)
    assert counts.items() == [("A", 2), ("B", 2), ("C", 0), ("D", 1), ("", 2), ("other", 1)]
    assert option_counts(["A"], ["A", "B"]).items() == [("A", 1), ("B", 0), ("", 0)]


def test_option_counts_by_item():
    choices = np.array([["A", "C"], ["A", ""], ["B", "c"]], dtype=object)
    first, second = option_counts_by_item(choices, [["A", "B"], ["A", "B", "C"]])
    assert first.counts == (2, 1) and second.counts == (0, 0, 2) and second.blank == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: item_statistics([1, 0, 1]),
        lambda: item_statistics([[1, 2]]),
        lambda: classical.test_statistics(np.zeros((0, 3))),
        lambda: option_counts(["A"], ["A", "a"]),
        lambda: option_counts([["A"]], ["A"]),
        lambda: option_counts_by_item([["A", "B"]], [["A", "B"]]),
    ],
)
def test_bad_input_raises_validation_error(call):
    with pytest.raises(ValidationError):
        call()
