"""Linking weekly forms onto one scale through their common items (Rasch mean–mean), numpy only.

Each exam is calibrated on its own with its items centred at 0, so a difficulty of 0 is
"this week's average item", not a fixed point. Two forms that share items (the same
question, known by its bank code) can be put on one scale: under the Rasch model a
form's freely calibrated difficulties differ from the linked scale's by one constant,

    β_linked = β_new + shift,   θ_linked = θ_new + shift,

and the mean–mean estimate of `shift` is the mean of (β_anchor − β_new) over the common
items. A common item that changed between the forms (edited, leaked, misprinted, or
simply behaving differently with this cohort) breaks that: its difference lies far
from the others'. Such items are dropped one at a time, the most displaced first,
while the largest displacement from the current shift exceeds `max_displacement`
logits (Winsteps' displacement check in anchored calibration; 0.5 logits is the
customary limit). At least `MIN_COMMON` stable items must remain, or the form is not
linked (`Link.shift` is None) and stays on its own scale.

`shift_se` is the standard error of the mean difference over the kept items (their
spread: it carries the items' calibration error and any residual drift), with the
items' own standard errors as a floor when they are given and the spread is smaller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mockexam.errors import ValidationError

MIN_COMMON = 5
"""Fewest stable common items a form is linked through."""

MAX_DISPLACEMENT = 0.5
"""Logits a common item's difference may lie from the shift before it is dropped."""


@dataclass(frozen=True, slots=True)
class Link:
    """How one form's scale maps onto the linked scale."""

    shift: float | None  # add to the form's β and θ; None: not linked (too few stable items)
    shift_se: float | None
    used: tuple[str, ...]  # the kept common items' codes, sorted
    dropped: tuple[str, ...]  # the drifted ones, in the order they were dropped
    displacement: dict[str, float]  # code → (anchor − new) − shift, every common item
    common: int  # common items found (before any was dropped)

    @property
    def linked(self) -> bool:
        return self.shift is not None


def _finite(values: Mapping[str, float], name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for code, value in values.items():
        if not isinstance(code, str) or not code:
            raise ValidationError(f"{name}: item codes must be non-empty strings, not {code!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValidationError(f"{name}: the difficulty of {code!r} is not finite ({value!r})")
        out[code] = number
    return out


def link(
    anchor: Mapping[str, float],
    new: Mapping[str, float],
    *,
    max_displacement: float = MAX_DISPLACEMENT,
    min_common: int = MIN_COMMON,
    new_se: Mapping[str, float] | None = None,
) -> Link:
    """The shift that puts `new` (a form's own difficulties, by bank code) on the scale of
    `anchor` (the linked difficulties, by bank code), through their stable common items.

    Codes in only one of the two are ignored. `new_se`: the form's standard errors by
    code (optional), a floor for `shift_se`.
    """
    if not max_displacement > 0:
        raise ValidationError("max_displacement must be a positive number of logits")
    if min_common < 1:
        raise ValidationError("min_common must be at least 1")
    anchor_b, new_b = _finite(anchor, "anchor"), _finite(new, "new")
    codes = sorted(set(anchor_b) & set(new_b))
    differences = np.array([anchor_b[c] - new_b[c] for c in codes], dtype=np.float64)
    kept = np.ones(len(codes), dtype=bool)
    dropped: list[str] = []
    while kept.sum() >= min_common:
        shift = float(differences[kept].mean())
        away = np.where(kept, np.abs(differences - shift), -1.0)
        worst = int(np.argmax(away))  # ties: the first code in sort order
        if away[worst] <= max_displacement:
            break
        kept[worst] = False
        dropped.append(codes[worst])
    used = tuple(c for c, k in zip(codes, kept, strict=True) if k)
    if len(used) < min_common:
        centre = float(differences.mean()) if len(codes) else 0.0
        return Link(
            shift=None,
            shift_se=None,
            used=used,
            dropped=tuple(dropped),
            displacement={c: float(d - centre) for c, d in zip(codes, differences, strict=True)},
            common=len(codes),
        )
    kept_d = differences[kept]
    shift = float(kept_d.mean())
    spread_se = float(kept_d.std(ddof=1) / math.sqrt(len(kept_d))) if len(kept_d) > 1 else 0.0
    floor = 0.0
    if new_se:
        ses = [float(new_se[c]) for c in used if c in new_se and math.isfinite(float(new_se[c]))]
        if ses:
            floor = math.sqrt(sum(s * s for s in ses)) / len(used)
    return Link(
        shift=shift,
        shift_se=max(spread_se, floor),
        used=used,
        dropped=tuple(dropped),
        displacement={c: float(d - shift) for c, d in zip(codes, differences, strict=True)},
        common=len(codes),
    )
