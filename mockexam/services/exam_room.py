"""The exam room (spec §3, §7): where one student stands with one exam, and the answer sheet.

`get_exam_room` is what the Mini App's exam page shows: the lobby before
the window opens, the start button while it is open, the answer sheet (its
sections with titles, options and points, and its items) with the saved
answers while the student's session runs, the waiting view after
submit (or after the personal deadline), and the way to the results once
released. Seconds are counted on the server clock. Two queries: the exam
with the caller's session, then (only while in progress) the caller's
answers; the sheet's items come from `sheet_layout` (read once per process).

`save_sheet` / `submit_sheet` take the Mini App's answer changes: each
label is checked on its own, so one bad value is refused with its reason
while the others are stored (the client drops what was answered either
way, so a refused value is never re-sent forever). The session is always
the caller's own, found from (student, exam). On PostgreSQL a save (the
exam's most frequent request by far) is one statement on an autocommit
connection, one round trip to the server (`_save_in_one_statement`); on
SQLite, and for a batch without a device, it is a transaction of three.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Row, Text, and_, bindparam, cast, exists, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from mockexam.config import settings
from mockexam.db import (
    connection_scope,
    driver_sql,
    fetch_one_autocommit,
    get_engine,
    utcnow,
)
from mockexam.errors import (
    ExamNotOpenError,
    Msg,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    msg,
)
from mockexam.models import (
    Answer,
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamItem,
    ExamSession,
    ExamStatus,
    GroupMember,
    ItemKind,
    SessionStatus,
    SheetSync,
    StudentGroup,
)
from mockexam.scoring.grading import (
    ItemSpec,
    free_response_problem,
    normalize_free_response,
    validate_answer,
)
from mockexam.scoring.layout import LayoutError, Section, validate_layout_json
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services.sessions import (
    AnswerChange,
    LockedSession,
    answer_rows,
    check_accepting,
    check_startable,
    lock_session_of,
    parse_label,
    start_statement,
    start_values,
    store_answers,
)
from mockexam.services.sheet_claims import claim_batch, stored_seq, submit_retried
from mockexam.services.tokens import check_token, make_token
from mockexam.text import has_bidi, strip_bidi

log = logging.getLogger(__name__)

SYNC = SheetSync.__table__  # the exam's "newest batch per device" (services/sheet_claims.py)


class RoomPhase(StrEnum):
    """Where the student stands with the exam right now (server clock)."""

    LOBBY = "lobby"  # published, the window has not opened yet
    OPEN = "open"  # the window is open, the student has not started
    IN_PROGRESS = "in_progress"  # started, before the personal deadline, not submitted
    SUBMITTED = "submitted"  # submitted or past the deadline: waiting for the release
    RELEASED = "released"  # results are out: see the results page
    CLOSED = "closed"  # the window closed and the student never started
    NOT_FOR_YOU = "not_for_you"  # the exam is for chosen groups, and the student is in none


class Refusal(StrEnum):
    """Why one answer of a batch was not stored."""

    UNKNOWN_ITEM = "unknown_item"  # no such label on this exam's sheet
    NOT_AN_OPTION = "not_an_option"  # a multiple-choice value that is none of the options
    TOO_LONG = "too_long"  # over the free-response limit
    INVALID = "invalid"  # anything else (control characters, wrong type)


@dataclass(frozen=True, slots=True)
class SheetItem:
    """One answer field of the sheet, in sheet order."""

    label: str  # "7", "36a"
    number: int
    sub_part: str
    kind: str  # ItemKind value
    options: tuple[str, ...]
    section: int = 0  # index into SheetLayout.sections
    points: float = 1.0  # what a right answer is worth (0.01 steps)


@dataclass(frozen=True, slots=True)
class SheetSection:
    """One section of the sheet as the student page shows it: a heading and its rule."""

    index: int
    key: str  # "s1"
    titles: dict[str, str]  # {"uz": …, "ru": …, "en": …}; uz always present
    subject: str  # code in layout_templates.SUBJECTS
    kind: str  # ItemKind value
    options: tuple[str, ...]  # multiple choice: "A", "B", …; () for free response
    parts: tuple[str, ...]  # free response: ("a", "b") or ()
    points: float  # per item (per part for free response)
    first: int  # first exercise number
    last: int  # last exercise number
    count: int  # exercises

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.titles.get("uz") or self.key


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    value: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class ExamRoom:
    """The exam page of one student, as of `now`."""

    now: datetime
    exam_id: int
    title: str
    description: str
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    status: str  # ExamStatus value
    phase: RoomPhase
    session_id: int | None = None
    started_at: datetime | None = None
    deadline: datetime | None = None  # the personal deadline (grace included)
    submitted_at: datetime | None = None
    is_auto_submitted: bool = False  # submitted by the clock (or the deadline has passed)
    seconds_until_start: int = 0
    seconds_until_end: int = 0
    # What the student's countdown shows: the time to the deadline without the
    # grace, which is kept for the client's own auto-submit to arrive in time.
    seconds_left: int = 0
    seconds_until_deadline: int = 0  # to the deadline itself, grace included
    items: list[SheetItem] = field(default_factory=list)  # only while in progress
    # The sheet's sections: in the lobby and while open (the rule lines, from the stored
    # layout) and while in progress (with the items); none after submit.
    sections: list[SheetSection] = field(default_factory=list)
    answers: dict[str, SavedAnswer] = field(default_factory=dict)  # label → saved
    pdf_path: str | None = None  # the question paper (services.paper links to it)
    audience: list[str] = field(default_factory=list)  # NOT_FOR_YOU: the groups it is for

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers.values() if a.value)


@dataclass(frozen=True, slots=True)
class SheetSave:
    """What became of a batch of answer changes."""

    accepted: tuple[str, ...]  # labels written (a value, a flag or both)
    stored: dict[str, str]  # label → value as stored ("" = cleared), for value changes
    rejected: dict[str, Refusal]  # label → why it was not stored
    # The seq the client may drop its pending changes up to: the batch's own, or
    # the newer one of its device that already covers it (then nothing was stored).
    ack: int = 0
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)  # of refused labels


NO_SAVE = SheetSave(accepted=(), stored={}, rejected={})


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, math.ceil((end - start).total_seconds()))


def _room_row(conn: Connection, *, student_id: int, exam_id: int) -> Row[Any] | None:
    """The exam's fields and the caller's session fields (None when not started)."""
    return conn.execute(_room_statement(), {"student_id": student_id, "exam_id": exam_id}).first()


@functools.cache
def _room_statement() -> Any:
    return (
        select(
            Exam.id,
            Exam.title,
            Exam.description,
            Exam.duration_minutes,
            Exam.window_start,
            Exam.window_end,
            Exam.status,
            ExamSession.id,
            ExamSession.started_at,
            ExamSession.deadline,
            ExamSession.submitted_at,
            ExamSession.is_auto_submitted,
            Exam.pdf_path,
            Exam.audience,
            # Is the student in one of the exam's groups? (Only asked of a "groups" exam.)
            exists()
            .where(
                col(ExamAudience.exam_id) == Exam.id,
                col(GroupMember.group_id) == ExamAudience.group_id,
                col(GroupMember.student_id) == bindparam("student_id"),
            )
            .label("in_audience"),
            # The lobby's rule lines (no second query), as text: decoded only in the lobby.
            cast(Exam.layout, Text).label("layout_text"),
        )
        .select_from(Exam)
        .outerjoin(
            ExamSession,
            and_(
                col(ExamSession.exam_id) == Exam.id,
                col(ExamSession.student_id) == bindparam("student_id"),
            ),
        )
        .where(Exam.id == bindparam("exam_id"))
    )


def _phase(
    *,
    status: str,
    window_start: datetime,
    window_end: datetime,
    session_id: int | None,
    deadline: datetime | None,
    submitted_at: datetime | None,
    now: datetime,
) -> RoomPhase:
    if session_id is not None:
        if status == ExamStatus.RELEASED:
            return RoomPhase.RELEASED
        if submitted_at is None and deadline is not None and now <= deadline:
            return RoomPhase.IN_PROGRESS
        return RoomPhase.SUBMITTED
    if status == ExamStatus.RELEASED or now >= window_end:
        return RoomPhase.CLOSED
    if now < window_start:
        return RoomPhase.LOBBY
    return RoomPhase.OPEN


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """An exam's answer sheet: its sections, its items in order, and label → (item id, spec)."""

    items: tuple[SheetItem, ...]
    by_label: Mapping[str, tuple[int, ItemSpec]]
    labels: Mapping[int, str]  # item id → label
    sections: tuple[SheetSection, ...] = ()


