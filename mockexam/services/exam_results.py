"""An exam's results for admins: the live monitor, the results table and the exports.

Every read is one SQL statement: the monitor is conditional aggregates over the
exam's sessions; a results page is one query with the total as a window count;
each export is one query streamed in chunks (`iter_*` yield the file piece by
piece; `export_*` join them into bytes).

Person fit: the release stores each calibrated person's infit and outfit
mean-squares on the session. A row is flagged `person_misfit` when either is
above `PERSON_MISFIT_MNSQ` (underfit: right answers on hard items and wrong
ones on easy items, more than the model expects — guessing, copying,
carelessness). Overfit (too Guttman-like) is not aberrant and is not flagged.
The flag is None where no fit was computed (provisional exams, extreme scores).

Sections: every row carries the session's per-section subtotals
(`ExamSession.section_scores`, aligned with the exam's layout), the page its
`Layout`, and the results export one `<key>_points` and `<key>_exercises`
column per section (plus `<key>_scaled`, the block's own Rasch score, when the
exam has two sections or more): the section points of a row add up to its
points. Times in the export are local (`localtime.local_iso`), the zone in the
header: `submitted_at (Asia/Tashkent, UTC+05:00)`.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import Msg, NotFoundError, msg
from mockexam.localtime import local_iso, utc_offset_text
from mockexam.models import (
    Answer,
    EloHistory,
    Exam,
    ExamItem,
    ExamPhase,
    ExamSession,
    Student,
)
from mockexam.scoring.layout import POINTS, Layout, LayoutError
from mockexam.scoring.points import points_number
from mockexam.services import audit
from mockexam.services.access import Scope
from mockexam.services.exams import exam_layout, exam_phase
from mockexam.services.student_directory import name_expression, search_condition, student_name

logger = logging.getLogger(__name__)

PERSON_MISFIT_MNSQ = 1.5
"""Person infit or outfit mean-square above this flags the row for review (Linacre)."""

EXPORT_CHUNK_ROWS = 2000
"""Rows fetched (and written) per chunk by the streaming exports."""


# ---------------------------------------------------------------------------
# Live monitor
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LiveMonitor:
    """Where an exam's sessions stand right now.

    `started` = in_progress + overdue + submitted. `overdue`: past the personal
    deadline but not yet swept by the auto-submit task (it counts as submitted
    within seconds). `not_started`: registered students without a session;
    `reachable_not_started`: those of them the bot can still message.
    """

    exam_id: int
    phase: ExamPhase
    window_start: datetime
    window_end: datetime
    started: int
    in_progress: int
    overdue: int
    submitted: int
    auto_submitted: int
    not_started: int
    reachable_not_started: int
    students: int
    last_started_at: datetime | None
    last_submitted_at: datetime | None
    as_of: datetime

    @property
    def submitted_fraction(self) -> float:
        """Submitted share of the sessions started (0 when none)."""
        return self.submitted / self.started if self.started else 0.0


def live_monitor(exam_id: int, *, now: datetime | None = None) -> LiveMonitor:
    """Counts of started / in progress / submitted / auto-submitted / not started, in one query."""
    now = now or utcnow()
    s = ExamSession
    not_submitted = col(s.submitted_at).is_(None)
    other, student = aliased(ExamSession), aliased(Student)
    has_session = (
        select(other.id)
        .where(other.exam_id == exam_id, other.student_id == student.id)
        .correlate(student)
        .exists()
    )
    students = select(func.count()).select_from(Student).scalar_subquery()
    reachable_idle = (
        select(func.count())
        .select_from(student)
        .where(col(student.is_reachable).is_(True), ~has_session)
        .scalar_subquery()
    )
    statement = (
        select(
            Exam.status,
            Exam.window_start,
            Exam.window_end,
            func.count(s.id),
            _count_if(and_(not_submitted, s.deadline >= now)),
            _count_if(and_(not_submitted, s.deadline < now)),
            _count_if(col(s.submitted_at).is_not(None)),
            _count_if(and_(col(s.submitted_at).is_not(None), col(s.is_auto_submitted).is_(True))),
            func.max(s.started_at),
            func.max(s.submitted_at),
            students,
            reachable_idle,
        )
        .select_from(Exam)
        .join(s, col(s.exam_id) == Exam.id, isouter=True)
        .where(Exam.id == exam_id)
        .group_by(Exam.id, Exam.status, Exam.window_start, Exam.window_end)
    )
    with session_scope(readonly=True) as db:
        row = db.exec(statement).first()
    if row is None:
        raise NotFoundError(_no_exam(exam_id))
    (status, start, end, started, live, overdue, submitted, auto, last_start, last_submit) = row[
        :10
    ]
    n_students, reachable_not_started = int(row[10]), int(row[11])
    phase = exam_phase(Exam(status=status, window_start=start, window_end=end, title=""), now)
    return LiveMonitor(
        exam_id=exam_id,
        phase=phase,
        window_start=start,
        window_end=end,
        started=int(started),
        in_progress=int(live or 0),
        overdue=int(overdue or 0),
        submitted=int(submitted or 0),
        auto_submitted=int(auto or 0),
        not_started=max(n_students - int(started), 0),
        reachable_not_started=reachable_not_started,
        students=n_students,
        last_started_at=last_start,
        last_submitted_at=last_submit,
        as_of=now,
    )


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ---------------------------------------------------------------------------
# Results table
# ---------------------------------------------------------------------------
class ResultSort(StrEnum):
    """Columns the results table can be sorted by."""

    NAME = "name"
    POINTS = "points"
    EXERCISES = "exercises"
    SCALED = "scaled"  # the grade follows the scaled score
    ELO_CHANGE = "elo_change"
    SUBMITTED_AT = "submitted_at"
    PERSON_FIT = "person_fit"  # the larger of infit and outfit


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One submitted session of the exam."""

    session_id: int
    student_id: int
    telegram_id: int
    name: str
    username: str | None
    status: str
    submitted_at: datetime | None
    is_auto_submitted: bool
    points: float | None  # int when whole (points_number)
    max_points: float | None
    exercises: int | None
    max_exercises: int | None
    scaled_score: float | None
    scaled_score_se: float | None
    is_provisional: bool
    grade: str | None
    theta: float | None
    theta_se: float | None
    elo_before: float | None
    elo_after: float | None
    person_infit: float | None
    person_outfit: float | None
    is_extreme: bool
    # Per layout section: {"points", "max_points", "exercises", "max_exercises"[, "theta",
    # "theta_se", "scaled", "scaled_se"]}; empty until graded.
    section_scores: tuple[dict[str, Any], ...] = ()

    def section_points(self, index: int) -> float | None:
        """The points of section `index` (None: not graded, or no such section)."""
        entry = self.section_scores[index] if index < len(self.section_scores) else {}
        return points_number(entry.get("points"))

    @property
    def elo_change(self) -> float | None:
        if self.elo_before is None or self.elo_after is None:
            return None
        return self.elo_after - self.elo_before

    @property
    def person_misfit(self) -> bool | None:
        """Underfit above PERSON_MISFIT_MNSQ; None where no fit was computed."""
        fits = [f for f in (self.person_infit, self.person_outfit) if f is not None]
        if not fits:
            return None
        return max(fits) > PERSON_MISFIT_MNSQ


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """A page of the results table and the number of rows over all pages."""

    exam_id: int
    rows: tuple[ResultRow, ...]
    total: int
    layout: Layout
    sort: ResultSort
    descending: bool
    limit: int
    offset: int


