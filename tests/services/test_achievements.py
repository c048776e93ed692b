"""Achievements overview: earned with date and exam, locked with progress; only the caller's."""

from __future__ import annotations

import pytest

from mockexam.db import session_scope
from mockexam.errors import NotFoundError
from mockexam.gamification.achievements import ACHIEVEMENTS
from mockexam.services.achievements import get_achievements, new_achievements
from tests.gamification.support import add_exam, add_students, release, take


def test_earned_and_locked_with_progress(db_url):
    with session_scope() as db:
        me, other = add_students(db, 2)
        for week, score in enumerate((45.0, 58.0)):
            exam = add_exam(db, week, title=f"Week {week}")
            take(db, exam, me)
            take(db, exam, other)
            release(db, exam, {me: score, other: 96.0})
    overview = get_achievements(student_id=me)
    assert overview.total == len(ACHIEVEMENTS)
    earned = {a.code: a for a in overview.earned}
    assert set(earned) == {"exams_1", "score_25", "score_50", "improve_10"}
    assert earned["score_50"].exam_title == "Week 1" and earned["score_25"].exam_title == "Week 0"
    assert overview.earned[0].awarded_at >= overview.earned[-1].awarded_at
    locked = {a.code: a for a in overview.locked}
    assert len(locked) + len(earned) == len(ACHIEVEMENTS)
    assert (locked["score_60"].value, locked["score_60"].fraction) == (58.0, pytest.approx(58 / 60))
    assert (locked["streak_3"].value, locked["exams_5"].value) == (2, 2)
    assert locked["improve_20"].value == pytest.approx(13.0)
    assert [a.code for a in overview.locked] == [
        a.code for a in ACHIEVEMENTS if a.code in locked
    ]  # catalogue order
    assert {a.code for a in new_achievements(student_id=me)} == set(earned)
    assert "score_95" in {a.code for a in get_achievements(student_id=other).earned}
    with pytest.raises(NotFoundError):
        get_achievements(student_id=other + 100)