# An exam's items never change once a student has started it: the layout (labels,
# kinds, options, points, sections) is written by create_exam, and changed by
# set_layout only while the exam is a draft (no student can start one); an exam
# with a session cannot be deleted (services.exams.delete_exam) and sessions are
# never deleted.
# So each backend process reads a started exam's layout once instead of at every
# save (a query and ~30% of a save's Python time). Cached only for callers who
# hold a session of the exam; per connection pool, so two databases (tests) never
# share an entry.
_LAYOUTS: weakref.WeakKeyDictionary[Any, dict[int, SheetLayout]] = weakref.WeakKeyDictionary()
_LAYOUTS_LOCK = threading.Lock()
MAX_CACHED_LAYOUTS = 256


def _cached_layout(pool: Any, exam_id: int) -> SheetLayout | None:
    """The layout `sheet_layout` read earlier from this pool's database, else None."""
    with _LAYOUTS_LOCK:
        return _LAYOUTS.get(pool, {}).get(exam_id)


def sheet_layout(conn: Connection, exam_id: int) -> SheetLayout:
    """The layout of an exam the caller has a session of (read once per process)."""
    pool = conn.engine.pool
    found = _cached_layout(pool, exam_id)
    if found is not None:
        return found
    rows = conn.execute(_layout_statement(), {"exam_id": exam_id})
    items: list[SheetItem] = []
    specs: list[ItemSpec] = []
    by_label: dict[str, tuple[int, ItemSpec]] = {}
    labels: dict[int, str] = {}
    for item_id, number, sub_part, kind, options, points, section in rows:
        spec = ItemSpec(
            number=number,
            sub_part=sub_part,
            kind=kind,
            options=tuple(options or ()),
            points=points,
            section=section,
        )
        items.append(
            SheetItem(spec.label, number, sub_part, kind, spec.options, section, float(points))
        )
        specs.append(spec)
        by_label[spec.label] = (item_id, spec)
        labels[item_id] = spec.label
    recipe = conn.execute(select(Exam.layout).where(Exam.id == exam_id)).scalar()
    sections = sheet_sections(exam_id, recipe, specs)
    layout = SheetLayout(
        items=tuple(items), by_label=by_label, labels=labels, sections=tuple(sections)
    )
    with _LAYOUTS_LOCK:
        per_pool = _LAYOUTS.setdefault(pool, {})
        if len(per_pool) >= MAX_CACHED_LAYOUTS:
            per_pool.clear()
        per_pool[exam_id] = layout
    return layout


