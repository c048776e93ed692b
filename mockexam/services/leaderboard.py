"""The global leaderboard: top rated, most improved, most active (spec §5).

A board's values change only when results come out, so everything a read
needs is kept up to date at that moment, in the release transaction, and a
read is two index lookups (the top `TOP_N` rows, and the caller's row):

- `StudentRating.recent_gain`: the Elo gain over the exams released in the
  30 days before the last refresh (summing ~80,000 history rows per request
  would cost ~100 ms);
- `rank_rated` / `rank_active` / `rank_improved`: competition ranks on the
  value as shown, and `rated_total` / `improved_total`: the boards' sizes
  (counting 100,000 rows per request costs 10–20 ms on PostgreSQL).

`refresh_ranks` runs at every release and recalibration (services/
gamification.py). The 30-day window also moves with the clock: when an exam
has left it since the last refresh, the first reader refreshes the gains and
ranks (under a lock, checking again), so a board always equals its
definition at the time of the read. Should ranks ever be missing (rows
written by something other than the release pipeline), a read falls back to
counting. Rank and privacy rules are in gamification/leaderboard.py.

A group's board ("My group", issue 22) is the same board restricted to the
members of one of the caller's live groups: the same read with the members as
one more condition, ranked by counting (the kept ranks are global; a group
has 10–30 students, so counting them is a few index lookups). Which groups a
student may see is derived here from their own memberships, never taken from
the caller: a group that is not one of theirs reads as not found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, case, cast, func, or_, update
from sqlmodel import Session, col, select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, msg
from mockexam.gamification.leaderboard import (
    RECENT_WINDOW,
    TOP_N,
    Board,
    competition_ranks,
    public_name,
    shown,
    shows_above,
)
from mockexam.models import (
    EloHistory,
    Exam,
    ExamStatus,
    GroupMember,
    Student,
    StudentGroup,
    StudentRating,
)
from mockexam.services.history import require_student

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    name: str
    value: int  # what the board ranks by, as shown: Elo, Elo gain, or exams taken
    is_you: bool


@dataclass(frozen=True, slots=True)
class LeaderboardGroup:
    """One of the caller's live groups, as the leaderboard offers it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """One board as one student may see it.

    `rows`: at most TOP_N students, best first, with names. `you`: the
    caller's own row wherever they stand (None: not on this board yet, e.g.
    no exam released in the last 30 days for most improved). `total`: how
    many students are on the board ("#127 of 500"). `group`: the group the
    board is restricted to (None: everyone).
    """

    board: Board
    rows: list[LeaderboardRow]
    you: LeaderboardRow | None
    total: int
    window_days: int | None  # most improved: the window in days
    group: LeaderboardGroup | None = None


@dataclass(frozen=True, slots=True)
class _BoardColumns:
    value: Any
    rank: Any
    total: Any
    order: tuple[Any, ...]
    on_board: tuple[Any, ...]


def _columns(board: Board) -> _BoardColumns:
    if board == Board.TOP_RATED:
        return _BoardColumns(
            value=StudentRating.elo,
            rank=StudentRating.rank_rated,
            total=StudentRating.rated_total,
            order=(col(StudentRating.elo).desc(), col(StudentRating.student_id)),
            on_board=(),
        )
    if board == Board.MOST_ACTIVE:
        return _BoardColumns(
            value=StudentRating.exams_rated,
            rank=StudentRating.rank_active,
            total=StudentRating.rated_total,
            order=(
                col(StudentRating.exams_rated).desc(),
                col(StudentRating.elo).desc(),
                col(StudentRating.student_id),
            ),
            on_board=(),
        )
    return _BoardColumns(
        value=StudentRating.recent_gain,
        rank=StudentRating.rank_improved,
        total=StudentRating.improved_total,
        order=(col(StudentRating.recent_gain).desc(), col(StudentRating.student_id)),
        on_board=(col(StudentRating.recent_gain).is_not(None),),
    )


def _read_board(
    session: Session,
    *,
    student_id: int,
    board: Board,
    limit: int,
    group: LeaderboardGroup | None = None,
) -> tuple[Leaderboard, datetime | None]:
    """The board from its kept ranks (counting only if some are missing, or among a group's
    members); also the gains' window start."""
    c = _columns(board)
    if group is not None:
        members = select(GroupMember.student_id).where(GroupMember.group_id == group.id)
        c = replace(c, on_board=(*c.on_board, col(StudentRating.student_id).in_(members)))
    top = session.exec(
        select(
            StudentRating.student_id,
            c.value,
            c.rank,
            c.total,
            StudentRating.recent_since,
            Student.first_name,
            Student.last_name,
            Student.username,
        )
        .join(Student, col(Student.id) == StudentRating.student_id)
        .where(*c.on_board)
        .order_by(*c.order)
        .limit(limit)
    ).all()
    own = session.exec(
        select(c.value, c.rank, c.total, Student.first_name, Student.last_name, Student.username)
        .join(StudentRating, col(StudentRating.student_id) == Student.id, isouter=True)
        .where(Student.id == student_id)
    ).first()
    if own is None:
        require_student(session, student_id=student_id)  # raises NotFoundError
    own_value, own_rank, own_total, first, last, username = own
    marker = top[0][4] if top else None

    shown_values = [shown(row[1]) for row in top]
    ranks = [row[2] for row in top]
    total = own_total if own_value is not None else (top[0][3] if top else 0)
    kept = all(r is not None for r in ranks) and total is not None
    if (own_value is not None and own_rank is None) or group is not None:
        kept = False
    if not kept:
        ranks = competition_ranks(shown_values)
        own_rank, total = _count_rank(session, c, own_value)
    rows = [
        LeaderboardRow(rank=rank, name=public_name(f, la, u), value=v, is_you=sid == student_id)
        for (sid, _, _, _, _, f, la, u), rank, v in zip(top, ranks, shown_values, strict=True)
    ]
    you = None
    if own_value is not None:
        you = LeaderboardRow(
            rank=int(own_rank),
            name=public_name(first, last, username),
            value=shown(own_value),
            is_you=True,
        )
    result = Leaderboard(
        board=board,
        rows=rows,
        you=you,
        total=int(total),
        window_days=RECENT_WINDOW.days if board == Board.MOST_IMPROVED else None,
        group=group,
    )
    return result, marker


