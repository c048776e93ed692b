"""Practice sessions against the real database: draw, deadline, save, submit, sweep, results.

Practice must never touch exams, Elo, Rasch, streaks or achievements: a
test snapshots those tables around a whole practice run.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, text

from mockexam.db import session_scope, utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    NotFoundError,
    ValidationError,
)
from mockexam.models import (
    Achievement,
    AchievementAward,
    EloHistory,
    ExamSession,
    ItemStatistic,
    PracticeAnswer,
    PracticeQuestion,
    PracticeSession,
    Streak,
    StudentRating,
)
from mockexam.services import practice
from mockexam.services.exam_room import Refusal
from mockexam.tasks import run_sweep
from tests.factories import make_cohort, make_exam, make_practice_bank, make_student

GRACE = timedelta(seconds=30)


def _student(db) -> int:
    student = make_student(db)
    db.commit()
    return student.id


def _answers(practice_id: int) -> dict[str, str]:
    with session_scope(readonly=True) as db:
        rows = db.execute(
            select(PracticeAnswer.position, PracticeAnswer.value).where(
                PracticeAnswer.practice_session_id == practice_id
            )
        ).all()
    return {str(p): v for p, v in rows}


def _right_answers(room: practice.PracticeRoom) -> dict[str, str]:
    """The factory's keys: B for multiple choice, 1/2 for free response."""
    return {q.label: "B" if q.kind == "mcq" else "0.5" for q in room.questions}


def test_light_session_has_one_question_per_topic_and_the_server_deadline(db):
    make_practice_bank(db, per_topic=3)
    student_id = _student(db)
    now = utcnow()
    room = practice.start_practice(student_id=student_id, mode="light", now=now)
    assert room.phase == practice.PracticePhase.IN_PROGRESS
    assert len(room.questions) == room.total == 6
    assert Counter(q.topic_code for q in room.questions) == Counter(
        dict.fromkeys(
            ("algebra", "geometry", "probability", "calculus", "trigonometry", "number_theory"), 1
        )
    )
    assert room.deadline == now + timedelta(minutes=30) + GRACE
    assert room.seconds_left == 30 * 60
    assert [q.label for q in room.questions] == ["1", "2", "3", "4", "5", "6"]
    # The answer key never leaves the server while the session runs.
    assert not hasattr(room.questions[0], "accepted_answers")
    assert room.review == []


def test_medium_session_has_ten_balanced_questions_and_an_hour(db):
    make_practice_bank(db, per_topic=4)
    student_id = _student(db)
    now = utcnow()
    room = practice.start_practice(student_id=student_id, mode="medium", now=now)
    counts = Counter(q.topic_code for q in room.questions)
    assert len(room.questions) == 10
    assert sorted(counts.values()) == [1, 1, 2, 2, 2, 2]
    assert room.deadline == now + timedelta(minutes=60) + GRACE


def test_start_while_one_runs_returns_it_and_bad_modes_are_refused(db):
    make_practice_bank(db)
    student_id = _student(db)
    first = practice.start_practice(student_id=student_id, mode="light")
    again = practice.start_practice(student_id=student_id, mode="medium")
    assert again.practice_id == first.practice_id and again.mode == "light"
    with pytest.raises(ValidationError, match="mode"):
        practice.start_practice(student_id=student_id, mode="huge")
    with session_scope(readonly=True) as reader:
        assert reader.exec(select(func.count()).select_from(PracticeSession)).one()[0] == 1


def test_parallel_starts_make_one_session(db):
    make_practice_bank(db)
    student_id = _student(db)
    with ThreadPoolExecutor(8) as pool:
        rooms = list(
            pool.map(
                lambda _: practice.start_practice(student_id=student_id, mode="light"), range(8)
            )
        )
    assert len({r.practice_id for r in rooms}) == 1
    with session_scope(readonly=True) as reader:
        assert reader.exec(select(func.count()).select_from(PracticeSession)).one()[0] == 1
        assert reader.exec(select(func.count()).select_from(PracticeAnswer)).one()[0] == 6


def test_the_partial_unique_index_refuses_a_second_open_session(db):
    """The rule holds in the database itself, not only in the service."""
    make_practice_bank(db)
    student_id = _student(db)
    practice.start_practice(student_id=student_id, mode="light")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session_scope() as writer:
        writer.add(PracticeSession(student_id=student_id, mode="light", deadline=utcnow()))
        writer.flush()


def test_an_empty_bank_is_refused_clearly(db):
    student_id = _student(db)
    with pytest.raises(ValidationError, match="no questions"):
        practice.start_practice(student_id=student_id, mode="light")


