"""Answer-sheet grading: the item layout, answer normalisation and matching, sheet scores.

Pure standard-library code (SPEC §2): no database, no clock, no I/O. Services
turn stored rows into `ItemSpec`s and plain mappings, and store what comes back.

Free-response normalisation (`normalize_free_response`), in this order:

1. Unicode NFKC, then case-fold (full-width ``１２`` → ``12``, ``½`` → ``1⁄2``, ``X`` → ``x``).
2. Dash-like signs (− – — ‐ ‑ ‒ ― ⁃ ˗ ➖ …) → ``-``; × ⋅ ∙ · ✕ → ``*``; ÷ ∕ ⁄ ➗ → ``/``.
   The middle dot is multiplication, as it is in the Uzbek and Russian school
   convention, where the decimal separator is the comma.
3. Decimal comma: a comma with a digit directly on both sides becomes a point,
   unless the answer holds two or more commas and no semicolon, in which case
   the commas separate a list and stay. So ``1,5`` → ``1.5``; ``0,5; 1,5`` →
   ``0.5;1.5``; ``1,2,3`` and ``1, 2, 3`` → ``1,2,3``; ``1, 5`` (space after the
   comma) → ``1,5``, a list. A lone ``1,2`` is read as the decimal 1.2, as the
   local convention reads it; pairs are written ``(1; 2)`` there.
4. All whitespace and invisible format characters (zero-width space, soft
   hyphen, BOM, direction marks) are dropped; ``1 000`` → ``1000``.

Numeric equality (`answers_match`) covers a whole answer that is a number:
integers, decimals (``.5``, ``2.``, ``2.0``), a fraction ``a/b`` of two such
numbers, an optional leading ``+``/``-``, and parentheses around a signed
operand or the whole fraction: ``-1/2 = (-1)/2 = 1/(-2) = -(1/2) = -0.5``.
Values are exact `fractions.Fraction`s, never floats. Mixed numbers are not
recognised: spaces are dropped, so ``1 1/2`` reads as 11/2, just as ``1 000``
reads as 1000. Anything else (``x=2``, ``50%``, ``1e3``, ``√2``, lists) is
compared as a normalised string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from mockexam.errors import Msg, ValidationError, msg
from mockexam.text import strip_bidi

MCQ = "mcq"
"""Item kind: multiple choice, answered with one of the item's options."""
FREE = "free"
"""Item kind: free response, answered with a short typed value."""
DEFAULT_OPTIONS: tuple[str, ...] = ("A", "B", "C", "D")
MAX_ANSWER_CHARS = 64
"""Longest answer accepted, both as stored and after normalising (the Answer.value column)."""

_SUB_PART = re.compile(r"[a-z]*", re.ASCII)
_MAX_NUMERIC_CHARS = 64  # longer strings are not parsed as numbers (and int() has a digit limit)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u02d7\u2212\u2796\ufe58\ufe63\uff0d"
_TIMES = "\u00d7\u22c5\u2219\u00b7\u2715"
_DIVIDE = "\u00f7\u2215\u2044\u2797"
_SYMBOLS = str.maketrans(
    {**dict.fromkeys(_DASHES, "-"), **dict.fromkeys(_TIMES, "*"), **dict.fromkeys(_DIVIDE, "/")}
)
_DECIMAL_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])", re.ASCII)

_DEC = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_OPERAND = rf"(?:{_DEC}|\([+-]?{_DEC}\))"
_RATIO = rf"{_OPERAND}(?:/{_OPERAND})?"
_NUMBER = re.compile(rf"[+-]?(?:{_RATIO}|\([+-]?{_RATIO}\))", re.ASCII)

# Cyrillic and Greek capitals (and the few lower-case letters) that look exactly
# like Latin ones: a key typed on a Russian keyboard must not fail on "А" ≠ "A".
_LOOK_ALIKES = str.maketrans(
    dict(
        zip(
            "АВСЕНКМОРТХасеорхΑΒΕΗΚΜΝΟΡΤΧ",
            "ABCEHKMOPTXaceopxABEHKMNOPTX",
            strict=True,
        )
    )
)


