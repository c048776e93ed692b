"""Leaderboard service: ranks with ties, own rank and total, privacy, the 30-day window,
and the board of a student's own group."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError
from mockexam.gamification.leaderboard import TOP_N, Board
from mockexam.models import (
    Exam,
    ExamStatus,
    GroupMember,
    MemberSource,
    StudentGroup,
    StudentRating,
)
from mockexam.services.leaderboard import (
    LeaderboardGroup,
    get_leaderboard,
    refresh_ranks,
    refresh_recent_gains_if_stale,
    student_groups,
)
from tests.factories import make_student
from tests.gamification.support import release, take


def _rated(db, elos: list[float], *, exams: list[int] | None = None) -> list[int]:
    ids = []
    for k, elo in enumerate(elos):
        student = make_student(db, first_name=f"Name{k:03d}", last_name="Surname")
        db.add(
            StudentRating(student_id=student.id, elo=elo, exams_rated=(exams or [1] * len(elos))[k])
        )
        ids.append(student.id)
    db.flush()
    return ids


def _names_in(board) -> set[str]:
    names = {row["name"] for row in asdict(board)["rows"]}
    if board.you is not None:
        names.add(board.you.name)
    return names


def test_top_rated_ranks_ties_on_the_shown_value(db_url):
    with session_scope() as db:
        ids = _rated(db, [1300.4, 1299.6, 1250.0, 1250.2, 1100.0])
    board = get_leaderboard(student_id=ids[3], board=Board.TOP_RATED)
    assert [(r.rank, r.value) for r in board.rows] == [
        (1, 1300),
        (1, 1300),
        (3, 1250),
        (3, 1250),
        (5, 1100),
    ]
    assert board.total == 5 and board.you is not None
    assert (board.you.rank, board.you.value, board.you.is_you) == (3, 1250, True)
    assert [r.is_you for r in board.rows].count(True) == 1


def test_most_active_orders_by_exams_then_elo(db_url):
    with session_scope() as db:
        ids = _rated(db, [1200, 1300, 1250, 1400], exams=[3, 3, 5, 1])
    board = get_leaderboard(student_id=ids[0], board="most_active")
    assert [r.value for r in board.rows] == [5, 3, 3, 1]
    assert [r.rank for r in board.rows] == [1, 2, 2, 4]
    assert board.rows[1].name == "Name001 S."  # 3 exams, higher Elo first
    assert board.you.rank == 2 and board.total == 4


def test_a_student_below_the_top_50_sees_no_other_name_below_it(db_url):
    with session_scope() as db:
        ids = _rated(db, [2000.0 - 10 * k for k in range(60)])  # rank k + 1
        outsider = make_student(db, first_name="Unrated").id
    for board_kind in (Board.TOP_RATED, Board.MOST_ACTIVE):
        board = get_leaderboard(student_id=ids[54], board=board_kind, limit=1000)
        assert len(board.rows) == TOP_N
        allowed = {f"Name{k:03d} S." for k in range(50)} | {"Name054 S."}
        assert _names_in(board) <= allowed
        assert board.total == 60
        assert all(not r.is_you for r in board.rows)
    board = get_leaderboard(student_id=ids[54])
    assert (board.you.rank, board.you.name, board.you.value) == (55, "Name054 S.", 1460)
    assert "Name054 S." not in {r.name for r in board.rows}
    unrated = get_leaderboard(student_id=outsider)
    assert unrated.you is None and unrated.total == 60
    assert len(get_leaderboard(student_id=outsider, limit=5).rows) == 5


def test_unknown_student_is_refused(db_url):
    with pytest.raises(NotFoundError):
        get_leaderboard(student_id=123456)


def _recent_exam(db, days_ago: float) -> Exam:
    start = utcnow() - timedelta(days=days_ago, hours=4)
    exam = Exam(
        title=f"{days_ago} days ago",
        window_start=start,
        window_end=start + timedelta(hours=3),
        status=ExamStatus.PUBLISHED,
    )
    db.add(exam)
    db.flush()
    return exam


def test_most_improved_counts_the_last_30_days_and_follows_the_clock(db_url):
    now = utcnow()
    with session_scope() as db:
        a, b, c = (make_student(db, first_name=n).id for n in ("Ali", "Bobur", "Charos"))
        gains = [(40, {a: 30.0, b: 1.0}), (20, {a: -10.0, b: 5.0, c: 2.0}), (5, {a: 4.0, b: 6.0})]
        for days_ago, gain in gains:
            exam = _recent_exam(db, days_ago)
            for student_id in gain:
                take(db, exam, student_id)
            release(db, exam, elo_gain=gain, now=exam.window_end + timedelta(minutes=5))
        newest_release = exam.released_at
    board = get_leaderboard(student_id=c, board=Board.MOST_IMPROVED, now=now)
    assert board.window_days == 30
    assert [(r.name, r.value, r.rank) for r in board.rows] == [
        ("Bobur", 11, 1),
        ("Charos", 2, 2),
        ("Ali", -6, 3),
    ]
    assert board.you.rank == 2 and board.total == 3

    # 15 days on, the exam of 20 days ago has left the window: the board follows.
    later = get_leaderboard(student_id=c, board=Board.MOST_IMPROVED, now=now + timedelta(days=15))
    assert [(r.name, r.value) for r in later.rows] == [("Bobur", 6), ("Ali", 4)]
    assert later.you is None and later.total == 2
    with session_scope(readonly=True) as db:
        since = {
            r.recent_since for r in db.exec(select(StudentRating)) if r.recent_gain is not None
        }
    assert since == {newest_release}  # the oldest exam the gains cover

    # Nothing released in the last 30 days: an empty board, and it stays cheap to read.
    empty = get_leaderboard(student_id=a, board=Board.MOST_IMPROVED, now=now + timedelta(days=40))
    assert (empty.rows, empty.you, empty.total) == ([], None, 0)

    assert not refresh_recent_gains_if_stale(now=now + timedelta(days=40))


def test_kept_ranks_equal_counted_ranks_with_ties_and_negative_gains(db_url):
    rng = np.random.default_rng(5)
    elos = [1234.5, 1234.49, 1233.5, 1200.0, 1199.5, 1199.49, 987.25]
    gains = [-2.5, -2.6, -2.4, -0.5, 0.0, 0.49, 0.5, 3.2, None]
    with session_scope() as db:
        ids = _rated(
            db,
            [float(rng.choice(elos)) for _ in range(70)],
            exams=[int(k) for k in rng.integers(1, 6, 70)],
        )
        for student_id in ids:
            db.get(StudentRating, student_id).recent_gain = gains[int(rng.integers(len(gains)))]
        unranked = make_student(db).id
    askers = [*ids, unranked]
    counted = {(b, s): get_leaderboard(student_id=s, board=b) for b in Board for s in askers}
    with session_scope() as db:
        refresh_ranks(db)
        assert all(r.rank_rated and r.rated_total == 70 for r in db.exec(select(StudentRating)))
    for (b, s), expected in counted.items():
        assert get_leaderboard(student_id=s, board=b) == expected, (b, s)
    seen = {board.you.value for board in counted.values() if board.you is not None}
    assert {-3, -2, 0, 1, 3} <= seen  # −2.6 → −3, −2.5 → −2, −0.5 → 0, 0.5 → 1


# --- a student's own group ---------------------------------------------------------------


def _group(db, name: str, members: list[int], *, archived: bool = False) -> int:
    group = StudentGroup(
        name=name,
        invite_code=f"code{name.lower()[:8]}".replace(" ", ""),
        archived_at=utcnow() if archived else None,
    )
    db.add(group)
    db.flush()
    for student_id in members:
        db.add(GroupMember(group_id=group.id, student_id=student_id, source=MemberSource.INVITE))
    db.flush()
    return group.id


def test_group_board_ranks_only_the_groups_members(db_url):
    with session_scope() as db:
        ids = _rated(db, [1500.0, 1300.4, 1400.0, 1299.6, 1250.0, 1100.0], exams=[1, 4, 2, 3, 2, 6])
        unrated = make_student(db, first_name="Fresh").id
        group_id = _group(db, "10-A", [ids[1], ids[3], ids[4], ids[5], unrated])
        _group(db, "Others", [ids[0], ids[2]])
    board = get_leaderboard(student_id=ids[4], group_id=group_id)
    assert board.group == LeaderboardGroup(id=group_id, name="10-A")
    assert board.board == Board.TOP_RATED
    assert [(r.rank, r.name, r.value, r.is_you) for r in board.rows] == [
        (1, "Name001 S.", 1300, False),  # ties on the shown value, as on the overall board
        (1, "Name003 S.", 1300, False),
        (3, "Name004 S.", 1250, True),
        (4, "Name005 S.", 1100, False),
    ]
    assert (board.you.rank, board.you.value, board.total) == (3, 1250, 4)
    overall = get_leaderboard(student_id=ids[4])
    assert (overall.you.rank, overall.total, overall.group) == (5, 6, None)

    # Kept (global) ranks do not leak into the group's ranks.
    with session_scope() as db:
        refresh_ranks(db)
    assert get_leaderboard(student_id=ids[4], group_id=group_id) == board

    active = get_leaderboard(student_id=ids[1], board=Board.MOST_ACTIVE, group_id=group_id)
    assert [(r.rank, r.value) for r in active.rows] == [(1, 6), (2, 4), (3, 3), (4, 2)]
    assert (active.you.rank, active.total) == (2, 4)

    fresh = get_leaderboard(student_id=unrated, group_id=group_id, limit=2)
    assert fresh.you is None and fresh.total == 4 and len(fresh.rows) == 2


def test_group_board_refuses_a_group_that_is_not_the_students_own_live_group(db_url):
    with session_scope() as db:
        ids = _rated(db, [1300.0, 1200.0, 1100.0])
        live = _group(db, "Live", [ids[0], ids[1]])
        archived = _group(db, "Archived", [ids[0], ids[2]], archived=True)
        foreign = _group(db, "Foreign", [ids[1], ids[2]])
    assert student_groups(student_id=ids[0]) == [LeaderboardGroup(id=live, name="Live")]
    assert student_groups(student_id=ids[2]) == [LeaderboardGroup(id=foreign, name="Foreign")]
    for group_id in (archived, foreign, 987_654):
        with pytest.raises(NotFoundError):
            get_leaderboard(student_id=ids[0], group_id=group_id)
    with pytest.raises(NotFoundError):
        get_leaderboard(student_id=123_456, group_id=live)
    assert [r.name for r in get_leaderboard(student_id=ids[0], group_id=live).rows] == [
        "Name000 S.",
        "Name001 S.",
    ]


def test_a_student_in_two_groups_sees_each_groups_board(db_url):
    with session_scope() as db:
        ids = _rated(db, [1300.0, 1250.0, 1200.0, 1150.0])
        physics = _group(db, "Physics", [ids[0], ids[2]])
        algebra = _group(db, "algebra", [ids[1], ids[2], ids[3]])
        _group(db, "Old", [ids[2]], archived=True)
    assert student_groups(student_id=ids[2]) == [  # by name, whatever the case
        LeaderboardGroup(id=algebra, name="algebra"),
        LeaderboardGroup(id=physics, name="Physics"),
    ]
    by_physics = get_leaderboard(student_id=ids[2], group_id=physics)
    by_algebra = get_leaderboard(student_id=ids[2], group_id=algebra)
    assert [r.name for r in by_physics.rows] == ["Name000 S.", "Name002 S."]
    assert (by_physics.you.rank, by_physics.total) == (2, 2)
    assert [r.name for r in by_algebra.rows] == ["Name001 S.", "Name002 S.", "Name003 S."]
    assert (by_algebra.you.rank, by_algebra.total) == (2, 3)
    assert by_algebra.group.name == "algebra"
