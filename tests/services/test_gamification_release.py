"""Gamification through the real window-close pipeline (services/release.py calls the hook)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.gamification.leaderboard import Board
from mockexam.models import Achievement, AchievementAward, ExamSession, Streak, StudentRating
from mockexam.services import release
from mockexam.services.dashboard import get_dashboard
from mockexam.services.exams import get_items
from mockexam.services.leaderboard import get_leaderboard
from tests.factories import make_cohort, make_exam


def _state():
    with session_scope(readonly=True) as db:
        streaks = sorted(
            (s.student_id, s.current, s.longest, s.last_exam_id) for s in db.exec(select(Streak))
        )
        awards = sorted(
            (a.student_id, a.achievement_id, a.session_id)
            for a in db.exec(select(AchievementAward))
        )
        ranks = sorted(
            (r.student_id, r.rank_rated, r.rank_active, r.rank_improved, r.rated_total)
            for r in db.exec(select(StudentRating))
        )
    return streaks, awards, ranks


def test_release_pipeline_applies_streaks_awards_and_ranks_once(db_url):
    with session_scope() as db:
        start = utcnow() - timedelta(days=1, hours=5)
        exam = make_exam(db, start=start, hours=4)
        session_ids, _, _ = make_cohort(db, exam, n=60, seed=3)
    release.release_exam(exam.id)
    streaks, awards, ranks = _state()
    assert len(streaks) == 60 and all(s[1:3] == (1, 1) for s in streaks)
    assert {a[2] for a in awards} <= set(session_ids)
    with session_scope(readonly=True) as db:
        first_exam = db.exec(select(Achievement.id).where(Achievement.code == "exams_1")).one()
    assert sorted(a[2] for a in awards if a[1] == first_exam) == sorted(session_ids)
    assert all(r[1] is not None and r[4] == 60 for r in ranks)
    with session_scope(readonly=True) as db:
        best = db.exec(
            select(ExamSession)
            .where(ExamSession.exam_id == exam.id)
            .order_by(ExamSession.scaled_score.desc())
        ).first()
        best_student = best.student_id
    board = get_leaderboard(student_id=best_student, board=Board.MOST_IMPROVED)
    assert board.total == 60 and board.you is not None
    assert get_dashboard(student_id=best_student).latest.scaled_score == best.scaled_score

    assert release.release_exam(exam.id) is None  # already released: nothing changes
    assert _state() == (streaks, awards, ranks)

    with session_scope(readonly=True) as db:
        label = get_items(db, exam.id)[0].label
    release.exclude_item(exam.id, label)  # recalibrates: awards may grow, never shrink
    after_streaks, after_awards, _ = _state()
    assert after_streaks == streaks
    assert set(awards) <= set(after_awards)
