"""The certificate card and the parents' report link through their handlers: the caller's
own certificate only, a note while it is being made, nothing before release."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import ExamSession, Student
from mockexam.services import certificates, reports
from mockexam.services.release import release_exam
from mockexam.student.certificate import CertificateState
from mockexam.student.history import HistoryState
from tests.factories import make_cohort, make_exam
from tests.student.helpers import init_data_for, make_state, run


def _two_takers():
    with session_scope() as db:
        exam = make_exam(db, title="Week 12", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=12, seed=8, graded=True)
        exam_id = exam.id
        rows = db.exec(
            select(ExamSession.id, Student.telegram_id, Student.id)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .where(ExamSession.exam_id == exam_id)
            .order_by(col(ExamSession.id))
        ).all()
    return exam_id, rows[0], rows[1]


def test_the_card_shows_the_callers_own_certificate(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "upload_dir", tmp_path)
    exam_id, (session_id, telegram_id, student_id), (other_session, _t, _s) = _two_takers()

    state = make_state(CertificateState, path=f"/app/results/{session_id}")
    run(CertificateState.load, state, init_data_for(telegram_id))
    assert state.status == ""  # not released: no card

    release_exam(exam_id)
    run(CertificateState.load, state, init_data_for(telegram_id))
    assert state.status == "pending"  # released, the certificate task has not run yet

    certificates.issue_for_exam(exam_id)
    run(CertificateState.load, state, init_data_for(telegram_id))
    assert state.status == "ready"
    with session_scope(readonly=True) as db:
        mine = certificates.for_student(db, student_id=student_id, exam_id=exam_id)
    assert state.code == mine.code and state.verify_url == mine.verify_url
    assert state.download_path.startswith(f"/api/certificate/{exam_id}?t={student_id}.")
    assert state.card_path == mine.share_card_path and state.file_name == mine.file_name

    # Someone else's session in the path: nothing.
    theirs = make_state(CertificateState, path=f"/app/results/{other_session}")
    run(CertificateState.load, theirs, init_data_for(telegram_id))
    assert (theirs.status, theirs.code, theirs.download_path) == ("", "", "")


def test_history_offers_the_report_once_a_result_is_out(db_url):
    exam_id, (_session_id, telegram_id, student_id), _other = _two_takers()
    state = make_state(HistoryState, path="/app/history")
    run(HistoryState.load, state, init_data_for(telegram_id))
    assert state.report_path == ""
    release_exam(exam_id)
    run(HistoryState.load, state, init_data_for(telegram_id))
    assert state.report_path.startswith(f"{reports.REPORT_PATH}?t={student_id}.")
    token = state.report_path.split("t=")[1].split("&")[0]
    pdf, _name = reports.open_report(token=token, lang="uz")
    assert pdf.startswith(b"%PDF")
