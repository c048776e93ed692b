"""A student's own exams: the history list, one session's full results, the Elo series.

Every function takes the caller's `student_id` and returns only that
student's data. Scores, grades and Elo appear only once the exam is released
(spec §3.7); one session's item-by-item results are for its owner only, and
only after release.

A released session's results follow the exam's layout: `SessionResults.sections`
holds each section's title, exercise numbers and the student's subtotal (and
the block's own Rasch score where it was measured); `official_score` says what
the result shows first (the points of a DTM block test, the scaled score of the
certificate). Points are floats in 0.01 steps (143.7/189).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.errors import NotFoundError, PermissionDeniedError, msg
from mockexam.localtime import local_text
from mockexam.models import (
    Answer,
    EloHistory,
    Exam,
    ExamItem,
    ExamSession,
    ExamStatus,
    LinkStatus,
    SessionStatus,
    Student,
)
from mockexam.scoring.grading import grade_item
from mockexam.scoring.layout import SCALED, Layout, LayoutError
from mockexam.scoring.points import points_number
from mockexam.services.exams import exam_layout, item_spec

T = TypeVar("T")


def require_student(session: Session, *, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None:
        raise NotFoundError(
            msg(
                "Bunday o‘quvchi yo‘q: ilovani Telegram botidan oching.",
                "Такого ученика нет: откройте приложение из Telegram-бота.",
                "This student does not exist: open the app from the Telegram bot.",
            )
        )
    return student


def calibrated_only(value: T | None, *, is_provisional: bool) -> T | None:
    """A result's grade or scaled-score SE as the student is shown it: None while provisional.

    A provisional release (fewer takers than the calibration minimum) has a percentage of
    points for its 0–100 score: no SE was measured, a percentile grade would rank a handful
    of people (A+ for 12.7/100 among three) and the fixed bands are set on the Rasch scale,
    which a percentage is not. So neither scheme's grade is shown until it is calibrated.
    """
    return None if is_provisional else value


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One exam the student took. Result fields are None until the exam is released; a
    provisional result has no grade and no SE (`calibrated_only`)."""

    session_id: int
    exam_id: int
    exam_title: str
    exam_date: datetime  # window start
    status: SessionStatus  # in progress / submitted (waiting) / released
    submitted_at: datetime | None
    is_auto_submitted: bool
    points: float | None  # 143.7 (points_number: 55, not 55.0)
    max_points: float | None
    exercises: int | None
    max_exercises: int | None
    scaled_score: float | None
    scaled_score_se: float | None
    grade: str | None
    is_provisional: bool
    elo_before: float | None
    elo_after: float | None
    official_score: str = SCALED  # what the result shows first: "scaled" or "points"
    # On the item bank's linked scale (the exam defined it or was linked to it): its scaled
    # score compares with other weeks' (services/linking.py). False before release.
    on_common_scale: bool = False

    @property
    def is_released(self) -> bool:
        return self.status == SessionStatus.RELEASED

    @property
    def elo_change(self) -> float | None:
        if self.elo_before is None or self.elo_after is None:
            return None
        return self.elo_after - self.elo_before


_ENTRY_COLUMNS = (
    ExamSession.id,
    ExamSession.exam_id,
    Exam.title,
    Exam.window_start,
    Exam.status,
    ExamSession.status,
    ExamSession.submitted_at,
    ExamSession.is_auto_submitted,
    ExamSession.points,
    ExamSession.max_points,
    ExamSession.exercises,
    ExamSession.max_exercises,
    ExamSession.scaled_score,
    ExamSession.scaled_score_se,
    ExamSession.grade,
    ExamSession.is_provisional,
    EloHistory.elo_before,
    EloHistory.elo_after,
    Exam.layout,
    Exam.link_status,
)


def _entries_statement(student_id: int) -> Any:
    return (
        select(*_ENTRY_COLUMNS)
        .join(Exam, col(Exam.id) == ExamSession.exam_id)
        .join(EloHistory, col(EloHistory.session_id) == ExamSession.id, isouter=True)
        .where(ExamSession.student_id == student_id)
    )


