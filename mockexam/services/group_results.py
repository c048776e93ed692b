"""A group's results: which exams were theirs, how the group did against everyone, who missed it.

What a teacher opens first (and an admin beside each group):

- `group_exams`: the exams the group could take (open to everyone, or with the group in
  the audience), started already, newest first;
- `group_exam_report`: one exam for one group: how many members took it, the group's
  mean of the official score against the mean of everyone who took it, the members
  who did not, and per item the share of the group that got it right against
  everyone's share (the item analysis of the group: where the class is behind);
- `last_exam_summaries`: for the groups list, each group's last exam in one pass
  (a handful of queries whatever the number of groups).

The official score is the layout's: points for a points-scored exam (DTM), else the
scaled score once the exam is released (before that, the points: the scaled score
does not exist yet). Every function takes the caller's `Scope`; a group outside it
reads as missing (services.groups.get_group).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, false, func, or_
from sqlmodel import Session, col, select

from mockexam.db import utcnow
from mockexam.errors import NotFoundError, msg
from mockexam.models import (
    Answer,
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamItem,
    ExamSession,
    ExamStatus,
    GroupMember,
    Student,
)
from mockexam.scoring.layout import POINTS
from mockexam.scoring.points import points_number
from mockexam.services.access import Scope
from mockexam.services.exams import exam_layout
from mockexam.services.groups import get_group
from mockexam.services.student_directory import student_name

MAX_EXAMS_LISTED = 60
MAX_ROWS = 500  # a group is 10–30 students; a list past this is cut


@dataclass(frozen=True, slots=True)
class GroupExam:
    exam_id: int
    title: str
    window_start: datetime
    released: bool


def _for_group(group_id: int) -> object:
    """Exams the group may take: open to everyone, or with the group in the audience."""
    return or_(
        col(Exam.audience) == ExamAudienceKind.EVERYONE.value,
        col(Exam.id).in_(select(ExamAudience.exam_id).where(ExamAudience.group_id == group_id)),
    )


def group_exams(
    session: Session, group_id: int, *, scope: Scope, now: datetime | None = None
) -> list[GroupExam]:
    """The exams of the group that have started (not drafts), newest first."""
    get_group(session, group_id, scope=scope)
    rows = session.exec(
        select(Exam.id, Exam.title, Exam.window_start, Exam.status)
        .where(
            col(Exam.status) != ExamStatus.DRAFT.value,
            col(Exam.window_start) <= (now or utcnow()),
            _for_group(group_id),
        )
        .order_by(col(Exam.window_start).desc(), col(Exam.id).desc())
        .limit(MAX_EXAMS_LISTED)
    ).all()
    return [
        GroupExam(exam_id=i, title=t, window_start=w, released=s == ExamStatus.RELEASED)
        for i, t, w, s in rows
    ]


@dataclass(frozen=True, slots=True)
class UpcomingExam:
    exam_id: int
    title: str
    window_start: datetime
    window_end: datetime
    duration_minutes: int


def upcoming_exams(
    session: Session, group_id: int, *, scope: Scope, now: datetime | None = None, limit: int = 5
) -> list[UpcomingExam]:
    """The group's published exams that have not started yet, soonest first (what a
    teacher tells the class about)."""
    get_group(session, group_id, scope=scope)
    rows = session.exec(
        select(Exam)
        .where(
            col(Exam.status) == ExamStatus.PUBLISHED.value,
            col(Exam.window_start) > (now or utcnow()),
            _for_group(group_id),
        )
        .order_by(col(Exam.window_start), col(Exam.id))
        .limit(limit)
    ).all()
    return [
        UpcomingExam(
            exam_id=e.id,
            title=e.title,
            window_start=e.window_start,
            window_end=e.window_end,
            duration_minutes=e.duration_minutes,
        )
        for e in rows
    ]


def _uses_points(exam: Exam) -> bool:
    """Whether the exam's official score, as it stands now, is the points."""
    return exam.status != ExamStatus.RELEASED or exam_layout(exam).official_score == POINTS


@dataclass(frozen=True, slots=True)
class ResultLine:
    student_id: int
    name: str
    score: float | None  # the official score (None: not graded yet)
    grade: str | None


