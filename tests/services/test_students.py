"""The Mini App's sign-in (services.students.login_student), on both databases."""

from __future__ import annotations

from sqlmodel import select

from mockexam.db import session_scope
from mockexam.models import Student
from mockexam.services.students import login_student, set_language


def _stored(telegram_id: int) -> Student:
    with session_scope(readonly=True) as s:
        return s.exec(select(Student).where(Student.telegram_id == telegram_id)).one()


def test_sign_in_registers_then_refreshes_and_keeps_the_chosen_language(db_url):
    first = login_student(
        telegram_id=5_000_000_001,
        first_name="Aziza",
        last_name="K",
        username="aziza",
        language_code="ru-RU",
    )
    stored = _stored(5_000_000_001)
    assert (first.id, first.first_name, first.language_code) == (stored.id, "Aziza", "ru")
    assert stored.username == "aziza" and stored.is_reachable and stored.last_seen_at is not None

    set_language(student_id=first.id, language="en")
    with session_scope() as s:  # the bot found the chat blocked meanwhile
        row = s.get(Student, first.id)
        row.is_reachable, row.unreachable_reason = False, "blocked"
    again = login_student(
        telegram_id=5_000_000_001, first_name="Aziza M", username="", language_code="uz"
    )
    stored = _stored(5_000_000_001)
    assert again.id == first.id
    assert (again.first_name, again.language_code) == ("Aziza M", "en")  # their own choice kept
    assert stored.username is None and stored.last_name == ""
    assert stored.is_reachable and stored.unreachable_reason is None


def test_sign_in_cuts_overlong_names_and_defaults_the_language(db_url):
    signed = login_student(telegram_id=5_000_000_002, first_name="x" * 300, language_code="de")
    assert signed.first_name == "x" * 128 and signed.language_code == "uz"
    assert len({login_student(telegram_id=5_000_000_002).id for _ in range(3)}) == 1