def test_saves_are_checked_per_label_and_stored(db):
    make_practice_bank(db, per_topic=1, free_topics=("geometry",))
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    mcq = next(q.label for q in room.questions if q.kind == "mcq")
    free = next(q.label for q in room.questions if q.kind == "free")
    result = practice.save_practice(
        student_id=student_id,
        practice_id=room.practice_id,
        changes={mcq: "c", free: " 1,5 ", "99": "A"},
    )
    assert result.stored == {mcq: "C", free: "1,5"}
    assert result.rejected == {"99": Refusal.UNKNOWN_ITEM}
    result = practice.save_practice(
        student_id=student_id,
        practice_id=room.practice_id,
        changes={mcq: "E", free: "x" * 65},
    )
    assert result.rejected == {mcq: Refusal.NOT_AN_OPTION, free: Refusal.TOO_LONG}
    stored = _answers(room.practice_id)
    assert stored[mcq] == "C" and stored[free] == "1,5"  # the refused values changed nothing
    # Clearing an answer is a change too.
    practice.save_practice(student_id=student_id, practice_id=room.practice_id, changes={mcq: ""})
    assert _answers(room.practice_id)[mcq] == ""
    reread = practice.get_practice_room(student_id=student_id, practice_id=room.practice_id)
    assert reread.saved == {free: "1,5"}


def test_another_students_session_is_not_found_and_untouched(db):
    make_practice_bank(db)
    owner, other = _student(db), _student(db)
    room = practice.start_practice(student_id=owner, mode="light")
    label = room.questions[0].label
    with pytest.raises(NotFoundError):
        practice.get_practice_room(student_id=other, practice_id=room.practice_id)
    with pytest.raises(NotFoundError):
        practice.save_practice(student_id=other, practice_id=room.practice_id, changes={label: "A"})
    with pytest.raises(NotFoundError):
        practice.submit_practice(student_id=other, practice_id=room.practice_id, changes={})
    assert set(_answers(room.practice_id).values()) == {""}
    with session_scope(readonly=True) as reader:
        assert reader.get(PracticeSession, room.practice_id).submitted_at is None


def test_saves_after_the_deadline_or_submit_are_refused_and_store_nothing(db):
    make_practice_bank(db)
    student_id = _student(db)
    start = utcnow()
    room = practice.start_practice(student_id=student_id, mode="light", now=start)
    label = room.questions[0].label
    late = room.deadline + timedelta(seconds=1)
    with pytest.raises(DeadlinePassedError):
        practice.save_practice(
            student_id=student_id, practice_id=room.practice_id, changes={label: "B"}, now=late
        )
    assert _answers(room.practice_id)[label] == ""
    # Just inside the deadline (the grace) it is still accepted.
    practice.save_practice(
        student_id=student_id,
        practice_id=room.practice_id,
        changes={label: "B"},
        now=room.deadline,
    )
    practice.submit_practice(
        student_id=student_id, practice_id=room.practice_id, changes={}, now=room.deadline
    )
    with pytest.raises(AlreadySubmittedError):
        practice.save_practice(
            student_id=student_id, practice_id=room.practice_id, changes={label: "A"}
        )
    assert _answers(room.practice_id)[label] == "B"


def test_submit_grades_and_shows_the_review_with_a_topic_breakdown(db):
    make_practice_bank(db, per_topic=1, free_topics=("geometry", "calculus"))
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    right = _right_answers(room)
    wrong_label = room.questions[0].label
    answers = {**right, wrong_label: "A" if room.questions[0].kind == "mcq" else "7"}
    unanswered = room.questions[1].label
    answers.pop(unanswered)
    done = practice.submit_practice(
        student_id=student_id, practice_id=room.practice_id, changes=answers
    )
    assert (done.score, done.total, done.is_auto_submitted) == (4, 6, False)
    result = practice.get_practice_room(student_id=student_id, practice_id=room.practice_id)
    assert result.phase == practice.PracticePhase.SUBMITTED and result.score == 4
    assert result.questions == []  # nothing to answer any more
    by_label = {r.label: r for r in result.review}
    assert not by_label[wrong_label].is_correct and not by_label[unanswered].is_correct
    assert by_label[unanswered].given == ""
    assert {r.kind for r in result.review} == {"mcq", "free"}
    for review in result.review:
        assert review.correct_answer == ("B" if review.kind == "mcq" else "1/2")
        assert review.explanation.startswith("Because")
    assert sum(t.correct for t in result.topics) == 4
    assert sum(t.total for t in result.topics) == 6
    assert all(t.total == 1 for t in result.topics)
    # Submitting again changes nothing.
    again = practice.submit_practice(
        student_id=student_id, practice_id=room.practice_id, changes={wrong_label: "B"}
    )
    assert again.score == 4 and again.saved.accepted == ()


