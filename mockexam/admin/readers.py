"""Read-only queries the admin pages need and no service offers yet (exam list, audit log).

They belong in `mockexam/services` (exams.list_exams, audit.list_entries)
and should move there; until then they live here, read-only, one aggregate
query per page, and every change still goes through the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from mockexam.db import utcnow
from mockexam.models import Admin, AuditLog, Exam, ExamSession, ExamStatus
from mockexam.services.exams import exam_phase, missing_key_items


@dataclass(frozen=True)
class ExamListEntry:
    exam_id: int
    title: str
    phase: str
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    has_pdf: bool
    sessions: int
    submitted: int
    auto_submitted: int
    missing_key: int  # drafts only (0 for published exams: their key is complete)


@dataclass(frozen=True)
class ExamList:
    entries: list[ExamListEntry]
    total: int
    counts: dict[str, int] = field(default_factory=dict)  # phase → exams


def list_exams(
    db: Session, *, limit: int = 50, offset: int = 0, now: datetime | None = None
) -> ExamList:
    """Exams newest window first, with session counts (one grouped query) and phase totals."""
    now = now or utcnow()
    s = ExamSession
    submitted = func.coalesce(func.sum(case((col(s.submitted_at).is_not(None), 1), else_=0)), 0)
    auto = func.coalesce(func.sum(case((col(s.is_auto_submitted).is_(True), 1), else_=0)), 0)
    rows = db.exec(
        select(Exam, func.count(s.id), submitted, auto)
        .join(s, col(s.exam_id) == Exam.id, isouter=True)
        .group_by(col(Exam.id))
        .order_by(col(Exam.window_start).desc(), col(Exam.id).desc())
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
    ).all()
    entries = []
    for exam, sessions, n_submitted, n_auto in rows:
        missing = len(missing_key_items(db, exam.id or 0)) if exam.status == ExamStatus.DRAFT else 0
        entries.append(
            ExamListEntry(
                exam_id=exam.id or 0,
                title=exam.title,
                phase=str(exam_phase(exam, now)),
                window_start=exam.window_start,
                window_end=exam.window_end,
                duration_minutes=exam.duration_minutes,
                has_pdf=bool(exam.pdf_path),
                sessions=int(sessions),
                submitted=int(n_submitted),
                auto_submitted=int(n_auto),
                missing_key=missing,
            )
        )
    counts: dict[str, int] = {}
    for status, start, end in db.exec(select(Exam.status, Exam.window_start, Exam.window_end)):
        phase = str(
            exam_phase(Exam(status=status, window_start=start, window_end=end, title=""), now)
        )
        counts[phase] = counts.get(phase, 0) + 1
    return ExamList(entries=entries, total=sum(counts.values()), counts=counts)


@dataclass(frozen=True)
class AuditEntry:
    entry_id: int
    created_at: datetime
    admin: str
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]


def list_audit(
    db: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    action_prefix: str | None = None,
    exam_id: int | None = None,
) -> tuple[list[AuditEntry], int]:
    """The audit log newest first (one page) and the number of matching entries."""
    conditions = []
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(col(AuditLog.action).like(f"{escaped}%", escape="\\"))
    if exam_id is not None:
        conditions.append(AuditLog.entity == "exam")
        conditions.append(AuditLog.entity_id == exam_id)
    rows = db.exec(
        select(AuditLog, Admin.username)
        .join(Admin, col(Admin.id) == AuditLog.admin_id, isouter=True)
        .where(*conditions)
        .order_by(col(AuditLog.id).desc())
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
    ).all()
    total = db.exec(select(func.count()).select_from(AuditLog).where(*conditions)).one()
    entries = [
        AuditEntry(
            entry_id=row.id or 0,
            created_at=row.created_at,
            admin=username or ("—" if row.admin_id is None else f"#{row.admin_id}"),
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            details=dict(row.details or {}),
        )
        for row, username in rows
    ]
    return entries, int(total)