def _entry(row: Any) -> HistoryEntry:
    (
        session_id,
        exam_id,
        title,
        window_start,
        exam_status,
        status,
        submitted_at,
        auto,
        points,
        max_points,
        exercises,
        max_exercises,
        scaled,
        scaled_se,
        grade,
        provisional,
        elo_before,
        elo_after,
        layout,
        link_status,
    ) = row
    released = status == SessionStatus.RELEASED and exam_status == ExamStatus.RELEASED
    if not released and status == SessionStatus.RELEASED:
        status = SessionStatus.SUBMITTED
    return HistoryEntry(
        session_id=session_id,
        exam_id=exam_id,
        exam_title=title,
        exam_date=window_start,
        status=SessionStatus(status),
        submitted_at=submitted_at,
        is_auto_submitted=bool(auto),
        points=points_number(points) if released else None,
        max_points=points_number(max_points) if released else None,
        exercises=exercises if released else None,
        max_exercises=max_exercises if released else None,
        scaled_score=scaled if released else None,
        scaled_score_se=calibrated_only(scaled_se, is_provisional=bool(provisional))
        if released
        else None,
        grade=calibrated_only(grade, is_provisional=bool(provisional)) if released else None,
        is_provisional=bool(provisional) if released else False,
        elo_before=elo_before if released else None,
        elo_after=elo_after if released else None,
        official_score=(layout or {}).get("official_score") or SCALED,
        on_common_scale=released and link_status in (LinkStatus.ORIGIN, LinkStatus.LINKED),
    )


def get_history(*, student_id: int) -> list[HistoryEntry]:
    """Every exam the student started, newest first; scores only for released ones."""
    with session_scope(readonly=True) as session:
        require_student(session, student_id=student_id)
        rows = session.exec(
            _entries_statement(student_id).order_by(col(Exam.window_start).desc())
        ).all()
    return [_entry(row) for row in rows]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item of a released session: the student's answer, the accepted ones, right or wrong."""

    label: str
    number: int
    sub_part: str
    kind: str
    options: tuple[str, ...]
    answer: str | None  # None: left blank
    accepted_answers: tuple[str, ...]
    points: float
    is_excluded: bool  # removed from scoring by the admin: neither right nor wrong
    is_correct: bool | None  # None only for excluded items
    is_flagged: bool
    section: int = 0  # index into SessionResults.sections


@dataclass(frozen=True, slots=True)
class SectionResult:
    """One section of the sheet and the student's subtotal in it (None: not graded)."""

    index: int
    key: str
    titles: dict[str, str]  # uz/ru/en (uz always)
    subject: str
    first: int  # exercise numbers first … last
    last: int
    item_points: float  # points of each item (each part)
    points: float | None
    max_points: float | None
    exercises: int | None
    max_exercises: int | None
    scaled: float | None  # the block's own Rasch score (0–100), where it was measured
    scaled_se: float | None

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.titles.get("uz") or self.key


@dataclass(frozen=True, slots=True)
class SessionResults:
    """A released session in full: the summary (as in the history), its sections, every item."""

    entry: HistoryEntry
    items: list[ItemResult]
    released_at: datetime | None
    sections: list[SectionResult] = field(default_factory=list)


def section_results(layout: Layout, scores: list[dict[str, Any]] | None) -> list[SectionResult]:
    """The layout's sections with the subtotals of `scores` (`ExamSession.section_scores`)."""
    out = []
    for index, (section, first) in enumerate(zip(layout.sections, layout.firsts(), strict=True)):
        entry = scores[index] if scores and index < len(scores) else {}
        entry = entry if isinstance(entry, dict) else {}
        out.append(
            SectionResult(
                index=index,
                key=section.key,
                titles=dict(section.titles),
                subject=section.subject,
                first=first,
                last=first + section.count - 1,
                item_points=points_number(section.points) or 0,
                points=points_number(entry.get("points")),
                max_points=points_number(entry.get("max_points")),
                exercises=entry.get("exercises"),
                max_exercises=entry.get("max_exercises"),
                scaled=entry.get("scaled"),
                scaled_se=entry.get("scaled_se"),
            )
        )
    return out


