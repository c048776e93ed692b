"""The window-close pipeline: grade, calibrate, scale, grade letters, Elo, release.

Rasch calibration is per item and unweighted (the 0/1 matrix); the percentile
letters follow the layout's official score (the weighted points of a DTM block
test, the scaled score of the certificate); Elo reads the proportion of points.
An exam of two sections or more also gets each block's own Rasch measure where
the block has enough items and takers (`scoring.blocks`), kept beside the
block's points in `ExamSession.section_scores`.

`release_exam` does everything for one exam in ONE transaction with the exam
row locked, so a worker killed half-way leaves nothing half-done and a re-run
(or a second worker) finds the exam released and changes nothing. Excluding
an item and recalibrating recomputes scores, grades and the exam's Elo deltas
from the stored pre-exam ratings; it is refused once a later exam is out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import lock_for_update, session_scope, utcnow
from mockexam.errors import ExamLockedError, Msg, NotFoundError, ValidationError, msg
from mockexam.models import (
    COMMON_SCALE,
    Answer,
    EloHistory,
    Exam,
    ExamItem,
    ExamSession,
    ExamStatus,
    ItemKind,
    ItemStatistic,
    LinkStatus,
    SessionStatus,
    StudentRating,
)
from mockexam.scoring import blocks, classical, elo, grades, rasch
from mockexam.scoring.layout import POINTS, Layout, LayoutError
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services import audit, copying, gamification, linking
from mockexam.services.exams import closed_unreleased_exams, exam_layout, get_items
from mockexam.services.grading import regrade_exam
from mockexam.services.sessions import auto_submit_overdue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseSummary:
    """What one release (or recalibration) did."""

    exam_id: int
    participants: int
    calibrated: bool
    iterations: int | None
    cronbach_alpha: float | None
    elo_rows: int
    recalibrated: bool = False

    def describe(self) -> str:
        how = (
            f"Rasch calibration in {self.iterations} iterations"
            if self.calibrated
            else "provisional scores (too few participants to calibrate)"
        )
        verb = "Recalibrated" if self.recalibrated else "Released"
        return (
            f"{verb} exam {self.exam_id}: {self.participants} participant(s), {how}, "
            f"{self.elo_rows} Elo row(s) written."
        )


@dataclass
class _Matrix:
    """The exam's responses: persons × items, 1/0 (unanswered = 0), NaN = excluded."""

    sessions: list[ExamSession]
    items: list[ExamItem]
    scores: np.ndarray  # float64, n × I
    choices: dict[int, dict[str, int]]  # item id → stored value → how many chose it


def exams_due_for_release(now: datetime | None = None) -> list[int]:
    """Published exams whose window (plus the deadline grace) has closed."""
    cutoff = (now or utcnow()) - timedelta(seconds=settings.deadline_grace_seconds)
    with session_scope(readonly=True) as db:
        return closed_unreleased_exams(db, now=cutoff)


def release_exam(
    exam_id: int,
    *,
    now: datetime | None = None,
    force_recalibrate: bool = False,
    admin_id: int | None = None,
) -> ReleaseSummary | None:
    """Release a closed exam (None if it is not due or already released)."""
    now = now or utcnow()
    with session_scope() as db:
        exam = db.exec(lock_for_update(db, select(Exam).where(Exam.id == exam_id))).first()
        if exam is None:
            raise NotFoundError(_no_exam(exam_id))
        if force_recalibrate:
            if exam.status != ExamStatus.RELEASED:
                raise ValidationError(
                    msg(
                        "Faqat natijalari e’lon qilingan imtihonni qayta kalibrlash mumkin.",
                        "Перекалибровать можно только экзамен с опубликованными результатами.",
                        "Only a released exam can be recalibrated.",
                    )
                )
            _check_no_later_release(db, exam)
        elif (
            exam.status != ExamStatus.PUBLISHED
            or exam.window_end + timedelta(seconds=settings.deadline_grace_seconds) > now
        ):
            return None
        else:
            _check_earlier_released(db, exam)
        auto_submit_overdue(db, now=now, exam_id=exam_id)
        db.flush()
        regrade_exam(db, exam_id, now=now)
        db.flush()
        summary = _score_exam(db, exam, now=now, recalibrate=force_recalibrate)
        if force_recalibrate:
            audit.record(
                db,
                admin_id=admin_id,
                action="exam.recalibrate",
                entity="exam",
                entity_id=exam_id,
                details={"participants": summary.participants},
            )
    logger.info("%s", summary.describe())
    return summary


