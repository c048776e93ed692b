"""Exam layouts: an answer sheet as a list of sections (issue 21).

A section is a run of alike exercises: multiple choice with its options, or
free response with its parts (none: one answer per exercise; ("a", "b"): two
items 36a, 36b per exercise), a subject, titles in uz/ru/en and the points of
each item (each part, for free response) in 0.01 steps. `Layout.items()` turns
the recipe into the `ItemSpec`s that grading, the sheet and the statistics use;
`Exam.layout` stores `Layout.to_json()` and every `ExamItem.section` is its
section's index.

JSON format, version 1 (what `to_json` writes and `validate_layout_json` reads)::

    {"version": 1, "template": "certificate_math" | "dtm_block" | "custom",
     "official_score": "scaled" | "points",
     "sections": [{"key": "s1", "titles": {"uz": "…", "ru": "…", "en": "…"},
                   "subject": "math", "kind": "mcq" | "free", "count": 35,
                   "options": ["A", "B", "C", "D"], "parts": [], "points": 1.0,
                   "first": 1}, …]}

`first` is the first exercise number of the section; null (or absent) continues
after the previous section. `validate_layout_json` reports every problem at
once (`LayoutError.problems`), each a `Msg` in the three languages.

Pure code: no database, no clock, no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mockexam.errors import LANGUAGES, Msg, ValidationError, msg
from mockexam.scoring.grading import FREE, MCQ, ItemSpec, fold_choice

VERSION: Final = 1
MAX_SECTIONS: Final = 12
MAX_SHEET_ITEMS: Final = 300
"""Most items on one sheet (the sheet, the key paste and the statistics stay usable)."""
MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 6
"""Six 36 px option buttons fit a 360 px phone screen."""
MAX_OPTION_CHARS: Final = 8
MAX_PARTS: Final = 4
"""`ExamItem.sub_part` is String(4); four parts a–d is plenty."""
MAX_TITLE_CHARS: Final = 80
MAX_ITEM_POINTS: Final = 100.0
MAX_KEY_CHARS: Final = 16
MAX_EXERCISE_NUMBER: Final = 9999

TEMPLATE_NAMES: Final = ("certificate_math", "dtm_block", "custom")
SCALED: Final = "scaled"
POINTS: Final = "points"
OFFICIAL_SCORES: Final = (SCALED, POINTS)
"""What a result shows first: the scaled score (certificate) or the points (DTM)."""

_KEY = re.compile(r"[a-z0-9_]+", re.ASCII)
_PART = re.compile(r"[a-z]", re.ASCII)
_TOP_FIELDS = frozenset({"version", "template", "official_score", "sections"})
_SECTION_FIELDS = frozenset(
    {"key", "titles", "subject", "kind", "count", "options", "parts", "points", "first"}
)


def centipoints(points: float) -> int:
    """Points in hundredths as an exact integer: 1.1 → 110, 3.1 → 310."""
    return round(float(points) * 100)


def has_two_decimals(points: float) -> bool:
    """Whether `points` is a multiple of 0.01 (up to float noise: 0.1 + 0.2 is 0.3)."""
    return abs(float(points) * 100 - round(float(points) * 100)) < 1e-6


@dataclass(frozen=True)
class Section:
    """A run of alike exercises on the sheet (see the module docstring)."""

    key: str
    titles: Mapping[str, str]
    subject: str
    kind: str
    count: int
    options: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    points: float = 1.0
    first: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "titles", dict(self.titles))
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "parts", tuple(self.parts))

    @property
    def items_per_exercise(self) -> int:
        return len(self.parts) if self.kind == FREE and self.parts else 1

    @property
    def item_count(self) -> int:
        return self.count * self.items_per_exercise

    def title(self, lang: str | None) -> str:
        """The title in `lang`, else the Uzbek one (always present)."""
        return self.titles.get(lang or "") or self.titles.get("uz") or self.key

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "titles": {lang: self.titles[lang] for lang in LANGUAGES if self.titles.get(lang)},
            "subject": self.subject,
            "kind": self.kind,
            "count": self.count,
            "options": list(self.options),
            "parts": list(self.parts),
            "points": float(self.points),
            "first": self.first,
        }


@dataclass(frozen=True)
class Layout:
    """An exam's answer sheet: template name, sections in sheet order, the official score."""

    template: str
    sections: tuple[Section, ...]
    official_score: str = SCALED

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))

    def firsts(self) -> list[int]:
        """Each section's first exercise number, `None` resolved (continue after the last)."""
        out: list[int] = []
        following = 1
        for section in self.sections:
            start = following if section.first is None else section.first
            out.append(start)
            following = start + max(section.count, 0)
        return out

    def items(self) -> list[ItemSpec]:
        """Every item in sheet order; `ItemSpec.section` is the section's index."""
        items: list[ItemSpec] = []
        for index, (section, start) in enumerate(zip(self.sections, self.firsts(), strict=True)):
            for number in range(start, start + section.count):
                if section.kind == MCQ:
                    items.append(ItemSpec(number, "", MCQ, section.options, section.points, index))
                else:
                    items.extend(
                        ItemSpec(number, part, FREE, (), section.points, index)
                        for part in section.parts or ("",)
                    )
        return items

    def item_count(self) -> int:
        return sum(section.item_count for section in self.sections)

    def max_points(self) -> float:
        """Σ points of every item, exact: summed in centipoints (27 × 1.1 is 29.7)."""
        return self.max_centipoints() / 100

    def max_centipoints(self) -> int:
        return sum(s.item_count * centipoints(s.points) for s in self.sections)

    def section_max_points(self) -> list[float]:
        return [s.item_count * centipoints(s.points) / 100 for s in self.sections]

    def title(self, section: int | Section, lang: str | None) -> str:
        """A section's title (by index or the section itself) in `lang`, else in Uzbek."""
        chosen = self.sections[section] if isinstance(section, int) else section
        return chosen.title(lang)

    def section_of_label(self) -> dict[str, int]:
        """Item label ("7", "36a") → section index."""
        return {item.label: item.section for item in self.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "template": self.template,
            "official_score": self.official_score,
            "sections": [section.to_json() for section in self.sections],
        }

    @classmethod
    def from_json(cls, data: object) -> Layout:
        """The layout stored in `data` (a dict or its JSON text), checked like any new one.

        Raises `LayoutError` listing every problem.
        """
        return validate_layout_json(data)


