"""Taking an exam: start, autosave, submit, auto-submit, raw-score grading.

The server clock is the only clock. Personal deadline (spec §3.4) =
min(started_at + duration, window end) + grace. A save is accepted only
before the deadline and before submit; the session row is locked
(`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) so a save and a
submit of the same session never interleave.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import connection_of, lock_for_update, utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    NotFoundError,
    ValidationError,
    msg,
)
from mockexam.localtime import local_text
from mockexam.models import (
    Answer,
    Exam,
    ExamItem,
    ExamPhase,
    ExamSession,
    SessionStatus,
)
from mockexam.scoring.grading import ItemSpec, validate_answer
from mockexam.services.exams import exam_phase, get_exam

_LABEL = re.compile(r"^\s*(\d{1,3})\s*([a-z]?)\s*$", re.IGNORECASE)
MAX_BATCH = 200


def personal_deadline(exam: Exam | Any, started_at: datetime) -> datetime:
    """min(started_at + duration, window end) + grace."""
    end = min(started_at + timedelta(minutes=exam.duration_minutes), exam.window_end)
    return end + timedelta(seconds=settings.deadline_grace_seconds)


def check_startable(exam: Exam | Any, now: datetime) -> None:
    """ExamNotOpenError unless a session may start now (`exam`: an Exam or a row with its
    status, window_start and window_end)."""
    phase = exam_phase(exam, now)
    if phase == ExamPhase.SCHEDULED:
        raise ExamNotOpenError(
            msg(
                "Imtihon {start} da ochiladi ({zone} vaqti); hozircha boshlab bo‘lmaydi.",
                "Экзамен откроется {start} (время {zone}); начать пока нельзя.",
                "The exam opens at {start} ({zone} time); you cannot start yet.",
                start=local_text(exam.window_start),
                zone=settings.local_timezone,
            )
        )
    if phase != ExamPhase.OPEN:
        raise ExamNotOpenError(
            msg(
                "Bu imtihon ochiq emas: uning vaqti tugagan.",
                "Этот экзамен закрыт: его время вышло.",
                "This exam is not open: its window has closed.",
            )
        )


@functools.cache
def start_statement(dialect: str) -> Any:
    """INSERT a session … ON CONFLICT (student, exam) DO NOTHING: a second start (another
    tab, a retry) leaves the first session as it is."""
    table = ExamSession.__table__
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    return insert.on_conflict_do_nothing(index_elements=["student_id", "exam_id"])


def start_values(exam: Exam | Any, *, student_id: int, exam_id: int, now: datetime) -> dict:
    """The new session's row for `start_statement` (`exam`: an Exam or a row with its
    duration_minutes and window_end)."""
    return {
        "student_id": student_id,
        "exam_id": exam_id,
        "status": SessionStatus.IN_PROGRESS,
        "started_at": now,
        "deadline": personal_deadline(exam, now),
        "is_auto_submitted": False,
        "is_provisional": False,
        "is_extreme": False,
    }


def start_session(
    session: Session, *, student_id: int, exam_id: int, now: datetime | None = None
) -> ExamSession:
    """Start the student's one session of this exam (a second call returns the same one)."""
    now = now or utcnow()
    exam = get_exam(session, exam_id)
    existing = _find(session, student_id=student_id, exam_id=exam_id)
    if existing is not None:
        return existing
    check_startable(exam, now)
    session.flush()  # what the caller added (the student) before the Core insert
    # The same INSERT … ON CONFLICT DO NOTHING as the exam room's start: if another
    # request of the same student won the race, theirs is the session found below.
    session.connection().execute(
        start_statement(session.get_bind().dialect.name),
        start_values(exam, student_id=student_id, exam_id=exam_id, now=now),
    )
    started = _find(session, student_id=student_id, exam_id=exam_id)
    if started is None:  # inserted now or by the winner of a race: never absent
        raise NotFoundError("The exam session could not be started; try again.")
    return started


def _find(session: Session, *, student_id: int, exam_id: int) -> ExamSession | None:
    return session.exec(
        select(ExamSession).where(
            ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
        )
    ).first()


def find_session(session: Session, *, student_id: int, exam_id: int) -> ExamSession | None:
    """The student's session of this exam, if they started it."""
    return _find(session, student_id=student_id, exam_id=exam_id)


def _locked_own_session(session: Session, *, student_id: int, session_id: int) -> ExamSession:
    exam_session = session.exec(
        lock_for_update(session, select(ExamSession).where(ExamSession.id == session_id))
    ).first()
    if exam_session is None or exam_session.student_id != student_id:
        raise NotFoundError("This exam session does not exist or is not yours.")
    return exam_session


