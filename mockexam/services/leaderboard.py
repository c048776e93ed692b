"""The global leaderboard: top rated, most improved, most active (spec §5).

Each board is read with index-backed queries only: the top `TOP_N` rows with
names, the caller's own value, and two counts (students shown higher, and
the board's total). Ranks and privacy rules are in gamification/leaderboard.py.

Most improved uses `StudentRating.recent_gain`, the Elo gain over the exams
released in the 30 days before the last refresh, maintained instead of
summed per request (summing ~80,000 history rows per call costs ~100 ms).
It is refreshed at every release and recalibration (same transaction), and
when an exam has left the 30-day window since then: the first reader after
that moment refreshes it (under a lock, checking again), so the board always
equals the definition at the time of the read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from mockexam.db import session_scope, utcnow
from mockexam.gamification.leaderboard import (
    RECENT_WINDOW,
    TOP_N,
    Board,
    competition_ranks,
    public_name,
    shown,
    shows_above,
)
from mockexam.models import EloHistory, Exam, ExamStatus, Student, StudentRating
from mockexam.services.history import require_student

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    name: str
    value: int  # what the board ranks by, as shown: Elo, Elo gain, or exams taken
    is_you: bool


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """One board as one student may see it.

    `rows`: at most TOP_N students, best first, with names. `you`: the
    caller's own row wherever they stand (None: not on this board yet, e.g.
    no exam released in the last 30 days for most improved). `total`: how
    many students are on the board ("#127 of 500").
    """

    board: Board
    rows: list[LeaderboardRow]
    you: LeaderboardRow | None
    total: int
    window_days: int | None  # most improved: the window in days


def _value_column(board: Board) -> Any:
    return {
        Board.TOP_RATED: StudentRating.elo,
        Board.MOST_ACTIVE: StudentRating.exams_rated,
        Board.MOST_IMPROVED: StudentRating.recent_gain,
    }[board]


def _order(board: Board) -> list[Any]:
    value = col(_value_column(board)).desc()
    if board == Board.MOST_ACTIVE:
        return [value, col(StudentRating.elo).desc(), col(StudentRating.student_id)]
    return [value, col(StudentRating.student_id)]


def _read_board(
    session: Session, *, student_id: int, board: Board, limit: int
) -> tuple[Leaderboard, datetime | None]:
    value_col = _value_column(board)
    on_board = [col(StudentRating.recent_gain).is_not(None)] if board == Board.MOST_IMPROVED else []
    top = session.exec(
        select(
            StudentRating.student_id,
            value_col,
            StudentRating.recent_since,
            Student.first_name,
            Student.last_name,
            Student.username,
        )
        .join(Student, col(Student.id) == StudentRating.student_id)
        .where(*on_board)
        .order_by(*_order(board))
        .limit(limit)
    ).all()
    shown_values = [shown(row[1]) for row in top]
    ranks = competition_ranks(shown_values)
    rows = [
        LeaderboardRow(
            rank=rank, name=public_name(first, last, username), value=v, is_you=sid == student_id
        )
        for (sid, _, _, first, last, username), rank, v in zip(
            top, ranks, shown_values, strict=True
        )
    ]
    marker = top[0][2] if top else None

    own_value = session.exec(
        select(value_col).where(StudentRating.student_id == student_id, *on_board)
    ).first()
    you = next((r for r in rows if r.is_you), None)
    if own_value is None:
        total = session.exec(select(func.count()).select_from(StudentRating).where(*on_board)).one()
        you = None
    else:
        own = shown(own_value)
        ahead, total = session.execute(
            select(
                select(func.count())
                .select_from(StudentRating)
                .where(value_col >= shows_above(own), *on_board)
                .scalar_subquery(),
                select(func.count()).select_from(StudentRating).where(*on_board).scalar_subquery(),
            )
        ).one()
        if you is None:
            me = require_student(session, student_id=student_id)
            you = LeaderboardRow(
                rank=int(ahead) + 1,
                name=public_name(me.first_name, me.last_name, me.username),
                value=own,
                is_you=True,
            )
    result = Leaderboard(
        board=board,
        rows=rows,
        you=you,
        total=int(total),
        window_days=RECENT_WINDOW.days if board == Board.MOST_IMPROVED else None,
    )
    return result, marker


def get_leaderboard(
    *,
    student_id: int,
    board: Board | str = Board.TOP_RATED,
    now: datetime | None = None,
    limit: int = TOP_N,
) -> Leaderboard:
    """One board for one student: the top rows with names, and the student's own rank.

    Names beyond the top `TOP_N` rows are never returned (`limit` can only shrink it).
    """
    board = Board(board)
    now = now or utcnow()
    limit = max(0, min(limit, TOP_N))
    with session_scope(readonly=True) as session:
        require_student(session, student_id=student_id)
        result, marker = _read_board(session, student_id=student_id, board=board, limit=limit)
        stale = board == Board.MOST_IMPROVED and recent_gains_stale(session, marker=marker, now=now)
    if stale:
        refresh_recent_gains_if_stale(now=now)
        with session_scope(readonly=True) as session:
            result, _ = _read_board(session, student_id=student_id, board=board, limit=limit)
    return result


def _window_exam_ids(now: datetime) -> Any:
    return select(Exam.id).where(
        Exam.status == ExamStatus.RELEASED,
        col(Exam.released_at) >= now - RECENT_WINDOW,
        col(Exam.released_at) <= now,
    )


def recent_gains_stale(session: Session, *, marker: datetime | None, now: datetime) -> bool:
    """Whether `recent_gain` no longer equals the gain over the exams of the last 30 days.

    `marker` is the window start of the stored gains (None: nobody has one).
    Releases refresh the gains themselves, so they can only be stale because
    an exam has left the window since: released at or after `marker` and
    before now − 30 days. With no stored gains, they are stale if some exam
    with participants was released inside the window.
    """
    cutoff = now - RECENT_WINDOW
    if marker is None:
        condition = [
            Exam.status == ExamStatus.RELEASED,
            col(Exam.released_at) >= cutoff,
            col(Exam.released_at) <= now,
            col(Exam.n_participants) > 0,
        ]
    else:
        condition = [
            Exam.status == ExamStatus.RELEASED,
            col(Exam.released_at) >= marker,
            col(Exam.released_at) < cutoff,
        ]
    return session.exec(select(Exam.id).where(*condition).limit(1)).first() is not None


def refresh_recent_gains(session: Session, *, now: datetime) -> int:
    """Set every student's `recent_gain` to their Elo gain over the exams released in
    (now − 30 days, now]; students with no such exam get null. Returns how many have one.

    Two set-based UPDATEs, no per-row work. Within the release transaction.
    """
    since = now - RECENT_WINDOW
    session.execute(
        update(StudentRating)
        .where(col(StudentRating.recent_gain).is_not(None))
        .values(recent_gain=None, recent_since=None)
        .execution_options(synchronize_session=False)
    )
    gains = (
        select(
            EloHistory.student_id.label("sid"),
            func.sum(EloHistory.elo_after - EloHistory.elo_before).label("gain"),
        )
        .where(col(EloHistory.exam_id).in_(_window_exam_ids(now)))
        .group_by(EloHistory.student_id)
        .subquery()
    )
    result = session.execute(
        update(StudentRating)
        .where(StudentRating.student_id == gains.c.sid)
        .values(recent_gain=gains.c.gain, recent_since=since)
        .execution_options(synchronize_session=False)
    )
    # Rating objects loaded in this session (the release pipeline's) must not keep old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, StudentRating):
            session.expire(obj, ["recent_gain", "recent_since"])
    return int(result.rowcount or 0)


def refresh_recent_gains_if_stale(*, now: datetime | None = None) -> bool:
    """Refresh the most-improved gains if an exam has left the window; True if it did.

    Safe to run from several workers at once: on PostgreSQL the closed exams'
    rows are locked first (a release in progress holds one of them, so this
    waits for it and then sees its result); SQLite serialises writers. Also
    fit for a periodic task.
    """
    now = now or utcnow()
    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.exec(
                select(Exam.id)
                .where(Exam.status != ExamStatus.DRAFT, col(Exam.window_end) <= now)
                .order_by(Exam.id)
                .with_for_update()
            ).all()
        marker = session.exec(
            select(StudentRating.recent_since)
            .where(col(StudentRating.recent_gain).is_not(None))
            .limit(1)
        ).first()
        if not recent_gains_stale(session, marker=marker, now=now):
            return False
        count = refresh_recent_gains(session, now=now)
    logger.info("Most-improved board refreshed: %s student(s) in the 30-day window", count)
    return True