_ROW_COLUMNS = (
    ExamSession.id,
    ExamSession.student_id,
    Student.telegram_id,
    Student.first_name,
    Student.last_name,
    Student.username,
    Student.full_name,
    ExamSession.status,
    ExamSession.submitted_at,
    ExamSession.is_auto_submitted,
    ExamSession.points,
    ExamSession.max_points,
    ExamSession.exercises,
    ExamSession.max_exercises,
    ExamSession.scaled_score,
    ExamSession.scaled_score_se,
    ExamSession.is_provisional,
    ExamSession.grade,
    ExamSession.theta,
    ExamSession.theta_se,
    EloHistory.elo_before,
    EloHistory.elo_after,
    ExamSession.person_infit,
    ExamSession.person_outfit,
    ExamSession.is_extreme,
    ExamSession.section_scores,
)


def _sort_key(sort: ResultSort) -> Any:
    if sort == ResultSort.NAME:
        return name_expression()
    if sort == ResultSort.POINTS:
        return ExamSession.points
    if sort == ResultSort.EXERCISES:
        return ExamSession.exercises
    if sort == ResultSort.SCALED:
        return ExamSession.scaled_score
    if sort == ResultSort.ELO_CHANGE:
        return EloHistory.elo_after - EloHistory.elo_before
    if sort == ResultSort.SUBMITTED_AT:
        return ExamSession.submitted_at
    # Larger of the two mean-squares (either may be null).
    infit, outfit = col(ExamSession.person_infit), col(ExamSession.person_outfit)
    return case(
        (infit.is_(None), outfit),
        (outfit.is_(None), infit),
        (infit > outfit, infit),
        else_=outfit,
    )


_EVERYONE = Scope.everything()


