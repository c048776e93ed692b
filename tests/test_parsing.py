"""Strict parsing: ASCII digits only, bounded, in range (mockexam/parsing.py)."""

import pytest

from mockexam.parsing import is_ascii_digits, parse_id, parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (7, 7), ("123456789012345678", 123456789012345678)],
)
def test_parse_id_reads_ascii_digits(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",
        "٣",
        "7²",
        " 7",
        "7 ",
        "-1",
        "+1",
        "0",
        0,
        -3,
        "1" * 19,
        "",
        None,
        7.0,
        True,
        "0x1",
        "1e3",
    ],
)
def test_parse_id_refuses_everything_else(value):
    assert parse_id(value) is None


def test_parse_id_respects_the_maximum():
    assert parse_id("100", maximum=99) is None and parse_id("99", maximum=99) == 99


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        (" -5 ", -5),
        ("+3", 3),
        ("²", None),
        ("9" * 5000, None),
        ("11", None),
        (True, None),
    ],
)
def test_parse_int_is_ascii_and_ranged(value, expected):
    assert parse_int(value, minimum=-10, maximum=10) == expected


def test_is_ascii_digits():
    assert is_ascii_digits("123") and not is_ascii_digits("١٢") and not is_ascii_digits("")
    assert not is_ascii_digits("1" * 19)
