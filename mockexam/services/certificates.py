"""Result certificates: issued after release, kept, verified by code, re-issued on change.

Every released session gets a certificate (a PDF in the student's language, drawn by
`mockexam.certificates`). The certificate task (tasks.py, started by the sweep) brings
each released exam's `certified_version` up to its `results_version`: it builds every
session's facts and issues a certificate where the session has none, or where the
current one says something else (a recalibration or an excluded item changed the
result; a name changed since the last run): the old row is then superseded and its
code's page says so. Facts that did not change keep their certificate and code.

A code is 10 characters of Crockford's base32 (50 random bits from `secrets`), shown
as `K7Q2M-9XDPA`; typed codes are read leniently (case, dashes, spaces, O for 0, I and
L for 1). The verification page (`/verify/<code>`) shows the facts stored with the
certificate and nothing else; an unknown or malformed code and a superseded one get
pages of their own that show nothing of any certificate.

The student downloads their current certificate through a signed, short-lived link
(`/api/certificate/<exam>?t=…`, purpose `certificate`): the link names the exam, not the
code, so a link from before a re-issue serves the new certificate.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from mockexam.certificates import (
    CertificateFacts,
    SectionScore,
    render_certificate,
    render_share_card,
)
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, msg
from mockexam.localtime import to_local
from mockexam.models import (
    COMMON_SCALE,
    Certificate,
    Exam,
    ExamSession,
    ExamStatus,
    SessionStatus,
    Student,
)
from mockexam.origins import origin_of
from mockexam.scoring.layout import POINTS, Layout, LayoutError
from mockexam.services import tokens
from mockexam.services.exams import exam_layout
from mockexam.services.student_directory import student_name
from mockexam.services.students import language_for

logger = logging.getLogger(__name__)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 10
CERTIFICATES_DIR = "certificates"
BATCH = 200
"""Certificates rendered and written per transaction."""
LINK_TTL = timedelta(hours=1)
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


# --- codes ------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh, unguessable certificate code (50 random bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """`K7Q2M9XDPA` → `K7Q2M-9XDPA`."""
    return f"{code[:5]}-{code[5:]}"


def parse_code(text: object) -> str | None:
    """The stored form of a typed or scanned code, or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = re.sub(r"[\s-]", "", text).upper().translate(_TYPED)
    return code if _CODE.match(code) else None


def verify_url(code: str) -> str:
    """The public page of a code: the Mini App's origin + `/verify/K7Q2M-9XDPA`."""
    origin = origin_of(settings.webapp_url) or "http://localhost:3000"
    return f"{origin}/verify/{display_code(code)}"


def certificate_file(code: str) -> Path:
    return Path(settings.upload_dir) / CERTIFICATES_DIR / f"{code}.pdf"


# --- the facts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Due:
    session_id: int
    student_id: int
    lang: str
    facts: dict[str, Any]


def _percentiles(official: list[float]) -> list[float]:
    """Each score's share of the exam's takers who scored less (0–100, whole numbers)."""
    ordered = sorted(official)
    n = len(ordered)
    out = []
    for value in official:
        below = _count_below(ordered, value)
        out.append(float(int(100 * below / n)) if n else 0.0)
    return out


def _count_below(ordered: list[float], value: float) -> int:
    low, high = 0, len(ordered)
    while low < high:
        mid = (low + high) // 2
        if ordered[mid] < value - 1e-9:
            low = mid + 1
        else:
            high = mid
    return low


def _layout(exam: Exam) -> Layout | None:
    try:
        return exam_layout(exam)
    except LayoutError:  # validated when written; a certificate does without its sections
        return None


def _sections(layout: Layout | None, scores: list[dict[str, Any]] | None, lang: str) -> list[dict]:
    """A block test's sections as the certificate lists them (none for one section)."""
    if layout is None or len(layout.sections) < 2 or not scores:
        return []
    out = []
    for section, entry in zip(layout.sections, scores, strict=False):
        title = section.titles.get(lang) or next(iter(section.titles.values()), section.key)
        points, most = entry.get("points"), entry.get("max_points")
        if points is None or not most:
            continue
        out.append({"name": title, "points": float(points), "max_points": float(most)})
    return out


