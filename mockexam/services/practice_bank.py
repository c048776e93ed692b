"""The practice question bank (spec §7): topics, questions, images, and the CSV/JSON import.

A question is checked field by field (`check_draft`) before anything is
written, whether it comes from the admin form or from a file; an import is
all or nothing: every bad row and field is named (`QuestionImportError`) and
the bank is left as it was. A question already in the bank (same topic,
kind, text and options: its `fingerprint`) is skipped, so importing a file
twice adds nothing the second time.

Import files (`parse_question_file`):

- JSON: `{"questions": [...]}` or a bare list; each question an object with
  `topic`, optional `subject`, `difficulty` (1–5), `kind` (`mcq` or `free`), `text` (Markdown
  with `$…$` LaTeX), `options` (mcq: 2–6 texts, shown as A, B, C…),
  `answer` (mcq: the letter of the right option; free: an accepted answer
  or a list of them), optional `explanation`, `image`, `language` and `bank_code`.
- CSV (UTF-8, comma or semicolon separated, a header row): the columns
  `topic, difficulty, kind, text, option_a … option_f, answer, explanation,
  image` and optionally `subject`, `language`, `bank_code`; several accepted free
  answers are separated by `|`.

`language` is the language of the question's text: `uz`, `ru` or `en` (or the
language's name in any of the three; left out or empty: `uz`, as every question was
before languages). Students are given questions in their own language first
(services/practice.py). `bank_code` (optional) names the item bank's question it is,
`ALG-017`: checked and written as exam items' codes are (`scoring/bank_codes.clean_code`:
up to 32 letters, digits, `-`, `_`, `.`, kept in capitals). Translations of one question
may share its code, so a code is not unique in the practice bank.

`subject` (a code of `scoring/layout_templates.SUBJECTS` or its name in any of
the three languages) is optional: given, the row's topic must be one of that
subject's topics (and a topic name two subjects share is read as that
subject's); left out, the topic alone decides, as before subjects existed.
- ZIP: one such file plus the images it names.

`image` names a PNG, JPEG, GIF, WebP or SVG file next to the import file
(or in an `images/` folder beside it); images are stored under
`UPLOAD_DIR/practice/` by content hash.

Limits, checked while the file is read, so nothing past the first one crossed is
unpacked or parsed (issue 20, item 8): 5,000 questions, 10 MB for the .csv/.json
(unpacked), 32 KB a CSV line; a ZIP of at most 50 MB, 5,100 entries and 100 MB
unpacked, 2 MB an image, 100:1 compression past the first MB, no names that
climb out, nest deeper than three folders or appear twice (`safe_zip`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import MockExamError, Msg, NotFoundError, ValidationError, localized, msg
from mockexam.models import ItemKind, PracticeAnswer, PracticeQuestion, PracticeTopic
from mockexam.parsing import is_ascii_digits, parse_id, parse_int
from mockexam.scoring.bank_codes import MAX_CODE_CHARS, clean_code
from mockexam.scoring.grading import free_response_problem, normalize_free_response
from mockexam.scoring.layout_templates import SUBJECTS
from mockexam.services import audit
from mockexam.services.safe_zip import ArchiveProblem, SafeZip, ZipLimits
from mockexam.text import strip_bidi

PRACTICE_DIR = "practice"
LETTERS = "ABCDEF"
MIN_OPTIONS, MAX_OPTIONS = 2, len(LETTERS)
MAX_TEXT_CHARS = 4000
MAX_EXPLANATION_CHARS = 4000
MAX_OPTION_CHARS = 500
MAX_ANSWERS = 10
MAX_IMPORT_QUESTIONS = 5000
MAX_IMPORT_BYTES = 10 * 1024 * 1024  # a .json/.csv file, unpacked
MAX_ZIP_BYTES = 50 * 1024 * 1024  # an uploaded .zip, packed
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024  # every member read, measured while reading
MAX_ZIP_MEMBERS = MAX_IMPORT_QUESTIONS + 100  # the sheet, an image a question, some folders
MAX_IMAGE_BYTES = 2 * 1024 * 1024
KIND_ALIASES = {
    "mcq": ItemKind.MULTIPLE_CHOICE.value,
    "multiple_choice": ItemKind.MULTIPLE_CHOICE.value,
    "choice": ItemKind.MULTIPLE_CHOICE.value,
    "free": ItemKind.FREE_RESPONSE.value,
    "free_response": ItemKind.FREE_RESPONSE.value,
}
CSV_OPTION_COLUMNS = tuple(f"option_{letter.lower()}" for letter in LETTERS)
CSV_COLUMNS = (
    "topic",
    "difficulty",
    "kind",
    "text",
    *CSV_OPTION_COLUMNS,
    "answer",
    "explanation",
    "image",
    "subject",
    "language",
    "bank_code",
)
JSON_FIELDS = frozenset(
    (
        "topic",
        "subject",
        "difficulty",
        "kind",
        "text",
        "options",
        "answer",
        "explanation",
        "image",
        "language",
        "bank_code",
    )
)
DEFAULT_SUBJECT = "math"
_TOPIC_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_IMAGE_NAME = re.compile(r"^[0-9a-f]{24}\.(png|jpg|gif|webp|svg)$")
_SVG_DANGER = re.compile(
    rb"<script|<foreignobject|\bon[a-z]+\s*=|javascript:|<!entity|xlink:href\s*=\s*[\"'](?!#)"
    rb"|\bhref\s*=\s*[\"'](?!#)",
    re.IGNORECASE,
)

# Seeded by migration 0005 (a test checks the two lists agree).
DEFAULT_TOPICS: tuple[tuple[str, str, dict[str, str], int], ...] = (
    ("algebra", "Algebra", {"uz": "Algebra", "ru": "Алгебра", "en": "Algebra"}, 1),
    ("geometry", "Geometry", {"uz": "Geometriya", "ru": "Геометрия", "en": "Geometry"}, 2),
    (
        "probability",
        "Probability & statistics",
        {
            "uz": "Ehtimollik va statistika",
            "ru": "Вероятность и статистика",
            "en": "Probability & statistics",
        },
        3,
    ),
    (
        "calculus",
        "Calculus",
        {"uz": "Matematik analiz", "ru": "Начала анализа", "en": "Calculus"},
        4,
    ),
    (
        "trigonometry",
        "Trigonometry",
        {"uz": "Trigonometriya", "ru": "Тригонометрия", "en": "Trigonometry"},
        5,
    ),
    (
        "number_theory",
        "Number theory",
        {"uz": "Sonlar nazariyasi", "ru": "Теория чисел", "en": "Number theory"},
        6,
    ),
)
LANGUAGES = ("uz", "ru", "en")
DEFAULT_LANGUAGE = "uz"  # every question written before questions had a language
# A question's language by its name in each of the three (the import's `language` column
# may name it; the admin form shows these).
LANGUAGE_NAMES: dict[str, tuple[str, str, str]] = {
    "uz": ("O‘zbekcha", "Узбекский", "Uzbek"),
    "ru": ("Ruscha", "Русский", "Russian"),
    "en": ("Inglizcha", "Английский", "English"),
}


def language_code(value: Any) -> str | None:
    """A language of `LANGUAGES` from its code or its name in uz/ru/en (any case), or None."""
    key = " ".join(strip_bidi(str(value or "")).split()).casefold()
    key = key.replace("'", "‘").replace("`", "‘").replace("’", "‘")  # O'zbekcha, O’zbekcha
    if not key:
        return None
    for code, names in LANGUAGE_NAMES.items():
        if key == code or key in (n.casefold() for n in names):
            return code
    return None


def line_at(n: int) -> Msg:
    """Where a CSV problem is: "line 7" in the reader's language."""
    return msg("{n}-qator", "строка {n}", "line {n}", n=n)


def question_at(n: int) -> Msg:
    """Where a JSON problem is: "question 3" in the reader's language."""
    return msg("{n}-savol", "вопрос {n}", "question {n}", n=n)


class QuestionImportError(ValidationError):
    """A question file that was not imported.

    `entries` lists (where, field, message) as raised (`where` and `message` may be
    `Msg`s: `text(lang)` and `error_lines(err, lang)` word them); `errors` is the same
    list in English (the CLI, the logs).
    """

    def __init__(self, errors: list[tuple[str | Msg, str, str | Msg]]) -> None:
        self.entries = list(errors)
        self.errors = [(str(where), name, str(message)) for where, name, message in errors]
        super().__init__(self.text("en"))

    def lines(self, lang: str | None) -> list[str]:
        """One line per problem in `lang`: "line 7 · answer: …"."""
        return [
            f"{localized(where, lang)} · {name}: {localized(message, lang)}"
            if name
            else f"{localized(where, lang)}: {localized(message, lang)}"
            for where, name, message in self.entries
        ]

    def text(self, lang: str | None) -> str:
        shown = "; ".join(
            f"{localized(where, lang)}, {name}: {localized(message, lang)}"
            if name
            else f"{localized(where, lang)}: {localized(message, lang)}"
            for where, name, message in self.entries[:10]
        )
        extra = len(self.entries) - 10
        head = msg(
            "Hech narsa import qilinmadi: {shown}",
            "Ничего не импортировано: {shown}",
            "Nothing was imported: {shown}",
            shown=shown,
        ).text(lang)
        if extra > 0:
            head += msg(" (yana {n} ta)", " (и ещё {n})", " (and {n} more)", n=extra).text(lang)
        return head


