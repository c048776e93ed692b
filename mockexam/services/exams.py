"""Exam lifecycle: create, edit, publish, delete, answer keys.

Rules (spec §3): windows of two published exams never overlap; once any
student has started, window and duration are locked; an exam with sessions
cannot be deleted; results are released only after the window closes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, func, true
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import (
    AnswerKeyError,
    ExamLockedError,
    NotFoundError,
    ScheduleConflictError,
    ValidationError,
    msg,
)
from mockexam.localtime import local_text, utc_iso, zone_label
from mockexam.models import (
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamItem,
    ExamPhase,
    ExamSession,
    ExamStatus,
    GradingScheme,
    ItemKind,
)
from mockexam.scoring.answer_key import parse_answer_key
from mockexam.scoring.bank_codes import parse_bank_codes, split_trailing_codes
from mockexam.scoring.grading import FREE, MCQ, ItemSpec, validate_answer
from mockexam.scoring.layout import (
    Layout,
    LayoutError,
    Section,
    check_layout,
    validate_layout_json,
)
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services import audit

MAX_DURATION_MINUTES = 24 * 60
logger = logging.getLogger(__name__)


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
        section=item.section,
    )


def exam_layout(exam: Exam) -> Layout:
    """The exam's answer-sheet layout from its stored JSON (`{}`, as before issue 21: the
    certificate). A stored layout that no longer passes the checks raises `LayoutError`."""
    if not exam.layout:
        return CERTIFICATE_MATH
    return validate_layout_json(exam.layout)


def layout_matching_items(
    recipe: Mapping[str, Any] | None, specs: Sequence[ItemSpec], *, exam_id: int | None = None
) -> Layout:
    """The layout that describes exactly these items: the stored one (`recipe`, `{}` = the
    certificate) when it passes the checks and holds the same labels in the same sections,
    else one grouped from the items (logged), so a sheet, a page or an analysis always opens.
    The items are the truth for grading; the layout only names and groups them."""
    layout: Layout | None
    try:
        layout = validate_layout_json(recipe) if recipe else CERTIFICATE_MATH
    except LayoutError as err:
        logger.warning("exam %s: stored layout refused (%s); grouping its items", exam_id, err)
        layout = None
    if layout is not None and [(s.label, s.section) for s in layout.items()] != [
        (s.label, s.section) for s in specs
    ]:
        logger.warning("exam %s: stored layout does not match its items; grouping them", exam_id)
        layout = None
    if layout is None:
        layout = layout_of_items(specs) if specs else Layout("custom", ())
    return layout


def layout_of_items(specs: Sequence[ItemSpec]) -> Layout:
    """A custom layout holding exactly `specs` (in sheet order): one section per run of
    exercises alike in kind, options, parts and points with consecutive numbers, as
    migration 0009 groups an old exam's items. For callers that build items in code."""
    exercises: list[tuple[int, str, tuple[str, ...], list[str], float]] = []
    for spec in specs:
        if exercises and exercises[-1][0] == spec.number and spec.sub_part:
            exercises[-1][3].append(spec.sub_part)
            continue
        parts = [spec.sub_part] if spec.sub_part else []
        exercises.append((spec.number, spec.kind, spec.options, parts, float(spec.points)))
    sections: list[Section] = []
    previous: tuple[object, ...] | None = None
    for number, kind, options, parts, points in exercises:
        signature = (kind, options, tuple(parts), points)
        last = sections[-1] if sections else None
        if (
            last is None
            or signature != previous
            or last.first is None
            or number != last.first + last.count
        ):
            n = len(sections) + 1
            sections.append(
                Section(
                    key=f"s{n}",
                    titles={"uz": f"{n}-bo‘lim", "ru": f"Раздел {n}", "en": f"Section {n}"},
                    subject="math",
                    kind=kind,
                    count=1,
                    options=options if kind == MCQ else (),
                    parts=tuple(parts) if kind == FREE else (),
                    points=points,
                    first=number,
                )
            )
            previous = signature
        else:
            sections[-1] = Section(
                key=last.key,
                titles=last.titles,
                subject=last.subject,
                kind=last.kind,
                count=last.count + 1,
                options=last.options,
                parts=last.parts,
                points=last.points,
                first=last.first,
            )
    return Layout(template="custom", sections=tuple(sections))