def sheet_sections(
    exam_id: int, recipe: Mapping[str, Any] | None, specs: list[ItemSpec]
) -> list[SheetSection]:
    """The sheet's sections from the exam's stored layout (`{}`: the certificate).

    The items are the truth: a section's first/last/count are read from its items,
    and a stored layout that no longer passes the checks, or that does not match
    the items, is replaced by one grouped from the items (logged), so a student's
    sheet always opens.
    """
    from mockexam.services.exams import layout_matching_items

    layout = layout_matching_items(recipe, specs, exam_id=exam_id)
    out: list[SheetSection] = []
    for index, section in enumerate(layout.sections):
        numbers = [s.number for s in specs if s.section == index]
        if numbers:
            out.append(
                _sheet_section(index, section, min(numbers), max(numbers), len(set(numbers)))
            )
    return out


def _sheet_section(index: int, section: Section, first: int, last: int, count: int) -> SheetSection:
    return SheetSection(
        index=index,
        key=section.key,
        titles=dict(section.titles),
        subject=section.subject,
        kind=section.kind,
        options=tuple(section.options),
        parts=tuple(section.parts),
        points=float(section.points),
        first=first,
        last=last,
        count=count,
    )


def _lobby_sections(exam_id: int, layout_text: str | None) -> list[SheetSection]:
    """The sections of an exam nobody in this room has started (the lobby's rule lines):
    from the stored layout alone (read with the room), checked once per layout text (the
    exam may still go back to draft and get another layout: its text is the key). []
    when the stored layout fails the checks."""
    return list(_checked_lobby_sections(exam_id, layout_text or ""))


@functools.lru_cache(maxsize=64)
def _checked_lobby_sections(exam_id: int, layout_text: str) -> tuple[SheetSection, ...]:
    try:
        recipe = json.loads(layout_text) if layout_text else None
    except ValueError:
        recipe = {"unreadable": layout_text[:40]}  # refused below like any bad layout
    try:
        layout = validate_layout_json(recipe) if recipe else CERTIFICATE_MATH
    except LayoutError as err:
        log.warning(
            "exam %s: stored layout refused (%s); the lobby shows no sections", exam_id, err
        )
        return ()
    return tuple(
        _sheet_section(index, section, first, first + section.count - 1, section.count)
        for index, (section, first) in enumerate(zip(layout.sections, layout.firsts(), strict=True))
    )