def get_session_results(*, student_id: int, session_id: int) -> SessionResults:
    """One session's results, for its owner, once the exam is released.

    NotFoundError: no such session, or not the caller's (the two are not told
    apart). PermissionDeniedError: the caller's, but results are not out yet.
    """
    with session_scope(readonly=True) as session:
        row = session.exec(
            _entries_statement(student_id).where(ExamSession.id == session_id)
        ).first()
        if row is None:
            raise NotFoundError(
                msg(
                    "Bunday natija yo‘q yoki u sizga tegishli emas.",
                    "Такого результата нет, или он принадлежит не вам.",
                    "This exam result does not exist or is not yours.",
                )
            )
        entry = _entry(row)
        exam = session.get(Exam, entry.exam_id)
        if not entry.is_released:
            raise PermissionDeniedError(
                msg(
                    "“{title}” natijalari imtihon oynasi yopilgandan keyin e’lon qilinadi "
                    "({end}, {zone}).",
                    "Результаты «{title}» появятся после закрытия окна экзамена ({end}, {zone}).",
                    "Results of “{title}” come out after the exam window closes ({end}, {zone}).",
                    title=entry.exam_title,
                    end=local_text(exam.window_end),
                    zone=settings.local_timezone,
                )
            )
        released_at, scores = session.exec(
            select(ExamSession.released_at, ExamSession.section_scores).where(
                ExamSession.id == session_id
            )
        ).one()
        try:
            layout = exam_layout(exam)
        except LayoutError:
            layout = None
        items_and_answers = session.exec(
            select(ExamItem, Answer)
            .join(
                Answer,
                (col(Answer.item_id) == ExamItem.id) & (col(Answer.session_id) == session_id),
                isouter=True,
            )
            .where(ExamItem.exam_id == entry.exam_id)
            .order_by(ExamItem.position)
        ).all()
        items = []
        for item, answer in items_and_answers:
            value = answer.value if answer is not None and answer.value else None
            accepted = tuple(item.accepted_answers)
            if item.is_excluded:
                correct = None
            elif answer is not None and answer.is_correct is not None:
                correct = bool(answer.is_correct)
            else:
                correct = value is not None and grade_item(item_spec(item), accepted, value)
            items.append(
                ItemResult(
                    label=item.label,
                    number=item.number,
                    sub_part=item.sub_part,
                    kind=item.kind,
                    options=tuple(item.options),
                    answer=value,
                    accepted_answers=accepted,
                    points=points_number(item.points) or 0,
                    is_excluded=item.is_excluded,
                    is_correct=correct,
                    is_flagged=bool(answer.is_flagged) if answer is not None else False,
                    section=item.section,
                )
            )
    sections = section_results(layout, scores) if layout is not None else []
    return SessionResults(entry=entry, items=items, released_at=released_at, sections=sections)


@dataclass(frozen=True, slots=True)
class EloPoint:
    """The rating after one released exam."""

    exam_id: int
    exam_title: str
    date: datetime  # when the exam's results (and this rating) came out
    elo_before: float
    elo_after: float
    on_common_scale: bool = False  # the exam was rated on the item bank's linked scale


@dataclass(frozen=True, slots=True)
class EloSeries:
    """The student's Elo over time, oldest first, for the trend chart."""

    points: list[EloPoint]

    @property
    def start(self) -> float | None:
        return self.points[0].elo_before if self.points else None

    @property
    def current(self) -> float | None:
        return self.points[-1].elo_after if self.points else None


def get_elo_series(*, student_id: int) -> EloSeries:
    """Elo before and after each released exam, oldest first."""
    with session_scope(readonly=True) as session:
        require_student(session, student_id=student_id)
        rows = session.exec(
            select(
                EloHistory.exam_id,
                Exam.title,
                EloHistory.created_at,
                EloHistory.elo_before,
                EloHistory.elo_after,
                col(Exam.elo_anchor).is_not(None),
            )
            .join(Exam, col(Exam.id) == EloHistory.exam_id)
            .where(EloHistory.student_id == student_id)
            .order_by(EloHistory.created_at, Exam.window_start)
        ).all()
    return EloSeries(
        points=[
            EloPoint(
                exam_id=e,
                exam_title=t,
                date=d,
                elo_before=b,
                elo_after=a,
                on_common_scale=bool(linked),
            )
            for e, t, d, b, a, linked in rows
        ]
    )
