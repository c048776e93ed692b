"""The Mini App's three languages: Uzbek (Latin, default), Russian, English.

(The mechanism is mockexam/ui/i18n.py, shared with the admin panel.)

Every student-facing string is written once, at the place it is shown, in
all three languages: `tr("Salom", "Привет", "Hello")` is a Var that follows
`StudentState.lang`, so a language switch changes every text at once without
a reload and nothing can be left untranslated. `pick` is the same for text
built on the server (toasts, messages), and `error_text` turns the services'
errors into words a student can act on.
"""

from __future__ import annotations

from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    MockExamError,
    Msg,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mockexam.student.auth import StudentState
from mockexam.ui.i18n import (  # noqa: F401  (the Mini App's names for the shared helpers)
    LANGUAGES,
    MINUTES,
    make_count_text,
    make_texts,
    make_tr,
    pick,
    russian_form,
)

tr = make_tr(StudentState.lang)
texts_by_language = make_texts(StudentState.lang)
count_text = make_count_text(StudentState.lang)


# An answer sheet's batch could not be stored (the sheet keeps and re-sends it): uz, ru, en.
NOT_SAVED = (
    "Javoblar hali saqlanmadi — qayta yuborilmoqda. Ular telefoningizda saqlanib turibdi.",
    "Ответы ещё не сохранены — отправляем снова. Они сохранены на вашем телефоне.",
    "Answers not saved yet: sending them again. They are kept on your phone.",
)


# What both answer sheets (the exam's and practice's) say about their sync and the
# unanswered questions (uz, ru, en): `texts_by_language(**SHEET_SYNC_TEXTS, …)`.
SHEET_SYNC_TEXTS: dict[str, tuple[str, str, str]] = {
    "saved": ("Saqlandi", "Сохранено", "Saved"),
    "saving": ("Saqlanmoqda…", "Сохраняется…", "Saving…"),
    "queued": ("Yuborilishini kutmoqda", "Ждёт отправки", "Waiting to be sent"),
    "refused": ("Qabul qilinmadi", "Не принято", "Not accepted"),
    "confirmUnanswered": (
        "{n} ta savol javobsiz qoldi.",
        "Без ответа: {n}.",
        "{n} questions are unanswered.",
    ),
    "confirmAllAnswered": (
        "Barcha savollarga javob berdingiz.",
        "Вы ответили на все вопросы.",
        "You have answered every question.",
    ),
    "offline": (
        "Aloqa uzildi — javoblaringiz saqlanib turibdi va yuboriladi.",
        "Нет связи — ваши ответы сохранены и будут отправлены.",
        "Connection lost — your answers are kept and will be sent.",
    ),
    "unsent": ("Yuborilmagan", "Не отправлено", "Unsent"),
    "notSaved": NOT_SAVED,
}


def not_saved_text(lang: str) -> str:
    """An answer sheet's batch could not be stored (the sheet keeps and re-sends it)."""
    return pick(lang, *NOT_SAVED)


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
        ) + error.text(lang)
    if isinstance(error, PermissionDeniedError):
        if isinstance(error.message, Msg):  # worded for the student (e.g. not their group's)
            return error.text(lang)
        return pick(lang, "Ruxsat yo‘q.", "Нет доступа.", "Not allowed.")
    return pick(
        lang,
        "Xatolik yuz berdi. Qayta urinib ko‘ring.",
        "Произошла ошибка. Попробуйте ещё раз.",
        "Something went wrong. Please try again.",
    )