def parse_label(label: str) -> tuple[int, str]:
    """'36a' → (36, 'a'); '7' → (7, '')."""
    match = _LABEL.match(label or "")
    if match is None:
        raise ValidationError(f"{label!r} is not an item label like '7' or '36a'.")
    return int(match.group(1)), match.group(2).lower()


def sheet_items(
    session: Session, exam_id: int, labels: Iterable[str]
) -> dict[str, tuple[int, ItemSpec]]:
    """label → (item id, spec) for the exercise numbers named in `labels` (one light query)."""
    numbers = set()
    for label in labels:
        match = _LABEL.match(label or "")
        if match:
            numbers.add(int(match.group(1)))
    rows = session.execute(
        select(
            ExamItem.id,
            ExamItem.number,
            ExamItem.sub_part,
            ExamItem.kind,
            ExamItem.options,
            ExamItem.points,
        ).where(ExamItem.exam_id == exam_id, col(ExamItem.number).in_(numbers))
    )
    return {
        f"{number}{sub_part}": (
            item_id,
            ItemSpec(
                number=number, sub_part=sub_part, kind=kind, options=tuple(options), points=points
            ),
        )
        for item_id, number, sub_part, kind, options, points in rows
    }


@dataclass(frozen=True)
class AnswerChange:
    """One answer to save: the value and, optionally, the review flag."""

    value: str | None = None
    flagged: bool | None = None


def save_answers(
    session: Session,
    *,
    student_id: int,
    session_id: int,
    changes: Mapping[str, AnswerChange],
    now: datetime | None = None,
) -> dict[str, str]:
    """Save several answers at once (autosave, or a re-send after reconnecting).

    All or nothing: one invalid value refuses the whole batch with a message
    naming the item. Returns label → stored value.
    """
    now = now or utcnow()
    if not changes:
        return {}
    if len(changes) > MAX_BATCH:
        raise ValidationError(f"Too many answers in one save (at most {MAX_BATCH}).")
    exam_session = _locked_own_session(session, student_id=student_id, session_id=session_id)
    check_accepting(exam_session, now)
    items = sheet_items(session, exam_session.exam_id, changes.keys())
    return store_answers(session, exam_session=exam_session, items=items, changes=changes, now=now)


class LockedSession(Protocol):
    """What the save path reads of a locked session row (an ExamSession or a light row)."""

    id: int
    exam_id: int
    submitted_at: datetime | None
    deadline: datetime
    is_auto_submitted: bool


_LOCKED_COLUMNS = (
    ExamSession.id,
    ExamSession.exam_id,
    ExamSession.submitted_at,
    ExamSession.deadline,
    ExamSession.is_auto_submitted,
)


def lock_session_of(
    db: Session | Connection, *, student_id: int, exam_id: int
) -> LockedSession | None:
    """The student's session of this exam, row-locked until the transaction ends.

    One query returning only what a save needs (no ORM object to build), on the
    Core connection: a statement built once, no ORM execution per save.
    """
    conn = connection_of(db)
    return conn.execute(
        _lock_statement(conn.dialect.name), {"student_id": student_id, "exam_id": exam_id}
    ).first()


@functools.cache
def _lock_statement(dialect: str) -> Any:
    statement = select(*_LOCKED_COLUMNS).where(
        ExamSession.student_id == bindparam("student_id"),
        ExamSession.exam_id == bindparam("exam_id"),
    )
    return statement.with_for_update() if dialect == "postgresql" else statement


def check_accepting(exam_session: LockedSession, now: datetime) -> None:
    """Nothing is stored after submit or after the personal deadline."""
    if exam_session.submitted_at is not None:
        raise AlreadySubmittedError("This exam was submitted; answers can no longer change.")
    if now > exam_session.deadline:
        raise DeadlinePassedError("Time is up: answers after the deadline are not accepted.")


def answer_rows(
    items: Mapping[str, tuple[int, ItemSpec]], changes: Mapping[str, AnswerChange]
) -> tuple[dict[int, dict[str, object]], dict[str, str]]:
    """Validate `changes` against `items` (all or nothing): (item id → the columns to set,
    `value` and/or `is_flagged`; label → stored value). A label given twice: last wins."""
    rows: dict[int, dict[str, object]] = {}
    stored: dict[str, str] = {}
    errors: list[str] = []
    for raw_label, change in changes.items():
        try:
            number, sub_part = parse_label(raw_label)
            found = items.get(f"{number}{sub_part}")
            if found is None:
                raise ValidationError(f"Item {raw_label!r} is not on this answer sheet.")
            item_id, spec = found
            value = None
            if change.value is not None:
                if not isinstance(change.value, str):
                    raise ValidationError(f"Item {spec.label}: the answer must be text.")
                value = validate_answer(
                    spec, change.value, max_chars=settings.free_response_max_chars
                )
        except ValidationError as err:
            errors.append(str(err))
            continue
        row = rows.setdefault(item_id, {})
        if value is not None:
            row["value"] = value
            stored[spec.label] = value
        if change.flagged is not None:
            row["is_flagged"] = bool(change.flagged)
    if errors:
        raise ValidationError("Not saved: " + "; ".join(errors))
    return rows, stored


