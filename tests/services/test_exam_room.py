"""The exam room: each phase from the server clock, the sheet, and saves/submits by (student, exam)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from mockexam.db import fetch_one_autocommit, get_engine, session_scope, utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    NotFoundError,
)
from mockexam.models import Exam, ExamSession, ExamStatus, SessionStatus
from mockexam.services import exam_room, sessions
from mockexam.services.exam_room import (
    Refusal,
    RoomPhase,
    get_exam_room,
    save_sheet,
    start_exam,
    submit_sheet,
)
from mockexam.services.sessions import AnswerChange
from tests.factories import make_exam, make_student


def _answers(_db: Session, session_id: int) -> dict[str, tuple[str, bool]]:
    """The stored answers, read in a session of their own (the test's may hold a lock)."""
    with session_scope(readonly=True) as reader:
        stored = sessions.session_answers(reader, session_id)
        return {k: (a.value, a.is_flagged) for k, a in stored.items()}


@contextmanager
def _count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            statements.append(statement)

    def through_driver(engine, sql, params):  # the save's one statement, past Core
        statements.append(sql)
        return fetch_one_autocommit(engine, sql, params)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        with mock.patch.object(exam_room, "fetch_one_autocommit", through_driver):
            yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_exam_room_lobby_counts_down_to_the_opening(db):
    now = utcnow()
    exam = make_exam(db, start=now + timedelta(hours=2), hours=3)
    student = make_student(db)
    db.commit()

    room = get_exam_room(student_id=student.id, exam_id=exam.id, now=now)

    assert room.phase == RoomPhase.LOBBY
    assert room.title == exam.title and room.duration_minutes == 150
    assert room.seconds_until_start == 7200 and room.seconds_until_end == 5 * 3600
    assert room.session_id is None and room.items == [] and room.answers == {}
    # The lobby's rule lines: the sections, from the stored layout (no items read).
    assert [(s.kind, s.first, s.last, s.count, s.options, s.parts) for s in room.sections] == [
        ("mcq", 1, 35, 35, ("A", "B", "C", "D"), ()),
        ("free", 36, 45, 10, (), ("a", "b")),
    ]
    with _count_queries() as queries:
        clock = get_exam_room(student_id=student.id, exam_id=exam.id, now=now, with_sheet=False)
    assert len(queries) == 1 and clock.sections == []


def test_exam_room_open_then_in_progress_with_the_sheet_and_saved_answers(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(minutes=10), hours=4, duration_minutes=150)
    student = make_student(db)
    db.commit()
    opened = get_exam_room(student_id=student.id, exam_id=exam.id, now=now)
    assert opened.phase == RoomPhase.OPEN and [s.key for s in opened.sections] == ["s1", "s2"]

    started = start_exam(student_id=student.id, exam_id=exam.id, now=now)
    assert started.phase == RoomPhase.IN_PROGRESS and started.session_id is not None
    save_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={"3": AnswerChange(value="c"), "36a": AnswerChange(value="−1/2", flagged=True)},
        now=now,
    )

    with _count_queries() as queries:
        room = get_exam_room(
            student_id=student.id, exam_id=exam.id, now=now + timedelta(minutes=20)
        )
    assert len(queries) == 2
    assert room.phase == RoomPhase.IN_PROGRESS
    assert [i.label for i in room.items[:2]] == ["1", "2"]
    assert [i.label for i in room.items[34:38]] == ["35", "36a", "36b", "37a"]
    assert len(room.items) == 55
    assert room.items[0].options == ("A", "B", "C", "D") and room.items[0].kind == "mcq"
    assert room.items[35].options == () and room.items[35].sub_part == "a"
    assert {k: (a.value, a.flagged) for k, a in room.answers.items()} == {
        "3": ("C", False),
        "36a": ("−1/2", True),
    }
    assert room.answered == 2
    with _count_queries() as queries:
        clock = get_exam_room(student_id=student.id, exam_id=exam.id, now=now, with_sheet=False)
    assert len(queries) == 1 and clock.items == [] and clock.seconds_left == 150 * 60
    # The countdown shows the time without the grace; the deadline keeps it.
    assert room.seconds_left == 130 * 60
    assert room.seconds_until_deadline == 130 * 60 + 30