class QuestionDraftError(ValidationError):
    """A question from the admin form that was not saved.

    `entries` lists (field, message) as raised (`message` may be a `Msg`);
    `problems` is the same list in English.
    """

    def __init__(self, problems: list[tuple[str, str | Msg]]) -> None:
        self.entries = list(problems)
        self.problems = [(name, str(message)) for name, message in problems]
        super().__init__(self.text("en"))

    def text(self, lang: str | None) -> str:
        shown = "; ".join(f"{name}: {localized(message, lang)}" for name, message in self.entries)
        return msg(
            "Saqlanmadi: {shown}", "Не сохранено: {shown}", "Not saved: {shown}", shown=shown
        ).text(lang)


@dataclass(frozen=True)
class QuestionDraft:
    """A question as typed or read from a file, before it is checked.

    `image` is an already stored image name (`store_image`), or for a file
    import the name of a file beside it (resolved by the importer).
    """

    topic: str
    difficulty: Any
    kind: str
    text: str
    options: Sequence[str] = ()
    answers: Sequence[str] = ()  # mcq: [the letter]; free: the accepted answers
    explanation: str = ""
    image: str | None = None
    subject: str = ""  # optional (imports): the topic must be this subject's
    language: str = ""  # uz, ru or en (or its name); empty: uz
    bank_code: str = ""  # optional: the item bank's code, `ALG-017`


@dataclass(frozen=True)
class CheckedQuestion:
    """A draft that passed every check, in the form it is stored."""

    topic_id: int
    topic_code: str
    difficulty: int
    kind: str
    text: str
    options: list[str]
    accepted_answers: list[str]
    explanation: str
    image_path: str | None
    fingerprint: str
    language: str = DEFAULT_LANGUAGE
    bank_code: str | None = None


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    added: int
    skipped_duplicates: int
    question_ids: list[int] = field(default_factory=list)


# --- topics --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicRow:
    topic_id: int
    code: str
    name: str
    names: dict[str, str]
    sort_order: int
    questions: int  # in the bank (active or not)
    active_questions: int
    subject: str = DEFAULT_SUBJECT


def list_topics(session: Session) -> list[TopicRow]:
    """Every topic in its order, with its question counts (one query)."""
    active = func.coalesce(func.sum(case((col(PracticeQuestion.is_active), 1), else_=0)), 0)
    rows = session.execute(
        select(
            PracticeTopic.id,
            PracticeTopic.code,
            PracticeTopic.name,
            PracticeTopic.names,
            PracticeTopic.sort_order,
            func.count(col(PracticeQuestion.id)),
            active,
            PracticeTopic.subject,
        )
        .outerjoin(PracticeQuestion, col(PracticeQuestion.topic_id) == PracticeTopic.id)
        .group_by(col(PracticeTopic.id))
        .order_by(col(PracticeTopic.sort_order), col(PracticeTopic.id))
    )
    return [
        TopicRow(
            tid,
            code,
            name,
            dict(names or {}),
            order,
            int(total),
            int(active_count),
            subject or DEFAULT_SUBJECT,
        )
        for tid, code, name, names, order, total, active_count, subject in rows
    ]


def subject_code(value: Any) -> str | None:
    """A subject of `SUBJECTS` from its code or its name in uz/ru/en (any case), or None."""
    key = " ".join(str(value or "").split()).casefold()
    if not key:
        return None
    for code, names in SUBJECTS.items():
        if key == code or key in (n.casefold() for n in names):
            return code
    return None


def _checked_subject(value: Any) -> str:
    """The subject code of a topic form (empty: mathematics), or ValidationError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_SUBJECT
    code = subject_code(value)
    if code is None:
        raise ValidationError(
            msg(
                "{value} fan emas; quyidagilardan birini tanlang: {codes}.",
                "{value} — не предмет; выберите один из: {codes}.",
                "{value} is not a subject; choose one of {codes}.",
                value=_shown(value),
                codes=", ".join(SUBJECTS),
            )
        )
    return code


def topic_label(names: Mapping[str, str], fallback: str, lang: str) -> str:
    """The students' name of a topic in `lang` (Uzbek, then the admin name, as fallbacks)."""
    return names.get(lang) or names.get("uz") or fallback


def _clean_names(names: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for lang in LANGUAGES:
        value = strip_bidi(str(names.get(lang, "") or "")).strip()
        if len(value) > 80:
            raise ValidationError(
                msg(
                    "{lang} nomi 80 belgidan uzun.",
                    "Название ({lang}) длиннее 80 символов.",
                    "The {lang} name is over 80 characters.",
                    lang=lang,
                )
            )
        if value:
            cleaned[lang] = value
    return cleaned


def create_topic(
    session: Session,
    *,
    code: str,
    name: str,
    names: Mapping[str, str] | None = None,
    subject: str | None = None,
    admin_id: int | None = None,
) -> PracticeTopic:
    """Add a topic; the code is a short lower-case identifier (`number_theory`);
    `subject` is a code of `SUBJECTS` (mathematics when left out)."""
    code = (code or "").strip().lower()
    name = strip_bidi(name or "").strip()
    if not _TOPIC_CODE.fullmatch(code):
        raise ValidationError(
            msg(
                "Mavzu kodi 2–40 ta kichik lotin harfi, raqam yoki _ bo‘lib, harf bilan "
                "boshlanishi kerak.",
                "Код темы — 2–40 строчных латинских букв, цифр или _, начиная с буквы.",
                "The topic code must be 2–40 lower-case letters, digits or _, starting with a "
                "letter.",
            )
        )
    if not name or len(name) > 80:
        raise ValidationError(_NAME_NEEDED)
    subject_value = _checked_subject(subject)
    if session.exec(select(PracticeTopic).where(PracticeTopic.code == code)).first():
        raise ValidationError(
            msg(
                "{code} kodli mavzu allaqachon bor.",
                "Тема с кодом {code} уже есть.",
                "A topic with the code {code} exists already.",
                code=repr(code),
            )
        )
    last = session.exec(select(func.max(PracticeTopic.sort_order))).one() or 0
    topic = PracticeTopic(
        code=code,
        name=name,
        names=_clean_names(names or {}),
        subject=subject_value,
        sort_order=int(last) + 1,
    )
    session.add(topic)
    session.flush()
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.topic.create",
        entity="practicetopic",
        entity_id=topic.id,
        details={"code": code, "name": name, "subject": subject_value},
    )
    return topic


_NAME_NEEDED = msg(
    "Mavzuga ko‘pi bilan 80 belgili nom kerak.",
    "Теме нужно название не длиннее 80 символов.",
    "The topic needs a name of at most 80 characters.",
)


def _no_topic(topic_id: int) -> Msg:
    return msg(
        "{id}-mavzu mavjud emas.",
        "Темы {id} не существует.",
        "Topic {id} does not exist.",
        id=topic_id,
    )


def _topic(session: Session, topic_id: int) -> PracticeTopic:
    """The topic, or NotFoundError."""
    topic = session.get(PracticeTopic, topic_id)
    if topic is None:
        raise NotFoundError(_no_topic(topic_id))
    return topic


def _question(session: Session, question_id: int) -> PracticeQuestion:
    """The question, or NotFoundError."""
    row = session.get(PracticeQuestion, question_id)
    if row is None:
        raise NotFoundError(
            msg(
                "#{id} savol mavjud emas.",
                "Вопроса #{id} не существует.",
                "Question {id} does not exist.",
                id=question_id,
            )
        )
    return row


def update_topic(
    session: Session,
    topic_id: int,
    *,
    name: str,
    names: Mapping[str, str],
    subject: str | None = None,
    admin_id: int | None = None,
) -> PracticeTopic:
    """Rename a topic or move it to another subject (its code stays: imports refer to it);
    `subject` None keeps the topic's subject."""
    topic = _topic(session, topic_id)
    name = strip_bidi(name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(_NAME_NEEDED)
    cleaned = _clean_names(names)
    new_subject = topic.subject if subject is None else _checked_subject(subject)
    if (topic.name, dict(topic.names or {}), topic.subject) == (name, cleaned, new_subject):
        return topic  # nothing to write, nothing to audit
    topic.name, topic.names, topic.subject = name, cleaned, new_subject
    session.add(topic)
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.topic.update",
        entity="practicetopic",
        entity_id=topic_id,
        details={"name": name, "names": topic.names, "subject": new_subject},
    )
    return topic


