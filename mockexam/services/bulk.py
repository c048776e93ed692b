"""ZIPs an admin or a teacher asks for, made in the background with progress.

Two kinds: an exam's certificates (everyone's, or one group's: a teacher's always in
their own groups) and a group's progress reports. `start_job` checks who asks for what
and records a `BulkJob` (audited); the Huey task (`tasks.run_bulk_job_task`) calls
`run_job`, which writes `upload_dir/exports/<job>-<random>.zip` and counts `done` of
`total` as it goes (the page polls `job_status`). An exam whose certificates are not
issued yet has them issued first. Only the account that asked may read the job and
download the file (`job_file`); files older than a day are pruned.
"""

from __future__ import annotations

import logging
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError, msg
from mockexam.models import (
    Admin,
    BulkJob,
    Certificate,
    Exam,
    ExamStatus,
    GroupMember,
    Student,
)
from mockexam.services import access, audit, certificates, reports

logger = logging.getLogger(__name__)

CERTIFICATES, REPORTS = "certificates", "reports"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPORTS_DIR = "exports"
KEEP_FILES = timedelta(days=1)
_PROGRESS_EVERY = 25


@dataclass(frozen=True, slots=True)
class JobStatus:
    job_id: int
    kind: str
    status: str
    done: int
    total: int
    error: str
    file_name: str  # what the download is saved as ("" until done)


def _no_exam() -> NotFoundError:
    return NotFoundError(msg("Bunday imtihon yo‘q.", "Такого экзамена нет.", "No such exam."))


def start_job(
    db: Session,
    *,
    admin_id: int,
    role: object,
    kind: str,
    exam_id: int | None = None,
    group_id: int | None = None,
) -> BulkJob:
    """Record a ZIP job after every check (the caller enqueues `run_job` after commit).

    Certificates need a released exam (and, for a teacher, one of their groups or all of
    them); reports need a group. The same request still queued or running is returned,
    not doubled."""
    if kind not in (CERTIFICATES, REPORTS):
        raise ValidationError(msg("Noma’lum fayl.", "Неизвестный файл.", "Unknown download."))
    scope = access.group_scope(db, admin_id=admin_id, role=role, group_id=group_id)
    if kind == CERTIFICATES:
        exam = db.get(Exam, exam_id) if exam_id is not None else None
        if exam is None:
            raise _no_exam()
        if exam.status != ExamStatus.RELEASED:
            raise ValidationError(
                msg(
                    "Sertifikatlar natijalar e’lon qilingandan keyin beriladi.",
                    "Сертификаты выдаются после публикации результатов.",
                    "Certificates are issued once the results are released.",
                )
            )
    else:
        exam_id = None
        if group_id is None:
            raise ValidationError(msg("Guruhni tanlang.", "Выберите группу.", "Choose a group."))
    if scope.group_ids == frozenset():
        raise PermissionDeniedError(
            msg("Sizda guruh yo‘q.", "У вас нет групп.", "You teach no group yet.")
        )
    running = db.exec(
        select(BulkJob).where(
            BulkJob.admin_id == admin_id,
            BulkJob.kind == kind,
            BulkJob.exam_id == exam_id if exam_id is not None else col(BulkJob.exam_id).is_(None),
            BulkJob.group_id == group_id
            if group_id is not None
            else col(BulkJob.group_id).is_(None),
            col(BulkJob.status).in_([QUEUED, RUNNING]),
        )
    ).first()
    if running is not None:
        return running
    job = BulkJob(kind=kind, exam_id=exam_id, group_id=group_id, admin_id=admin_id)
    db.add(job)
    db.flush()
    audit.record(
        db,
        admin_id=admin_id,
        action=f"bulk.{kind}",
        entity="exam" if exam_id is not None else "group",
        entity_id=exam_id if exam_id is not None else group_id,
        details={"job": job.id, "group": group_id},
    )
    return job


def _students_in(db: Session, job: BulkJob, role: object) -> access.Scope:
    return access.group_scope(db, admin_id=job.admin_id, role=role, group_id=job.group_id)


def _progress(job_id: int, done: int, total: int) -> None:
    with session_scope() as db:
        db.execute(update(BulkJob).where(col(BulkJob.id) == job_id).values(done=done, total=total))


def run_job(job_id: int, *, now: datetime | None = None) -> JobStatus | None:
    """Make the job's ZIP (None: no such job; a finished job is left as it is)."""
    now = now or utcnow()
    with session_scope() as db:
        job = db.get(BulkJob, job_id)
        if job is None:
            return None
        if job.status in (DONE, FAILED):
            return _status(job)
        admin = db.get(Admin, job.admin_id)
        role = admin.role if admin is not None and admin.is_active else None
        job.status = RUNNING
        db.add(job)
    try:
        if role is None:
            raise PermissionDeniedError(
                msg("Hisob faol emas.", "Учётная запись отключена.", "The account is disabled.")
            )
        name = _make_zip(job_id, role)
    except Exception as err:  # the page shows why; the log has the traceback
        logger.exception("bulk job %s failed", job_id)
        text = err.text("en") if hasattr(err, "text") else "The file could not be made."
        with session_scope() as db:
            db.execute(
                update(BulkJob)
                .where(col(BulkJob.id) == job_id)
                .values(status=FAILED, error=text[:500], finished_at=now)
            )
    else:
        with session_scope() as db:
            db.execute(
                update(BulkJob)
                .where(col(BulkJob.id) == job_id)
                .values(status=DONE, file=name, finished_at=utcnow())
            )
    with session_scope(readonly=True) as db:
        return _status(db.get(BulkJob, job_id))