def exclude_item(
    exam_id: int, label: str, *, excluded: bool = True, admin_id: int | None = None
) -> ReleaseSummary | None:
    """Exclude (or restore) an item; a released exam is recalibrated at once."""
    with session_scope() as db:
        exam = db.exec(lock_for_update(db, select(Exam).where(Exam.id == exam_id))).first()
        if exam is None:
            raise NotFoundError(_no_exam(exam_id))
        if exam.status == ExamStatus.RELEASED:
            _check_no_later_release(db, exam)
        item = next((i for i in get_items(db, exam_id) if i.label == label.strip().lower()), None)
        if item is None:
            raise ValidationError(
                msg(
                    "{label!r} savoli bu imtihonning javoblar varaqasida yo‘q.",
                    "Задания {label!r} нет в бланке ответов этого экзамена.",
                    "Item {label!r} is not on this exam's answer sheet.",
                    label=label,
                )
            )
        if item.is_excluded == excluded:
            return None
        active = [i for i in get_items(db, exam_id) if not i.is_excluded]
        if excluded and len(active) <= 1:
            raise ValidationError(
                msg(
                    "Imtihonda kamida bitta savol qolishi kerak.",
                    "В экзамене должно остаться хотя бы одно задание.",
                    "At least one item must stay in the exam.",
                )
            )
        item.is_excluded = excluded
        db.add(item)
        audit.record(
            db,
            admin_id=admin_id,
            action="item.exclude" if excluded else "item.restore",
            entity="exam",
            entity_id=exam_id,
            details={"item": item.label},
        )
        released = exam.status == ExamStatus.RELEASED
    if released:
        return release_exam(exam_id, force_recalibrate=True, admin_id=admin_id)
    return None


def _no_exam(exam_id: int) -> Msg:
    return msg(
        "{exam_id}-imtihon mavjud emas.",
        "Экзамена {exam_id} не существует.",
        "Exam {exam_id} does not exist.",
        exam_id=exam_id,
    )


def _check_earlier_released(db: Session, exam: Exam) -> None:
    """Exams are released in window order: streaks, exam counts and improvement build on it."""
    earlier = db.exec(
        select(Exam)
        .where(
            Exam.id != exam.id,
            Exam.status == ExamStatus.PUBLISHED,
            Exam.window_end < exam.window_end,
        )
        .order_by(Exam.window_end)
    ).first()
    if earlier is not None:
        raise ExamLockedError(
            msg(
                "Avval “{title}” ({exam_id}-imtihon) natijalarini e’lon qiling: uning vaqt "
                "oralig‘i oldinroq tugagan, seriyalar, yutuqlar va Elo esa vaqt oraliqlari "
                "tartibida hisoblanadi.",
                "Сначала опубликуйте результаты «{title}» (экзамен {exam_id}): его окно "
                "закончилось раньше, а серии, достижения и Elo начисляются в порядке окон.",
                "Release “{title}” (exam {exam_id}) first: its window closed earlier, "
                "and streaks, achievements and Elo are applied in window order.",
                title=earlier.title,
                exam_id=earlier.id,
            )
        )