def _count_rank(session: Session, c: _BoardColumns, own_value: float | None) -> tuple[int, int]:
    """(rank, total) by counting: the slow path, for rows whose kept ranks are missing."""
    total_q = select(func.count()).select_from(StudentRating).where(*c.on_board)
    if own_value is None:
        return 0, int(session.exec(total_q).one())
    ahead_q = (
        select(func.count())
        .select_from(StudentRating)
        .where(c.value >= shows_above(shown(own_value)), *c.on_board)
    )
    ahead, total = session.execute(
        select(ahead_q.scalar_subquery(), total_q.scalar_subquery())
    ).one()
    return int(ahead) + 1, int(total)


def _live_groups(student_id: int) -> Any:
    """The student's groups that are not archived: (id, name), by name (the same on both
    databases, whatever PostgreSQL's collation)."""
    return (
        select(StudentGroup.id, StudentGroup.name)
        .join(GroupMember, col(GroupMember.group_id) == StudentGroup.id)
        .where(GroupMember.student_id == student_id, col(StudentGroup.archived_at).is_(None))
        .order_by(func.lower(StudentGroup.name), col(StudentGroup.id))
    )


def student_groups(*, student_id: int) -> list[LeaderboardGroup]:
    """The groups whose board the student may see: their own live groups, by name."""
    with session_scope(readonly=True) as session:
        rows = session.exec(_live_groups(student_id)).all()
    return [LeaderboardGroup(id=int(gid), name=name) for gid, name in rows]