def test_a_late_submit_counts_as_auto_submitted_at_the_deadline_and_drops_the_changes(db):
    make_practice_bank(db)
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    late = room.deadline + timedelta(minutes=5)
    done = practice.submit_practice(
        student_id=student_id,
        practice_id=room.practice_id,
        changes=_right_answers(room),
        now=late,
    )
    assert done.late and done.is_auto_submitted and done.score == 0
    with session_scope(readonly=True) as reader:
        row = reader.get(PracticeSession, room.practice_id)
        assert row.submitted_at == room.deadline


def test_auto_flag_counts_only_when_the_server_agrees_time_is_up(db):
    make_practice_bank(db)
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    early = practice.submit_practice(
        student_id=student_id, practice_id=room.practice_id, changes={}, auto=True
    )
    assert not early.is_auto_submitted


def test_the_sweep_auto_submits_and_grades_abandoned_sessions(db):
    make_practice_bank(db)
    student_id = _student(db)
    start = utcnow() - timedelta(hours=2)
    room = practice.start_practice(student_id=student_id, mode="light", now=start)
    practice.save_practice(
        student_id=student_id,
        practice_id=room.practice_id,
        changes=_right_answers(room),
        now=start + timedelta(minutes=10),
    )
    outcome = run_sweep()
    assert outcome["practice_submitted"] == 1
    with session_scope(readonly=True) as reader:
        row = reader.get(PracticeSession, room.practice_id)
        assert row.submitted_at == room.deadline and row.is_auto_submitted
        assert (row.score, row.total) == (6, 6)
    assert run_sweep()["practice_submitted"] == 0  # a re-run finds nothing


def test_an_overdue_session_is_finished_when_the_student_starts_again(db):
    make_practice_bank(db)
    student_id = _student(db)
    start = utcnow() - timedelta(hours=2)
    old = practice.start_practice(student_id=student_id, mode="light", now=start)
    new = practice.start_practice(student_id=student_id, mode="medium")
    assert new.practice_id != old.practice_id and new.mode == "medium"
    with session_scope(readonly=True) as reader:
        assert reader.get(PracticeSession, old.practice_id).is_auto_submitted


def test_no_question_repeats_until_its_topic_is_exhausted(db):
    """Two questions per topic, light sessions of six: the first two sessions share nothing;
    the third repeats only once every question was shown."""
    make_practice_bank(db, per_topic=2)
    student_id = _student(db)
    shown: list[set[int]] = []
    for _ in range(3):
        room = practice.start_practice(student_id=student_id, mode="light")
        shown.append({q.question_id for q in room.questions})
        practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})
    assert not shown[0] & shown[1]
    assert len(shown[0] | shown[1]) == 12
    # Another student's history does not count for this one.
    other = _student(db)
    room = practice.start_practice(student_id=other, mode="light")
    assert len(room.questions) == 6


def test_inactive_questions_are_never_drawn(db):
    ids = make_practice_bank(db, per_topic=2)
    db.commit()
    with session_scope() as writer:
        for qid in ids[::2]:
            writer.get(PracticeQuestion, qid).is_active = False
    student_id = _student(db)
    for _ in range(3):
        room = practice.start_practice(student_id=student_id, mode="light")
        assert not {q.question_id for q in room.questions} & set(ids[::2])
        practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})


def test_adaptive_sessions_aim_at_the_last_exam_ability(db):
    make_practice_bank(db, per_topic=5)  # levels 1..5 in every topic
    exam = make_exam(db, start=utcnow() - timedelta(days=3), hours=2)
    session_ids, _, _ = make_cohort(db, exam, n=3, graded=True)
    db.commit()
    with session_scope() as writer:
        strong = writer.get(ExamSession, session_ids[0])
        strong.theta, strong.released_at, strong.is_provisional = 2.2, utcnow(), False
        student_id = strong.student_id
    room = practice.start_practice(student_id=student_id, mode="light", adaptive=True)
    assert room.is_adaptive and room.target_difficulty == 5
    assert {q.difficulty for q in room.questions} == {5}
    # A student without an exam starts at the middle level.
    newcomer = _student(db)
    room = practice.start_practice(student_id=newcomer, mode="light", adaptive=True)
    assert room.target_difficulty == 3 and {q.difficulty for q in room.questions} == {3}