@dataclass(frozen=True)
class ItemSpec:
    """One scored item of an answer sheet: exercise number, sub-part, kind, options, points.

    Built from `ExamItem` rows by the services, or from a `Layout` (scoring/layout.py);
    the layout is data (SPEC §2). `points` are in 0.01 steps (DTM weighs 1.1, 3.1, 2.1);
    `section` is the index of the item's section in the exam's layout.
    """

    number: int
    sub_part: str
    kind: str
    options: tuple[str, ...]
    points: float = 1.0
    section: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))  # a stored list is fine too
        where = msg("{n}-savol", "Задание {n}", "Item {n}", n=f"{self.number}{self.sub_part}")
        if self.number < 1:
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "topshiriq raqami kamida 1 bo‘lishi kerak",
                        "номер задания должен быть не меньше 1",
                        "the exercise number must be 1 or more",
                    ),
                )
            )
        if not _SUB_PART.fullmatch(self.sub_part):
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "qism bo‘sh yoki kichik lotin harflari (a, b, …)",
                        "часть — пустая или строчные латинские буквы (a, b, …)",
                        "a sub-part is empty or lower-case letters (a, b, …)",
                    ),
                )
            )
        points = self.points
        if isinstance(points, bool) or not isinstance(points, int | float) or not points > 0:
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "ball 0 dan katta bo‘lishi kerak (savolni chiqarib tashlang)",
                        "балл должен быть больше 0 (лучше исключите задание)",
                        "points must be more than 0 (exclude an item instead)",
                    ),
                )
            )
        if abs(float(points) * 100 - round(float(points) * 100)) >= 1e-6:
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "ball 0,01 aniqlikda bo‘lishi kerak ({points})",
                        "балл задаётся с точностью до 0,01 ({points})",
                        "points go in steps of 0.01 ({points})",
                        points=points,
                    ),
                )
            )
        object.__setattr__(self, "points", round(float(points), 2))
        if self.section < 0:
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "bo‘lim raqami manfiy bo‘lmaydi",
                        "номер раздела не может быть отрицательным",
                        "the section index cannot be negative",
                    ),
                )
            )
        if self.kind == MCQ:
            if not self.options or any(not str(o).strip() for o in self.options):
                raise ValidationError(
                    _at(
                        where,
                        msg(
                            "test savoliga bo‘sh bo‘lmagan variantlar kerak",
                            "заданию с выбором ответа нужны непустые варианты",
                            "a multiple-choice item needs non-empty options",
                        ),
                    )
                )
            if len({_fold_choice(o) for o in self.options}) != len(self.options):
                raise ValidationError(
                    _at(
                        where,
                        msg(
                            "variantlar takrorlanadi: {options}",
                            "варианты повторяются: {options}",
                            "options repeat: {options}",
                            options=", ".join(self.options),
                        ),
                    )
                )
        elif self.kind == FREE:
            if self.options:
                raise ValidationError(
                    _at(
                        where,
                        msg(
                            "ochiq javobli savolda variantlar bo‘lmaydi",
                            "у задания с открытым ответом нет вариантов",
                            "a free-response item has no options",
                        ),
                    )
                )
        else:
            raise ValidationError(
                _at(
                    where,
                    msg(
                        "turi “{mcq}” yoki “{free}” bo‘lishi kerak, {kind!r} emas",
                        "тип должен быть «{mcq}» или «{free}», а не {kind!r}",
                        "kind must be '{mcq}' or '{free}', not {kind!r}",
                        mcq=MCQ,
                        free=FREE,
                        kind=self.kind,
                    ),
                )
            )

    @property
    def label(self) -> str:
        """The name on the sheet and in every mapping: "7", "36a"."""
        return f"{self.number}{self.sub_part}"

    @property
    def centipoints(self) -> int:
        """The points in hundredths, an exact integer (1.1 → 110): totals are summed in these."""
        return round(self.points * 100)


def _at(where: Msg, what: Msg) -> Msg:
    return msg("{where}: {what}", "{where}: {what}", "{where}: {what}", where=where, what=what)


@dataclass(frozen=True)
class SectionTally:
    """One section's share of a graded sheet: points and whole exercises, each of its maximum."""

    points: float
    max_points: float
    exercises: int
    max_exercises: int


@dataclass(frozen=True)
class SheetResult:
    """A graded sheet: points and whole exercises, each out of its maximum.

    `correct` maps every graded (not excluded) item label to whether it was right.
    Points are exact to 0.01 (summed in centipoints). `sections` has one entry per
    section index from 0 to the largest `ItemSpec.section` on the sheet.
    """

    points: float
    max_points: float
    exercises: int
    max_exercises: int
    correct: dict[str, bool]
    sections: tuple[SectionTally, ...] = ()


