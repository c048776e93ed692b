"""The demo exams' PDF question paper: real exercises that agree with the exam's answer key.

The demo answer key is random (a letter for each multiple-choice item, a
number for each free-response part), so the questions are made to fit it:
each template draws its numbers, computes the right answer, and the right
option is put under the key's letter among the item's own options (A–D, A–E,
…); each free-response part is built backwards from the key's number. The
paper follows the exam's layout: a heading and a rule line per section (its
numbers, its options or parts, its points), and the total is the sum of the
items' points (189 for a DTM block). Rendered with fpdf2's built-in fonts (Helvetica, and Symbol for
√ π ≤ ≥ ∞), so the file needs no font files and stays small.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import numpy as np
from fpdf import FPDF
from sqlmodel import Session

from mockexam.config import settings
from mockexam.models import Exam, ItemKind
from mockexam.scoring.layout import Layout
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.scoring.points import format_points
from mockexam.services import exams as exam_service

LETTERS = ("A", "B", "C", "D")
"""The certificate's options (an item's own options are used: A–E, A–F, …)."""
PAPERS_DIR = "papers"


class KeyedItem(Protocol):
    """What the paper needs of an answer-sheet item (an `ExamItem` fits; `points` and
    `section` are read when present, else 1 and 0)."""

    number: int
    sub_part: str
    kind: str
    options: list[str]
    accepted_answers: list[str]


@dataclass(frozen=True)
class ChoiceQuestion:
    number: int
    text: str
    options: tuple[str, ...]  # the option texts, in the order of `letters`
    answer: str  # the key's letter
    correct: str  # the option text under that letter
    letters: tuple[str, ...] = LETTERS  # the item's options: A, B, C, D[, E, F]
    points: float = 1.0
    section: int = 0


@dataclass(frozen=True)
class PartQuestion:
    sub_part: str
    text: str
    answer: str


@dataclass(frozen=True)
class FreeQuestion:
    number: int
    stem: str
    parts: tuple[PartQuestion, ...]
    points: float = 1.0  # per part (per answer when the exercise has no parts)
    section: int = 0


Question = ChoiceQuestion | FreeQuestion


# --- formatting -------------------------------------------------------------


def num(n: int | Fraction) -> str:
    """An integer or fraction as printed: −5, 3/4, −1/2."""
    n = Fraction(n)
    sign = "−" if n < 0 else ""
    n = abs(n)
    return f"{sign}{n.numerator}" if n.denominator == 1 else f"{sign}{n.numerator}/{n.denominator}"


def signed(n: int, var: str = "") -> str:
    """A term after another one: '+ 3x', '− 3x', '+ x', '' for 0."""
    if n == 0:
        return ""
    coef = "" if abs(n) == 1 and var else str(abs(n))
    return f" {'−' if n < 0 else '+'} {coef}{var}"


def lead(n: int, var: str = "") -> str:
    """A leading term: '3x', '−x', '7'."""
    if abs(n) == 1 and var:
        return f"{'−' if n < 0 else ''}{var}"
    return f"{num(n)}{var}"


def paren(n: int) -> str:
    return f"({num(n)})" if n < 0 else str(n)


# --- multiple choice templates: rng -> (text, correct, distractor candidates) ----

ChoiceTemplate = Callable[[np.random.Generator], tuple[str, str, list[str]]]


def _ri(rng: np.random.Generator, low: int, high: int) -> int:
    """A random integer in [low, high]."""
    return int(rng.integers(low, high + 1))


def _arith(rng):
    a, b, c, d = _ri(rng, 10, 40), _ri(rng, 3, 9), _ri(rng, 3, 9), _ri(rng, 2, 20)
    v = a + b * c - d
    return (
        f"Compute: {a} + {b} · {c} − {d}.",
        num(v),
        [num((a + b) * c - d), num(a + b * c + d), num(v + 10), num(v - 1)],
    )


def _fraction_sum(rng):
    b, d = _ri(rng, 2, 6), _ri(rng, 3, 8)
    while d == b:
        d = _ri(rng, 3, 8)
    a = int(rng.choice([n for n in range(1, b) if math.gcd(n, b) == 1]))
    c = int(rng.choice([n for n in range(1, d) if math.gcd(n, d) == 1]))
    v = Fraction(a, b) + Fraction(c, d)
    return (
        f"Compute: {a}/{b} + {c}/{d}.",
        num(v),
        [num(Fraction(a + c, b + d)), num(Fraction(a * c, b * d)), num(v + 1), num(v * 2)],
    )


def _percent_of(rng):
    p = int(rng.choice([10, 20, 25, 40, 50, 75]))
    n = 20 * _ri(rng, 2, 15)
    x = p * n // 100
    return (
        f"{p}% of a number is {x}. Find the number.",
        num(n),
        [num(x * p // 100 if x * p % 100 == 0 else x + p), num(n // 2), num(n + x), num(2 * n)],
    )


def _powers(rng):
    a, b, c = _ri(rng, 3, 9), _ri(rng, 2, 8), _ri(rng, 2, 6)
    v = a + b - c
    return (
        f"Simplify: 2^{{{a}}} · 2^{{{b}}} : 2^{{{c}}}.",
        f"2^{{{v}}}",
        [f"2^{{{a * b - c}}}", f"2^{{{a + b + c}}}", f"2^{{{a + b}}}", f"4^{{{v}}}"],
    )


def _simplify_root(rng):
    k, m = _ri(rng, 2, 6), int(rng.choice([2, 3, 5, 6, 7]))
    return (
        f"Simplify: √{k * k * m}.",
        f"{k}√{m}",
        [f"{m}√{k}", f"{k + 1}√{m}", f"{2 * k}√{m}", f"{k}√{m + 1}", f"{k * m}"],
    )


def _linear(rng):
    x, a = _ri(rng, -9, 12), _ri(rng, 2, 9)
    b = _ri(rng, -20, 20) or 5
    c = a * x + b
    return (
        f"Solve the equation: {a}x{signed(b)} = {num(c)}.",
        num(x),
        [num(x + 1), num(-x if x else 2), num(Fraction(c + b, a)), num(x - 2)],
    )


def _linear_fraction(rng):
    a, b, c = _ri(rng, 1, 9), _ri(rng, 2, 6), _ri(rng, 2, 9)
    v = b * c - a
    return (
        f"Solve the equation: (x + {a})/{b} = {c}.",
        num(v),
        [num(b * c + a), num(c - a), num(v + b), num(Fraction(c, b) - a)],
    )


def _roots_sum(rng):
    r1, r2 = _ri(rng, -6, 9), _ri(rng, 1, 9)
    s, p = r1 + r2, r1 * r2
    return (
        f"Find the sum of the roots of the equation x²{signed(-s, 'x')}{signed(p)} = 0.",
        num(s),
        [num(-s) if s else "1", num(p), num(s + 1), num(s - 2)],
    )


def _roots_larger(rng):
    r1 = _ri(rng, -8, 3)
    r2 = r1 + _ri(rng, 1, 8)
    return (
        f"Find the larger root of the equation x²{signed(-(r1 + r2), 'x')}{signed(r1 * r2)} = 0.",
        num(r2),
        [num(r1), num(-r2), num(r2 + 1), num(r1 + r2)],
    )


def _system_product(rng):
    x, y = _ri(rng, 1, 9), _ri(rng, -5, 8)
    return (
        f"x + y = {num(x + y)} and x − y = {num(x - y)}. Find x · y.",
        num(x * y),
        [num(x + y), num(x * y + x), num(-x * y) if x * y else "1", num(x - y)],
    )


def _function_value(rng):
    a, b, c = _ri(rng, 2, 5), _ri(rng, 1, 12), _ri(rng, -4, 4)
    v = a * c * c - b
    return (
        f"f(x) = {a}x² − {b}. Find f({num(c)}).",
        num(v),
        [num(a * c - b), num((a * c) ** 2 - b), num(v + 2 * b), num(-v) if v else "1"],
    )


def _inequality(rng):
    a, k = _ri(rng, 2, 7), _ri(rng, -5, 9)
    b = _ri(rng, 1, 15)
    c = a * k - b
    return (
        f"Solve the inequality: {a}x − {b} > {num(c)}.",
        f"({num(k)}; +∞)",
        [f"(−∞; {num(k)})", f"({num(-k)}; +∞)" if k else "(1; +∞)", f"[{num(k)}; +∞)", "(−∞; +∞)"],
    )


def _ap_term(rng):
    a1, d, n = _ri(rng, -5, 10), _ri(rng, 2, 7), _ri(rng, 8, 15)
    v = a1 + (n - 1) * d
    return (
        f"In an arithmetic progression a_{{1}} = {num(a1)} and d = {d}. Find a_{{{n}}}.",
        num(v),
        [num(a1 + n * d), num(a1 * n), num(v - 1), num(a1 + (n - 2) * d)],
    )


def _gp_term(rng):
    b1, q, n = _ri(rng, 1, 5), _ri(rng, 2, 3), _ri(rng, 4, 5)
    v = b1 * q ** (n - 1)
    return (
        f"In a geometric progression b_{{1}} = {b1} and q = {q}. Find b_{{{n}}}.",
        num(v),
        [num(b1 * q**n), num(b1 + (n - 1) * q), num(b1 * q * (n - 1)), num(v + q)],
    )


def _ap_sum(rng):
    a1, d, n = _ri(rng, 1, 6), _ri(rng, 1, 4), _ri(rng, 5, 10)
    v = n * (2 * a1 + (n - 1) * d) // 2 if n * (2 * a1 + (n - 1) * d) % 2 == 0 else None
    while v is None:
        n += 1
        total = n * (2 * a1 + (n - 1) * d)
        v = total // 2 if total % 2 == 0 else None
    return (
        f"Find the sum of the first {n} terms of the arithmetic progression "
        f"{a1}, {a1 + d}, {a1 + 2 * d}, …",
        num(v),
        [num(v + a1), num(n * (a1 + (n - 1) * d)), num(v - d), num(a1 + (n - 1) * d)],
    )


def _triangle_angle(rng):
    a, b = 5 * _ri(rng, 4, 14), 5 * _ri(rng, 4, 12)
    v = 180 - a - b
    if v <= 0:
        a, b, v = 40, 60, 80
    return (
        f"Two angles of a triangle are {a}° and {b}°. Find the third angle.",
        f"{v}°",
        [f"{360 - a - b}°", f"{abs(a - b) or 10}°", f"{v + 10}°", f"{90 - v // 2}°"],
    )


def _hypotenuse(rng):
    x, y, z = [(3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (6, 8, 10)][_ri(rng, 0, 4)]
    return (
        f"The legs of a right triangle are {x} and {y}. Find its hypotenuse.",
        num(z),
        [num(x + y), num(z + 1), f"√{x + y}", num(y + 1)],
    )


def _circle_area(rng):
    r = _ri(rng, 2, 9)
    return (
        f"The radius of a circle is {r}. Find its area.",
        f"{r * r}π",
        [f"{2 * r}π", f"{r}π", f"{2 * r * r}π", f"{r * r}"],
    )


def _rectangle(rng):
    a, b = _ri(rng, 2, 9), _ri(rng, 10, 16)
    p = 2 * (a + b)
    return (
        f"The perimeter of a rectangle is {p} and one of its sides is {a}. Find its area.",
        num(a * b),
        [num(a * (p - a)), num(a * (b + 1)), num(p), num(a * b // 2 if a * b % 2 == 0 else a + b)],
    )


_TRIG = [
    ("sin 30° + cos 60°", Fraction(1)),
    ("tan 45° + cos 0°", Fraction(2)),
    ("sin 90° − cos 180°", Fraction(2)),
    ("cos 60° · tan 45°", Fraction(1, 2)),
    ("sin 60° · cos 30°", Fraction(3, 4)),
    ("sin² 25° + cos² 25°", Fraction(1)),
    ("4 sin 30° · cos 60°", Fraction(1)),
]


def _trig(rng):
    expr, v = _TRIG[_ri(rng, 0, len(_TRIG) - 1)]
    pool = [num(Fraction(n)) for n in (0, Fraction(1, 2), 1, 2, Fraction(3, 4), Fraction(3, 2))]
    return f"Compute: {expr}.", num(v), [*pool, "√3/2"]


def _logs(rng):
    a, b = _ri(rng, 2, 6), _ri(rng, 1, 4)
    return (
        f"Compute: log_{{2}} {2**a} + log_{{3}} {3**b}.",
        num(a + b),
        [num(a * b), num(2**a + 3**b), num(a + b + 1), num(a - b)],
    )


def _derivative(rng):
    a, b = _ri(rng, 1, 9), _ri(rng, -3, 3)
    v = 3 * b * b - a
    return (
        f"f(x) = x³ − {a}x. Find f′({num(b)}).",
        num(v),
        [num(b**3 - a * b), num(3 * b - a), num(v + a), num(3 * b * b + a)],
    )


def _integral(rng):
    c, a = _ri(rng, 1, 4), _ri(rng, 2, 5)
    return (
        f"Compute: ∫_{{0}}^{{{a}}} {2 * c}x dx.",
        num(c * a * a),
        [num(2 * c * a * a), num(2 * c * a), num(c * a), num(c * a * a + 1)],
    )


def _handshakes(rng):
    n = _ri(rng, 5, 12)
    return (
        f"Each of {n} people shakes hands once with each of the others. How many handshakes are there?",
        num(n * (n - 1) // 2),
        [num(n * (n - 1)), num(n * n), num(n), num(n * (n + 1) // 2)],
    )


def _arrangements(rng):
    n = _ri(rng, 4, 6)
    return (
        f"In how many ways can {n} students stand in a row?",
        num(math.factorial(n)),
        [num(n * n), num(2**n), num(math.factorial(n - 1)), num(n * (n - 1))],
    )


def _dice(rng):
    k = _ri(rng, 1, 4)
    v = Fraction(6 - k, 6)
    return (
        f"A fair die is rolled once. What is the probability of getting a number greater than {k}?",
        num(v),
        [
            num(Fraction(k, 6)),
            num(Fraction(6 - k + 1, 6)),
            num(Fraction(1, 6)),
            num(Fraction(1, 2)),
        ],
    )


def _mean(rng):
    n, m = _ri(rng, 3, 6), _ri(rng, 5, 15)
    new = _ri(rng, m + 1, m + 6)
    x = new * (n + 1) - n * m
    return (
        f"The mean of {n} numbers is {m}. After one more number, {x}, is added, what is the mean?",
        num(new),
        [num(Fraction(m + x, 2)), num(new + 1), num(m), num(Fraction(n * m + x, n))],
    )


def _abs_roots(rng):
    a, b = _ri(rng, -6, 9), _ri(rng, 1, 8)
    return (
        f"Find the sum of the roots of the equation |x{signed(-a)}| = {b}.",
        num(2 * a) if a else "0",
        [num(2 * b), num(a), num(a + b), num(-2 * a) if a else "1"],
    )


def _exp_equation(rng):
    a, v = _ri(rng, 1, 3), _ri(rng, 1, 6)
    return (
        f"Solve the equation: 2^{{x + {a}}} = {2 ** (v + a)}.",
        num(v),
        [num(v + a), num(v + 2 * a), num(v - 1), num(2 ** (v + a) // 2 - a)],
    )


def _lcm(rng):
    a, b = int(rng.choice([4, 6, 8, 9, 10, 12])), int(rng.choice([14, 15, 16, 18, 20]))
    return (
        f"Find the least common multiple of {a} and {b}.",
        num(math.lcm(a, b)),
        [num(a * b), num(math.gcd(a, b)), num(math.lcm(a, b) * 2), num(a + b)],
    )


def _speed(rng):
    v, t, t2 = 10 * _ri(rng, 4, 9), _ri(rng, 2, 4), _ri(rng, 5, 7)
    return (
        f"A car travels {v * t} km in {t} hours. How far does it travel in {t2} hours "
        "at the same speed?",
        f"{v * t2} km",
        [f"{v * t + t2} km", f"{v * (t2 + 1)} km", f"{v * t * t2} km", f"{v * (t2 - 1)} km"],
    )


def _square_identity(rng):
    a, b = _ri(rng, 2, 9), _ri(rng, 2, 9)
    return (
        f"Compute (a + b)² − (a − b)² for a = {a} and b = {b}.",
        num(4 * a * b),
        [num(2 * a * b), num(2 * b * b), num(4 * a * b + 1), num((a + b) ** 2)],
    )


def _cube(rng):
    a = _ri(rng, 2, 7)
    return (
        f"The edge of a cube is {a}. Find its surface area.",
        num(6 * a * a),
        [num(a**3), num(4 * a * a), num(12 * a), num(6 * a)],
    )


def _remainder(rng):
    m = _ri(rng, 6, 9)
    n = m * _ri(rng, 20, 90) + _ri(rng, 1, m - 1)
    return (
        f"Find the remainder when {n} is divided by {m}.",
        num(n % m),
        [num(n % m + 1), num(m - n % m), num(n // m % 10), "0"],
    )


def _price_increase(rng):
    p, q = 1000 * _ri(rng, 12, 40), int(rng.choice([10, 15, 20, 25, 30]))
    v = p * (100 + q) // 100
    return (
        f"A price of {p} so‘m rises by {q}%. What is the new price?",
        f"{v} so‘m",
        [
            f"{p + q * 100} so‘m",
            f"{p * q // 100} so‘m",
            f"{v + p // 10} so‘m",
            f"{p - p * q // 100} so‘m",
        ],
    )


def _composition(rng):
    a, b, c = _ri(rng, 2, 4), _ri(rng, -5, 5), _ri(rng, -3, 3)
    v = a * c * c + b
    return (
        f"f(x) = {a}x{signed(b)} and g(x) = x². Find f(g({num(c)})).",
        num(v),
        [num((a * c + b) ** 2), num(a * c + b), num(v + 1), num(a * c * c - b)],
    )


CHOICE_TEMPLATES: tuple[ChoiceTemplate, ...] = (
    _arith,
    _fraction_sum,
    _percent_of,
    _powers,
    _simplify_root,
    _linear,
    _linear_fraction,
    _lcm,
    _remainder,
    _roots_sum,
    _system_product,
    _function_value,
    _inequality,
    _exp_equation,
    _logs,
    _abs_roots,
    _ap_term,
    _gp_term,
    _ap_sum,
    _triangle_angle,
    _hypotenuse,
    _circle_area,
    _rectangle,
    _cube,
    _trig,
    _square_identity,
    _mean,
    _speed,
    _price_increase,
    _handshakes,
    _arrangements,
    _dice,
    _composition,
    _derivative,
    _integral,
)


def _choice(
    number: int,
    letter: str,
    rng: np.random.Generator,
    letters: Sequence[str] = LETTERS,
    *,
    points: float = 1.0,
    section: int = 0,
) -> ChoiceQuestion:
    """Exercise `number` from its template, the right option under the key's `letter`
    among the item's `letters` (one distractor fewer than there are letters)."""
    letters = tuple(letters)
    template = CHOICE_TEMPLATES[(number - 1) % len(CHOICE_TEMPLATES)]
    if template is _roots_sum and number % 2 == 0:
        template = _roots_larger
    text, correct, candidates = template(rng)
    wanted = len(letters) - 1
    distractors: list[str] = []
    for option in candidates:
        if option != correct and option not in distractors:
            distractors.append(option)
    filler = 1
    while len(distractors) < wanted:  # a template's candidates collide, or 5–6 options
        extra = f"{correct} + {filler}" if not correct.lstrip("−").isdigit() else None
        extra = extra or num(int(correct.replace("−", "-")) + 10 * filler)
        if extra not in distractors and extra != correct:
            distractors.append(extra)
        filler += 1
    distractors = [distractors[i] for i in rng.permutation(len(distractors))[:wanted]]
    index = _letter_index(letter, letters)
    options = (*distractors[:index], correct, *distractors[index:])
    return ChoiceQuestion(
        number=number,
        text=text,
        options=tuple(options),
        answer=letters[index],
        correct=correct,
        letters=letters,
        points=points,
        section=section,
    )