def test_the_hub_shows_the_open_session_history_and_topics(db):
    make_practice_bank(db)
    student_id = _student(db)
    hub = practice.practice_hub(student_id=student_id)
    assert hub.open_session is None and hub.history == [] and hub.accuracy is None
    assert hub.bank_size == 18 and hub.topic_count == 6
    assert [m.available for m in hub.modes] == [6, 10]
    room = practice.start_practice(student_id=student_id, mode="light")
    hub = practice.practice_hub(student_id=student_id)
    assert hub.open_session is not None and hub.open_session.practice_id == room.practice_id
    practice.submit_practice(
        student_id=student_id, practice_id=room.practice_id, changes=_right_answers(room)
    )
    hub = practice.practice_hub(student_id=student_id, lang="ru")
    assert hub.open_session is None
    assert [(h.score, h.total) for h in hub.history] == [(6, 6)]
    assert hub.accuracy == 1.0 and hub.sessions_done == 1 and hub.questions_answered == 6
    assert {t.topic_name for t in hub.topics} >= {"Алгебра", "Геометрия"}
    # Answering well raises the practice ability above the prior.
    assert hub.ability > 0


def _snapshot() -> dict[str, list[tuple]]:
    tables = {
        "studentrating": StudentRating,
        "elohistory": EloHistory,
        "streak": Streak,
        "achievementaward": AchievementAward,
        "itemstatistic": ItemStatistic,
        "examsession": ExamSession,
        "achievement": Achievement,
    }
    with session_scope(readonly=True) as reader:
        return {
            name: sorted(
                (tuple(row) for row in reader.execute(select(model.__table__)).all()), key=repr
            )
            for name, model in tables.items()
        }


def test_practice_never_touches_elo_rasch_streaks_or_achievements(db):
    exam = make_exam(db, start=utcnow() - timedelta(days=3), hours=2)
    make_cohort(db, exam, n=12, graded=True)
    db.commit()
    from mockexam.services import release

    assert release.release_exam(exam.id) is not None
    make_practice_bank(db, per_topic=4)
    db.commit()
    with session_scope(readonly=True) as reader:
        student_id = reader.execute(text("SELECT student_id FROM examsession LIMIT 1")).scalar()
    before = _snapshot()
    assert before["elohistory"] and before["studentrating"] and before["itemstatistic"]
    rng = np.random.default_rng(3)
    for mode in ("light", "medium", "light"):
        room = practice.start_practice(student_id=student_id, mode=mode, adaptive=True, rng=rng)
        practice.save_practice(
            student_id=student_id, practice_id=room.practice_id, changes=_right_answers(room)
        )
        practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})
    run_sweep()
    assert _snapshot() == before


def test_the_draw_stays_in_the_chosen_subject(db):
    from mockexam.services import practice_bank

    make_practice_bank(db, per_topic=3)  # mathematics: six topics
    for code in ("mechanics", "optics"):
        practice_bank.create_topic(db, code=code, name=code.title(), subject="physics")
    make_practice_bank(db, per_topic=3, topics=("mechanics", "optics"))
    db.commit()
    student_id = _student(db)

    hub = practice.practice_hub(student_id=student_id)
    assert [(s.subject, s.questions) for s in hub.subjects] == [("math", 18), ("physics", 6)]
    room = practice.start_practice(student_id=student_id, mode="medium", subject="physics")
    assert room.total == 6  # all the subject has, none from mathematics
    assert Counter(q.topic_code for q in room.questions) == {"mechanics": 3, "optics": 3}
    practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})
    room = practice.start_practice(student_id=student_id, mode="light", subject="math")
    assert {q.topic_code for q in room.questions} <= set(_math_topics())
    with pytest.raises(ValidationError, match="no such subject"):
        practice.start_practice(student_id=student_id, mode="light", subject="astrology")


def _math_topics() -> tuple[str, ...]:
    return ("algebra", "geometry", "probability", "calculus", "trigonometry", "number_theory")


# --- the student's language (issue 24) ------------------------------------------------------


def _translated_bank(db, ru_per_topic: dict[str, int]) -> dict[int, str]:
    """Three Uzbek questions a topic, and `ru_per_topic` Russian ones; id → language."""
    from mockexam.services import practice_bank

    languages = dict.fromkeys(make_practice_bank(db, per_topic=3), "uz")
    for topic, n in ru_per_topic.items():
        for k in range(n):
            draft = practice_bank.QuestionDraft(
                topic=topic,
                difficulty=1 + k % 5,
                kind="free",
                text=f"Вопрос {topic} {k}: $x^{k}$",
                answers=("1/2",),
                language="ru",
            )
            languages[practice_bank.create_question(db, draft).id] = "ru"
    db.commit()
    return languages