def test_exam_room_in_progress_has_the_certificate_sections(db):
    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id)
    first, second = room.sections
    assert (first.index, first.key, first.kind, first.options, first.parts) == (
        0, "s1", "mcq", ("A", "B", "C", "D"), ()
    )  # fmt: skip
    assert (first.first, first.last, first.count, first.points) == (1, 35, 35, 1.0)
    assert (second.kind, second.parts, second.first, second.last, second.count) == (
        "free", ("a", "b"), 36, 45, 10
    )  # fmt: skip
    assert second.title("ru") == "Задания с открытым ответом" and second.title("uz")
    assert {i.section for i in room.items[:35]} == {0} and {i.section for i in room.items[35:]} == {
        1
    }


def test_exam_room_sections_follow_a_weighted_five_option_layout(db):
    from mockexam.scoring.layout import Layout, Section
    from mockexam.scoring.layout_templates import DTM_BLOCK

    layout = Layout(
        template="custom",
        official_score="points",
        sections=(
            Section("s1", {"uz": "Algebra", "ru": "Алгебра"}, "math", "mcq", 3,
                    ("A", "B", "C", "D", "E"), points=2.5, first=1),
            Section("s2", {"uz": "Geometriya"}, "math", "free", 2, (), (), points=0.75, first=10),
        ),
    )  # fmt: skip
    exam = make_exam(db, layout=layout)
    dtm = make_exam(db, layout=DTM_BLOCK, start=utcnow() + timedelta(hours=5), publish=False)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id)
    assert [(i.label, i.section, i.points, i.options) for i in room.items] == [
        ("1", 0, 2.5, ("A", "B", "C", "D", "E")),
        ("2", 0, 2.5, ("A", "B", "C", "D", "E")),
        ("3", 0, 2.5, ("A", "B", "C", "D", "E")),
        ("10", 1, 0.75, ()),
        ("11", 1, 0.75, ()),
    ]
    assert [(s.first, s.last, s.count, s.points) for s in room.sections] == [
        (1, 3, 3, 2.5),
        (10, 11, 2, 0.75),
    ]
    assert (
        room.sections[0].title("ru") == "Алгебра" and room.sections[1].title("ru") == "Geometriya"
    )
    saved = save_sheet(
        student_id=student.id, exam_id=exam.id, changes={"2": AnswerChange(value="e")}
    )
    assert saved.rejected == {} and saved.stored == {"2": "E"}
    # The DTM block's five sections (a draft here: read through the layout builder).
    from mockexam.services.exam_room import sheet_sections
    from mockexam.services.exams import get_items, item_spec

    specs = [item_spec(i) for i in get_items(db, dtm.id)]
    sections = sheet_sections(dtm.id, DTM_BLOCK.to_json(), specs)
    assert [(s.first, s.last, s.points, s.subject) for s in sections] == [
        (1, 10, 1.1, "native_language"),
        (11, 20, 1.1, "math"),
        (21, 30, 1.1, "history_uz"),
        (31, 60, 3.1, "math"),
        (61, 90, 2.1, "physics"),
    ]


def test_sheet_sections_from_the_items_when_the_stored_layout_is_broken(db):
    from mockexam.services.exam_room import sheet_sections
    from mockexam.services.exams import get_items, item_spec

    exam = make_exam(db)
    specs = [item_spec(i) for i in get_items(db, exam.id)]
    broken = {"version": 1, "template": "custom", "sections": [{"kind": "mcq"}]}
    sections = sheet_sections(exam.id, broken, specs)
    assert [(s.kind, s.first, s.last, s.count) for s in sections] == [
        ("mcq", 1, 35, 35),
        ("free", 36, 45, 10),
    ]
    assert sections[0].title("en") == "Section 1"


