"""Strict parsing of identifiers and numbers wherever input arrives.

`str.isdigit()` accepts '²', '٣' and other Unicode digits that `int()` then refuses
(or reads as another number); a 5,000-digit string is a valid int that no column
holds. Everything that turns text from a client, a file or the command line into a
number goes through here: ASCII digits only, a bounded length, a range.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # a BIGINT; ids are far smaller, but nothing larger fits a column
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,18}")
_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_id(value: object, *, maximum: int = MAX_ID) -> int | None:
    """A positive identifier from `value` ('7', 7), or None: ASCII digits only, 1..maximum.

    Booleans, floats, '²', '07x', ' 7', '-1', '0' and 19+ digit strings are all None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= maximum else None


def parse_int(value: object, *, minimum: int, maximum: int) -> int | None:
    """A whole number in [minimum, maximum] from text or an int, else None (ASCII only)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_INT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= maximum else None


def is_ascii_digits(value: object, *, max_len: int = 18) -> bool:
    """True for a non-empty string of ASCII digits no longer than `max_len`."""
    return (
        isinstance(value, str) and 0 < len(value) <= max_len and value.isascii() and value.isdigit()
    )