def _checked_layout(layout: Layout | Sequence[ItemSpec] | None) -> Layout:
    """The layout to write, checked (`LayoutError` names every problem)."""
    if layout is None:
        return CERTIFICATE_MATH
    if isinstance(layout, Layout):
        check_layout(layout)
        return layout
    specs = list(layout)
    if not specs:
        raise ValidationError(
            msg(
                "Javoblar varaqasida kamida bitta savol bo‘lishi kerak.",
                "В бланке ответов должно быть хотя бы одно задание.",
                "The answer sheet needs at least one item.",
            )
        )
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ValidationError(
            msg(
                "Tuzilmada bir savol ikki marta keltirilgan.",
                "В структуре одно задание указано дважды.",
                "The layout lists the same item twice.",
            )
        )
    built = layout_of_items(specs)
    check_layout(built)
    if [s.label for s in built.items()] != labels:
        raise ValidationError(
            msg(
                "Savollar tartibini bo‘limlarga ajratib bo‘lmadi.",
                "Порядок заданий нельзя разбить на разделы.",
                "The items cannot be grouped into sections in this order.",
            )
        )
    return built


def get_exam(session: Session, exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(
            msg(
                "{exam_id}-imtihon mavjud emas.",
                "Экзамена {exam_id} не существует.",
                "Exam {exam_id} does not exist.",
                exam_id=exam_id,
            )
        )
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


def answer_sheet(session: Session, exam_id: int) -> list[ExamItem]:
    """The exam's items in sheet order; NotFoundError if there is no such exam."""
    get_exam(session, exam_id)
    return get_items(session, exam_id)


@dataclass(frozen=True, slots=True)
class ExamDetails:
    """One exam as its admin page shows it: fields, phase, sessions and key status."""

    exam_id: int
    title: str
    description: str
    phase: ExamPhase
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    grading_scheme: str
    pdf_path: str
    sessions: int
    items: int
    missing: tuple[str, ...]  # labels of items (not excluded) without an accepted answer
    layout: Layout = CERTIFICATE_MATH  # the answer sheet's sections (template, points, …)


def exam_details(session: Session, exam_id: int, *, now: datetime | None = None) -> ExamDetails:
    """The exam, its phase now, how many sessions it has and which items lack a key."""
    exam = get_exam(session, exam_id)
    items = get_items(session, exam_id)
    return ExamDetails(
        exam_id=exam_id,
        title=exam.title,
        description=exam.description,
        phase=exam_phase(exam, now),
        window_start=exam.window_start,
        window_end=exam.window_end,
        duration_minutes=exam.duration_minutes,
        grading_scheme=exam.grading_scheme,
        pdf_path=exam.pdf_path or "",
        sessions=session_count(session, exam_id),
        items=len(items),
        missing=tuple(i.label for i in items if not i.is_excluded and not i.accepted_answers),
        layout=_shown_layout(exam, items),
    )


def _shown_layout(exam: Exam, items: Sequence[ExamItem]) -> Layout:
    """The exam's layout for its page: the stored one, or (when that no longer passes the
    checks or holds other items) one grouped from its items, so the page still opens."""
    return layout_matching_items(exam.layout, [item_spec(i) for i in items], exam_id=exam.id)


# ---------------------------------------------------------------------------
# The exam list (admin home)
# ---------------------------------------------------------------------------
MAX_LIST_PAGE = 500


@dataclass(frozen=True, slots=True)
class ExamListEntry:
    """One exam of the list with its session counts."""

    exam_id: int
    title: str
    phase: ExamPhase
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    has_pdf: bool
    sessions: int  # started (any state)
    submitted: int  # submitted, by the student or automatically
    auto_submitted: int
    missing_key: int  # drafts: items without an answer (0 for published exams)
    template: str = "certificate_math"  # the layout's template (badges in the list)
    subjects: tuple[str, ...] = ("math",)  # the sections' subjects, each once, in sheet order


@dataclass(frozen=True, slots=True)
class PhaseCounts:
    """How many exams are in each phase now."""

    draft: int = 0
    scheduled: int = 0
    open: int = 0
    closed: int = 0
    released: int = 0

    @property
    def total(self) -> int:
        return self.draft + self.scheduled + self.open + self.closed + self.released


@dataclass(frozen=True, slots=True)
class ExamList:
    """One page of exams (newest window first) and the phase counts of all exams."""

    entries: list[ExamListEntry]
    counts: PhaseCounts

    @property
    def total(self) -> int:
        return self.counts.total


def phase_expression(now: datetime) -> Any:
    """`exam_phase` as a SQL CASE over the Exam columns (for grouping and filtering)."""
    return case(
        (col(Exam.status) == ExamStatus.DRAFT, ExamPhase.DRAFT.value),
        (col(Exam.status) == ExamStatus.RELEASED, ExamPhase.RELEASED.value),
        (col(Exam.window_start) > now, ExamPhase.SCHEDULED.value),
        (col(Exam.window_end) > now, ExamPhase.OPEN.value),
        else_=ExamPhase.CLOSED.value,
    )


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def list_exams(
    session: Session, *, limit: int = 50, offset: int = 0, now: datetime | None = None
) -> ExamList:
    """A page of exams, newest window first, with session counts, and every exam's phase count.

    One statement: a one-row CTE of phase counts over all exams, LEFT JOINed
    (so the counts come back even past the last page) to the page's exams, and
    those to their session counts and missing-key counts, both grouped over
    only the page's exam ids (index `ix_session_exam_submitted`, `exam_id`).
    An item lacks a key when its accepted answers are the empty JSON list.
    """
    now = now or utcnow()
    phase = phase_expression(now)
    phased = select(phase.label("phase")).select_from(Exam).subquery("phased")
    counts = (
        select(*(_count_if(phased.c.phase == p.value).label(f"n_{p.value}") for p in ExamPhase))
        .select_from(phased)
        .cte("phase_counts")
    )
    page = (
        select(
            col(Exam.id).label("exam_id"),
            Exam.title,
            Exam.window_start,
            Exam.window_end,
            Exam.duration_minutes,
            Exam.pdf_path,
            phase.label("phase"),
            Exam.layout,
        )
        .order_by(col(Exam.window_start).desc(), col(Exam.id).desc())
        .limit(max(1, min(limit, MAX_LIST_PAGE)))
        .offset(max(0, offset))
        .cte("page")
    )
    s = ExamSession
    sessions = (
        select(
            s.exam_id,
            func.count().label("sessions"),
            _count_if(col(s.submitted_at).is_not(None)).label("submitted"),
            _count_if(col(s.is_auto_submitted).is_(True)).label("auto_submitted"),
        )
        .where(col(s.exam_id).in_(select(page.c.exam_id)))
        .group_by(s.exam_id)
        .subquery("sessions")
    )
    # json.dumps([]) on both backends (PostgreSQL's json type keeps the text as written).
    no_key = cast(ExamItem.accepted_answers, String).in_(("[]", "null"))
    missing = (
        select(ExamItem.exam_id, func.count().label("missing"))
        .where(
            col(ExamItem.exam_id).in_(select(page.c.exam_id)),
            col(ExamItem.is_excluded).is_(False),
            no_key,
        )
        .group_by(ExamItem.exam_id)
        .subquery("missing")
    )
    statement = (
        select(
            counts,
            page.c.exam_id,
            page.c.title,
            page.c.window_start,
            page.c.window_end,
            page.c.duration_minutes,
            page.c.pdf_path,
            page.c.phase,
            page.c.layout,
            func.coalesce(sessions.c.sessions, 0),
            func.coalesce(sessions.c.submitted, 0),
            func.coalesce(sessions.c.auto_submitted, 0),
            func.coalesce(missing.c.missing, 0),
        )
        .select_from(counts)
        .join(page, true(), isouter=True)
        .join(sessions, sessions.c.exam_id == page.c.exam_id, isouter=True)
        .join(missing, missing.c.exam_id == page.c.exam_id, isouter=True)
        .order_by(page.c.window_start.desc(), page.c.exam_id.desc())
    )
    rows = session.exec(statement).all()  # type: ignore[call-overload]
    n_phases = len(ExamPhase)
    first = rows[0]
    phase_counts = PhaseCounts(
        **{p.value: int(n) for p, n in zip(ExamPhase, first[:n_phases], strict=True)}
    )
    entries = [
        ExamListEntry(
            exam_id=int(exam_id),
            title=title,
            phase=ExamPhase(phase_value),
            window_start=window_start,
            window_end=window_end,
            duration_minutes=int(duration),
            has_pdf=bool(pdf_path),
            sessions=int(n_sessions),
            submitted=int(n_submitted),
            auto_submitted=int(n_auto),
            missing_key=int(n_missing) if phase_value == ExamPhase.DRAFT else 0,
            **_badges(recipe),
        )
        for (
            exam_id,
            title,
            window_start,
            window_end,
            duration,
            pdf_path,
            phase_value,
            recipe,
            n_sessions,
            n_submitted,
            n_auto,
            n_missing,
        ) in (row[n_phases:] for row in rows)
        if exam_id is not None
    ]
    return ExamList(entries=entries, counts=phase_counts)


def _badges(recipe: Any) -> dict[str, Any]:
    """The template and subjects of a stored layout, read leniently (a list never fails)."""
    if isinstance(recipe, str):  # a JSON column read through a CTE may come back as text
        try:
            recipe = json.loads(recipe)
        except ValueError:
            recipe = None
    if not isinstance(recipe, dict) or not recipe:
        return {"template": CERTIFICATE_MATH.template, "subjects": ("math",)}
    sections = recipe.get("sections")
    subjects = [
        str(section["subject"])
        for section in (sections if isinstance(sections, list) else [])
        if isinstance(section, dict) and section.get("subject")
    ]
    return {
        "template": str(recipe.get("template") or "custom"),
        "subjects": tuple(dict.fromkeys(subjects)),
    }


def _check_fields(
    *,
    title: str,
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int,
    grading_scheme: str,
) -> None:
    if not title.strip():
        raise ValidationError(
            msg("Imtihonga nom kerak.", "Нужно название экзамена.", "The exam needs a title.")
        )
    if len(title) > 200:
        raise ValidationError(
            msg(
                "Nom 200 belgidan uzun.",
                "Название длиннее 200 символов.",
                "The title is longer than 200 characters.",
            )
        )
    if window_end <= window_start:
        raise ValidationError(
            msg(
                "Vaqt oralig‘i boshlanganidan keyin tugashi kerak.",
                "Окно должно заканчиваться позже, чем начинается.",
                "The window must end after it starts.",
            )
        )
    if not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(
            msg(
                "Davomiylik 1 dan {max} daqiqagacha bo‘lishi kerak.",
                "Длительность должна быть от 1 до {max} минут.",
                "Duration must be between 1 and {max} minutes.",
                max=MAX_DURATION_MINUTES,
            )
        )
    if grading_scheme not in {s.value for s in GradingScheme}:
        raise ValidationError(
            msg(
                "Noma’lum baholash usuli {scheme!r}: 'percentile' yoki 'fixed_bands'.",
                "Неизвестная схема оценок {scheme!r}: 'percentile' или 'fixed_bands'.",
                "Unknown grading scheme {scheme!r}: use 'percentile' or 'fixed_bands'.",
                scheme=grading_scheme,
            )
        )


def _audience_groups(session: Session, exam: Exam) -> frozenset[int] | None:
    """The groups an exam is for (None: everyone)."""
    if exam.audience != ExamAudienceKind.GROUPS:
        return None
    return frozenset(
        session.exec(select(ExamAudience.group_id).where(ExamAudience.exam_id == exam.id)).all()
    )


def check_no_overlap(session: Session, exam: Exam) -> None:
    """Refuse if another published (or released) exam's window overlaps this one's and
    the two are for the same students: two exams for groups only may share their time
    when no group is in both (a centre's classes on the same Saturday morning); an exam
    for everyone shares its time with none."""
    mine = _audience_groups(session, exam)
    overlapping = session.exec(
        select(Exam)
        .where(
            Exam.id != exam.id,
            Exam.status != ExamStatus.DRAFT,
            Exam.window_start < exam.window_end,
            Exam.window_end > exam.window_start,
        )
        .order_by(col(Exam.window_start))
    ).all()
    for other in overlapping:
        theirs = _audience_groups(session, other)
        if mine is not None and theirs is not None and not (mine & theirs):
            continue
        raise ScheduleConflictError(
            msg(
                "Vaqt oralig‘i e’lon qilingan “{title}” imtihoni bilan ustma-ust tushadi "
                "({start}–{end}, {zone}). E’lon qilingan ikki imtihonning vaqt oraliqlari "
                "ustma-ust tushmasligi kerak (faqat umumiy guruhi yo‘q, guruhlar uchun "
                "imtihonlardan tashqari).",
                "Окно пересекается с опубликованным экзаменом «{title}» "
                "({start}–{end}, {zone}). Окна двух опубликованных экзаменов "
                "не должны пересекаться (кроме экзаменов только для групп, у которых "
                "нет общей группы).",
                "The window overlaps the published exam “{title}” "
                "({start}–{end}, {zone}). Windows of two published exams may not overlap "
                "(unless both are for groups only and no group is in both).",
                title=other.title,
                start=local_text(other.window_start),
                end=local_text(other.window_end),
                zone=zone_label(other.window_start),
            )
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
    layout: Layout | Sequence[ItemSpec] | None = None,
    admin_id: int | None = None,
) -> Exam:
    """Create a draft exam on `layout` (default: the certificate, 45 exercises / 55 items).

    Writes `Exam.layout = layout.to_json()` and one `ExamItem` per `layout.items()`
    with its section, points and options. A list of `ItemSpec`s (items built in code)
    is grouped into a custom layout by `layout_of_items`. A layout that breaks a rule
    raises `LayoutError` naming every problem; nothing is written.
    """
    duration = settings.default_duration_minutes if duration_minutes is None else duration_minutes
    _check_fields(
        title=title,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration,
        grading_scheme=grading_scheme,
    )
    chosen = _checked_layout(layout)
    exam = Exam(
        title=title.strip(),
        description=description,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration,
        grading_scheme=grading_scheme,
        layout=chosen.to_json(),
    )
    session.add(exam)
    session.flush()
    for position, spec in enumerate(chosen.items()):
        session.add(_new_item(exam.id, position, spec))
    audit.record(
        session,
        admin_id=admin_id,
        action="exam.create",
        entity="exam",
        entity_id=exam.id,
        details={"title": exam.title, **_layout_summary(chosen)},
    )
    session.flush()
    return exam


def _new_item(exam_id: int | None, position: int, spec: ItemSpec) -> ExamItem:
    assert exam_id is not None
    return ExamItem(
        exam_id=exam_id,
        position=position,
        number=spec.number,
        sub_part=spec.sub_part,
        kind=spec.kind,
        options=list(spec.options),
        points=float(spec.points),
        section=spec.section,
    )


def _layout_summary(layout: Layout) -> dict[str, object]:
    """What the audit log keeps of a layout: template, sections, items, points."""
    return {
        "template": layout.template,
        "sections": len(layout.sections),
        "items": layout.item_count(),
        "max_points": layout.max_points(),
    }


@dataclass(frozen=True)
class LayoutChange:
    """What `set_layout` did to the items, by label."""

    kept: tuple[str, ...]  # still on the sheet, same kind and options, key kept
    cleared: tuple[str, ...]  # kind or options changed: the key was wiped
    removed: tuple[str, ...]  # no longer on the sheet (deleted)
    added: tuple[str, ...]  # new on the sheet, no key yet


def set_layout(
    session: Session, exam_id: int, layout: Layout, *, admin_id: int | None = None
) -> LayoutChange:
    """Give a draft exam another answer-sheet layout.

    Only a draft (`ExamLockedError` otherwise: students may have its sheet). An item
    whose label stays with the same kind and options keeps its accepted answers
    (and its exclusion); an item whose kind or options change loses its key; items
    no longer on the sheet are deleted. `LayoutError` names every problem of a
    layout that breaks a rule; nothing changes then.
    """
    exam = get_exam(session, exam_id)
    if exam.status != ExamStatus.DRAFT:
        raise ExamLockedError(
            msg(
                "Javoblar varaqasi tuzilmasini faqat qoralama imtihonda o‘zgartirish mumkin.",
                "Структуру бланка ответов можно менять только у черновика экзамена.",
                "The answer-sheet layout can be changed only while the exam is a draft.",
            )
        )
    check_layout(layout)
    old = {item.label: item for item in get_items(session, exam_id)}
    new_specs = layout.items()
    new_labels = {spec.label for spec in new_specs}
    removed = [label for label in old if label not in new_labels]
    for label in removed:
        session.delete(old.pop(label))
    session.flush()
    kept: list[str] = []
    cleared: list[str] = []
    added: list[str] = []
    for position, spec in enumerate(new_specs):
        item = old.get(spec.label)
        if item is None:
            session.add(_new_item(exam.id, position, spec))
            added.append(spec.label)
            continue
        if item.kind != spec.kind or tuple(item.options) != spec.options:
            if item.accepted_answers:
                cleared.append(item.label)
            item.accepted_answers = []
            item.is_excluded = False
        elif item.accepted_answers:
            kept.append(item.label)
        item.kind = spec.kind
        item.options = list(spec.options)
        item.position = position
        item.points = float(spec.points)
        item.section = spec.section
        session.add(item)
    exam.layout = layout.to_json()
    exam.updated_at = utcnow()
    session.add(exam)
    change = LayoutChange(
        kept=tuple(kept), cleared=tuple(cleared), removed=tuple(removed), added=tuple(added)
    )
    audit.record(
        session,
        admin_id=admin_id,
        action="exam.layout",
        entity="exam",
        entity_id=exam.id,
        details={
            **_layout_summary(layout),
            "kept_keys": len(change.kept),
            "cleared_keys": len(change.cleared),
            "removed_items": len(change.removed),
            "added_items": len(change.added),
        },
    )
    session.flush()
    return change


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
        raise ExamLockedError(
            msg(
                "Bu imtihon natijalari e’lon qilingan; uni endi tahrirlab bo‘lmaydi.",
                "Результаты этого экзамена опубликованы; изменить его больше нельзя.",
                "Results of this exam are released; it can no longer be edited.",
            )
        )
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
            msg(
                "O‘quvchilar bu imtihonni boshlab bo‘lgan, shuning uchun vaqt oralig‘i va "
                "davomiyligi qulflangan.",
                "Ученики уже начали этот экзамен, поэтому окно и длительность заблокированы.",
                "Students have already started this exam, so its window and duration are locked.",
            )
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
            changes[name] = utc_iso(value) if isinstance(value, datetime) else str(value)
            setattr(exam, name, value)
    if exam.status != ExamStatus.DRAFT and schedule_change:
        check_no_overlap(session, exam)
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
        raise ExamLockedError(
            msg(
                "Bu imtihon allaqachon e’lon qilingan.",
                "Этот экзамен уже опубликован.",
                "This exam is already published.",
            )
        )
    if exam.window_end <= now:
        raise ValidationError(
            msg(
                "Vaqt oralig‘i tugagan; avval uni kelajakka ko‘chiring.",
                "Окно уже закончилось; сначала перенесите его в будущее.",
                "The window has already ended; move it into the future first.",
            )
        )
    missing = missing_key_items(session, exam_id)
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ValidationError(
            msg(
                "Javoblar kaliti to‘liq emas: {n} ta savolga javob yo‘q ({shown}).",
                "Ключ ответов неполон: заданий без ответа — {n} ({shown}).",
                "The answer key is incomplete: {n} {items} no answer ({shown}).",
                n=len(missing),
                items="item has" if len(missing) == 1 else "items have",
                shown=shown,
            )
        )
    check_no_overlap(session, exam)
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
        raise ExamLockedError(
            msg(
                "Faqat natijalari e’lon qilinmagan e’lon qilingan imtihonni qaytarib olish mumkin.",
                "Снять с публикации можно только опубликованный экзамен без результатов.",
                "Only a published exam whose results are not out can be unpublished.",
            )
        )
    if session_count(session, exam_id) > 0:
        raise ExamLockedError(
            msg(
                "O‘quvchilar bu imtihonni boshlab bo‘lgan; uni qaytarib olib bo‘lmaydi.",
                "Ученики уже начали этот экзамен; снять его с публикации нельзя.",
                "Students have already started this exam; it cannot be unpublished.",
            )
        )
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
            msg(
                "Bu imtihonni o‘chirib bo‘lmaydi: {n} ta o‘quvchi sessiyasi bor. "
                "Ularning javoblari va natijalari saqlanadi.",
                "Этот экзамен нельзя удалить: сессий учеников — {n}. "
                "Их ответы и результаты сохраняются.",
                "This exam cannot be deleted: {n} student session(s) exist. "
                "Their answers and results are kept.",
                n=count,
            )
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
            msg(
                "Bu imtihon natijalari e’lon qilingan: savolni tuzatish uchun kalitni "
                "o‘zgartirmang, savolni chiqarib tashlab, qayta kalibrlang.",
                "Результаты этого экзамена опубликованы: чтобы исправить задание, исключите "
                "его и пересчитайте калибровку, а не меняйте ключ.",
                "Results of this exam are released: to correct a question, exclude the item "
                "and recalibrate instead of editing the key.",
            )
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
        raise ValidationError(
            msg(
                "{label!r} savoli bu imtihonning javoblar varaqasida yo‘q.",
                "Задания {label!r} нет в бланке ответов этого экзамена.",
                "Item {label!r} is not on this exam's answer sheet.",
                label=label,
            )
        )
    spec = item_spec(item)
    values = [a.strip() for a in accepted if a.strip()]
    if not values:
        raise ValidationError(
            msg(
                "{label}-savol: kamida bitta to‘g‘ri javob kiriting.",
                "Задание {label}: укажите хотя бы один правильный ответ.",
                "Item {label}: give at least one accepted answer.",
                label=item.label,
            )
        )
    if item.kind == ItemKind.MULTIPLE_CHOICE and len(values) != 1:
        raise ValidationError(
            msg(
                "{label}-savol: test savolining javobi bitta bo‘ladi.",
                "Задание {label}: у задания с выбором ответа ровно один ответ.",
                "Item {label}: a multiple-choice item has exactly one answer.",
                label=item.label,
            )
        )
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
    keys = [section.key for section in exam_layout(exam).sections]
    specs = [item_spec(i) for i in items]
    # `12 B ALG-017`: a bank code may end an item's line (scoring/bank_codes.py).
    text, coded = split_trailing_codes(text)
    key = parse_answer_key(text, specs, section_keys=keys)
    codes: list[str] = []
    for n, entry, code in coded:
        labels = list(parse_answer_key(entry, specs, section_keys=keys))
        if len(labels) != 1:
            raise AnswerKeyError(
                [
                    (
                        n,
                        msg(
                            "Bank kodi faqat bitta savol qatorining oxirida bo‘ladi.",
                            "Код банка ставится в конце строки одного задания.",
                            "A bank code ends the line of one item.",
                        ),
                    )
                ]
            )
        codes.append(f"{labels[0]} {code}")
    by_label = {i.label: i for i in items}
    for label, accepted in key.items():
        item = by_label[label]
        item.accepted_answers = list(accepted)
        session.add(item)
    if codes:
        set_bank_codes(session, exam_id, "\n".join(codes), admin_id=admin_id)
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


def set_bank_codes(
    session: Session, exam_id: int, text: str, *, admin_id: int | None = None
) -> int:
    """Items' bank codes from a paste (scoring/bank_codes.py: `12 ALG-017`, `13 -` removes),
    all or nothing; how many items changed. Fixed once the exam is released: its codes
    linked its scale and put its items in the bank."""
    exam = get_exam(session, exam_id)
    if exam.status == ExamStatus.RELEASED:
        raise ExamLockedError(
            msg(
                "Natijalar e’lon qilingan: bank kodlari shkalani bog‘lagan, endi o‘zgarmaydi.",
                "Результаты опубликованы: коды банка уже связали шкалу и больше не меняются.",
                "Results are released: the bank codes linked the exam's scale and are fixed.",
            )
        )
    items = get_items(session, exam_id)
    changes = parse_bank_codes(text, [i.label for i in items])
    final = {i.label: i.bank_code for i in items} | changes
    owner: dict[str, str] = {}
    for item in items:
        code = final[item.label]
        if code is None:
            continue
        if code in owner:
            raise AnswerKeyError(
                [
                    (
                        0,
                        msg(
                            "{code} kodi {a} va {b} savollarida: bitta imtihonda kod bir marta.",
                            "Код {code} у заданий {a} и {b}: в экзамене код встречается один раз.",
                            "{code} would name items {a} and {b}: a code names one item of an "
                            "exam.",
                            code=code,
                            a=owner[code],
                            b=item.label,
                        ),
                    )
                ]
            )
        owner[code] = item.label
    changed = 0
    for item in items:
        if item.label in changes and item.bank_code != changes[item.label]:
            item.bank_code = changes[item.label]
            session.add(item)
            changed += 1
    audit.record(
        session,
        admin_id=admin_id,
        action="key.bank_codes",
        entity="exam",
        entity_id=exam_id,
        details={"items": changed},
    )
    session.flush()
    return changed


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
