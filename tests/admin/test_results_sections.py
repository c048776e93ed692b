"""The admin results tab follows the exam's layout: section subtotal columns, the official
score, and a fresh table when the admin moves to another exam's results (issue 21)."""

from __future__ import annotations

from datetime import timedelta

from mockexam.admin.results import ResultsState
from mockexam.db import session_scope, utcnow
from mockexam.models import Answer, ExamSession
from mockexam.scoring.layout_templates import DTM_BLOCK
from mockexam.services.admins import set_admin_language
from mockexam.services.exams import get_items
from mockexam.services.grading import grade_pending
from tests.admin.helpers import make_state, route, run
from tests.factories import make_exam, make_student


def _dtm_exam(right: dict[str, list[int]]) -> int:
    """A DTM exam closed yesterday; each named student answered right the items at the given
    positions (nothing else), submitted and graded."""
    with session_scope() as db:
        exam = make_exam(
            db, title="DTM", start=utcnow() - timedelta(days=1), hours=4, layout=DTM_BLOCK
        )
        items = get_items(db, exam.id)
        for name, positions in right.items():
            student = make_student(db, first_name=name, last_name="")
            row = ExamSession(
                student_id=student.id,
                exam_id=exam.id,
                started_at=exam.window_start,
                deadline=exam.window_end,
                submitted_at=exam.window_start + timedelta(minutes=40),
                status="submitted",
            )
            db.add(row)
            db.flush()
            for c in positions:
                item = items[c]
                db.add(
                    Answer(
                        session_id=row.id,
                        exam_id=exam.id,
                        item_id=item.id,
                        value=item.accepted_answers[0],
                    )
                )
        db.flush()
        grade_pending(db, exam.id)
        return exam.id


def test_results_tab_shows_section_subtotals_and_resets_on_another_exam(admin):
    # Ann: 27 of the 30 compulsory (29.7) + all of block 4 (93) + 10 of block 5 (21) = 143.7
    ann = [*range(0, 9), *range(10, 19), *range(20, 29), *range(30, 60), *range(60, 70)]
    dtm = _dtm_exam({"Ann": ann, "Ben": list(range(60, 90))})
    with session_scope() as db:
        other = make_exam(db, title="Certificate", start=utcnow() - timedelta(days=3)).id

    state = make_state(ResultsState, path=f"/admin/exams/{dtm}", token=admin.token)
    run(ResultsState.load, state)
    assert state.official_points is True
    assert [h["key"] for h in state.sections] == ["s1", "s2", "s3", "s4", "s5"]
    assert [h["max_points"] for h in state.sections] == ["11", "11", "11", "93", "63"]
    assert state.sections[0]["uz"] and state.sections[0]["ru"] != state.sections[0]["uz"]
    first, second = state.rows
    assert (first["name"], first["points"], first["exercises"]) == ("Ann", "143.7/189", "67/90")
    assert [c["points"] for c in first["sections"]] == ["9.9", "9.9", "9.9", "93", "21"]
    assert [c["points"] for c in second["sections"]] == ["0", "0", "0", "0", "63"]
    assert all(c["scaled"] == "" for c in first["sections"])  # not released: no block measure

    run(ResultsState.find, state, {"search": "Ben"})
    run(ResultsState.sort_by, state, "name")
    assert [r["name"] for r in state.rows] == ["Ben"]

    route(state, f"/admin/exams/{other}")
    run(ResultsState.load, state)
    assert (state.exam_id, state.search, state.sort, state.descending) == (
        other,
        "",
        "points",
        True,
    )
    assert state.rows == [] and state.total == 0
    assert state.official_points is False
    assert [h["max_points"] for h in state.sections] == ["35", "20"]

    with session_scope() as db:
        set_admin_language(db, admin.admin_id, "ru")
    route(state, f"/admin/exams/{dtm}")
    run(ResultsState.load, state)
    assert state.rows[0]["points"] == "143,7/189"
    assert state.rows[0]["sections"][0]["points"] == "9,9"