def _exam_facts(db: Session, exam: Exam) -> list[_Due]:
    """Every released session's certificate facts, in its student's language."""
    rows = db.exec(
        select(ExamSession, Student)
        .join(Student, col(Student.id) == ExamSession.student_id)
        .where(ExamSession.exam_id == exam.id, ExamSession.status == SessionStatus.RELEASED)
        .order_by(ExamSession.id)
    ).all()
    layout = _layout(exam)
    points_official = layout is not None and layout.official_score == POINTS
    official = [
        float((s.points if points_official else s.scaled_score) or 0.0) for s, _student in rows
    ]
    percentiles = _percentiles(official)
    day = to_local(exam.window_start).date().isoformat()
    linked = exam.link_status in COMMON_SCALE
    out = []
    for (exam_session, student), percentile in zip(rows, percentiles, strict=True):
        lang = language_for(student.language_code)
        provisional = bool(exam_session.is_provisional)
        facts = {
            "student_name": student_name(
                student.first_name,
                student.last_name,
                student.username,
                student.telegram_id,
                student.full_name,
            ),
            "exam_title": exam.title,
            "exam_date": day,
            "official_kind": "points" if points_official else "scaled",
            "scaled_score": round(float(exam_session.scaled_score or 0.0), 1),
            "scaled_score_se": None
            if provisional or exam_session.scaled_score_se is None
            else round(float(exam_session.scaled_score_se), 1),
            "points": None if exam_session.points is None else round(exam_session.points, 2),
            "max_points": None
            if exam_session.max_points is None
            else round(exam_session.max_points, 2),
            "on_linked_scale": linked and not provisional,
            "is_provisional": provisional,
            "grade": None if provisional else exam_session.grade,
            "percentile": None if provisional else percentile,
            "sections": _sections(layout, exam_session.section_scores, lang),
            "brand": settings.centre_name,
        }
        out.append(_Due(exam_session.id, student.id, lang, facts))
    return out


def facts_of(stored: dict[str, Any], code: str) -> CertificateFacts:
    """The renderer's facts from a certificate's stored facts."""
    return CertificateFacts(
        student_name=stored["student_name"],
        exam_title=stored["exam_title"],
        exam_date=date.fromisoformat(stored["exam_date"]),
        verify_code=display_code(code),
        scaled_score=stored["scaled_score"],
        official_kind=stored.get("official_kind", "scaled"),
        scaled_score_se=stored.get("scaled_score_se"),
        points=stored.get("points"),
        max_points=stored.get("max_points"),
        on_linked_scale=bool(stored.get("on_linked_scale")),
        is_provisional=bool(stored.get("is_provisional")),
        grade=stored.get("grade"),
        percentile=stored.get("percentile"),
        sections=tuple(SectionScore(**s) for s in stored.get("sections", [])),
        brand=stored.get("brand") or "mockexam",
    )


# --- issuing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueSummary:
    exam_id: int
    issued: int  # certificates made for sessions that had none
    reissued: int  # superseded and made again (the facts changed)
    unchanged: int
    version: int  # the results version now certified

    def describe(self) -> str:
        return (
            f"exam {self.exam_id}: {self.issued} certificate(s) issued, {self.reissued} "
            f"re-issued, {self.unchanged} unchanged (results version {self.version})"
        )


def exams_due() -> list[int]:
    """Released exams whose certificates lag behind their results."""
    with session_scope(readonly=True) as db:
        return list(
            db.exec(
                select(Exam.id)
                .where(
                    Exam.status == ExamStatus.RELEASED,
                    col(Exam.certified_version) < col(Exam.results_version),
                )
                .order_by(Exam.id)
            ).all()
        )