def _letter_index(letter: str, letters: Sequence[str]) -> int:
    folded = [option.casefold() for option in letters]
    try:
        return folded.index(letter.strip().casefold())
    except ValueError:
        raise ValueError(f"{letter!r} is not one of {', '.join(letters)}") from None


# --- free-response exercises: built backwards from the key's integers --------


def _key_value(answer: str) -> Fraction:
    """A numeric key ('17', '−3', '-36/2', '0.5') as a fraction; ValueError for any other."""
    text = answer.replace("−", "-").replace(",", ".").replace(" ", "")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"The demo paper needs numeric free-response keys, not {answer!r}."
        ) from None


def _linear_part(k: int | Fraction, rng: np.random.Generator) -> str:
    """'ax ± b = c' whose root is k (a is a multiple of k's denominator, so c is whole)."""
    a = Fraction(k).denominator * _ri(rng, 2, 7)
    b = _ri(rng, -15, 15) or 4
    return f"{a}x{signed(b)} = {num(a * k + b)}"


def _free_linear(keys, rng):
    return "Solve the equations.", [_linear_part(k, rng) for k in keys]


def _free_system(keys, rng):
    x, y = keys
    return (
        f"Solve the system: x + y = {num(x + y)}, x − y = {num(x - y)}.",
        ["Find x.", "Find y."],
    )


