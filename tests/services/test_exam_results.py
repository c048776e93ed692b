"""Admin results: the live monitor, the sortable results table and the CSV/Excel exports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError
from mockexam.models import Answer, EloHistory, Exam, ExamPhase, ExamSession, Student
from mockexam.scoring.layout_templates import CERTIFICATE_MATH, DTM_BLOCK
from mockexam.services import exam_results
from mockexam.services.exam_results import ResultSort
from mockexam.services.exams import get_items
from mockexam.services.grading import grade_pending
from tests.factories import make_exam, make_student


@dataclass
class Scenario:
    exam_id: int
    sessions: dict[str, int]  # student first name → session id
    labels: list[str]


def _session(db: Session, exam: Exam, name: str, **fields: object) -> ExamSession:
    student = make_student(db, first_name=name, last_name="Test", username=name.lower())
    row = ExamSession(
        student_id=student.id,
        exam_id=exam.id,
        started_at=exam.window_start,
        deadline=exam.window_start + timedelta(minutes=150, seconds=30),
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def _open_scenario() -> Scenario:
    """An open exam: Ann submitted, Ben auto-submitted, Cat working, Dan overdue; Eve, Fay idle."""
    now = utcnow()
    with session_scope() as db:
        exam = make_exam(db, start=now - timedelta(hours=3), hours=5)
        exam.window_start = now - timedelta(hours=3)
        sessions = {}
        sessions["Ann"] = _session(db, exam, "Ann", submitted_at=now, status="submitted").id
        sessions["Ben"] = _session(
            db, exam, "Ben", submitted_at=now, is_auto_submitted=True, status="submitted"
        ).id
        cat = _session(db, exam, "Cat")
        cat.deadline = now + timedelta(minutes=30)
        sessions["Cat"] = cat.id
        sessions["Dan"] = _session(db, exam, "Dan").id  # deadline long past, not swept yet
        make_student(db, first_name="Eve")
        make_student(db, first_name="Fay").is_reachable = False
        return Scenario(exam.id, sessions, [i.label for i in get_items(db, exam.id)])


def test_live_monitor_counts_each_state_in_one_query(db_url):
    scenario = _open_scenario()
    monitor = exam_results.live_monitor(scenario.exam_id)
    assert monitor.phase == ExamPhase.OPEN
    assert (monitor.started, monitor.in_progress, monitor.overdue) == (4, 1, 1)
    assert (monitor.submitted, monitor.auto_submitted) == (2, 1)
    assert (monitor.students, monitor.not_started, monitor.reachable_not_started) == (6, 2, 1)
    assert monitor.submitted_fraction == pytest.approx(0.5)


def test_live_monitor_of_an_exam_nobody_started(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() + timedelta(days=1))
        make_student(db)
    monitor = exam_results.live_monitor(exam.id)
    assert monitor.phase == ExamPhase.SCHEDULED
    assert (monitor.started, monitor.submitted, monitor.not_started) == (0, 0, 1)
    assert monitor.last_started_at is None


def test_live_monitor_unknown_exam(db_url):
    with pytest.raises(NotFoundError) as err:
        exam_results.live_monitor(999)
    assert str(err.value) == "Exam 999 does not exist."
    assert err.value.text("ru") == "Экзамена 999 не существует."
    assert err.value.text("uz") == "999-imtihon mavjud emas."


def _released_scenario() -> Scenario:
    """A closed exam with four submitted sessions, scores, Elo rows and person fit.

    Ann 40 pts (scaled 70, Elo +12, fits), Ben 30 (55, −3, misfit outfit 1.8, auto),
    Cat 20 (40, no Elo row), Dan submitted but ungraded; Eve still in progress
    (not a result). Answers: Ann right on items 1 and 2, wrong on 3; Ben right on 3;
    item 2 is excluded.
    """
    now = utcnow()
    with session_scope() as db:
        exam = make_exam(db, start=now - timedelta(days=2), hours=3)
        items = get_items(db, exam.id)
        items[1].is_excluded = True
        db.add(items[1])
        done = {"status": "released", "submitted_at": exam.window_start + timedelta(hours=1)}
        rows = {
            "Ann": _session(
                db,
                exam,
                "Ann",
                points=40,
                max_points=55,
                exercises=35,
                max_exercises=45,
                scaled_score=70.0,
                scaled_score_se=3.5,
                grade="A",
                theta=1.6,
                theta_se=0.35,
                person_infit=0.9,
                person_outfit=1.1,
                graded_at=now,
                **done,
            ),
            "Ben": _session(
                db,
                exam,
                "Ben",
                points=30,
                max_points=55,
                exercises=26,
                max_exercises=45,
                scaled_score=55.0,
                scaled_score_se=3.1,
                grade="B",
                theta=0.4,
                theta_se=0.3,
                person_infit=1.2,
                person_outfit=1.8,
                is_auto_submitted=True,
                graded_at=now,
                **done,
            ),
            "Cat": _session(
                db,
                exam,
                "Cat",
                points=20,
                max_points=55,
                exercises=15,
                max_exercises=45,
                scaled_score=40.0,
                scaled_score_se=3.2,
                grade="C",
                graded_at=now,
                **done,
            ),
            "Dan": _session(db, exam, "Dan", **done),
            "Eve": _session(db, exam, "Eve"),
        }
        for name, gain in (("Ann", 12.0), ("Ben", -3.0)):
            db.add(
                EloHistory(
                    session_id=rows[name].id,
                    student_id=rows[name].student_id,
                    exam_id=exam.id,
                    elo_before=1200.0,
                    elo_after=1200.0 + gain,
                    k_factor=40,
                    expected=0.5,
                    actual=0.5,
                )
            )
        marks = [("Ann", 0, True), ("Ann", 1, True), ("Ann", 2, False), ("Ben", 2, True)]
        marks.append(("Dan", 0, None))  # saved but not graded yet
        for name, index, right in marks:
            db.add(
                Answer(
                    session_id=rows[name].id,
                    exam_id=exam.id,
                    item_id=items[index].id,
                    value=items[index].accepted_answers[0] if right else "D",
                    is_correct=right,
                )
            )
        return Scenario(exam.id, {k: v.id for k, v in rows.items()}, [i.label for i in items])


def test_results_table_lists_submitted_sessions_best_points_first(db_url):
    s = _released_scenario()
    page = exam_results.results_table(s.exam_id)
    assert [r.name for r in page.rows] == ["Ann Test", "Ben Test", "Cat Test", "Dan Test"]
    assert page.total == 4
    ann, ben, cat, dan = page.rows
    assert (ann.points, ann.exercises, ann.scaled_score, ann.scaled_score_se) == (40, 35, 70, 3.5)
    assert (ann.grade, ann.elo_change, ann.person_misfit) == ("A", 12.0, False)
    assert (ben.is_auto_submitted, ben.elo_change, ben.person_misfit) == (True, -3.0, True)
    assert (cat.elo_change, cat.person_misfit) == (None, None)
    assert dan.points is None  # nulls last


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        (ResultSort.NAME, False, ["Ann", "Ben", "Cat", "Dan"]),
        (ResultSort.POINTS, False, ["Cat", "Ben", "Ann", "Dan"]),
        (ResultSort.SCALED, True, ["Ann", "Ben", "Cat", "Dan"]),
        (ResultSort.ELO_CHANGE, False, ["Ben", "Ann", "Cat", "Dan"]),
        (ResultSort.PERSON_FIT, True, ["Ben", "Ann", "Cat", "Dan"]),
        (ResultSort.EXERCISES, "desc", ["Ann", "Ben", "Cat", "Dan"]),
    ],
)
def test_results_table_sorts_with_nulls_last(db_url, sort, descending, expected):
    s = _released_scenario()
    page = exam_results.results_table(s.exam_id, sort=sort, descending=bool(descending))
    assert [r.name.split()[0] for r in page.rows] == expected


def test_results_table_pages_and_searches(db_url):
    s = _released_scenario()
    first = exam_results.results_table(s.exam_id, limit=2, offset=0)
    second = exam_results.results_table(s.exam_id, limit=2, offset=2)
    assert [r.name for r in first.rows + second.rows] == [
        "Ann Test",
        "Ben Test",
        "Cat Test",
        "Dan Test",
    ]
    assert first.total == second.total == 4
    beyond = exam_results.results_table(s.exam_id, limit=2, offset=10)
    assert (beyond.rows, beyond.total) == ((), 4)
    found = exam_results.results_table(s.exam_id, search="BEN")
    assert [r.name for r in found.rows] == ["Ben Test"]
    assert found.total == 1
    assert exam_results.results_table(s.exam_id, search="100%_").total == 0


def test_results_table_unknown_exam(db_url):
    with pytest.raises(NotFoundError) as err:
        exam_results.results_table(12345)
    assert err.value.text("ru") == "Экзамена 12345 не существует."


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_results_csv_rows_match_the_table(db_url):
    s = _released_scenario()
    rows = _csv_rows(exam_results.export_results_csv(s.exam_id))
    assert rows[0] == exam_results.result_columns(CERTIFICATE_MATH)
    assert rows[0][9:13] == ["s1_points", "s1_exercises", "s1_scaled", "s2_points"]
    assert "submitted_at (Asia/Tashkent, UTC+05:00)" in rows[0]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [b["name"] for b in body] == ["Ann Test", "Ben Test", "Cat Test", "Dan Test"]
    assert [b["rank"] for b in body] == ["1", "2", "3", "4"]
    assert body[0]["scaled_score"] == "70.0"
    assert body[0]["elo_change"] == "12.0"
    assert body[1]["auto_submitted"] == "1"
    assert body[1]["person_misfit"] == "1"
    assert body[2]["person_misfit"] == ""
    assert body[3]["points"] == ""


def test_export_response_matrix_csv_is_zero_one_with_blanks_documented(db_url):
    s = _released_scenario()
    rows = _csv_rows(exam_results.export_response_matrix_csv(s.exam_id))
    header = rows[0]
    assert header[:4] == ["session_id", "student_id", "telegram_id", "name"]
    assert header[4:-1] == s.labels
    assert header[-1] == "points"
    by_name = {r[3]: r[4:-1] for r in rows[1:]}
    assert set(by_name) == {"Ann Test", "Ben Test", "Cat Test", "Dan Test"}
    assert by_name["Ann Test"][:4] == ["1", "", "0", "0"]  # item 2 excluded: empty
    assert by_name["Ben Test"][:4] == ["0", "", "1", "0"]
    assert set(by_name["Cat Test"]) == {"0", ""}  # nothing right; unanswered = 0
    assert set(by_name["Dan Test"]) == {""}  # not graded yet
    assert sum(c == "1" for c in by_name["Ann Test"]) == 1
    assert rows[1][-1] == "40"


def _same_cell(value: object) -> object:
    """A cell as text, numbers as floats (Excel keeps 70.0 as 70)."""
    text = "" if value is None else str(value)
    try:
        return float(text)
    except ValueError:
        return text


def test_export_xlsx_has_the_same_cells_as_csv(db_url):
    s = _released_scenario()
    for as_xlsx, as_csv in (
        (exam_results.export_results_xlsx, exam_results.export_results_csv),
        (exam_results.export_response_matrix_xlsx, exam_results.export_response_matrix_csv),
    ):
        sheet = load_workbook(io.BytesIO(as_xlsx(s.exam_id)), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        width = len(rows[0])  # read-only mode drops trailing empty cells
        cells = [[_same_cell(v) for v in (*row, *[None] * (width - len(row)))] for row in rows]
        assert cells == [[_same_cell(v) for v in row] for row in _csv_rows(as_csv(s.exam_id))]


def test_export_neutralises_formula_like_names(db_url):
    s = _released_scenario()
    with session_scope() as db:
        student = db.get(Student, db.get(ExamSession, s.sessions["Ann"]).student_id)
        student.first_name, student.last_name = '=HYPERLINK("x")', ""
    rows = _csv_rows(exam_results.export_results_csv(s.exam_id))
    assert rows[1][3] == '\'=HYPERLINK("x")'
    sheet = load_workbook(io.BytesIO(exam_results.export_results_xlsx(s.exam_id))).active
    assert sheet.cell(row=2, column=4).data_type == "s"


def test_export_streams_in_chunks(db_url, monkeypatch):
    monkeypatch.setattr(exam_results, "EXPORT_CHUNK_ROWS", 1)
    s = _released_scenario()
    chunks = list(exam_results.iter_results_csv(s.exam_id))
    assert len(chunks) >= 5
    assert b"".join(chunks) == exam_results.export_results_csv(s.exam_id)


def test_export_results_dtm_section_columns_add_up(db_url):
    """A DTM sheet graded: each block's points and whole exercises in its own columns, their
    sum is the points column (by hand: 9 × 1.1 + 10 × 1.1 + 10 × 3.1 = 9.9 + 11 + 31 = 51.9);
    submitted_at in Tashkent time, the zone in the header; best first by points (official)."""
    right = {"Ann": [*range(0, 9), *range(10, 20), *range(40, 50)], "Ben": list(range(60, 90))}
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=5), hours=4, layout=DTM_BLOCK)
        items = get_items(db, exam.id)
        for name, positions in right.items():
            row = _session(
                db,
                exam,
                name,
                submitted_at=datetime(2026, 11, 22, 9, 5, 9, tzinfo=UTC),
                status="submitted",
            )
            for c in positions:
                db.add(
                    Answer(
                        session_id=row.id,
                        exam_id=exam.id,
                        item_id=items[c].id,
                        value=items[c].accepted_answers[0],
                    )
                )
        db.flush()
        assert grade_pending(db, exam.id) == 2
    rows = _csv_rows(exam_results.export_results_csv(exam.id))
    header = rows[0]
    assert header[5:9] == ["points", "max_points", "exercises", "max_exercises"]
    assert header[9:12] == ["s1_points", "s1_exercises", "s1_scaled"]
    assert header[21:24] == ["s5_points", "s5_exercises", "s5_scaled"]
    assert header[-4] == "submitted_at (Asia/Tashkent, UTC+05:00)"
    ben, ann = (dict(zip(header, r, strict=True)) for r in rows[1:])  # 63 points first
    assert (ann["name"], ben["name"]) == ("Ann Test", "Ben Test")
    sections = [ann[f"s{k}_points"] for k in range(1, 6)]
    assert sections == ["9.9", "11", "0", "31", "0"]
    assert [ann[f"s{k}_exercises"] for k in range(1, 6)] == ["9", "10", "0", "10", "0"]
    assert ann["points"] == "51.9" and ann["exercises"] == "29"
    assert [ben[f"s{k}_points"] for k in range(1, 6)] == ["0", "0", "0", "0", "63"]
    assert ben["points"] == "63" and ben["max_points"] == "189"
    assert ann["s4_scaled"] == ""  # not released: no block measure yet
    assert ann[header[-4]] == "2026-11-22 14:05:09"
    page = exam_results.results_table(exam.id)
    assert page.layout == DTM_BLOCK
    assert [r.section_points(3) for r in page.rows] == [0, 31]


def test_results_of_an_exam_with_an_unreadable_layout_have_no_section_columns(db_url):
    s = _released_scenario()
    with session_scope() as db:
        exam = db.get(Exam, s.exam_id)
        exam.layout = {"version": 1, "template": "custom", "sections": []}  # no sections
    rows = _csv_rows(exam_results.export_results_csv(s.exam_id))
    assert not any(name.startswith("s1_") for name in rows[0])
    assert len(rows) == 5 and rows[1][3] == "Ann Test"
    assert exam_results.results_table(s.exam_id).layout.sections == ()


def test_results_and_exports_keep_to_the_scope_and_show_the_centres_name(db_url):
    """A teacher's scope (their groups) keeps the table, its total and both exports to their
    students; the centre's name for a student is what is shown, and it can be searched."""
    from mockexam.services import groups
    from mockexam.services.access import Scope

    s = _released_scenario()
    with session_scope() as db:
        group = groups.create_group(db, name="9-A", actor_id=None)
        for name in ("Ben", "Dan"):
            sid = db.get(ExamSession, s.sessions[name]).student_id
            groups.add_member(db, group.id, sid, actor_id=None)
        db.get(Student, db.get(ExamSession, s.sessions["Dan"]).student_id).full_name = "Aliyev Dan"
        group_id = group.id
    scope = Scope(frozenset({group_id}))

    page = exam_results.results_table(
        s.exam_id, scope=scope, sort=ResultSort.NAME, descending=False
    )
    assert ([r.name for r in page.rows], page.total) == (["Aliyev Dan", "Ben Test"], 2)
    assert exam_results.results_table(s.exam_id, scope=scope, search="aliyev").total == 1
    assert exam_results.results_table(s.exam_id, scope=scope, search="dan test").total == 1
    assert exam_results.results_table(s.exam_id, scope=scope, search="ann").total == 0
    nobody = exam_results.results_table(s.exam_id, scope=Scope(frozenset()))
    assert (nobody.rows, nobody.total) == ((), 0)
    rows = _csv_rows(exam_results.export_results_csv(s.exam_id, scope))
    assert sorted(r[3] for r in rows[1:]) == ["Aliyev Dan", "Ben Test"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]  # ranks within the group
    matrix = _csv_rows(exam_results.export_response_matrix_csv(s.exam_id, scope))
    assert sorted(r[3] for r in matrix[1:]) == ["Aliyev Dan", "Ben Test"]
    assert len(_csv_rows(exam_results.export_results_csv(s.exam_id))) == 5  # everyone: 4 + header
