"""Admin analytics: totals, score distributions, growth, cohort retention, Elo, participation.

Every function is one SQL aggregate (GROUP BY, conditional counts, scalar
subqueries) or numpy over one narrow query; nothing loops over exams, items,
students or sessions with a query each (bench/admin_bench.py measures this).

Definitions used throughout:
- Months are calendar months in the local zone (settings.local_timezone, e.g.
  Asia/Tashkent), written "YYYY-MM": a sign-up at 23:30 UTC on 31 January is
  February's in Tashkent. PostgreSQL converts each timestamp with the zone's
  rules; SQLite shifts by the zone's offset now (exact for zones without daylight
  saving, like Tashkent; near a DST change a few hours may fall in the next month).
- An *active* student (last 30 days) opened the Mini App (`last_seen_at`) or
  submitted an exam in that time.
- A *participant* of an exam submitted a session (auto-submitted included).
- Retention cohorts are by the month of a student's first submitted exam; a
  cohort member is *retained* in a later month if they submitted at least one
  exam in that month.

Every function takes a `scope` (services/access.py): the students it counts. A
teacher's page passes their groups, a group filter one group; the default is
everyone. Exams are not students' data: their counts and titles are not scoped,
only the sessions, ratings and sign-ups behind the figures are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Integer, and_, case, cast, distinct, func, literal_column, or_
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import Msg, NotFoundError, ValidationError, msg
from mockexam.localtime import to_local, utc_offset_modifier
from mockexam.models import (
    COMMON_SCALE,
    Exam,
    ExamPhase,
    ExamSession,
    ExamStatus,
    Student,
    StudentGroup,
    StudentRating,
)
from mockexam.services.access import Scope
from mockexam.services.exams import exam_phase

ACTIVE_DAYS = 30
SCALED_MAX = 100.0
EVERYONE = Scope.everything()
MAX_GROUP_CHOICES = 500


# ---------------------------------------------------------------------------
# Dialect helpers (also used by services/item_analysis.py)
# ---------------------------------------------------------------------------
def sql_floor(db: Session, expr: Any) -> Any:
    """floor(expr) as an integer on SQLite (even without its math functions) and PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.floor(expr), Integer)
    truncated = cast(expr, Integer)  # SQLite truncates toward zero
    return truncated - case((expr < truncated, 1), else_=0)


