"""Per-section (block) measures: a Rasch calibration of each section's items on its own.

A DTM sheet is five subjects; one θ over all 90 items says how able a student is
overall, and each block's own θ says it per subject. A block is measured only
when the exam has two sections or more (with one, the block is the whole exam),
the block has at least `min_items` graded items and at least `min_persons`
takers answered it; otherwise its entry is None. The scale is the exam's:
scaled = 50 + 12.5·θ (scoring/grades.py).

A block's own calibration centres its items at 0. On an exam linked to the item bank
(issue 23) the block is put on the bank's scale through its own coded items
(`BlockMeasure.shifted`, services/linking.link_blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mockexam.errors import ValidationError
from mockexam.scoring import grades, rasch

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BlockMeasure:
    """One section's measures, one entry per person (row of the matrix); NaN for a
    person with no answer in the block."""

    theta: FloatArray
    theta_se: FloatArray
    scaled: FloatArray
    scaled_se: FloatArray
    columns: npt.NDArray[np.int64] | None = None  # the block's columns of the matrix
    beta: FloatArray | None = None  # their difficulties on the block's own scale
    extreme_items: npt.NDArray[np.bool_] | None = None
    shift: float | None = None  # added to θ to put it on the bank's scale (None: own scale)

    def shifted(self, shift: float) -> BlockMeasure:
        """The same measures moved by `shift` logits (onto the bank's linked scale)."""
        theta = self.theta + shift
        return BlockMeasure(
            theta=theta,
            theta_se=self.theta_se,
            scaled=grades.scaled_score(theta),
            scaled_se=self.scaled_se,
            columns=self.columns,
            beta=None if self.beta is None else self.beta + shift,
            extreme_items=self.extreme_items,
            shift=shift,
        )


def calibrate_blocks(
    x: npt.ArrayLike,
    section_of_column: Sequence[int] | npt.ArrayLike,
    *,
    min_items: int,
    min_persons: int,
    n_sections: int | None = None,
) -> list[BlockMeasure | None]:
    """Each section's `BlockMeasure`, or None where it is not measured (see module docstring).

    `x` is persons × graded items (1, 0, NaN = not administered) and
    `section_of_column[c]` the section index of column c. The list has
    `n_sections` entries (default: the largest index + 1).
    """
    matrix = np.asarray(x, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValidationError("The responses must be a persons × items matrix.")
    sections = np.asarray(section_of_column, dtype=np.int64).reshape(-1)
    if sections.size != matrix.shape[1]:
        raise ValidationError(
            f"{sections.size} section indexes for {matrix.shape[1]} item columns."
        )
    if sections.size and sections.min() < 0:
        raise ValidationError("Section indexes cannot be negative.")
    count = int(sections.max()) + 1 if sections.size else 0
    if n_sections is not None:
        if n_sections < count:
            raise ValidationError(f"A column names section {count - 1} of {n_sections}.")
        count = n_sections
    out: list[BlockMeasure | None] = [None] * count
    if count < 2:
        return out
    n_persons = matrix.shape[0]
    for s in range(count):
        columns = np.flatnonzero(sections == s)
        block = matrix[:, columns]
        if block.shape[1] < max(min_items, 1):
            continue
        takers = ~np.isnan(block).all(axis=1)
        if int(takers.sum()) < max(min_persons, 1):
            continue
        calibration = rasch.calibrate(block[takers])
        theta = np.full(n_persons, np.nan)
        theta_se = np.full(n_persons, np.nan)
        theta[takers] = calibration.theta
        theta_se[takers] = calibration.theta_se
        out[s] = BlockMeasure(
            theta=theta,
            theta_se=theta_se,
            scaled=grades.scaled_score(theta),
            scaled_se=grades.scaled_se(theta_se),
            columns=columns,
            beta=np.asarray(calibration.beta, dtype=np.float64),
            extreme_items=np.asarray(calibration.extreme_items, dtype=bool),
        )
    return out