def move_topic(
    session: Session, topic_id: int, *, step: int, admin_id: int | None = None
) -> list[TopicRow]:
    """Move a topic one place up (step −1) or down (+1) in the students' order."""
    if type(step) is not int or step not in (-1, 1):  # 1.0 == 1 but is no list index
        raise ValidationError(
            msg(
                "Mavzu bir martada bir o‘ringa suriladi.",
                "Тема сдвигается на одно место за раз.",
                "A topic moves one place at a time.",
            )
        )
    topics = list(
        session.exec(
            select(PracticeTopic).order_by(col(PracticeTopic.sort_order), col(PracticeTopic.id))
        )
    )
    index = next((i for i, t in enumerate(topics) if t.id == topic_id), None)
    if index is None:
        raise NotFoundError(_no_topic(topic_id))
    other = index + step
    if 0 <= other < len(topics):
        topics[index], topics[other] = topics[other], topics[index]
        for order, topic in enumerate(topics, start=1):
            if topic.sort_order != order:
                topic.sort_order = order
                session.add(topic)
        audit.record(
            session,
            admin_id=admin_id,
            action="practice.topic.move",
            entity="practicetopic",
            entity_id=topic_id,
            details={"step": step},
        )
        session.flush()
    return list_topics(session)


def delete_topic(session: Session, topic_id: int, *, admin_id: int | None = None) -> None:
    """Remove a topic that has no questions (otherwise say so)."""
    topic = _topic(session, topic_id)
    count = session.exec(select(func.count()).where(PracticeQuestion.topic_id == topic_id)).one()
    if count:
        raise ValidationError(
            msg(
                "{name} mavzusida {count} ta savol bor: avval ularni boshqa mavzuga o‘tkazing "
                "yoki o‘chiring.",
                "В теме {name} вопросов: {count}. Сначала перенесите или удалите их.",
                "The topic {name} has {count} {questions}: move or delete them first.",
                name=repr(topic.name),
                count=count,
                questions="question" if count == 1 else "questions",
            )
        )
    session.delete(topic)
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.topic.delete",
        entity="practicetopic",
        entity_id=topic_id,
        details={"code": topic.code},
    )


def ensure_default_topics(session: Session) -> int:
    """Add any of the default topics that is missing (the migration seeds them too)."""
    existing = set(session.exec(select(PracticeTopic.code)))
    added = 0
    for code, name, names, order in DEFAULT_TOPICS:
        if code not in existing:
            session.add(PracticeTopic(code=code, name=name, names=dict(names), sort_order=order))
            added += 1
    session.flush()
    return added


# --- checking a question -------------------------------------------------------------------


def _clean_text(value: Any) -> str:
    """Text as stored: NFC, no bidi controls, Windows line ends unified, trailing spaces trimmed.

    Bidi controls (`strip_bidi`) would let a question, option or explanation show
    in an order other than the one stored (issue 20, item 10).
    """
    text = (
        unicodedata.normalize("NFC", strip_bidi(str(value)))
        .replace("\r\n", "\n")
        .replace("\r", "\n")
    )
    return text.strip()