def test_exam_room_submitted_waits_for_the_window_end(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(minutes=10), hours=4, duration_minutes=60)
    on_time, overdue = make_student(db), make_student(db)
    for student in (on_time, overdue):
        sessions.start_session(db, student_id=student.id, exam_id=exam.id, now=now)
    db.commit()
    submit_sheet(student_id=on_time.id, exam_id=exam.id, changes={}, now=now)

    room = get_exam_room(student_id=on_time.id, exam_id=exam.id, now=now + timedelta(minutes=1))
    assert room.phase == RoomPhase.SUBMITTED and not room.is_auto_submitted
    assert room.seconds_until_end == 4 * 3600 - 11 * 60 and room.items == []

    # Past the deadline with no submit yet (the sweep has not run): waiting, auto-submitted.
    later = now + timedelta(minutes=61)
    room = get_exam_room(student_id=overdue.id, exam_id=exam.id, now=later)
    assert room.phase == RoomPhase.SUBMITTED and room.is_auto_submitted

    # Window closed, not released yet: still waiting, nothing left to count.
    closed = exam.window_end + timedelta(minutes=1)
    room = get_exam_room(student_id=on_time.id, exam_id=exam.id, now=closed)
    assert room.phase == RoomPhase.SUBMITTED and room.seconds_until_end == 0


def test_exam_room_released_closed_and_not_found(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(days=1), hours=2)
    taker, absent = make_student(db), make_student(db)
    started = sessions.start_session(
        db, student_id=taker.id, exam_id=exam.id, now=exam.window_start
    )
    sessions.submit_session(db, student_id=taker.id, session_id=started.id, now=exam.window_start)
    draft = make_exam(db, start=now + timedelta(days=3), publish=False)
    db.commit()

    assert get_exam_room(student_id=absent.id, exam_id=exam.id).phase == RoomPhase.CLOSED
    assert get_exam_room(student_id=taker.id, exam_id=exam.id).phase == RoomPhase.SUBMITTED

    db.get(Exam, exam.id).status = ExamStatus.RELEASED
    db.get(ExamSession, started.id).status = SessionStatus.RELEASED
    db.commit()
    room = get_exam_room(student_id=taker.id, exam_id=exam.id)
    assert room.phase == RoomPhase.RELEASED and room.session_id == started.id
    assert get_exam_room(student_id=absent.id, exam_id=exam.id).phase == RoomPhase.CLOSED

    for missing in (draft.id, 987_654):
        with pytest.raises(NotFoundError):
            get_exam_room(student_id=taker.id, exam_id=missing)
        with pytest.raises(NotFoundError):
            start_exam(student_id=taker.id, exam_id=missing)


def test_exam_room_shows_only_the_callers_session(db):
    exam = make_exam(db)
    owner, other = make_student(db), make_student(db)
    db.commit()
    start_exam(student_id=owner.id, exam_id=exam.id)
    save_sheet(student_id=owner.id, exam_id=exam.id, changes={"1": AnswerChange(value="A")})

    room = get_exam_room(student_id=other.id, exam_id=exam.id)

    assert room.phase == RoomPhase.OPEN and room.session_id is None and room.answers == {}
    with pytest.raises(NotFoundError):
        save_sheet(student_id=other.id, exam_id=exam.id, changes={"1": AnswerChange(value="B")})
    with pytest.raises(NotFoundError):
        submit_sheet(student_id=other.id, exam_id=exam.id, changes={})
    owner_session = get_exam_room(student_id=owner.id, exam_id=exam.id).session_id
    assert _answers(db, owner_session) == {"1": ("A", False)}