@functools.cache
def _layout_statement() -> Any:
    return (
        select(
            ExamItem.id,
            ExamItem.number,
            ExamItem.sub_part,
            ExamItem.kind,
            ExamItem.options,
            ExamItem.points,
            ExamItem.section,
        )
        .where(ExamItem.exam_id == bindparam("exam_id"))
        .order_by(ExamItem.position)
    )


@functools.cache
def _answers_statement() -> Any:
    return select(Answer.item_id, Answer.value, Answer.is_flagged).where(
        Answer.session_id == bindparam("session_id")
    )


def _sheet(
    conn: Connection, *, exam_id: int, session_id: int, new: bool = False
) -> tuple[SheetLayout, dict[str, SavedAnswer]]:
    """The sheet (sections, items in order), with the session's saved answers (one query;
    none for a session this transaction just made: it has none)."""
    layout = sheet_layout(conn, exam_id)
    answers: dict[str, SavedAnswer] = {}
    if new:
        return layout, answers
    found = conn.execute(_answers_statement(), {"session_id": session_id})
    for item_id, value, flagged in found:
        label = layout.labels.get(item_id)
        if label is not None and value is not None:
            answers[label] = SavedAnswer(value=value, flagged=bool(flagged))
    ordered = {item.label: answers[item.label] for item in layout.items if item.label in answers}
    return layout, ordered


def _read_room(
    conn: Connection,
    *,
    student_id: int,
    exam_id: int,
    now: datetime,
    with_sheet: bool = True,
    started: Row[Any] | tuple[Any, ...] | None = None,
) -> ExamRoom:
    """The room as the student sees it now; `started`: the room row of a session this
    transaction just made (`start_exam`), instead of reading it again."""
    row = started or _room_row(conn, student_id=student_id, exam_id=exam_id)
    if row is None or row[6] == ExamStatus.DRAFT:
        raise NotFoundError(f"Exam {exam_id} does not exist.")
    (
        _,
        title,
        description,
        duration,
        window_start,
        window_end,
        status,
        session_id,
        started_at,
        deadline,
        submitted_at,
        is_auto,
        pdf_path,
        audience,
        in_audience,
        layout_text,
    ) = row
    if session_id is None and not _may_take(audience, in_audience):
        return _not_for_you(conn, row, now=now)
    phase = _phase(
        status=status,
        window_start=window_start,
        window_end=window_end,
        session_id=session_id,
        deadline=deadline,
        submitted_at=submitted_at,
        now=now,
    )
    items: list[SheetItem] = []
    sections: list[SheetSection] = []
    answers: dict[str, SavedAnswer] = {}
    if with_sheet and phase == RoomPhase.IN_PROGRESS and session_id is not None:
        sheet, answers = _sheet(
            conn, exam_id=exam_id, session_id=session_id, new=started is not None
        )
        items, sections = list(sheet.items), list(sheet.sections)
    elif with_sheet and phase in (RoomPhase.LOBBY, RoomPhase.OPEN):
        sections = _lobby_sections(exam_id, layout_text)
    grace = timedelta(seconds=settings.deadline_grace_seconds)
    overdue = submitted_at is None and deadline is not None and now > deadline
    return ExamRoom(
        now=now,
        exam_id=exam_id,
        title=title,
        description=description,
        duration_minutes=duration,
        window_start=window_start,
        window_end=window_end,
        status=status,
        phase=phase,
        session_id=session_id,
        started_at=started_at,
        deadline=deadline,
        submitted_at=submitted_at,
        is_auto_submitted=bool(is_auto) or overdue,
        seconds_until_start=_seconds(now, window_start),
        seconds_until_end=_seconds(now, window_end),
        seconds_left=_seconds(now, deadline - grace) if deadline is not None else 0,
        seconds_until_deadline=_seconds(now, deadline) if deadline is not None else 0,
        items=items,
        sections=sections,
        answers=answers,
        pdf_path=pdf_path,
    )


def _may_take(audience: str, in_audience: bool) -> bool:
    return audience != ExamAudienceKind.GROUPS or bool(in_audience)


def audience_names(conn: Connection, exam_id: int) -> list[str]:
    """The names of the groups an exam is for (by name)."""
    return list(
        conn.execute(
            select(StudentGroup.name)
            .join(ExamAudience, col(ExamAudience.group_id) == StudentGroup.id)
            .where(ExamAudience.exam_id == exam_id)
            .order_by(StudentGroup.name)
        ).scalars()
    )