def _free_system2(keys, rng):
    x, y = keys
    a1, b1, a2, b2 = _ri(rng, 2, 5), _ri(rng, 1, 4), _ri(rng, 1, 3), -_ri(rng, 1, 4)
    return (
        "Solve the system: "
        f"{lead(a1, 'x')}{signed(b1, 'y')} = {num(a1 * x + b1 * y)}, "
        f"{lead(a2, 'x')}{signed(b2, 'y')} = {num(a2 * x + b2 * y)}.",
        ["Find x.", "Find y."],
    )


def _free_quadratic(keys, rng):
    a, b = keys
    if a == b:
        return _free_linear(keys, rng)
    s, p = a + b, a * b
    first, second = ("smaller", "larger") if a < b else ("larger", "smaller")
    return (
        f"The equation x²{signed(-s, 'x')}{signed(p)} = 0 has two roots.",
        [f"Find the {first} root.", f"Find the {second} root."],
    )


def _free_progression(keys, rng):
    parts = []
    for k in keys:
        d, n = _ri(rng, -4, 6) or 3, _ri(rng, 4, 12)
        parts.append(f"a_{{1}} = {num(k - (n - 1) * d)}, d = {num(d)}. Find a_{{{n}}}.")
    return "Arithmetic progressions.", parts


