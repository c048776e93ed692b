"""The admin's student list: search, sort and page, with rating, exams, streak, reachability.

One query per page: students LEFT JOIN rating and streak, the number of
submitted exams as a correlated count (an index lookup per student), and the
total over all pages as a window count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal, or_
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.models import ExamSession, Streak, Student, StudentRating
from mockexam.parsing import parse_id
from mockexam.services.access import Scope

_EVERYONE = Scope.everything()

MAX_PAGE = 500


class StudentSort(StrEnum):
    """Columns the student list can be sorted by."""

    NAME = "name"
    RATING = "rating"
    EXAMS = "exams"
    STREAK = "streak"  # current streak
    JOINED = "joined"
    LAST_SEEN = "last_seen"


@dataclass(frozen=True, slots=True)
class StudentListRow:
    """One student; `elo` is None until their first rated exam."""

    student_id: int
    telegram_id: int
    name: str
    username: str | None
    language_code: str
    is_reachable: bool
    unreachable_reason: str | None
    created_at: datetime
    last_seen_at: datetime | None
    elo: float | None
    exams_rated: int
    exams_taken: int  # submitted sessions, released or not
    current_streak: int
    longest_streak: int


@dataclass(frozen=True, slots=True)
class StudentPage:
    """A page of the list and the number of matching students over all pages."""

    rows: tuple[StudentListRow, ...]
    total: int
    sort: StudentSort
    descending: bool
    limit: int
    offset: int


def student_name(
    first: str | None,
    last: str | None,
    username: str | None,
    telegram_id: int,
    full_name: str | None = None,
) -> str:
    """The name an admin sees: the centre's name for the student (a roster, a teacher) when
    there is one, else the Telegram name, the username, or `#<telegram id>`."""
    if full_name:
        return full_name
    return " ".join(p for p in (first, last) if p) or (username or f"#{telegram_id}")


def name_expression() -> Any:
    """Lower-cased name an admin sees (sorting and searching): the centre's name for the
    student when there is one, else the Telegram "first last"."""
    telegram = Student.first_name + literal(" ") + Student.last_name
    return func.lower(func.coalesce(func.nullif(Student.full_name, ""), telegram))


def search_condition(search: str) -> Any:
    """Name or username contains `search`, or the telegram id equals it.

    Case-insensitive for ASCII on SQLite and for all letters on PostgreSQL
    (SQLite's lower() only folds ASCII). `%` and `_` are matched literally.
    """
    needle = search.strip().lower()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped.lstrip('@')}%"
    conditions = [
        name_expression().like(pattern, escape="\\"),
        func.lower(Student.first_name + literal(" ") + Student.last_name).like(
            pattern, escape="\\"
        ),
        func.lower(func.coalesce(Student.username, "")).like(pattern, escape="\\"),
    ]
    telegram_id = parse_id(needle.lstrip("@"))  # ASCII digits only: '²' is text, not an id
    if telegram_id is not None:
        conditions.append(Student.telegram_id == telegram_id)
    return or_(*conditions)


def _exams_taken() -> Any:
    """Submitted sessions of the student of the enclosing row (an index lookup)."""
    return (
        select(func.count(ExamSession.id))
        .where(ExamSession.student_id == Student.id, col(ExamSession.submitted_at).is_not(None))
        .correlate(Student)
        .scalar_subquery()
    )


def _taken_counts() -> Any:
    """Submitted sessions per student, for sorting by it (one GROUP BY)."""
    return (
        select(ExamSession.student_id.label("student_id"), func.count().label("n"))
        .where(col(ExamSession.submitted_at).is_not(None))
        .group_by(ExamSession.student_id)
        .subquery()
    )


def _sort_key(sort: StudentSort, taken: Any) -> Any:
    return {
        StudentSort.NAME: name_expression(),
        StudentSort.RATING: StudentRating.elo,
        StudentSort.EXAMS: func.coalesce(taken.c.n, 0) if taken is not None else None,
        StudentSort.STREAK: func.coalesce(Streak.current, 0),
        StudentSort.JOINED: Student.created_at,
        StudentSort.LAST_SEEN: Student.last_seen_at,
    }[sort]


def list_students(
    *,
    search: str | None = None,
    sort: StudentSort | str = StudentSort.JOINED,
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    reachable: bool | None = None,
    scope: Scope = _EVERYONE,
) -> StudentPage:
    """One page of students (newest first by default), nulls last, ties by id.

    `search`: part of the name or username, or a telegram id. `reachable`:
    only students the bot can (True) or cannot (False) message. `scope`: the students an
    account may see (a teacher's groups, or one group). One statement:
    an inner query sorts and cuts the page (with the total as a window count),
    the outer one adds the page's columns, so per-student work is done for the
    page's rows only.
    """
    sort = StudentSort(sort)
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    filters = [scope.student_filter(Student.id)]
    if search and search.strip():
        filters.append(search_condition(search))
    if reachable is not None:
        filters.append(col(Student.is_reachable).is_(reachable))
    taken = _taken_counts() if sort == StudentSort.EXAMS else None
    key = _sort_key(sort, taken)
    order = (key.desc() if descending else key.asc()).nulls_last()
    tiebreak = col(Student.id).desc() if descending else col(Student.id).asc()
    inner = (
        select(
            Student.id.label("sid"),
            func.row_number().over(order_by=(order, tiebreak)).label("pos"),
            func.count().over().label("total"),
        )
        .join(StudentRating, col(StudentRating.student_id) == Student.id, isouter=True)
        .join(Streak, col(Streak.student_id) == Student.id, isouter=True)
        .where(*filters)
    )
    if taken is not None:
        inner = inner.join(taken, taken.c.student_id == Student.id, isouter=True)
    page = inner.order_by(order, tiebreak).limit(limit).offset(offset).subquery()
    statement = (
        select(
            Student.id,
            Student.telegram_id,
            Student.first_name,
            Student.last_name,
            Student.username,
            Student.full_name,
            Student.language_code,
            Student.is_reachable,
            Student.unreachable_reason,
            Student.created_at,
            Student.last_seen_at,
            StudentRating.elo,
            StudentRating.exams_rated,
            _exams_taken(),
            Streak.current,
            Streak.longest,
            page.c.total,
        )
        .select_from(page)
        .join(Student, col(Student.id) == page.c.sid)
        .join(StudentRating, col(StudentRating.student_id) == Student.id, isouter=True)
        .join(Streak, col(Streak.student_id) == Student.id, isouter=True)
        .order_by(page.c.pos)
    )
    with session_scope(readonly=True) as db:
        fetched = db.exec(statement).all()
        if fetched:
            total = int(fetched[0][-1])
        else:
            total = int(db.exec(select(func.count(Student.id)).where(*filters)).one())
    rows = tuple(
        StudentListRow(
            student_id=sid,
            telegram_id=telegram_id,
            name=student_name(first, last, username, telegram_id, full_name),
            username=username,
            language_code=language,
            is_reachable=bool(is_reachable),
            unreachable_reason=reason,
            created_at=created,
            last_seen_at=seen,
            elo=elo,
            exams_rated=int(rated or 0),
            exams_taken=int(taken or 0),
            current_streak=int(current or 0),
            longest_streak=int(longest or 0),
        )
        for (
            sid,
            telegram_id,
            first,
            last,
            username,
            full_name,
            language,
            is_reachable,
            reason,
            created,
            seen,
            elo,
            rated,
            taken,
            current,
            longest,
            _total,
        ) in fetched
    )
    return StudentPage(
        rows=rows, total=total, sort=sort, descending=descending, limit=limit, offset=offset
    )
