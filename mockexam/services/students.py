"""Students: registration and name sync from Telegram."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from mockexam.db import insert_for, session_scope, utcnow
from mockexam.errors import NotFoundError, ValidationError, msg
from mockexam.models import Student
from mockexam.text import clean_name

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
        "first_name": clean_name(first_name),
        "last_name": clean_name(last_name),
        "username": clean_name(username, max_len=64) or None,
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in to the Mini App (what the pages keep of the student)."""

    id: int
    first_name: str
    language_code: str


def login_student(
    *,
    telegram_id: int,
    first_name: str = "",
    last_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
) -> SignedIn:
    """The Mini App's sign-in: register or refresh the student in one statement.

    As `upsert_student` (the language is Telegram's only for a new student: a
    returning one keeps the one they chose), built once: every tab of the
    exam day signs in within the same minute.
    """
    now = utcnow()
    params = {
        "telegram_id": telegram_id,
        "first_name": clean_name(first_name),
        "last_name": clean_name(last_name),
        "username": clean_name(username, max_len=64) or None,
        "language_code": language_for(language_code),
        "is_reachable": True,
        "unreachable_reason": None,
        "created_at": now,
        "updated_at": now,
        "last_seen_at": now,
    }
    with session_scope() as session:
        conn = session.connection()
        row = conn.execute(_login_statement(conn.dialect.name), params).one()
    return SignedIn(id=row[0], first_name=row[1], language_code=row[2])


_REFRESHED = (
    "first_name",
    "last_name",
    "username",
    "updated_at",
    "last_seen_at",
    "is_reachable",
    "unreachable_reason",
)


@functools.cache
def _login_statement(dialect: str) -> Any:
    table = Student.__table__
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    insert = insert.values(
        {
            name: bindparam(name)
            for name in ("telegram_id", "language_code", "created_at", *_REFRESHED)
        }
    )
    return insert.on_conflict_do_update(
        index_elements=["telegram_id"], set_={name: insert.excluded[name] for name in _REFRESHED}
    ).returning(table.c.id, table.c.first_name, table.c.language_code)


def stored_student(student_id: int) -> Student | None:
    """The student row (detached), or None: for a Mini App credential's sign-in."""
    with session_scope(readonly=True) as db:
        row = db.get(Student, student_id)
        if row is not None:
            db.expunge(row)
        return row


def set_language(*, student_id: int, language: str) -> str:
    """Store the student's chosen language (used by the Mini App and the bot's messages)."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationError(
            msg(
                "Noma’lum til {language}: {choices} dan birini tanlang.",
                "Неизвестный язык {language}: выберите один из {choices}.",
                "Unknown language {language}: choose one of {choices}.",
                language=repr(language),
                choices=", ".join(SUPPORTED_LANGUAGES),
            )
        )
    with session_scope() as session:
        student = session.get(Student, student_id)
        if student is None:
            raise NotFoundError(
                msg(
                    "Bunday o‘quvchi mavjud emas.",
                    "Такого ученика нет.",
                    "This student does not exist.",
                )
            )
        student.language_code = language
        session.add(student)
    return language