def _free_functions(keys, rng):
    ka, kb = keys
    x1, x2, c = _ri(rng, -4, 4), _ri(rng, -5, 5), _ri(rng, 2, 6)
    return (
        "Find the values of the functions.",
        [
            f"f(x) = x²{signed(ka - x1 * x1)}. Find f({num(x1)}).",
            f"g(x) = {c}x{signed(kb - c * x2)}. Find g({num(x2)}).",
        ],
    )


def _free_derivative(keys, rng):
    ka, kb = keys
    x0 = _ri(rng, -3, 3)
    return (
        "Find the values of the derivatives.",
        [
            f"f(x) = x²{signed(ka - 2 * x0, 'x')}. Find f′({num(x0)}).",
            f"g(x) = x³{signed(kb - 3, 'x')}. Find g′(1).",
        ],
    )


def _free_compute(keys, rng):
    ka, kb = keys
    p, q, s = _ri(rng, 3, 9), _ri(rng, 3, 9), _ri(rng, 3, 8)
    return (
        "Compute.",
        [f"{p} · {q}{signed(ka - p * q)}", f"{s}²{signed(kb - s * s)}"],
    )


def _free_logs(keys, rng):
    ka, kb = keys
    m1, m2 = _ri(rng, 1, 6), _ri(rng, 1, 4)
    c2 = kb + m2
    return (
        "Compute.",
        [
            f"log_{{2}} {2**m1}{signed(ka - m1)}",
            f"{num(c2)} − log_{{5}} {5**m2}" if c2 else f"−log_{{5}} {5**m2}",
        ],
    )