def question_fingerprint(topic_code: str, kind: str, text: str, options: Sequence[str]) -> str:
    """SHA-256 of what makes two questions the same (whitespace and case folded)."""

    def fold(value: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", value).casefold().split())

    payload = json.dumps([topic_code, kind, fold(text), [fold(o) for o in options]])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _has_control(value: str, *, allow_newlines: bool) -> bool:
    allowed = {"\n", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in value)


def _difficulty(value: Any) -> int | None:
    """1..5 from a form's or a file's value: ASCII digits (`parse_int`), an int, or 2.0.

    '²' passes `str.isdigit()` and then fails `int()`; a 5,000-digit string fails
    `int()` too, and a JSON 1e999 is a float: each is a named row error, never an
    exception.
    """
    if isinstance(value, str):
        return parse_int(value, minimum=1, maximum=5)
    if isinstance(value, float) and value.is_integer() and 1 <= value <= 5:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= 5 else None
    return None


def _shown(value: Any, limit: int = 24) -> str:
    """A value quoted in an error message, cut short (a row may hold 10,000 characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_draft(
    draft: QuestionDraft,
    topics: Mapping[str, tuple[int, str]],
    *,
    image_exists: Callable[[str], bool] | None = None,
) -> tuple[CheckedQuestion | None, list[tuple[str, str]]]:
    """The stored form of `draft`, or every (field, message) that is wrong with it.

    `topics` maps topic code and lower-cased admin name → (topic id, code).
    """
    errors: list[tuple[str, str | Msg]] = []
    topic_key = str(draft.topic or "").strip().lower()
    subject_text = str(draft.subject or "").strip()
    subject = subject_code(subject_text) if subject_text else None
    if subject_text and subject is None:
        errors.append(
            (
                "subject",
                msg(
                    "{value} fan emas; quyidagilardan birini yozing: {codes}",
                    "{value} — не предмет; укажите один из: {codes}",
                    "{value} is not a subject; use one of {codes}",
                    value=_shown(draft.subject),
                    codes=", ".join(SUBJECTS),
                ),
            )
        )
    topic = topics.get(topic_key)
    if subject is not None and topic_key:
        # The subject's own topic of that name first (two subjects may share a name).
        topic = topics.get(f"{subject}{SUBJECT_KEY}{topic_key}", topic)
    if not topic_key:
        errors.append(("topic", msg("ko‘rsatilmagan", "не указана", "missing")))
    elif topic is None:
        codes = ", ".join(sorted({code for _, code in topics.values()}))
        errors.append(
            (
                "topic",
                msg(
                    "{value} mavzu emas; quyidagilardan birini yozing: {codes}",
                    "{value} — не тема; укажите одну из: {codes}",
                    "{value} is not a topic; use one of {codes}",
                    value=_shown(draft.topic),
                    codes=codes,
                ),
            )
        )
    elif subject is not None and f"{subject}{SUBJECT_KEY}{topic[1]}" not in topics:
        errors.append(
            (
                "topic",
                msg(
                    "{value} mavzusi {subject} fanidan emas",
                    "тема {value} не относится к предмету «{subject}»",
                    "the topic {value} is not a topic of {subject}",
                    value=_shown(draft.topic),
                    subject=msg(*SUBJECTS[subject]),
                ),
            )
        )

    difficulty = _difficulty(draft.difficulty)
    if difficulty is None:
        if draft.difficulty in (None, ""):
            errors.append(
                (
                    "difficulty",
                    msg(
                        "1 dan 5 gacha butun son bo‘lishi kerak, lekin ko‘rsatilmagan",
                        "должна быть целым числом от 1 до 5, а она не указана",
                        "must be a whole number from 1 to 5, not missing",
                    ),
                )
            )
        else:
            errors.append(
                (
                    "difficulty",
                    msg(
                        "1 dan 5 gacha butun son bo‘lishi kerak, {value} emas",
                        "должна быть целым числом от 1 до 5, а не {value}",
                        "must be a whole number from 1 to 5, not {value}",
                        value=_shown(draft.difficulty),
                    ),
                )
            )
        difficulty = 0

    kind = KIND_ALIASES.get(str(draft.kind or "").strip().lower())
    if kind is None:
        errors.append(
            (
                "kind",
                msg(
                    "'mcq' (test) yoki 'free' (ochiq javob) bo‘lishi kerak, {value} emas",
                    "должен быть 'mcq' (с вариантами) или 'free' (свободный ответ), а не {value}",
                    "must be 'mcq' (multiple choice) or 'free', not {value}",
                    value=_shown(draft.kind),
                ),
            )
        )

    text = _clean_text(draft.text or "")
    if not text:
        errors.append(
            (
                "text",
                msg(
                    "ko‘rsatilmagan: savolga matn kerak",
                    "не указан: у вопроса должен быть текст",
                    "missing: the question needs its text",
                ),
            )
        )
    elif len(text) > MAX_TEXT_CHARS:
        errors.append(("text", _too_long(len(text), MAX_TEXT_CHARS)))
    elif _has_control(text, allow_newlines=True):
        errors.append(
            (
                "text",
                msg(
                    "boshqaruv belgilari bor",
                    "содержит управляющие символы",
                    "contains control characters",
                ),
            )
        )

    explanation = _clean_text(draft.explanation or "")
    if len(explanation) > MAX_EXPLANATION_CHARS:
        errors.append(("explanation", _too_long(len(explanation), MAX_EXPLANATION_CHARS)))

    options = [_clean_text(o) for o in draft.options]
    while options and not options[-1]:
        options.pop()  # trailing empty CSV columns
    answers = [strip_bidi(str(a)).strip() for a in draft.answers if strip_bidi(str(a)).strip()]
    accepted: list[str] = []
    if kind == ItemKind.MULTIPLE_CHOICE:
        before = len(errors)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            errors.append(
                (
                    "options",
                    msg(
                        "test savoliga {low}–{high} ta variant kerak",
                        "у вопроса с вариантами должно быть {low}–{high} вариантов",
                        "a multiple-choice question needs {low}–{high} options",
                        low=MIN_OPTIONS,
                        high=MAX_OPTIONS,
                    ),
                )
            )
        elif any(not o for o in options):
            gap = LETTERS[next(i for i, o in enumerate(options) if not o)]
            errors.append(
                (
                    "options",
                    msg(
                        "{letter} variant bo‘sh",
                        "вариант {letter} пуст",
                        "option {letter} is empty",
                        letter=gap,
                    ),
                )
            )
        elif any(len(o) > MAX_OPTION_CHARS for o in options):
            errors.append(
                (
                    "options",
                    msg(
                        "variantlardan biri {n} belgidan uzun",
                        "один из вариантов длиннее {n} символов",
                        "an option is over {n} characters",
                        n=MAX_OPTION_CHARS,
                    ),
                )
            )
        elif len({" ".join(o.casefold().split()) for o in options}) != len(options):
            errors.append(
                (
                    "options",
                    msg(
                        "ikkita variant bir xil",
                        "два варианта совпадают",
                        "two options are the same",
                    ),
                )
            )
        letters = LETTERS[: len(options)]
        if len(errors) > before:
            pass  # the answer letter means nothing until the options are right
        elif len(answers) != 1:
            errors.append(
                (
                    "answer",
                    msg(
                        "to‘g‘ri variant harfini yozing ({first}–{last})",
                        "укажите букву правильного варианта ({first}–{last})",
                        "give the letter of the right option ({first}–{last})",
                        first=letters[0],
                        last=letters[-1],
                    ),
                )
            )
        elif answers[0].upper() not in letters or len(answers[0]) != 1:
            errors.append(
                (
                    "answer",
                    msg(
                        "{value} variant harfi emas; {first}–{last} dan foydalaning",
                        "{value} — не буква варианта; используйте {first}–{last}",
                        "{value} is not an option letter; use {first}–{last}",
                        value=_shown(answers[0]),
                        first=letters[0],
                        last=letters[-1],
                    ),
                )
            )
        else:
            accepted = [answers[0].upper()]
    elif kind == ItemKind.FREE_RESPONSE:
        if options:
            errors.append(
                (
                    "options",
                    msg(
                        "ochiq javobli savolda variantlar bo‘lmaydi",
                        "у вопроса со свободным ответом нет вариантов",
                        "a free-response question has no options",
                    ),
                )
            )
        if not answers:
            errors.append(
                (
                    "answer",
                    msg(
                        "ko‘rsatilmagan: kamida bitta qabul qilinadigan javob yozing",
                        "не указан: дайте хотя бы один принимаемый ответ",
                        "missing: give at least one accepted answer",
                    ),
                )
            )
        elif len(answers) > MAX_ANSWERS:
            errors.append(
                (
                    "answer",
                    msg(
                        "ko‘pi bilan {n} ta qabul qilinadigan javob",
                        "не больше {n} принимаемых ответов",
                        "at most {n} accepted answers",
                        n=MAX_ANSWERS,
                    ),
                )
            )
        for answer in answers:
            problem: str | Msg | None = free_response_problem(
                answer, max_chars=settings.free_response_max_chars
            )
            if problem is None and not normalize_free_response(answer):
                problem = msg(
                    "qabul qilinadigan javoblardan biri bo‘sh",
                    "один из принимаемых ответов пуст",
                    "an accepted answer is empty",
                )
            if problem:
                errors.append(
                    (
                        "answer",
                        msg(
                            "{answer}: {problem}",
                            "{answer}: {problem}",
                            "{answer}: {problem}",
                            answer=repr(answer[:30]),
                            problem=problem,
                        ),
                    )
                )
                break
        accepted = answers

    image = (draft.image or "").strip() or None
    if image is not None and image_exists is not None and not image_exists(image):
        errors.append(
            (
                "image",
                msg(
                    "{name} topilmadi",
                    "{name} не найден",
                    "{name} was not found",
                    name=_shown(image, 80),
                ),
            )
        )

    language = _draft_language(draft.language, errors)
    bank_code = _draft_bank_code(draft.bank_code, errors)

    if errors or topic is None or kind is None:
        return None, errors
    topic_id, topic_code = topic
    return (
        CheckedQuestion(
            topic_id=topic_id,
            topic_code=topic_code,
            difficulty=int(difficulty),
            kind=kind,
            text=text,
            options=options if kind == ItemKind.MULTIPLE_CHOICE else [],
            accepted_answers=accepted,
            explanation=explanation,
            image_path=image,
            fingerprint=question_fingerprint(topic_code, kind, text, options),
            language=language,
            bank_code=bank_code,
        ),
        [],
    )


def _draft_language(value: Any, errors: list[tuple[str, str | Msg]]) -> str:
    """The draft's language code (empty: uz); an unknown one is added to `errors`."""
    if value is None or not str(value).strip():
        return DEFAULT_LANGUAGE
    code = language_code(value)
    if code is None:
        errors.append(
            (
                "language",
                msg(
                    "{value} til emas; quyidagilardan birini yozing: {codes}",
                    "{value} — не язык; укажите один из: {codes}",
                    "{value} is not a language; use one of {codes}",
                    value=_shown(value),
                    codes=", ".join(LANGUAGES),
                ),
            )
        )
        return DEFAULT_LANGUAGE
    return code


def _draft_bank_code(value: Any, errors: list[tuple[str, str | Msg]]) -> str | None:
    """The draft's bank code in capitals (empty: none), checked as exam items' codes are
    (`scoring/bank_codes.clean_code`); a malformed one is added to `errors`."""
    text = strip_bidi(str(value or "")).strip()
    if not text:
        return None
    code = clean_code(text)
    if code is None:
        errors.append(
            (
                "bank_code",
                msg(
                    "{value} kod emas: harf yoki raqam bilan boshlanadigan, {n} tagacha harf, "
                    "raqam, “-”, “_” yoki “.”, masalan ALG-017",
                    "{value} — не код: до {n} букв, цифр, «-», «_» или «.», начиная с буквы "
                    "или цифры, например ALG-017",
                    "{value} is not a bank code: up to {n} letters, digits, “-”, “_” or “.”, "
                    "starting with a letter or digit, e.g. ALG-017",
                    value=_shown(value),
                    n=MAX_CODE_CHARS,
                ),
            )
        )
        return None
    return code


def _too_long(length: int, limit: int) -> Msg:
    return msg(
        "{length} belgi; ko‘pi bilan {limit}",
        "{length} символов; не больше {limit}",
        "{length} characters; at most {limit}",
        length=length,
        limit=limit,
    )


SUBJECT_KEY = "\x1f"  # topic_lookup's "subject␟key" entries


def topic_lookup(session: Session) -> dict[str, tuple[int, str]]:
    """topic code and lower-cased admin name → (id, code); the same keys prefixed with
    "subject␟" (`SUBJECT_KEY`) give the topic of that subject (an import's subject column)."""
    rows = session.execute(
        select(PracticeTopic.id, PracticeTopic.code, PracticeTopic.name, PracticeTopic.subject)
    ).all()
    lookup: dict[str, tuple[int, str]] = {}
    for topic_id, code, name, subject in rows:  # names first: a code wins over a name
        lookup[name.strip().lower()] = (topic_id, code)
        lookup[f"{subject or DEFAULT_SUBJECT}{SUBJECT_KEY}{name.strip().lower()}"] = (
            topic_id,
            code,
        )
    for topic_id, code, _, subject in rows:
        lookup[code] = (topic_id, code)
        lookup[f"{subject or DEFAULT_SUBJECT}{SUBJECT_KEY}{code}"] = (topic_id, code)
    return lookup


# --- images --------------------------------------------------------------------------------


def image_kind(data: bytes) -> str | None:
    """The extension of an accepted image format, from its first bytes (not its name)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (head.startswith((b"<?xml", b"<svg"))) and b"<svg" in head:
        return "svg"
    return None


def check_image(data: bytes, name: str = "image") -> str:
    """The extension of an image fit for the bank, or ValidationError saying why not."""
    if not data:
        raise ValidationError(
            msg(
                "{name}: fayl bo‘sh.",
                "{name}: файл пуст.",
                "{name}: the file is empty.",
                name=name,
            )
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            msg(
                "{name}: {kb} KB; rasm ko‘pi bilan {mb} MB bo‘lishi mumkin.",
                "{name}: {kb} КБ; изображение может быть не больше {mb} МБ.",
                "{name}: {kb} KB; an image may have at most {mb} MB.",
                name=name,
                kb=len(data) // 1024,
                mb=MAX_IMAGE_BYTES // 1024 // 1024,
            )
        )
    kind = image_kind(data)
    if kind is None:
        raise ValidationError(
            msg(
                "{name}: PNG, JPEG, GIF, WebP yoki SVG rasm emas.",
                "{name}: не изображение PNG, JPEG, GIF, WebP или SVG.",
                "{name}: not a PNG, JPEG, GIF, WebP or SVG image.",
                name=name,
            )
        )
    if kind == "svg" and _SVG_DANGER.search(data):
        raise ValidationError(
            msg(
                "{name}: SVG rasmlarda skript yoki havola bo‘lishi mumkin emas.",
                "{name}: в изображениях SVG не может быть скриптов и ссылок.",
                "{name}: SVG images may not contain scripts or links.",
                name=name,
            )
        )
    return kind


def store_image(data: bytes, name: str = "image") -> str:
    """Keep an image under UPLOAD_DIR/practice/ by content hash; returns the stored name."""
    kind = check_image(data, name)
    stored = f"{hashlib.sha256(data).hexdigest()[:24]}.{kind}"
    folder = Path(settings.upload_dir) / PRACTICE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / stored
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return stored


_NO_IMAGE = msg("Bunday rasm yo‘q.", "Такого изображения нет.", "No such image.")


def image_file(name: str) -> Path:
    """The file of a stored image name; NotFoundError for anything else."""
    if not _IMAGE_NAME.fullmatch(name or ""):
        raise NotFoundError(_NO_IMAGE)
    path = Path(settings.upload_dir) / PRACTICE_DIR / name
    if not path.is_file():
        raise NotFoundError(_NO_IMAGE)
    return path


def _stored_image_exists(name: str) -> bool:
    try:
        image_file(name)
    except NotFoundError:
        return False
    return True


# --- reading import files ------------------------------------------------------------------
#
# An import file is read as it streams in and stops at the first limit crossed
# (issue 20, item 8): a 68 KB ZIP can hold a million CSV rows, so the rows are
# counted while the member is decompressed and decoded, never after. The archive
# itself goes through `safe_zip.SafeZip` (entries, names, sizes and ratios measured
# while reading, damaged members named). Every problem is a `QuestionImportError`
# line: the file or member, the line or question, the column, and why.

MAX_CSV_LINE_CHARS = 32 * 1024  # a physical line; a question's fields together are ~12,000
MAX_CSV_LINES = 250_000  # physical lines (multi-line texts included): 50 a question
MAX_JSON_CONTAINERS = 3 * MAX_IMPORT_QUESTIONS + 10  # a question, its options, its answers
_ZIP_LIMITS = ZipLimits(
    max_members=MAX_ZIP_MEMBERS,
    max_total_bytes=MAX_ZIP_UNPACKED_BYTES,
)
_UNDECODED = re.compile("[\udc80-\udcff]")
# A JSON string (to skip) or an opening bracket (to count). The string part is the
# unrolled loop (runs of plain characters, then one escape): it matches every string
# on its first try, and one that never ends matches to the end of the text, so no
# position is scanned twice (10 MB in one string: 0.1 s).
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[{]', re.DOTALL)


@dataclass(frozen=True)
class ImportRow:
    """One question of an import file, where it was, and the file's image bytes."""

    where: str | Msg  # "line 7" (CSV) or "question 3" (JSON): `line_at`, `question_at`
    draft: QuestionDraft


def _too_many(name: str) -> QuestionImportError:
    return QuestionImportError(
        [
            (
                name,
                "",
                msg(
                    "{n} tadan ko‘p savol; bir faylda ko‘pi bilan {n} ta: faylni bo‘ling",
                    "больше {n} вопросов; в одном файле не больше {n}: разделите его",
                    "more than {n} questions; at most {n} a file: split it",
                    n=MAX_IMPORT_QUESTIONS,
                ),
            )
        ]
    )


def _not_utf8(where: str | Msg) -> Msg:
    return msg(
        "UTF-8 matn emas ({where}); faylni UTF-8 da saqlang",
        "не текст UTF-8 ({where}); сохраните файл в UTF-8",
        "not UTF-8 text ({where}); save the file as UTF-8",
        where=where,
    )


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        where = msg("{n}-bayt", "байт {n}", "byte {n}", n=err.start)
        raise QuestionImportError([(name, "", _not_utf8(where))]) from err


def _answers_of(value: Any, *, split: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    return text.split("|") if split else [text]


class _HugeNumber:
    """A JSON number with more digits than any field takes (kept out of `int()`).

    Python refuses `int()` of more than 4,300 digits with a ValueError from inside
    `json.loads`; this stands in for it so the row gets a named error instead.
    """

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __str__(self) -> str:
        return self.digits

    def __repr__(self) -> str:
        return f"a {len(self.digits)}-digit number"


def _json_int(text: str) -> int | _HugeNumber:
    return int(text) if len(text) <= 18 else _HugeNumber(text)


def _count_json_containers(text: str, name: str) -> None:
    """Refuse a JSON text with more objects and lists than a full import has.

    `json.loads` of 10 MB of `[[],[],…]` builds 3 million lists (~200 MB): the
    brackets outside strings are counted first, in one pass over the text.
    """
    containers = 0
    for token in _JSON_TOKENS.finditer(text):
        if token.group()[0] != '"':
            containers += 1
            if containers > MAX_JSON_CONTAINERS:
                raise QuestionImportError(
                    [
                        (
                            name,
                            "",
                            msg(
                                "{n} ta savoldagidan ko‘p obyekt va ro‘yxat; bir faylda ko‘pi "
                                "bilan {n} ta savol: faylni bo‘ling",
                                "объектов и списков больше, чем в {n} вопросах; в одном файле "
                                "не больше {n} вопросов: разделите его",
                                "more objects and lists than {n} questions have; at most {n} "
                                "questions a file: split it",
                                n=MAX_IMPORT_QUESTIONS,
                            ),
                        )
                    ]
                )


def parse_json_questions(data: bytes, name: str = "file") -> list[ImportRow]:
    """The questions of a JSON import file; QuestionImportError names what is malformed."""
    text = _decode(data, name)
    _count_json_containers(text, name)
    try:
        document = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as err:
        raise QuestionImportError(
            [
                (
                    name,
                    "",
                    msg(
                        "JSON noto‘g‘ri: {error}, {line}-qator, {column}-ustun",
                        "неверный JSON: {error}, строка {line}, столбец {column}",
                        "not valid JSON: {error} at line {line}, column {column}",
                        error=err.msg,
                        line=err.lineno,
                        column=err.colno,
                    ),
                )
            ]
        ) from err
    except (RecursionError, ValueError) as err:
        raise QuestionImportError(
            [
                (
                    name,
                    "",
                    msg(
                        "JSON noto‘g‘ri: ichma-ich joylashuv juda chuqur",
                        "неверный JSON: слишком глубокая вложенность",
                        "not valid JSON: nested too deeply",
                    ),
                )
            ]
        ) from err
    items = document.get("questions") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise QuestionImportError(
            [
                (
                    name,
                    "",
                    msg(
                        'savollar ro‘yxati yoki {{"questions": [...]}} kutilgan edi',
                        'ожидался список вопросов или {{"questions": [...]}}',
                        'expected a list of questions, or {{"questions": [...]}}',
                    ),
                )
            ]
        )
    if len(items) > MAX_IMPORT_QUESTIONS:
        raise _too_many(name)
    rows: list[ImportRow] = []
    errors: list[tuple[str | Msg, str, str | Msg]] = []
    for index, item in enumerate(items, start=1):
        where = question_at(index)
        if not isinstance(item, dict):
            errors.append((where, "", msg("obyekt emas", "не объект", "is not an object")))
            continue
        unknown = sorted(set(item) - JSON_FIELDS)
        if unknown:
            errors.append(
                (
                    where,
                    unknown[0][:40],
                    msg(
                        "noma’lum maydon; maydonlar: {fields}",
                        "неизвестное поле; поля: {fields}",
                        "unknown field; the fields are {fields}",
                        fields=_fields(),
                    ),
                )
            )
            continue
        options = item.get("options") or []
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            errors.append(
                (
                    where,
                    "options",
                    msg(
                        "matnlar ro‘yxati bo‘lishi kerak",
                        "должно быть списком текстов",
                        "must be a list of texts",
                    ),
                )
            )
            continue
        not_text = [
            name
            for name in (
                "topic",
                "subject",
                "kind",
                "text",
                "explanation",
                "image",
                "language",
                "bank_code",
            )
            if item.get(name) is not None and not isinstance(item[name], str)
        ]
        if not_text:
            errors.append(
                (
                    where,
                    not_text[0],
                    msg("matn bo‘lishi kerak", "должно быть текстом", "must be text"),
                )
            )
            continue
        answer = item.get("answer")
        if answer is not None and not isinstance(answer, str | list):
            errors.append(
                (
                    where,
                    "answer",
                    msg(
                        "matn yoki matnlar ro‘yxati bo‘lishi kerak",
                        "должно быть текстом или списком текстов",
                        "must be text or a list of texts",
                    ),
                )
            )
            continue
        rows.append(
            ImportRow(
                where,
                QuestionDraft(
                    topic=item.get("topic") or "",
                    difficulty=item.get("difficulty"),
                    kind=item.get("kind") or "",
                    text=item.get("text") or "",
                    options=options,
                    answers=_answers_of(answer, split=False),
                    explanation=item.get("explanation") or "",
                    image=item.get("image"),
                    subject=item.get("subject") or "",
                    language=item.get("language") or "",
                    bank_code=item.get("bank_code") or "",
                ),
            )
        )
    if errors:
        raise QuestionImportError(errors)
    return rows


def _fields() -> str:
    return ", ".join(sorted(JSON_FIELDS))


class _CsvLines:
    """The physical lines of a CSV stream, decoded as they come, each of bounded length.

    csv.reader asks for one line at a time, so nothing past the first limit
    crossed is decompressed or decoded.
    """

    def __init__(self, stream: io.TextIOBase, name: str) -> None:
        self.stream = stream
        self.name = name
        self.count = 0  # lines handed out

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_CSV_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.count += 1
        where = line_at(self.count)
        if len(line) > MAX_CSV_LINE_CHARS:
            raise QuestionImportError(
                [
                    (
                        where,
                        "",
                        msg(
                            "bir qatorda {n} belgidan ko‘p",
                            "больше {n} символов в одной строке",
                            "over {n} characters on one line",
                            n=MAX_CSV_LINE_CHARS,
                        ),
                    )
                ]
            )
        if self.count > MAX_CSV_LINES:
            raise QuestionImportError(
                [
                    (
                        self.name,
                        "",
                        msg(
                            "{n} qatordan ko‘p; faylni bo‘ling",
                            "больше {n} строк; разделите файл",
                            "more than {n} lines; split the file",
                            n=MAX_CSV_LINES,
                        ),
                    )
                ]
            )
        if _UNDECODED.search(line):  # surrogateescape's stand-ins for bytes that are not UTF-8
            raise QuestionImportError([(self.name, "", _not_utf8(where))])
        return line


def parse_csv_questions(data: bytes, name: str = "file") -> list[ImportRow]:
    """The questions of a CSV import file (comma or semicolon separated, header row)."""
    return _read_csv(io.BytesIO(data), name)


def _read_csv(stream: io.BufferedIOBase | io.RawIOBase, name: str) -> list[ImportRow]:
    """The questions of a CSV stream, read row by row; stops at MAX_IMPORT_QUESTIONS + 1."""
    # surrogateescape: a byte that is not UTF-8 is kept (as U+DC80..U+DCFF) until its line is
    # read, so the error names that line, not the 8 KB chunk the decoder happened to be on.
    text = io.TextIOWrapper(
        stream,  # type: ignore[arg-type]
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline="",
    )
    lines = _CsvLines(text, name)
    first_line = next(lines, "")
    if not first_line.strip():
        raise QuestionImportError([(name, "", msg("fayl bo‘sh", "файл пуст", "the file is empty"))])
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as err:
        raise QuestionImportError([(line_at(1), "", _not_csv(err))]) from err
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c and c not in CSV_COLUMNS]
    if unknown:
        raise QuestionImportError(
            [
                (
                    line_at(1),
                    unknown[0][:40],
                    msg(
                        "noma’lum ustun; ustunlar: {columns}",
                        "неизвестный столбец; столбцы: {columns}",
                        "unknown column; the columns are {columns}",
                        columns=", ".join(CSV_COLUMNS),
                    ),
                )
            ]
        )
    missing = [c for c in ("topic", "difficulty", "kind", "text", "answer") if c not in columns]
    if missing:
        raise QuestionImportError(
            [
                (
                    line_at(1),
                    missing[0],
                    msg("bu ustun yo‘q", "этого столбца нет", "this column is missing"),
                )
            ]
        )
    if len(set(columns)) != len(columns):
        raise QuestionImportError(
            [
                (
                    line_at(1),
                    "",
                    msg(
                        "bir ustun ikki marta uchraydi",
                        "столбец повторяется дважды",
                        "a column appears twice",
                    ),
                )
            ]
        )
    rows: list[ImportRow] = []
    errors: list[tuple[str | Msg, str, str | Msg]] = []
    records = 0
    try:
        for record in reader:
            where = line_at(reader.line_num)
            if not any(cell.strip() for cell in record):
                continue
            records += 1
            if records > MAX_IMPORT_QUESTIONS:
                raise _too_many(name)
            if len(record) > len(columns):
                errors.append(
                    (
                        where,
                        "",
                        msg(
                            "{cells} ta katak, ustunlar esa {columns} ta",
                            "ячеек {cells}, а столбцов {columns}",
                            "{cells} cells but {columns} columns",
                            cells=len(record),
                            columns=len(columns),
                        ),
                    )
                )
                continue
            values = dict(zip(columns, record, strict=False))
            options = [values.get(c, "") for c in CSV_OPTION_COLUMNS]
            rows.append(
                ImportRow(
                    where,
                    QuestionDraft(
                        topic=values.get("topic", ""),
                        difficulty=values.get("difficulty", "").strip(),
                        kind=values.get("kind", ""),
                        text=values.get("text", ""),
                        options=options,
                        answers=_answers_of(values.get("answer", ""), split=True),
                        explanation=values.get("explanation", ""),
                        image=values.get("image") or None,
                        subject=values.get("subject", ""),
                        language=values.get("language", ""),
                        bank_code=values.get("bank_code", ""),
                    ),
                )
            )
    except csv.Error as err:
        # e.g. "field larger than field limit (131072)": a cell far over any field's limit
        errors.append((line_at(reader.line_num), "", _not_csv(err)))
    if errors:
        raise QuestionImportError(errors)
    return rows


def _not_csv(err: csv.Error) -> Msg:
    return msg(
        "CSV sifatida o‘qib bo‘lmaydi: {error}",
        "не читается как CSV: {error}",
        "not readable as CSV: {error}",
        error=str(err),
    )


@dataclass
class ImportBundle:
    """An import file's rows and the image files it may name (name → bytes)."""

    rows: list[ImportRow]
    images: dict[str, bytes] = field(default_factory=dict)
    folder: Path | None = None  # the file's folder on disk (CLI imports), for image names


def _parse_stream(stream: io.BufferedIOBase | io.RawIOBase, name: str) -> list[ImportRow]:
    """The rows of a .json or .csv stream (at most MAX_IMPORT_BYTES of it is read)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".json":
        data = stream.read(MAX_IMPORT_BYTES + 1) or b""
        if len(data) > MAX_IMPORT_BYTES:
            raise QuestionImportError([(name, "", _over(MAX_IMPORT_BYTES, archive=False))])
        return parse_json_questions(data, name)
    if suffix in (".csv", ".txt"):
        return _read_csv(stream, name)
    raise QuestionImportError(
        [
            (
                name,
                "",
                msg(
                    ".json yoki .csv faylni tanlang (yoki rasmlari bilan birga shulardan "
                    "birini saqlagan .zip)",
                    "выберите файл .json или .csv (или .zip с одним из них и его изображениями)",
                    "choose a .json or .csv file (or a .zip holding one, with its images)",
                ),
            )
        ]
    )


def _over(limit: int, *, archive: bool) -> Msg:
    mb = limit // 1024 // 1024
    if archive:
        return msg(
            "{mb} MB dan katta; arxivni bo‘ling",
            "больше {mb} МБ; разделите архив",
            "over {mb} MB; split the archive",
            mb=mb,
        )
    return msg(
        "{mb} MB dan katta; faylni bo‘ling",
        "больше {mb} МБ; разделите файл",
        "over {mb} MB; split the file",
        mb=mb,
    )


def _is_sheet(member: zipfile.ZipInfo) -> bool:
    path = PurePosixPath(member.filename)
    return (
        path.suffix.lower() in (".json", ".csv")
        and not path.name.startswith(".")
        and path.parts[0] != "__MACOSX"  # macOS's resource forks beside the real files
    )


def read_question_upload(data: bytes, name: str) -> ImportBundle:
    """An uploaded import: a .json or .csv file, or a .zip with one of them and its images."""
    if PurePosixPath(name).suffix.lower() != ".zip":
        if len(data) > MAX_IMPORT_BYTES:
            raise QuestionImportError([(name, "", _over(MAX_IMPORT_BYTES, archive=False))])
        return ImportBundle(rows=_parse_stream(io.BytesIO(data), name))
    if len(data) > MAX_ZIP_BYTES:
        raise QuestionImportError([(name, "", _over(MAX_ZIP_BYTES, archive=True))])
    try:
        with SafeZip(data, name, _ZIP_LIMITS) as archive:
            return _read_archive(archive, name)
    except ArchiveProblem as err:
        raise QuestionImportError([(err.where, "", err.message)]) from err


def _read_archive(archive: SafeZip, name: str) -> ImportBundle:
    """The sheet's rows (streamed), then only the images those rows name."""
    sheets = [m for m in archive.members if _is_sheet(m)]
    if len(sheets) != 1:
        raise QuestionImportError(
            [
                (
                    name,
                    "",
                    msg(
                        "arxivda aynan bitta .json yoki .csv fayl bo‘lishi kerak",
                        "в архиве должен быть ровно один файл .json или .csv",
                        "the archive must hold exactly one .json or .csv file",
                    ),
                )
            ]
        )
    sheet = sheets[0]
    with archive.open(sheet, MAX_IMPORT_BYTES) as member:
        rows = _parse_stream(io.BufferedReader(member), PurePosixPath(sheet.filename).name)
    wanted: set[str] = set()
    for row in rows:
        image = (row.draft.image or "").strip()
        if image:
            wanted.update((image, f"images/{image}"))
    base = PurePosixPath(sheet.filename).parent
    images: dict[str, bytes] = {}
    for member_info in archive.members:
        if member_info is sheet:
            continue
        path = PurePosixPath(member_info.filename)
        try:
            relative = str(path.relative_to(base)) if str(base) != "." else str(path)
        except ValueError:
            relative = str(path)
        if relative in wanted:
            images[relative] = archive.read(member_info, MAX_IMAGE_BYTES)
    return ImportBundle(rows=rows, images=images)


def read_question_path(path: Path) -> ImportBundle:
    """An import file on disk (CLI); images are looked up beside it."""
    limit = MAX_ZIP_BYTES if path.suffix.lower() == ".zip" else MAX_IMPORT_BYTES
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)  # a 3 GB file is not read whole to be refused
    except OSError as err:
        raise QuestionImportError(
            [
                (
                    str(path),
                    "",
                    msg(
                        "o‘qib bo‘lmaydi: {error}",
                        "не читается: {error}",
                        "cannot be read: {error}",
                        error=err.strerror,
                    ),
                )
            ]
        ) from err
    bundle = read_question_upload(data, path.name)
    if path.suffix.lower() != ".zip":
        bundle.folder = path.resolve().parent
    return bundle


