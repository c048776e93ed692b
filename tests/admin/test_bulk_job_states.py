"""The ZIP buttons through their handlers: an owner's certificates ZIP runs to done with
its download name; a teacher's request for a group that is not theirs is refused."""

from __future__ import annotations

from mockexam.admin.bulk_jobs import BulkJobState
from mockexam.models import AdminRole
from mockexam.services import bulk
from tests.admin.helpers import admin_token, make_state, run
from tests.services.test_bulk import _world


def test_an_owner_makes_an_exams_certificates_zip(db_url, tmp_path, monkeypatch):
    from mockexam.config import settings

    monkeypatch.setattr(settings, "upload_dir", tmp_path)
    _owner, _tess, _other, exam_id, group_id, _students = _world()
    state = make_state(BulkJobState, token=admin_token("olga", AdminRole.OWNER))
    run(BulkJobState.start, state, bulk.CERTIFICATES, str(exam_id), "")
    assert state.job_id and state.status == bulk.QUEUED  # the task ran inline (tests)
    run(BulkJobState.tick, state)
    assert (state.status, state.done, state.total) == (bulk.DONE, 14, 14)
    assert state.file_name == f"exam-{exam_id}-certificates.zip" and state.error == ""

    teacher = make_state(BulkJobState, token=admin_token("tom", AdminRole.TEACHER))
    run(BulkJobState.start, teacher, bulk.CERTIFICATES, str(exam_id), str(group_id))
    assert teacher.job_id == 0 and "not one of yours" in teacher.error
    run(BulkJobState.start, teacher, bulk.REPORTS, "", "not-a-number")
    assert teacher.job_id == 0 and teacher.error == "No such group."
    run(BulkJobState.start, teacher, "everything", "", "")
    assert teacher.job_id == 0
