"""Certificates after release, on both databases: issued once per released session in the
student's language, verified by code, kept when nothing changed, re-issued (the old code
superseded) when a recalibration changes a result; downloads through a signed link only
to their owner; the share card of a current code only."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import httpx
import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from mockexam.api import create_api
from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError
from mockexam.models import Certificate, Exam, ExamSession, Student
from mockexam.services import certificates
from mockexam.services.release import exclude_item, release_exam
from mockexam.services.tokens import TokenExpiredError
from tests.factories import make_cohort, make_exam


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _released(n: int, *, title: str = "Weekly mock #4") -> int:
    with session_scope() as db:
        exam = make_exam(db, title=title, start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=n, seed=3, graded=True)
        exam_id = exam.id
    release_exam(exam_id)
    return exam_id


def _current(exam_id: int) -> dict[int, Certificate]:
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(Certificate).where(
                Certificate.exam_id == exam_id, col(Certificate.superseded_at).is_(None)
            )
        ).all()
    return {c.session_id: c for c in rows}


def test_codes_are_unguessable_and_read_leniently():
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 10 and set(c) <= set(certificates.CODE_ALPHABET) for c in codes)
    assert certificates.display_code("K7Q2M9XDPA") == "K7Q2M-9XDPA"
    assert certificates.parse_code(" k7q2m-9xdpa ") == "K7Q2M9XDPA"
    assert certificates.parse_code("K7Q2M-9XDPO") == "K7Q2M9XDP0"  # O read as 0
    assert certificates.parse_code("IL") is None
    for bad in ("", "K7Q2M", "K7Q2M9XDPAX", "K7Q2M9XDP!", "<script>", None, 12, "A" * 500):
        assert certificates.parse_code(bad) is None


def test_release_issues_one_certificate_per_session_in_its_language(db_url, own_upload_dir):
    exam_id = _released(24)
    assert certificates.exams_due() == [exam_id]
    with session_scope() as db:
        student = db.exec(
            select(Student)
            .join(ExamSession, col(ExamSession.student_id) == Student.id)
            .where(ExamSession.exam_id == exam_id)
            .order_by(ExamSession.id)
        ).first()
        student.language_code, student.full_name = "ru", "Ёкубова Шахноза"
        db.add(student)
        student_id = student.id

    summary = certificates.issue_for_exam(exam_id)
    assert (summary.issued, summary.reissued, summary.unchanged) == (24, 0, 0)
    assert certificates.exams_due() == []
    current = _current(exam_id)
    assert len(current) == 24
    with session_scope(readonly=True) as db:
        sessions = {
            s.id: s for s in db.exec(select(ExamSession).where(ExamSession.exam_id == exam_id))
        }
    mine = next(c for c in current.values() if c.student_id == student_id)
    exam_session = sessions[mine.session_id]
    assert mine.lang == "ru"
    facts = mine.facts
    assert facts["student_name"] == "Ёкубова Шахноза"  # the centre's name for the student
    assert facts["scaled_score"] == round(exam_session.scaled_score, 1)
    assert facts["scaled_score_se"] == round(exam_session.scaled_score_se, 1)
    assert facts["grade"] == exam_session.grade and not facts["is_provisional"]
    below = sum(s.scaled_score < exam_session.scaled_score - 1e-9 for s in sessions.values())
    assert facts["percentile"] == int(100 * below / 24)
    text = _pdf_text(certificates.certificate_file(mine.code))
    assert "Ёкубова Шахноза" in text and "Сертификат" in text
    assert f"{facts['scaled_score']:.1f}".replace(".", ",") in text
    assert certificates.display_code(mine.code) in text

    # Verification shows the stored facts; a second run changes nothing.
    seen = certificates.verify(certificates.display_code(mine.code).lower())
    assert (seen.status, seen.facts, seen.lang) == ("valid", facts, "ru")
    again = certificates.issue_for_exam(exam_id)
    assert (again.issued, again.reissued, again.unchanged) == (0, 0, 24)
    assert {c.code for c in _current(exam_id).values()} == {c.code for c in current.values()}


def test_a_recalibration_that_changes_results_supersedes_the_old_codes(db_url, own_upload_dir):
    exam_id = _released(30)
    certificates.issue_for_exam(exam_id)
    before = _current(exam_id)
    exclude_item(exam_id, "1")  # recalibrated at once: every θ moves a little
    assert certificates.exams_due() == [exam_id]
    summary = certificates.issue_for_exam(exam_id)
    after = _current(exam_id)
    assert summary.reissued > 0 and summary.reissued + summary.unchanged == 30
    changed = [s for s in after if after[s].code != before[s].code]
    assert len(changed) == summary.reissued
    session_id = changed[0]
    old, new = before[session_id], after[session_id]
    seen = certificates.verify(old.code)
    assert seen.status == "superseded" and seen.facts is None and seen.superseded_at
    assert certificates.verify(new.code).status == "valid"
    with session_scope(readonly=True) as db:
        stored = db.exec(select(Certificate).where(Certificate.code == old.code)).one()
    assert stored.superseded_by == new.code
    # The share card follows: the old code's is gone, the new one's is drawn once and kept.
    with pytest.raises(NotFoundError):
        certificates.share_card(old.code)
    card = certificates.share_card(certificates.display_code(new.code))
    assert card.read_bytes().startswith(b"\x89PNG") and card == certificates.share_card(new.code)


def test_a_provisional_result_has_no_se_grade_or_percentile(db_url, own_upload_dir):
    exam_id = _released(4)
    certificates.issue_for_exam(exam_id)
    [one, *_rest] = _current(exam_id).values()
    assert one.facts["is_provisional"] is True
    assert one.facts["scaled_score_se"] is None
    assert one.facts["grade"] is None and one.facts["percentile"] is None
    assert "±" not in _pdf_text(certificates.certificate_file(one.code))


def test_unknown_and_forged_codes_show_nothing(db_url, own_upload_dir):
    exam_id = _released(12)
    certificates.issue_for_exam(exam_id)
    real = next(iter(_current(exam_id).values())).code
    forged = real[:-1] + ("0" if real[-1] != "0" else "1")
    for text in (forged, "ZZZZZ-ZZZZZ", "not a code", "", "' OR 1=1 --"):
        seen = certificates.verify(text)
        assert (seen.status, seen.facts, seen.code) == ("unknown", None, "")


def test_the_download_link_serves_only_its_owner_and_expires(db_url, own_upload_dir):
    exam_id = _released(12)
    certificates.issue_for_exam(exam_id)
    first, second = list(_current(exam_id).values())[:2]
    with session_scope(readonly=True) as db:
        mine = certificates.for_student(db, student_id=first.student_id, exam_id=exam_id)
    assert mine.code == certificates.display_code(first.code)
    token = mine.download_path.split("?t=")[1]
    path, name = certificates.open_certificate(exam_id=exam_id, token=token)
    assert path == certificates.certificate_file(first.code)
    assert name == f"certificate-{mine.code}.pdf"
    with pytest.raises(PermissionDeniedError):  # the token names this exam only
        certificates.open_certificate(exam_id=exam_id + 1, token=token)
    with pytest.raises(PermissionDeniedError):
        certificates.open_certificate(exam_id=exam_id, token=token[:-2] + "AA")
    with pytest.raises(TokenExpiredError):
        certificates.open_certificate(
            exam_id=exam_id, token=token, now=utcnow() + timedelta(hours=2)
        )
    with session_scope(readonly=True) as db:
        theirs = certificates.for_student(db, student_id=second.student_id, exam_id=exam_id)
        assert (
            certificates.for_student(db, student_id=second.student_id, exam_id=exam_id + 1) is None
        )
    assert theirs.code != mine.code


def _get(url: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(url)

    return asyncio.run(send())


def test_the_routes_send_the_pdf_and_the_card(db_url, own_upload_dir):
    exam_id = _released(12)
    certificates.issue_for_exam(exam_id)
    row = next(iter(_current(exam_id).values()))
    with session_scope(readonly=True) as db:
        mine = certificates.for_student(db, student_id=row.student_id, exam_id=exam_id)
    response = _get(mine.download_path)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    assert mine.code in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    assert _get(f"/api/certificate/{exam_id}?t=forged").status_code == 403
    assert _get(f"/api/certificate/{exam_id}").status_code == 403

    card = _get(mine.share_card_path)
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert _get("/api/certificate/card/ZZZZZZZZZZ.png").status_code == 404
    assert _get("/api/certificate/card/../../etc/passwd").status_code == 404
    assert _get(f"/api/certificate/card/{row.code}.pdf").status_code == 404


def test_exams_not_released_are_not_certified(db_url, own_upload_dir):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() + timedelta(days=1))
        exam_id = exam.id
    assert certificates.issue_for_exam(exam_id) is None
    assert certificates.issue_for_exam(10**6) is None
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam_id).certified_version == 0