def _bundle_image(bundle: ImportBundle, name: str) -> bytes | None:
    """The bytes of the image `name`: beside the import file, or in an `images/` folder there.

    From disk at most one byte over MAX_IMAGE_BYTES is read: `check_image` then says
    it is too large.
    """
    for candidate_name in (name, f"images/{name}"):
        if candidate_name in bundle.images:
            return bundle.images[candidate_name]
        if bundle.folder is not None:
            candidate = (bundle.folder / candidate_name).resolve()
            if bundle.folder in candidate.parents and candidate.is_file():
                with candidate.open("rb") as file:
                    return file.read(MAX_IMAGE_BYTES + 1)
    return None


# --- writing -------------------------------------------------------------------------------


def import_questions(
    session: Session,
    bundle: ImportBundle,
    *,
    admin_id: int | None = None,
    source: str = "",
    dry_run: bool = False,
) -> ImportReport:
    """Check every row, then add the new ones in the caller's transaction (all or nothing).

    `dry_run`: check and count only; nothing is written (no rows, no image files).
    """
    if not bundle.rows:
        raise QuestionImportError(
            [
                (
                    source or "file",
                    "",
                    msg("faylda savol yo‘q", "в файле нет вопросов", "holds no questions"),
                )
            ]
        )
    if len(bundle.rows) > MAX_IMPORT_QUESTIONS:
        raise QuestionImportError(
            [
                (
                    source or "file",
                    "",
                    msg(
                        "{n} ta savol; ko‘pi bilan {limit} ta",
                        "вопросов: {n}; не больше {limit}",
                        "{n} questions; at most {limit}",
                        n=len(bundle.rows),
                        limit=MAX_IMPORT_QUESTIONS,
                    ),
                )
            ]
        )
    topics = topic_lookup(session)
    errors: list[tuple[str | Msg, str, str | Msg]] = []
    checked: list[tuple[str | Msg, CheckedQuestion]] = []
    images: dict[str, bytes] = {}
    first_seen: dict[str, str | Msg] = {}
    for row in bundle.rows:
        draft = row.draft
        if draft.image:
            data = _bundle_image(bundle, draft.image.strip())
            if data is None:
                errors.append(
                    (
                        row.where,
                        "image",
                        msg(
                            "{name} importda yo‘q",
                            "{name} нет в импорте",
                            "{name} is not in the import",
                            name=_shown(draft.image, 80),
                        ),
                    )
                )
                draft = replace(draft, image=None)
            else:
                try:
                    check_image(data, draft.image)
                    images[draft.image.strip()] = data
                except ValidationError as err:
                    errors.append((row.where, "image", err.message))
                    draft = replace(draft, image=None)
        question, problems = check_draft(draft, topics)
        errors.extend((row.where, name, message) for name, message in problems)
        if question is None:
            continue
        earlier = first_seen.get(question.fingerprint)
        if earlier is not None:
            errors.append(
                (
                    row.where,
                    "text",
                    msg(
                        "{earlier} bilan bir xil savol",
                        "тот же вопрос, что и {earlier}",
                        "the same question as {earlier}",
                        earlier=earlier,
                    ),
                )
            )
            continue
        first_seen[question.fingerprint] = row.where
        checked.append((row.where, question))
    if errors:
        raise QuestionImportError(errors)
    existing = set(
        session.exec(
            select(PracticeQuestion.fingerprint).where(
                col(PracticeQuestion.fingerprint).in_([q.fingerprint for _, q in checked])
            )
        )
    )
    fresh = [q for _, q in checked if q.fingerprint not in existing]
    if dry_run:
        return ImportReport(added=len(fresh), skipped_duplicates=len(checked) - len(fresh))
    stored_names = {name: store_image(data, name) for name, data in images.items()}
    now = utcnow()
    added: list[PracticeQuestion] = []
    for question in fresh:
        row = _new_question(question, now)
        if question.image_path:
            row.image_path = stored_names[question.image_path]
        session.add(row)
        added.append(row)
    session.flush()
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.question.import",
        entity="practicequestion",
        details={
            "source": source[:200],
            "added": len(added),
            "skipped_duplicates": len(checked) - len(added),
        },
    )
    return ImportReport(
        added=len(added),
        skipped_duplicates=len(checked) - len(added),
        question_ids=[q.id for q in added if q.id is not None],
    )


