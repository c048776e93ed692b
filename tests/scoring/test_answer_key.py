"""Tests for mockexam.scoring.answer_key: every accepted form, every error with its line."""

from __future__ import annotations

import pytest

from mockexam.errors import AnswerKeyError, ValidationError
from mockexam.scoring.answer_key import missing_items, parse_answer_key
from mockexam.scoring.grading import FREE, MCQ, ItemSpec, default_layout, grade_sheet

ITEMS = default_layout()
LETTERS_35 = "ABCDA BCDAB CDABC DABCD ABCDA BCDAB CDABC"


def _errors(text: str, items: list[ItemSpec] = ITEMS, lang: str = "en") -> list[tuple[int, str]]:
    """The (line, message) pairs of a refused paste, the messages in `lang`."""
    with pytest.raises(AnswerKeyError) as caught:
        parse_answer_key(text, items)
    return [(line, m if isinstance(m, str) else m.text(lang)) for line, m in caught.value.errors]


# --- accepted forms -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 A", {"1": ["A"]}),
        ("2 c", {"2": ["C"]}),
        ("1. A", {"1": ["A"]}),
        ("1.A", {"1": ["A"]}),
        ("1) A", {"1": ["A"]}),
        ("1: a", {"1": ["A"]}),
        ("1-A", {"1": ["A"]}),
        ("1 - A", {"1": ["A"]}),
        ("1 \u2013 B", {"1": ["B"]}),  # en dash from a word processor
        ("1A", {"1": ["A"]}),
        ("1\tA", {"1": ["A"]}),  # pasted from a spreadsheet
        ("  1   A  ", {"1": ["A"]}),
        ("1 \u0410", {"1": ["A"]}),  # Cyrillic А
        ("\uff11\uff09\uff22", {"1": ["B"]}),  # full-width "1）B"
        ("36a 12", {"36a": ["12"]}),
        ("36a) 12", {"36a": ["12"]}),
        ("36a: -1/2", {"36a": ["-1/2"]}),
        ("36a) -1/2", {"36a": ["-1/2"]}),
        ("36a -1/2", {"36a": ["-1/2"]}),  # space before the minus: it is a sign
        ("36a --1/2", {"36a": ["-1/2"]}),
        ("36a--1/2", {"36a": ["-1/2"]}),
        ("36a - 1/2", {"36a": ["1/2"]}),  # spaces on both sides: a separator
        ("36a .5", {"36a": [".5"]}),
        ("36a. 5", {"36a": ["5"]}),
        ("36a \u22121/2", {"36a": ["\u22121/2"]}),  # minus sign kept as typed
        ("36 a 12", {"36a": ["12"]}),
        ("36 a) 12", {"36a": ["12"]}),
        ("36A: 12", {"36a": ["12"]}),
        ("36a12", {"36a": ["12"]}),
        ("36b x + 1", {"36b": ["x + 1"]}),
        ("37a 0.5 | 1/2", {"37a": ["0.5", "1/2"]}),
        ("37a 0.5; 1/2", {"37a": ["0.5", "1/2"]}),
        ("37a 0.5 | 0.5", {"37a": ["0.5"]}),  # repeated alternative kept once
        ("37a 0,5; 1,5 | 1,5; 0,5", {"37a": ["0,5; 1,5", "1,5; 0,5"]}),  # '|' wins over ';'
        ("37a x#1", {"37a": ["x#1"]}),  # '#' inside an answer is not a comment
        ("37a 12 # checked twice", {"37a": ["12"]}),
        ("# week 12 key\n\n1 B\n   \n# end", {"1": ["B"]}),
        ("\ufeff1 A", {"1": ["A"]}),  # byte-order mark from a text file
        ("1 A\r\n2 B\r\n", {"1": ["A"], "2": ["B"]}),
        ("", {}),
        ("# nothing yet", {}),
    ],
)
def test_parse_answer_key_accepts_each_form(text: str, expected: dict[str, list[str]]) -> None:
    assert parse_answer_key(text, ITEMS) == expected


