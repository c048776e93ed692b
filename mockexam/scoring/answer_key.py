"""Bulk paste of an answer key: text in, label → accepted answers out, or every problem at once.

Pure and all-or-nothing (SPEC §9): `parse_answer_key` returns only when every
line is good, otherwise it raises `AnswerKeyError` listing (line number,
message) for every problem, so a bad paste changes nothing.

Accepted text, one entry per line (blank lines and ``#`` comments ignored):

- ``<label><separator><answer>``: ``1 A``, ``2 c``, ``1. A``, ``1) A``, ``1: A``,
  ``1-A``, ``1A``, ``36a 12``, ``36a) -1/2``, ``36 a 12``, ``36A: 12``. The label is
  the exercise number, then the sub-part letter when that exercise has
  sub-parts in the layout (so ``36 a 12`` is 36a = 12, while for a whole
  exercise ``5 a`` is 5 = "a"). The separator is whitespace and/or one of
  ``. ) : -`` (or an en/em dash), or nothing.
- ``-`` and ``.`` are also the start of ``-1/2`` and ``.5``, so: with a space
  before and none after (``36a -1/2``, ``36a .5``) they belong to the answer;
  followed by a space (``36a - 1/2``, ``1. A``) or by a letter (``1-A``) they
  separate; squeezed between a free-response label and a number
  (``36a-1/2``, ``5.5``) they are refused as ambiguous.
- Several accepted free-response answers are separated by ``|`` or ``;``
  (``37a 0.5 | 1/2``). When a line holds a ``|``, only ``|`` separates, so an
  answer may itself contain ``;`` (``37a 0,5; 1,5 | 1,5; 0,5``).
- A ``#`` at the start of a line or after whitespace starts a comment.
- The first entry may instead be a string of letters, optionally with spaces
  (``ABCDA BCDAB …``): the multiple-choice items in sheet order, one letter
  each; per-line entries (usually the free-response ones) may follow.

A paste is bounded before it is parsed (`MAX_KEY_CHARS`, `MAX_KEY_LINES`: a key
of 45 items is ~500 characters), whether it comes from the admin page or a file
on the command line, and bidi control characters are removed first: they would
make an answer show as another in the key table (issue 20, item 10), and student
answers lose them too when they are saved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from mockexam.errors import AnswerKeyError, ValidationError
from mockexam.scoring.grading import (
    MAX_ANSWER_CHARS,
    MCQ,
    ItemSpec,
    free_response_problem,
    normalize_choice,
    normalize_free_response,
    validate_layout,
)
from mockexam.text import strip_bidi

MAX_KEY_CHARS = 20_000
MAX_KEY_LINES = 1_000

# Only the breaks a text box shows as new lines: str.splitlines() would also split on
# \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029 and shift every later line number.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_NUMBER = re.compile(r"\d+")
_MAX_NUMBER_DIGITS = 6
_LETTERS = re.compile(r"[^\W\d_]+")
_SEPARATOR = re.compile(r"(\s*)([.):\-\u2010-\u2015\uff0e\uff09\uff1a]?)(\s*)")
_ALWAYS_SEPARATORS = "):\uff09\uff1a"


def _is_letter_string(line: str) -> bool:
    """A compact multiple-choice key: letters and spaces only (no item number)."""
    return all(ch.isalpha() or ch.isspace() for ch in line)


class _KeyParser:
    """One parse: the layout's lookup tables plus the entries and errors collected so far."""

    def __init__(self, items: Sequence[ItemSpec], max_chars: int) -> None:
        validate_layout(items)
        self.items = list(items)
        self.max_chars = max_chars
        self.by_label = {item.label: item for item in items}
        self.parts: dict[int, list[str]] = {}
        for item in items:
            self.parts.setdefault(item.number, []).append(item.sub_part)
        self.errors: list[tuple[int, str]] = []
        self.first_line: dict[str, int] = {}  # label → line that gave it first (valid or not)
        self.key: dict[str, list[str]] = {}

    def error(self, line_no: int, message: str) -> None:
        self.errors.append((line_no, message))

    def claim(self, label: str, line_no: int) -> bool:
        """Note that `line_no` gives `label`; False (and an error) when an earlier line did."""
        first = self.first_line.setdefault(label, line_no)
        if first != line_no:
            self.error(line_no, f"item {label} is given twice: on line {first} and line {line_no}")
            return False
        return True

    def parse(self, text: str) -> dict[str, list[str]]:
        seen_entry = False
        for line_no, raw in enumerate(_LINE_BREAK.split(text.removeprefix("\ufeff")), start=1):
            line = _COMMENT.sub("", raw).strip()
            if not line:
                continue
            if _is_letter_string(line):
                if seen_entry:
                    self.error(
                        line_no,
                        "a string of letters is only accepted as the first entry; "
                        "give other items one per line, like '7 B' or '36a 12'",
                    )
                else:
                    self.parse_letter_string(line_no, line)
            else:
                self.parse_entry(line_no, line)
            seen_entry = True
        if self.errors:
            raise AnswerKeyError(sorted(self.errors, key=lambda error: error[0]))
        return {item.label: self.key[item.label] for item in self.items if item.label in self.key}

    def parse_letter_string(self, line_no: int, line: str) -> None:
        letters = [ch for ch in line if not ch.isspace()]
        mcq = [item for item in self.items if item.kind == MCQ]
        if not mcq:
            self.error(
                line_no, "a string of letters needs multiple-choice items; this sheet has none"
            )
            return
        if len(letters) != len(mcq):
            self.error(
                line_no,
                f"the string of letters has {len(letters)} letters, "
                f"but the sheet has {len(mcq)} multiple-choice items ({mcq[0].label}–{mcq[-1].label})",
            )
        for position, (letter, item) in enumerate(zip(letters, mcq, strict=False), start=1):
            if not self.claim(item.label, line_no):
                continue
            try:
                self.key[item.label] = [normalize_choice(letter, item.options)]
            except ValidationError:
                self.error(
                    line_no,
                    f"letter {position} ({letter!r}, item {item.label}) "
                    f"is not one of {', '.join(item.options)}",
                )

    def parse_entry(self, line_no: int, line: str) -> None:
        number_match = _NUMBER.match(line)
        if not number_match:
            self.error(
                line_no,
                f"{_shorten(line)!r} does not start with an item number; "
                "write '<item> <answer>', like '1 A' or '36a 12'",
            )
            return
        found = self.read_label(line_no, number_match.group(), line[number_match.end() :])
        if found is None:
            return
        label, rest = found
        item = self.by_label[label]
        answer = self.read_answer(line_no, item, rest)
        if not self.claim(label, line_no) or answer is None:
            return
        if not answer:
            self.error(line_no, f"item {label} has no answer")
            return
        if item.kind == MCQ:
            self.parse_choice(line_no, item, answer)
        else:
            self.parse_free(line_no, item, answer)

    def read_label(self, line_no: int, digits: str, rest: str) -> tuple[str, str] | None:
        """The item label a line starts with and the text after it, or None (error noted).

        The sub-part is read only for an exercise that has sub-parts, so "5 a"
        is item 5 answered "a" while "36 a 12" is item 36a answered "12".
        """
        letters = _LETTERS.match(rest, len(rest) - len(rest.lstrip()))
        attached = _LETTERS.match(rest)
        number = int(digits) if len(digits) <= _MAX_NUMBER_DIGITS else 0
        parts = self.parts.get(number)
        if parts is None:
            shown = _shorten(digits + (attached.group() if attached else ""), 12)
            self.error(line_no, f"unknown item {shown!r}; the sheet has {self.span()}")
            return None
        if parts == [""]:
            return str(number), rest
        given = unicodedata.normalize("NFKC", letters.group()).casefold() if letters else ""
        if letters and given in parts:
            return f"{number}{given}", rest[letters.end() :]
        names = ", ".join(f"{number}{part}" for part in parts)
        if given:
            self.error(line_no, f"unknown item '{number}{given}'; exercise {number} has {names}")
        else:
            self.error(
                line_no, f"exercise {number} has parts {names}: write e.g. '{number}{parts[0]} …'"
            )
        return None

    def read_answer(self, line_no: int, item: ItemSpec, rest: str) -> str | None:
        """The answer text after the label's separator, or None when it cannot be told apart."""
        match = _SEPARATOR.match(rest)
        space_before, separator, space_after = match.groups()  # type: ignore[union-attr]
        answer = rest[match.end() :].strip()  # type: ignore[union-attr]
        starts_number = answer[:1].isdigit() or answer[:1] in ".,"
        if separator and separator not in _ALWAYS_SEPARATORS and starts_number and not space_after:
            if space_before:  # "36a -1/2", "36a .5": a sign or decimal point
                return separator + answer
            if item.kind != MCQ:
                self.error(
                    line_no,
                    f"'{item.label}{separator}{_shorten(answer)}' is ambiguous: write "
                    f"'{item.label}: {separator}{_shorten(answer)}' or '{item.label}: {_shorten(answer)}'",
                )
                return None
        return answer

    def parse_choice(self, line_no: int, item: ItemSpec, answer: str) -> None:
        alternatives = _split_alternatives(answer)
        if len(alternatives) != 1:
            self.error(
                line_no,
                f"item {item.label} takes one letter, not {len(alternatives)} answers",
            )
            return
        try:
            self.key[item.label] = [normalize_choice(alternatives[0], item.options)]
        except ValidationError as err:
            self.error(line_no, f"item {item.label}: {err}")

    def parse_free(self, line_no: int, item: ItemSpec, answer: str) -> None:
        accepted: list[str] = []
        for value in _split_alternatives(answer):
            problem = free_response_problem(value, max_chars=self.max_chars)
            if not problem and not normalize_free_response(value):
                problem = "an accepted answer is empty (check for a stray '|' or ';')"
            if problem:
                self.error(line_no, f"item {item.label}: {problem}")
                return
            if value not in accepted:
                accepted.append(value)
        self.key[item.label] = accepted

    def span(self) -> str:
        if not self.items:
            return "no items"
        return f"items {self.items[0].label}–{self.items[-1].label}"


