"""The admin student list: rating, exams, streak, reachability; search, sort, pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockexam.db import session_scope
from mockexam.models import Exam, ExamSession, ExamStatus, Streak, StudentRating
from mockexam.services import student_directory as directory
from mockexam.services.student_directory import StudentSort
from tests.factories import make_student

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _people() -> dict[str, int]:
    """Ann: Elo 1300, 3 exams, streak 2 (best 4). Ben: 1100, 1 exam (+1 unfinished).
    Cat: unrated, unreachable. Dan (username dan_x): unrated, never took an exam."""
    with session_scope() as db:
        exams = []
        for k in range(3):
            exam = Exam(
                title=f"E{k}",
                window_start=T0 + timedelta(days=7 * k),
                window_end=T0 + timedelta(days=7 * k, hours=3),
                status=ExamStatus.RELEASED,
            )
            db.add(exam)
            exams.append(exam)
        db.flush()
        people = {}
        for k, name in enumerate(("Ann", "Ben", "Cat", "Dan")):
            student = make_student(
                db,
                first_name=name,
                last_name="Lee",
                username="dan_x" if name == "Dan" else name.lower(),
                telegram_id=7000 + k,
            )
            student.created_at = T0 + timedelta(days=k)
            people[name] = student.id
        db.get(type(student), people["Cat"]).is_reachable = False
        db.get(type(student), people["Cat"]).unreachable_reason = "blocked"
        db.add(StudentRating(student_id=people["Ann"], elo=1300.0, exams_rated=3))
        db.add(StudentRating(student_id=people["Ben"], elo=1100.0, exams_rated=1))
        db.add(Streak(student_id=people["Ann"], current=2, longest=4))
        db.add(Streak(student_id=people["Ben"], current=0, longest=1))
        taken = [("Ann", 0, True), ("Ann", 1, True), ("Ann", 2, True), ("Ben", 0, True)]
        taken.append(("Ben", 1, False))
        for name, k, submitted in taken:
            db.add(
                ExamSession(
                    student_id=people[name],
                    exam_id=exams[k].id,
                    started_at=exams[k].window_start,
                    deadline=exams[k].window_end,
                    submitted_at=exams[k].window_start + timedelta(hours=1) if submitted else None,
                )
            )
    return people


def _names(page: directory.StudentPage) -> list[str]:
    return [r.name.split()[0] for r in page.rows]


def test_list_students_shows_rating_exams_streak_and_reachability(db_url):
    people = _people()
    page = directory.list_students()
    assert _names(page) == ["Dan", "Cat", "Ben", "Ann"]  # newest first
    assert page.total == 4
    rows = {r.student_id: r for r in page.rows}
    ann, ben, cat = rows[people["Ann"]], rows[people["Ben"]], rows[people["Cat"]]
    assert (ann.elo, ann.exams_rated, ann.exams_taken) == (1300.0, 3, 3)
    assert (ann.current_streak, ann.longest_streak) == (2, 4)
    assert (ben.exams_taken, ben.elo) == (1, 1100.0)  # the unfinished session does not count
    assert (cat.elo, cat.exams_taken, cat.current_streak) == (None, 0, 0)
    assert (cat.is_reachable, cat.unreachable_reason) == (False, "blocked")
    assert ann.name == "Ann Lee" and ann.telegram_id == 7000


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        (StudentSort.RATING, True, ["Ann", "Ben", "Dan", "Cat"]),  # unrated last, ties by id
        (StudentSort.RATING, False, ["Ben", "Ann", "Cat", "Dan"]),
        (StudentSort.EXAMS, True, ["Ann", "Ben", "Dan", "Cat"]),
        (StudentSort.STREAK, True, ["Ann", "Dan", "Cat", "Ben"]),
        (StudentSort.NAME, False, ["Ann", "Ben", "Cat", "Dan"]),
        (StudentSort.JOINED, False, ["Ann", "Ben", "Cat", "Dan"]),
    ],
)
def test_list_students_sorts(db_url, sort, descending, expected):
    _people()
    assert _names(directory.list_students(sort=sort, descending=descending)) == expected


def test_list_students_searches_name_username_and_telegram_id(db_url):
    _people()
    assert sorted(_names(directory.list_students(search="AN"))) == ["Ann", "Dan"]
    assert _names(directory.list_students(search="dan_")) == ["Dan"]
    assert _names(directory.list_students(search="@ben")) == ["Ben"]
    assert _names(directory.list_students(search="7002")) == ["Cat"]
    assert directory.list_students(search="a%").total == 0  # % is literal
    assert directory.list_students(search="zzz").rows == ()


def test_list_students_filters_reachability_and_pages(db_url):
    _people()
    assert _names(directory.list_students(reachable=False)) == ["Cat"]
    assert directory.list_students(reachable=True).total == 3
    first = directory.list_students(sort="name", descending=False, limit=3)
    rest = directory.list_students(sort="name", descending=False, limit=3, offset=3)
    assert _names(first) + _names(rest) == ["Ann", "Ben", "Cat", "Dan"]
    assert first.total == rest.total == 4
    past = directory.list_students(offset=10)
    assert (past.rows, past.total) == ((), 4)


def test_list_students_empty(db_url):
    page = directory.list_students()
    assert (page.rows, page.total) == ((), 0)