def _not_for_you(conn: Connection, row: Row[Any], *, now: datetime) -> ExamRoom:
    """The exam page of a student the exam is not for: its title and whom it is for."""
    exam_id, title, description, duration, window_start, window_end, status = row[:7]
    return ExamRoom(
        now=now,
        exam_id=exam_id,
        title=title,
        description=description,
        duration_minutes=duration,
        window_start=window_start,
        window_end=window_end,
        status=status,
        phase=RoomPhase.NOT_FOR_YOU,
        audience=audience_names(conn, exam_id),
    )


SHEET_PURPOSE = "sheet"
# A save token outlives the deadline a little, so a late save is told "time is up"
# (and the page shows the waiting view) rather than "sign in again".
SHEET_TOKEN_SLACK = timedelta(minutes=10)


def sheet_token(*, student_id: int, exam_id: int, deadline: datetime) -> str:
    """The answer sheet's credential for saving over HTTP (services.tokens), for this
    student and exam until a little past the personal deadline."""
    return make_token(
        SHEET_PURPOSE,
        student_id=student_id,
        exam_id=exam_id,
        expires_at=deadline + SHEET_TOKEN_SLACK,
    )


def check_sheet_token(*, exam_id: int, token: str, now: datetime | None = None) -> int:
    """The student a sheet token was made for; PermissionDeniedError if forged or moved,
    TokenExpiredError once expired."""
    return check_token(
        SHEET_PURPOSE,
        exam_id=exam_id,
        token=token,
        now=now or utcnow(),
        invalid="This answer sheet's credential is not valid: reload the exam page.",
        expired="This answer sheet's credential has expired: reload the exam page.",
    )


def get_exam_room(
    *, student_id: int, exam_id: int, now: datetime | None = None, with_sheet: bool = True
) -> ExamRoom:
    """The exam page of `student_id` for `exam_id`; NotFoundError for a draft or unknown exam.

    `with_sheet=False` leaves out the items and answers (one query: a clock resync).
    """
    now = now or utcnow()
    with connection_scope(readonly=True) as conn:
        return _read_room(
            conn, student_id=student_id, exam_id=exam_id, now=now, with_sheet=with_sheet
        )


def start_exam(*, student_id: int, exam_id: int, now: datetime | None = None) -> ExamRoom:
    """Start the student's session (once; a second start returns the same one) and read the room.

    ExamNotOpenError before the window opens and after it closes; NotFoundError for a draft.
    """
    now = now or utcnow()
    with connection_scope() as conn:
        row = _room_row(conn, student_id=student_id, exam_id=exam_id)
        if row is None or row[6] == ExamStatus.DRAFT:
            raise NotFoundError(f"Exam {exam_id} does not exist.")
        if row[6] == ExamStatus.RELEASED and row[7] is None:
            raise ExamNotOpenError("This exam is not open: its window has closed.")
        if row[7] is None and not _may_take(row[13], row[14]):
            raise PermissionDeniedError(not_for_you_message(audience_names(conn, exam_id)))
        if row[7] is None:
            # One INSERT … ON CONFLICT DO NOTHING: a start in another tab at the same
            # moment leaves one session, and the read below shows it.
            check_startable(row, now)
            values = start_values(row, student_id=student_id, exam_id=exam_id, now=now)
            made = conn.execute(
                start_statement(conn.dialect.name).returning(ExamSession.id), values
            ).first()
            if made is not None:  # this start made it: the room is known, no answers yet
                started = (
                    *row[:7],
                    made[0],  # session_id, started_at, deadline, submitted_at, is_auto
                    values["started_at"],
                    values["deadline"],
                    None,
                    False,
                    *row[12:],
                )
                return _read_room(
                    conn, student_id=student_id, exam_id=exam_id, now=now, started=started
                )
        return _read_room(conn, student_id=student_id, exam_id=exam_id, now=now)


def not_for_you_message(groups: list[str]) -> Msg:
    names = ", ".join(f"«{g}»" for g in groups) or "—"
    return msg(
        "Bu imtihon faqat {groups} guruh(lar)i uchun. O‘qituvchingizdan taklif havolasini so‘rang.",
        "Этот экзамен только для групп: {groups}. Попросите у преподавателя ссылку-приглашение.",
        "This exam is for the groups {groups} only. Ask your teacher for the invite link.",
        groups=names,
    )


