"""Copying evidence at release: the pairs of sessions whose agreement is improbable for
independent work (scoring/collusion.py), stored for an admin to look at.

At release (after the calibration, whose abilities the test uses) every submitted
session's answers become integer codes per item — 0 for a right answer, then one code
per distinct wrong answer as it was normalised for grading (so "0,5" and ".5" are one
answer), −1 for a blank — and `collusion.find_pairs` returns the flagged pairs. They
replace the exam's earlier ones (a recalibration finds them again). Excluded items are
left out. A provisional release (too few takers) flags nobody: abilities and answer
popularity cannot be told from a handful of students.

What the admin sees for a pair (`pair_evidence`): both students, the number of
agreements against the number expected, the identical wrong answers and on which
items, both sessions' start and submit times, and whether the answers were saved from
the same device (the answer sheet's device id). It is evidence for a person to weigh,
never a penalty the system applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete
from sqlmodel import Session, col, select

from mockexam.db import session_scope
from mockexam.errors import NotFoundError, msg
from mockexam.localtime import local_iso
from mockexam.models import (
    Answer,
    CopyingPair,
    Exam,
    ExamItem,
    ExamSession,
    ItemKind,
    LinkStatus,
    SheetSync,
    Student,
)
from mockexam.scoring import collusion
from mockexam.scoring.grading import normalize_free_response, parse_number
from mockexam.scoring.rasch import RaschCalibration
from mockexam.services.student_directory import student_name

ALPHA = 1e-6
"""The family-wise level: the chance that any pair of honest students is flagged."""


def _answer_key(item: ExamItem, value: str) -> str:
    """The answer as grading compares it (a wrong answer's code is shared by its spellings)."""
    if item.kind == ItemKind.FREE_RESPONSE:
        normalized = normalize_free_response(value)
        number = parse_number(normalized)  # 0.5 and 1/2 are one answer
        return normalized if number is None else f"={number}"
    return value.strip().upper()


def response_codes(
    db: Session, exam: Exam, sessions: Sequence[ExamSession], items: Sequence[ExamItem]
) -> tuple[np.ndarray, list[ExamItem]]:
    """persons × active items: 0 right, 1.. a wrong answer (per item), −1 blank."""
    active = [i for i in items if not i.is_excluded]
    row_of = {s.id: r for r, s in enumerate(sessions)}
    col_of = {i.id: c for c, i in enumerate(active)}
    x = np.full((len(sessions), len(active)), collusion.BLANK, dtype=np.int64)
    books: list[dict[str, int]] = [{} for _ in active]
    for session_id, item_id, value, correct in db.execute(
        select(Answer.session_id, Answer.item_id, Answer.value, Answer.is_correct).where(
            Answer.exam_id == exam.id
        )
    ):
        r, c = row_of.get(session_id), col_of.get(item_id)
        if r is None or c is None or not value or not value.strip():
            continue
        if correct:
            x[r, c] = 0
        else:
            book = books[c]
            x[r, c] = book.setdefault(_answer_key(active[c], value), len(book) + 1)
    return x, active


def clear_pairs(db: Session, exam: Exam) -> None:
    db.execute(delete(CopyingPair).where(col(CopyingPair.exam_id) == exam.id))


def store_pairs(
    db: Session,
    exam: Exam,
    sessions: Sequence[ExamSession],
    items: Sequence[ExamItem],
    calibration: RaschCalibration,
    *,
    now: datetime,
) -> int:
    """Find and store the exam's flagged pairs (replacing any earlier); how many."""
    clear_pairs(db, exam)
    x, active = response_codes(db, exam, sessions, items)
    if len(sessions) < 2 or not active:
        return 0
    theta = np.where(np.isfinite(calibration.theta), calibration.theta, 0.0)
    pairs = collusion.find_pairs(x, np.zeros(len(active), dtype=np.int64), theta, alpha=ALPHA)
    for pair in pairs:
        db.add(
            CopyingPair(
                exam_id=exam.id,
                session_a=sessions[pair.a].id,
                session_b=sessions[pair.b].id,
                matches=pair.matches,
                identical_wrong=pair.identical_wrong,
                expected=round(pair.expected, 2),
                p_value=max(pair.p_value, 1e-300),  # stored as a float (no 0.0)
                found_at=now,
            )
        )
    return len(pairs)


@dataclass(frozen=True, slots=True)
class Side:
    session_id: int
    student_id: int
    name: str
    started_at: datetime
    submitted_at: datetime | None
    auto_submitted: bool
    points: float | None


@dataclass(frozen=True, slots=True)
class PairEvidence:
    pair_id: int
    a: Side
    b: Side
    matches: int
    expected: float
    identical_wrong: int
    p_value: float
    wrong_items: list[tuple[str, str]]  # (item label, the shared wrong answer)
    same_device: bool  # an answer-sheet device id both sessions saved from


def _side(s: ExamSession, student: Student) -> Side:
    return Side(
        session_id=s.id,
        student_id=student.id,
        name=student_name(
            student.first_name,
            student.last_name,
            student.username,
            student.telegram_id,
            student.full_name,
        ),
        started_at=s.started_at,
        submitted_at=s.submitted_at,
        auto_submitted=s.is_auto_submitted,
        points=s.points,
    )


def pair_evidence(db: Session, exam_id: int, *, limit: int = 200) -> list[PairEvidence]:
    """The exam's flagged pairs, most improbable first, with what a person needs to judge."""
    pairs = db.exec(
        select(CopyingPair)
        .where(CopyingPair.exam_id == exam_id)
        .order_by(col(CopyingPair.p_value), col(CopyingPair.id))
        .limit(limit)
    ).all()
    if not pairs:
        return []
    ids = sorted({p.session_a for p in pairs} | {p.session_b for p in pairs})
    sessions = {
        s.id: (s, st)
        for s, st in db.exec(
            select(ExamSession, Student)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .where(col(ExamSession.id).in_(ids))
        ).all()
    }
    items = {i.id: i for i in db.exec(select(ExamItem).where(ExamItem.exam_id == exam_id)).all()}
    answers: dict[int, dict[int, tuple[str, bool | None]]] = {}
    for session_id, item_id, value, correct in db.execute(
        select(Answer.session_id, Answer.item_id, Answer.value, Answer.is_correct).where(
            col(Answer.session_id).in_(ids)
        )
    ):
        answers.setdefault(session_id, {})[item_id] = (value, correct)
    devices: dict[int, set[str]] = {}
    for session_id, device in db.execute(
        select(SheetSync.session_id, SheetSync.device).where(col(SheetSync.session_id).in_(ids))
    ):
        devices.setdefault(session_id, set()).add(device)
    out = []
    for p in pairs:
        if p.session_a not in sessions or p.session_b not in sessions:
            continue
        mine, theirs = answers.get(p.session_a, {}), answers.get(p.session_b, {})
        wrong = [
            (items[item_id].position, items[item_id].label, value)
            for item_id, (value, correct) in mine.items()
            if value.strip()
            and not correct
            and item_id in items
            and not items[item_id].is_excluded
            and (other := theirs.get(item_id, ("", None))[0]).strip()
            and _answer_key(items[item_id], other) == _answer_key(items[item_id], value)
        ]
        out.append(
            PairEvidence(
                pair_id=p.id,
                a=_side(*sessions[p.session_a]),
                b=_side(*sessions[p.session_b]),
                matches=p.matches,
                expected=p.expected,
                identical_wrong=p.identical_wrong,
                p_value=p.p_value,
                wrong_items=[(label, value) for _pos, label, value in sorted(wrong)],
                same_device=bool(devices.get(p.session_a, set()) & devices.get(p.session_b, set())),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Integrity:
    """What the exam's scale-and-copying page shows."""

    exam_id: int
    title: str
    released: bool
    link_status: str | None
    link_shift: float | None
    link_shift_se: float | None
    link_report: dict
    pairs: list[PairEvidence]
    elo_rating: float | None = None  # the rating the paper played at (Elo)
    elo_from_paper: bool = False  # rated from its linked difficulty, not from its takers


def exam_integrity(db: Session, exam_id: int) -> Integrity | None:
    """The exam's linking at release and its flagged pairs (None: no such exam)."""
    exam = db.get(Exam, exam_id)
    if exam is None:
        return None
    return Integrity(
        exam_id=exam.id,
        title=exam.title,
        released=exam.released_at is not None,
        link_status=exam.link_status,
        link_shift=exam.link_shift,
        link_shift_se=exam.link_shift_se,
        link_report=dict(exam.link_report or {}),
        pairs=pair_evidence(db, exam_id),
        elo_rating=exam.elo_rating,
        elo_from_paper=exam.elo_anchor is not None and exam.link_status == LinkStatus.LINKED,
    )


COPYING_COLUMNS = [
    "p_value",
    "matches",
    "expected",
    "identical_wrong",
    "same_device",
    "student_a_id",
    "student_a",
    "started_a",
    "submitted_a",
    "student_b_id",
    "student_b",
    "started_b",
    "submitted_b",
    "identical_wrong_items",
]


def iter_copying_rows(exam_id: int) -> Iterator[list[object]]:
    """The exam's flagged pairs as export rows (header first), most improbable first."""
    with session_scope(readonly=True) as db:
        if db.get(Exam, exam_id) is None:
            raise NotFoundError(
                msg(
                    "{exam_id}-imtihon mavjud emas.",
                    "Экзамена {exam_id} не существует.",
                    "Exam {exam_id} does not exist.",
                    exam_id=exam_id,
                )
            )
        evidence = pair_evidence(db, exam_id, limit=10_000)
    yield COPYING_COLUMNS
    for p in evidence:
        yield [
            f"{p.p_value:.3e}",
            p.matches,
            p.expected,
            p.identical_wrong,
            int(p.same_device),
            p.a.student_id,
            p.a.name,
            local_iso(p.a.started_at),
            local_iso(p.a.submitted_at) if p.a.submitted_at else None,
            p.b.student_id,
            p.b.name,
            local_iso(p.b.started_at),
            local_iso(p.b.submitted_at) if p.b.submitted_at else None,
            "; ".join(f"{label}={value}" for label, value in p.wrong_items),
        ]
