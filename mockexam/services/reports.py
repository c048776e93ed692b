"""A student's progress report for parents (a PDF drawn by `mockexam.certificates`).

What it holds, over the student's released exams: each exam's date, title, scaled score
± SE and grade (marked where the exam is on its own scale rather than the item bank's
linked one, and where the result is provisional), the Elo rating after each exam,
strengths (the share of items right per subject of the exams' sheets, and per practice
topic with enough answers), and the achievements earned. The student
downloads their own from the history page (a signed link, purpose `report`); an admin
or a teacher gets a group's as one ZIP (services/bulk.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from mockexam.certificates import (
    EloPoint,
    ProgressReport,
    ReportExam,
    TopicStrength,
    render_report,
)
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, msg
from mockexam.gamification.achievement_texts import achievement_names
from mockexam.localtime import to_local
from mockexam.models import (
    COMMON_SCALE,
    Answer,
    EloHistory,
    Exam,
    ExamItem,
    ExamSession,
    SessionStatus,
    Student,
)
from mockexam.scoring.layout import LayoutError
from mockexam.scoring.layout_templates import SUBJECTS
from mockexam.services import tokens
from mockexam.services.achievements import earned_achievements
from mockexam.services.exams import exam_layout
from mockexam.services.practice import overall_topic_scores
from mockexam.services.student_directory import student_name
from mockexam.services.students import language_for

MIN_TOPIC_ANSWERS = 5
"""A practice topic enters the strengths with at least this many answers."""
LINK_TTL = timedelta(hours=1)
REPORT_PATH = "/api/report"
MAX_STRENGTHS = 12


def _no_student() -> NotFoundError:
    return NotFoundError(msg("Bunday o‘quvchi yo‘q.", "Такого ученика нет.", "No such student."))


def report_facts(
    db: Session, *, student_id: int, lang: str | None = None, now: datetime | None = None
) -> tuple[ProgressReport, str]:
    """The report's facts for one student and the language to draw it in (theirs unless
    `lang`)."""
    now = now or utcnow()
    student = db.get(Student, student_id)
    if student is None:
        raise _no_student()
    lang = lang or language_for(student.language_code)
    rows = db.exec(
        select(ExamSession, Exam)
        .join(Exam, col(Exam.id) == ExamSession.exam_id)
        .where(ExamSession.student_id == student_id, ExamSession.status == SessionStatus.RELEASED)
        .order_by(col(Exam.window_start), col(Exam.id))
    ).all()
    exams = [
        ReportExam(
            exam_date=to_local(exam.window_start).date(),
            exam_title=exam.title,
            scaled_score=round(float(s.scaled_score or 0.0), 1),
            scaled_score_se=None
            if s.is_provisional or s.scaled_score_se is None
            else round(float(s.scaled_score_se), 1),
            grade=None if s.is_provisional else s.grade,
            on_linked_scale=exam.link_status in COMMON_SCALE,
            is_provisional=bool(s.is_provisional),
        )
        for s, exam in rows
    ]
    # Each rating at its exam's date (the release may come days later, or all at once).
    elo = [
        EloPoint(on=to_local(start).date(), rating=round(float(after), 1))
        for start, after in db.exec(
            select(Exam.window_start, EloHistory.elo_after)
            .join(Exam, col(Exam.id) == EloHistory.exam_id)
            .where(EloHistory.student_id == student_id)
            .order_by(col(Exam.window_start), col(EloHistory.created_at))
        )
    ]
    strengths = _subject_strengths(db, student_id, [exam for _s, exam in rows], lang)
    strengths += [
        TopicStrength(topic=t.topic_name, share_correct=t.correct / t.total)
        for t in overall_topic_scores(db, student_id, lang)
        if t.total >= MIN_TOPIC_ANSWERS
    ]
    awards = earned_achievements(db, student_id=student_id)
    names = [achievement_names(a.code, a.name)[lang] for a in reversed(awards)]
    today = to_local(now).date()
    first = exams[0].exam_date if exams else to_local(student.created_at).date()
    report = ProgressReport(
        student_name=student_name(
            student.first_name,
            student.last_name,
            student.username,
            student.telegram_id,
            student.full_name,
        ),
        period_start=min(first, today),
        period_end=today,
        exams=tuple(exams),
        elo_trend=tuple(elo),
        strengths=tuple(strengths[:MAX_STRENGTHS]),
        achievements=tuple(names),
        issued_on=today,
        brand=settings.centre_name,
    )
    return report, lang


def _subject_strengths(
    db: Session, student_id: int, exams: list[Exam], lang: str
) -> list[TopicStrength]:
    """The share of items right per subject of the released exams' sheets (an unanswered
    item counts as not right; excluded items do not count)."""
    if not exams:
        return []
    exam_ids = [e.id for e in exams]
    items = db.exec(
        select(ExamItem.exam_id, ExamItem.section, func.count())
        .where(col(ExamItem.exam_id).in_(exam_ids), col(ExamItem.is_excluded).is_(False))
        .group_by(col(ExamItem.exam_id), col(ExamItem.section))
    ).all()
    right = {
        (exam_id, section): int(n or 0)
        for exam_id, section, n in db.exec(
            select(
                ExamItem.exam_id,
                ExamItem.section,
                func.sum(case((col(Answer.is_correct).is_(True), 1), else_=0)),
            )
            .join(Answer, col(Answer.item_id) == ExamItem.id)
            .join(ExamSession, col(ExamSession.id) == Answer.session_id)
            .where(
                ExamSession.student_id == student_id,
                col(ExamItem.exam_id).in_(exam_ids),
                col(ExamItem.is_excluded).is_(False),
            )
            .group_by(col(ExamItem.exam_id), col(ExamItem.section))
        )
    }
    subject_of: dict[tuple[int, int], str] = {}
    for exam in exams:
        try:
            sections = exam_layout(exam).sections
        except LayoutError:
            continue
        for index, section in enumerate(sections):
            subject_of[(exam.id, index)] = section.subject
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for exam_id, section, n in items:
        subject = subject_of.get((exam_id, section))
        if subject is None:
            continue
        totals[subject][0] += right.get((exam_id, section), 0)
        totals[subject][1] += int(n)
    out = []
    for subject, (got, total) in totals.items():
        if total:
            names = SUBJECTS.get(subject)
            name = dict(zip(("uz", "ru", "en"), names, strict=True))[lang] if names else subject
            out.append(TopicStrength(topic=name, share_correct=got / total))
    return sorted(out, key=lambda t: -t.share_correct)


def render_student_report(*, student_id: int, lang: str | None = None) -> tuple[bytes, str]:
    """The student's report as PDF bytes and its file name."""
    with session_scope(readonly=True) as db:
        report, lang = report_facts(db, student_id=student_id, lang=lang)
    return render_report(report, lang=lang), _file_name(report.student_name, student_id)