def store_answers(
    db: Session | Connection,
    *,
    exam_session: LockedSession,
    items: Mapping[str, tuple[int, ItemSpec]],
    changes: Mapping[str, AnswerChange],
    now: datetime,
) -> dict[str, str]:
    """Validate `changes` against `items` (all or nothing) and upsert them in one statement.

    `exam_session` is the caller's, locked and accepting (see `check_accepting`);
    `items` is `sheet_items` for the changes' labels. Returns label → stored value.
    """
    rows, stored = answer_rows(items, changes)
    # One upsert per shape of row (a value, a flag or both), all rows of a shape at once.
    shapes: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for item_id, columns in rows.items():
        row = {
            "session_id": exam_session.id,
            "exam_id": exam_session.exam_id,
            "item_id": item_id,
            "saved_at": now,
            **columns,
        }
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    conn = connection_of(db)
    for columns, shaped in shapes.items():
        conn.execute(_upsert_statement(conn.dialect.name, columns), shaped)
    return stored


@functools.cache
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (session, item) DO UPDATE of `columns`, built once per shape.

    On the Core table (not the ORM entity): no ORM bulk machinery per save.
    """
    table = Answer.__table__
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    update_cols = {
        name: insert.excluded[name]
        for name in columns
        if name in ("value", "is_flagged", "saved_at")
    }
    return insert.on_conflict_do_update(index_elements=["session_id", "item_id"], set_=update_cols)


def save_answer(
    session: Session,
    *,
    student_id: int,
    session_id: int,
    label: str,
    value: str | None = None,
    flagged: bool | None = None,
    now: datetime | None = None,
) -> str | None:
    """Save one answer (and/or its review flag); returns the stored value."""
    stored = save_answers(
        session,
        student_id=student_id,
        session_id=session_id,
        changes={label: AnswerChange(value=value, flagged=flagged)},
        now=now,
    )
    return next(iter(stored.values()), None)


def submit_session(
    session: Session, *, student_id: int, session_id: int, now: datetime | None = None
) -> ExamSession:
    """Submit (idempotent: a second submit changes nothing).

    A submit that arrives after the deadline counts as the auto-submit it
    stands for: submitted_at = the deadline, flagged auto-submitted.
    """
    now = now or utcnow()
    exam_session = _locked_own_session(session, student_id=student_id, session_id=session_id)
    return submit_locked(session, exam_session, now)


def submit_locked(session: Session, exam_session: ExamSession, now: datetime) -> ExamSession:
    """`submit_session` for a session the caller has already row-locked."""
    if exam_session.submitted_at is not None:
        return exam_session
    if now > exam_session.deadline:
        exam_session.submitted_at = exam_session.deadline
        exam_session.is_auto_submitted = True
    else:
        exam_session.submitted_at = now
    exam_session.status = SessionStatus.SUBMITTED
    session.add(exam_session)
    session.flush()
    return exam_session


def auto_submit_overdue(
    session: Session, *, now: datetime | None = None, exam_id: int | None = None
) -> int:
    """Submit every unsubmitted session past its deadline (submitted_at = its deadline)."""
    now = now or utcnow()
    conditions = [col(ExamSession.submitted_at).is_(None), ExamSession.deadline < now]
    if exam_id is not None:
        conditions.append(ExamSession.exam_id == exam_id)
    result = session.execute(
        update(ExamSession)
        .where(*conditions)
        .values(
            submitted_at=ExamSession.deadline,
            is_auto_submitted=True,
            status=SessionStatus.SUBMITTED,
        )
    )
    return result.rowcount or 0


def session_answers(session: Session, session_id: int) -> dict[str, Answer]:
    """label → saved answer of one session."""
    rows = session.exec(
        select(Answer, ExamItem)
        .join(ExamItem, col(Answer.item_id) == ExamItem.id)
        .where(Answer.session_id == session_id)
    )
    return {item.label: answer for answer, item in rows}
