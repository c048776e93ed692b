"""The ready-made answer-sheet layouts and the subjects a section can be about.

- `CERTIFICATE_MATH`: the national certificate in mathematics: 35 multiple
  choice (A–D) and 10 free-response exercises in two parts (36a, 36b … 45b),
  one point per item (55), 150 minutes; the scaled score is official.
- `DTM_BLOCK`: a DTM (university admission) test block: three mandatory subjects
  of 10 multiple-choice items at 1.1 points (native language, mathematics,
  history of Uzbekistan), then two specialty subjects of 30 at 3.1 (mathematics)
  and 2.1 (physics): 90 items, 33 + 93 + 63 = 189 points, 180 minutes; the
  points are official.
- `CUSTOM_START`: the builder's starting point: one section of 30 A–D items.

`alembic/versions/0009_exam_layouts.py` keeps a frozen copy of the certificate's
JSON (a test checks they are equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mockexam.scoring.grading import FREE, MCQ
from mockexam.scoring.layout import POINTS, SCALED, Layout, Section

SUBJECTS: Final[dict[str, tuple[str, str, str]]] = {
    "math": ("Matematika", "Математика", "Mathematics"),
    "native_language": ("Ona tili", "Родной язык", "Native language"),
    "uzbek_language": ("O‘zbek tili", "Узбекский язык", "Uzbek language"),
    "history_uz": ("O‘zbekiston tarixi", "История Узбекистана", "History of Uzbekistan"),
    "history": ("Tarix", "История", "History"),
    "physics": ("Fizika", "Физика", "Physics"),
    "chemistry": ("Kimyo", "Химия", "Chemistry"),
    "biology": ("Biologiya", "Биология", "Biology"),
    "geography": ("Geografiya", "География", "Geography"),
    "english": ("Ingliz tili", "Английский язык", "English"),
    "russian": ("Rus tili", "Русский язык", "Russian"),
    "german": ("Nemis tili", "Немецкий язык", "German"),
    "french": ("Fransuz tili", "Французский язык", "French"),
    "informatics": ("Informatika", "Информатика", "Computer science"),
    "literature": ("Adabiyot", "Литература", "Literature"),
    "law": ("Huquq", "Право", "Law"),
    "economics": ("Iqtisodiyot", "Экономика", "Economics"),
    "other": ("Boshqa", "Другое", "Other"),
}
"""Subject code → (uz, ru, en) name."""

LETTERS: Final = ("A", "B", "C", "D")


def subject_name(code: str, lang: str | None) -> str:
    """A subject's name in `lang` (uz, ru, en); an unknown code is shown as it is."""
    names = SUBJECTS.get(code)
    if names is None:
        return code
    return {"uz": names[0], "ru": names[1]}.get(lang or "", names[2])


def _titles(uz: str, ru: str, en: str) -> dict[str, str]:
    return {"uz": uz, "ru": ru, "en": en}


def _subject_titles(code: str) -> dict[str, str]:
    return _titles(*SUBJECTS[code])


CERTIFICATE_MATH: Final = Layout(
    template="certificate_math",
    official_score=SCALED,
    sections=(
        Section(
            key="s1",
            titles=_titles("Test topshiriqlari", "Тестовые задания", "Multiple choice"),
            subject="math",
            kind=MCQ,
            count=35,
            options=LETTERS,
            points=1.0,
            first=1,
        ),
        Section(
            key="s2",
            titles=_titles(
                "Ochiq javobli topshiriqlar", "Задания с открытым ответом", "Free response"
            ),
            subject="math",
            kind=FREE,
            count=10,
            parts=("a", "b"),
            points=1.0,
            first=36,
        ),
    ),
)


def _specialty(n: int, code: str) -> dict[str, str]:
    uz, ru, en = SUBJECTS[code]
    return _titles(
        f"{n}-mutaxassislik fani: {uz}",
        f"Профильный предмет {n}: {ru}",
        f"Specialty subject {n}: {en}",
    )


DTM_BLOCK: Final = Layout(
    template="dtm_block",
    official_score=POINTS,
    sections=(
        Section("s1", _subject_titles("native_language"), "native_language", MCQ, 10, LETTERS,
                points=1.1, first=1),
        Section("s2", _subject_titles("math"), "math", MCQ, 10, LETTERS, points=1.1, first=11),
        Section("s3", _subject_titles("history_uz"), "history_uz", MCQ, 10, LETTERS, points=1.1,
                first=21),
        Section("s4", _specialty(1, "math"), "math", MCQ, 30, LETTERS, points=3.1, first=31),
        Section("s5", _specialty(2, "physics"), "physics", MCQ, 30, LETTERS, points=2.1,
                first=61),
    ),
)  # fmt: skip

CUSTOM_START: Final = Layout(
    template="custom",
    official_score=SCALED,
    sections=(
        Section(
            key="s1",
            titles=_titles("1-bo‘lim", "Раздел 1", "Section 1"),
            subject="math",
            kind=MCQ,
            count=30,
            options=LETTERS,
            points=1.0,
            first=1,
        ),
    ),
)


@dataclass(frozen=True)
class Template:
    """A ready-made layout with the exam defaults that go with it."""

    name: str
    titles: Mapping[str, str]
    layout: Layout
    duration_minutes: int
    grading_scheme: str

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.titles["uz"]


TEMPLATES: Final[dict[str, Template]] = {
    "certificate_math": Template(
        name="certificate_math",
        titles=_titles(
            "Milliy sertifikat: matematika",
            "Национальный сертификат: математика",
            "National certificate: mathematics",
        ),
        layout=CERTIFICATE_MATH,
        duration_minutes=150,
        grading_scheme="percentile",
    ),
    "dtm_block": Template(
        name="dtm_block",
        titles=_titles("DTM test bloki", "Тестовый блок ДТМ", "DTM test block"),
        layout=DTM_BLOCK,
        duration_minutes=180,
        grading_scheme="percentile",
    ),
    "custom": Template(
        name="custom",
        titles=_titles("O‘z tuzilmangiz", "Своя структура", "Custom layout"),
        layout=CUSTOM_START,
        duration_minutes=60,
        grading_scheme="percentile",
    ),
}