def test_start_exam_refused_outside_the_window_and_once_only(db):
    now = utcnow()
    upcoming = make_exam(db, start=now + timedelta(hours=1))
    past = make_exam(db, start=now - timedelta(days=2), hours=1)
    student = make_student(db)
    db.commit()
    at_open, exam_id, student_id = upcoming.window_start, upcoming.id, student.id
    for exam in (upcoming, past):
        with pytest.raises(ExamNotOpenError):
            start_exam(student_id=student_id, exam_id=exam.id)
    assert db.exec(select(ExamSession)).all() == []
    db.rollback()

    first = start_exam(student_id=student_id, exam_id=exam_id, now=at_open)
    again = start_exam(student_id=student_id, exam_id=exam_id, now=at_open + timedelta(hours=1))
    assert first.session_id == again.session_id and first.deadline == again.deadline


def test_save_sheet_stores_the_good_changes_and_refuses_each_bad_one(db):
    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id)

    result = save_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={
            "1": AnswerChange(value="b"),
            "2": AnswerChange(flagged=True),
            "36a": AnswerChange(value=" 3,5 "),
            "7": AnswerChange(value="E"),
            "46": AnswerChange(value="A"),
            "36c": AnswerChange(value="1"),
            "x1": AnswerChange(value="A"),
            "37a": AnswerChange(value="9" * 65),
            "37b": AnswerChange(value="1\n2"),
            "38a": AnswerChange(value=5),  # type: ignore[arg-type]
            "38b": AnswerChange(value="1", flagged="yes"),  # type: ignore[arg-type]
            "39a": AnswerChange(),
        },
    )

    assert set(result.accepted) == {"1", "2", "36a"}
    assert result.stored == {"1": "B", "36a": "3,5"}
    assert result.rejected == {
        "7": Refusal.NOT_AN_OPTION,
        "46": Refusal.UNKNOWN_ITEM,
        "36c": Refusal.UNKNOWN_ITEM,
        "x1": Refusal.UNKNOWN_ITEM,
        "37a": Refusal.TOO_LONG,
        "37b": Refusal.INVALID,
        "38a": Refusal.INVALID,
        "38b": Refusal.INVALID,
    }
    assert _answers(db, room.session_id) == {
        "1": ("B", False),
        "2": ("", True),
        "36a": ("3,5", False),
    }
    # Clearing and unflagging.
    save_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={"1": AnswerChange(value=""), "2": AnswerChange(flagged=False)},
    )
    assert _answers(db, room.session_id)["1"] == ("", False)
    assert _answers(db, room.session_id)["2"] == ("", False)


def test_save_sheet_refused_after_the_deadline_and_after_submit(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(minutes=5), duration_minutes=30)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id, now=now)
    late = room.deadline + timedelta(seconds=1)

    with pytest.raises(DeadlinePassedError):
        save_sheet(
            student_id=student.id, exam_id=exam.id, changes={"1": AnswerChange("A")}, now=late
        )
    with pytest.raises(DeadlinePassedError):  # even when every change is refused anyway
        save_sheet(
            student_id=student.id, exam_id=exam.id, changes={"99": AnswerChange("A")}, now=late
        )
    assert _answers(db, room.session_id) == {}

    submit_sheet(student_id=student.id, exam_id=exam.id, changes={}, now=now)
    with pytest.raises(AlreadySubmittedError):
        save_sheet(
            student_id=student.id, exam_id=exam.id, changes={"1": AnswerChange("A")}, now=now
        )
    assert _answers(db, room.session_id) == {}


def test_submit_sheet_saves_the_last_changes_then_submits_once(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(minutes=5), duration_minutes=30)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id, now=now)

    done = submit_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={"1": AnswerChange("D"), "2": AnswerChange("Q")},
        auto=True,  # too early to be an auto-submit: counted as a normal submit
        now=now + timedelta(minutes=10),
    )

    assert done.submitted_at == now + timedelta(minutes=10) and not done.is_auto_submitted
    assert done.saved.stored == {"1": "D"} and done.saved.rejected == {"2": Refusal.NOT_AN_OPTION}
    again = submit_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={"1": AnswerChange("A")},
        now=now + timedelta(minutes=11),
    )
    assert again.submitted_at == done.submitted_at and again.saved.stored == {}
    assert _answers(db, room.session_id) == {"1": ("D", False)}
    assert get_exam_room(student_id=student.id, exam_id=exam.id).phase == RoomPhase.SUBMITTED
    waiting = get_exam_room(student_id=student.id, exam_id=exam.id)
    assert waiting.submitted_at == done.submitted_at and not waiting.is_auto_submitted


