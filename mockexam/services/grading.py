"""Raw-score grading of submitted sessions, set-based so the exam-end surge is cheap.

Whether an answer is right depends only on (item, value), and an item gets
few distinct values, so each batch grades the DISTINCT (item, value) pairs
in Python (`grade_item`: normalisation, numeric equivalence) and then marks
the answers with one UPDATE per item. Points and exercises come from the
correctness matrix (`tally`): weighted points (exact, 0.01 steps), and per
layout section the subtotals in `ExamSession.section_scores`, written in the
same UPDATE as the totals. A session's `graded_at` is set once and kept by
later regrades.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import bindparam, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import lock_for_update, utcnow
from mockexam.models import Answer, ExamItem, ExamSession
from mockexam.scoring.grading import grade_item
from mockexam.scoring.points import points_number
from mockexam.scoring.tally import Tally, tally
from mockexam.services.exams import get_items, item_spec


def exams_with_ungraded_sessions(
    session: Session, *, hold_seconds: int = 0, now: datetime | None = None
) -> list[int]:
    """Exams that have submitted sessions without a raw score yet.

    `hold_seconds` (the sweep's GRADING_HOLD_SECONDS): leave out an exam while one of
    its sessions still in progress has its deadline within that many seconds: its
    closing rush, when the students' last saves, submits and the clock's auto-submits
    arrive. Grading there would take the CPU and the database from them for scores
    students see only after the window closes (spec §3.7), and the release regrades
    every session anyway (`regrade_exam`); only the admin's live raw scores wait. It
    resumes at the first sweep after those deadlines (the sweep auto-submits the
    sessions left behind first).
    """
    query = select(ExamSession.exam_id).where(
        col(ExamSession.submitted_at).is_not(None),
        col(ExamSession.graded_at).is_(None),
    )
    if hold_seconds > 0:
        closing = aliased(ExamSession)
        soon = (now or utcnow()) + timedelta(seconds=hold_seconds)
        query = query.where(
            ~exists().where(
                closing.exam_id == ExamSession.exam_id,
                col(closing.submitted_at).is_(None),
                closing.deadline <= soon,
            )
        )
    return list(session.exec(query.distinct()))


def grade_pending(
    session: Session, exam_id: int, *, limit: int | None = None, now: datetime | None = None
) -> int:
    """Grade up to `limit` ungraded submitted sessions of one exam; returns how many.

    On PostgreSQL the rows are claimed with FOR UPDATE SKIP LOCKED, so two
    consumers grading the same exam split the work instead of waiting.
    """
    limit = limit or settings.grading_batch_size
    ids = list(
        session.exec(
            lock_for_update(
                session,
                select(ExamSession.id)
                .where(
                    ExamSession.exam_id == exam_id,
                    col(ExamSession.submitted_at).is_not(None),
                    col(ExamSession.graded_at).is_(None),
                )
                .order_by(ExamSession.id)
                .limit(limit),
                skip_locked=True,
            )
        )
    )
    if ids:
        _grade(session, exam_id, ids, now=now or utcnow())
    return len(ids)


def grade_session(session: Session, session_id: int, *, now: datetime | None = None) -> bool:
    """Grade one submitted session, once (False if not submitted or already graded)."""
    row = session.exec(
        lock_for_update(session, select(ExamSession).where(ExamSession.id == session_id))
    ).first()
    if row is None or row.submitted_at is None or row.graded_at is not None:
        return False
    _grade(session, row.exam_id, [row.id], now=now or utcnow())
    return True


def regrade_exam(session: Session, exam_id: int, *, now: datetime | None = None) -> int:
    """Re-mark every submitted session of an exam with the current key and exclusions."""
    ids = list(
        session.exec(
            select(ExamSession.id)
            .where(ExamSession.exam_id == exam_id, col(ExamSession.submitted_at).is_not(None))
            .order_by(ExamSession.id)
        )
    )
    if ids:
        _grade(session, exam_id, ids, now=now or utcnow(), whole_exam=True)
    return len(ids)


def _grade(
    session: Session,
    exam_id: int,
    session_ids: Sequence[int],
    *,
    now: datetime,
    whole_exam: bool = False,
) -> None:
    items = get_items(session, exam_id)
    _mark_answers(session, exam_id, items, session_ids, whole_exam=whole_exam)
    in_scope = [Answer.exam_id == exam_id, col(Answer.is_correct).is_(True)]
    if not whole_exam:
        in_scope.append(col(Answer.session_id).in_(session_ids))
    row_of = {sid: r for r, sid in enumerate(session_ids)}
    col_of = {item.id: c for c, item in enumerate(items)}
    marks = np.zeros((len(session_ids), len(items)), dtype=bool)
    for session_id, item_id in session.execute(
        select(Answer.session_id, Answer.item_id).where(*in_scope)
    ):
        r = row_of.get(session_id)
        if r is not None:
            marks[r, col_of[item_id]] = True
    result = tally(
        [item_spec(i) for i in items], marks, np.array([i.is_excluded for i in items], bool)
    )
    table = ExamSession.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            points=bindparam("b_points"),
            exercises=bindparam("b_exercises"),
            section_scores=bindparam("b_sections", type_=table.c.section_scores.type),
            max_points=result.max_points,
            max_exercises=result.max_exercises,
            graded_at=func.coalesce(table.c.graded_at, now),
        ),
        [
            {
                "b_id": sid,
                "b_points": float(result.points[r]),
                "b_exercises": int(result.exercises[r]),
                "b_sections": section_scores(result, r),
            }
            for r, sid in enumerate(session_ids)
        ],
    )
    _expire_loaded(session, exam_id, set(session_ids))


def section_scores(result: Tally, row: int) -> list[dict[str, Any]]:
    """Sheet `row`'s subtotals, one dict per section index: points, max_points (numbers as
    people read them: 29.7, not 29.700000000000003), exercises, max_exercises."""
    return [
        {
            "points": points_number(float(result.section_points[row, s])),
            "max_points": points_number(float(result.section_max_points[s])),
            "exercises": int(result.section_exercises[row, s]),
            "max_exercises": int(result.section_max_exercises[s]),
        }
        for s in range(result.section_max_points.shape[0])
    ]


def _expire_loaded(session: Session, exam_id: int, session_ids: set[int]) -> None:
    """Loaded sessions and answers in scope were changed by bulk UPDATEs: reload them on access."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, ExamSession) and obj.id in session_ids) or (
            isinstance(obj, Answer) and obj.exam_id == exam_id
        ):
            session.expire(obj)


def _mark_answers(
    session: Session,
    exam_id: int,
    items: list[ExamItem],
    session_ids: Sequence[int],
    *,
    whole_exam: bool,
) -> None:
    """Set Answer.is_correct for the sessions in scope: one UPDATE per item, changed rows only."""
    scope = [Answer.exam_id == exam_id]
    if not whole_exam:
        scope.append(col(Answer.session_id).in_(session_ids))
    values_by_item: dict[int, list[str]] = defaultdict(list)
    for item_id, value in session.execute(
        select(Answer.item_id, Answer.value).where(*scope).distinct()
    ):
        values_by_item[item_id].append(value)
    for item in items:
        values = values_by_item.get(item.id)
        if not values:
            continue
        if item.is_excluded:
            new = None
        else:
            spec = item_spec(item)
            right = [v for v in values if grade_item(spec, item.accepted_answers, v)]
            new = col(Answer.value).in_(right) if right else False
        statement = update(Answer).where(
            *scope, Answer.item_id == item.id, col(Answer.is_correct).is_distinct_from(new)
        )
        session.execute(
            statement.values(is_correct=new), execution_options={"synchronize_session": False}
        )
