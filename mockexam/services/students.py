"""Students: registration and name sync from Telegram."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from mockexam.db import insert_for, session_scope, utcnow
from mockexam.errors import NotFoundError, ValidationError
from mockexam.models import Student

SUPPORTED_LANGUAGES = ("uz", "ru", "en")


def language_for(telegram_language: str | None) -> str:
    """Uzbek by default; Russian and English when Telegram says so."""
    code = (telegram_language or "").split("-")[0].lower()
    return code if code in SUPPORTED_LANGUAGES else "uz"


def upsert_student(
    session: Session,
    *,
    telegram_id: int,
    first_name: str = "",
    last_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
    now: datetime | None = None,
) -> Student:
    """Register a student or refresh their name, username and reachability (race-safe)."""
    now = now or utcnow()
    values = {
        "first_name": (first_name or "")[:128],
        "last_name": (last_name or "")[:128],
        "username": (username or None) and username[:64],
        "updated_at": now,
        "last_seen_at": now,
        "is_reachable": True,
        "unreachable_reason": None,
    }
    statement = insert_for(session, Student).values(
        telegram_id=telegram_id,
        language_code=language_for(language_code),
        created_at=now,
        **values,
    )
    session.execute(statement.on_conflict_do_update(index_elements=["telegram_id"], set_=values))
    return session.exec(select(Student).where(Student.telegram_id == telegram_id)).one()


def login_student(
    *,
    telegram_id: int,
    first_name: str = "",
    last_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
) -> Student:
    """The Mini App's sign-in: register or refresh the student in one short transaction."""
    with session_scope() as session:
        student = upsert_student(
            session,
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        session.expunge(student)
        return student


def set_language(*, student_id: int, language: str) -> str:
    """Store the student's chosen language (used by the Mini App and the bot's messages)."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationError(
            f"Unknown language {language!r}: choose one of {', '.join(SUPPORTED_LANGUAGES)}."
        )
    with session_scope() as session:
        student = session.get(Student, student_id)
        if student is None:
            raise NotFoundError("This student does not exist.")
        student.language_code = language
        session.add(student)
    return language
