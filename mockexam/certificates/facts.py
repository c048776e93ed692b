"""What a certificate, a progress report and a share card say: plain frozen dataclasses.

The services fill these from the database; the renderers only read them, so a
renderer can be tested (and benchmarked) without a database. `check_certificate`
and `check_report` turn facts that cannot be printed honestly (no name, an SE on
a provisional result, points above the maximum) into a ValidationError whose
message says what to fix, before anything is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from mockexam.certificates.fonts import printable
from mockexam.errors import Msg, ValidationError, msg
from mockexam.scoring.layout import MAX_SECTIONS, POINTS, SCALED

MAX_NAME_CHARS = 120
"""Longest student name, exam title or section name printed (longer ones are a data error)."""
MAX_CODE_CHARS = 40
MAX_URL_CHARS = 200
"""A QR code of a longer URL (version 10 and up) gets too dense to scan from a 3 cm print."""

OfficialKind = Literal["points", "scaled"]


@dataclass(frozen=True)
class SectionScore:
    """One section of a block test: its points out of its maximum."""

    name: str
    points: float
    max_points: float


@dataclass(frozen=True)
class CertificateFacts:
    """The facts one certificate (and its share card) shows, and nothing more.

    `official_kind` says which score is the official one: "points" (a DTM block,
    then `points` is required, with `max_points` if known) or "scaled" (0–100).
    `scaled_score_se` None prints no "±". A provisional result (`is_provisional`:
    too few takers to calibrate) must have no SE and no percentile, and says why.
    `on_linked_scale` adds the note that the score compares across linked exams.
    `brand` is the centre's name line at the top (default "mockexam").
    """

    student_name: str
    exam_title: str
    exam_date: date
    verify_code: str
    scaled_score: float
    official_kind: OfficialKind = SCALED
    scaled_score_se: float | None = None
    points: float | None = None
    max_points: float | None = None
    on_linked_scale: bool = False
    is_provisional: bool = False
    grade: str | None = None
    percentile: float | None = None
    sections: Sequence[SectionScore] = ()
    brand: str = "mockexam"


@dataclass(frozen=True)
class ReportExam:
    """One released exam in a progress report's table."""

    exam_date: date
    exam_title: str
    scaled_score: float
    scaled_score_se: float | None = None
    grade: str | None = None
    on_linked_scale: bool = True
    is_provisional: bool = False


@dataclass(frozen=True)
class EloPoint:
    """The student's Elo rating after the exam or practice of `on`."""

    on: date
    rating: float


@dataclass(frozen=True)
class TopicStrength:
    """The share of a section's or topic's questions answered correctly (0–1)."""

    topic: str
    share_correct: float


@dataclass(frozen=True)
class ProgressReport:
    """A student's history over a period, for parents: exams, Elo, topics, achievements.

    `achievements` are names already in the report's language. `issued_on` is
    printed when given (pure code does not read the clock).
    """

    student_name: str
    period_start: date
    period_end: date
    exams: Sequence[ReportExam] = ()
    elo_trend: Sequence[EloPoint] = ()
    strengths: Sequence[TopicStrength] = ()
    achievements: Sequence[str] = ()
    issued_on: date | None = None
    brand: str = "mockexam"


def _fail(message: Msg) -> None:
    raise ValidationError(message)


def _check_text(value: object, what: Msg, *, limit: int = MAX_NAME_CHARS) -> None:
    if not isinstance(value, str) or not printable(value):
        _fail(
            msg(
                "{what} bo‘sh (yoki unda chop etiladigan harf yo‘q).",
                "{what}: пусто (или в нём нет печатаемых букв).",
                "{what} is empty (or has no letters that can be printed).",
                what=what,
            )
        )
    if len(value.strip()) > limit:
        _fail(
            msg(
                "{what} juda uzun ({n} belgi, ko‘pi bilan {limit}).",
                "{what}: слишком длинно ({n} символов, не больше {limit}).",
                "{what} is too long ({n} characters, at most {limit}).",
                what=what,
                n=len(value.strip()),
                limit=limit,
            )
        )


