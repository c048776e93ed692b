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
- ``12 E`` is right when item 12 has the option E (the layout's options: A–D,
  A–E, …); a Cyrillic look-alike letter (А, В, С, Е) is read as the Latin one.
- The first entry may instead be a string of letters, optionally with spaces
  (``ABCDA BCDAB …``): the multiple-choice items in sheet order, one letter
  each; per-line entries (usually the free-response ones) may follow.
- A section header line ``[s4]`` (the section's key) or ``[4]`` (its number,
  from 1) starts a section: a string of letters right after it (on the same
  line or the next) covers only that section's multiple-choice items, so a DTM
  key is five headers with ten or thirty letters each. Per-line entries may
  follow a header and may name any item of the sheet.

A paste is bounded before it is parsed (`MAX_KEY_CHARS`, `MAX_KEY_LINES`: a key
of 90 items is ~1,000 characters), whether it comes from the admin page or a file
on the command line, and bidi control characters are removed first: they would
make an answer show as another in the key table (issue 20, item 10), and student
answers lose them too when they are saved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from mockexam.errors import AnswerKeyError, Msg, ValidationError, msg
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
_SECTION_HEADER = re.compile(r"\[\s*([^\]\s]{1,24})\s*\]")


def _is_letter_string(line: str) -> bool:
    """A compact multiple-choice key: letters and spaces only (no item number)."""
    return all(ch.isalpha() or ch.isspace() for ch in line)


