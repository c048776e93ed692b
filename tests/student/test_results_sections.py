"""The student's results of a DTM block test: points first, a subtotal per block, headings;
the dashboard's latest points with the right word after them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mockexam.db import session_scope, utcnow
from mockexam.scoring.layout_templates import DTM_BLOCK
from mockexam.services import sessions as session_service
from mockexam.services.dashboard import Dashboard, LatestScore
from mockexam.services.grading import grade_pending
from mockexam.services.sessions import AnswerChange
from mockexam.student.dashboard import DashboardState
from mockexam.student.results import ResultsState, ResultsView, decimals
from tests.factories import make_exam, make_student
from tests.gamification.support import release
from tests.student.helpers import init_data_for, make_state, run

DILNOZA = 555_301


def test_dtm_results_show_points_first_and_each_block(db_url):
    # Key (tests.factories.key_text): item n is option (n − 1) mod 4, so 1 A, 2 B, 31 C, 61 A.
    # Right: 1, 2 (1.1 each), 31 (3.1), 61 (2.1) = 7.4 of 189; 3 is wrong (key C).
    with session_scope() as db:
        student = make_student(db, telegram_id=DILNOZA, first_name="Dilnoza")
        exam = make_exam(
            db, title="DTM", start=utcnow() - timedelta(days=2), hours=4, layout=DTM_BLOCK
        )
        started = session_service.start_session(
            db, student_id=student.id, exam_id=exam.id, now=exam.window_start
        )
        answers = {"1": "A", "2": "B", "3": "D", "31": "C", "61": "A"}
        session_service.save_answers(
            db,
            student_id=student.id,
            session_id=started.id,
            changes={label: AnswerChange(value=v) for label, v in answers.items()},
            now=exam.window_start + timedelta(minutes=5),
        )
        session_service.submit_session(
            db,
            student_id=student.id,
            session_id=started.id,
            now=exam.window_start + timedelta(minutes=30),
        )
        grade_pending(db, exam.id)
        release(db, exam, {student.id: 52.0})
        session_id = started.id

    state = make_state(ResultsState, path=f"/app/results/{session_id}")
    run(ResultsState.load, state, init_data_for(DILNOZA))

    assert state.view == ResultsView.READY
    assert state.official_points is True
    assert (state.points, state.max_points, state.points_digits) == (7.4, 189, 1)
    assert (state.exercises, state.max_exercises) == (4, 90)
    assert [s["numbers"] for s in state.sections] == ["1–10", "11–20", "21–30", "31–60", "61–90"]
    assert [s["points"] for s in state.sections] == [2.2, 0, 0, 3.1, 2.1]
    assert [s["max_points"] for s in state.sections] == [11, 11, 11, 93, 63]
    assert [s["exercises"] for s in state.sections] == [2, 0, 0, 1, 1]
    assert state.sections[3]["each"] == {
        "uz": "har biri 3,1 ball",
        "ru": "3,1 балла за задание",
        "en": "3.1 points each",
    }
    assert state.sections[0]["uz"] != state.sections[0]["ru"]
    firsts = [(i["label"], i["section"]) for i in state.items if i["first"]]
    assert firsts == [("1", 0), ("11", 1), ("21", 2), ("31", 3), ("61", 4)]
    assert {i["label"]: i["status"] for i in state.items}["61"] == "right"


def test_decimals_are_the_ones_the_points_need():
    assert decimals(55, 189) == 0
    assert decimals(143.70000000000002, 189) == 1
    assert decimals(0.55, 1) == 2
    assert decimals(None) == 0


@pytest.mark.parametrize(
    ("points", "max_points", "digits", "ru", "en"),
    [
        (143.7, 189, 1, " баллов", " points"),
        (20, 22, 0, " балла", " points"),  # was " баллов" after every number
        (0.5, 1, 1, " балл", " point"),
        (10, 29.7, 1, " балла", " points"),  # a fraction takes the "few" form
    ],
)
def test_dashboard_latest_points_and_their_word(points, max_points, digits, ru, en):
    latest = LatestScore(
        session_id=1,
        exam_id=1,
        exam_title="DTM",
        exam_date=utcnow(),
        scaled_score=55.0,
        scaled_score_se=3.0,
        grade="B",
        is_provisional=False,
        points=points,
        max_points=max_points,
        official_score="points",
    )
    board = Dashboard(
        now=utcnow(),
        student_id=1,
        name="Dilnoza",
        latest=latest,
        elo=1210.0,
        exams_taken=1,
        current_streak=1,
        longest_streak=1,
        recent_achievements=[],
        new_achievements=[],
        exam=None,
    )
    state = make_state(DashboardState)
    state._show(board)
    assert (state.points, state.max_points, state.points_digits) == (points, max_points, digits)
    assert state.points_words == {"uz": " ball", "ru": ru, "en": en}
