"""Tests for mockexam.scoring.grading: layout, normalisation, matching, validation, sheets."""

from __future__ import annotations

import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.grading import (
    DEFAULT_OPTIONS,
    FREE,
    MCQ,
    ItemSpec,
    SheetResult,
    answers_match,
    default_layout,
    grade_item,
    grade_sheet,
    normalize_choice,
    normalize_free_response,
    parse_number,
    validate_answer,
    validate_layout,
)

MCQ_ITEM = ItemSpec(7, "", MCQ, DEFAULT_OPTIONS)
FREE_ITEM = ItemSpec(36, "a", FREE, ())


# --- layout -----------------------------------------------------------------


def test_default_layout_has_45_exercises_55_items_in_sheet_order() -> None:
    items = default_layout()
    labels = [item.label for item in items]
    assert len(items) == 55
    assert len({item.number for item in items}) == 45
    assert sum(item.points for item in items) == 55
    assert labels[:3] == ["1", "2", "3"]
    assert labels[34:38] == ["35", "36a", "36b", "37a"]
    assert labels[-1] == "45b"
    assert all(i.kind == MCQ and i.options == ("A", "B", "C", "D") for i in items[:35])
    assert all(i.kind == FREE and i.options == () for i in items[35:])


def test_default_layout_builds_other_layouts() -> None:
    items = default_layout(3, 2, ("A", "B", "C", "D", "E"), sub_parts=("a", "b", "c"))
    assert [i.label for i in items] == ["1", "2", "3", "4a", "4b", "4c", "5a", "5b", "5c"]
    assert items[0].options == ("A", "B", "C", "D", "E")


def test_item_spec_label_joins_number_and_sub_part() -> None:
    assert MCQ_ITEM.label == "7"
    assert FREE_ITEM.label == "36a"


def test_item_spec_accepts_a_list_of_options() -> None:
    item = ItemSpec(1, "", MCQ, ["A", "B"])  # type: ignore[arg-type]
    assert item.options == ("A", "B")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"number": 0, "sub_part": "", "kind": MCQ, "options": ("A",)}, "number must be 1"),
        ({"number": 1, "sub_part": "A", "kind": FREE, "options": ()}, "sub-part"),
        ({"number": 1, "sub_part": "", "kind": "essay", "options": ()}, "kind must be"),
        ({"number": 1, "sub_part": "", "kind": MCQ, "options": ()}, "needs non-empty options"),
        ({"number": 1, "sub_part": "", "kind": MCQ, "options": ("A", "a")}, "options repeat"),
        ({"number": 1, "sub_part": "", "kind": FREE, "options": ("A",)}, "has no options"),
        ({"number": 1, "sub_part": "", "kind": FREE, "options": (), "points": 0}, "points"),
    ],
)
def test_item_spec_refuses_inconsistent_items(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ItemSpec(**kwargs)  # type: ignore[arg-type]


def test_validate_layout_refuses_a_label_twice() -> None:
    with pytest.raises(ValidationError, match="Item 36a appears twice"):
        validate_layout([FREE_ITEM, FREE_ITEM])


def test_validate_layout_refuses_an_exercise_both_whole_and_split() -> None:
    with pytest.raises(ValidationError, match="Exercise 36 is both"):
        validate_layout([ItemSpec(36, "", FREE, ()), FREE_ITEM])


# --- normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  12 ", "12"),
        ("X + 1", "x+1"),
        ("\u22121/2", "-1/2"),  # Unicode minus sign
        ("\u20133", "-3"),  # en dash
        ("\u20143", "-3"),  # em dash
        ("\u20103", "-3"),  # hyphen
        ("\uff0d3", "-3"),  # full-width hyphen-minus
        ("\uff11\uff12", "12"),  # full-width digits (NFKC)
        ("\u00bd", "1/2"),  # vulgar fraction ½ → 1⁄2 → 1/2
        ("x\u00b2", "x2"),  # NFKC folds superscripts; accepted answers fold the same way
        ("3\u00d72", "3*2"),  # ×
        ("3\u00b72", "3*2"),  # middle dot as multiplication
        ("6\u00f72", "6/2"),  # ÷
        ("1,5", "1.5"),  # decimal comma
        ("-0,25", "-0.25"),
        ("0,5; 1,5", "0.5;1.5"),  # semicolon list of decimal-comma numbers
        ("1,2,3", "1,2,3"),  # comma list stays a list
        ("1, 2, 3", "1,2,3"),
        ("1, 5", "1,5"),  # a space after the comma marks a list, not a decimal
        ("(1,2)", "(1.2)"),  # a lone comma between digits is decimal
        ("a,b", "a,b"),
        ("1 000", "1000"),
        ("1\u00a0000", "1000"),  # no-break space
        ("1\u200b2", "12"),  # zero-width space
        ("\ufeff7", "7"),  # BOM
        ("\u0130", "i\u0307"),  # case-fold (İ)
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_free_response_table(raw: str, expected: str) -> None:
    assert normalize_free_response(raw) == expected


def test_normalize_free_response_is_idempotent() -> None:
    for raw in ["\u2212 1,5", "0,5; 1,5", "\u00bd", "1, 2, 3", "X\u00d7Y"]:
        once = normalize_free_response(raw)
        assert normalize_free_response(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "2"),
        ("2.0", "2"),
        ("2.", "2"),
        ("+2", "2"),
        (".5", "1/2"),
        ("007.50", "15/2"),
        ("2/4", "1/2"),
        ("-1/2", "-1/2"),
        ("(-1)/2", "-1/2"),
        ("1/(-2)", "-1/2"),
        ("-(1/2)", "-1/2"),
        ("(1/2)", "1/2"),
        ("(-1)/(-2)", "1/2"),
        ("1.5/3", "1/2"),
        ("-0", "0"),
    ],
)
def test_parse_number_reads_exact_values(text: str, expected: str) -> None:
    from fractions import Fraction

    assert parse_number(text) == Fraction(expected)