def test_parse_answer_key_whole_free_exercise_reads_a_letter_as_the_answer() -> None:
    items = [ItemSpec(5, "", FREE, ())]
    assert parse_answer_key("5 a", items) == {"5": ["a"]}


def test_parse_answer_key_letter_string_alone_keys_the_multiple_choice_items() -> None:
    key = parse_answer_key(LETTERS_35, ITEMS)
    assert list(key) == [str(n) for n in range(1, 36)]
    assert key["1"] == ["A"]
    assert key["6"] == ["B"]
    assert key["35"] == ["C"]
    assert missing_items(key, ITEMS) == [i.label for i in ITEMS if i.kind == FREE]


def test_parse_answer_key_letter_string_then_free_response_lines_gives_a_full_key() -> None:
    free_lines = "\n".join(f"{n}{p} {n}" for n in range(36, 46) for p in "ab")
    text = f"# key\n{LETTERS_35.lower()}\n{free_lines}\n"
    key = parse_answer_key(text, ITEMS)
    assert list(key) == [item.label for item in ITEMS]  # sheet order
    assert missing_items(key, ITEMS) == []
    assert key["45b"] == ["45"]
    answers = {label: accepted[0] for label, accepted in key.items()}
    assert grade_sheet(ITEMS, key, answers).points == 55


def test_parse_answer_key_returns_sheet_order_whatever_the_line_order() -> None:
    assert list(parse_answer_key("36b 1\n2 A\n36a 2\n1 B", ITEMS)) == ["1", "2", "36a", "36b"]


def test_parse_answer_key_uses_the_layout_options() -> None:
    items = [ItemSpec(1, "", MCQ, ("A", "B", "C", "D", "E")), ItemSpec(2, "", MCQ, ("T", "F"))]
    assert parse_answer_key("1 e\n2 f", items) == {"1": ["E"], "2": ["F"]}
    assert parse_answer_key("ET", items) == {"1": ["E"], "2": ["T"]}


def test_parse_answer_key_honours_max_chars() -> None:
    assert parse_answer_key("36a 12345", ITEMS, max_chars=5) == {"36a": ["12345"]}
    with pytest.raises(AnswerKeyError, match="at most 4"):
        parse_answer_key("36a 12345", ITEMS, max_chars=4)


def test_parse_answer_key_refuses_a_broken_layout() -> None:
    with pytest.raises(ValidationError, match="appears twice"):
        parse_answer_key("1 A", [ITEMS[0], ITEMS[0]])


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1 A\n46 B", 2, "unknown item '46'; the sheet has items 1–45b"),
        ("\n\n46a 1", 3, "unknown item '46a'; the sheet has items 1–45b"),
        ("0 A", 1, "unknown item '0'"),
        ("99999999999999999 A", 1, "unknown item '99999999999…'"),
        ("36c 1", 1, "unknown item '36c'; exercise 36 has 36a, 36b"),
        ("# x\n36 12", 2, "exercise 36 has parts 36a, 36b: write e.g. '36a …'"),
        ("A) 12", 1, "'A) 12' does not start with an item number"),
        ("1 A\n2 E", 2, "item 2: 'E' is not one of A, B, C, D"),
        ("3 AB", 1, "item 3: 'AB' is not one of A, B, C, D"),
        ("4 A | B", 1, "item 4 takes one letter, not 2 answers"),
        ("5 A;", 1, "item 5 takes one letter, not 2 answers"),
        ("5.5", 1, "item 5: '5' is not one of A, B, C, D"),
        ("36a", 1, "item 36a has no answer"),
        ("36a:", 1, "item 36a has no answer"),
        ("36a # todo", 1, "item 36a has no answer"),
        ("36a 1 |", 1, "item 36a: an accepted answer is empty"),
        ("36a 1 ;; 2", 1, "item 36a: an accepted answer is empty"),
        ("36a \u200b", 1, "item 36a: an accepted answer is empty"),
        ("36b " + "1" * 65, 1, "item 36b: the answer is 65 characters long; at most 64"),
        ("36b " + "\u3390" * 33, 1, "item 36b: the answer is 66 characters long"),  # NFKC: ㎐ → hz
        ("36b 1\x012", 1, "item 36b: the answer contains control characters"),
        ("36a-1/2", 1, "'36a-1/2' is ambiguous: write '36a: -1/2' or '36a: 1/2'"),
        ("36a.5", 1, "'36a.5' is ambiguous: write '36a: .5' or '36a: 5'"),
    ],
)
def test_parse_answer_key_reports_each_error_with_its_line(
    text: str, line: int, message: str
) -> None:
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0][0] == line
    assert message in errors[0][1]


