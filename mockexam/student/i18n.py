"""The Mini App's three languages: Uzbek (Latin, default), Russian, English.

Every student-facing string is written once, at the place it is shown, in
all three languages: `tr("Salom", "Привет", "Hello")` is a Var that follows
`StudentState.lang`, so a language switch changes every text at once without
a reload and nothing can be left untranslated. `pick` is the same for text
built on the server (toasts, messages), and `error_text` turns the services'
errors into words a student can act on.
"""

from __future__ import annotations

import reflex as rx

from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    MockExamError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mockexam.student.auth import StudentState

LANGUAGES: tuple[tuple[str, str], ...] = (("uz", "O‘zbekcha"), ("ru", "Русский"), ("en", "English"))


def tr(uz: str, ru: str, en: str) -> rx.Var[str]:
    """A text in the caller's language (a client-side lookup: no round trip on a switch)."""
    return rx.Var.create({"uz": uz, "ru": ru, "en": en})[StudentState.lang].to(str)


def texts_by_language(**texts: tuple[str, str, str]) -> rx.Var[dict[str, str]]:
    """{key: text} in the student's language (a client-side lookup, like `tr`): the labels
    handed to a React component as one prop."""
    by_lang = {
        lang: {key: value[index] for key, value in texts.items()}
        for index, lang in enumerate(("uz", "ru", "en"))
    }
    return rx.Var.create(by_lang)[StudentState.lang].to(dict)


def russian_form(n: int, one: str, few: str, many: str) -> str:
    """Russian's word form after the number `n`: 1, 21 минута; 2–4, 22 минуты; 5–20, 11–14 минут."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_text(
    n: int | rx.Var[int],
    *,
    uz: str,
    ru: tuple[str, str, str],
    en: tuple[str, str],
    lang: rx.Var[str] | None = None,
) -> rx.Var[str]:
    """The word after a count, in the student's language and number: `3` → " минуты",
    `5` → " минут", `1` → " minute". Uzbek has one form after a numeral. `n` may be a
    Var (then the form is chosen in the browser, by the same rule as `russian_form`)."""
    lang = StudentState.lang if lang is None else lang
    if isinstance(n, int):
        forms = {"uz": uz, "ru": russian_form(n, *ru), "en": en[0] if n == 1 else en[1]}
        return rx.Var.create(forms)[lang].to(str)
    ones, hundreds = n % 10, n % 100
    russian = rx.cond(
        (ones == 1) & (hundreds != 11),
        ru[0],
        rx.cond((ones >= 2) & (ones <= 4) & ((hundreds < 12) | (hundreds > 14)), ru[1], ru[2]),
    )
    english = rx.cond(n == 1, en[0], en[1])
    return rx.match(lang, ("ru", russian), ("en", english), uz).to(str)


# The word after a number of minutes (`count_text(n, **MINUTES)`).
MINUTES = {"uz": " daqiqa", "ru": (" минута", " минуты", " минут"), "en": (" minute", " minutes")}


# An answer sheet's batch could not be stored (the sheet keeps and re-sends it): uz, ru, en.
NOT_SAVED = (
    "Javoblar hali saqlanmadi — qayta yuborilmoqda. Ular telefoningizda saqlanib turibdi.",
    "Ответы ещё не сохранены — отправляем снова. Они сохранены на вашем телефоне.",
    "Answers not saved yet: sending them again. They are kept on your phone.",
)


def not_saved_text(lang: str) -> str:
    """An answer sheet's batch could not be stored (the sheet keeps and re-sends it)."""
    return pick(lang, *NOT_SAVED)


def pick(lang: str, uz: str, ru: str, en: str) -> str:
    """The server-side twin of `tr`, for text built in an event handler."""
    return {"ru": ru, "en": en}.get(lang, uz)


def error_text(error: MockExamError, lang: str) -> str:
    """A service error in the student's language; the English detail stays in the logs."""
    if isinstance(error, DeadlinePassedError):
        return pick(
            lang,
            "Vaqt tugadi: javoblar endi qabul qilinmaydi.",
            "Время вышло: ответы больше не принимаются.",
            "Time is up: answers are no longer accepted.",
        )
    if isinstance(error, AlreadySubmittedError):
        return pick(
            lang,
            "Imtihon topshirilgan: javoblarni endi o‘zgartirib bo‘lmaydi.",
            "Экзамен сдан: ответы больше нельзя изменить.",
            "The exam is submitted: answers can no longer change.",
        )
    if isinstance(error, ExamNotOpenError):
        return pick(
            lang,
            "Imtihon hozir ochiq emas.",
            "Экзамен сейчас не открыт.",
            "The exam is not open right now.",
        )
    if isinstance(error, NotFoundError):
        return pick(
            lang,
            "Topilmadi yoki sizga tegishli emas.",
            "Не найдено или принадлежит не вам.",
            "Not found, or not yours.",
        )
    if isinstance(error, ValidationError):
        return pick(
            lang,
            "Javob qabul qilinmadi: ",
            "Ответ не принят: ",
            "Answer not accepted: ",
        ) + str(error)
    if isinstance(error, PermissionDeniedError):
        return pick(lang, "Ruxsat yo‘q.", "Нет доступа.", "Not allowed.")
    return pick(
        lang,
        "Xatolik yuz berdi. Qayta urinib ko‘ring.",
        "Произошла ошибка. Попробуйте ещё раз.",
        "Something went wrong. Please try again.",
    )