def test_submit_sheet_at_zero_is_an_auto_submit_and_after_the_deadline_drops_changes(db):
    now = utcnow()
    exam = make_exam(db, start=now - timedelta(minutes=5), duration_minutes=30)
    on_time, late = make_student(db), make_student(db)
    db.commit()
    room = start_exam(student_id=on_time.id, exam_id=exam.id, now=now)
    start_exam(student_id=late.id, exam_id=exam.id, now=now)
    at_zero = now + timedelta(minutes=30, seconds=2)  # inside the grace

    done = submit_sheet(
        student_id=on_time.id,
        exam_id=exam.id,
        changes={"5": AnswerChange("A")},
        auto=True,
        now=at_zero,
    )
    assert done.is_auto_submitted and done.submitted_at == at_zero
    assert get_exam_room(student_id=on_time.id, exam_id=exam.id).is_auto_submitted
    assert _answers(db, room.session_id) == {"5": ("A", False)}

    after = room.deadline + timedelta(seconds=5)
    done = submit_sheet(
        student_id=late.id, exam_id=exam.id, changes={"5": AnswerChange("A")}, now=after
    )
    assert done.is_auto_submitted and done.submitted_at == room.deadline
    assert done.saved.stored == {}
    assert _answers(db, done.session_id) == {}


def test_a_start_is_two_statements_once_the_layout_is_known(db):
    """The start that makes the session knows its row: no second room read, and no
    answers query (a new session has none); the room is the one a read gives."""
    exam = make_exam(db)
    student, other = make_student(db), make_student(db)
    db.commit()
    start_exam(student_id=other.id, exam_id=exam.id)  # the layout read once
    now = utcnow()

    with _count_queries() as queries:
        room = start_exam(student_id=student.id, exam_id=exam.id, now=now)
    assert len(queries) == 2, queries  # the room row, the INSERT … RETURNING
    assert room.phase == RoomPhase.IN_PROGRESS and room.answers == {}
    assert len(room.items) == 55 and room.deadline is not None
    assert room == get_exam_room(student_id=student.id, exam_id=exam.id, now=now)

    # Another tab's start: the session as it is, read (with its answers).
    save_sheet(
        student_id=student.id,
        exam_id=exam.id,
        changes={"1": AnswerChange(value="A")},
        device="tab",
        seq=1,
    )
    again = start_exam(student_id=student.id, exam_id=exam.id, now=now + timedelta(seconds=9))
    assert again.session_id == room.session_id and again.deadline == room.deadline
    assert again.started_at == room.started_at
    assert {label: a.value for label, a in again.answers.items()} == {"1": "A"}


def test_a_save_reads_no_layout_once_the_exam_was_shown(db):
    """The sheet's layout is read once per process (start_exam), not at every save."""
    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    start_exam(student_id=student.id, exam_id=exam.id)

    with _count_queries() as queries:
        save_sheet(
            student_id=student.id,
            exam_id=exam.id,
            changes={"1": AnswerChange(value="a"), "2": AnswerChange(value="b")},
            device="tab",
            seq=1,
        )
    # The session row locked, the device's seq moved, the answers upserted: three
    # statements in a transaction, or on PostgreSQL one statement doing all three.
    assert len(queries) == (1 if db.get_bind().dialect.name == "postgresql" else 3), queries
    assert not [q for q in queries if "examitem" in q.lower()]