def _check_number(value: object, what: Msg, *, low: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(
            msg(
                "{what} son emas: {value!r}.",
                "{what}: не число: {value!r}.",
                "{what} is not a number: {value!r}.",
                what=what,
                value=value,
            )
        )
    if low is not None and value < low:
        _fail(
            msg(
                "{what} {low} dan kichik bo‘lishi mumkin emas: {value}.",
                "{what}: не может быть меньше {low}: {value}.",
                "{what} cannot be below {low}: {value}.",
                what=what,
                low=low,
                value=value,
            )
        )


_NAME = msg("O‘quvchining ismi", "Имя учащегося", "The student's name")
_TITLE = msg("Imtihon nomi", "Название экзамена", "The exam title")
_CODE = msg("Tekshirish kodi", "Код проверки", "The verification code")
_URL = msg("Tekshirish havolasi", "Ссылка для проверки", "The verification URL")
_SCALED = msg("Shkala bali", "Шкальный балл", "The scaled score")
_SE = msg("Standart xato", "Стандартная ошибка", "The standard error")
_POINTS = msg("Ball", "Баллы", "The points")
_MAX = msg("Maksimal ball", "Максимум баллов", "The maximum points")
_SECTION = msg("Bo‘lim nomi", "Название раздела", "A section name")
_GRADE = msg("Baho", "Оценка", "The grade")
_TOPIC = msg("Mavzu nomi", "Название темы", "A topic name")
_ACHIEVEMENT = msg("Yutuq nomi", "Название достижения", "An achievement name")
_RATING = msg("Reyting", "Рейтинг", "A rating")
_SHARE = msg("To‘g‘ri javoblar ulushi", "Доля верных ответов", "The share correct")


def check_certificate(facts: CertificateFacts, *, verify_url: str | None = None) -> None:
    """Raise ValidationError unless `facts` (and `verify_url`, when given) can be printed."""
    _check_text(facts.student_name, _NAME)
    _check_text(facts.exam_title, _TITLE)
    _check_text(facts.verify_code, _CODE, limit=MAX_CODE_CHARS)
    _check_text(facts.brand, msg("Markaz nomi", "Название центра", "The brand line"))
    if not isinstance(facts.exam_date, date):
        _fail(
            msg(
                "Imtihon sanasi sana emas: {value!r}.",
                "Дата экзамена — не дата: {value!r}.",
                "The exam date is not a date: {value!r}.",
                value=facts.exam_date,
            )
        )
    if verify_url is not None:
        _check_text(verify_url, _URL, limit=MAX_URL_CHARS)
        if not verify_url.startswith(("https://", "http://")):
            _fail(
                msg(
                    "Tekshirish havolasi to‘liq manzil bo‘lishi kerak (https://…): {url}",
                    "Ссылка для проверки должна быть полным адресом (https://…): {url}",
                    "The verification URL must be absolute (https://…): {url}",
                    url=verify_url,
                )
            )
    if facts.official_kind not in (POINTS, SCALED):
        _fail(
            msg(
                "Rasmiy natija turi {kind!r} noma’lum: points yoki scaled.",
                "Неизвестный вид официального результата {kind!r}: points или scaled.",
                "Unknown official score kind {kind!r}: use points or scaled.",
                kind=facts.official_kind,
            )
        )
    _check_number(facts.scaled_score, _SCALED)
    if facts.scaled_score_se is not None:
        _check_number(facts.scaled_score_se, _SE, low=0)
    if facts.official_kind == POINTS and facts.points is None:
        _fail(
            msg(
                "Rasmiy natija ball, lekin ball berilmagan.",
                "Официальный результат — баллы, но баллы не указаны.",
                "The official score is the points, but no points were given.",
            )
        )
    if facts.points is not None:
        _check_number(facts.points, _POINTS, low=0)
    if facts.max_points is not None:
        _check_number(facts.max_points, _MAX, low=0)
        if facts.points is None or facts.points > facts.max_points:
            _fail(
                msg(
                    "Ball ({points}) maksimal balldan ({max}) oshmasligi kerak.",
                    "Баллы ({points}) не могут превышать максимум ({max}).",
                    "The points ({points}) must be given and at most the maximum ({max}).",
                    points=facts.points,
                    max=facts.max_points,
                )
            )
    if facts.grade is not None:
        _check_text(facts.grade, _GRADE, limit=4)
    if facts.percentile is not None:
        _check_number(facts.percentile, msg("Persentil", "Процентиль", "The percentile"), low=0)
        if facts.percentile > 100:
            _fail(
                msg(
                    "Persentil 0 dan 100 gacha bo‘ladi: {p}.",
                    "Процентиль — от 0 до 100: {p}.",
                    "The percentile is between 0 and 100: {p}.",
                    p=facts.percentile,
                )
            )
    if facts.is_provisional and (facts.scaled_score_se is not None or facts.percentile is not None):
        _fail(
            msg(
                "Dastlabki natijada standart xato ham, persentil ham bo‘lmaydi.",
                "У предварительного результата нет ни стандартной ошибки, ни процентиля.",
                "A provisional result has no standard error and no percentile: pass None.",
            )
        )
    _check_sections(facts.sections)


def _check_sections(sections: Sequence[SectionScore]) -> None:
    if len(sections) > MAX_SECTIONS:
        _fail(
            msg(
                "Bo‘limlar juda ko‘p: {n} (ko‘pi bilan {limit}).",
                "Слишком много разделов: {n} (не больше {limit}).",
                "Too many sections: {n} (at most {limit}).",
                n=len(sections),
                limit=MAX_SECTIONS,
            )
        )
    for section in sections:
        _check_text(section.name, _SECTION, limit=60)
        _check_number(section.points, _POINTS, low=0)
        _check_number(section.max_points, _MAX, low=0)
        if section.points > section.max_points or section.max_points == 0:
            _fail(
                msg(
                    "“{name}” bo‘limi: ball ({points}) 0 dan maksimal ballgacha ({max}) bo‘ladi.",
                    "Раздел «{name}»: баллы ({points}) — от 0 до максимума ({max}).",
                    "Section “{name}”: the points ({points}) must be between 0 and the maximum ({max}).",
                    name=section.name,
                    points=section.points,
                    max=section.max_points,
                )
            )


def check_report(report: ProgressReport) -> None:
    """Raise ValidationError unless `report` can be printed."""
    _check_text(report.student_name, _NAME)
    _check_text(report.brand, msg("Markaz nomi", "Название центра", "The brand line"))
    if not isinstance(report.period_start, date) or not isinstance(report.period_end, date):
        _fail(
            msg(
                "Davr boshlanishi va oxiri sana bo‘lishi kerak.",
                "Начало и конец периода должны быть датами.",
                "The period's start and end must be dates.",
            )
        )
    if report.period_start > report.period_end:
        _fail(
            msg(
                "Davr oxiri ({end}) boshlanishidan ({start}) oldin.",
                "Конец периода ({end}) раньше его начала ({start}).",
                "The period ends ({end}) before it starts ({start}).",
                start=report.period_start.isoformat(),
                end=report.period_end.isoformat(),
            )
        )
    dated = [(exam.exam_date, _TITLE) for exam in report.exams]
    dated += [(point.on, _RATING) for point in report.elo_trend]
    for day, what in dated:
        if not isinstance(day, date):
            _fail(
                msg(
                    "{what}: sana emas: {value!r}.",
                    "{what}: не дата: {value!r}.",
                    "{what}: not a date: {value!r}.",
                    what=what,
                    value=day,
                )
            )
    for exam in report.exams:
        _check_text(exam.exam_title, _TITLE)
        _check_number(exam.scaled_score, _SCALED)
        if exam.scaled_score_se is not None:
            _check_number(exam.scaled_score_se, _SE, low=0)
        if exam.grade is not None:
            _check_text(exam.grade, _GRADE, limit=4)
    for point in report.elo_trend:
        _check_number(point.rating, _RATING)
    for strength in report.strengths:
        _check_text(strength.topic, _TOPIC)
        _check_number(strength.share_correct, _SHARE, low=0)
        if strength.share_correct > 1:
            _fail(
                msg(
                    "“{topic}”: to‘g‘ri javoblar ulushi 0 dan 1 gacha: {share}.",
                    "«{topic}»: доля верных ответов — от 0 до 1: {share}.",
                    "“{topic}”: the share correct is between 0 and 1: {share}.",
                    topic=strength.topic,
                    share=strength.share_correct,
                )
            )
    for name in report.achievements:
        _check_text(name, _ACHIEVEMENT)