def _split_alternatives(answer: str) -> list[str]:
    separator = "|" if "|" in answer else ";"
    return [part.strip() for part in answer.split(separator)]


def _shorten(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def parse_answer_key(
    text: str, items: Sequence[ItemSpec], *, max_chars: int = MAX_ANSWER_CHARS
) -> dict[str, list[str]]:
    """Parse a pasted answer key (format in the module docstring) against a sheet layout.

    Returns label → accepted answers (multiple choice: the one canonical
    letter) in sheet order, for the items given: a partial key is fine, see
    `missing_items`. Raises AnswerKeyError with every problem found, or a
    ValidationError for a paste too large to be a key (checked first).
    """
    if not isinstance(text, str):
        raise ValidationError("The answer key was not saved: it must be text.")
    if len(text) > MAX_KEY_CHARS:
        raise ValidationError(
            f"The answer key was not saved: it is {len(text):,} characters long; "
            f"at most {MAX_KEY_CHARS:,} are accepted."
        )
    lines = len(_LINE_BREAK.findall(text)) + 1
    if lines > MAX_KEY_LINES:
        raise ValidationError(
            f"The answer key was not saved: it has {lines:,} lines; "
            f"at most {MAX_KEY_LINES:,} are accepted."
        )
    return _KeyParser(items, max_chars).parse(strip_bidi(text))


def missing_items(key: Mapping[str, Sequence[str]], items: Sequence[ItemSpec]) -> list[str]:
    """Labels of the sheet's items that have no accepted answer yet, in sheet order."""
    return [item.label for item in items if not key.get(item.label)]
