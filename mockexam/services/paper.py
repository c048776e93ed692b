"""The exam's PDF question paper: signed links, served only to exam-takers while the window is open.

A paper link is `/api/paper/{exam_id}?t=<token>`. The token (services.tokens)
binds the student, the exam and an expiry with HMAC-SHA256 under a key derived
from `settings.admin_secret_key` for this one purpose, so it cannot be forged,
moved to another exam or used after it expires. It lives at most
`TOKEN_TTL` and never past the window end. Spec §3.8: the PDF is no longer
served after the window closes, whatever the token says.

`Exam.pdf_path` is relative to `settings.upload_dir` (e.g. `papers/exam-3.pdf`);
a path that leads outside it is refused.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import ExamNotOpenError, NotFoundError, PermissionDeniedError, msg
from mockexam.models import Exam, ExamStatus
from mockexam.services.sessions import find_session
from mockexam.services.tokens import check_token, make_token

logger = logging.getLogger(__name__)

TOKEN_TTL = timedelta(hours=4)
_PURPOSE = "paper"
_UNAVAILABLE = msg(
    "Bu imtihonning savollar varag‘i mavjud emas.",
    "Задания этого экзамена недоступны.",
    "The question paper of this exam is not available.",
)


def paper_token(
    *,
    student_id: int,
    exam_id: int,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A token for this student and exam, valid until `expires_at` (at most `TOKEN_TTL` from now)."""
    now = now or utcnow()
    latest = now + TOKEN_TTL
    expiry = latest if expires_at is None else min(expires_at, latest)
    return make_token(_PURPOSE, student_id=student_id, exam_id=exam_id, expires_at=expiry)


def check_paper_token(*, exam_id: int, token: str, now: datetime | None = None) -> int:
    """The student id the token was made for; PermissionDeniedError if forged, moved or expired."""
    return check_token(
        _PURPOSE,
        exam_id=exam_id,
        token=token,
        now=now or utcnow(),
        invalid="This link to the question paper is not valid.",
        expired="This link to the question paper has expired: reopen the exam page.",
    )


def resolve_pdf_path(pdf_path: str) -> Path:
    """The file of a stored `pdf_path` under `settings.upload_dir`; NotFoundError otherwise."""
    base = Path(settings.upload_dir).resolve()
    path = (base / pdf_path).resolve()
    if not path.is_relative_to(base) or path == base:
        logger.warning("refused a question-paper path outside the upload dir: %r", pdf_path)
        raise NotFoundError(_UNAVAILABLE)
    if path.suffix.lower() != ".pdf" or not path.is_file():
        raise NotFoundError(_UNAVAILABLE)
    return path


def open_paper(*, exam_id: int, token: str, now: datetime | None = None) -> Path:
    """The PDF file to send for this link, after every check; raises with a reason otherwise.

    Refuses a bad or expired token (PermissionDeniedError), an unknown,
    unpublished or paperless exam (NotFoundError), a student who has not
    started this exam (PermissionDeniedError), and any time at or after the
    window end (ExamNotOpenError).
    """
    now = now or utcnow()
    student_id = check_paper_token(exam_id=exam_id, token=token, now=now)
    with session_scope(readonly=True) as session:
        exam = session.get(Exam, exam_id)
        if exam is None or exam.status == ExamStatus.DRAFT:
            raise NotFoundError(
                msg(
                    "{exam_id}-imtihon mavjud emas.",
                    "Экзамена {exam_id} не существует.",
                    "Exam {exam_id} does not exist.",
                    exam_id=exam_id,
                )
            )
        if exam.status == ExamStatus.RELEASED or now >= exam.window_end:
            raise ExamNotOpenError(
                msg(
                    "Imtihon vaqti tugadi: savollar varag‘i endi mavjud emas.",
                    "Окно экзамена закрыто: задания больше недоступны.",
                    "The exam window has closed: the question paper is no longer available.",
                )
            )
        if find_session(session, student_id=student_id, exam_id=exam_id) is None:
            raise PermissionDeniedError(
                msg(
                    "Savollar varag‘i faqat bu imtihonni boshlagan o‘quvchilarga ko‘rsatiladi.",
                    "Задания показываются только ученикам, которые начали этот экзамен.",
                    "The question paper is shown only to students who have started this exam.",
                )
            )
        pdf_path = exam.pdf_path
    if not pdf_path:
        raise NotFoundError(
            msg(
                "Bu imtihon uchun PDF varaq yo‘q.",
                "У этого экзамена нет PDF с заданиями.",
                "This exam has no question paper.",
            )
        )
    return resolve_pdf_path(pdf_path)


def paper_url(*, student_id: int, exam_id: int, now: datetime | None = None) -> str | None:
    """The relative link to the exam's paper for this student, or None when there is none to show.

    None when the exam does not exist, is not published, has no PDF or its
    window is over. The
    link expires at the window end (or after `TOKEN_TTL`, whichever is first).
    """
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        exam = session.get(Exam, exam_id)
        if exam is None:
            return None
        status, pdf_path, window_end = exam.status, exam.pdf_path, exam.window_end
    return paper_link(
        student_id=student_id,
        exam_id=exam_id,
        status=status,
        pdf_path=pdf_path,
        window_end=window_end,
        now=now,
    )


def paper_link(
    *,
    student_id: int,
    exam_id: int,
    status: str,
    pdf_path: str | None,
    window_end: datetime,
    now: datetime,
) -> str | None:
    """`paper_url` for an exam already read (the exam room has these fields): no query."""
    if status != ExamStatus.PUBLISHED or not pdf_path:
        return None
    if now >= window_end:
        return None  # spec §3.8: no paper after the window closes
    token = paper_token(student_id=student_id, exam_id=exam_id, now=now, expires_at=window_end)
    return f"/api/paper/{exam_id}?t={token}"