def test_layouts_are_kept_per_database(tmp_path):
    """Two databases may both hold an exam 1 with different sheets: each save is
    checked against its own database's sheet, whatever the other one cached."""
    from mockexam.models import ItemKind
    from mockexam.scoring.grading import ItemSpec
    from mockexam.services import exams as exam_service
    from tests.conftest import _use, make_database

    def exam_in_fresh_database(short: bool) -> Iterator[tuple[int, int]]:
        for url in make_database("sqlite", tmp_path):
            for _ in _use(url):
                with session_scope() as s:
                    if short:
                        start = utcnow() - timedelta(minutes=5)
                        exam = exam_service.create_exam(
                            s,
                            title="One field",
                            window_start=start,
                            window_end=start + timedelta(hours=3),
                            duration_minutes=60,
                            layout=[ItemSpec(1, "", ItemKind.FREE_RESPONSE, ())],
                        )
                        exam_service.set_item_key(s, exam.id, "1", ["12"])
                        exam_service.publish_exam(s, exam.id, now=start)
                    else:
                        exam = make_exam(s)  # the default 55 fields
                    ids = (exam.id, make_student(s).id)
                start_exam(student_id=ids[1], exam_id=ids[0])
                yield ids

    full = exam_in_fresh_database(short=False)
    exam_a, student_a = next(full)
    assert (
        save_sheet(
            student_id=student_a, exam_id=exam_a, changes={"45b": AnswerChange(value="7")}
        ).rejected
        == {}
    )
    short = exam_in_fresh_database(short=True)
    exam_b, student_b = next(short)
    assert exam_b == exam_a  # the same id in the other database
    result = save_sheet(
        student_id=student_b,
        exam_id=exam_b,
        changes={"1": AnswerChange(value="12"), "45b": AnswerChange(value="7")},
    )
    assert result.stored == {"1": "12"}
    assert result.rejected == {"45b": Refusal.UNKNOWN_ITEM}
    assert [i.label for i in get_exam_room(student_id=student_b, exam_id=exam_b).items] == ["1"]
    for database in (short, full):
        database.close()


def test_two_tabs_starting_at_once_get_one_session(db):
    """Start from two tabs in the same moment: one session, both tabs show it."""
    from concurrent.futures import ThreadPoolExecutor

    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    at = utcnow()
    with ThreadPoolExecutor(max_workers=4) as pool:
        rooms = list(
            pool.map(
                lambda k: start_exam(
                    student_id=student.id, exam_id=exam.id, now=at + timedelta(seconds=k)
                ),
                range(4),
            )
        )
    assert {r.phase for r in rooms} == {RoomPhase.IN_PROGRESS}
    assert len({r.session_id for r in rooms}) == 1
    assert len({r.deadline for r in rooms}) == 1
    with session_scope(readonly=True) as reader:
        (row,) = reader.exec(select(ExamSession).where(ExamSession.exam_id == exam.id)).all()
        assert row.status == SessionStatus.IN_PROGRESS
        assert row.is_auto_submitted is False and row.submitted_at is None
        assert row.deadline == rooms[0].deadline


def test_a_submit_is_two_statements_plus_the_save(db):
    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    start_exam(student_id=student.id, exam_id=exam.id)
    with _count_queries() as queries:
        done = submit_sheet(student_id=student.id, exam_id=exam.id, changes={})
    # The session locked and submitted (no room read: the sheet shows the waiting view).
    assert len(queries) == 2, queries
    assert not done.is_auto_submitted
    with _count_queries() as queries:
        again = submit_sheet(student_id=student.id, exam_id=exam.id, changes={}, auto=True)
    assert len(queries) == 1  # already submitted: the lock, nothing written
    assert again.submitted_at == done.submitted_at and not again.is_auto_submitted