class _KeyParser:
    """One parse: the layout's lookup tables plus the entries and errors collected so far."""

    def __init__(
        self, items: Sequence[ItemSpec], max_chars: int, section_keys: Sequence[str] | None
    ) -> None:
        validate_layout(items)
        self.items = list(items)
        self.max_chars = max_chars
        self.by_label = {item.label: item for item in items}
        self.parts: dict[int, list[str]] = {}
        for item in items:
            self.parts.setdefault(item.number, []).append(item.sub_part)
        used = sorted({item.section for item in items})
        if section_keys is None:
            section_keys = [f"s{n + 1}" for n in range(max(used, default=-1) + 1)]
        self.section_keys = [key.casefold() for key in section_keys]
        self.sections = [n for n in range(len(self.section_keys)) if n in used]
        self.errors: list[tuple[int, Msg]] = []
        self.first_line: dict[str, int] = {}  # label → line that gave it first (valid or not)
        self.key: dict[str, list[str]] = {}

    def error(self, line_no: int, message: Msg) -> None:
        self.errors.append((line_no, message))

    def claim(self, label: str, line_no: int) -> bool:
        """Note that `line_no` gives `label`; False (and an error) when an earlier line did."""
        first = self.first_line.setdefault(label, line_no)
        if first != line_no:
            self.error(
                line_no,
                msg(
                    "{label}-savol ikki marta berilgan: {first}- va {line}-qatorlarda",
                    "задание {label} указано дважды: в строках {first} и {line}",
                    "item {label} is given twice: on line {first} and line {line}",
                    label=label,
                    first=first,
                    line=line_no,
                ),
            )
            return False
        return True

    def parse(self, text: str) -> dict[str, list[str]]:
        seen_entry = False
        section: int | None = None  # the section a `[s4]` header line chose
        bad_section = False  # the last header named no section: its letters are not read
        for line_no, raw in enumerate(_LINE_BREAK.split(text.removeprefix("\ufeff")), start=1):
            line = _COMMENT.sub("", raw).strip()
            if not line:
                continue
            header = _SECTION_HEADER.match(line)
            if header:
                section = self.read_section(line_no, header.group(1))
                bad_section = section is None
                seen_entry = False
                line = line[header.end() :].strip()
                if not line:
                    continue
            if _is_letter_string(line):
                if bad_section:
                    pass  # the header's error says it all
                elif seen_entry:
                    self.error(
                        line_no,
                        _LETTERS_NOT_FIRST if section is None else _LETTERS_NOT_FIRST_IN_SECTION,
                    )
                else:
                    self.parse_letter_string(line_no, line, section)
            else:
                self.parse_entry(line_no, line)
            seen_entry = True
        if self.errors:
            raise AnswerKeyError(sorted(self.errors, key=lambda error: error[0]))
        return {item.label: self.key[item.label] for item in self.items if item.label in self.key}

    def read_section(self, line_no: int, name: str) -> int | None:
        """The section index a header names: its key ("s4") or its number (4), else None."""
        name = unicodedata.normalize("NFKC", name).strip().casefold()
        index: int | None = None
        if name in self.section_keys:
            index = self.section_keys.index(name)
        elif name.isdigit() and len(name) <= _MAX_NUMBER_DIGITS:
            index = int(name) - 1
        if index is not None and index in self.sections:
            return index
        known = ", ".join(f"[{self.section_keys[n]}]" for n in self.sections) or "—"
        self.error(
            line_no,
            msg(
                "noma’lum bo‘lim [{name}]; varaqada: {known}",
                "неизвестный раздел [{name}]; в бланке: {known}",
                "unknown section [{name}]; the sheet has {known}",
                name=_shorten(name, 12),
                known=known,
            ),
        )
        return None

    def parse_letter_string(self, line_no: int, line: str, section: int | None) -> None:
        letters = [ch for ch in line if not ch.isspace()]
        mcq = [
            item
            for item in self.items
            if item.kind == MCQ and (section is None or item.section == section)
        ]
        if not mcq:
            if section is None:
                self.error(
                    line_no,
                    msg(
                        "harflar qatori test savollari uchun; bu varaqada ular yo‘q",
                        "строка букв нужна для заданий с выбором ответа; в этом бланке их нет",
                        "a string of letters needs multiple-choice items; this sheet has none",
                    ),
                )
            else:
                self.error(
                    line_no,
                    msg(
                        "[{key}] bo‘limida test savollari yo‘q: javoblarni qatorma-qator yozing",
                        "в разделе [{key}] нет заданий с выбором ответа: пишите ответы по строкам",
                        "section [{key}] has no multiple-choice items: give its answers one per line",
                        key=self.section_keys[section],
                    ),
                )
            return
        if len(letters) != len(mcq):
            where = (
                msg("varaqada", "в бланке", "the sheet has")
                if section is None
                else msg(
                    "[{key}] bo‘limida",
                    "в разделе [{key}]",
                    "section [{key}] has",
                    key=self.section_keys[section],
                )
            )
            self.error(
                line_no,
                msg(
                    "harflar qatorida {n} ta harf, {where} esa {m} ta test savoli ({first}–{last})",
                    "в строке букв {n}, а {where} заданий с выбором ответа: {m} ({first}–{last})",
                    "the string of letters has {n} letters, but {where} {m} multiple-choice items "
                    "({first}–{last})",
                    n=len(letters),
                    where=where,
                    m=len(mcq),
                    first=mcq[0].label,
                    last=mcq[-1].label,
                ),
            )
        for position, (letter, item) in enumerate(zip(letters, mcq, strict=False), start=1):
            if not self.claim(item.label, line_no):
                continue
            try:
                self.key[item.label] = [normalize_choice(letter, item.options)]
            except ValidationError:
                self.error(
                    line_no,
                    msg(
                        "{position}-harf ({letter!r}, {label}-savol) {choices} dan biri emas",
                        "буква {position} ({letter!r}, задание {label}) — не из {choices}",
                        "letter {position} ({letter!r}, item {label}) is not one of {choices}",
                        position=position,
                        letter=letter,
                        label=item.label,
                        choices=", ".join(item.options),
                    ),
                )

    def parse_entry(self, line_no: int, line: str) -> None:
        number_match = _NUMBER.match(line)
        if not number_match:
            self.error(
                line_no,
                msg(
                    "{line!r} savol raqami bilan boshlanmaydi; “<savol> <javob>” deb yozing, "
                    "masalan “1 A” yoki “36a 12”",
                    "{line!r} не начинается с номера задания; пишите «<задание> <ответ>», "
                    "например «1 A» или «36a 12»",
                    "{line!r} does not start with an item number; "
                    "write '<item> <answer>', like '1 A' or '36a 12'",
                    line=_shorten(line),
                ),
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
            self.error(
                line_no,
                msg(
                    "{label}-savolga javob berilmagan",
                    "у задания {label} нет ответа",
                    "item {label} has no answer",
                    label=label,
                ),
            )
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
            self.error(
                line_no,
                msg(
                    "noma’lum savol {shown!r}; varaqada {span}",
                    "неизвестное задание {shown!r}; в бланке {span}",
                    "unknown item {shown!r}; the sheet has {span}",
                    shown=shown,
                    span=self.span(),
                ),
            )
            return None
        if parts == [""]:
            return str(number), rest
        given = unicodedata.normalize("NFKC", letters.group()).casefold() if letters else ""
        if letters and given in parts:
            return f"{number}{given}", rest[letters.end() :]
        names = ", ".join(f"{number}{part}" for part in parts)
        if given:
            self.error(
                line_no,
                msg(
                    "noma’lum savol '{label}'; {number}-topshiriqda: {names}",
                    "неизвестное задание '{label}'; в задании {number}: {names}",
                    "unknown item '{label}'; exercise {number} has {names}",
                    label=f"{number}{given}",
                    number=number,
                    names=names,
                ),
            )
        else:
            self.error(
                line_no,
                msg(
                    "{number}-topshiriq qismlari {names}: masalan '{first} …' deb yozing",
                    "у задания {number} части {names}: пишите, например, '{first} …'",
                    "exercise {number} has parts {names}: write e.g. '{first} …'",
                    number=number,
                    names=names,
                    first=f"{number}{parts[0]}",
                ),
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
                    msg(
                        "'{written}' ikki xil o‘qiladi: '{a}' yoki '{b}' deb yozing",
                        "'{written}' читается двояко: пишите '{a}' или '{b}'",
                        "'{written}' is ambiguous: write '{a}' or '{b}'",
                        written=f"{item.label}{separator}{_shorten(answer)}",
                        a=f"{item.label}: {separator}{_shorten(answer)}",
                        b=f"{item.label}: {_shorten(answer)}",
                    ),
                )
                return None
        return answer

    def parse_choice(self, line_no: int, item: ItemSpec, answer: str) -> None:
        alternatives = _split_alternatives(answer)
        if len(alternatives) != 1:
            self.error(
                line_no,
                msg(
                    "{label}-savolga bitta harf kerak, {n} ta javob emas",
                    "задание {label}: нужна одна буква, а не {n} ответа",
                    "item {label} takes one letter, not {n} answers",
                    label=item.label,
                    n=len(alternatives),
                ),
            )
            return
        try:
            self.key[item.label] = [normalize_choice(alternatives[0], item.options)]
        except ValidationError:
            value = alternatives[0].strip()
            choices = ", ".join(item.options)
            if not value:  # normalize_choice refuses an empty choice the same way
                self.error(
                    line_no,
                    msg(
                        "{label}-savol: javob yo‘q, {choices} dan birini tanlang",
                        "задание {label}: нет ответа, выберите одно из {choices}",
                        "item {label}: No answer given: choose one of {choices}",
                        label=item.label,
                        choices=choices,
                    ),
                )
                return
            self.error(
                line_no,
                msg(
                    "{label}-savol: {value!r} {choices} dan biri emas",
                    "задание {label}: {value!r} — не из {choices}",
                    "item {label}: {value!r} is not one of {choices}",
                    label=item.label,
                    value=_shorten(value, 20),
                    choices=choices,
                ),
            )

    def parse_free(self, line_no: int, item: ItemSpec, answer: str) -> None:
        accepted: list[str] = []
        for value in _split_alternatives(answer):
            problem = _free_problem(value, self.max_chars)
            if problem is None and not normalize_free_response(value):
                problem = msg(
                    "qabul qilinadigan javoblardan biri bo‘sh (ortiqcha '|' yoki ';' bormi?)",
                    "один из принимаемых ответов пуст (лишний '|' или ';'?)",
                    "an accepted answer is empty (check for a stray '|' or ';')",
                )
            if problem is not None:
                self.error(
                    line_no,
                    msg(
                        "{label}-savol: {problem}",
                        "задание {label}: {problem}",
                        "item {label}: {problem}",
                        label=item.label,
                        problem=problem,
                    ),
                )
                return
            if value not in accepted:
                accepted.append(value)
        self.key[item.label] = accepted

    def span(self) -> Msg:
        if not self.items:
            return msg("savollar yo‘q", "нет заданий", "no items")
        return msg(
            "{first}–{last} savollar",
            "задания {first}–{last}",
            "items {first}–{last}",
            first=self.items[0].label,
            last=self.items[-1].label,
        )


_LETTERS_NOT_FIRST = msg(
    "harflar qatori faqat birinchi yozuv yoki [s4] kabi bo‘lim sarlavhasidan keyin keladi; "
    "boshqa savollarni qatorma-qator yozing, masalan “7 B” yoki “36a 12”",
    "строка букв принимается только первой записью или после заголовка раздела вроде [s4]; "
    "остальные задания пишите по строкам, например «7 B» или «36a 12»",
    "a string of letters is only accepted as the first entry; "
    "give other items one per line, like '7 B' or '36a 12'",
)
_LETTERS_NOT_FIRST_IN_SECTION = msg(
    "harflar qatori bo‘lim sarlavhasidan keyingi birinchi yozuv bo‘lishi kerak",
    "строка букв должна идти первой после заголовка раздела",
    "a string of letters must come first after a section header",
)


def _free_problem(value: str, max_chars: int) -> Msg | None:
    """`grading.free_response_problem` (the one rule shared with student answers) in uz/ru/en."""
    english = free_response_problem(value, max_chars=max_chars)
    if english is None:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        return msg(
            "javobda boshqaruv belgilari bor (qator ko‘chishi, tab, …); bir qatorda yozing",
            "в ответе есть управляющие символы (перевод строки, табуляция, …); "
            "напишите его в одну строку",
            "{english}",
            english=english,
        )
    return msg(
        "javob {n} belgidan iborat; ko‘pi bilan {max} ta mumkin",
        "длина ответа {n} символов; допускается не более {max}",
        "{english}",
        n=max(len(value), len(normalize_free_response(value))),
        max=max_chars,
        english=english,
    )


def _split_alternatives(answer: str) -> list[str]:
    separator = "|" if "|" in answer else ";"
    return [part.strip() for part in answer.split(separator)]


def _shorten(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def parse_answer_key(
    text: str,
    items: Sequence[ItemSpec],
    *,
    max_chars: int = MAX_ANSWER_CHARS,
    section_keys: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Parse a pasted answer key (format in the module docstring) against a sheet layout.

    Returns label → accepted answers (multiple choice: the one canonical
    letter) in sheet order, for the items given: a partial key is fine, see
    `missing_items`. `section_keys` are the layout's section keys in order (a
    header ``[s4]`` names one; ``[4]`` is the fourth section); by default
    "s1", "s2", … Raises AnswerKeyError with every problem found, or a
    ValidationError for a paste too large to be a key (checked first).
    """
    if not isinstance(text, str):
        raise ValidationError(
            msg(
                "Javoblar kaliti saqlanmadi: u matn bo‘lishi kerak.",
                "Ключ ответов не сохранён: это должен быть текст.",
                "The answer key was not saved: it must be text.",
            )
        )
    if len(text) > MAX_KEY_CHARS:
        raise ValidationError(
            msg(
                "Javoblar kaliti saqlanmadi: uzunligi {n} belgi; ko‘pi bilan {max} ta mumkin.",
                "Ключ ответов не сохранён: его длина {n} символов; допускается не более {max}.",
                "The answer key was not saved: it is {n} characters long; "
                "at most {max} are accepted.",
                n=f"{len(text):,}",
                max=f"{MAX_KEY_CHARS:,}",
            )
        )
    lines = len(_LINE_BREAK.findall(text)) + 1
    if lines > MAX_KEY_LINES:
        raise ValidationError(
            msg(
                "Javoblar kaliti saqlanmadi: unda {n} qator; ko‘pi bilan {max} ta mumkin.",
                "Ключ ответов не сохранён: в нём {n} строк; допускается не более {max}.",
                "The answer key was not saved: it has {n} lines; at most {max} are accepted.",
                n=f"{lines:,}",
                max=f"{MAX_KEY_LINES:,}",
            )
        )
    return _KeyParser(items, max_chars, section_keys).parse(strip_bidi(text))


def missing_items(key: Mapping[str, Sequence[str]], items: Sequence[ItemSpec]) -> list[str]:
    """Labels of the sheet's items that have no accepted answer yet, in sheet order."""
    return [item.label for item in items if not key.get(item.label)]
