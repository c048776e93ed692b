"""One base class for every error a user can act on; specific subclasses below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LANGUAGES = ("uz", "ru", "en")


@dataclass(frozen=True)
class Msg:
    """A message in the three languages of the product, written where it is raised or shown.

    `uz`, `ru` and `en` are `str.format` templates over the same `{placeholders}`;
    a parameter that is itself a `Msg` is worded in the same language. `str(msg)`
    is the English text (logs, the CLI); pages call `msg.text(lang)`.
    """

    uz: str
    ru: str
    en: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None) -> str:
        template = {"uz": self.uz, "ru": self.ru}.get(lang or "", self.en)
        values = {
            name: value.text(lang) if isinstance(value, Msg) else value
            for name, value in self.params.items()
        }
        return template.format(**values) if values else template

    def __str__(self) -> str:
        return self.text("en")


def msg(uz: str, ru: str, en: str, /, **params: Any) -> Msg:
    """`Msg(uz, ru, en, params)` with the parameters as keywords: `msg("…{n}", "…{n}", "…{n}", n=3)`."""
    return Msg(uz, ru, en, params)


def localized(value: str | Msg, lang: str | None) -> str:
    """The text of a message in `lang`: a plain `str` is returned as it is."""
    return value.text(lang) if isinstance(value, Msg) else value


class MockExamError(Exception):
    """Base of every mockexam error; `str(err)` is a message a person can act on (English).

    Raise with a `Msg` to give the admin panel and the Mini App the message in the
    reader's language: `err.text(lang)`. A plain `str` message reads the same in all.
    """

    def __init__(self, message: str | Msg = "", *args: Any) -> None:
        self.message = message
        super().__init__(str(message), *args)

    def text(self, lang: str | None) -> str:
        """The message in `lang` (uz, ru, en)."""
        return localized(self.message, lang)


class NotFoundError(MockExamError):
    """The thing asked for does not exist (or is not the caller's)."""


class PermissionDeniedError(MockExamError):
    """The caller may not do this."""


class ValidationError(MockExamError):
    """Bad input: the message says what and where."""


class ExamLockedError(MockExamError):
    """The exam can no longer be changed this way (sessions exist, released, …)."""


class ScheduleConflictError(MockExamError):
    """Two published exams' windows would overlap."""


class DeadlinePassedError(MockExamError):
    """The personal deadline is over: nothing more is accepted."""


class AlreadySubmittedError(MockExamError):
    """The session was submitted: nothing changes after submit."""


class ExamNotOpenError(MockExamError):
    """The exam window is not open now."""


class AnswerKeyError(ValidationError):
    """A broken answer-key paste; `errors` lists (line number, message)."""

    def __init__(self, errors: list[tuple[int, str | Msg]]) -> None:
        self.errors = errors
        super().__init__(self.text("en"))

    def text(self, lang: str | None) -> str:
        line = {"uz": "{n}-qator", "ru": "строка {n}"}.get(lang or "", "line {n}")
        lines = "; ".join(f"{line.format(n=n)}: {localized(m, lang)}" for n, m in self.errors[:10])
        extra = len(self.errors) - 10
        more = ""
        if extra > 0:
            more = {
                "uz": f" (yana {extra} ta)",
                "ru": f" (и ещё {extra})",
            }.get(lang or "", f" (and {extra} more)")
        head = {
            "uz": "Javoblar kaliti saqlanmadi",
            "ru": "Ключ ответов не сохранён",
        }.get(lang or "", "The answer key was not saved")
        return f"{head}: {lines}{more}"


class InvalidCredentialsError(PermissionDeniedError):
    """An admin sign-in failed; the message never says whether the user exists."""


class LoginThrottledError(PermissionDeniedError):
    """Too many failed admin sign-ins: the account or the client waits until `retry_at`."""

    def __init__(self, message: str | Msg, *, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(message)