@pytest.mark.postgres
def test_a_save_on_postgresql_is_one_round_trip(pg_url, tmp_path):
    """No BEGIN, no COMMIT: the lock, the claim and the upsert go as one statement on an
    autocommit connection. Counted in libpq's own trace of the connection (each round
    trip ends with the server's ReadyForQuery)."""
    with session_scope() as db:
        exam = make_exam(db)
        student = make_student(db)
        ids = (student.id, exam.id)
    room = start_exam(student_id=ids[0], exam_id=ids[1])  # shows the sheet: layout read
    trace = tmp_path / "libpq.trace"
    traced: list[object] = []

    def trace_it(dbapi_conn, _record, _proxy) -> None:
        handle = trace.open("a")
        dbapi_conn.pgconn.trace(handle.fileno())
        traced.append((dbapi_conn, handle))

    engine = get_engine()
    event.listen(engine, "checkout", trace_it)
    try:
        result = save_sheet(
            student_id=ids[0],
            exam_id=ids[1],
            changes={"1": AnswerChange(value="c"), "2": AnswerChange(flagged=True)},
            device="tab",
            seq=1,
        )
    finally:
        event.remove(engine, "checkout", trace_it)
        for dbapi_conn, handle in traced:
            dbapi_conn.pgconn.untrace()
            handle.close()
    # One message a line: time, direction (F: to the server), length, type, contents.
    messages = re.findall(r"^\S+ \S+\t([FB])\t\d+\t(\w+)", trace.read_text(), re.MULTILINE)
    assert len(traced) == 1
    assert [t for d, t in messages if d == "B" and t == "ReadyForQuery"] == ["ReadyForQuery"]
    assert ("F", "Query") not in messages  # no BEGIN, COMMIT or ROLLBACK
    assert ("F", "Parse") in messages or ("F", "Bind") in messages, messages
    assert result.stored == {"1": "C"} and result.ack == 1
    with session_scope() as db:
        assert _answers(db, room.session_id) == {"1": ("C", False), "2": ("", True)}


def test_racing_saves_of_one_device_keep_the_newest_and_none_lands_after_submit(db):
    """Saves of one device arrive in any order from many threads (HTTP requests overtake
    each other): the newest seq's values stay, a covered batch stores nothing and is acked
    with a newer seq, and a submit in the middle of more saves: each save either stored
    (and its answer is there) or stored nothing (covered, or refused as submitted)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    exam = make_exam(db)
    student = make_student(db)
    db.commit()
    room = start_exam(student_id=student.id, exam_id=exam.id)
    options = "ABCD"
    seqs = list(range(1, 61))
    random_order = sorted(seqs, key=lambda k: (k * 7919) % 61)
    barrier = threading.Barrier(8, timeout=30)

    def save(k: int):
        if k in random_order[:8]:
            barrier.wait()  # the first eight in the very same moment
        changes = {
            "1": AnswerChange(value=options[k % 4]),
            "2": AnswerChange(flagged=k % 2 == 0),
            "3": AnswerChange(value=options[(k + 1) % 4], flagged=k % 3 == 0),
        }
        return k, save_sheet(
            student_id=student.id, exam_id=exam.id, changes=changes, device="tab", seq=k
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(pool.map(save, random_order))
    stored = [k for k in seqs if results[k].stored]
    assert 60 in stored  # the newest is never covered
    for k in seqs:
        if k in stored:
            assert results[k].ack == k and set(results[k].accepted) == {"1", "2", "3"}
        else:
            assert results[k].stored == {} and results[k].ack > k
    assert _answers(db, room.session_id) == {
        "1": (options[60 % 4], False),
        "2": ("", True),
        "3": (options[61 % 4], True),
    }

    def late_save(k: int) -> str:
        try:
            result = save_sheet(
                student_id=student.id,
                exam_id=exam.id,
                changes={str(10 + k): AnswerChange(value="D")},
                device="tab",
                seq=100 + k,
            )
        except AlreadySubmittedError:
            return "closed"
        return "stored" if result.stored else "covered"

    with ThreadPoolExecutor(max_workers=8) as pool:
        late = [pool.submit(late_save, k) for k in range(16)]
        submit_sheet(student_id=student.id, exam_id=exam.id, changes={})
        outcomes = [future.result() for future in late]
    answers = _answers(db, room.session_id)
    for k, outcome in enumerate(outcomes):
        assert (str(10 + k) in answers) == (outcome == "stored"), (k, outcomes)
    assert late_save(20) == "closed"  # item 30, a seq newer than all
    assert _answers(db, room.session_id) == answers
