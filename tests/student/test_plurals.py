"""Russian numbers take one of three word forms (1 минута, 3 минуты, 5 минут); the Mini
App said "3 минут". `count_text` chooses the form on the server for a fixed number and
in the browser for a Var: the browser's expression is run here in Node, with Reflex's own
`pyAnd`/`pyOr` (reflex_base's state.js), so what is tested is what the page runs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import reflex as rx

from mockexam.student.i18n import MINUTES, count_text, russian_form

RU = (" минута", " минуты", " минут")
CASES = {
    0: " минут",
    1: " минута",
    2: " минуты",
    3: " минуты",
    4: " минуты",
    5: " минут",
    11: " минут",
    12: " минут",
    14: " минут",
    21: " минута",
    22: " минуты",
    25: " минут",
    101: " минута",
    111: " минут",
    150: " минут",
    180: " минут",
}
# Reflex's helpers, as state.js defines them (isTrue: JavaScript truthiness there too).
PRELUDE = """
const isTrue = (v) => (Array.isArray(v) ? v.length > 0 : !!v);
const pyOr = (a, b) => (isTrue(a) ? a : b());
const pyAnd = (a, b) => (isTrue(a) ? b() : a);
"""


@pytest.mark.parametrize(("n", "form"), sorted(CASES.items()))
def test_russian_form(n, form):
    assert russian_form(n, *RU) == form


def _in_browser(expressions: list[str]) -> list[str]:
    node = shutil.which("node")
    assert node, "Node.js is part of the machine (README: the two commands need it)"
    script = PRELUDE + f"console.log(JSON.stringify([{', '.join(expressions)}]));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_browser_chooses_the_same_form_for_a_var_in_every_language():
    numbers = sorted(CASES)
    expressions = [
        str(count_text(rx.Var.create(n), **MINUTES, lang=rx.Var.create(lang)))
        for lang in ("ru", "en", "uz")
        for n in numbers
    ]
    got = _in_browser(expressions)
    count = len(numbers)
    assert got[:count] == [CASES[n] for n in numbers]
    assert got[count : 2 * count] == [" minute" if n == 1 else " minutes" for n in numbers]
    assert got[2 * count :] == [" daqiqa"] * count


@pytest.mark.parametrize(("n", "form"), [(3, " минуты"), (5, " минут"), (21, " минута")])
def test_a_fixed_number_is_worded_on_the_server(n, form):
    expression = str(count_text(n, **MINUTES, lang=rx.Var.create("ru")))
    assert _in_browser([expression]) == [form]