def _free_midpoint(keys, rng):
    ka, kb = keys
    x1, y1 = _ri(rng, -9, 9), _ri(rng, -9, 9)
    return (
        f"A({num(x1)}; {num(y1)}) and B({num(2 * ka - x1)}; {num(2 * kb - y1)}) are points of "
        "the plane; M is the midpoint of AB.",
        ["Find the x-coordinate of M.", "Find the y-coordinate of M."],
    )


FreeTemplate = Callable[[list[int], np.random.Generator], tuple[str, list[str]]]
FREE_TEMPLATES: tuple[FreeTemplate, ...] = (
    _free_linear,
    _free_compute,
    _free_system,
    _free_quadratic,
    _free_functions,
    _free_progression,
    _free_logs,
    _free_system2,
    _free_derivative,
    _free_midpoint,
)


def _free(
    number: int,
    parts: list[tuple[str, str]],
    rng: np.random.Generator,
    index: int,
    *,
    points: float = 1.0,
    section: int = 0,
) -> FreeQuestion:
    values = [_key_value(answer) for _, answer in parts]
    template = FREE_TEMPLATES[index % len(FREE_TEMPLATES)]
    if len(values) != 2 or any(v.denominator != 1 for v in values):
        template = _free_linear  # the one template for any count of parts and fractions
    stem, texts = template([int(v) if v.denominator == 1 else v for v in values], rng)
    return FreeQuestion(
        number=number,
        stem=stem,
        parts=tuple(
            PartQuestion(sub_part=sub, text=text, answer=answer)
            for (sub, answer), text in zip(parts, texts, strict=True)
        ),
        points=points,
        section=section,
    )