def default_layout(
    mcq_count: int = 35,
    free_count: int = 10,
    options: Sequence[str] = DEFAULT_OPTIONS,
    *,
    sub_parts: Sequence[str] = ("a", "b"),
) -> list[ItemSpec]:
    """The national-certificate layout in sheet order: 1..35 (A–D), then 36a, 36b, …, 45b.

    With the defaults it is `layout_templates.CERTIFICATE_MATH.items()`: 45
    exercises, 55 one-point items, section 0 multiple choice and section 1 free
    response. Other counts build the same shape (one-point items; tests use them).
    """
    if (mcq_count, free_count, tuple(options), tuple(sub_parts)) == (
        35,
        10,
        DEFAULT_OPTIONS,
        ("a", "b"),
    ):
        from mockexam.scoring.layout_templates import CERTIFICATE_MATH

        return CERTIFICATE_MATH.items()
    if mcq_count < 0 or free_count < 0:
        raise ValidationError("The numbers of exercises cannot be negative")
    if free_count and not sub_parts:
        raise ValidationError("Free-response exercises need at least one sub-part")
    free_section = 1 if mcq_count else 0
    items = [ItemSpec(n, "", MCQ, tuple(options)) for n in range(1, mcq_count + 1)]
    items += [
        ItemSpec(n, part, FREE, (), section=free_section)
        for n in range(mcq_count + 1, mcq_count + free_count + 1)
        for part in sub_parts
    ]
    return items


def validate_layout(items: Iterable[ItemSpec]) -> None:
    """Refuse a layout with a label twice, or an exercise both whole and split into sub-parts.

    Either would make labels ambiguous for grading and for answer-key parsing.
    """
    seen: set[str] = set()
    parts: dict[int, set[str]] = {}
    for item in items:
        if item.label in seen:
            raise ValidationError(f"Item {item.label} appears twice in the layout")
        seen.add(item.label)
        parts.setdefault(item.number, set()).add(item.sub_part)
    for number, subs in parts.items():
        if "" in subs and len(subs) > 1:
            raise ValidationError(
                f"Exercise {number} is both a whole item and split into sub-parts"
            )


def normalize_free_response(value: str) -> str:
    """A free-response answer in the canonical form compared by `answers_match`.

    See the module docstring for the rules and the decimal-comma decision.
    """
    text = unicodedata.normalize("NFKC", value)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = text.translate(_SYMBOLS)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    if text.count(",") == 1 or ";" in text:
        text = _DECIMAL_COMMA.sub(".", text)
    return "".join(ch for ch in text if not ch.isspace())


def parse_number(normalized: str) -> Fraction | None:
    """The exact value of a normalised answer that is a number (see module docstring), else None."""
    if len(normalized) > _MAX_NUMERIC_CHARS or not _NUMBER.fullmatch(normalized):
        return None
    # The grammar has no addition, so every minus sign just flips the sign.
    negative = normalized.count("-") % 2 == 1
    numerator, _, denominator = normalized.translate(str.maketrans("", "", "+-()")).partition("/")
    value = Fraction(numerator)
    if denominator:
        if Fraction(denominator) == 0:
            return None
        value /= Fraction(denominator)
    return -value if negative else value


def answers_match(given: str, accepted: str) -> bool:
    """Whether a free-response answer equals an accepted one after normalising.

    Equal strings match; otherwise two numbers match when their exact values are
    equal (0.5 = 1/2 = .5 = 2/4). An empty answer never matches.
    """
    given_n = normalize_free_response(given)
    accepted_n = normalize_free_response(accepted)
    if not given_n or not accepted_n:
        return False
    if given_n == accepted_n:
        return True
    given_value = parse_number(given_n)
    return given_value is not None and given_value == parse_number(accepted_n)


