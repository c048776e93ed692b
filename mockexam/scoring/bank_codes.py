"""Item bank codes pasted for an exam: `<label> <code>` per line, or every problem at once.

A bank code names a question of the centre's item bank (`ALG-017`, `GEO.4`): the same
code on items of two exams says they are the same question, which links the exams'
scales (scoring/linking.py). One line per item:

    12 ALG-017
    36a GEO-004
    13 -            (a dash: the item has no code any more)

Codes are 1–32 letters, digits, `-`, `_` or `.`, starting with a letter or digit, and
are kept in capitals (`alg-017` is `ALG-017`). Blank lines and `#` comments are
ignored. All-or-nothing: a problem on any line (an unknown item, a bad code, an item
twice, one code on two items) raises `AnswerKeyError` naming every line, and nothing
is changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mockexam.errors import AnswerKeyError, Msg, msg
from mockexam.text import strip_bidi

MAX_CODE_CHARS = 32
MAX_CODES_CHARS = 20_000
_CODE = re.compile(r"[A-Z0-9][A-Z0-9._\-]{0,31}")
_LINE = re.compile(r"\s*(\d{1,4}\s*[a-zA-Z]?)[.):]?\s+(\S+)\s*")
CLEAR = "-"


def clean_code(value: str) -> str | None:
    """The code in capitals, or None when it is not one."""
    code = value.strip().upper()
    return code if _CODE.fullmatch(code) else None


def parse_bank_codes(text: str, labels: Iterable[str]) -> dict[str, str | None]:
    """label → code (None: remove the item's code) for every line of `text`."""
    if len(text) > MAX_CODES_CHARS:
        raise AnswerKeyError(
            [
                (
                    0,
                    msg(
                        "Matn juda uzun.",
                        "Текст слишком длинный.",
                        f"The paste is longer than {MAX_CODES_CHARS:,} characters.",
                    ),
                )
            ]
        )
    known = {label.lower(): label for label in labels}
    out: dict[str, str | None] = {}
    line_of: dict[str, int] = {}
    problems: list[tuple[int, str | Msg]] = []
    for n, raw in enumerate(re.split(r"\r\n|\r|\n", strip_bidi(text)), start=1):
        line = re.sub(r"(?:^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            problems.append(
                (
                    n,
                    msg(
                        "“12 ALG-017” ko‘rinishida yozing: savol raqami, keyin kod.",
                        "Пишите как «12 ALG-017»: номер задания, затем код.",
                        "Write it as “12 ALG-017”: the item, then its code.",
                    ),
                )
            )
            continue
        label = known.get(re.sub(r"\s+", "", match.group(1)).lower())
        if label is None:
            problems.append(
                (
                    n,
                    msg(
                        "Bu imtihonda {label} savoli yo‘q.",
                        "В этом экзамене нет задания {label}.",
                        "This exam has no item {label}.",
                        label=match.group(1).strip(),
                    ),
                )
            )
            continue
        value = match.group(2)
        code = None if value == CLEAR else clean_code(value)
        if value != CLEAR and code is None:
            problems.append(
                (
                    n,
                    msg(
                        "{code!r} kod emas: 32 tagacha harf, raqam, “-”, “_” yoki “.”.",
                        "{code!r} — не код: до 32 букв, цифр, «-», «_» или «.».",
                        "{code!r} is not a code: up to 32 letters, digits, “-”, “_” or “.”.",
                        code=value[:40],
                    ),
                )
            )
            continue
        if label in out:
            problems.append(
                (
                    n,
                    msg(
                        "{label} savoli {line}-qatorda ham bor.",
                        "Задание {label} уже есть в строке {line}.",
                        "Item {label} is already on line {line}.",
                        label=label,
                        line=line_of[label],
                    ),
                )
            )
            continue
        out[label], line_of[label] = code, n
    codes: dict[str, str] = {}
    for label, code in out.items():
        if code is None:
            continue
        if code in codes:
            problems.append(
                (
                    line_of[label],
                    msg(
                        "{code} kodi {other} savolida ham bor: bitta imtihonda kod bir marta.",
                        "Код {code} уже у задания {other}: в экзамене код встречается один раз.",
                        "{code} is already the code of item {other}: a code names one item "
                        "of an exam.",
                        code=code,
                        other=codes[code],
                    ),
                )
            )
        codes[code] = label
    if problems:
        raise AnswerKeyError(sorted(problems, key=lambda p: p[0]))
    return out


# A bank code at the end of an answer-key line (`12 B ALG-017`): capitals, then a dash or a
# dot, then letters or digits — so no answer ("B", "0.5", "-1/2", "1-A") is taken for one.
TRAILING_CODE = re.compile(
    r"^(?P<entry>.*\S)\s+(?P<code>[A-Z][A-Z0-9]*[-.][A-Z0-9][A-Z0-9._\-]*)\s*$"
)


def split_trailing_codes(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The key paste without its trailing bank codes, and (line number, the line's entry,
    its code) for each line that had one (the entry parsed alone names the item)."""
    lines = re.split(r"\r\n|\r|\n", text)
    found: list[tuple[int, str, str]] = []
    for n, line in enumerate(lines, start=1):
        body = re.sub(r"(?:^|\s)#.*$", "", line)
        match = TRAILING_CODE.match(body)
        if match is None or len(match.group("code")) > MAX_CODE_CHARS:
            continue
        found.append((n, match.group("entry"), match.group("code")))
        lines[n - 1] = match.group("entry")
    return "\n".join(lines), found