def _new_question(question: CheckedQuestion, now: Any) -> PracticeQuestion:
    return PracticeQuestion(
        topic_id=question.topic_id,
        difficulty=question.difficulty,
        kind=question.kind,
        text=question.text,
        options=question.options,
        accepted_answers=question.accepted_answers,
        explanation=question.explanation,
        image_path=question.image_path,
        fingerprint=question.fingerprint,
        language=question.language,
        bank_code=question.bank_code,
        created_at=now,
        updated_at=now,
    )


def _checked_or_raise(session: Session, draft: QuestionDraft) -> CheckedQuestion:
    question, problems = check_draft(
        draft, topic_lookup(session), image_exists=_stored_image_exists
    )
    if question is None:
        raise QuestionDraftError(problems)
    return question


def _refuse_duplicate(session: Session, fingerprint: str, *, own_id: int | None = None) -> None:
    other = session.exec(
        select(PracticeQuestion.id).where(PracticeQuestion.fingerprint == fingerprint)
    ).first()
    if other is not None and other != own_id:
        raise ValidationError(
            msg(
                "Saqlanmadi: #{id} savol aynan shu savol.",
                "Не сохранено: вопрос #{id} — тот же самый вопрос.",
                "Not saved: question #{id} is the same question.",
                id=other,
            )
        )