def _results_statement(exam_id: int, search: str | None, scope: Scope = _EVERYONE) -> Any:
    statement = (
        select(*_ROW_COLUMNS)
        .join(Student, col(Student.id) == ExamSession.student_id)
        .join(EloHistory, col(EloHistory.session_id) == ExamSession.id, isouter=True)
        .where(
            ExamSession.exam_id == exam_id,
            col(ExamSession.submitted_at).is_not(None),
            scope.student_filter(ExamSession.student_id),
        )
    )
    if search and search.strip():
        statement = statement.where(search_condition(search))
    return statement


def _row(values: Sequence[Any]) -> ResultRow:
    (
        session_id,
        student_id,
        telegram_id,
        first,
        last,
        username,
        full_name,
        status,
        submitted_at,
        auto,
        points,
        max_points,
        exercises,
        max_exercises,
        scaled,
        scaled_se,
        provisional,
        grade,
        theta,
        theta_se,
        elo_before,
        elo_after,
        infit,
        outfit,
        extreme,
        sections,
    ) = values
    name = student_name(first, last, username, telegram_id, full_name)
    return ResultRow(
        session_id=session_id,
        student_id=student_id,
        telegram_id=telegram_id,
        name=name,
        username=username,
        status=status,
        submitted_at=submitted_at,
        is_auto_submitted=bool(auto),
        points=points_number(points),
        max_points=points_number(max_points),
        exercises=exercises,
        max_exercises=max_exercises,
        scaled_score=scaled,
        scaled_score_se=scaled_se,
        is_provisional=bool(provisional),
        grade=grade,
        theta=theta,
        theta_se=theta_se,
        elo_before=elo_before,
        elo_after=elo_after,
        person_infit=infit,
        person_outfit=outfit,
        is_extreme=bool(extreme),
        section_scores=tuple(e if isinstance(e, dict) else {} for e in sections or ()),
    )


def results_table(
    exam_id: int,
    *,
    sort: ResultSort | str = ResultSort.POINTS,
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    search: str | None = None,
    scope: Scope = _EVERYONE,
) -> ResultsPage:
    """One page of the exam's submitted sessions, sorted (nulls last either way), with the total.

    Ties are broken by the session id, so pages never overlap. `search` matches
    a part of the name or username, or a telegram id. `scope` keeps the students an
    account may see (a teacher's groups, or the one group chosen in the filter).
    """
    sort = ResultSort(sort)
    limit = max(1, min(int(limit), 1000))
    offset = max(0, int(offset))
    key = _sort_key(sort)
    order = key.desc() if descending else key.asc()
    statement = (
        _results_statement(exam_id, search, scope)
        .add_columns(func.count().over())
        .order_by(order.nulls_last(), col(ExamSession.id).asc())
        .limit(limit)
        .offset(offset)
    )
    with session_scope(readonly=True) as db:
        layout = _layout(_require_exam(db, exam_id))
        fetched = db.exec(statement).all()
        if fetched:
            total = int(fetched[0][-1])
        else:
            total = int(
                db.exec(
                    select(func.count()).select_from(
                        _results_statement(exam_id, search, scope).subquery()
                    )
                ).one()
            )
    return ResultsPage(
        exam_id=exam_id,
        rows=tuple(_row(r[:-1]) for r in fetched),
        total=total,
        layout=layout,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
    )


def _stream(db: Session, statement: Any) -> Any:
    """Plain rows in chunks of EXPORT_CHUNK_ROWS (a server-side cursor on PostgreSQL)."""
    return db.connection().execution_options(yield_per=EXPORT_CHUNK_ROWS).execute(statement)


def _layout(exam: Exam) -> Layout:
    """The exam's layout; a stored one that no longer passes the checks (never written so)
    gives no section columns rather than no results."""
    try:
        return exam_layout(exam)
    except LayoutError:
        logger.warning("exam %s: its stored layout is not valid; results without sections", exam.id)
        return Layout(template="custom", sections=())


def _no_exam(exam_id: int) -> Msg:
    """The refusal for an exam id that does not exist, in uz/ru/en."""
    return msg(
        "{exam_id}-imtihon mavjud emas.",
        "Экзамена {exam_id} не существует.",
        "Exam {exam_id} does not exist.",
        exam_id=exam_id,
    )


def _require_exam(db: Session, exam_id: int) -> Exam:
    exam = db.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(_no_exam(exam_id))
    return exam


