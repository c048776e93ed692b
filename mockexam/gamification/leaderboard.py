"""Leaderboard rules (SPEC §5): boards, ranks with ties, who may see whose name.

- Boards: top rated (Elo), most improved (Elo gain over the exams released in
  the last 30 days), most active (released exams taken).
- Ranks are competition ranks ("1, 2, 2, 4") of the value a student *sees*:
  Elo and gains are shown as whole numbers, so 1234.4 and 1233.6 both show
  1234 and share a rank. `shown(v) = floor(v + 0.5)`, and a stored value
  shows higher than `k` exactly when it is ≥ `k + 0.5`, which lets the
  database count the students ahead with one index range.
- Privacy: at most `TOP_N` rows carry names; a student below them receives
  only their own row (rank and total), never another student's name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

TOP_N = 50
RECENT_WINDOW = timedelta(days=30)


class Board(StrEnum):
    TOP_RATED = "top_rated"
    MOST_IMPROVED = "most_improved"
    MOST_ACTIVE = "most_active"


def shown(value: float) -> int:
    """The whole number a student sees for a rating or gain (half rounds up)."""
    return math.floor(value + 0.5)


def shows_above(shown_value: int) -> float:
    """Stored values ≥ this are shown higher than `shown_value`."""
    return shown_value + 0.5


def competition_ranks(shown_values: Sequence[int]) -> list[int]:
    """Ranks of values sorted best first; equal values share the better rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for position, value in enumerate(shown_values):
        if position and value == shown_values[position - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(position + 1)
    return ranks


def public_name(first_name: str, last_name: str, username: str | None) -> str:
    """What other students see: first name and last initial ("Aziza K."), else @username."""
    first, last = first_name.strip(), last_name.strip()
    if first:
        return f"{first} {last[0]}." if last else first
    if last:
        return last
    return f"@{username}" if username else "Student"