def test_parse_answer_key_error_message_names_the_line() -> None:
    with pytest.raises(AnswerKeyError) as caught:
        parse_answer_key("1 A\n\n# note\n2 E", ITEMS)
    assert "line 4: item 2: 'E' is not one of A, B, C, D" in str(caught.value)
    assert str(caught.value).startswith("The answer key was not saved:")


def test_parse_answer_key_counts_lines_as_a_text_box_shows_them() -> None:
    errors = _errors("1 A\r\n2 B\r3 C\n36b 1\x0c2\n\u2028\n4 Q")
    assert [line for line, _ in errors] == [4, 6]
    assert "control characters" in errors[0][1]


def test_parse_answer_key_collects_every_error_in_line_order() -> None:
    text = "\n".join(
        [
            "1 A",  # 1 ok
            "2 Z",  # 2 bad letter
            "",
            "46 B",  # 4 unknown item
            "36a 1/2 | ",  # 5 empty alternative
            "1 C",  # 6 duplicate of line 1
            "37 x",  # 7 missing sub-part
            "36b " + "9" * 70,  # 8 too long
        ]
    )
    errors = _errors(text)
    assert [line for line, _ in errors] == [2, 4, 5, 6, 7, 8]
    assert "item 1 is given twice: on line 1 and line 6" in errors[3][1]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1 A\n1 B", 2, "item 1 is given twice: on line 1 and line 2"),
        ("36a 1\n\n36 a 2", 3, "item 36a is given twice: on line 1 and line 3"),
        ("36A 1\n36a 1", 2, "item 36a is given twice: on line 1 and line 2"),
        (f"{LETTERS_35}\n7 C", 2, "item 7 is given twice: on line 1 and line 2"),
        ("1 E\n1 A", 2, "item 1 is given twice: on line 1 and line 2"),  # even if the first was bad
    ],
)
def test_parse_answer_key_reports_duplicates_naming_both_lines(
    text: str, line: int, message: str
) -> None:
    errors = _errors(text)
    assert (line, message) in errors


def test_parse_answer_key_reports_every_repeat_against_the_first_line() -> None:
    errors = _errors("1 A\n1 B\n1 C")
    assert errors == [
        (2, "item 1 is given twice: on line 1 and line 2"),
        (3, "item 1 is given twice: on line 1 and line 3"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ABCD",
            [
                (
                    1,
                    "the string of letters has 4 letters, but the sheet has 35 multiple-choice items (1–35)",
                )
            ],
        ),
        (
            "# key\n" + LETTERS_35 + " A",
            [
                (
                    2,
                    "the string of letters has 36 letters, but the sheet has 35 multiple-choice items (1–35)",
                )
            ],
        ),
        (
            LETTERS_35.replace("ABCDA BCDAB CDABC", "ABCDA BCDAB CDXBC", 1),
            [(1, "letter 13 ('X', item 13) is not one of A, B, C, D")],
        ),
        (
            "ABCE",
            [
                (
                    1,
                    "the string of letters has 4 letters, but the sheet has 35 multiple-choice items (1–35)",
                ),
                (1, "letter 4 ('E', item 4) is not one of A, B, C, D"),
            ],
        ),
        (
            f"1 A\n{LETTERS_35}",
            [
                (
                    2,
                    "a string of letters is only accepted as the first entry; give other items one per line, like '7 B' or '36a 12'",
                )
            ],
        ),
    ],
)
def test_parse_answer_key_letter_string_errors(text: str, expected: list[tuple[int, str]]) -> None:
    assert _errors(text) == expected


