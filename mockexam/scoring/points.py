"""Points as people read them: weighted items score in 0.01 steps (1.1, 3.1, 2.1 per item).

Totals are summed in integer centipoints (scoring/tally.py) and stored as floats;
these helpers turn them back into the shortest exact number: 55, 143.7, 0.55.
"""

from __future__ import annotations


def points_number(value: float | int | None) -> int | float | None:
    """`55.0` → `55`, `143.70000000000002` → `143.7`; None stays None (not graded)."""
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded == int(rounded) else rounded


def format_points(value: float | int | None, lang: str | None = "en") -> str:
    """Points as text: "143.7" in English, "143,7" in Uzbek and Russian; "" for None."""
    number = points_number(value)
    if number is None:
        return ""
    text = str(number)
    return text.replace(".", ",") if lang in ("uz", "ru") else text


def format_fraction(
    points: float | int | None, max_points: float | int | None, lang: str | None = "en"
) -> str:
    """ "143,7/189" (uz, ru) or "143.7/189" (en); "" when either is missing."""
    if points is None or max_points is None:
        return ""
    return f"{format_points(points, lang)}/{format_points(max_points, lang)}"
