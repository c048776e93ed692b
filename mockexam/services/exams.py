"""Exam lifecycle: create, edit, publish, delete, answer keys.

Rules (spec §3): windows of two published exams never overlap; once any
student has started, window and duration are locked; an exam with sessions
cannot be deleted; results are released only after the window closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import (
    ExamLockedError,
    NotFoundError,
    ScheduleConflictError,
    ValidationError,
)
from mockexam.models import (
    Exam,
    ExamItem,
    ExamPhase,
    ExamSession,
    ExamStatus,
    GradingScheme,
    ItemKind,
)
from mockexam.scoring.answer_key import parse_answer_key
from mockexam.scoring.grading import ItemSpec, default_layout, validate_answer
from mockexam.services import audit

MAX_DURATION_MINUTES = 24 * 60


def exam_phase(exam: Exam, now: datetime | None = None) -> ExamPhase:
    """What the exam is right now: draft, scheduled, open, closed or released."""
    now = now or utcnow()
    if exam.status == ExamStatus.DRAFT:
        return ExamPhase.DRAFT
    if exam.status == ExamStatus.RELEASED:
        return ExamPhase.RELEASED
    if now < exam.window_start:
        return ExamPhase.SCHEDULED
    if now < exam.window_end:
        return ExamPhase.OPEN
    return ExamPhase.CLOSED


def item_spec(item: ExamItem) -> ItemSpec:
    return ItemSpec(
        number=item.number,
        sub_part=item.sub_part,
        kind=item.kind,
        options=tuple(item.options),
        points=item.points,
    )


def get_exam(session: Session, exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(f"Exam {exam_id} does not exist.")
    return exam


def get_items(session: Session, exam_id: int) -> list[ExamItem]:
    return list(
        session.exec(
            select(ExamItem).where(ExamItem.exam_id == exam_id).order_by(ExamItem.position)
        )
    )


def session_count(session: Session, exam_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(ExamSession).where(ExamSession.exam_id == exam_id)
    ).one()


def _check_fields(
    *,
    title: str,
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int,
    grading_scheme: str,
) -> None:
    if not title.strip():
        raise ValidationError("The exam needs a title.")
    if len(title) > 200:
        raise ValidationError("The title is longer than 200 characters.")
    if window_end <= window_start:
        raise ValidationError("The window must end after it starts.")
    if not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(f"Duration must be between 1 and {MAX_DURATION_MINUTES} minutes.")
    if grading_scheme not in {s.value for s in GradingScheme}:
        raise ValidationError(
            f"Unknown grading scheme {grading_scheme!r}: use 'percentile' or 'fixed_bands'."
        )


def _check_no_overlap(session: Session, exam: Exam) -> None:
    """Refuse if another published (or released) exam's window overlaps this one's."""
    other = session.exec(
        select(Exam).where(
            Exam.id != exam.id,
            Exam.status != ExamStatus.DRAFT,
            Exam.window_start < exam.window_end,
            Exam.window_end > exam.window_start,
        )
    ).first()
    if other is not None:
        raise ScheduleConflictError(
            f"The window overlaps the published exam “{other.title}” "
            f"({other.window_start:%Y-%m-%d %H:%M}–{other.window_end:%Y-%m-%d %H:%M} UTC). "
            "Windows of two published exams may not overlap."
        )


def create_exam(
    session: Session,
    *,
    title: str,
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int | None = None,
    grading_scheme: str = GradingScheme.PERCENTILE,
    description: str = "",
    layout: Sequence[ItemSpec] | None = None,
    admin_id: int | None = None,
) -> Exam:
    """Create a draft exam with its answer-sheet items (the default 45/55 layout)."""
    duration = settings.default_duration_minutes if duration_minutes is None else duration_minutes
    _check_fields(
        title=title,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration,
        grading_scheme=grading_scheme,
    )
    specs = list(layout) if layout is not None else default_layout()
    if not specs:
        raise ValidationError("The answer sheet needs at least one item.")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValidationError("The layout lists the same item twice.")
    exam = Exam(
        title=title.strip(),
        description=description,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration,
        grading_scheme=grading_scheme,
    )
    session.add(exam)
    session.flush()
    for position, spec in enumerate(specs):
        session.add(
            ExamItem(
                exam_id=exam.id,
                position=position,
                number=spec.number,
                sub_part=spec.sub_part,
                kind=spec.kind,
                options=list(spec.options),
                points=spec.points,
            )
        )
    audit.record(
        session,
        admin_id=admin_id,
        action="exam.create",
        entity="exam",
        entity_id=exam.id,
        details={"title": exam.title},
    )
    session.flush()
    return exam


def update_exam(
    session: Session,
    exam_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    duration_minutes: int | None = None,
    grading_scheme: str | None = None,
    pdf_path: str | None = None,
    admin_id: int | None = None,
) -> Exam:
    """Edit an exam. Window and duration are locked once any student has started."""
    exam = get_exam(session, exam_id)
    if exam.status == ExamStatus.RELEASED:
        raise ExamLockedError("Results of this exam are released; it can no longer be edited.")
    changes: dict[str, object] = {}
    schedule_change = any(
        new is not None and new != old
        for new, old in (
            (window_start, exam.window_start),
            (window_end, exam.window_end),
            (duration_minutes, exam.duration_minutes),
        )
    )
    if schedule_change and session_count(session, exam_id) > 0:
        raise ExamLockedError(
            "Students have already started this exam, so its window and duration are locked."
        )
    new_values = {
        "title": title.strip() if title is not None else exam.title,
        "window_start": exam.window_start if window_start is None else window_start,
        "window_end": exam.window_end if window_end is None else window_end,
        "duration_minutes": (
            exam.duration_minutes if duration_minutes is None else duration_minutes
        ),
        "grading_scheme": exam.grading_scheme if grading_scheme is None else grading_scheme,
    }
    _check_fields(**new_values)
    for name, value in {**new_values, "description": description, "pdf_path": pdf_path}.items():
        if value is not None and getattr(exam, name) != value:
            changes[name] = str(value)
            setattr(exam, name, value)
    if exam.status != ExamStatus.DRAFT and schedule_change:
        _check_no_overlap(session, exam)
    exam.updated_at = utcnow()
    session.add(exam)
    if changes:
        audit.record(
            session,
            admin_id=admin_id,
            action="exam.edit",
            entity="exam",
            entity_id=exam.id,
            details=changes,
        )
    session.flush()
    return exam


def publish_exam(
    session: Session, exam_id: int, *, admin_id: int | None = None, now: datetime | None = None
) -> Exam:
    """Publish a draft: complete answer key, a window still ahead, no overlap."""
    now = now or utcnow()
    exam = get_exam(session, exam_id)
    if exam.status != ExamStatus.DRAFT:
        raise ExamLockedError("This exam is already published.")
    if exam.window_end <= now:
        raise ValidationError("The window has already ended; move it into the future first.")
    missing = missing_key_items(session, exam_id)
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ValidationError(
            f"The answer key is incomplete: {len(missing)} item(s) have no answer ({shown})."
        )
    _check_no_overlap(session, exam)
    exam.status = ExamStatus.PUBLISHED
    exam.published_at = now
    exam.updated_at = now
    session.add(exam)
    audit.record(
        session, admin_id=admin_id, action="exam.publish", entity="exam", entity_id=exam.id
    )
    session.flush()
    return exam


def unpublish_exam(session: Session, exam_id: int, *, admin_id: int | None = None) -> Exam:
    """Back to draft, only while nobody has started it."""
    exam = get_exam(session, exam_id)
    if exam.status != ExamStatus.PUBLISHED:
        raise ExamLockedError("Only a published exam whose results are not out can be unpublished.")
    if session_count(session, exam_id) > 0:
        raise ExamLockedError("Students have already started this exam; it cannot be unpublished.")
    exam.status = ExamStatus.DRAFT
    exam.published_at = None
    session.add(exam)
    audit.record(
        session, admin_id=admin_id, action="exam.unpublish", entity="exam", entity_id=exam.id
    )
    session.flush()
    return exam


def delete_exam(session: Session, exam_id: int, *, admin_id: int | None = None) -> None:
    """Delete an exam that no student has started."""
    exam = get_exam(session, exam_id)
    count = session_count(session, exam_id)
    if count > 0:
        raise ExamLockedError(
            f"This exam cannot be deleted: {count} student session(s) exist. "
            "Their answers and results are kept."
        )
    for item in get_items(session, exam_id):
        session.delete(item)
    audit.record(
        session,
        admin_id=admin_id,
        action="exam.delete",
        entity="exam",
        entity_id=exam.id,
        details={"title": exam.title},
    )
    session.flush()
    session.delete(exam)
    session.flush()


def missing_key_items(session: Session, exam_id: int) -> list[str]:
    """Labels of the (non-excluded) items that have no accepted answer yet."""
    return [
        item.label
        for item in get_items(session, exam_id)
        if not item.is_excluded and not item.accepted_answers
    ]


def _check_key_editable(exam: Exam) -> None:
    if exam.status == ExamStatus.RELEASED:
        raise ExamLockedError(
            "Results of this exam are released: to correct a question, exclude the item "
            "and recalibrate instead of editing the key."
        )


def set_item_key(
    session: Session,
    exam_id: int,
    label: str,
    accepted: Sequence[str],
    *,
    admin_id: int | None = None,
) -> ExamItem:
    """Set the accepted answers of one item (a letter for multiple choice)."""
    exam = get_exam(session, exam_id)
    _check_key_editable(exam)
    items = {item.label: item for item in get_items(session, exam_id)}
    item = items.get(label.strip().lower())
    if item is None:
        raise ValidationError(f"Item {label!r} is not on this exam's answer sheet.")
    spec = item_spec(item)
    values = [a.strip() for a in accepted if a.strip()]
    if not values:
        raise ValidationError(f"Item {item.label}: give at least one accepted answer.")
    if item.kind == ItemKind.MULTIPLE_CHOICE and len(values) != 1:
        raise ValidationError(f"Item {item.label}: a multiple-choice item has exactly one answer.")
    cleaned = [validate_answer(spec, v, max_chars=settings.free_response_max_chars) for v in values]
    before = list(item.accepted_answers)
    item.accepted_answers = cleaned
    session.add(item)
    audit.record(
        session,
        admin_id=admin_id,
        action="key.edit",
        entity="exam",
        entity_id=exam_id,
        details={"item": item.label, "before": before, "after": cleaned},
    )
    session.flush()
    return item


@dataclass(frozen=True)
class KeyImportResult:
    updated: int
    missing: list[str]


def import_answer_key(
    session: Session, exam_id: int, text: str, *, admin_id: int | None = None
) -> KeyImportResult:
    """Bulk paste: all lines parse or nothing changes (AnswerKeyError lists every bad line)."""
    exam = get_exam(session, exam_id)
    _check_key_editable(exam)
    items = get_items(session, exam_id)
    key = parse_answer_key(text, [item_spec(i) for i in items])
    by_label = {i.label: i for i in items}
    for label, accepted in key.items():
        item = by_label[label]
        item.accepted_answers = list(accepted)
        session.add(item)
    audit.record(
        session,
        admin_id=admin_id,
        action="key.import",
        entity="exam",
        entity_id=exam_id,
        details={"items": len(key)},
    )
    session.flush()
    return KeyImportResult(updated=len(key), missing=missing_key_items(session, exam_id))


def upcoming_or_open_exam(session: Session, now: datetime | None = None) -> Exam | None:
    """The published exam that is open now, else the next scheduled one."""
    now = now or utcnow()
    return session.exec(
        select(Exam)
        .where(Exam.status == ExamStatus.PUBLISHED, Exam.window_end > now)
        .order_by(Exam.window_start)
    ).first()


def closed_unreleased_exams(session: Session, now: datetime | None = None) -> list[int]:
    """Ids of published exams whose window has closed but whose results are not out,
    in window order (the order they must be released in)."""
    now = now or utcnow()
    return list(
        session.exec(
            select(Exam.id)
            .where(Exam.status == ExamStatus.PUBLISHED, Exam.window_end <= now)
            .order_by(Exam.window_end)
        )
    )
