"""Classical test theory: facility, item–rest discrimination, Cronbach's alpha, SEM and
option-choice counts, numpy only.

Responses are a persons × items matrix of 1 (right), 0 (wrong) and NaN (never
administered, e.g. an item the admin excluded). Missing cells are left out of
every sum: an item's statistics use the persons who were given it, and alpha
uses pairwise-complete covariances (identical to the textbook formula when
nothing is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ItemStatistics:
    """Per-item classical statistics; NaN where undefined (no responses, no variance)."""

    facility: FloatArray  # proportion right among the persons given the item, 0–1
    discrimination: FloatArray  # point-biserial correlation of the item with the rest score
    n_responses: IntArray
    n_right: IntArray


@dataclass(frozen=True, slots=True)
class TotalScoreStatistics:
    """Reliability of the total score; NaN where undefined (fewer than 2 persons or items,
    or a total score with no variance)."""

    alpha: float  # Cronbach's alpha
    sem: float  # standard error of measurement, raw-score points
    mean: float  # mean total score over the items with responses
    sd: float  # its standard deviation (n − 1 in the denominator)
    n_persons: int
    n_items: int  # items with at least one response


@dataclass(frozen=True, slots=True)
class OptionCounts:
    """How often each option of one multiple-choice item was chosen."""

    options: tuple[str, ...]
    counts: tuple[int, ...]  # one per option, in order
    blank: int  # left blank ('' or whitespace)
    other: int  # an answer that is none of the options

    def items(self) -> list[tuple[str, int]]:
        """(option, count) pairs, then ('', blank), then ('other', n) if any: ready for
        a JSON column or a bar chart."""
        pairs = [*zip(self.options, self.counts, strict=True), ("", self.blank)]
        return [*pairs, ("other", self.other)] if self.other else pairs


def item_statistics(responses: npt.ArrayLike) -> ItemStatistics:
    """Facility and item–rest discrimination of every item.

    facility_i = Σ_n x_ni / n_i over the persons n given item i.
    discrimination_i = corr(x_i, T − x_i) over the same persons, where T is the
    person's total over the items they were given (the item–rest point-biserial:
    leaving the item out of the total removes its inflation of the correlation).
    """
    x, given = _matrix(responses)
    n = given.sum(axis=0)
    right = x.sum(axis=0)
    total = x.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        facility = right / n
        # Sums over the persons given item i, with r = T − x_i the rest score:
        rest_sum = given.T @ total - right
        rest_sq = given.T @ total**2 - 2.0 * (x.T @ total) + right
        cross = x.T @ total - right  # Σ x_i r (x² = x)
        cov = cross / n - facility * rest_sum / n
        var_rest = rest_sq / n - (rest_sum / n) ** 2
        var_item = facility * (1.0 - facility)
        discrimination = cov / np.sqrt(var_item * var_rest)
    discrimination = np.where((var_item > 1e-12) & (var_rest > 1e-12), discrimination, np.nan)
    return ItemStatistics(
        facility=facility,
        discrimination=np.clip(discrimination, -1.0, 1.0),
        n_responses=n.astype(np.int64),
        n_right=np.rint(right).astype(np.int64),
    )


def test_statistics(responses: npt.ArrayLike) -> TotalScoreStatistics:
    """Cronbach's alpha and the SEM of the total score.

    alpha = I/(I − 1) · (1 − Σ_i s_i² / s_T²), with s_T² = Σ_i Σ_j s_ij the variance
    of the total (pairwise-complete covariances s_ij, n − 1 denominators);
    SEM = s_T · sqrt(1 − alpha).
    """
    x, given = _matrix(responses)
    used = given.any(axis=0)
    x, given = x[:, used], given[:, used]
    n_persons, n_items = x.shape
    mean = float(np.mean(x.sum(axis=1))) if n_items else float("nan")
    nan = float("nan")
    if n_persons < 2 or n_items < 2:
        return TotalScoreStatistics(nan, nan, mean, nan, n_persons, n_items)
    pairs = given.T @ given  # persons given both i and j
    sums = x.T @ given  # [i, j]: Σ x_i over the persons given both
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (x.T @ x - sums * sums.T / pairs) / (pairs - 1.0)
    cov = np.where(pairs > 1, cov, 0.0)
    total_var = float(cov.sum())
    if not total_var > 0:
        return TotalScoreStatistics(nan, nan, mean, 0.0, n_persons, n_items)
    alpha = n_items / (n_items - 1) * (1.0 - float(np.trace(cov)) / total_var)
    sd = total_var**0.5
    return TotalScoreStatistics(
        alpha=alpha,
        sem=sd * max(1.0 - alpha, 0.0) ** 0.5,
        mean=mean,
        sd=sd,
        n_persons=n_persons,
        n_items=n_items,
    )


test_statistics.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def option_counts(choices: npt.ArrayLike, options: Sequence[str]) -> OptionCounts:
    """Count the options chosen on one multiple-choice item (one entry per person).

    Matching is case-insensitive and ignores surrounding spaces, like the answer
    key; '' (or None) is a blank.
    """
    keys = [str(option).strip().casefold() for option in options]
    if len(set(keys)) != len(keys) or "" in keys:
        raise ValidationError(f"Options must be distinct and non-empty, got {list(options)!r}.")
    arr = np.asarray(choices, dtype=object)
    if arr.ndim != 1:
        raise ValidationError("option_counts takes one item's choices: a 1-D array.")
    index = {key: i for i, key in enumerate(keys)}
    counts = [0] * len(keys)
    blank = other = 0
    for choice in arr.tolist():
        key = "" if choice is None else str(choice).strip().casefold()
        if not key:
            blank += 1
        elif key in index:
            counts[index[key]] += 1
        else:
            other += 1
    return OptionCounts(tuple(options), tuple(counts), blank, other)


def option_counts_by_item(
    choices: npt.ArrayLike, options: Sequence[Sequence[str]]
) -> list[OptionCounts]:
    """`option_counts` for every column of a persons × items array of chosen options."""
    arr = np.asarray(choices, dtype=object)
    if arr.ndim != 2 or arr.shape[1] != len(options):
        raise ValidationError(
            "Choices must be a persons × items array with one option list per item."
        )
    return [option_counts(arr[:, i], opts) for i, opts in enumerate(options)]


def _matrix(responses: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """(x with 0 where missing, 1/0 mask of given cells), float64, or a ValidationError."""
    try:
        arr = np.asarray(responses, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"Responses must be numbers 1, 0 or NaN: {exc}") from exc
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValidationError(
            f"Responses must be a non-empty persons × items matrix, got shape {arr.shape}."
        )
    given = ~np.isnan(arr)
    if not np.isin(arr[given], (0.0, 1.0)).all():
        raise ValidationError("Responses must be 1, 0 or NaN.")
    return np.where(given, arr, 0.0), given.astype(np.float64)