# ---------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------
RESULT_COLUMNS = (
    "rank",
    "student_id",
    "telegram_id",
    "name",
    "username",
    "points",
    "max_points",
    "exercises",
    "max_exercises",
    "scaled_score",
    "scaled_score_se",
    "provisional",
    "grade",
    "theta",
    "theta_se",
    "elo_before",
    "elo_after",
    "elo_change",
    "auto_submitted",
    "submitted_at",
    "person_infit",
    "person_outfit",
    "person_misfit",
)
"""The results export's columns (CSV and Excel) before the section columns are put in after
`max_exercises` and the zone is added to `submitted_at` (`result_columns`)."""

_SECTIONS_AFTER = RESULT_COLUMNS.index("max_exercises") + 1


def _with_blocks(layout: Layout) -> bool:
    """Whether the export has a `<key>_scaled` column per section (blocks measured on their own)."""
    return len(layout.sections) >= 2


def result_columns(layout: Layout) -> list[str]:
    """The header of an exam's results export: RESULT_COLUMNS, then per section of the layout
    `<key>_points`, `<key>_exercises` (and `<key>_scaled` when it has two sections or more),
    and `submitted_at (<zone>)`."""
    per_section = []
    for section in layout.sections:
        per_section += [f"{section.key}_points", f"{section.key}_exercises"]
        if _with_blocks(layout):
            per_section.append(f"{section.key}_scaled")
    columns = [
        f"submitted_at ({settings.local_timezone}, {utc_offset_text()})"
        if name == "submitted_at"
        else name
        for name in RESULT_COLUMNS
    ]
    return [*columns[:_SECTIONS_AFTER], *per_section, *columns[_SECTIONS_AFTER:]]


def _section_cells(layout: Layout, row: ResultRow) -> list[Any]:
    cells: list[Any] = []
    for index in range(len(layout.sections)):
        entry = row.section_scores[index] if index < len(row.section_scores) else {}
        cells += [points_number(entry.get("points")), entry.get("exercises")]
        if _with_blocks(layout):
            scaled = entry.get("scaled")
            cells.append(None if scaled is None else round(float(scaled), 2))
    return cells


def _result_cells(rank: int, row: ResultRow, layout: Layout) -> list[Any]:
    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    cells = [
        rank,
        row.student_id,
        row.telegram_id,
        row.name,
        row.username,
        row.points,
        row.max_points,
        row.exercises,
        row.max_exercises,
        rounded(row.scaled_score, 2),
        rounded(row.scaled_score_se, 2),
        int(row.is_provisional),
        row.grade,
        rounded(row.theta, 4),
        rounded(row.theta_se, 4),
        rounded(row.elo_before, 1),
        rounded(row.elo_after, 1),
        rounded(row.elo_change, 1),
        int(row.is_auto_submitted),
        local_iso(row.submitted_at) if row.submitted_at else None,
        rounded(row.person_infit, 3),
        rounded(row.person_outfit, 3),
        None if row.person_misfit is None else int(row.person_misfit),
    ]
    return [*cells[:_SECTIONS_AFTER], *_section_cells(layout, row), *cells[_SECTIONS_AFTER:]]


def _export_order(layout: Layout) -> tuple[Any, ...]:
    """Best first by the layout's official score (points for DTM), then the other score."""
    scores = [col(ExamSession.scaled_score), col(ExamSession.points)]
    if layout.official_score == POINTS:
        scores.reverse()
    return (*(score.desc().nulls_last() for score in scores), col(ExamSession.id).asc())


def iter_results_rows(exam_id: int, scope: Scope = _EVERYONE) -> Iterator[list[Any]]:
    """The results export as rows of cells (header first: `result_columns`), best first,
    streamed in chunks; only the students in `scope`."""
    with session_scope(readonly=True) as db:
        layout = _layout(_require_exam(db, exam_id))
        yield result_columns(layout)
        statement = _results_statement(exam_id, None, scope).order_by(*_export_order(layout))
        result = _stream(db, statement)
        for rank, values in enumerate(result, start=1):
            yield _result_cells(rank, _row(values), layout)