def _refusal(spec: ItemSpec, value: object) -> Refusal | None:
    """Why `value` cannot be stored for `spec`, or None when it can."""
    if not isinstance(value, str):
        return Refusal.INVALID
    text = value.strip()
    limit = settings.free_response_max_chars
    if len(text) > limit:
        return Refusal.TOO_LONG
    if spec.kind == ItemKind.MULTIPLE_CHOICE:
        try:
            validate_answer(spec, text, max_chars=limit)
        except ValidationError:
            return Refusal.NOT_AN_OPTION
        return None
    if free_response_problem(text, max_chars=limit):
        return Refusal.TOO_LONG if len(normalize_free_response(text)) > limit else Refusal.INVALID
    return None


def _check_changes(
    items: Mapping[str, tuple[int, ItemSpec]], changes: Mapping[str, AnswerChange]
) -> tuple[dict[str, AnswerChange], dict[str, Refusal], dict[str, tuple[str, ...]]]:
    """Split `changes` into the storable ones (canonical labels) and the refused ones,
    with the options of each refused multiple-choice label (for the refusal's text).

    `items` is the layout's label → (item id, spec) (`sheet_layout`).
    """
    valid: dict[str, AnswerChange] = {}
    rejected: dict[str, Refusal] = {}
    for label, change in changes.items():
        try:
            number, sub_part = parse_label(label)
        except ValidationError:
            rejected[label] = Refusal.UNKNOWN_ITEM
            continue
        found = items.get(f"{number}{sub_part}")
        if found is None:
            rejected[label] = Refusal.UNKNOWN_ITEM
            continue
        spec = found[1]
        if change.flagged is not None and not isinstance(change.flagged, bool):
            rejected[label] = Refusal.INVALID
            continue
        if change.value is not None:
            refusal = _refusal(spec, change.value)
            if refusal is not None:
                rejected[label] = refusal
                continue
        if change.value is None and change.flagged is None:
            continue
        if change.value is not None and has_bidi(change.value):
            # Stored without bidi controls: they would show the answer as another one.
            change = AnswerChange(value=strip_bidi(change.value), flagged=change.flagged)
        valid[spec.label] = change
    options = {
        label: items[label][1].options
        for label in rejected
        if label in items and items[label][1].options
    }
    return valid, rejected, options


def _own_locked_session(conn: Connection, *, student_id: int, exam_id: int) -> LockedSession:
    exam_session = lock_session_of(conn, student_id=student_id, exam_id=exam_id)
    if exam_session is None:
        raise NotFoundError("You have not started this exam.")
    return exam_session


def _store_checked(
    conn: Connection,
    exam_session: LockedSession,
    changes: Mapping[str, AnswerChange],
    now: datetime,
    *,
    device: str | None = None,
    seq: int = 0,
) -> SheetSave:
    """Check each change on its own and store the valid ones (one upsert per row shape).

    With a `device`, the batch is first claimed as that device's newest (one more
    statement); a batch a newer one covers is checked for refusals but stores nothing.
    """
    items = sheet_layout(conn, exam_session.exam_id).by_label if changes else {}
    valid, rejected, options = _check_changes(items, changes)
    covering = None
    if device is not None and changes:
        covering = claim_batch(
            conn, SYNC, session_id=exam_session.id, device=device, seq=seq, now=now
        )
    if covering is not None:
        return SheetSave(accepted=(), stored={}, rejected=rejected, ack=covering, options=options)
    stored = (
        store_answers(conn, exam_session=exam_session, items=items, changes=valid, now=now)
        if valid
        else {}
    )
    return SheetSave(
        accepted=tuple(valid), stored=stored, rejected=rejected, ack=seq, options=options
    )


def save_sheet(
    *,
    student_id: int,
    exam_id: int,
    changes: Mapping[str, AnswerChange],
    device: str | None = None,
    seq: int = 0,
    now: datetime | None = None,
) -> SheetSave:
    """Store the caller's answer changes for this exam; refused labels are reported, not raised.

    `device` + `seq`: the batch's device and seq (see `SheetSync`): a batch
    that a newer one of the same device already covers stores nothing.
    NotFoundError when the caller has no session of this exam; DeadlinePassedError
    after the personal deadline and AlreadySubmittedError after submit (nothing stored).
    """
    now = now or utcnow()
    engine = get_engine()
    if device is not None and changes and engine.dialect.name == "postgresql":
        layout = _cached_layout(engine.pool, exam_id)
        if layout is not None:  # always, once the student's page has shown the sheet
            return _save_in_one_statement(
                engine,
                layout,
                student_id=student_id,
                exam_id=exam_id,
                changes=changes,
                device=device,
                seq=seq,
                now=now,
            )
    with connection_scope() as conn:
        # The session row locked first: a save and a submit of it never interleave.
        exam_session = _own_locked_session(conn, student_id=student_id, exam_id=exam_id)
        check_accepting(exam_session, now)
        return _store_checked(conn, exam_session, changes, now, device=device, seq=seq)