def create_question(
    session: Session, draft: QuestionDraft, *, admin_id: int | None = None
) -> PracticeQuestion:
    """Add one question from the admin form."""
    question = _checked_or_raise(session, draft)
    _refuse_duplicate(session, question.fingerprint)
    row = _new_question(question, utcnow())
    session.add(row)
    session.flush()
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.question.create",
        entity="practicequestion",
        entity_id=row.id,
        details={
            "topic": question.topic_code,
            "difficulty": question.difficulty,
            "language": question.language,
            "bank_code": question.bank_code,
        },
    )
    return row


def update_question(
    session: Session, question_id: int, draft: QuestionDraft, *, admin_id: int | None = None
) -> PracticeQuestion:
    """Change a question. Sessions already graded keep their marks; new ones use the change."""
    row = _question(session, question_id)
    question = _checked_or_raise(session, draft)
    _refuse_duplicate(session, question.fingerprint, own_id=question_id)
    changed = [
        name
        for name, value in (
            ("topic", question.topic_id != row.topic_id),
            ("difficulty", question.difficulty != row.difficulty),
            ("kind", question.kind != row.kind),
            ("text", question.text != row.text),
            ("options", question.options != list(row.options)),
            ("answer", question.accepted_answers != list(row.accepted_answers)),
            ("explanation", question.explanation != row.explanation),
            ("image", question.image_path != row.image_path),
            ("language", question.language != row.language),
            ("bank_code", question.bank_code != row.bank_code),
        )
        if value
    ]
    if not changed:
        return row
    row.topic_id = question.topic_id
    row.difficulty = question.difficulty
    row.kind = question.kind
    row.text = question.text
    row.options = question.options
    row.accepted_answers = question.accepted_answers
    row.explanation = question.explanation
    row.image_path = question.image_path
    row.fingerprint = question.fingerprint
    row.language = question.language
    row.bank_code = question.bank_code
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.question.update",
        entity="practicequestion",
        entity_id=question_id,
        details={"changed": changed},
    )
    return row