def questions_for_key(items: Sequence[KeyedItem], *, seed: int = 0) -> list[Question]:
    """One question per exercise that agrees with the items' answer key.

    Multiple choice uses each item's options (A–D, A–E, …). Free-response keys
    must be numbers (the demo key's are integers); a fraction gets a linear
    equation with that root.
    """
    rng = np.random.default_rng(seed)
    questions: list[Question] = []
    free_parts: dict[int, list[tuple[str, str]]] = {}
    free_of: dict[int, tuple[float, int]] = {}
    for item in items:
        if not item.accepted_answers:
            raise ValueError(f"Item {item.number}{item.sub_part} has no answer in the key.")
        points = float(getattr(item, "points", 1.0))
        section = int(getattr(item, "section", 0))
        if item.kind == ItemKind.MULTIPLE_CHOICE:
            questions.append(
                _choice(
                    item.number,
                    item.accepted_answers[0],
                    rng,
                    tuple(item.options) or LETTERS,
                    points=points,
                    section=section,
                )
            )
        else:
            free_parts.setdefault(item.number, []).append((item.sub_part, item.accepted_answers[0]))
            free_of.setdefault(item.number, (points, section))
    for index, (number, parts) in enumerate(sorted(free_parts.items())):
        points, section = free_of[number]
        questions.append(_free(number, parts, rng, index, points=points, section=section))
    return sorted(questions, key=lambda q: q.number)


def question_points(question: Question) -> float:
    """What a question is worth on the sheet: its points, times its parts for free response."""
    if isinstance(question, FreeQuestion):
        return question.points * max(1, len([p for p in question.parts if p.sub_part]))
    return question.points


def paper_points(questions: Sequence[Question]) -> float:
    """Σ of the items' points (in hundredths, exactly: 27 × 1.1 is 29.7)."""
    return sum(round(question_points(q) * 100) for q in questions) / 100


# --- rendering --------------------------------------------------------------

_SYMBOL = {"√": "\xd6", "π": "p", "≤": "\xa3", "≥": "\xb3", "≠": "\xb9", "∞": "\xa5", "∫": "\xf2"}
_TOKEN = re.compile(r"\^\{([^}]*)\}|_\{([^}]*)\}|([√π≤≥≠∞∫])")
_TEXT_SUBS = str.maketrans({"−": "–", "′": "'"})
FONT = "helvetica"
SIZE = 11.0
LINE = 6.0