def _entry_name(name: str, code: str) -> str:
    safe = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-")[:60] or "student"
    return f"{safe}-{code}.pdf"


def _make_zip(job_id: int, role: object) -> str:
    with session_scope(readonly=True) as db:
        job = db.get(BulkJob, job_id)
        scope = _students_in(db, job, role)
        kind, exam_id, group_id = job.kind, job.exam_id, job.group_id
    folder = Path(settings.upload_dir) / EXPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{EXPORTS_DIR}/{job_id}-{secrets.token_urlsafe(12)}.zip"
    target = Path(settings.upload_dir) / relative
    partial = target.with_suffix(".zip.part")
    if kind == CERTIFICATES:
        _certificates_zip(job_id, exam_id, scope, partial)
    else:
        _reports_zip(job_id, group_id, partial)
    partial.replace(target)
    return relative


def _certificates_zip(job_id: int, exam_id: int, scope: access.Scope, target: Path) -> None:
    if exam_id in certificates.exams_due():
        _progress(job_id, 0, 0)
        certificates.issue_for_exam(exam_id)
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(Certificate.code, Certificate.facts)
            .where(
                Certificate.exam_id == exam_id,
                col(Certificate.superseded_at).is_(None),
                scope.student_filter(Certificate.student_id),
            )
            .order_by(col(Certificate.student_id))
        ).all()
    total = len(rows)
    _progress(job_id, 0, total)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, (code, facts) in enumerate(rows, start=1):
            archive.write(
                certificates.certificate_file(code),
                _entry_name(facts.get("student_name", ""), certificates.display_code(code)),
            )
            if done % _PROGRESS_EVERY == 0:
                _progress(job_id, done, total)
    _progress(job_id, total, total)


def _reports_zip(job_id: int, group_id: int, target: Path) -> None:
    with session_scope(readonly=True) as db:
        students = db.exec(
            select(Student.id)
            .join(GroupMember, col(GroupMember.student_id) == Student.id)
            .where(GroupMember.group_id == group_id)
            .order_by(col(Student.id))
        ).all()
    total = len(students)
    _progress(job_id, 0, total)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, student_id in enumerate(students, start=1):
            pdf, name = reports.render_student_report(student_id=student_id)
            archive.writestr(name, pdf)
            if done % 5 == 0:
                _progress(job_id, done, total)
    _progress(job_id, total, total)


def _status(job: BulkJob) -> JobStatus:
    return JobStatus(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        done=job.done,
        total=job.total,
        error=job.error,
        file_name=_download_name(job) if job.status == DONE else "",
    )


def _download_name(job: BulkJob) -> str:
    if job.kind == CERTIFICATES:
        part = "" if job.group_id is None else f"-group-{job.group_id}"
        return f"exam-{job.exam_id}{part}-certificates.zip"
    return f"group-{job.group_id}-reports.zip"


def job_status(db: Session, *, job_id: int, admin_id: int) -> JobStatus:
    """The job's progress, for the account that asked for it only."""
    job = db.get(BulkJob, job_id)
    if job is None or job.admin_id != admin_id:
        raise NotFoundError(msg("Bunday fayl yo‘q.", "Такого файла нет.", "No such download."))
    return _status(job)


def job_file(*, job_id: int, admin_id: int) -> tuple[Path, str]:
    """The finished job's ZIP and its download name, for the account that asked for it."""
    with session_scope(readonly=True) as db:
        job = db.get(BulkJob, job_id)
        if job is None or job.admin_id != admin_id or job.status != DONE or not job.file:
            raise NotFoundError(msg("Bunday fayl yo‘q.", "Такого файла нет.", "No such download."))
        relative, name = job.file, _download_name(job)
    base = Path(settings.upload_dir).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise NotFoundError(
            msg(
                "Fayl endi yo‘q: uni qayta tayyorlang.",
                "Файла уже нет: подготовьте его снова.",
                "The file is gone: make it again.",
            )
        )
    return path, name


def prune(*, now: datetime | None = None) -> int:
    """Delete the ZIPs of jobs finished over a day ago (the rows stay, marked gone)."""
    cutoff = (now or utcnow()) - KEEP_FILES
    with session_scope() as db:
        old = db.exec(
            select(BulkJob).where(col(BulkJob.file).is_not(None), col(BulkJob.finished_at) < cutoff)
        ).all()
        for job in old:
            (Path(settings.upload_dir) / job.file).unlink(missing_ok=True)
            job.file = None
            job.status = FAILED
            job.error = "The file was deleted after a day."
            db.add(job)
        return len(old)