def sql_month(db: Session, column: Any) -> Any:
    """The local calendar month of a timestamp column as 'YYYY-MM' (see the module's note)."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(settings.local_timezone, column), "YYYY-MM")
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; shifted by the zone's offset now.
    return func.strftime("%Y-%m", column, utc_offset_modifier())


def month_of(moment: datetime) -> str:
    """The local calendar month of a moment as 'YYYY-MM' (a naive moment is UTC)."""
    local = to_local(moment)
    return f"{local.year:04d}-{local.month:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive ('YYYY-MM')."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts per bin; bin k covers [edges[k], edges[k + 1]) (the last bin is closed)."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def centers(self) -> tuple[float, ...]:
        return tuple((a + b) / 2 for a, b in zip(self.edges, self.edges[1:], strict=False))


# ---------------------------------------------------------------------------
# Totals
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AnalyticsTotals:
    """Headline numbers; `active_students`: seen or submitted in the last ACTIVE_DAYS days."""

    students: int
    active_students: int
    reachable_students: int
    exams: int  # every exam, drafts included
    published_exams: int  # published or released
    released_exams: int
    sessions: int  # started
    submitted_sessions: int
    as_of: datetime


def analytics_totals(*, now: datetime | None = None, scope: Scope = EVERYONE) -> AnalyticsTotals:
    """Students, active students, exams and sessions: one statement of scalar subqueries.

    The students and sessions are those of `scope`; the exams are every exam."""
    now = now or utcnow()
    mine = scope.student_filter(Student.id)
    their_sessions = scope.student_filter(ExamSession.student_id)
    since = now - timedelta(days=ACTIVE_DAYS)

    def count(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    submitted_lately = col(Student.id).in_(
        select(ExamSession.student_id).where(
            col(ExamSession.submitted_at) >= since, col(ExamSession.submitted_at) <= now
        )
    )
    seen_lately = and_(col(Student.last_seen_at) >= since, col(Student.last_seen_at) <= now)
    statement = select(
        count(Student, mine),
        count(Student, mine, or_(seen_lately, submitted_lately)),
        count(Student, mine, col(Student.is_reachable).is_(True)),
        count(Exam),
        count(Exam, Exam.status != ExamStatus.DRAFT),
        count(Exam, Exam.status == ExamStatus.RELEASED),
        count(ExamSession, their_sessions),
        count(ExamSession, their_sessions, col(ExamSession.submitted_at).is_not(None)),
    )
    with session_scope(readonly=True) as db:
        values = [int(v) for v in db.exec(statement).one()]
    return AnalyticsTotals(*values, as_of=now)


# ---------------------------------------------------------------------------
# Score distribution of one exam
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScoreDistribution:
    """Scaled scores (0–100, bins of `bin_width`) and points of an exam.

    Points (floats in 0.01 steps) are in bins of max(1, max_points / 40) points: one
    bin per point up to 40 points, 41 bins above (the last holds full marks).
    """

    exam_id: int
    title: str
    participants: int  # submitted sessions
    scored: int  # of them with a scaled score (released)
    is_provisional: bool
    max_points: float
    mean_scaled: float | None
    mean_points: float | None
    scaled: Histogram
    points: Histogram


def _no_exam(exam_id: int) -> Msg:
    """The refusal for an exam id that does not exist, in uz/ru/en."""
    return msg(
        "{exam_id}-imtihon mavjud emas.",
        "Экзамена {exam_id} не существует.",
        "Exam {exam_id} does not exist.",
        exam_id=exam_id,
    )


def score_distribution(
    exam_id: int, *, bin_width: float = 5.0, scope: Scope = EVERYONE
) -> ScoreDistribution:
    """Histograms of one exam's scaled scores and raw points from one GROUP BY (points, bin),
    over the sessions of the students in `scope`."""
    if not 0 < bin_width <= SCALED_MAX:
        raise ValidationError(
            msg(
                "Ustun kengligi 0 dan 100 ballgacha bo‘lishi kerak.",
                "Ширина столбца должна быть от 0 до 100 баллов.",
                "The bin width must be between 0 and 100 points.",
            )
        )
    n_bins = int(np.ceil(SCALED_MAX / bin_width))
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        if exam is None:
            raise NotFoundError(_no_exam(exam_id))
        scaled = col(ExamSession.scaled_score)
        bin_index = case(
            (scaled.is_(None), None),
            (scaled >= SCALED_MAX, n_bins - 1),
            (scaled <= 0, 0),
            else_=sql_floor(db, scaled / bin_width),
        )
        rows = db.exec(
            select(
                ExamSession.points,
                bin_index,
                func.count(),
                func.sum(ExamSession.scaled_score),
                func.max(ExamSession.max_points),
            )
            .where(
                ExamSession.exam_id == exam_id,
                col(ExamSession.submitted_at).is_not(None),
                scope.student_filter(ExamSession.student_id),
            )
            .group_by(ExamSession.points, bin_index)
        ).all()
    scaled_counts = np.zeros(n_bins, dtype=np.int64)
    max_points = float(max([m for *_rest, m in rows if m is not None], default=0))
    points_width = points_bin_width(max_points)
    points_bins = int(np.floor(max_points / points_width + 1e-9)) + 1
    points_counts = np.zeros(points_bins, dtype=np.int64)
    participants = scored = 0
    scaled_sum = 0.0
    points_sum = points_n = 0
    for points, k, n, total_scaled, _max in rows:
        participants += n
        if k is not None:
            scaled_counts[min(max(int(k), 0), n_bins - 1)] += n
            scored += n
            scaled_sum += float(total_scaled or 0.0)
        if points is not None:
            k_points = int(np.floor(float(points) / points_width + 1e-9))
            points_counts[min(max(k_points, 0), points_bins - 1)] += n
            points_sum += float(points) * n
            points_n += n
    edges = tuple(min(k * bin_width, SCALED_MAX) for k in range(n_bins + 1))
    return ScoreDistribution(
        exam_id=exam_id,
        title=exam.title,
        participants=participants,
        scored=scored,
        is_provisional=exam.is_provisional,
        max_points=max_points,
        mean_scaled=scaled_sum / scored if scored else None,
        mean_points=points_sum / points_n if points_n else None,
        scaled=Histogram(edges, tuple(int(c) for c in scaled_counts)),
        points=Histogram(
            tuple(round(k * points_width, 6) for k in range(points_bins + 1)),
            tuple(int(c) for c in points_counts),
        ),
    )


def points_bin_width(max_points: float) -> float:
    """The width of a points bin: one point up to 40 points, max_points / 40 above."""
    return max(1.0, float(max_points) / 40)


# ---------------------------------------------------------------------------
# Growth and retention
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MonthlyGrowth:
    """New students in a month (by sign-up) and all students by its end."""

    month: str
    new_students: int
    total_students: int


def user_growth_by_month(
    *, now: datetime | None = None, scope: Scope = EVERYONE
) -> tuple[MonthlyGrowth, ...]:
    """Sign-ups of the students in `scope` per local month, from the first sign-up to this
    month, gaps filled with zeros."""
    now = now or utcnow()
    with session_scope(readonly=True) as db:
        month = sql_month(db, Student.created_at)
        counts = dict(
            db.exec(
                select(month, func.count()).where(scope.student_filter(Student.id)).group_by(month)
            ).all()
        )
    if not counts:
        return ()
    out, total = [], 0
    for m in month_range(min(counts), max(max(counts), month_of(now))):
        total += counts.get(m, 0)
        out.append(MonthlyGrowth(month=m, new_students=counts.get(m, 0), total_students=total))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class RetentionCohort:
    """Students whose first submitted exam fell in `month`, and how many came back.

    `retained[k]` = cohort members who submitted an exam k months after the
    cohort month (`retained[0]` = size); `shares[k]` = retained[k] / size. The
    lists stop at the current month, so the matrix is a triangle.
    """

    month: str
    size: int
    retained: tuple[int, ...]
    shares: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class CohortRetention:
    """The retention triangle: one row per cohort month, one column per months-later offset."""

    cohorts: tuple[RetentionCohort, ...]
    max_offset: int


def retention_by_cohort(*, now: datetime | None = None, scope: Scope = EVERYONE) -> CohortRetention:
    """Cohort retention of the students in `scope` from one statement over submitted sessions.

    Inner GROUP BY student: the distinct months the student submitted in, as
    one text ("2025-01,2025-03"); outer GROUP BY that text: how many students
    share each pattern (a few hundred rows, whatever the number of students).
    The cohort of a pattern is its first month; Python adds up the triangle.
    """
    now = now or utcnow()
    with session_scope(readonly=True) as db:
        month = sql_month(db, ExamSession.submitted_at)
        if db.get_bind().dialect.name == "postgresql":
            months = func.string_agg(distinct(month), literal_column("','"))
        else:
            months = func.group_concat(distinct(month))
        per_student = (
            select(months.label("months"))
            .where(
                col(ExamSession.submitted_at).is_not(None),
                scope.student_filter(ExamSession.student_id),
            )
            .group_by(ExamSession.student_id)
            .subquery()
        )
        patterns = db.connection().execute(
            select(per_student.c.months, func.count()).group_by(per_student.c.months)
        )
        counter: dict[tuple[str, str], int] = {}
        for text_months, n in patterns:
            seen = sorted(set(text_months.split(",")))
            for m in seen:
                counter[seen[0], m] = counter.get((seen[0], m), 0) + int(n)
    rows = [(c, m, n) for (c, m), n in counter.items()]
    if not rows:
        return CohortRetention(cohorts=(), max_offset=0)
    cohort_months = sorted({c for c, _m, _n in rows})
    last = max(max(m for _c, m, _n in rows), month_of(now))
    index = {m: k for k, m in enumerate(month_range(cohort_months[0], last))}
    counts = {(c, m): n for c, m, n in rows}
    cohorts = []
    for cohort in cohort_months:
        span = len(index) - index[cohort]
        retained = [0] * span
        for m, k in index.items():
            if k >= index[cohort]:
                retained[k - index[cohort]] = int(counts.get((cohort, m), 0))
        size = retained[0]
        cohorts.append(
            RetentionCohort(
                month=cohort,
                size=size,
                retained=tuple(retained),
                shares=tuple(r / size if size else 0.0 for r in retained),
            )
        )
    return CohortRetention(cohorts=tuple(cohorts), max_offset=len(index) - 1)


# ---------------------------------------------------------------------------
# Elo and participation
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EloDistribution:
    """Current Elo of the students rated at least once."""

    histogram: Histogram
    rated_students: int
    mean: float | None
    median: float | None


def elo_distribution(*, bins: int = 20, scope: Scope = EVERYONE) -> EloDistribution:
    """Histogram of the current ratings of the students in `scope` (numpy over one
    single-column query)."""
    if not 1 <= bins <= 200:
        raise ValidationError(
            msg(
                "Ustunlar soni 1 dan 200 gacha bo‘lishi kerak.",
                "Выберите от 1 до 200 столбцов.",
                "Choose between 1 and 200 bins.",
            )
        )
    with session_scope(readonly=True) as db:
        rating = StudentRating.__table__.c  # plain Core rows: no ORM loading per row
        result = db.connection().execute(
            select(rating.elo).where(
                rating.exams_rated > 0, scope.student_filter(rating.student_id)
            )
        )
        elo = np.fromiter((row[0] for row in result), dtype=np.float64)
    if elo.size == 0:
        return EloDistribution(Histogram((), ()), 0, None, None)
    counts, edges = np.histogram(elo, bins=bins)
    return EloDistribution(
        histogram=Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts)),
        rated_students=int(elo.size),
        mean=float(elo.mean()),
        median=float(np.median(elo)),
    )


@dataclass(frozen=True, slots=True)
class ExamParticipation:
    """How many took one exam (started, submitted, auto-submitted) and how they did on average."""

    exam_id: int
    title: str
    phase: ExamPhase
    window_start: datetime
    window_end: datetime
    started: int
    submitted: int
    auto_submitted: int
    mean_points: float | None
    mean_scaled: float | None
    # Released, calibrated, and on the item bank's linked scale (issue 23): its mean scaled
    # score compares with the other linked exams' (growth, not the papers' difficulty).
    on_common_scale: bool = False
    calibrated: bool = False  # released with a Rasch calibration (not provisional)


def participation_per_exam(
    *, now: datetime | None = None, scope: Scope = EVERYONE
) -> tuple[ExamParticipation, ...]:
    """Every non-draft exam, oldest window first, with the counts of the sessions of the
    students in `scope`: one GROUP BY over sessions."""
    now = now or utcnow()
    s = ExamSession
    submitted = col(s.submitted_at).is_not(None)
    statement = (
        select(
            Exam.id,
            Exam.title,
            Exam.status,
            Exam.window_start,
            Exam.window_end,
            func.count(s.id),
            _count_if(submitted),
            _count_if(and_(submitted, col(s.is_auto_submitted).is_(True))),
            func.avg(case((submitted, s.points), else_=None)),
            func.avg(case((submitted, s.scaled_score), else_=None)),
            Exam.link_status,
            Exam.is_provisional,
        )
        .join(
            s,
            and_(col(s.exam_id) == Exam.id, scope.student_filter(s.student_id)),
            isouter=True,
        )
        .where(Exam.status != ExamStatus.DRAFT)
        .group_by(
            Exam.id,
            Exam.title,
            Exam.status,
            Exam.window_start,
            Exam.window_end,
            Exam.link_status,
            Exam.is_provisional,
        )
        .order_by(Exam.window_start, Exam.id)
    )
    with session_scope(readonly=True) as db:
        rows = db.exec(statement).all()
    return tuple(
        ExamParticipation(
            exam_id=exam_id,
            title=title,
            phase=exam_phase(
                Exam(status=status, window_start=start, window_end=end, title=""), now
            ),
            window_start=start,
            window_end=end,
            started=int(started),
            submitted=int(done),
            auto_submitted=int(auto),
            mean_points=None if mean_points is None else float(mean_points),
            mean_scaled=None if mean_scaled is None else float(mean_scaled),
            on_common_scale=status == ExamStatus.RELEASED and link_status in COMMON_SCALE,
            calibrated=status == ExamStatus.RELEASED and not provisional,
        )
        for (
            exam_id,
            title,
            status,
            start,
            end,
            started,
            done,
            auto,
            mean_points,
            mean_scaled,
            link_status,
            provisional,
        ) in rows
    )


# ---------------------------------------------------------------------------
# The group filter
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GroupChoice:
    """A group the analytics may be narrowed to."""

    group_id: int
    name: str


def group_choices(scope: Scope = EVERYONE) -> tuple[GroupChoice, ...]:
    """The live groups in `scope`, by name: what the analytics page offers as a filter."""
    statement = (
        select(StudentGroup.id, StudentGroup.name)
        .where(scope.group_filter(StudentGroup.id), col(StudentGroup.archived_at).is_(None))
        .order_by(func.lower(StudentGroup.name), col(StudentGroup.id))
        .limit(MAX_GROUP_CHOICES)
    )
    with session_scope(readonly=True) as db:
        rows = db.exec(statement).all()
    return tuple(GroupChoice(group_id=int(i), name=name) for i, name in rows)


def group_scope(reach: Scope, group_id: int, choices: tuple[GroupChoice, ...]) -> Scope | None:
    """The scope of one group if `reach` covers it and it is one of `choices`; else None.

    Both checks: the choices are what the page offered, the reach what the caller may see
    now (a group id from the page is an argument like any other)."""
    if not reach.covers_group(group_id) or all(c.group_id != group_id for c in choices):
        return None
    return Scope(frozenset({group_id}))