def issue_for_exam(exam_id: int, *, now: datetime | None = None) -> IssueSummary | None:
    """Bring the exam's certificates up to its results (None: not released)."""
    now = now or utcnow()
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        if exam is None or exam.status != ExamStatus.RELEASED:
            return None
        version = exam.results_version
        due = _exam_facts(db, exam)
        current = {
            c.session_id: c
            for c in db.exec(
                select(Certificate).where(
                    Certificate.exam_id == exam_id, col(Certificate.superseded_at).is_(None)
                )
            )
        }
    changed = [
        d
        for d in due
        if d.session_id not in current
        or current[d.session_id].facts != d.facts
        or current[d.session_id].lang != d.lang
    ]
    folder = Path(settings.upload_dir) / CERTIFICATES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    issued = reissued = 0
    for start in range(0, len(changed), BATCH):
        chunk = changed[start : start + BATCH]
        made = [(d, new_code()) for d in chunk]
        for d, code in made:
            _write_pdf(d, code)
        with session_scope() as db:
            for d, code in made:
                old = current.get(d.session_id)
                if old is not None:
                    db.execute(
                        update(Certificate)
                        .where(
                            col(Certificate.id) == old.id, col(Certificate.superseded_at).is_(None)
                        )
                        .values(superseded_at=now, superseded_by=code)
                    )
                    reissued += 1
                else:
                    issued += 1
                db.add(
                    Certificate(
                        code=code,
                        session_id=d.session_id,
                        exam_id=exam_id,
                        student_id=d.student_id,
                        lang=d.lang,
                        facts=d.facts,
                        issued_at=now,
                    )
                )
    with session_scope() as db:
        db.execute(
            update(Exam)
            .where(col(Exam.id) == exam_id, col(Exam.certified_version) < version)
            .values(certified_version=version)
        )
    return IssueSummary(
        exam_id=exam_id,
        issued=issued,
        reissued=reissued,
        unchanged=len(due) - len(changed),
        version=version,
    )


def _write_pdf(due: _Due, code: str) -> None:
    pdf = render_certificate(facts_of(due.facts, code), lang=due.lang, verify_url=verify_url(code))
    target = certificate_file(code)
    partial = target.with_suffix(".pdf.part")
    partial.write_bytes(pdf)
    partial.replace(target)


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    """What `/verify/<code>` shows: `status` valid, superseded or unknown."""

    status: str
    code: str = ""
    facts: dict[str, Any] | None = None  # only for a valid certificate
    lang: str = "uz"
    issued_at: datetime | None = None
    superseded_at: datetime | None = None


VALID, SUPERSEDED, UNKNOWN = "valid", "superseded", "unknown"


def verify(text: object) -> Verification:
    """The certificate a typed or scanned code names; nothing of it unless it is current."""
    code = parse_code(text)
    if code is None:
        return Verification(status=UNKNOWN)
    with session_scope(readonly=True) as db:
        row = db.exec(select(Certificate).where(Certificate.code == code)).first()
    if row is None:
        return Verification(status=UNKNOWN)
    if row.superseded_at is not None:
        return Verification(
            status=SUPERSEDED,
            code=display_code(code),
            issued_at=row.issued_at,
            superseded_at=row.superseded_at,
        )
    return Verification(
        status=VALID,
        code=display_code(code),
        facts=dict(row.facts),
        lang=row.lang,
        issued_at=row.issued_at,
    )


@dataclass(frozen=True, slots=True)
class StudentCertificate:
    """The student's current certificate of one exam, as their results page offers it."""

    code: str  # displayed form
    download_path: str  # signed, relative: /api/certificate/<exam>?t=…
    verify_url: str
    share_card_path: str  # public: /api/certificate/card/<code>.png
    file_name: str


def certificate_path(exam_id: int) -> str:
    return f"/api/certificate/{exam_id}"


def card_path(code: str) -> str:
    return f"/api/certificate/card/{code}.png"