def _check_no_later_release(db: Session, exam: Exam) -> None:
    later = db.exec(
        select(Exam).where(
            Exam.id != exam.id,
            Exam.status == ExamStatus.RELEASED,
            Exam.window_end > exam.window_end,
        )
    ).first()
    if later is not None:
        raise ExamLockedError(
            msg(
                "“{title}” natijalari bu imtihondan keyin e’lon qilingan, uning Elo reytingi "
                "shu imtihon reytingiga asoslanadi: bu imtihonni endi qayta kalibrlab bo‘lmaydi.",
                "Результаты «{title}» опубликованы после этого экзамена, и его рейтинг Elo "
                "опирается на рейтинг этого: перекалибровать этот экзамен больше нельзя.",
                "“{title}” was released after this exam, so its Elo ratings build on this "
                "one's: it can no longer be recalibrated.",
                title=later.title,
            )
        )


def _load_matrix(db: Session, exam: Exam) -> _Matrix:
    items = get_items(db, exam.id)
    sessions = list(
        db.exec(
            select(ExamSession)
            .where(ExamSession.exam_id == exam.id, col(ExamSession.submitted_at).is_not(None))
            .order_by(ExamSession.id)
        )
    )
    row_of = {s.id: r for r, s in enumerate(sessions)}
    col_of = {i.id: c for c, i in enumerate(items)}
    scores = np.zeros((len(sessions), len(items)))
    marks = db.execute(
        select(Answer.session_id, Answer.item_id).where(
            Answer.exam_id == exam.id, col(Answer.is_correct).is_(True)
        )
    )
    for session_id, item_id in marks:
        r = row_of.get(session_id)
        if r is not None:
            scores[r, col_of[item_id]] = 1.0
    for c, item in enumerate(items):
        if item.is_excluded:
            scores[:, c] = np.nan
    choices: dict[int, dict[str, int]] = {i.id: {} for i in items}
    for item_id, value, count in db.execute(
        select(Answer.item_id, Answer.value, func.count())
        .join(ExamSession, col(ExamSession.id) == Answer.session_id)
        .where(Answer.exam_id == exam.id, col(ExamSession.submitted_at).is_not(None))
        .group_by(Answer.item_id, Answer.value)
    ):
        choices[item_id][value] = choices[item_id].get(value, 0) + count
    return _Matrix(sessions=sessions, items=items, scores=scores, choices=choices)


BLOCK_MEASURES = ("theta", "theta_se", "scaled", "scaled_se", "linked")
"""The keys a block's own Rasch measure adds to its `section_scores` entry."""


def _exam_layout(exam: Exam) -> Layout:
    """The exam's layout (an empty one is the certificate's, as migration 0009 backfills)."""
    try:
        return exam_layout(exam)
    except LayoutError:
        # A stored layout is validated when written; never let a bad one block a release.
        logger.warning("exam %s has an unreadable layout; scaled score is official", exam.id)
        return CERTIFICATE_MATH