def _own_group(session: Session, *, student_id: int, group_id: int) -> LeaderboardGroup:
    """The group if it is one of the student's live groups; otherwise not found (whatever it is)."""
    row = session.exec(_live_groups(student_id).where(StudentGroup.id == group_id)).first()
    if row is None:
        raise NotFoundError(
            msg(
                "Bu guruh reytingi sizga ochiq emas.",
                "Рейтинг этой группы вам недоступен.",
                "This group's leaderboard is not open to you.",
            )
        )
    return LeaderboardGroup(id=int(row[0]), name=row[1])


def get_leaderboard(
    *,
    student_id: int,
    board: Board | str = Board.TOP_RATED,
    now: datetime | None = None,
    limit: int = TOP_N,
    group_id: int | None = None,
) -> Leaderboard:
    """One board for one student: the top rows with names, and the student's own rank.

    Names beyond the top `TOP_N` rows are never returned (`limit`, 1..TOP_N, can only shrink it).
    `group_id`: the same board among the members of that group only, which must be one of
    the student's live groups (NotFoundError otherwise).
    """
    board = Board(board)
    now = now or utcnow()
    limit = max(1, min(limit, TOP_N))

    def read(session: Session) -> tuple[Leaderboard, datetime | None]:
        group = None
        if group_id is not None:
            group = _own_group(session, student_id=student_id, group_id=group_id)
        return _read_board(session, student_id=student_id, board=board, limit=limit, group=group)

    with session_scope(readonly=True) as session:
        result, marker = read(session)
        stale = board == Board.MOST_IMPROVED and recent_gains_stale(session, marker=marker, now=now)
    if stale:
        refresh_recent_gains_if_stale(now=now)
        with session_scope(readonly=True) as session:
            result, _ = read(session)
    return result


def _window_exam_ids(now: datetime) -> Any:
    return select(Exam.id).where(
        Exam.status == ExamStatus.RELEASED,
        col(Exam.released_at) >= now - RECENT_WINDOW,
        col(Exam.released_at) <= now,
    )


def recent_gains_stale(session: Session, *, marker: datetime | None, now: datetime) -> bool:
    """Whether `recent_gain` no longer equals the gain over the exams of the last 30 days.

    `marker` (`recent_since` of the stored gains) is the release time of the
    oldest exam they cover. Releases refresh the gains themselves, so they can
    only be stale because that exam has left the window. With no stored gains
    (None), they are stale if an exam with participants came out in the window.
    """
    cutoff = now - RECENT_WINDOW
    if marker is not None:
        return marker < cutoff
    return (
        session.exec(
            select(Exam.id)
            .where(
                Exam.status == ExamStatus.RELEASED,
                col(Exam.released_at) >= cutoff,
                col(Exam.released_at) <= now,
                col(Exam.n_participants) > 0,
            )
            .limit(1)
        ).first()
        is not None
    )


def _shown_sql(session: Session, value: Any) -> Any:
    """SQL for `shown(value)` = floor(value + 0.5), the same on SQLite and PostgreSQL.

    SQLite may lack floor() (math functions are a compile option) and its
    CAST truncates towards zero; PostgreSQL's CAST rounds. So: floor() on
    PostgreSQL, truncation corrected for negative values on SQLite.
    """
    half_up = value + 0.5
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(half_up)
    truncated = cast(half_up, Integer)
    return case((half_up < truncated, truncated - 1), else_=truncated)