def _save_in_one_statement(
    engine: Engine,
    layout: SheetLayout,
    *,
    student_id: int,
    exam_id: int,
    changes: Mapping[str, AnswerChange],
    device: str,
    seq: int,
    now: datetime,
) -> SheetSave:
    """`save_sheet` on PostgreSQL as one statement on an autocommit connection: one
    round trip to the server instead of five (BEGIN, the lock, the claim, the upsert,
    COMMIT), each of which a saving thread waits for and then waits for the GIL again.

    The same rules as the transaction of `_own_locked_session`, `check_accepting` and
    `_store_checked`: the session row locked first; nothing claimed or stored once
    submitted or past the deadline; the answers stored only when the device's seq
    moved forward. A covered batch reads the covering seq afterwards (rare).
    """
    items = layout.by_label
    valid, rejected, options = _check_changes(items, changes)
    rows, stored = answer_rows(items, valid)
    params: dict[str, Any] = {
        "student_id": student_id,
        "exam_id": exam_id,
        "device": device,
        "seq": seq,
        "now": now,
        "both_items": [],
        "both_values": [],
        "both_flags": [],
        "value_items": [],
        "value_values": [],
        "flag_items": [],
        "flag_flags": [],
    }
    for item_id, row in rows.items():  # by shape: a value and a flag, a value, a flag
        if "value" in row and "is_flagged" in row:
            params["both_items"].append(item_id)
            params["both_values"].append(row["value"])
            params["both_flags"].append(row["is_flagged"])
        elif "value" in row:
            params["value_items"].append(item_id)
            params["value_values"].append(row["value"])
        else:
            params["flag_items"].append(item_id)
            params["flag_flags"].append(row["is_flagged"])
    params["now"] = now.astimezone(UTC)
    row = fetch_one_autocommit(engine, _SAVE_DRIVER_SQL, params)
    if row is None:
        raise NotFoundError("You have not started this exam.")
    found = _SaveFound(*row)
    check_accepting(found, now)
    if found.claimed:
        return SheetSave(
            accepted=tuple(valid), stored=stored, rejected=rejected, ack=seq, options=options
        )
    with engine.connect() as conn:  # a batch a newer one covers (rare): that one's seq
        covering = stored_seq(conn, SYNC, session_id=found.id, device=device)
    return SheetSave(accepted=(), stored={}, rejected=rejected, ack=covering, options=options)


class _SaveFound(NamedTuple):
    """The session `_SAVE_SQL` found (aware datetimes, as psycopg reads them), and
    whether its claim stored the batch."""

    id: int
    submitted_at: datetime | None
    deadline: datetime
    claimed: bool