def test_parse_answer_key_letter_string_needs_multiple_choice_items() -> None:
    items = [ItemSpec(1, "a", FREE, ())]
    assert _errors("AB", items) == [
        (1, "a string of letters needs multiple-choice items; this sheet has none")
    ]


def test_parse_answer_key_shows_ten_errors_and_counts_the_rest() -> None:
    text = "\n".join(f"{n} Q" for n in range(1, 13))
    with pytest.raises(AnswerKeyError) as caught:
        parse_answer_key(text, ITEMS)
    assert len(caught.value.errors) == 12
    assert "(and 2 more)" in str(caught.value)


# --- missing items -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "missing"),
    [
        ({}, ["1", "2a", "2b"]),
        ({"1": ["A"], "2b": ["3"]}, ["2a"]),
        ({"1": ["A"], "2a": [], "2b": ["3"]}, ["2a"]),  # an empty list is missing too
        ({"1": ["A"], "2a": ["1"], "2b": ["3"], "9": ["x"]}, []),
    ],
)
def test_missing_items_lists_unkeyed_labels_in_sheet_order(
    key: dict[str, list[str]], missing: list[str]
) -> None:
    assert missing_items(key, default_layout(1, 1)) == missing


# --- bounded and bidi-free (issue 20, items 8 and 10) ---------------------------------


def test_bidi_controls_are_removed_from_the_key_before_parsing():
    rlo, lrm = "\u202e", "\u200e"
    key = parse_answer_key(f"1 {rlo}A\n36a {rlo}12{lrm} | \u20661/2\u2069\n{rlo}2 B", ITEMS)
    assert key == {"1": ["A"], "2": ["B"], "36a": ["12", "1/2"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 A\n" + " " * 20_000, "it is 20,004 characters long; at most 20,000 are accepted"),
        ("\n" * 1_000 + "1 A", "it has 1,001 lines; at most 1,000 are accepted"),
        ("\r" * 500 + "\r\n" * 501, "it has 1,002 lines; at most 1,000 are accepted"),
    ],
)
def test_a_paste_too_large_to_be_a_key_is_refused_before_parsing(text, message):
    with pytest.raises(ValidationError) as caught:
        parse_answer_key(text, ITEMS)
    assert not isinstance(caught.value, AnswerKeyError)
    assert str(caught.value) == f"The answer key was not saved: {message}."


def test_the_largest_accepted_paste_still_names_its_bad_lines():
    text = "1 A\n" + "# a comment\n" * 990 + "2 Q"
    assert _errors(text) == [(992, "item 2: 'Q' is not one of A, B, C, D")]


# --- layouts: sections and more options (issue 21) --------------------------------------


def _dtm_items() -> list[ItemSpec]:
    from mockexam.scoring.layout_templates import DTM_BLOCK

    return DTM_BLOCK.items()


def test_a_fifth_option_is_a_key_where_the_item_has_it() -> None:
    items = [ItemSpec(n, "", MCQ, ("A", "B", "C", "D", "E"), 2.5) for n in range(11, 14)]
    items.append(ItemSpec(14, "", MCQ, ("A", "B", "C", "D")))
    assert parse_answer_key("12 E\n11 \u0415\n13e", items) == {
        "11": ["E"],
        "12": ["E"],
        "13": ["E"],
    }
    assert _errors("14 E", items) == [(1, "item 14: 'E' is not one of A, B, C, D")]