@pytest.mark.parametrize(
    "text",
    ["", "x", "1/0", "0/0", "--2", "+-2", "1/2/3", "1e3", "50%", "(1", "1..2", ".", "-", "1" * 65],
)
def test_parse_number_refuses_non_numbers(text: str) -> None:
    assert parse_number(text) is None


# --- matching -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("12", "12"),
        ("\u22121/2", "-1/2"),  # Unicode minus
        ("\u20131/2", "-0.5"),  # en dash
        ("0,5", "0.5"),  # decimal comma
        ("0,5", "1/2"),
        ("1 / 2", "1/2"),  # spaces
        ("X+1", "x + 1"),  # case
        ("\uff11\uff12", "12"),  # full-width digits
        ("\u00bd", "0.5"),
        ("2\u00d73", "2*3"),  # ×
        ("6\u00f7x", "6/x"),  # ÷
        ("2", "2.0"),
        ("+2", "2"),
        ("0.5", "1/2"),
        (".5", "1/2"),
        ("2/4", "0.5"),
        ("-1/2", "-0.5"),
        ("(-1)/2", "-0.5"),
        ("1/(-2)", "-1/2"),
        ("-(1/2)", "-.5"),
        ("0.50", ".5"),
        ("-0", "0"),
        ("3", "6/2"),
        ("1,2,3", "1, 2, 3"),  # text answers compare as normalised strings
        ("sqrt(2)", "SQRT(2)"),
    ],
)
def test_answers_match_equal_forms(given: str, accepted: str) -> None:
    assert answers_match(given, accepted)
    assert answers_match(accepted, given)


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("1/2", "2"),
        ("0.5", "0.05"),
        ("-1/2", "1/2"),
        ("12", "21"),
        ("x+1", "1+x"),  # no algebra: only numbers compare by value
        ("x=2", "2"),
        ("1,5", "15"),
        ("1, 5", "1.5"),  # a list is not a decimal
        ("1 1/2", "3/2"),  # no mixed numbers: spaces are dropped, this is 11/2
        ("1/0", "0"),
        ("--2", "2"),
        ("", ""),  # empty never matches
        ("", "0"),
        ("   ", "0"),
        ("0", ""),
        ("\u200b", "\u200b"),
    ],
)
def test_answers_match_refuses_different_answers(given: str, accepted: str) -> None:
    assert not answers_match(given, accepted)


