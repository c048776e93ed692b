"""Streaks and achievements at release (services/gamification.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sqlmodel import select

from mockexam.db import session_scope
from mockexam.gamification.streaks import StreakState, streak_from_history
from mockexam.models import Achievement, AchievementAward, ExamSession, LinkStatus, Streak
from mockexam.services.achievements import standing
from mockexam.services.gamification import apply_release
from tests.gamification.support import add_exam, add_students, release, streak_of, take


def _awards(db, student_id: int) -> dict[str, int | None]:
    """code → session id of the student's awards."""
    rows = db.exec(
        select(Achievement.code, AchievementAward.session_id)
        .join(Achievement, Achievement.id == AchievementAward.achievement_id)
        .where(AchievementAward.student_id == student_id)
    ).all()
    return dict(rows)


def test_streak_first_exam_missed_exam_and_auto_submit(db_url):
    with session_scope() as db:
        a, b, c = add_students(db, 3)
        first = add_exam(db, 0)
        take(db, first, a)
        take(db, first, b, auto=True)  # auto-submitted counts as taken
        summary = release(db, first)
        assert (summary.streaks_extended, summary.streaks_reset) == (2, 0)
        assert streak_of(db, a) == StreakState(1, 1, first.id)
        assert streak_of(db, b) == StreakState(1, 1, first.id)
        assert streak_of(db, c) == StreakState()  # never took one: no row needed

        second = add_exam(db, 3)  # weeks 1 and 2 had no exam: nothing changes for them
        take(db, second, a)
        take(db, second, c, auto=True)
        summary = release(db, second)
        assert (summary.streaks_extended, summary.streaks_reset) == (2, 1)
        assert streak_of(db, a) == StreakState(2, 2, second.id)
        assert streak_of(db, b) == StreakState(0, 1, first.id)  # missed: reset at release
        assert streak_of(db, c) == StreakState(1, 1, second.id)


def test_exam_nobody_took_resets_every_streak(db_url):
    with session_scope() as db:
        a, b = add_students(db, 2)
        for week in range(3):
            exam = add_exam(db, week)
            take(db, exam, a)
            if week == 2:
                take(db, exam, b)
            release(db, exam)
        empty = add_exam(db, 3)
        summary = release(db, empty)
        assert summary.participants == 0 and summary.streaks_reset == 2
        assert streak_of(db, a) == StreakState(0, 3, exam.id)
        assert streak_of(db, b) == StreakState(0, 1, exam.id)


def test_release_twice_changes_nothing(db_url):
    with session_scope() as db:
        students = add_students(db, 4)
        exams = [add_exam(db, w) for w in range(3)]
        for exam in exams:
            for s in students[:3]:
                take(db, exam, s)
            release(db, exam, {students[0]: 72.0})
        before_streaks = db.exec(select(Streak).order_by(Streak.student_id)).all()
        before = [(s.student_id, s.current, s.longest, s.last_exam_id) for s in before_streaks]
        n_awards = len(db.exec(select(AchievementAward)).all())
        last = exams[-1]
        sessions = db.exec(select(ExamSession).where(ExamSession.exam_id == last.id)).all()
        again = apply_release(db, last, sessions, now=last.released_at, recalibrate=False)
        assert (again.streaks_extended, again.streaks_reset, again.awards) == (0, 0, 0)
        again = release(db, last, {students[0]: 72.0}, recalibrate=True)
        assert (again.streaks_extended, again.streaks_reset, again.awards) == (0, 0, 0)
        after_streaks = db.exec(select(Streak).order_by(Streak.student_id)).all()
        for s in after_streaks:
            db.refresh(s)
        assert [
            (s.student_id, s.current, s.longest, s.last_exam_id) for s in after_streaks
        ] == before
        assert len(db.exec(select(AchievementAward)).all()) == n_awards


