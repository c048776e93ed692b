"""The admin export routes: who may download, what the files hold, streaming, the audit trail.

Requests go straight into `create_api()` through httpx's ASGI transport, with
the admin panel's session cookie in the Cookie header as a browser sends it.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.api import _in_threads, create_api, export_path
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminRole, AuditLog, ExamSession, Student
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services import admin_auth, exam_results, groups
from mockexam.services.exam_results import ExportFile
from mockexam.services.exams import get_items
from mockexam.services.paper import paper_token
from mockexam.services.release import release_exam
from tests.admin.helpers import PASSWORD, admin_token, make_admin
from tests.factories import make_cohort, make_exam
from tests.student.helpers import init_data_for

N_SESSIONS = 30


def _get(path: str, *, token: str | None = None, **headers: str) -> httpx.Response:
    """GET `path` from a fresh api, with the admin cookie when `token` is given."""
    if token is not None:
        headers["cookie"] = f"{TOKEN_COOKIE}={token}"

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path, headers=headers)

    return asyncio.run(send())


def _released() -> int:
    with session_scope() as db:
        exam = make_exam(db, title="Released", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=N_SESSIONS, graded=True)
        exam_id = exam.id
    assert release_exam(exam_id) is not None
    return exam_id


@pytest.fixture
def exam_id(admin) -> int:
    return _released()


def _exports() -> list[AuditLog]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(AuditLog).where(AuditLog.action == "exam.export")))


def _csv(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- Who may download --------------------------------------------------------------
def test_export_without_the_cookie_is_401(exam_id):
    response = _get(export_path(exam_id, ExportFile.RESULTS_CSV))
    assert response.status_code == 401
    assert "Sign in" in response.json()["error"]
    assert response.headers["cache-control"] == "private, no-store"
    assert _exports() == []


def _expired_token() -> str:
    make_admin("old")
    hours = 24 * 30
    return admin_auth.login(
        username="old", password=PASSWORD, client="test", now=utcnow() - timedelta(hours=hours)
    ).token


def _revoked_token() -> str:
    make_admin("gone")
    token = admin_auth.login(username="gone", password=PASSWORD, client="test").token
    assert admin_auth.logout(token)
    return token


def _student_init_data() -> str:
    return init_data_for(5_550_001)


def _paper_token() -> str:
    with session_scope(readonly=True) as db:
        student_id = db.exec(select(Student.id)).first()
        exam = db.exec(select(ExamSession.exam_id)).first()
    return paper_token(student_id=student_id, exam_id=exam)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: "forged-" + "x" * 40, id="forged"),
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "y" * 5000, id="oversized"),
        pytest.param(_expired_token, id="expired"),
        pytest.param(_revoked_token, id="revoked"),
        pytest.param(_student_init_data, id="student-initdata"),
        pytest.param(_paper_token, id="student-paper-token"),
    ],
)
def test_export_refuses_anything_but_a_live_admin_session(exam_id, make_token):
    token = make_token()
    for file in ExportFile:
        response = _get(export_path(exam_id, file), token=token)
        assert response.status_code == 401, file
        assert "content-disposition" not in response.headers
    assert _exports() == []


def test_export_refuses_a_cross_site_request_even_with_the_cookie(admin, exam_id):
    response = _get(
        export_path(exam_id, ExportFile.RESULTS_CSV),
        token=admin.token,
        **{"sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403
    assert _exports() == []


def test_export_of_an_unknown_exam_or_file_is_404(admin, exam_id):
    missing = _get(export_path(exam_id + 1000, ExportFile.RESULTS_CSV), token=admin.token)
    unknown = _get(f"/admin/api/exams/{exam_id}/export/passwords.csv", token=admin.token)
    assert missing.status_code == 404 and "does not exist" in missing.json()["error"]
    assert unknown.status_code == 404 and "results.csv" in unknown.json()["error"]
    assert _exports() == []


# --- What the files hold -------------------------------------------------------------
def test_results_csv_rows_equal_the_database_and_the_download_is_audited(admin, exam_id):
    response = _get(export_path(exam_id, ExportFile.RESULTS_CSV), token=admin.token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="exam-{exam_id}-results.csv"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    # The certificate's two sections' subtotals, and the time column naming the zone.
    assert header == exam_results.result_columns(CERTIFICATE_MATH)
    assert "s1_points" in header and "s2_exercises" in header
    with session_scope(readonly=True) as db:
        sessions = db.exec(
            select(ExamSession.student_id, ExamSession.points, ExamSession.grade).where(
                ExamSession.exam_id == exam_id, col(ExamSession.submitted_at).is_not(None)
            )
        ).all()
    column = {name: header.index(name) for name in ("student_id", "points", "grade")}
    assert len(body) == len(sessions) == N_SESSIONS
    assert sorted(
        (int(r[column["student_id"]]), int(r[column["points"]]), r[column["grade"]]) for r in body
    ) == sorted((s, p, g) for s, p, g in sessions)
    assert [int(r[0]) for r in body] == list(range(1, N_SESSIONS + 1))
    assert response.content == exam_results.export_results_csv(exam_id)

    (entry,) = _exports()
    assert (entry.admin_id, entry.entity, entry.entity_id) == (admin.admin_id, "exam", exam_id)
    assert entry.details == {"file": "results.csv"}


def test_response_matrix_csv_is_zero_one_per_submitted_session(admin, exam_id):
    response = _get(export_path(exam_id, ExportFile.RESPONSES_CSV), token=admin.token)

    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'"exam-{exam_id}-responses.csv"')
    rows = _csv(response)
    with session_scope(readonly=True) as db:
        labels = [i.label for i in get_items(db, exam_id)]
        points = dict(
            db.exec(
                select(ExamSession.id, ExamSession.points).where(ExamSession.exam_id == exam_id)
            ).all()
        )
    assert rows[0] == ["session_id", "student_id", "telegram_id", "name", *labels, "points"]
    assert len(rows) == N_SESSIONS + 1
    for row in rows[1:]:
        cells = row[4:-1]
        assert set(cells) <= {"0", "1"}
        assert int(row[-1]) == points[int(row[0])]
    assert [e.details["file"] for e in _exports()] == ["responses.csv"]


@pytest.mark.parametrize(
    ("file", "sheet", "csv_file"),
    [
        (ExportFile.RESULTS_XLSX, "Results", ExportFile.RESULTS_CSV),
        (ExportFile.RESPONSES_XLSX, "Responses", ExportFile.RESPONSES_CSV),
    ],
)
def test_xlsx_exports_open_in_openpyxl_with_the_csv_cells(admin, exam_id, file, sheet, csv_file):
    response = _get(export_path(exam_id, file), token=admin.token)

    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith(f'"exam-{exam_id}-{file.value}"')
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == [sheet]
    cells = [
        ["" if v is None else str(v) for v in row]
        for row in workbook[sheet].iter_rows(values_only=True)
    ]
    expected = _csv(_get(export_path(exam_id, csv_file), token=admin.token))
    assert len(cells) == len(expected) == N_SESSIONS + 1
    assert cells[0] == expected[0]
    key = expected[0].index("student_id")
    assert [r[key] for r in cells[1:]] == [r[key] for r in expected[1:]]
    assert [e.details["file"] for e in _exports()] == [file.value, csv_file.value]


# --- Streaming -------------------------------------------------------------------------
def test_results_csv_is_streamed_in_chunks(admin, exam_id, monkeypatch):
    monkeypatch.setattr(exam_results, "EXPORT_CHUNK_ROWS", 7)
    bodies: list[bytes] = []

    async def call() -> int:
        path = export_path(exam_id, ExportFile.RESULTS_CSV)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"cookie", f"{TOKEN_COOKIE}={admin.token}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        status = 0
        sent = False

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and message.get("body"):
                bodies.append(message["body"])

        await create_api()(scope, receive, send)
        return status

    assert asyncio.run(call()) == 200
    # BOM, then the header and 30 rows in chunks of 7 rows, then the rest.
    assert len(bodies) >= 5
    assert b"".join(bodies) == exam_results.export_results_csv(exam_id)


def test_stream_closes_the_iterator_when_the_client_goes_away():
    closed: list[bool] = []

    def chunks() -> Iterator[bytes]:
        try:
            yield from (b"a", b"b", b"c")
        finally:
            closed.append(True)

    async def read_one() -> bytes:
        stream = _in_threads(chunks(), "test")
        first = await anext(stream)
        await stream.aclose()  # what Starlette does when the download is cancelled
        return first

    assert asyncio.run(read_one()) == b"a"
    assert closed == [True]


@pytest.mark.parametrize(
    ("path", "unframable"),
    [
        ("/admin", True),
        ("/admin/login", True),
        ("/admin/exams/3?tab=key", True),
        ("/app", False),
        ("/administrators-guide", False),
    ],
)
def test_the_admin_panel_cannot_be_framed_by_any_page(path, unframable):
    """Sent by the app itself, not only by Caddy: no deployment leaves /admin frameable."""
    response = _get(path)

    if unframable:
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers.get_list("content-security-policy")
    else:
        assert "x-frame-options" not in response.headers


# --- Teachers and groups: a group's students only ------------------------------------------
def _groups_of_the_cohort(exam_id: int, teacher_id: int) -> tuple[int, int, set[int], set[int]]:
    """Two groups over the exam's takers: A (the first 8, taught by `teacher_id`), B (the
    next 5; no teacher). Returns both ids and their student ids."""
    with session_scope() as db:
        takers = list(
            db.exec(
                select(ExamSession.student_id)
                .where(ExamSession.exam_id == exam_id)
                .order_by(col(ExamSession.id))
            )
        )
        a = groups.create_group(db, name="Group A", actor_id=None)
        b = groups.create_group(db, name="Group B", actor_id=None)
        for sid in takers[:8]:
            groups.add_member(db, a.id, sid, actor_id=None)
        for sid in takers[8:13]:
            groups.add_member(db, b.id, sid, actor_id=None)
        groups.set_teachers(db, a.id, [teacher_id], actor_id=None)
        # The centre's name is what the export shows for a student who has one.
        db.get(Student, takers[0]).full_name = "Karimova Dilnoza Anvarovna"
        return a.id, b.id, set(takers[:8]), set(takers[8:13])


def _student_ids(rows: list[list[str]]) -> set[int]:
    column = rows[0].index("student_id")
    return {int(r[column]) for r in rows[1:]}


def test_a_teachers_export_holds_only_their_groups_students(exam_id):
    a, _b, in_a, _in_b = _groups_of_the_cohort(exam_id, make_admin("tess", AdminRole.TEACHER))
    teacher = admin_token("tess", AdminRole.TEACHER)

    for query in ("", f"?group={a}"):
        response = _get(export_path(exam_id, ExportFile.RESULTS_CSV) + query, token=teacher)
        assert response.status_code == 200, query
        rows = _csv(response)
        assert _student_ids(rows) == in_a, query
        assert "Karimova Dilnoza Anvarovna" in {r[rows[0].index("name")] for r in rows}
        matrix = _csv(_get(export_path(exam_id, ExportFile.RESPONSES_CSV) + query, token=teacher))
        assert _student_ids(matrix) == in_a, query
    workbook = load_workbook(
        io.BytesIO(_get(export_path(exam_id, ExportFile.RESULTS_XLSX), token=teacher).content)
    )
    sheet = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert {int(r[sheet[0].index("student_id")]) for r in sheet[1:]} == in_a
    named = _get(export_path(exam_id, ExportFile.RESULTS_CSV) + f"?group={a}", token=teacher)
    assert f"exam-{exam_id}-group-{a}-results.csv" in named.headers["content-disposition"]
    details = [e.details for e in _exports()]
    assert details[0] == {"file": "results.csv", "groups": [a]}
    assert len(details) == 6


def test_a_teacher_gets_nothing_of_another_group(exam_id):
    _a, b, _in_a, _in_b = _groups_of_the_cohort(exam_id, make_admin("tess", AdminRole.TEACHER))
    teacher = admin_token("tess", AdminRole.TEACHER)

    for file in ExportFile:
        response = _get(export_path(exam_id, file) + f"?group={b}", token=teacher)
        assert response.status_code == 403, file
        assert response.json()["error"] == (
            "Your role does not allow this download."
            if file == ExportFile.COPYING_CSV  # names students of every group: admins only
            else "This group is not one of yours."
        )
        assert "content-disposition" not in response.headers
    assert _get(
        export_path(exam_id, ExportFile.RESULTS_CSV) + "?group=999", token=teacher
    ).json() == {"error": "There is no such group."}
    for bad in ("abc", "0", "-1", "1e3", "9" * 30, ""):
        response = _get(
            export_path(exam_id, ExportFile.RESULTS_CSV) + f"?group={bad}", token=teacher
        )
        assert response.status_code == 400, bad
        assert "group must be a group's number" in response.json()["error"]
    assert _exports() == []


def test_a_teacher_of_no_group_exports_an_empty_file(exam_id):
    teacher = admin_token("tess", AdminRole.TEACHER)
    _groups_of_the_cohort(exam_id, make_admin("other", AdminRole.TEACHER))

    rows = _csv(_get(export_path(exam_id, ExportFile.RESULTS_CSV), token=teacher))
    assert rows[0][:3] == ["rank", "student_id", "telegram_id"]
    assert rows[1:] == []


def test_an_admin_exports_everyone_or_one_group(exam_id):
    admin = admin_token("adam", AdminRole.ADMIN)
    _a, b, _in_a, in_b = _groups_of_the_cohort(exam_id, make_admin("tess", AdminRole.TEACHER))

    everyone = _csv(_get(export_path(exam_id, ExportFile.RESULTS_CSV), token=admin))
    assert len(everyone) == N_SESSIONS + 1
    group = _csv(_get(export_path(exam_id, ExportFile.RESULTS_CSV) + f"?group={b}", token=admin))
    assert _student_ids(group) == in_b
    assert [r[0] for r in group[1:]] == [
        str(n) for n in range(1, len(in_b) + 1)
    ]  # ranks in the group
    assert [e.details for e in _exports()] == [
        {"file": "results.csv"},
        {"file": "results.csv", "groups": [b]},
    ]


def test_the_copying_pairs_export_is_for_admins_and_lists_the_flagged_pairs(exam_id):
    from mockexam.models import CopyingPair

    with session_scope() as db:
        a, b = db.exec(
            select(ExamSession.id).where(ExamSession.exam_id == exam_id).order_by(ExamSession.id)
        ).all()[:2]
        db.add(
            CopyingPair(
                exam_id=exam_id,
                session_a=a,
                session_b=b,
                matches=50,
                identical_wrong=20,
                expected=21.5,
                p_value=3.2e-20,
            )
        )
    teacher = admin_token("tess", AdminRole.TEACHER)
    assert _get(export_path(exam_id, ExportFile.COPYING_CSV), token=teacher).status_code == 403
    admin = admin_token("adam", AdminRole.ADMIN)
    response = _get(export_path(exam_id, ExportFile.COPYING_CSV), token=admin)
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0][:4] == ["p_value", "matches", "expected", "identical_wrong"]
    assert rows[1][:4] == ["3.200e-20", "50", "21.5", "20"]
    assert len(rows) == 2
    assert [e.details for e in _exports()] == [{"file": "copying.csv"}]