def _file_name(name: str, student_id: int) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:60] or "student"
    return f"report-{safe}-{student_id}.pdf"


def report_link(*, student_id: int, lang: str, now: datetime | None = None) -> str:
    """The student's own signed, hour-long link to their report (`/api/report?t=…&lang=`)."""
    now = now or utcnow()
    token = tokens.make_token("report", student_id=student_id, exam_id=0, expires_at=now + LINK_TTL)
    return f"{REPORT_PATH}?t={token}&lang={lang}"


def open_report(*, token: str, lang: Any, now: datetime | None = None) -> tuple[bytes, str]:
    """The PDF behind a signed report link; raises with a reason otherwise."""
    student_id = tokens.check_token(
        "report",
        exam_id=0,
        token=token,
        now=now or utcnow(),
        invalid=msg(
            "Hisobot havolasi noto‘g‘ri.",
            "Неверная ссылка на отчёт.",
            "This report link is not valid.",
        ),
        expired=msg(
            "Hisobot havolasining muddati tugagan: tarix sahifasini qayta oching.",
            "Ссылка на отчёт устарела: откройте историю снова.",
            "This report link has expired: reopen the history page.",
        ),
    )
    return render_student_report(
        student_id=student_id, lang=lang if lang in ("uz", "ru", "en") else None
    )