# --- choices and answer validation ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("A", "A"), ("b", "B"), ("  c ", "C"), ("\uff24", "D"), ("\u0421", "C"), ("\u0430", "A")],
)
def test_normalize_choice_returns_the_canonical_option(value: str, expected: str) -> None:
    assert normalize_choice(value, DEFAULT_OPTIONS) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("E", r"'E' is not one of A, B, C, D"),
        ("AB", r"'AB' is not one of A, B, C, D"),
        ("", "No answer given: choose one of A, B, C, D"),
        ("  ", "No answer given"),
        ("x" * 100, r"'x{19}…' is not one of"),
    ],
)
def test_normalize_choice_refuses_other_values(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        normalize_choice(value, DEFAULT_OPTIONS)


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        (MCQ_ITEM, "a", "A"),
        (MCQ_ITEM, " D ", "D"),
        (MCQ_ITEM, "", ""),
        (MCQ_ITEM, "  ", ""),
        (FREE_ITEM, "  -1/2 ", "-1/2"),
        (FREE_ITEM, "\u2212 1,5", "\u2212 1,5"),  # stored as typed, normalised when graded
        (FREE_ITEM, "", ""),
        (FREE_ITEM, "\u200b", ""),  # nothing visible: a clear
        (FREE_ITEM, "1" * 64, "1" * 64),
    ],
)
def test_validate_answer_returns_the_value_to_store(
    item: ItemSpec, value: str, expected: str
) -> None:
    assert validate_answer(item, value) == expected


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        (MCQ_ITEM, "E", r"Item 7: 'E' is not one of A, B, C, D"),
        (FREE_ITEM, "1" * 65, "Item 36a: the answer is 65 characters long; at most 64"),
        (FREE_ITEM, "\u3390" * 40, "Item 36a: the answer is 80 characters"),  # ㎐ → hz after NFKC
        (
            FREE_ITEM,
            "1" * 50 + " " * 20 + "2",
            "Item 36a: the answer is 71 characters",
        ),  # as stored
        (FREE_ITEM, "1\n2", "Item 36a: the answer contains control characters"),
        (FREE_ITEM, "1\x002", "Item 36a: the answer contains control characters"),
    ],
)
def test_validate_answer_refuses_bad_values_naming_the_item(
    item: ItemSpec, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_answer(item, value)


def test_validate_answer_honours_max_chars() -> None:
    assert validate_answer(FREE_ITEM, "12345", max_chars=5) == "12345"
    with pytest.raises(ValidationError, match="at most 4"):
        validate_answer(FREE_ITEM, "12345", max_chars=4)


@pytest.mark.parametrize(
    ("item", "accepted", "given", "expected"),
    [
        (MCQ_ITEM, ["B"], "b", True),
        (MCQ_ITEM, ["B"], "C", False),
        (MCQ_ITEM, ["B"], "", False),
        (MCQ_ITEM, ["B"], "garbage", False),
        (MCQ_ITEM, ["B", "C"], "C", True),  # an admin may accept two options
        (FREE_ITEM, ["0.5", "x"], "1/2", True),
        (FREE_ITEM, ["0.5", "x"], "X", True),
        (FREE_ITEM, ["0.5"], "", False),
    ],
)
def test_grade_item_table(item: ItemSpec, accepted: list[str], given: str, expected: bool) -> None:
    assert grade_item(item, accepted, given) is expected


# --- sheets -------------------------------------------------------------------


def _small_layout() -> list[ItemSpec]:
    """Two multiple-choice items and two two-part free-response exercises."""
    return default_layout(2, 2)


SMALL_KEY = {"1": ["A"], "2": ["B"], "3a": ["1/2"], "3b": ["-2"], "4a": ["x+1"], "4b": ["7"]}


@pytest.mark.parametrize(
    ("answers", "points", "exercises", "wrong"),
    [
        (
            {"1": "a", "2": "B", "3a": "0,5", "3b": "\u22122", "4a": "X + 1", "4b": "7.0"},
            6,
            4,
            [],
        ),
        ({}, 0, 0, ["1", "2", "3a", "3b", "4a", "4b"]),  # unanswered = wrong
        # one part of each free exercise wrong: points count, exercises do not
        (
            {"1": "A", "2": "B", "3a": "1/2", "3b": "2", "4a": "x+1", "4b": ""},
            4,
            2,
            ["3b", "4b"],
        ),
        ({"1": "A", "3a": "1/2", "3b": "-2"}, 3, 2, ["2", "4a", "4b"]),
    ],
)
def test_grade_sheet_counts_points_and_whole_exercises(
    answers: dict[str, str], points: int, exercises: int, wrong: list[str]
) -> None:
    result = grade_sheet(_small_layout(), SMALL_KEY, answers)
    assert isinstance(result, SheetResult)
    assert (result.points, result.max_points) == (points, 6)
    assert (result.exercises, result.max_exercises) == (exercises, 4)
    assert sorted(label for label, ok in result.correct.items() if not ok) == wrong
    assert list(result.correct) == ["1", "2", "3a", "3b", "4a", "4b"]


def test_grade_sheet_default_layout_all_right_is_55_of_55_and_45_of_45() -> None:
    items = default_layout()
    key = {i.label: ["C"] if i.kind == MCQ else ["1/2"] for i in items}
    answers = {i.label: "c" if i.kind == MCQ else "0,5" for i in items}
    result = grade_sheet(items, key, answers)
    assert (result.points, result.max_points, result.exercises, result.max_exercises) == (
        55,
        55,
        45,
        45,
    )
    answers["36b"] = "2"
    result = grade_sheet(items, key, answers)
    assert (result.points, result.exercises) == (54, 44)


@pytest.mark.parametrize(
    ("excluded", "points", "max_points", "exercises", "max_exercises"),
    [
        ((), 3, 6, 1, 4),
        (["2"], 3, 5, 1, 3),  # a whole single-part exercise drops out
        (["3a", "3b"], 2, 4, 1, 3),  # every part excluded: the exercise drops out
        (["3b"], 2, 5, 1, 4),  # 3 now counts on 3a alone, which is wrong
        (["4b"], 3, 5, 2, 4),  # 4 now counts on 4a alone, which is right
        (["1", "2", "3a", "3b", "4a", "4b"], 0, 0, 0, 0),
    ],
)
def test_grade_sheet_leaves_excluded_items_out(
    excluded: list[str], points: int, max_points: int, exercises: int, max_exercises: int
) -> None:
    answers = {"1": "A", "2": "C", "3a": "2", "3b": "-2", "4a": "x+1", "4b": "8"}
    result = grade_sheet(_small_layout(), SMALL_KEY, answers, excluded)
    assert (result.points, result.max_points) == (points, max_points)
    assert (result.exercises, result.max_exercises) == (exercises, max_exercises)
    assert not set(excluded) & set(result.correct)


def test_grade_sheet_does_not_need_a_key_for_excluded_items() -> None:
    key = {label: v for label, v in SMALL_KEY.items() if label != "4b"}
    result = grade_sheet(_small_layout(), key, {"4a": "x+1"}, excluded={"4b"})
    assert (result.exercises, result.max_exercises) == (1, 4)


def test_grade_sheet_counts_item_points() -> None:
    items = [ItemSpec(1, "", MCQ, DEFAULT_OPTIONS, points=2), ItemSpec(2, "a", FREE, (), 3)]
    result = grade_sheet(items, {"1": ["A"], "2a": ["5"]}, {"1": "A", "2a": "5"})
    assert (result.points, result.max_points, result.exercises, result.max_exercises) == (
        5,
        5,
        2,
        2,
    )


def test_grade_sheet_ignores_answers_and_keys_not_on_the_sheet() -> None:
    key = {**SMALL_KEY, "99": ["A"]}
    result = grade_sheet(_small_layout(), key, {"1": "A", "99": "A"})
    assert result.points == 1
    assert "99" not in result.correct


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({k: v for k, v in SMALL_KEY.items() if k not in ("2", "4b")}, "item 2 has no accepted"),
        ({k: v for k, v in SMALL_KEY.items() if k not in ("2", "4b")}, "item 4b has no accepted"),
        ({**SMALL_KEY, "3a": []}, "item 3a has no accepted answer"),
        ({**SMALL_KEY, "3a": ["  "]}, "item 3a has no accepted answer"),
        ({**SMALL_KEY, "1": ["E"]}, r"item 1: the key 'E' is not one of A, B, C, D"),
    ],
)
def test_grade_sheet_refuses_an_unusable_key_naming_the_item(
    key: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        grade_sheet(_small_layout(), key, {})


def test_grade_sheet_refuses_excluding_an_unknown_item() -> None:
    with pytest.raises(ValidationError, match="not on the sheet: 3c"):
        grade_sheet(_small_layout(), SMALL_KEY, {}, excluded=["3c"])


def test_grade_sheet_refuses_a_broken_layout() -> None:
    with pytest.raises(ValidationError, match="appears twice"):
        grade_sheet([MCQ_ITEM, MCQ_ITEM], {"7": ["A"]}, {})


@pytest.mark.parametrize("module", ["grading", "answer_key", "layout", "layout_templates"])
def test_grading_modules_import_only_the_standard_library(module: str) -> None:
    import ast
    import sys
    from pathlib import Path

    import mockexam.scoring

    source = Path(mockexam.scoring.__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        # mockexam.text: the bidi-control rule, itself standard library only.
        and name
        not in {
            "mockexam.errors",
            "mockexam.scoring.grading",
            "mockexam.scoring.layout",
            "mockexam.scoring.layout_templates",
            "mockexam.text",
        }
    }
    assert not outside