@dataclass(frozen=True, slots=True)
class ItemLine:
    label: str
    group_correct: float | None  # share of the group's graded takers who got it right
    everyone_correct: float | None


@dataclass(frozen=True, slots=True)
class GroupExamReport:
    exam_id: int
    title: str
    uses_points: bool  # the score below is the points (else the scaled score)
    members: int
    took: int
    group_mean: float | None
    everyone_took: int
    everyone_mean: float | None
    results: list[ResultLine]  # the group's takers, best first
    missed: list[tuple[int, str]]  # (student id, name) of members who did not take it
    items: list[ItemLine]  # sheet order; excluded items left out


def _no_exam() -> NotFoundError:
    return NotFoundError(
        msg(
            "Bu imtihon bu guruh uchun emas.",
            "Этот экзамен не для этой группы.",
            "This exam is not one of this group's.",
        )
    )


def _members(session: Session, group_id: int) -> list[tuple[int, str]]:
    rows = session.exec(
        select(
            Student.id,
            Student.first_name,
            Student.last_name,
            Student.username,
            Student.telegram_id,
            Student.full_name,
        )
        .join(GroupMember, col(GroupMember.student_id) == Student.id)
        .where(GroupMember.group_id == group_id)
        .limit(MAX_ROWS)
    ).all()
    named = [(sid, student_name(f, la, u, tg, fn)) for sid, f, la, u, tg, fn in rows]
    return sorted(named, key=lambda r: r[1].lower())


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def group_exam_report(
    session: Session, group_id: int, exam_id: int, *, scope: Scope
) -> GroupExamReport:
    """One exam for one group (NotFoundError: no such group in scope, or not the group's exam)."""
    get_group(session, group_id, scope=scope)
    exam = session.exec(
        select(Exam).where(
            Exam.id == exam_id,
            col(Exam.status) != ExamStatus.DRAFT.value,
            _for_group(group_id),
        )
    ).first()
    if exam is None:
        raise _no_exam()
    points = _uses_points(exam)
    score = col(ExamSession.points) if points else col(ExamSession.scaled_score)
    members = _members(session, group_id)
    names = dict(members)
    submitted = (ExamSession.exam_id == exam_id, col(ExamSession.submitted_at).is_not(None))
    everyone_took, everyone_mean = session.exec(
        select(func.count(), func.avg(score)).where(*submitted)
    ).one()
    mine = {
        sid: (s, g, at)
        for sid, s, g, at in session.exec(
            select(ExamSession.student_id, score, ExamSession.grade, ExamSession.graded_at).where(
                *submitted, col(ExamSession.student_id).in_(list(names))
            )
        ).all()
    }
    results = sorted(
        (
            ResultLine(
                student_id=sid,
                name=names[sid],
                score=None if s is None else points_number(s) if points else round(float(s), 1),
                grade=g,
            )
            for sid, (s, g, _at) in mine.items()
        ),
        key=lambda r: (r.score is None, -(r.score or 0), r.name.lower()),
    )
    return GroupExamReport(
        exam_id=exam.id,
        title=exam.title,
        uses_points=points,
        members=len(members),
        took=len(mine),
        group_mean=_mean([float(s) for s, _g, _at in mine.values() if s is not None]),
        everyone_took=int(everyone_took),
        everyone_mean=None if everyone_mean is None else round(float(everyone_mean), 2),
        results=results,
        missed=[(sid, name) for sid, name in members if sid not in mine],
        items=_items(session, exam_id, graded_group={s for s, v in mine.items() if v[2]}),
    )


