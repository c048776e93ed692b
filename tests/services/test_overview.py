"""The public overview on the home page: next or open exam, student count."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from mockexam.db import utcnow
from mockexam.services.overview import get_public_overview
from tests.factories import make_exam, make_student


def test_overview_empty_database_has_no_exam(db: Session) -> None:
    overview = get_public_overview()
    assert overview.exam is None
    assert overview.student_count == 0


def test_overview_shows_next_scheduled_exam_with_server_countdown(db: Session) -> None:
    now = utcnow()
    make_student(db)
    make_student(db)
    make_exam(db, title="Week 2", start=now + timedelta(days=9))
    make_exam(db, title="Week 1", start=now + timedelta(days=2))
    make_exam(db, title="Draft", start=now + timedelta(days=1), publish=False)
    db.commit()

    overview = get_public_overview(now=now)

    assert overview.student_count == 2
    assert overview.exam is not None
    assert overview.exam.title == "Week 1"
    assert not overview.exam.is_open
    assert overview.exam.seconds_until_start == 2 * 24 * 3600
    assert overview.exam.seconds_until_end == 2 * 24 * 3600 + 3 * 3600


def test_overview_prefers_the_open_exam(db: Session) -> None:
    now = utcnow()
    make_exam(db, title="Now", start=now - timedelta(minutes=10), hours=3)
    make_exam(db, title="Later", start=now + timedelta(days=7))
    db.commit()

    exam = get_public_overview(now=now).exam

    assert exam is not None
    assert exam.title == "Now"
    assert exam.is_open
    assert exam.seconds_until_start == 0
    assert exam.seconds_until_end == 3 * 3600 - 10 * 60


def test_overview_ignores_closed_exams(db: Session) -> None:
    now = utcnow()
    make_exam(db, title="Last week", start=now - timedelta(days=7), hours=3)
    db.commit()

    assert get_public_overview(now=now).exam is None