def _expire_ratings(session: Session, attributes: list[str]) -> None:
    """Rating objects loaded in this session (the release pipeline's) must not keep old values."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, StudentRating):
            session.expire(obj, attributes)


def refresh_ranks(session: Session, *, boards: tuple[Board, ...] = tuple(Board)) -> None:
    """Recompute the kept ranks and board sizes, one set-based UPDATE per board group.

    Ranks are competition ranks of the shown value (ties share the better
    rank). Rows whose rank and size did not change are not rewritten.
    """
    if Board.TOP_RATED in boards or Board.MOST_ACTIVE in boards:
        ranked = select(
            StudentRating.student_id.label("sid"),
            func.rank()
            .over(order_by=_shown_sql(session, StudentRating.elo).desc())
            .label("rank_rated"),
            func.rank().over(order_by=col(StudentRating.exams_rated).desc()).label("rank_active"),
            func.count().over().label("rated_total"),
        ).subquery()
        session.execute(_rank_update(ranked))
    if Board.MOST_IMPROVED in boards:
        session.execute(
            update(StudentRating)
            .where(
                col(StudentRating.recent_gain).is_(None),
                col(StudentRating.rank_improved).is_not(None),
            )
            .values(rank_improved=None, improved_total=None)
            .execution_options(synchronize_session=False)
        )
        ranked = (
            select(
                StudentRating.student_id.label("sid"),
                func.rank()
                .over(order_by=_shown_sql(session, StudentRating.recent_gain).desc())
                .label("rank_improved"),
                func.count().over().label("improved_total"),
            )
            .where(col(StudentRating.recent_gain).is_not(None))
            .subquery()
        )
        session.execute(_rank_update(ranked))
    _expire_ratings(
        session, ["rank_rated", "rank_active", "rank_improved", "rated_total", "improved_total"]
    )


def _rank_update(ranked: Any) -> Any:
    """UPDATE the rating rows from `ranked` (sid + rank/total columns) where they differ."""
    names = [c.name for c in ranked.c if c.name != "sid"]
    return (
        update(StudentRating)
        .where(
            StudentRating.student_id == ranked.c.sid,
            or_(*(getattr(StudentRating, n).is_distinct_from(ranked.c[n]) for n in names)),
        )
        .values({n: ranked.c[n] for n in names})
        .execution_options(synchronize_session=False)
    )


def refresh_recent_gains(session: Session, *, now: datetime) -> int:
    """Set every student's `recent_gain` to their Elo gain over the exams released in
    [now − 30 days, now] (null without such an exam), and re-rank most improved.

    `recent_since` = the release time of the oldest of those exams. Set-based
    UPDATEs; rows that keep their value are not rewritten. Returns how many
    students have a gain.
    """
    window = _window_exam_ids(now)
    oldest = session.exec(select(func.min(Exam.released_at)).where(col(Exam.id).in_(window))).one()
    in_window = select(EloHistory.student_id).where(col(EloHistory.exam_id).in_(window))
    session.execute(
        update(StudentRating)
        .where(
            col(StudentRating.recent_gain).is_not(None),
            col(StudentRating.student_id).not_in(in_window),
        )
        .values(recent_gain=None, recent_since=None)
        .execution_options(synchronize_session=False)
    )
    gains = (
        select(
            EloHistory.student_id.label("sid"),
            func.sum(EloHistory.elo_after - EloHistory.elo_before).label("gain"),
        )
        .where(col(EloHistory.exam_id).in_(window))
        .group_by(EloHistory.student_id)
        .subquery()
    )
    session.execute(
        update(StudentRating)
        .where(
            StudentRating.student_id == gains.c.sid,
            or_(
                col(StudentRating.recent_gain).is_distinct_from(gains.c.gain),
                col(StudentRating.recent_since).is_distinct_from(oldest),
            ),
        )
        .values(recent_gain=gains.c.gain, recent_since=oldest)
        .execution_options(synchronize_session=False)
    )
    _expire_ratings(session, ["recent_gain", "recent_since"])
    refresh_ranks(session, boards=(Board.MOST_IMPROVED,))
    return int(
        session.exec(
            select(func.count())
            .select_from(StudentRating)
            .where(col(StudentRating.recent_gain).is_not(None))
        ).one()
    )


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