def test_section_headers_key_each_dtm_block_with_its_own_letters() -> None:
    items = _dtm_items()
    text = "\n".join(
        [
            "[s1]",
            "ABCDA BCDAB",
            "[2] BBBBBBBBBB",  # a section's number, letters on the same line
            "[S3]",
            "# history",
            "CCCCCCCCCC",
            "[s4]",
            "D" * 30,
            "[ s5 ]",
            "AB" * 15,
        ]
    )
    key = parse_answer_key(text, items)
    assert list(key) == [item.label for item in items]
    assert [key[str(n)][0] for n in (1, 2, 5, 10, 11, 20, 21, 31, 60, 61, 62, 90)] == list(
        "ABABBBCDDABB"
    )


def test_a_section_header_string_then_single_lines() -> None:
    items = _dtm_items()
    key = parse_answer_key("[s4]\n" + "C" * 30 + "\n7 D\n61 A", items)
    assert key["31"] == ["C"] and key["60"] == ["C"] and key["7"] == ["D"] and key["61"] == ["A"]
    assert "30" not in key


def test_section_keys_come_from_the_layout() -> None:
    items = [
        ItemSpec(1, "", MCQ, ("A", "B"), 1.0, 0),
        ItemSpec(2, "", MCQ, ("A", "B", "C"), 1.0, 1),
        ItemSpec(3, "", MCQ, ("A", "B", "C"), 1.0, 1),
    ]
    assert parse_answer_key("[algebra] B\n[geo] CA", items, section_keys=["algebra", "geo"]) == {
        "1": ["B"],
        "2": ["C"],
        "3": ["A"],
    }
    with pytest.raises(AnswerKeyError, match=r"unknown section \[s1\]; the sheet has \[algebra\]"):
        parse_answer_key("[s1] B", items, section_keys=["algebra", "geo"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[s9]\nABCD", [(1, "unknown section [s9]; the sheet has [s1], [s2], [s3], [s4], [s5]")]),
        ("[0] A", [(1, "unknown section [0]; the sheet has [s1], [s2], [s3], [s4], [s5]")]),
        (
            "[s2]\nABCDABCDA",
            [
                (
                    2,
                    "the string of letters has 9 letters, but section [s2] has 10 "
                    "multiple-choice items (11–20)",
                )
            ],
        ),
        (
            "[s1]\n1 A\nBCDABCDAB",
            [(3, "a string of letters must come first after a section header")],
        ),
        (
            "A" * 90 + "\n[s1] " + "B" * 10,
            [(2, f"item {n} is given twice: on line 1 and line 2") for n in range(1, 11)],
        ),
        ("[s1] ABCDEABCDA", [(1, "letter 5 ('E', item 5) is not one of A, B, C, D")]),
    ],
)
def test_section_header_errors_name_the_line(text: str, expected: list[tuple[int, str]]) -> None:
    assert _errors(text, _dtm_items()) == expected


def test_a_free_section_takes_no_string_of_letters() -> None:
    assert _errors("[s2]\nABAB") == [
        (2, "section [s2] has no multiple-choice items: give its answers one per line")
    ]


def test_key_errors_read_in_uzbek_and_russian() -> None:
    text = "1 A\n2 E\n1 B\n[s7] A"
    assert _errors(text, lang="ru") == [
        (2, "задание 2: 'E' — не из A, B, C, D"),
        (3, "задание 1 указано дважды: в строках 1 и 3"),
        (4, "неизвестный раздел [s7]; в бланке: [s1], [s2]"),
    ]
    uz = _errors(text, lang="uz")
    assert uz[0] == (2, "2-savol: 'E' A, B, C, D dan biri emas")
    assert uz[1] == (3, "1-savol ikki marta berilgan: 1- va 3-qatorlarda")
    with pytest.raises(AnswerKeyError) as caught:
        parse_answer_key(text, ITEMS)
    assert caught.value.text("ru").startswith("Ключ ответов не сохранён: строка 2: задание 2")