def _items(session: Session, exam_id: int, *, graded_group: set[int]) -> list[ItemLine]:
    """Per item, the share right in the group and among everyone (graded takers only;
    an unanswered item counts as wrong)."""
    graded_all = int(
        session.exec(
            select(func.count()).where(
                ExamSession.exam_id == exam_id,
                col(ExamSession.submitted_at).is_not(None),
                col(ExamSession.graded_at).is_not(None),
            )
        ).one()
    )
    items = session.exec(
        select(ExamItem.id, ExamItem.number, ExamItem.sub_part)
        .where(ExamItem.exam_id == exam_id, col(ExamItem.is_excluded).is_(False))
        .order_by(ExamItem.position)
    ).all()
    mine = sorted(graded_group)
    member = col(ExamSession.student_id).in_(mine) if mine else false()
    right = {
        item_id: (int(n), int(n_group or 0))
        for item_id, n, n_group in session.exec(
            select(Answer.item_id, func.count(), func.sum(case((member, 1), else_=0)))
            .join(ExamSession, col(ExamSession.id) == Answer.session_id)
            .where(
                Answer.exam_id == exam_id,
                col(Answer.is_correct).is_(True),
                col(ExamSession.submitted_at).is_not(None),
                col(ExamSession.graded_at).is_not(None),
            )
            .group_by(col(Answer.item_id))
        ).all()
    }

    def share(n: int, of: int) -> float | None:
        return round(n / of, 3) if of else None

    return [
        ItemLine(
            label=f"{number}{sub}",
            group_correct=share(right.get(item_id, (0, 0))[1], len(mine)),
            everyone_correct=share(right.get(item_id, (0, 0))[0], graded_all),
        )
        for item_id, number, sub in items
    ]


@dataclass(frozen=True, slots=True)
class LastExam:
    exam_id: int
    title: str
    took: int
    members: int
    group_mean: float | None
    everyone_mean: float | None
    uses_points: bool


def last_exam_summaries(
    session: Session, group_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, LastExam]:
    """Each group's most recent started exam with the group's mean against everyone's
    (groups whose members could take no exam yet are left out). The caller passes the
    groups it may see (services.groups.list_groups gives them)."""
    ids = sorted(set(group_ids))
    if not ids:
        return {}
    recent = session.exec(
        select(Exam)
        .where(
            col(Exam.status) != ExamStatus.DRAFT.value, col(Exam.window_start) <= (now or utcnow())
        )
        .order_by(col(Exam.window_start).desc(), col(Exam.id).desc())
        .limit(MAX_EXAMS_LISTED)
    ).all()
    if not recent:
        return {}
    audiences: dict[int, set[int]] = {}
    for exam_id, group_id in session.exec(
        select(ExamAudience.exam_id, ExamAudience.group_id).where(
            col(ExamAudience.exam_id).in_([e.id for e in recent])
        )
    ).all():
        audiences.setdefault(exam_id, set()).add(group_id)
    last: dict[int, Exam] = {}
    for gid in ids:
        for exam in recent:
            if exam.audience == ExamAudienceKind.EVERYONE or gid in audiences.get(exam.id, ()):
                last[gid] = exam
                break
    if not last:
        return {}
    exam_ids = sorted({e.id for e in last.values()})
    submitted = (col(ExamSession.exam_id).in_(exam_ids), col(ExamSession.submitted_at).is_not(None))
    scores = (func.avg(ExamSession.points), func.avg(ExamSession.scaled_score))
    everyone = {
        e: (p, s)
        for e, p, s in session.exec(
            select(ExamSession.exam_id, *scores).where(*submitted).group_by(ExamSession.exam_id)
        ).all()
    }
    by_group = {
        (g, e): (int(n), p, s)
        for g, e, n, p, s in session.exec(
            select(GroupMember.group_id, ExamSession.exam_id, func.count(), *scores)
            .join(GroupMember, col(GroupMember.student_id) == ExamSession.student_id)
            .where(*submitted, col(GroupMember.group_id).in_(list(last)))
            .group_by(GroupMember.group_id, ExamSession.exam_id)
        ).all()
    }
    sizes = dict(
        session.exec(
            select(GroupMember.group_id, func.count())
            .where(col(GroupMember.group_id).in_(list(last)))
            .group_by(GroupMember.group_id)
        ).all()
    )

    def rounded(pair: tuple[object, object] | None, points: bool) -> float | None:
        value = None if pair is None else pair[0 if points else 1]
        return None if value is None else round(float(value), 2)

    out: dict[int, LastExam] = {}
    for gid, exam in last.items():
        points = _uses_points(exam)
        took, *group_scores = by_group.get((gid, exam.id), (0, None, None))
        out[gid] = LastExam(
            exam_id=exam.id,
            title=exam.title,
            took=took,
            members=int(sizes.get(gid, 0)),
            group_mean=rounded(tuple(group_scores) if took else None, points),
            everyone_mean=rounded(everyone.get(exam.id), points),
            uses_points=points,
        )
    return out
