"""One base class for every error a user can act on; specific subclasses below."""

from __future__ import annotations

from datetime import datetime


class MockExamError(Exception):
    """Base of every mockexam error; `str(err)` is a message a person can act on."""


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

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        lines = "; ".join(f"line {n}: {msg}" for n, msg in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"The answer key was not saved: {lines}{more}")


class InvalidCredentialsError(PermissionDeniedError):
    """An admin sign-in failed; the message never says whether the user exists."""


class LoginThrottledError(PermissionDeniedError):
    """Too many failed admin sign-ins: the account or the client waits until `retry_at`."""

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(message)
