"""Bulk ZIPs (an exam's certificates, a group's progress reports) and the progress report
itself, on both databases: who may ask for what, the ZIP's content and progress, the
download for its owner only, pruning after a day."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError
from mockexam.models import AdminRole, AuditLog, ExamSession
from mockexam.services import bulk, certificates, groups, reports
from mockexam.services.release import release_exam
from mockexam.tasks import run_bulk_job_task
from tests.admin.helpers import make_admin
from tests.factories import make_cohort, make_exam


def _world():
    """A released exam of 14 takers; group "7-A" holds five of them, taught by tess."""
    owner = make_admin("olga", AdminRole.OWNER)
    tess = make_admin("tess", AdminRole.TEACHER)
    other = make_admin("tom", AdminRole.TEACHER)
    with session_scope() as db:
        exam = make_exam(db, title="Mock 3", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=14, seed=5, graded=True)
        exam_id = exam.id
        students = db.exec(
            select(ExamSession.student_id)
            .where(ExamSession.exam_id == exam_id)
            .order_by(col(ExamSession.id))
        ).all()
        group = groups.create_group(db, name="7-A", actor_id=owner)
        for student_id in students[:5]:
            groups.add_member(db, group.id, student_id, actor_id=owner)
        groups.set_teachers(db, group.id, [tess], actor_id=owner)
        group_id = group.id
    release_exam(exam_id)
    return owner, tess, other, exam_id, group_id, students


CODE = r"([0-9A-Z]{5}-[0-9A-Z]{5})\.pdf$"


def _start(admin_id: int, role: AdminRole, **request) -> int:
    with session_scope() as db:
        return bulk.start_job(db, admin_id=admin_id, role=role, **request).id


def _zip_of(job_id: int, admin_id: int) -> zipfile.ZipFile:
    path, _name = bulk.job_file(job_id=job_id, admin_id=admin_id)
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def test_an_exams_certificates_zip_for_everyone_and_for_a_teachers_group(db_url, own_upload_dir):
    owner, tess, other, exam_id, group_id, students = _world()
    job = _start(owner, AdminRole.OWNER, kind=bulk.CERTIFICATES, exam_id=exam_id)
    # Asked twice while queued: the same job.
    assert _start(owner, AdminRole.OWNER, kind=bulk.CERTIFICATES, exam_id=exam_id) == job
    run_bulk_job_task(job)  # certificates are issued first: none existed yet
    with session_scope(readonly=True) as db:
        status = bulk.job_status(db, job_id=job, admin_id=owner)
    assert (status.status, status.done, status.total) == ("done", 14, 14)
    assert status.file_name == f"exam-{exam_id}-certificates.zip"
    names = _zip_of(job, owner).namelist()
    assert len(names) == 14 and all(n.endswith(".pdf") for n in names)
    first = _zip_of(job, owner).read(names[0])
    assert PdfReader(io.BytesIO(first)).pages[0].extract_text()

    # A teacher: their group only (no group named: all their groups, the same five).
    for group in (group_id, None):
        mine = _start(
            tess, AdminRole.TEACHER, kind=bulk.CERTIFICATES, exam_id=exam_id, group_id=group
        )
        run_bulk_job_task(mine)
        codes = {
            certificates.display_code(c) for _s, c in certificates.codes_of(exam_id, students[:5])
        }
        got = {re.search(CODE, n)[1] for n in _zip_of(mine, tess).namelist()}
        assert got == codes and len(got) == 5
    # Another teacher cannot ask for this group, nor download tess's file.
    with pytest.raises(PermissionDeniedError):
        _start(other, AdminRole.TEACHER, kind=bulk.CERTIFICATES, exam_id=exam_id, group_id=group_id)
    with pytest.raises(PermissionDeniedError):  # teaches no group at all
        _start(other, AdminRole.TEACHER, kind=bulk.CERTIFICATES, exam_id=exam_id)
    with pytest.raises(NotFoundError):
        bulk.job_file(job_id=mine, admin_id=other)
    with session_scope(readonly=True) as db, pytest.raises(NotFoundError):
        bulk.job_status(db, job_id=mine, admin_id=owner)
    with session_scope(readonly=True) as db:
        logged = db.exec(select(AuditLog).where(AuditLog.action == "bulk.certificates")).all()
    assert len(logged) == 3  # the owner's (asked twice, one job) and tess's two


def test_bad_requests_are_refused_and_record_nothing(db_url, own_upload_dir):
    owner, _tess, _other, exam_id, _group_id, _students = _world()
    with session_scope() as db:
        unreleased = make_exam(db, start=utcnow() + timedelta(days=2)).id
    cases = [
        ({"kind": "photos", "exam_id": exam_id}, ValidationError),
        ({"kind": bulk.CERTIFICATES, "exam_id": None}, NotFoundError),
        ({"kind": bulk.CERTIFICATES, "exam_id": 10**6}, NotFoundError),
        ({"kind": bulk.CERTIFICATES, "exam_id": unreleased}, ValidationError),
        ({"kind": bulk.CERTIFICATES, "exam_id": exam_id, "group_id": 10**6}, NotFoundError),
        ({"kind": bulk.REPORTS}, ValidationError),
    ]
    for request, error in cases:
        with session_scope() as db, pytest.raises(error):
            bulk.start_job(db, admin_id=owner, role=AdminRole.OWNER, **request)
    with session_scope(readonly=True) as db:
        assert db.exec(select(AuditLog).where(col(AuditLog.action).startswith("bulk."))).all() == []


def test_a_groups_reports_zip_and_the_report_itself(db_url, own_upload_dir):
    _owner, tess, _other, _exam_id, group_id, students = _world()
    job = _start(tess, AdminRole.TEACHER, kind=bulk.REPORTS, group_id=group_id)
    run_bulk_job_task(job)
    archive = _zip_of(job, tess)
    assert len(archive.namelist()) == 5
    text = PdfReader(io.BytesIO(archive.read(archive.namelist()[0]))).pages[0].extract_text()
    assert "Mock 3" in text

    with session_scope(readonly=True) as db:
        report, lang = reports.report_facts(db, student_id=students[0])
    assert lang == "uz" and len(report.exams) == 1
    (exam,) = report.exams
    with session_scope(readonly=True) as db:
        mine = db.exec(select(ExamSession).where(ExamSession.student_id == students[0])).one()
    assert exam.scaled_score == round(mine.scaled_score, 1) and exam.grade == mine.grade
    assert [p.rating for p in report.elo_trend] and report.strengths  # the exam's subject
    assert 0 <= report.strengths[0].share_correct <= 1

    link = reports.report_link(student_id=students[0], lang="en")
    token = link.split("t=")[1].split("&")[0]
    pdf, name = reports.open_report(token=token, lang="en")
    assert pdf.startswith(b"%PDF") and name.endswith(f"-{students[0]}.pdf")
    with pytest.raises(PermissionDeniedError):
        reports.open_report(token=token[:-3] + "abc", lang="en")


def test_old_files_are_pruned(db_url, own_upload_dir):
    owner, *_rest, exam_id, _group_id, _students = _world()
    job = _start(owner, AdminRole.OWNER, kind=bulk.CERTIFICATES, exam_id=exam_id)
    run_bulk_job_task(job)
    path, _ = bulk.job_file(job_id=job, admin_id=owner)
    assert bulk.prune() == 0 and path.is_file()
    assert bulk.prune(now=utcnow() + timedelta(days=2)) == 1
    assert not path.exists()
    with pytest.raises(NotFoundError):
        bulk.job_file(job_id=job, admin_id=owner)


def test_the_download_route_serves_the_zip_to_its_owner_only(db_url, own_upload_dir):
    import asyncio

    import httpx

    from mockexam.admin.auth import TOKEN_COOKIE
    from mockexam.api import create_api
    from tests.admin.helpers import admin_token

    owner, *_rest, exam_id, _group_id, _students = _world()
    job = _start(owner, AdminRole.OWNER, kind=bulk.CERTIFICATES, exam_id=exam_id)
    run_bulk_job_task(job)

    def get(token: str | None) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=create_api())
            cookies = {TOKEN_COOKIE: token} if token else {}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=cookies
            ) as client:
                return await client.get(f"/admin/api/jobs/{job}/download")

        return asyncio.run(send())

    mine = get(admin_token("olga", AdminRole.OWNER))
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/zip"
    assert f"exam-{exam_id}-certificates.zip" in mine.headers["content-disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(mine.content)).namelist()) == 14
    assert get(None).status_code == 401
    assert get("forged-token").status_code == 401
    assert get(admin_token("tess", AdminRole.TEACHER)).status_code == 404  # not theirs