class _Paper(FPDF):
    exam_title = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, self.exam_title.translate(_TEXT_SUBS), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)


def _rich(pdf: FPDF, text: str, *, style: str = "", size: float = SIZE) -> None:
    """Write text that may hold ^{sup}, _{sub} and √ π ≤ ≥ ∞ ∫, wrapping at the margin."""
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            pdf.set_font(FONT, style, size)
            pdf.write(LINE, text[pos : match.start()].translate(_TEXT_SUBS))
        sup, sub, symbol = match.groups()
        if symbol:
            pdf.set_font("symbol", "", size)
            pdf.write(LINE, _SYMBOL[symbol])
        else:
            pdf.set_font(FONT, style, size)
            pdf.char_vpos = "SUP" if sup is not None else "SUB"
            pdf.write(LINE, (sup if sup is not None else sub).translate(_TEXT_SUBS))
            pdf.char_vpos = "LINE"
        pos = match.end()
    if pos < len(text):
        pdf.set_font(FONT, style, size)
        pdf.write(LINE, text[pos:].translate(_TEXT_SUBS))


def _safe(text: str) -> str:
    """Text the core fonts can print (cp1252): anything else becomes '?'."""
    return text.translate(_TEXT_SUBS).encode("cp1252", "replace").decode("cp1252")


def _plain(text: str) -> str:
    """The text without markup, for measuring (a symbol counts as one letter)."""
    return _TOKEN.sub(lambda m: m.group(1) or m.group(2) or "x", text).translate(_TEXT_SUBS)


def _plain_width(pdf: FPDF, text: str) -> float:
    pdf.set_font(FONT, "", SIZE)
    return pdf.get_string_width(_plain(text))


def _lines(pdf: FPDF, text: str, *, indent: float = 9) -> int:
    """How many lines `text` takes when written `indent` mm from the left margin."""
    pdf.set_font(FONT, "", SIZE)
    width = pdf.w - pdf.r_margin - pdf.l_margin - indent
    return len(pdf.multi_cell(width, LINE, _plain(text), dry_run=True, output="LINES"))


def _keep_together(pdf: FPDF, height: float) -> None:
    """Start a new page unless the next `height` mm fit on this one."""
    if pdf.will_page_break(height):
        pdf.add_page()


def _option_columns(pdf: FPDF, options: Sequence[str]) -> int:
    """All options on one line when they fit (4, 5 or 6 columns), else 3 or 2 columns."""
    usable = pdf.w - pdf.r_margin - pdf.l_margin - 9
    widest = max(_plain_width(pdf, o) for o in options)
    for columns in (len(options), 3, 2):
        if columns <= len(options) and widest < usable / columns - 9:
            return columns
    return 2


def _numbered(pdf: FPDF, number: int, text: str) -> None:
    """'12.' in bold at the margin, then the text indented (wrapped lines too)."""
    left = pdf.l_margin
    pdf.set_font(FONT, "B", SIZE)
    pdf.cell(9, LINE, f"{number}.")
    pdf.set_left_margin(left + 9)
    _rich(pdf, text)
    pdf.ln(LINE)
    pdf.set_left_margin(left)