def test_a_student_gets_their_languages_questions_first_in_every_topic(db):
    """Medium sessions (10 questions over six topics: shares of 1 or 2): a topic gives as many
    Russian questions as its share allows, and Uzbek ones only for what it lacks."""
    ru = {"algebra": 2, "geometry": 1, "probability": 0}
    languages = _translated_bank(db, ru)
    for seed in range(6):
        student_id = _student(db)
        room = practice.start_practice(
            student_id=student_id,
            mode="medium",
            language="ru",
            rng=np.random.default_rng(seed),
        )
        shares = Counter(q.topic_code for q in room.questions)
        russian = Counter(q.topic_code for q in room.questions if languages[q.question_id] == "ru")
        assert sum(shares.values()) == 10 and len(shares) == 6  # the topics stay balanced
        for topic, share in shares.items():
            assert russian[topic] == min(share, ru.get(topic, 0)), (seed, topic, shares, russian)
    # An Uzbek student gets Uzbek questions wherever the topic has enough of them.
    room = practice.start_practice(student_id=_student(db), mode="medium", language="uz")
    assert {languages[q.question_id] for q in room.questions} == {"uz"}
    # Without a language the draw ignores it (the earlier behaviour).
    room = practice.start_practice(student_id=_student(db), mode="light")
    assert len(room.questions) == 6


def test_repeats_in_the_students_language_come_before_other_languages(db):
    """Algebra has one Russian question: a Russian student gets it in every session, even
    once seen, while the Uzbek ones stay unseen; the other topics (no Russian) rotate."""
    languages = _translated_bank(db, {"algebra": 1})
    student_id = _student(db)
    algebra: list[str] = []
    for _ in range(3):
        room = practice.start_practice(student_id=student_id, mode="light", language="ru")
        algebra += [languages[q.question_id] for q in room.questions if q.topic_code == "algebra"]
        practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})
    assert algebra == ["ru", "ru", "ru"]


def test_an_unknown_language_is_refused_and_starts_nothing(db):
    make_practice_bank(db)
    student_id = _student(db)
    for bad in ("fr", "", "RU", 7, ["ru"]):
        with pytest.raises(ValidationError, match="no such language"):
            practice.start_practice(student_id=student_id, mode="light", language=bad)
    with session_scope(readonly=True) as reader:
        assert reader.exec(select(func.count()).select_from(PracticeSession)).one()[0] == 0


# --- the student's place (issue 24) ---------------------------------------------------------


def _position(practice_id: int) -> int:
    with session_scope(readonly=True) as reader:
        return reader.get(PracticeSession, practice_id).current_position


def test_the_session_keeps_the_question_the_student_is_on(db):
    make_practice_bank(db)
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    assert room.position == 1 and _position(room.practice_id) == 1
    assert (
        practice.set_practice_position(
            student_id=student_id, practice_id=room.practice_id, position=4
        )
        == 4
    )
    # What a fresh backend reads (its page states are gone; the database is not).
    again = practice.get_practice_room(student_id=student_id, practice_id=room.practice_id)
    assert again.position == 4
    assert practice.start_practice(student_id=student_id, mode="light").position == 4


def test_a_position_the_session_lacks_is_refused_and_changes_nothing(db):
    make_practice_bank(db)
    student_id = _student(db)
    room = practice.start_practice(student_id=student_id, mode="light")
    practice.set_practice_position(student_id=student_id, practice_id=room.practice_id, position=3)
    for bad, message in (
        (0, "no question 0: its questions are 1 to 6"),
        (7, "no question 7"),
        (-1, "no question -1"),
        (2**70, "no question"),
        (True, "a whole number, not True"),
        (2.0, "a whole number"),
        ("4", "a whole number"),
        (None, "a whole number"),
    ):
        with pytest.raises(ValidationError, match=message):
            practice.set_practice_position(
                student_id=student_id, practice_id=room.practice_id, position=bad
            )
    assert _position(room.practice_id) == 3
    other = _student(db)
    with pytest.raises(NotFoundError):
        practice.set_practice_position(student_id=other, practice_id=room.practice_id, position=5)
    assert _position(room.practice_id) == 3
    with pytest.raises(DeadlinePassedError):
        practice.set_practice_position(
            student_id=student_id,
            practice_id=room.practice_id,
            position=5,
            now=room.deadline + timedelta(seconds=1),
        )
    practice.submit_practice(student_id=student_id, practice_id=room.practice_id, changes={})
    with pytest.raises(AlreadySubmittedError):
        practice.set_practice_position(
            student_id=student_id, practice_id=room.practice_id, position=5
        )
    assert _position(room.practice_id) == 3