@pytest.mark.parametrize("order", ["in_order", "shuffled"])
def test_pipeline_streaks_equal_the_pure_rule_on_random_histories(db_url, order):
    rng = np.random.default_rng(11 if order == "in_order" else 12)
    with session_scope() as db:
        students = add_students(db, 12)
        exams = [add_exam(db, w) for w in range(8)]
        propensity = rng.uniform(0.2, 0.95, len(students))
        taken = rng.random((len(students), len(exams))) < propensity[:, None]
        taken[:, 5] = False  # one exam nobody took
        for e, exam in enumerate(exams):
            for s, student_id in enumerate(students):
                if taken[s, e]:
                    take(db, exam, student_id, auto=bool(rng.random() < 0.2))
        sequence = list(range(len(exams)))
        if order == "shuffled":
            sequence = [0, 2, 1, 3, 5, 4, 7, 6]  # e.g. two due exams released in either order
        rebuilt = [release(db, exams[e]).streaks_rebuilt for e in sequence]
        assert any(rebuilt) == (order == "shuffled")
        exam_ids = [e.id for e in exams]
        for s, student_id in enumerate(students):
            took = {exam_ids[e] for e in np.flatnonzero(taken[s])}
            expected = streak_from_history(exam_ids, took)
            got = streak_of(db, student_id)
            if expected == StreakState():
                assert got in (StreakState(), StreakState(0, 0, None))
            else:
                assert got == expected, f"student {s}: {taken[s].astype(int)}"
            held = _awards(db, student_id)
            assert ("streak_3" in held) == (expected.longest >= 3)
            assert ("streak_5" in held) == (expected.longest >= 5)


def test_milestones_use_final_scores_and_skip_provisional_ones(db_url):
    with session_scope() as db:
        a, b = add_students(db, 2)
        first = add_exam(db, 0)
        sa = take(db, first, a)
        take(db, first, b)
        release(db, first, {a: 100.0, b: 100.0}, provisional=True)
        assert set(_awards(db, a)) == {"exams_1"}  # a raw 100 % earns no milestone
        second = add_exam(db, 1)
        sb = take(db, second, a)
        release(db, second, {a: 61.0})
        held = _awards(db, a)
        assert held == {
            "exams_1": sa.id,
            "score_25": sb.id,
            "score_50": sb.id,
            "score_60": sb.id,
        }  # no improvement over a provisional score


def test_improvement_streak_and_exam_count_awards(db_url):
    with session_scope() as db:
        (a,) = add_students(db, 1)
        scores = [30.0, 41.0, 40.0, 62.0, 63.0]
        sessions = []
        for week, score in enumerate(scores):
            exam = add_exam(db, week)
            sessions.append(take(db, exam, a))
            release(db, exam, {a: score})
        held = _awards(db, a)
        assert held["improve_10"] == sessions[1].id  # +11
        assert held["improve_20"] == sessions[3].id  # +22
        assert held["streak_3"] == sessions[2].id
        assert held["streak_5"] == sessions[4].id
        assert held["exams_1"] == sessions[0].id and held["exams_5"] == sessions[4].id
        assert held["score_60"] == sessions[3].id
        assert "exams_10" not in held and "score_70" not in held


def test_improvement_only_between_exams_on_the_same_scale(db_url):
    # Week 0 on its paper's own scale; weeks 1–2 linked to the item bank's scale.
    with session_scope() as db:
        (a,) = add_students(db, 1)
        statuses = [LinkStatus.NO_CODES, LinkStatus.ORIGIN, LinkStatus.LINKED]
        sessions = []
        for week, (score, status) in enumerate(zip([30.0, 55.0, 67.0], statuses, strict=True)):
            exam = add_exam(db, week)
            exam.link_status = status
            sessions.append(take(db, exam, a))
            release(db, exam, {a: score})
        held = _awards(db, a)
    assert "improve_20" not in held  # +25 from an own-scale score to a linked one: not counted
    assert held["improve_10"] == sessions[2].id  # +12 on the linked scale
    with session_scope(readonly=True) as db:
        assert standing(db, student_id=a).best_improvement == pytest.approx(12.0)


def test_recalibration_adds_new_awards_and_takes_none_back(db_url):
    with session_scope() as db:
        a, b = add_students(db, 2)
        exam = add_exam(db, 0)
        take(db, exam, a)
        take(db, exam, b)
        release(db, exam, {a: 55.0, b: 72.0})
        assert {"score_50", "score_70"} <= set(_awards(db, b))
        summary = release(db, exam, {a: 71.0, b: 40.0}, recalibrate=True)
        assert summary.awards == 2  # a: score_60 and score_70
        assert {"score_60", "score_70"} <= set(_awards(db, a))
        assert {"score_50", "score_60", "score_70"} <= set(_awards(db, b))  # kept