def _options(pdf: FPDF, options: Sequence[str], letters: Sequence[str] = LETTERS) -> None:
    """A) … D) (or the item's own letters) in one row, or in rows of 3 or 2 when long."""
    left = pdf.l_margin + 9
    columns = _option_columns(pdf, options)
    width = (pdf.w - pdf.r_margin - left) / columns
    for i, (letter, option) in enumerate(zip(letters, options, strict=False)):
        if i and i % columns == 0:
            pdf.ln(LINE)
        pdf.set_x(left + (i % columns) * width)
        pdf.set_font(FONT, "B", SIZE)
        pdf.write(LINE, f"{letter}) ")
        _rich(pdf, option)
    pdf.ln(LINE + 2.5)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, "B", 12)
    pdf.set_fill_color(232, 238, 247)
    pdf.cell(0, 8, _safe(text), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _or_list(names: Sequence[str]) -> str:
    """'A, B, C or D'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _points_words(points: float) -> str:
    return f"{format_points(points, 'en')} point{'' if points == 1 else 's'}"


def section_rules(layout: Layout, questions: Sequence[Question] = ()) -> list[str]:
    """One rule line per section of the layout (the paper is in English)."""
    rules: list[str] = []
    numbers = {q.section: [] for q in questions}
    for q in questions:
        numbers[q.section].append(q.number)
    for index, (section, first) in enumerate(zip(layout.sections, layout.firsts(), strict=True)):
        got = numbers.get(index)
        low, high = (min(got), max(got)) if got else (first, first + section.count - 1)
        span = f"Exercise {low}" if low == high else f"Exercises {low}–{high}"
        title = section.title("en")
        if section.kind == "mcq":
            what = f"choose one answer, {_or_list(section.options)}"
            worth = f"{_points_words(section.points)} each"
        elif section.parts:
            parts = _or_list([f"{p})" for p in section.parts]).replace(" or ", " and ")
            what = f"give the answers to parts {parts}"
            worth = f"{_points_words(section.points)} per part"
        else:
            what = "give the answer"
            worth = f"{_points_words(section.points)} each"
        rules.append(f"• {span} ({title}): {what}. {worth}.")
    return rules


def _section_heading(layout: Layout, index: int) -> str:
    if index >= len(layout.sections):
        return f"Part {index + 1}"
    section = layout.sections[index]
    heading = f"Part {index + 1}. {section.title('en')}"
    if section.kind != "mcq" and section.parts:
        parts = _or_list([f"{p})" for p in section.parts]).replace(" or ", " and ")
        heading += f": parts {parts}"
    return heading


def render_paper(
    questions: Sequence[Question],
    *,
    title: str,
    duration_minutes: int = 150,
    layout: Layout | None = None,
) -> bytes:
    """The question paper as A4 PDF bytes: a heading and a rule per section of `layout`
    (default: the certificate), the total the sum of the items' points."""
    layout = layout or CERTIFICATE_MATH
    pdf = _Paper(format="A4", unit="mm")
    pdf.core_fonts_encoding = "cp1252"
    pdf.exam_title = title
    pdf.set_title(title)
    pdf.set_author("mockexam")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(90)
    pdf.cell(0, 5, "MOCK EXAM · QUESTION PAPER", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font(FONT, "B", 17)
    pdf.multi_cell(0, 8, title.translate(_TEXT_SUBS), new_x="LMARGIN", new_y="NEXT")
    points = format_points(paper_points(questions), "en")
    pdf.set_font(FONT, "", 10)
    pdf.cell(
        0,
        6,
        f"{len(questions)} exercises · {points} points · {duration_minutes} minutes",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_draw_color(150)
    pdf.set_font(FONT, "", 9.5)
    rules = section_rules(layout, questions)
    if any(s.kind != "mcq" for s in layout.sections):
        rules.append("• Write answers as integers or fractions (3/4); use – for negative numbers.")
    if any(s.subject != "math" for s in layout.sections):
        rules.append("• A demo paper: every section is made of mathematics exercises.")
    rules.append(
        "• Mark every answer on the answer sheet in the app: only the answer sheet is scored."
    )
    pdf.multi_cell(
        0,
        5,
        "\n".join(_safe(rule) for rule in rules),
        border=1,
        padding=3,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)

    section: int | None = None
    for question in questions:
        if question.section != section:
            section = question.section
            if pdf.get_y() > pdf.page_break_trigger - 45:
                pdf.add_page()
            _heading(pdf, _section_heading(layout, section))
        if isinstance(question, ChoiceQuestion):
            rows = math.ceil(len(question.options) / _option_columns(pdf, question.options))
            _keep_together(pdf, (_lines(pdf, question.text) + rows) * LINE + 2.5)
            _numbered(pdf, question.number, question.text)
            _options(pdf, question.options, question.letters)
            continue
        height = _lines(pdf, question.stem) * LINE + 2.5
        height += sum(_lines(pdf, part.text, indent=15) for part in question.parts) * LINE
        _keep_together(pdf, height)
        _numbered(pdf, question.number, question.stem)
        left = pdf.l_margin
        for part in question.parts:
            pdf.set_x(left + 9)
            pdf.set_font(FONT, "B", SIZE)
            if part.sub_part:
                pdf.write(LINE, f"{part.sub_part}) ")
            pdf.set_left_margin(left + 15)
            _rich(pdf, part.text)
            pdf.set_left_margin(left)
            pdf.ln(LINE)
        pdf.ln(2.5)
    return bytes(pdf.output())


# --- the demo's file ---------------------------------------------------------


def paper_relative_path(exam_id: int) -> str:
    """Where an exam's demo paper lives, relative to `settings.upload_dir`."""
    return f"{PAPERS_DIR}/exam-{exam_id}.pdf"


def attach_demo_paper(session: Session, exam: Exam, *, seed: int = 0) -> str:
    """Write a paper matching the exam's key under the upload dir and set `exam.pdf_path`."""
    items = exam_service.get_items(session, exam.id)
    data = render_paper(
        questions_for_key(items, seed=seed),
        title=exam.title,
        duration_minutes=exam.duration_minutes,
        layout=exam_service.exam_layout(exam),
    )
    relative = paper_relative_path(exam.id)
    target = Path(settings.upload_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".pdf.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    exam_service.update_exam(session, exam.id, pdf_path=relative)
    return relative