def _score_exam(db: Session, exam: Exam, *, now: datetime, recalibrate: bool) -> ReleaseSummary:
    layout = _exam_layout(exam)
    m = _load_matrix(db, exam)
    n = len(m.sessions)
    active = np.array([not i.is_excluded for i in m.items], dtype=bool)
    x = m.scores[:, active]
    calibrated = n >= settings.min_participants_for_calibration and x.shape[1] > 0
    calibration = rasch.calibrate(x) if calibrated else None

    points = np.array([s.points or 0 for s in m.sessions], dtype=float)
    max_points = np.array(
        [s.max_points if s.max_points and s.max_points > 0 else 1 for s in m.sessions],
        dtype=float,
    )
    shift = 0.0
    paper_theta_half = None  # θ₅₀ of the paper on the linked scale (origin or linked)
    if calibration is not None:
        # Onto the item bank's scale through the common items (0 when not linked).
        link = linking.link_exam(db, exam, m.items, active, calibration, now=now)
        shift = link.shift
        if link.status in COMMON_SCALE:
            paper_theta_half = _paper_theta_half(m.items, active, calibration, shift)
        scaled = grades.scaled_score(calibration.theta + shift)
        scaled_se = grades.scaled_se(calibration.theta_se)
        copying.store_pairs(db, exam, m.sessions, m.items, calibration, now=now)
    else:
        linking.clear_link(db, exam)
        copying.clear_pairs(db, exam)
        scaled = grades.provisional_score(points, max_points)
        scaled_se = np.full(n, np.nan)
    official = points if layout.official_score == POINTS else scaled
    letters = (
        grades.letter_grades(scheme=exam.grading_scheme, official=official, scaled=scaled)
        if n
        else []
    )
    measures = _block_measures(layout, m, active, x)
    if calibration is not None:
        measures = linking.link_blocks(db, exam, m.items, active, measures)

    for r, exam_session in enumerate(m.sessions):
        if calibration is not None:
            exam_session.theta = float(calibration.theta[r] + shift)
            exam_session.theta_se = float(calibration.theta_se[r])
            exam_session.person_infit = _finite(calibration.person_infit[r])
            exam_session.person_outfit = _finite(calibration.person_outfit[r])
            exam_session.is_extreme = bool(calibration.extreme_persons[r])
        else:
            exam_session.theta = exam_session.theta_se = None
            exam_session.person_infit = exam_session.person_outfit = None
            exam_session.is_extreme = False
        exam_session.scaled_score = round(float(scaled[r]), 2)
        exam_session.scaled_score_se = _finite(scaled_se[r], digits=2)
        exam_session.is_provisional = calibration is None
        exam_session.grade = letters[r]
        exam_session.section_scores = _with_block_measures(exam_session.section_scores, measures, r)
        exam_session.status = SessionStatus.RELEASED
        if exam_session.released_at is None:
            exam_session.released_at = now
        db.add(exam_session)

    _store_item_statistics(db, exam, m, active, calibration, now=now)
    test_stats = classical.test_statistics(x) if n > 1 and x.shape[1] > 1 else None
    exam.n_participants = n
    exam.is_provisional = calibration is None
    exam.cronbach_alpha = _finite(test_stats.alpha) if test_stats else None
    exam.sem = _finite(test_stats.sem) if test_stats else None
    exam.person_separation_reliability = (
        _finite(calibration.person_separation_reliability) if calibration else None
    )
    exam.calibration_iterations = calibration.iterations if calibration else None
    exam.status = ExamStatus.RELEASED
    exam.results_version = (exam.results_version or 0) + 1  # certificates follow (tasks.py)
    if exam.released_at is None:
        exam.released_at = now
    exam.updated_at = now
    db.add(exam)

    exam_rating = _linked_elo_rating(db, exam, paper_theta_half)
    elo_rows, played_at = _apply_elo(
        db,
        m.sessions,
        points,
        max_points,
        now=now,
        recalibrate=recalibrate,
        exam_rating=exam_rating,
    )
    if played_at is not None:
        _record_elo_scale(exam, played_at, paper_theta_half)
    gamification.apply_release(db, exam, m.sessions, now=now, recalibrate=recalibrate)
    db.flush()
    return ReleaseSummary(
        exam_id=exam.id,
        participants=n,
        calibrated=calibration is not None,
        iterations=calibration.iterations if calibration else None,
        cronbach_alpha=exam.cronbach_alpha,
        elo_rows=elo_rows,
        recalibrated=recalibrate,
    )


def _block_measures(
    layout: Layout, m: _Matrix, active: np.ndarray, x: np.ndarray
) -> list[blocks.BlockMeasure | None]:
    """Each section's own Rasch measure (None where the block is too small or has too few
    takers, and for an exam of one section)."""
    sections = [item.section for item, on in zip(m.items, active, strict=True) if on]
    count = max([len(layout.sections), *(s + 1 for s in sections)])
    if not len(m.sessions) or not sections:
        return [None] * count
    try:
        return blocks.calibrate_blocks(
            x,
            sections,
            min_items=settings.min_items_for_block_calibration,
            min_persons=settings.min_participants_for_calibration,
            n_sections=count,
        )
    except (ValidationError, ArithmeticError, np.linalg.LinAlgError):
        # The blocks' measures are extra: the release (whole-exam θ, grades, Elo) goes on.
        logger.exception(
            "exam %s: the blocks could not be calibrated on their own", m.items[0].exam_id
        )
        return [None] * count