def set_question_active(
    session: Session, question_id: int, active: bool, *, admin_id: int | None = None
) -> PracticeQuestion:
    """Retire a question from new sessions (or bring it back); past sessions keep it."""
    row = _question(session, question_id)
    if row.is_active != active:
        row.is_active = active
        row.updated_at = utcnow()
        session.add(row)
        audit.record(
            session,
            admin_id=admin_id,
            action="practice.question.activate" if active else "practice.question.deactivate",
            entity="practicequestion",
            entity_id=question_id,
        )
    return row


def delete_question(session: Session, question_id: int, *, admin_id: int | None = None) -> None:
    """Delete a question no student has been given; otherwise say to retire it instead."""
    row = _question(session, question_id)
    used = session.exec(select(func.count()).where(PracticeAnswer.question_id == question_id)).one()
    if used:
        raise ValidationError(
            msg(
                "#{id} savol {n} ta mashqda berilgan, ularning natijalari uchun u qoladi: "
                "o‘rniga uni nofaol qiling.",
                "Вопрос #{id} уже давался в тренировках ({n}) и остаётся ради их "
                "результатов: вместо удаления сделайте его неактивным.",
                "Question #{id} was given in {n} practice {sessions}, so it stays for their "
                "results: deactivate it instead.",
                id=question_id,
                n=used,
                sessions="session" if used == 1 else "sessions",
            )
        )
    session.delete(row)
    audit.record(
        session,
        admin_id=admin_id,
        action="practice.question.delete",
        entity="practicequestion",
        entity_id=question_id,
    )


# --- the admin list ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """One question in the admin list (the text cut short)."""

    question_id: int
    topic_id: int
    topic: str
    difficulty: int
    kind: str
    text: str
    options: list[str]
    accepted_answers: list[str]
    explanation: str
    image_path: str | None
    is_active: bool
    times_given: int
    subject: str = DEFAULT_SUBJECT  # the topic's
    language: str = DEFAULT_LANGUAGE
    bank_code: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionPage:
    rows: list[QuestionRow]
    total: int  # matching the filter, over all pages


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_questions(
    session: Session,
    *,
    topic_id: int | None = None,
    difficulty: int | None = None,
    kind: str | None = None,
    active: bool | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 25,
    language: str | None = None,
) -> QuestionPage:
    """A page of the bank, newest first, with how often each question was given.

    `search` is a text, `#id`, or a bank code (`ALG-017`, any case: the questions with
    that code, in every language).
    """
    conditions: list[Any] = []
    if topic_id is not None:
        conditions.append(PracticeQuestion.topic_id == topic_id)
    if difficulty is not None:
        conditions.append(PracticeQuestion.difficulty == difficulty)
    if kind:
        conditions.append(PracticeQuestion.kind == kind)
    if active is not None:
        conditions.append(PracticeQuestion.is_active == active)
    if language is not None:
        conditions.append(PracticeQuestion.language == language)
    search = (search or "").strip()[:100]
    if search:
        wanted = search.lstrip("#")
        code = clean_code(search)
        if is_ascii_digits(wanted, max_len=100):
            # '#99999999999999999999' is an id no row has (not an overflow in the driver).
            question_id = parse_id(wanted)
            conditions.append(PracticeQuestion.id == (question_id or 0))
        elif code is not None:
            # Maybe a bank code (alg-017 is ALG-017): its questions, and the texts with it.
            conditions.append(
                (PracticeQuestion.bank_code == code)
                | col(PracticeQuestion.text).ilike(_like(search), escape="\\")
            )
        else:
            conditions.append(col(PracticeQuestion.text).ilike(_like(search), escape="\\"))
    total = session.exec(
        select(func.count()).select_from(PracticeQuestion).where(*conditions)
    ).one()
    page = (
        select(PracticeQuestion.id)
        .where(*conditions)
        .order_by(col(PracticeQuestion.id).desc())
        .offset(max(0, offset))
        .limit(max(1, min(limit, 200)))
        .subquery()
    )
    given = (
        select(PracticeAnswer.question_id, func.count().label("n"))
        .where(col(PracticeAnswer.question_id).in_(select(page.c.id)))
        .group_by(col(PracticeAnswer.question_id))
        .subquery()
    )
    rows = session.execute(
        select(
            PracticeQuestion,
            PracticeTopic.name,
            func.coalesce(given.c.n, 0),
            PracticeTopic.subject,
        )
        .join(page, page.c.id == PracticeQuestion.id)
        .join(PracticeTopic, col(PracticeTopic.id) == PracticeQuestion.topic_id)
        .outerjoin(given, given.c.question_id == PracticeQuestion.id)
        .order_by(col(PracticeQuestion.id).desc())
    )
    return QuestionPage(
        rows=[
            QuestionRow(
                question_id=q.id,
                topic_id=q.topic_id,
                topic=topic_name,
                difficulty=q.difficulty,
                kind=q.kind,
                text=q.text,
                options=list(q.options),
                accepted_answers=list(q.accepted_answers),
                explanation=q.explanation,
                image_path=q.image_path,
                is_active=q.is_active,
                times_given=int(n),
                subject=subject or DEFAULT_SUBJECT,
                language=q.language or DEFAULT_LANGUAGE,
                bank_code=q.bank_code,
            )
            for q, topic_name, n, subject in rows
        ],
        total=int(total),
    )


def get_question(session: Session, question_id: int) -> PracticeQuestion:
    row = _question(session, question_id)
    return row


@dataclass(frozen=True, slots=True)
class BankSummary:
    """How many active questions each topic has at each difficulty, and in each language."""

    topics: list[str]  # admin names, in order
    counts: list[list[int]]  # topics × difficulty 1..5
    total_active: int
    total: int
    languages: list[list[int]] = field(default_factory=list)  # topics × LANGUAGES


def bank_summary(session: Session) -> BankSummary:
    """Active questions per topic, difficulty and language (one grouped query)."""
    topics = list_topics(session)
    index = {t.topic_id: i for i, t in enumerate(topics)}
    counts = [[0] * 5 for _ in topics]
    languages = [[0] * len(LANGUAGES) for _ in topics]
    for topic_id, difficulty, language, n in session.execute(
        select(
            PracticeQuestion.topic_id,
            PracticeQuestion.difficulty,
            PracticeQuestion.language,
            func.count(),
        )
        .where(col(PracticeQuestion.is_active))
        .group_by(
            col(PracticeQuestion.topic_id),
            col(PracticeQuestion.difficulty),
            col(PracticeQuestion.language),
        )
    ):
        if topic_id not in index:
            continue
        if 1 <= difficulty <= 5:
            counts[index[topic_id]][difficulty - 1] += int(n)
        if language in LANGUAGES:
            languages[index[topic_id]][LANGUAGES.index(language)] += int(n)
    return BankSummary(
        topics=[t.name for t in topics],
        counts=counts,
        total_active=sum(t.active_questions for t in topics),
        total=sum(t.questions for t in topics),
        languages=languages,
    )


def error_lines(err: MockExamError, lang: str | None = "en") -> list[str]:
    """An import error as one line per problem in `lang` (the admin page lists them)."""
    if isinstance(err, QuestionImportError):
        # Member and column names come from the file: no bidi controls on the page.
        return [strip_bidi(line) for line in err.lines(lang)]
    return [err.text(lang)]
