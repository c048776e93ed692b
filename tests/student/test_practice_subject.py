"""The practice page's subject choice (issue 21): shown when two subjects have questions,
and the session started is drawn from the chosen subject only."""

from __future__ import annotations

from sqlalchemy import select

from mockexam.db import session_scope
from mockexam.models import PracticeAnswer, PracticeQuestion, PracticeSession, PracticeTopic
from mockexam.services import practice_bank
from mockexam.student.practice import PracticeHubState
from tests.factories import make_practice_bank, make_student
from tests.student.helpers import init_data_for, make_state, run

TELEGRAM_ID = 720_001


def _hub() -> PracticeHubState:
    state = make_state(PracticeHubState, path="/app/practice")
    run(PracticeHubState.load, state, init_data_for(TELEGRAM_ID))
    assert state.loaded and not state.failed
    return state


def test_one_subject_shows_no_choice(db_url):
    with session_scope() as db:
        make_student(db, telegram_id=TELEGRAM_ID)
        make_practice_bank(db, per_topic=1)
    hub = _hub()
    assert [s["code"] for s in hub.subjects] == ["math"] and hub.subject == ""
    assert (hub.light_questions, hub.medium_questions) == (6, 6)


def test_the_chosen_subject_sizes_the_modes_and_keeps_the_draw(db_url):
    with session_scope() as db:
        make_student(db, telegram_id=TELEGRAM_ID)
        make_practice_bank(db, per_topic=2)  # mathematics: 12 questions
        practice_bank.create_topic(db, code="mechanics", name="Mechanics", subject="physics")
        make_practice_bank(db, per_topic=3, topics=("mechanics",))
    hub = _hub()
    assert [(s["code"], s["name"], s["questions"]) for s in hub.subjects] == [
        ("math", "Matematika", 12),
        ("physics", "Fizika", 3),
    ]
    assert hub.subject == "math" and (hub.light_questions, hub.medium_questions) == (6, 10)
    run(PracticeHubState.set_subject, hub, "history")  # no questions: ignored
    assert hub.subject == "math"
    run(PracticeHubState.set_subject, hub, "physics")
    assert hub.subject == "physics" and (hub.light_questions, hub.medium_questions) == (3, 3)

    run(PracticeHubState.start, hub, "medium")
    assert hub.start_error == ""
    with session_scope(readonly=True) as db:
        codes = db.execute(
            select(PracticeTopic.code)
            .join(PracticeQuestion, PracticeQuestion.topic_id == PracticeTopic.id)
            .join(PracticeAnswer, PracticeAnswer.question_id == PracticeQuestion.id)
            .join(PracticeSession, PracticeSession.id == PracticeAnswer.practice_session_id)
        ).scalars()
        assert list(codes) == ["mechanics"] * 3