def _with_block_measures(
    scores: list[dict[str, Any]] | None, measures: list[blocks.BlockMeasure | None], row: int
) -> list[dict[str, Any]] | None:
    """The session's section subtotals (from grading) with each measured block's θ, SE and
    scaled score added; a block no longer measured (after an exclusion) loses them."""
    if scores is None and not any(m is not None for m in measures):
        return None
    out = [dict(entry) for entry in scores or []]
    while len(out) < len(measures):
        out.append({})
    for s, entry in enumerate(out):
        for key in BLOCK_MEASURES:
            entry.pop(key, None)
        measure = measures[s] if s < len(measures) else None
        if measure is None or not np.isfinite(measure.theta[row]):
            continue
        entry["theta"] = round(float(measure.theta[row]), 4)
        entry["theta_se"] = _finite(measure.theta_se[row], digits=4)
        entry["scaled"] = round(float(measure.scaled[row]), 2)
        entry["scaled_se"] = _finite(measure.scaled_se[row], digits=2)
        if measure.shift is not None:
            entry["linked"] = True
    return out


def _store_item_statistics(
    db: Session,
    exam: Exam,
    m: _Matrix,
    active: np.ndarray,
    calibration: rasch.RaschCalibration | None,
    *,
    now: datetime,
) -> None:
    db.execute(delete(ItemStatistic).where(col(ItemStatistic.exam_id) == exam.id))
    x_all = m.scores
    item_stats = (
        classical.item_statistics(np.nan_to_num(x_all, nan=np.nan)) if len(m.sessions) else None
    )
    active_index = np.cumsum(active) - 1
    for c, item in enumerate(m.items):
        stat = ItemStatistic(exam_id=exam.id, item_id=item.id, computed_at=now)
        if item.kind == ItemKind.MULTIPLE_CHOICE:
            chosen = m.choices[item.id]
            answered = sum(chosen.get(o, 0) for o in item.options)
            stat.option_counts = {o: chosen.get(o, 0) for o in item.options}
            stat.option_counts[""] = len(m.sessions) - answered  # left blank
        if not item.is_excluded and item_stats is not None:
            stat.n_responses = int(np.sum(~np.isnan(x_all[:, c])))
            stat.facility = _finite(item_stats.facility[c])
            stat.discrimination = _finite(item_stats.discrimination[c])
            flags: list[str] = []
            if calibration is not None:
                k = int(active_index[c])
                stat.beta = _finite(calibration.beta[k])
                stat.beta_se = _finite(calibration.beta_se[k])
                stat.infit = _finite(calibration.infit[k])
                stat.outfit = _finite(calibration.outfit[k])
                stat.infit_z = _finite(calibration.infit_z[k])
                stat.outfit_z = _finite(calibration.outfit_z[k])
                stat.is_extreme = bool(calibration.extreme_items[k])
                for name, value in (("infit", stat.infit), ("outfit", stat.outfit)):
                    if value is not None and not settings.fit_low <= value <= settings.fit_high:
                        flags.append(f"{name}_misfit")
                if stat.is_extreme:
                    flags.append("extreme")
            if stat.discrimination is not None and stat.discrimination < 0:
                flags.append("negative_discrimination")
            stat.flags = flags
        else:
            stat.flags = ["excluded"] if item.is_excluded else []
        db.add(stat)


def _paper_theta_half(
    items: list[ExamItem], active: np.ndarray, calibration: rasch.RaschCalibration, shift: float
) -> float | None:
    """θ₅₀ of the paper on the linked scale: its items' linked β weighted by their points."""
    columns = np.flatnonzero(active)
    beta = np.asarray(calibration.beta, dtype=float) + shift
    weights = np.array([items[int(c)].points for c in columns], dtype=float)
    usable = np.isfinite(beta) & (weights > 0)
    if not usable.any():
        return None
    return elo.half_score_theta(beta[usable], weights[usable])