def fold_choice(value: str) -> str:
    """An option as compared: NFKC, trimmed, look-alike Cyrillic/Greek → Latin, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().translate(_LOOK_ALIKES).casefold()


_fold_choice = fold_choice


def _shorten(value: str, limit: int = 20) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def normalize_choice(value: str, options: Sequence[str]) -> str:
    """The option that `value` names, ignoring case, spaces and look-alike Cyrillic letters.

    Raises ValidationError when it names none of them (an empty value included).
    """
    wanted = _fold_choice(value)
    for option in options:
        if _fold_choice(option) == wanted:
            return option
    choices = ", ".join(options)
    if not wanted:
        raise ValidationError(f"No answer given: choose one of {choices}")
    raise ValidationError(f"{_shorten(value.strip())!r} is not one of {choices}")


def free_response_problem(value: str, *, max_chars: int = MAX_ANSWER_CHARS) -> str | None:
    """Why a trimmed free-response value cannot be stored, or None when it can.

    Shared by `validate_answer` and the answer-key parser so both refuse the same things.
    """
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        return "the answer contains control characters (line breaks, tabs, …); type it on one line"
    length = max(len(value), len(normalize_free_response(value)))
    if length > max_chars:
        return f"the answer is {length} characters long; at most {max_chars} are allowed"
    return None


def validate_answer(item: ItemSpec, value: str, *, max_chars: int = MAX_ANSWER_CHARS) -> str:
    """The value to store for an answer to `item`, or ValidationError naming the item.

    Multiple choice: the canonical option, or "" to clear. Free response: the
    trimmed value as typed (normalising happens when grading), or "" when
    nothing visible is left. Too long means over `max_chars` either as stored
    or after normalising (NFKC can lengthen: "㎏" → "kg").
    """
    text = strip_bidi(value).strip()  # bidi controls would make it display as another answer
    if item.kind == MCQ:
        if not text:
            return ""
        try:
            return normalize_choice(text, item.options)
        except ValidationError as err:
            raise ValidationError(f"Item {item.label}: {err}") from err
    problem = free_response_problem(text, max_chars=max_chars)
    if problem:
        raise ValidationError(f"Item {item.label}: {problem}")
    return text if normalize_free_response(text) else ""


def grade_item(item: ItemSpec, accepted: Sequence[str], given: str) -> bool:
    """Whether `given` is right for `item`: any accepted answer matches; unanswered is wrong.

    Multiple choice compares options ignoring case; a given value that is no
    option is simply wrong (grading never fails on a stored answer).
    """
    if item.kind == MCQ:
        given_fold = _fold_choice(given)
        return bool(given_fold) and any(_fold_choice(a) == given_fold for a in accepted)
    return any(answers_match(given, a) for a in accepted)


def _check_key(item: ItemSpec, accepted: Sequence[str]) -> str | None:
    usable = [a for a in accepted if a.strip()]
    if not usable:
        return f"item {item.label} has no accepted answer"
    if item.kind == MCQ:
        bad = [
            a for a in usable if not any(_fold_choice(a) == _fold_choice(o) for o in item.options)
        ]
        if bad:
            choices = ", ".join(item.options)
            return f"item {item.label}: the key {_shorten(bad[0])!r} is not one of {choices}"
    return None


def grade_sheet(
    items: Sequence[ItemSpec],
    accepted: Mapping[str, Sequence[str]],
    answers: Mapping[str, str],
    excluded: Collection[str] = (),
) -> SheetResult:
    """Grade one answer sheet: points, and exercises right in every graded part.

    Excluded items are not graded: they add nothing to points or max_points, an
    exercise left with no graded part drops out of max_exercises, and one with
    some graded parts counts on those. Labels in `answers` or `accepted` that
    are not on the sheet are ignored (they change no score); an unknown label
    in `excluded` is refused, since a typo there would silently grade an item
    the admin meant to drop. Every graded item needs an accepted answer.
    """
    validate_layout(items)
    labels = {item.label for item in items}
    unknown = sorted(set(excluded) - labels)
    if unknown:
        raise ValidationError(f"Cannot exclude items not on the sheet: {', '.join(unknown)}")
    graded = [item for item in items if item.label not in excluded]
    problems = [p for item in graded if (p := _check_key(item, accepted.get(item.label, ())))]
    if problems:
        raise ValidationError(f"The answer key cannot be used: {'; '.join(problems)}")

    correct: dict[str, bool] = {}
    exercise_right: dict[int, bool] = {}
    n_sections = max((item.section for item in items), default=-1) + 1
    section_cents = [0] * n_sections
    section_max = [0] * n_sections
    section_right: list[dict[int, bool]] = [{} for _ in range(n_sections)]
    for item in graded:
        right = grade_item(item, accepted[item.label], answers.get(item.label, ""))
        correct[item.label] = right
        section_max[item.section] += item.centipoints
        section_cents[item.section] += item.centipoints if right else 0
        exercise_right[item.number] = exercise_right.get(item.number, True) and right
        by_number = section_right[item.section]
        by_number[item.number] = by_number.get(item.number, True) and right
    return SheetResult(
        points=sum(section_cents) / 100,
        max_points=sum(section_max) / 100,
        exercises=sum(exercise_right.values()),
        max_exercises=len(exercise_right),
        correct=correct,
        sections=tuple(
            SectionTally(
                points=section_cents[s] / 100,
                max_points=section_max[s] / 100,
                exercises=sum(section_right[s].values()),
                max_exercises=len(section_right[s]),
            )
            for s in range(n_sections)
        ),
    )