# The answers are stored only when the claim moved the device's seq forward (they
# join `claim`); the claim only when the session takes answers (`check_accepting`'s
# rule: not submitted, deadline not passed). Answer rows come in three shapes, each
# an upsert of the columns it sets (a new row gets the columns' defaults, as the
# ORM's upsert gives it). Data-modifying WITH parts run once, whether read or not.
_SAVE_SQL = """
WITH s AS (
    SELECT id, submitted_at, deadline
    FROM examsession
    WHERE student_id = :student_id AND exam_id = :exam_id
    FOR UPDATE
), claim AS (
    INSERT INTO sheetsync (session_id, device, seq, updated_at)
    SELECT id, :device, :seq, :now FROM s
    WHERE submitted_at IS NULL AND deadline >= :now
    ON CONFLICT (session_id, device) DO UPDATE
        SET seq = excluded.seq, updated_at = excluded.updated_at
        WHERE sheetsync.seq < excluded.seq
    RETURNING session_id
), both_set AS (
    INSERT INTO answer (session_id, exam_id, item_id, value, is_flagged, saved_at)
    SELECT claim.session_id, :exam_id, v.item_id, v.value, v.flagged, :now
    FROM claim, unnest(
        CAST(:both_items AS integer[]), CAST(:both_values AS varchar[]),
        CAST(:both_flags AS boolean[])
    ) AS v(item_id, value, flagged)
    ON CONFLICT (session_id, item_id) DO UPDATE
        SET value = excluded.value, is_flagged = excluded.is_flagged,
            saved_at = excluded.saved_at
), value_set AS (
    INSERT INTO answer (session_id, exam_id, item_id, value, is_flagged, saved_at)
    SELECT claim.session_id, :exam_id, v.item_id, v.value, false, :now
    FROM claim, unnest(CAST(:value_items AS integer[]), CAST(:value_values AS varchar[]))
        AS v(item_id, value)
    ON CONFLICT (session_id, item_id) DO UPDATE
        SET value = excluded.value, saved_at = excluded.saved_at
), flag_set AS (
    INSERT INTO answer (session_id, exam_id, item_id, value, is_flagged, saved_at)
    SELECT claim.session_id, :exam_id, v.item_id, '', v.flagged, :now
    FROM claim, unnest(CAST(:flag_items AS integer[]), CAST(:flag_flags AS boolean[]))
        AS v(item_id, flagged)
    ON CONFLICT (session_id, item_id) DO UPDATE
        SET is_flagged = excluded.is_flagged, saved_at = excluded.saved_at
)
SELECT s.id, s.submitted_at, s.deadline,
       EXISTS (SELECT 1 FROM claim) AS claimed
FROM s
"""


_SAVE_DRIVER_SQL = driver_sql(_SAVE_SQL)


@dataclass(frozen=True, slots=True)
class SheetSubmit:
    """A submitted session, with what became of the changes sent along."""

    session_id: int
    submitted_at: datetime
    is_auto_submitted: bool
    saved: SheetSave
    late: bool  # it came after the deadline: the changes sent along were not stored
    # Changes were sent along but not stored: it came late, or the session was
    # already submitted (by the clock's sweep or another device). The client must
    # not take them as saved.
    dropped: bool = False


def submit_sheet(
    *,
    student_id: int,
    exam_id: int,
    changes: Mapping[str, AnswerChange],
    auto: bool = False,
    device: str | None = None,
    seq: int = 0,
    now: datetime | None = None,
) -> SheetSubmit:
    """Store the last changes (when still in time) and submit; idempotent.

    `auto`: the client's clock ran out; counted as an auto-submit only when the
    server agrees the time (without the grace) is over. After the deadline the
    changes are dropped and the submit counts as the auto-submit (spec §3.6).
    `device` + `seq` as in `save_sheet`. No room is read: the sheet shows the waiting
    view itself from the answer, and the page reads the room at its next read.
    """
    now = now or utcnow()
    with connection_scope() as conn:
        # The session row locked first, as a save does: the two never interleave.
        exam_session = _own_locked_session(conn, student_id=student_id, exam_id=exam_id)
        saved = NO_SAVE
        submitted_at, is_auto = exam_session.submitted_at, exam_session.is_auto_submitted
        late = submitted_at is None and now > exam_session.deadline
        dropped = bool(changes) and (late or submitted_at is not None)
        if (
            dropped
            and submitted_at is not None
            and submit_retried(conn, SYNC, session_id=exam_session.id, device=device, seq=seq)
        ):  # its first try stored these changes before submitting: not lost, acked
            dropped, saved = False, replace(NO_SAVE, ack=seq)
        if submitted_at is None:
            if not late:
                saved = _store_checked(conn, exam_session, changes, now, device=device, seq=seq)
                grace = timedelta(seconds=settings.deadline_grace_seconds + 5)
                submitted_at, is_auto = now, auto and now >= exam_session.deadline - grace
            else:  # past the deadline: it counts as the clock's submit, at the deadline
                submitted_at, is_auto = exam_session.deadline, True
            conn.execute(
                _submit_statement(),
                {"session_id": exam_session.id, "submitted_at": submitted_at, "auto": is_auto},
            )
        return SheetSubmit(
            session_id=exam_session.id,
            submitted_at=submitted_at,
            is_auto_submitted=is_auto,
            saved=saved,
            late=late,
            dropped=dropped,
        )


@functools.cache
def _submit_statement() -> Any:
    """The locked session submitted (what sessions.submit_locked does, built once)."""
    return (
        update(ExamSession)
        .where(ExamSession.id == bindparam("session_id"))
        .values(
            submitted_at=bindparam("submitted_at"),
            is_auto_submitted=bindparam("auto"),
            status=SessionStatus.SUBMITTED,
        )
    )