def _linked_elo_rating(db: Session, exam: Exam, theta_half: float | None) -> float | None:
    """A linked exam's rating from its paper (the scale's Elo anchor + 173.7·θ₅₀); None for
    the origin (rated by its takers, it sets the anchor) and for exams off the scale."""
    if theta_half is None or exam.link_status != LinkStatus.LINKED:
        return None
    anchor = db.exec(
        select(Exam.elo_anchor)
        .where(Exam.id != exam.id, col(Exam.elo_anchor).is_not(None))
        .order_by(col(Exam.window_start), col(Exam.id))
        .limit(1)
    ).first()
    return None if anchor is None else elo.linked_exam_rating(anchor, theta_half)


def _record_elo_scale(exam: Exam, played_at: float, theta_half: float | None) -> None:
    """Keep the rating the exam played at and, on the linked scale, the scale's anchor
    (the origin's sets it; a linked exam's reproduces the anchor it was rated from)."""
    exam.elo_rating = round(played_at, 4)
    exam.elo_anchor = (
        None if theta_half is None else round(elo.scale_anchor(played_at, theta_half), 4)
    )


def _apply_elo(
    db: Session,
    sessions: list[ExamSession],
    points: np.ndarray,
    max_points: np.ndarray,
    *,
    now: datetime,
    recalibrate: bool,
    exam_rating: float | None = None,
) -> tuple[int, float | None]:
    """Write Elo history exactly once per session; on recalibration, redo from stored
    pre-exam ratings. Returns the rows written and the rating the exam played at (None
    when nothing was rated)."""
    if not sessions:
        return 0, None
    session_ids = [s.id for s in sessions]
    history = {
        h.session_id: h
        for h in db.exec(select(EloHistory).where(col(EloHistory.session_id).in_(session_ids)))
    }
    ratings = {
        r.student_id: r
        for r in db.exec(
            select(StudentRating).where(
                col(StudentRating.student_id).in_([s.student_id for s in sessions])
            )
        )
    }
    if recalibrate:
        before = np.array([history[s.id].elo_before for s in sessions])
        rated = np.array(
            [0 if history[s.id].k_factor == elo.K_NEW else elo.NEW_PLAYER_EXAMS for s in sessions]
        )
    else:
        if history:
            # Already applied (a crashed run cannot get here: it is one transaction).
            sessions = [s for s in sessions if s.id not in history]
            if not sessions:
                return 0, None
        before = np.array(
            [
                ratings[s.student_id].elo if s.student_id in ratings else elo.START_RATING
                for s in sessions
            ]
        )
        rated = np.array(
            [ratings[s.student_id].exams_rated if s.student_id in ratings else 0 for s in sessions]
        )
    keep = np.array([s.id for s in sessions])
    mask = np.isin(np.array(session_ids), keep)
    result = elo.update_ratings(
        before, rated, points[mask], max_points[mask], exam_rating=exam_rating
    )
    for r, exam_session in enumerate(sessions):
        rating = ratings.get(exam_session.student_id)
        if rating is None:
            rating = StudentRating(student_id=exam_session.student_id)
            ratings[exam_session.student_id] = rating
        new = float(result.new_ratings[r])
        if recalibrate:
            row = history[exam_session.id]
            rating.elo = float(rating.elo + (new - row.elo_after))
            row.elo_after, row.expected, row.actual = (
                new,
                float(result.expected[r]),
                float(result.actual[r]),
            )
        else:
            row = EloHistory(
                session_id=exam_session.id,
                student_id=exam_session.student_id,
                exam_id=exam_session.exam_id,
                elo_before=float(before[r]),
                elo_after=new,
                k_factor=float(result.k[r]),
                expected=float(result.expected[r]),
                actual=float(result.actual[r]),
                created_at=now,
            )
            rating.elo = new
            rating.exams_rated += 1
        rating.updated_at = now
        db.add(row)
        db.add(rating)
    return len(sessions), result.exam_rating


def _finite(value: float | np.floating | None, *, digits: int | None = None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else float(value)