def for_student(
    db: Session, *, student_id: int, exam_id: int, now: datetime | None = None
) -> StudentCertificate | None:
    """The student's current certificate of the exam (None: none issued yet)."""
    row = db.exec(
        select(Certificate).where(
            Certificate.student_id == student_id,
            Certificate.exam_id == exam_id,
            col(Certificate.superseded_at).is_(None),
        )
    ).first()
    if row is None:
        return None
    now = now or utcnow()
    token = tokens.make_token(
        "certificate", student_id=student_id, exam_id=exam_id, expires_at=now + LINK_TTL
    )
    return StudentCertificate(
        code=display_code(row.code),
        download_path=f"{certificate_path(exam_id)}?t={token}",
        verify_url=verify_url(row.code),
        share_card_path=card_path(row.code),
        file_name=f"certificate-{display_code(row.code)}.pdf",
    )


def for_session(
    db: Session, *, student_id: int, session_id: int, now: datetime | None = None
) -> tuple[bool, StudentCertificate | None]:
    """(released, the certificate) of one of the student's sessions; (False, None) for a
    session that is not released or not theirs."""
    exam_session = db.get(ExamSession, session_id)
    if (
        exam_session is None
        or exam_session.student_id != student_id
        or exam_session.status != SessionStatus.RELEASED
    ):
        return False, None
    return True, for_student(db, student_id=student_id, exam_id=exam_session.exam_id, now=now)


def open_certificate(*, exam_id: int, token: str, now: datetime | None = None) -> tuple[Path, str]:
    """The PDF behind a signed download link and its file name; raises with a reason."""
    now = now or utcnow()
    student_id = tokens.check_token(
        "certificate",
        exam_id=exam_id,
        token=token,
        now=now,
        invalid=msg(
            "Sertifikat havolasi noto‘g‘ri.",
            "Неверная ссылка на сертификат.",
            "This certificate link is not valid.",
        ),
        expired=msg(
            "Sertifikat havolasining muddati tugagan: natijalar sahifasini qayta oching.",
            "Ссылка на сертификат устарела: откройте страницу результатов снова.",
            "This certificate link has expired: reopen the results page.",
        ),
    )
    with session_scope(readonly=True) as db:
        code = db.exec(
            select(Certificate.code).where(
                Certificate.student_id == student_id,
                Certificate.exam_id == exam_id,
                col(Certificate.superseded_at).is_(None),
            )
        ).first()
    path = certificate_file(code) if code else None
    if path is None or not path.is_file():
        raise NotFoundError(
            msg(
                "Sertifikat hali tayyor emas.",
                "Сертификат ещё не готов.",
                "The certificate is not ready yet.",
            )
        )
    return path, f"certificate-{display_code(code)}.pdf"


def share_card(code_text: str) -> Path:
    """The share card of a current certificate (a PNG file, drawn once from its stored
    facts and kept beside the PDF)."""
    code = parse_code(code_text)
    row = None
    if code is not None:
        with session_scope(readonly=True) as db:
            row = db.exec(
                select(Certificate).where(
                    Certificate.code == code, col(Certificate.superseded_at).is_(None)
                )
            ).first()
    if row is None:
        raise NotFoundError(
            msg("Bunday sertifikat yo‘q.", "Такого сертификата нет.", "No such certificate.")
        )
    target = certificate_file(row.code).with_suffix(".png")
    if not target.is_file():
        png = render_share_card(
            facts_of(row.facts, row.code), lang=row.lang, verify_url=verify_url(row.code)
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".png.part")
        partial.write_bytes(png)
        partial.replace(target)
    return target


def codes_of(exam_id: int, student_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(student id, code) of the exam's current certificates (all, or of `student_ids`)."""
    with session_scope(readonly=True) as db:
        statement = select(Certificate.student_id, Certificate.code).where(
            Certificate.exam_id == exam_id, col(Certificate.superseded_at).is_(None)
        )
        if student_ids is not None:
            statement = statement.where(col(Certificate.student_id).in_(list(student_ids)))
        return [(s, c) for s, c in db.exec(statement.order_by(Certificate.student_id))]
