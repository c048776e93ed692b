"""Exam streaks (SPEC §5): consecutive released exams a student submitted.

Only exams count, not weeks: a week without an exam changes nothing, while a
published exam whose window closed without the student's submission resets
the current streak to 0, for every student, when that exam is released. An
auto-submitted session is a submission. An exam nobody took is still a
published exam everybody missed: it resets every streak.

Three forms of one rule, kept in agreement by tests on random histories:

- `advance`: one released exam for one student (the pipeline's incremental update);
- `streak_from_history`: the fold of `advance` over a student's whole history;
- `streaks_from_matrix`: the same for many students at once (numpy), used to
  rebuild every streak when exams were released out of order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class StreakState:
    """A student's streak after some released exams.

    `last_exam_id` is the last exam that extended the streak; applying that
    exam again changes nothing, which makes the update idempotent.
    """

    current: int = 0
    longest: int = 0
    last_exam_id: int | None = None


def advance(state: StreakState, *, exam_id: int, took_exam: bool) -> StreakState:
    """The state after one more released exam (in window order).

    Taken: current + 1 (once per exam), longest = max(longest, current).
    Missed: current = 0; longest and last_exam_id stay.
    """
    if took_exam:
        if state.last_exam_id == exam_id:
            return state
        current = state.current + 1
        return StreakState(
            current=current, longest=max(state.longest, current), last_exam_id=exam_id
        )
    if state.current == 0:
        return state
    return StreakState(current=0, longest=state.longest, last_exam_id=state.last_exam_id)


def streak_from_history(exam_ids: Sequence[int], taken: Collection[int]) -> StreakState:
    """The streak after `exam_ids` (every released exam, in window order), given the taken ones."""
    state = StreakState()
    for exam_id in exam_ids:
        state = advance(state, exam_id=exam_id, took_exam=exam_id in taken)
    return state


@dataclass(frozen=True, slots=True)
class StreakMatrixResult:
    """Per student (row): current and longest streak, and the column that last extended it.

    `first_reached[t]` is, per student, the first column at which the current
    streak reached `t` (-1 if never) for each asked threshold `t`.
    """

    current: npt.NDArray[np.int64]
    longest: npt.NDArray[np.int64]
    last_column: npt.NDArray[np.int64]  # -1: never took an exam
    first_reached: dict[int, npt.NDArray[np.int64]]


def streaks_from_matrix(
    taken: npt.NDArray[np.bool_], *, thresholds: Sequence[int] = ()
) -> StreakMatrixResult:
    """Streaks of many students at once: `taken[s, e]` = student s submitted exam e.

    Columns are the released exams in window order. Same rule as `advance`.
    """
    taken = np.asarray(taken, dtype=bool)
    n = taken.shape[0]
    current = np.zeros(n, dtype=np.int64)
    longest = np.zeros(n, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    first = {t: np.full(n, -1, dtype=np.int64) for t in thresholds}
    for column in range(taken.shape[1]):
        took = taken[:, column]
        current = np.where(took, current + 1, 0)
        longest = np.maximum(longest, current)
        last = np.where(took, column, last)
        for t, reached in first.items():
            reached[(reached < 0) & (current >= t)] = column
    return StreakMatrixResult(
        current=current, longest=longest, last_column=last, first_reached=first
    )
