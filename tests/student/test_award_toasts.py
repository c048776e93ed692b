"""New achievements are toasted once: one award as "New achievement!", several as one toast.

A first exam brings four awards at once; four toasts stacked over the dashboard's
score, so several are combined into one ("4 new achievements: …") with a button
to the achievements page.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.models import AchievementAward
from mockexam.services import sessions as session_service
from mockexam.student.achievements import AchievementsState
from mockexam.student.components import new_awards_description, new_awards_title
from mockexam.student.dashboard import DashboardState
from mockexam.student.results import ResultsState
from tests.factories import make_exam, make_student
from tests.gamification.support import release
from tests.student.helpers import init_data_for, make_state, run, toast_js

TELEGRAM_ID = 555_301


def _sat_one_exam(
    scores: dict[str, float], *, provisional: bool = False, lang: str = "uz"
) -> dict[str, int]:
    """Students (by name, speaking `lang`) who took one released exam: their session ids."""
    now = utcnow()
    with session_scope() as db:
        exam = make_exam(db, title="Weekly #1", start=now - timedelta(days=2), hours=3)
        sessions, by_student = {}, {}
        for index, name in enumerate(scores):
            student = make_student(
                db, telegram_id=TELEGRAM_ID + index, first_name=name, language_code=lang
            )
            started = session_service.start_session(
                db, student_id=student.id, exam_id=exam.id, now=exam.window_start
            )
            session_service.submit_session(
                db, student_id=student.id, session_id=started.id, now=exam.window_start
            )
            sessions[name], by_student[student.id] = started.id, scores[name]
        release(db, exam, by_student, provisional=provisional)
    return sessions


def _unseen(student_id: int | None) -> list[AchievementAward]:
    with session_scope(readonly=True) as db:
        return list(
            db.exec(
                select(AchievementAward).where(
                    AchievementAward.student_id == student_id,
                    AchievementAward.seen_at.is_(None),  # type: ignore[union-attr]
                )
            )
        )


@pytest.mark.parametrize(
    ("lang", "count", "title"),
    [
        ("uz", 4, "4 ta yangi yutuq"),
        ("ru", 2, "2 новых достижения"),
        ("ru", 5, "5 новых достижений"),
        ("ru", 21, "21 новое достижение"),
        ("en", 3, "3 new achievements"),
    ],
)
def test_new_awards_title_counts_in_each_language(lang, count, title):
    assert new_awards_title(count, lang) == title


def test_new_awards_description_names_three_then_says_how_many_more():
    names = ["First exam", "First steps", "Halfway"]
    assert new_awards_description(names[:2], "en") == "First exam, First steps"
    assert new_awards_description(names, "en") == "First exam, First steps, Halfway"
    more = [*names, "Solid ground", "Strong result"]
    assert new_awards_description(more, "en") == "First exam, First steps, Halfway and 2 more"
    assert new_awards_description(more, "ru").endswith("Halfway и ещё 2")
    assert new_awards_description(more, "uz").endswith("Halfway va yana 2 ta")


def test_several_new_awards_make_one_toast_with_a_link_to_the_achievements(db_url):
    _sat_one_exam({"Dilnoza": 64.5, "Other": 40.0}, lang="en")
    state = make_state(DashboardState)

    events = run(DashboardState.load, state, init_data_for(TELEGRAM_ID))

    assert len(events) == 1  # exams_1, score_25, score_50, score_60: one toast
    js = toast_js(events[0])
    assert '"4 new achievements"' in js
    description = re.search(r'\["description"\] : "([^"]*)"', js)
    assert description is not None
    named, more = description[1].rsplit(" and ", 1)
    assert more == "1 more"
    assert set(named.split(", ")) < {"First exam", "First steps", "Halfway", "Solid ground"}
    assert len(named.split(", ")) == 3
    assert '["label"] : "See them"' in js
    assert '_redirect", {path:"/app/achievements"' in js
    assert '"award-toast"' in js
    # Toasted once: all four are seen now, the next visit toasts nothing.
    assert _unseen(state._student_id) == []
    assert run(DashboardState.load, make_state(DashboardState), init_data_for(TELEGRAM_ID)) is None


def test_one_new_award_keeps_its_own_toast(db_url):
    # A provisional release earns no score milestone: the first exam's award alone.
    sessions = _sat_one_exam({"Dilnoza": 30.0, "Other": 20.0}, provisional=True, lang="ru")
    state = make_state(ResultsState, path=f"/app/results/{sessions['Dilnoza']}")

    events = run(ResultsState.load, state, init_data_for(TELEGRAM_ID))

    assert len(events) == 1
    js = toast_js(events[0])
    assert json.dumps("Новое достижение!") in js
    assert json.dumps("Первый экзамен") in js
    assert "_redirect" not in js  # one award: its name is all there is to see


def test_the_achievements_page_combines_without_a_link_to_itself(db_url):
    _sat_one_exam({"Dilnoza": 64.5, "Other": 40.0})
    state = make_state(AchievementsState, path="/app/achievements")

    events = run(AchievementsState.load, state, init_data_for(TELEGRAM_ID))

    assert len(events) == 1
    js = toast_js(events[0])
    assert '"4 ta yangi yutuq"' in js
    assert "_redirect" not in js
