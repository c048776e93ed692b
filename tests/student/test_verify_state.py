"""The public verification page through its handlers: a valid code's facts in the
certificate's language (switchable), a superseded code's notice, unknown codes."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import Certificate, ExamSession, Student
from mockexam.services import certificates
from mockexam.services.release import exclude_item, release_exam
from mockexam.student.verify import VerifyState
from tests.admin.helpers import make_state, run
from tests.factories import make_cohort, make_exam


def _page(code: str) -> VerifyState:
    state = make_state(VerifyState, path=f"/verify/{code}", params={"code": code})
    run(VerifyState.load, state)
    return state


def test_a_valid_code_shows_the_certificates_facts_in_its_language(db_url, tmp_path, monkeypatch):
    from mockexam.config import settings

    monkeypatch.setattr(settings, "upload_dir", tmp_path)
    with session_scope() as db:
        exam = make_exam(db, title="Weekly mock #9", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=20, seed=4, graded=True)
        exam_id = exam.id
        student = db.exec(
            select(Student)
            .join(ExamSession, col(ExamSession.student_id) == Student.id)
            .where(ExamSession.exam_id == exam_id)
        ).first()
        student.language_code, student.full_name = "ru", "Акбаров Тимур"
        db.add(student)
        student_id = student.id
    release_exam(exam_id)
    certificates.issue_for_exam(exam_id)
    with session_scope(readonly=True) as db:
        row = db.exec(select(Certificate).where(Certificate.student_id == student_id)).one()
    shown = certificates.display_code(row.code)

    state = _page(shown.lower())
    assert (state.status, state.lang, state.code) == ("valid", "ru", shown)
    assert state.name == "Акбаров Тимур" and state.exam_title == "Weekly mock #9"
    scaled = f"{row.facts['scaled_score']:.1f}".replace(".", ",")
    assert state.official == state.scaled and state.scaled.startswith(f"{scaled} ± ")
    points = f"{row.facts['points']:g}".replace(".", ",")
    assert state.points == f"{points} из {row.facts['max_points']:g} баллов"
    assert state.grade == row.facts["grade"]
    assert state.percentile == f"выше, чем у {row.facts['percentile']:.0f}% участников"
    run(VerifyState.choose_language, state, "en")
    assert state.lang == "en" and state.official.startswith(scaled.replace(",", ".") + " ± ")
    assert state.points.endswith(" points")
    assert state.percentile.startswith("higher than")
    run(VerifyState.choose_language, state, "fr")  # not one of ours: nothing changes
    assert state.lang == "en"

    exclude_item(exam_id, "2")
    certificates.issue_for_exam(exam_id)
    again = _page(shown)
    if again.status == "superseded":  # this student's result moved with the recalibration
        assert again.name == "" and again.official == "" and again.superseded
    else:
        assert again.status == "valid"


def test_unknown_and_malformed_codes_show_nothing(db_url):
    for code in ("ZZZZZ-ZZZZZ", "abc", "%3Cscript%3E", ""):
        state = _page(code)
        assert (state.status, state.name, state.official, state.code) == ("unknown", "", "", "")