def iter_response_matrix_rows(exam_id: int, scope: Scope = _EVERYONE) -> Iterator[list[Any]]:
    """The 0/1 response matrix as rows of cells (header first), one row per submitted session.

    Columns: session_id, student_id, telegram_id, name, then one per item label
    in sheet order, then points. A cell is 1 (right) or 0 (wrong or left
    unanswered: unanswered scores 0); it is empty for an item the admin
    excluded (never administered) and for a session not graded yet. One query
    (sessions LEFT JOIN their right answers, in session order), streamed.
    """
    with session_scope(readonly=True) as db:
        _require_exam(db, exam_id)
        items = list(
            db.exec(
                select(ExamItem.id, ExamItem.number, ExamItem.sub_part, ExamItem.is_excluded)
                .where(ExamItem.exam_id == exam_id)
                .order_by(ExamItem.position)
            )
        )
        yield [
            "session_id",
            "student_id",
            "telegram_id",
            "name",
            *(f"{number}{sub}" for _id, number, sub, _x in items),
            "points",
        ]
        column_of = {item_id: c for c, (item_id, *_rest) in enumerate(items)}
        statement = (
            select(
                ExamSession.id,
                ExamSession.student_id,
                Student.telegram_id,
                Student.first_name,
                Student.last_name,
                Student.username,
                Student.full_name,
                ExamSession.graded_at,
                ExamSession.points,
                Answer.item_id,
            )
            .join(Student, col(Student.id) == ExamSession.student_id)
            .join(
                Answer,
                and_(col(Answer.session_id) == ExamSession.id, col(Answer.is_correct).is_(True)),
                isouter=True,
            )
            .where(
                ExamSession.exam_id == exam_id,
                col(ExamSession.submitted_at).is_not(None),
                scope.student_filter(ExamSession.student_id),
            )
            .order_by(col(ExamSession.id))
        )
        head: list[Any] | None = None
        cells: list[Any] = []
        for (
            session_id,
            student_id,
            telegram_id,
            first,
            last,
            username,
            full_name,
            graded,
            points,
            item_id,
        ) in _stream(db, statement):
            if head is None or head[0] != session_id:
                if head is not None:
                    yield [*head[:4], *cells, head[4]]
                name = student_name(first, last, username, telegram_id, full_name)
                head = [session_id, student_id, telegram_id, name, points_number(points)]
                cells = [None if graded is None or item[3] else 0 for item in items]
            c = column_of.get(item_id) if item_id is not None else None
            if c is not None and cells[c] is not None:
                cells[c] = 1
        if head is not None:
            yield [*head[:4], *cells, head[4]]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading quote (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte-order mark (Excel then reads Cyrillic and Uzbek names right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff".encode()
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if cell is None else _cell(cell) for cell in row])
        if n % EXPORT_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx(rows: Iterable[list[Any]], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append([_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def iter_results_csv(exam_id: int, scope: Scope = _EVERYONE) -> Iterator[bytes]:
    """The results CSV, chunk by chunk (for a streaming response)."""
    return csv_chunks(iter_results_rows(exam_id, scope))


def iter_response_matrix_csv(exam_id: int, scope: Scope = _EVERYONE) -> Iterator[bytes]:
    """The 0/1 response matrix CSV, chunk by chunk (for a streaming response)."""
    return csv_chunks(iter_response_matrix_rows(exam_id, scope))


def export_results_csv(exam_id: int, scope: Scope = _EVERYONE) -> bytes:
    """Results of every submitted session, best first (columns: RESULT_COLUMNS)."""
    return b"".join(iter_results_csv(exam_id, scope))


def export_results_xlsx(exam_id: int, scope: Scope = _EVERYONE) -> bytes:
    """The results export as an Excel workbook (one sheet, "Results")."""
    return _xlsx(iter_results_rows(exam_id, scope), "Results")


def export_response_matrix_csv(exam_id: int, scope: Scope = _EVERYONE) -> bytes:
    """Students × items, 1/0 (unanswered = 0; excluded item or ungraded session = empty)."""
    return b"".join(iter_response_matrix_csv(exam_id, scope))


def export_response_matrix_xlsx(exam_id: int, scope: Scope = _EVERYONE) -> bytes:
    """The response matrix as an Excel workbook (one sheet, "Responses")."""
    return _xlsx(iter_response_matrix_rows(exam_id, scope), "Responses")


class ExportFile(StrEnum):
    """The exports an admin can download, by file name (kind and format)."""

    RESULTS_CSV = "results.csv"
    RESULTS_XLSX = "results.xlsx"
    RESPONSES_CSV = "responses.csv"
    RESPONSES_XLSX = "responses.xlsx"
    COPYING_CSV = "copying.csv"  # the flagged pairs (services/copying.py): admins only


def record_export(
    *, exam_id: int, file: ExportFile, admin_id: int | None, scope: Scope = _EVERYONE
) -> None:
    """Note in the audit log that an admin is downloading an export (NotFoundError: no such exam),
    and of which groups' students when it is not of everyone."""
    details: dict[str, object] = {"file": file.value}
    if scope.group_ids is not None:
        details["groups"] = sorted(scope.group_ids)
    with session_scope() as db:
        _require_exam(db, exam_id)
        audit.record(
            db,
            admin_id=admin_id,
            action="exam.export",
            entity="exam",
            entity_id=exam_id,
            details=details,
        )