@dataclass(frozen=True)
class LayoutProblem:
    """One thing wrong with a layout: a code (tests, the builder), the section index, the words."""

    code: str
    section: int | None
    message: Msg

    def text(self, lang: str | None) -> str:
        return self.message.text(lang)


class LayoutError(ValidationError):
    """A layout that cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[LayoutProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self.text("en"))

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def text(self, lang: str | None) -> str:
        head = {
            "uz": "Javoblar varaqasi tuzilmasi noto‘g‘ri",
            "ru": "Неверная структура бланка ответов",
        }.get(lang or "", "The answer-sheet layout is not valid")
        return f"{head}: " + "; ".join(p.text(lang) for p in self.problems)


def validate_layout_json(data: object) -> Layout:
    """A `Layout` from its JSON (a dict or JSON text), or `LayoutError` with every problem."""
    problems = _Problems()
    layout = _parse(data, problems)
    if layout is not None:
        _check(layout, problems)
    if problems.items or layout is None:
        raise LayoutError(problems.items)
    return layout


def check_layout(layout: Layout) -> None:
    """Refuse a `Layout` built in code that breaks a rule (same checks as the JSON)."""
    validate_layout_json(layout.to_json())


# --- parsing -----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[LayoutProblem] = []

    def add(self, code: str, section: int | None, where: Msg | None, message: Msg) -> None:
        if where is not None:
            message = msg(
                "{where}: {what}", "{where}: {what}", "{where}: {what}", where=where, what=message
            )
        self.items.append(LayoutProblem(code, section, message))


def _where(index: int, titles: Mapping[str, Any] | None) -> Msg:
    titles = titles if isinstance(titles, Mapping) else {}
    uz = titles.get("uz") if isinstance(titles.get("uz"), str) else ""
    names = {
        lang: (titles.get(lang) if isinstance(titles.get(lang), str) and titles.get(lang) else uz)
        for lang in LANGUAGES
    }
    n = index + 1
    if not uz:
        return msg("{n}-bo‘lim", "Раздел {n}", "Section {n}", n=n)
    return msg(
        "{n}-bo‘lim ({uz})",
        "Раздел {n} ({ru})",
        "Section {n} ({en})",
        n=n,
        uz=_clip(names["uz"]),
        ru=_clip(names["ru"]),
        en=_clip(names["en"]),
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value) and value == int(value)
    )


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _bad_type(
    problems: _Problems, index: int | None, where: Msg | None, name: str, want: Msg
) -> None:
    problems.add(
        "bad_json",
        index,
        where,
        msg(
            "“{name}” maydoni {want} bo‘lishi kerak",
            "поле «{name}» должно быть {want}",
            "the field “{name}” must be {want}",
            name=name,
            want=want,
        ),
    )


_A_NUMBER = msg("son", "числом", "a number")
_AN_INTEGER = msg("butun son", "целым числом", "a whole number")
_A_LIST = msg("ro‘yxat", "списком", "a list")
_A_TEXT = msg("matn", "строкой", "a text")
_AN_OBJECT = msg("obyekt", "объектом", "an object")


def _parse(data: object, problems: _Problems) -> Layout | None:
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as err:
            problems.add(
                "bad_json",
                None,
                None,
                msg(
                    "JSON o‘qilmadi: {detail}",
                    "JSON не читается: {detail}",
                    "the JSON cannot be read: {detail}",
                    detail=str(err),
                ),
            )
            return None
    if not isinstance(data, Mapping):
        problems.add(
            "bad_json",
            None,
            None,
            msg(
                "tuzilma JSON obyekti bo‘lishi kerak",
                "структура должна быть объектом JSON",
                "the layout must be a JSON object",
            ),
        )
        return None
    for name in sorted(set(map(str, data)) - _TOP_FIELDS):
        problems.add("unknown_field", None, None, _unknown_field(name))
    version = data.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        problems.add(
            "bad_version",
            None,
            None,
            msg(
                "versiya {version!r} tanilmadi (faqat 1)",
                "версия {version!r} не поддерживается (только 1)",
                "version {version!r} is not supported (only 1)",
                version=version,
            ),
        )
    template = data.get("template", "custom")
    if template not in TEMPLATE_NAMES:
        problems.add(
            "unknown_template",
            None,
            None,
            msg(
                "noma’lum shablon {template!r}: {names}",
                "неизвестный шаблон {template!r}: {names}",
                "unknown template {template!r}: use {names}",
                template=template,
                names=", ".join(TEMPLATE_NAMES),
            ),
        )
    official = data.get("official_score", SCALED)
    if official not in OFFICIAL_SCORES:
        problems.add(
            "bad_official_score",
            None,
            None,
            msg(
                "rasmiy ball {value!r} bo‘lishi mumkin emas: “scaled” yoki “points”",
                "официальный балл {value!r} недопустим: «scaled» или «points»",
                "the official score {value!r} must be “scaled” or “points”",
                value=official,
            ),
        )
    raw_sections = data.get("sections", [])
    if not isinstance(raw_sections, list):
        _bad_type(problems, None, None, "sections", _A_LIST)
        return None
    sections: list[Section] = []
    ok = True
    for index, raw in enumerate(raw_sections):
        section = _parse_section(index, raw, problems)
        if section is None:
            ok = False
        else:
            sections.append(section)
    if not ok:
        return None
    return Layout(
        template=str(template),
        sections=tuple(sections),
        official_score=str(official),
    )


def _unknown_field(name: str) -> Msg:
    return msg(
        "noma’lum maydon “{name}”",
        "неизвестное поле «{name}»",
        "unknown field “{name}”",
        name=_clip(name),
    )


def _parse_section(index: int, raw: object, problems: _Problems) -> Section | None:
    if not isinstance(raw, Mapping):
        _bad_type(problems, index, _where(index, None), "sections[]", _AN_OBJECT)
        return None
    titles = raw.get("titles", {})
    where = _where(index, titles)
    before = len(problems.items)
    for name in sorted(set(map(str, raw)) - _SECTION_FIELDS):
        problems.add("unknown_field", index, where, _unknown_field(name))
    key = raw.get("key", f"s{index + 1}")
    if not isinstance(key, str):
        _bad_type(problems, index, where, "key", _A_TEXT)
    if not isinstance(titles, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in titles.items()
    ):
        _bad_type(problems, index, where, "titles", _AN_OBJECT)
    subject = raw.get("subject", "math")
    if not isinstance(subject, str):
        _bad_type(problems, index, where, "subject", _A_TEXT)
    kind = raw.get("kind", MCQ)
    if not isinstance(kind, str):
        _bad_type(problems, index, where, "kind", _A_TEXT)
    count = raw.get("count")
    if not _is_int(count):
        _bad_type(problems, index, where, "count", _AN_INTEGER)
    default_options = ["A", "B", "C", "D"] if kind == MCQ else []
    options = raw.get("options", default_options)
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        _bad_type(problems, index, where, "options", _A_LIST)
    parts = raw.get("parts", [])
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        _bad_type(problems, index, where, "parts", _A_LIST)
    points = raw.get("points", 1.0)
    if not _is_number(points):
        _bad_type(problems, index, where, "points", _A_NUMBER)
    first = raw.get("first")
    if first is not None and not _is_int(first):
        _bad_type(problems, index, where, "first", _AN_INTEGER)
    if len(problems.items) > before and any(p.code == "bad_json" for p in problems.items[before:]):
        return None
    return Section(
        key=key,
        titles={k: v.strip() for k, v in titles.items()},
        subject=subject,
        kind=kind,
        count=int(count),
        options=tuple(o.strip() for o in options),
        parts=tuple(p.strip() for p in parts),
        points=float(points),
        first=None if first is None else int(first),
    )


# --- rules -------------------------------------------------------------------------------


def _check(layout: Layout, problems: _Problems) -> None:
    from mockexam.scoring.layout_templates import SUBJECTS

    sections = layout.sections
    if not sections:
        problems.add(
            "no_sections",
            None,
            None,
            msg(
                "varaqada kamida bitta bo‘lim bo‘lishi kerak",
                "в бланке должен быть хотя бы один раздел",
                "the sheet needs at least one section",
            ),
        )
        return
    if len(sections) > MAX_SECTIONS:
        problems.add(
            "too_many_sections",
            None,
            None,
            msg(
                "{n} ta bo‘lim: ko‘pi bilan {max} ta",
                "разделов: {n}, допустимо не более {max}",
                "{n} sections: at most {max} are allowed",
                n=len(sections),
                max=MAX_SECTIONS,
            ),
        )
    keys: dict[str, int] = {}
    for index, section in enumerate(sections):
        _check_section(index, section, problems, SUBJECTS)
        if section.key in keys:
            problems.add(
                "duplicate_section_key",
                index,
                _where(index, section.titles),
                msg(
                    "“{key}” kaliti {other}-bo‘limda ham bor",
                    "ключ «{key}» уже есть у раздела {other}",
                    "the key “{key}” is also section {other}'s",
                    key=section.key,
                    other=keys[section.key] + 1,
                ),
            )
        else:
            keys[section.key] = index
    total = sum(section.item_count for section in sections if section.count > 0)
    if total == 0 and all(section.count >= 0 for section in sections):
        problems.add(
            "no_items",
            None,
            None,
            msg(
                "varaqada birorta ham savol yo‘q",
                "в бланке нет ни одного задания",
                "the sheet has no items",
            ),
        )
    if total > MAX_SHEET_ITEMS:
        problems.add(
            "too_many_items",
            None,
            None,
            msg(
                "{n} ta savol: bitta varaqada ko‘pi bilan {max} ta",
                "заданий: {n}, в одном бланке не более {max}",
                "{n} items: one sheet holds at most {max}",
                n=total,
                max=MAX_SHEET_ITEMS,
            ),
        )
    _check_numbers(layout, problems)


def _check_section(
    index: int, section: Section, problems: _Problems, subjects: Mapping[str, Any]
) -> None:
    where = _where(index, section.titles)

    def add(code: str, message: Msg) -> None:
        problems.add(code, index, where, message)

    if not _KEY.fullmatch(section.key) or len(section.key) > MAX_KEY_CHARS:
        add(
            "bad_section_key",
            msg(
                "kalit {key!r} faqat kichik lotin harflari, raqamlar va “_” (≤ {max} belgi)",
                "ключ {key!r}: только строчные латинские буквы, цифры и «_» (≤ {max} символов)",
                "the key {key!r} must be lower-case letters, digits or “_” (≤ {max} characters)",
                key=_clip(section.key),
                max=MAX_KEY_CHARS,
            ),
        )
    if not section.titles.get("uz"):
        add(
            "missing_title",
            msg(
                "o‘zbekcha nom kerak",
                "нужно название на узбекском",
                "an Uzbek title (uz) is required",
            ),
        )
    for lang, title in section.titles.items():
        if lang not in LANGUAGES:
            add(
                "unknown_field",
                msg(
                    "noma’lum til “{lang}” (uz, ru, en)",
                    "неизвестный язык «{lang}» (uz, ru, en)",
                    "unknown language “{lang}” (use uz, ru, en)",
                    lang=_clip(lang),
                ),
            )
        elif len(title) > MAX_TITLE_CHARS:
            add(
                "title_too_long",
                msg(
                    "{lang} nomi {n} belgi: ko‘pi bilan {max}",
                    "название ({lang}) длиной {n} символов: не более {max}",
                    "the {lang} title is {n} characters long: at most {max}",
                    lang=lang,
                    n=len(title),
                    max=MAX_TITLE_CHARS,
                ),
            )
    if section.subject not in subjects:
        add(
            "unknown_subject",
            msg(
                "noma’lum fan {subject!r}",
                "неизвестный предмет {subject!r}",
                "unknown subject {subject!r}",
                subject=_clip(section.subject),
            ),
        )
    if section.count < 1:
        add(
            "count_not_positive",
            msg(
                "topshiriqlar soni kamida 1 bo‘lishi kerak (hozir {n})",
                "число заданий должно быть не меньше 1 (сейчас {n})",
                "the number of exercises must be 1 or more (it is {n})",
                n=section.count,
            ),
        )
    _check_points(section.points, add)
    if section.first is not None and section.first < 1:
        add(
            "first_not_positive",
            msg(
                "birinchi topshiriq raqami kamida 1 bo‘lishi kerak",
                "номер первого задания должен быть не меньше 1",
                "the first exercise number must be 1 or more",
            ),
        )
    if section.kind == MCQ:
        _check_options(section.options, add)
        if section.parts:
            add(
                "parts_on_mcq",
                msg(
                    "test topshiriqlarida qismlar (a, b) bo‘lmaydi",
                    "у заданий с выбором ответа нет частей (a, b)",
                    "multiple-choice exercises have no parts (a, b)",
                ),
            )
    elif section.kind == FREE:
        if section.options:
            add(
                "options_on_free",
                msg(
                    "ochiq javobli topshiriqlarda variantlar bo‘lmaydi",
                    "у заданий с открытым ответом нет вариантов",
                    "free-response exercises have no options",
                ),
            )
        _check_parts(section.parts, add)
    else:
        add(
            "unknown_kind",
            msg(
                "turi {kind!r} noma’lum: “mcq” yoki “free”",
                "неизвестный тип {kind!r}: «mcq» или «free»",
                "the kind {kind!r} must be “mcq” or “free”",
                kind=_clip(section.kind),
            ),
        )


def _check_points(points: float, add: Any) -> None:
    if points <= 0:
        add(
            "points_not_positive",
            msg(
                "ball 0 dan katta bo‘lishi kerak",
                "балл должен быть больше 0",
                "points must be more than 0",
            ),
        )
    elif points > MAX_ITEM_POINTS:
        add(
            "points_too_large",
            msg(
                "bitta savolga ko‘pi bilan {max} ball",
                "не более {max} баллов за задание",
                "at most {max} points per item",
                max=int(MAX_ITEM_POINTS),
            ),
        )
    elif not has_two_decimals(points):
        add(
            "points_precision",
            msg(
                "ball 0,01 aniqlikda bo‘lishi kerak ({points})",
                "балл задаётся с точностью до 0,01 ({points})",
                "points go in steps of 0.01 ({points})",
                points=points,
            ),
        )


def _check_options(options: tuple[str, ...], add: Any) -> None:
    if len(options) < MIN_OPTIONS:
        add(
            "too_few_options",
            msg(
                "kamida {min} ta variant kerak",
                "нужно не меньше {min} вариантов",
                "at least {min} options are needed",
                min=MIN_OPTIONS,
            ),
        )
    elif len(options) > MAX_OPTIONS:
        add(
            "too_many_options",
            msg(
                "{n} ta variant: ko‘pi bilan {max} ta",
                "вариантов: {n}, не более {max}",
                "{n} options: at most {max}",
                n=len(options),
                max=MAX_OPTIONS,
            ),
        )
    if any(not o or len(o) > MAX_OPTION_CHARS for o in options):
        add(
            "bad_option",
            msg(
                "variant bo‘sh bo‘lmasligi va {max} belgidan oshmasligi kerak",
                "вариант не может быть пустым или длиннее {max} символов",
                "an option must be 1 to {max} characters",
                max=MAX_OPTION_CHARS,
            ),
        )
    folded = [fold_choice(o) for o in options]
    if len(set(folded)) != len(folded):
        add(
            "duplicate_option",
            msg(
                "variantlar takrorlanadi: {options}",
                "варианты повторяются: {options}",
                "options repeat: {options}",
                options=_clip(", ".join(options)),
            ),
        )


def _check_parts(parts: tuple[str, ...], add: Any) -> None:
    bad = [p for p in parts if not _PART.fullmatch(p)]
    if bad:
        add(
            "bad_part",
            msg(
                "qism bitta kichik lotin harfi bo‘lishi kerak (a, b, …), {part!r} emas",
                "часть — одна строчная латинская буква (a, b, …), а не {part!r}",
                "a part is one lower-case letter (a, b, …), not {part!r}",
                part=_clip(bad[0]),
            ),
        )
    if len(set(parts)) != len(parts):
        add(
            "duplicate_part",
            msg(
                "qismlar takrorlanadi: {parts}",
                "части повторяются: {parts}",
                "parts repeat: {parts}",
                parts=_clip(", ".join(parts)),
            ),
        )
    if len(parts) > MAX_PARTS:
        add(
            "too_many_parts",
            msg(
                "{n} ta qism: ko‘pi bilan {max} ta",
                "частей: {n}, не более {max}",
                "{n} parts: at most {max}",
                n=len(parts),
                max=MAX_PARTS,
            ),
        )


def _check_numbers(layout: Layout, problems: _Problems) -> None:
    """Two sections may not share an exercise number (labels would repeat)."""
    taken: list[tuple[int, int, int]] = []  # (first, last, index)
    for index, (section, start) in enumerate(zip(layout.sections, layout.firsts(), strict=True)):
        if section.count < 1 or start < 1:
            continue
        last = start + section.count - 1
        if last > MAX_EXERCISE_NUMBER:
            problems.add(
                "number_too_large",
                index,
                _where(index, section.titles),
                msg(
                    "topshiriq raqamlari {max} dan oshmasligi kerak (oxirgisi {last})",
                    "номера заданий не больше {max} (последний {last})",
                    "exercise numbers go up to {max} (the last is {last})",
                    max=MAX_EXERCISE_NUMBER,
                    last=last,
                ),
            )
        for other_first, other_last, other in taken:
            if start <= other_last and other_first <= last:
                problems.add(
                    "duplicate_labels",
                    index,
                    _where(index, section.titles),
                    msg(
                        "{first}–{last} raqamlari {other}-bo‘lim ({o_first}–{o_last}) bilan ustma-ust",
                        "номера {first}–{last} пересекаются с разделом {other} ({o_first}–{o_last})",
                        "exercises {first}–{last} overlap section {other} ({o_first}–{o_last})",
                        first=start,
                        last=last,
                        other=other + 1,
                        o_first=other_first,
                        o_last=other_last,
                    ),
                )
                break
        taken.append((start, last, index))


__all__ = [
    "MAX_OPTIONS",
    "MAX_SECTIONS",
    "MAX_SHEET_ITEMS",
    "OFFICIAL_SCORES",
    "POINTS",
    "SCALED",
    "TEMPLATE_NAMES",
    "Layout",
    "LayoutError",
    "LayoutProblem",
    "Section",
    "centipoints",
    "check_layout",
    "has_two_decimals",
    "validate_layout_json",
]
