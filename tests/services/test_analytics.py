"""Admin analytics on small hand-checkable data: totals, scores, growth, retention, Elo, participation."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import event
from sqlmodel import Session

from mockexam.db import get_engine, session_scope
from mockexam.errors import NotFoundError, ValidationError
from mockexam.models import (
    Exam,
    ExamPhase,
    ExamSession,
    ExamStatus,
    GroupMember,
    LinkStatus,
    Student,
    StudentGroup,
    StudentRating,
)
from mockexam.services import analytics
from mockexam.services.access import Scope
from tests.factories import make_student

NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)


@contextmanager
def count_queries():
    engine = get_engine()
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _exam(db: Session, start: datetime, status: str = ExamStatus.PUBLISHED, **fields) -> Exam:
    exam = Exam(
        title=fields.pop("title", f"Exam {start:%Y-%m-%d}"),
        window_start=start,
        window_end=start + timedelta(hours=3),
        status=status,
        **fields,
    )
    db.add(exam)
    db.flush()
    return exam


def _take(db: Session, exam: Exam, student: Student, *, submitted: bool = True, **fields):
    row = ExamSession(
        student_id=student.id,
        exam_id=exam.id,
        started_at=exam.window_start,
        deadline=exam.window_start + timedelta(hours=2),
        submitted_at=exam.window_start + timedelta(hours=1) if submitted else None,
        status="submitted" if submitted else "in_progress",
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def test_analytics_totals_count_each_kind(db_url):
    with session_scope() as db:
        seen_lately = make_student(db)
        seen_lately.last_seen_at = NOW - timedelta(days=10)
        submitted_lately = make_student(db)
        submitted_lately.last_seen_at = None
        long_gone = make_student(db)
        long_gone.last_seen_at = NOW - timedelta(days=40)
        long_gone.is_reachable = False
        make_student(db).last_seen_at = None  # never seen
        make_student(db).last_seen_at = NOW + timedelta(days=1)  # after `now`: not counted
        _exam(db, NOW - timedelta(days=60), status=ExamStatus.DRAFT)
        old = _exam(db, NOW - timedelta(days=50), status=ExamStatus.RELEASED)
        recent = _exam(db, NOW - timedelta(days=5))
        _take(db, old, long_gone)
        _take(db, recent, submitted_lately)
        _take(db, recent, seen_lately, submitted=False)
    totals = analytics.analytics_totals(now=NOW)
    assert (totals.students, totals.active_students, totals.reachable_students) == (5, 2, 4)
    assert (totals.exams, totals.published_exams, totals.released_exams) == (3, 2, 1)
    assert (totals.sessions, totals.submitted_sessions) == (3, 2)


def test_score_distribution_bins_scaled_scores_and_points(db_url):
    with session_scope() as db:
        exam = _exam(db, NOW - timedelta(days=3), status=ExamStatus.RELEASED)
        rows = [(0.0, 0), (4.99, 3), (5.0, 3), (52.5, 30), (99.99, 54), (100.0, 55), (None, 20)]
        for scaled, points in rows:
            _take(db, exam, make_student(db), scaled_score=scaled, points=points, max_points=55)
        _take(db, exam, make_student(db), submitted=False)  # not a participant
    dist = analytics.score_distribution(exam.id, bin_width=5)
    assert dist.participants == 7 and dist.scored == 6 and dist.max_points == 55
    counts = dict(zip(dist.scaled.edges, dist.scaled.counts, strict=False))
    assert counts[0.0] == 2 and counts[5.0] == 1 and counts[50.0] == 1 and counts[95.0] == 2
    assert dist.scaled.total == 6
    assert len(dist.scaled.edges) == 21 and dist.scaled.edges[-1] == 100.0
    # 55 points: bins of 55 / 40 = 1.375 points; 3 is in [2.75, 4.125), 55 in the last.
    assert len(dist.points.counts) == 41 and dist.points.edges[:3] == (0.0, 1.375, 2.75)
    assert dist.points.counts[2] == 2 and dist.points.counts[40] == 1 and dist.points.total == 7
    assert dist.mean_scaled == pytest.approx((0 + 4.99 + 5 + 52.5 + 99.99 + 100) / 6)
    assert dist.mean_points == pytest.approx((0 + 3 + 3 + 30 + 54 + 55 + 20) / 7)


def test_points_bins_follow_weighted_float_points(db_url):
    with session_scope() as db:
        dtm = _exam(db, NOW - timedelta(days=3))
        for points in (143.7, 143.7, 0.0, 4.7, 4.725, 189.0):
            _take(db, dtm, make_student(db), points=points, max_points=189.0)
        small = _exam(db, NOW - timedelta(days=2))
        for points in (3.0, 3.5, 12.0):
            _take(db, small, make_student(db), points=points, max_points=12.0)
    dist = analytics.score_distribution(dtm.id)
    assert dist.max_points == 189 and analytics.points_bin_width(189) == 4.725
    counts = dict(zip(dist.points.edges, dist.points.counts, strict=False))
    # 143.7 / 4.725 = 30.4: bin 30 = [141.75, 146.475); 4.725 opens bin 1; 189 is the last.
    assert counts[141.75] == 2 and counts[0.0] == 2 and counts[4.725] == 1 and counts[189.0] == 1
    assert dist.mean_points == pytest.approx((143.7 * 2 + 4.7 + 4.725 + 189) / 6)
    # Up to 40 points: one bin per point (3.5 is in [3, 4)), full marks in its own.
    small_dist = analytics.score_distribution(small.id)
    assert small_dist.points.edges == tuple(float(p) for p in range(14))
    assert small_dist.points.counts[3] == 2 and small_dist.points.counts[12] == 1


def test_score_distribution_of_an_exam_without_sessions(db_url):
    with session_scope() as db:
        exam = _exam(db, NOW)
    dist = analytics.score_distribution(exam.id)
    assert (dist.participants, dist.scaled.total, dist.mean_scaled) == (0, 0, None)
    with pytest.raises(NotFoundError):
        analytics.score_distribution(exam.id + 1)
    with pytest.raises(ValidationError):
        analytics.score_distribution(exam.id, bin_width=0)


def test_refusals_read_in_the_admins_language(db_url):
    with pytest.raises(NotFoundError) as missing:
        analytics.score_distribution(424242)
    assert str(missing.value) == "Exam 424242 does not exist."
    assert missing.value.text("ru") == "Экзамена 424242 не существует."
    assert missing.value.text("uz") == "424242-imtihon mavjud emas."
    with pytest.raises(ValidationError) as width:
        analytics.score_distribution(1, bin_width=101)
    assert str(width.value) == "The bin width must be between 0 and 100 points."
    assert width.value.text("ru") == "Ширина столбца должна быть от 0 до 100 баллов."
    with pytest.raises(ValidationError) as bins:
        analytics.elo_distribution(bins=201)
    assert bins.value.text("uz") == "Ustunlar soni 1 dan 200 gacha bo‘lishi kerak."
    assert bins.value.text("ru") == "Выберите от 1 до 200 столбцов."


def test_user_growth_by_month_fills_empty_months(db_url):
    with session_scope() as db:
        for created in (
            datetime(2025, 1, 3, tzinfo=UTC),
            datetime(2025, 1, 31, 18, 59, tzinfo=UTC),  # 23:59 in Tashkent: still January
            datetime(2025, 3, 1, tzinfo=UTC),
            datetime(2025, 4, 30, 19, 0, tzinfo=UTC),  # 1 May 00:00 in Tashkent
        ):
            make_student(db).created_at = created
    growth = analytics.user_growth_by_month(now=NOW)
    assert [(g.month, g.new_students, g.total_students) for g in growth] == [
        ("2025-01", 2, 2),
        ("2025-02", 0, 2),
        ("2025-03", 1, 3),
        ("2025-04", 0, 3),
        ("2025-05", 1, 4),
    ]


def test_user_growth_by_month_empty(db_url):
    assert analytics.user_growth_by_month(now=NOW) == ()


def test_retention_by_cohort_triangle_by_hand(db_url):
    """A: Jan, Feb, Apr. B: Jan, Mar. C: Feb, Feb, Mar. D: Mar. (Months of 2025.)"""
    with session_scope() as db:
        exams = {
            key: _exam(db, datetime(2025, month, day, 8, tzinfo=UTC))
            for key, month, day in (
                ("jan", 1, 10),
                ("feb", 2, 7),
                ("feb2", 2, 21),
                ("mar", 3, 14),
                ("apr", 4, 4),
            )
        }
        students = {name: make_student(db, first_name=name) for name in "ABCD"}
        taken = {"A": ["jan", "feb", "apr"], "B": ["jan", "mar"], "C": ["feb", "feb2", "mar"]}
        taken["D"] = ["mar"]
        for name, keys in taken.items():
            for key in keys:
                _take(db, exams[key], students[name])
        _take(db, exams["apr"], students["D"], submitted=False)  # started, never submitted
    retention = analytics.retention_by_cohort(now=NOW)
    rows = {c.month: c for c in retention.cohorts}
    assert list(rows) == ["2025-01", "2025-02", "2025-03"]
    assert rows["2025-01"].size == 2
    assert rows["2025-01"].retained == (2, 1, 1, 1)
    assert rows["2025-01"].shares == (1.0, 0.5, 0.5, 0.5)
    assert rows["2025-02"].retained == (1, 1, 0)
    assert rows["2025-03"].retained == (1, 0)
    assert retention.max_offset == 3


def test_retention_by_cohort_extends_to_the_current_month(db_url):
    with session_scope() as db:
        exam = _exam(db, datetime(2025, 1, 10, tzinfo=UTC))
        _take(db, exam, make_student(db))
    retention = analytics.retention_by_cohort(now=datetime(2025, 3, 2, tzinfo=UTC))
    assert retention.cohorts[0].retained == (1, 0, 0)
    assert analytics.retention_by_cohort.__doc__


def test_retention_by_cohort_empty(db_url):
    assert analytics.retention_by_cohort(now=NOW).cohorts == ()


def test_elo_distribution_matches_numpy(db_url):
    values = [1100.0, 1150.0, 1200.0, 1200.0, 1260.0, 1400.0]
    with session_scope() as db:
        for elo in values:
            db.add(StudentRating(student_id=make_student(db).id, elo=elo, exams_rated=1))
        db.add(StudentRating(student_id=make_student(db).id, elo=1200.0, exams_rated=0))
    dist = analytics.elo_distribution(bins=4)
    counts, edges = np.histogram(values, bins=4)
    assert dist.histogram.counts == tuple(counts)
    assert dist.histogram.edges == pytest.approx(tuple(edges))
    assert dist.rated_students == 6
    assert dist.mean == pytest.approx(np.mean(values))
    assert dist.median == 1200.0
    with pytest.raises(ValidationError):
        analytics.elo_distribution(bins=0)


def test_elo_distribution_empty(db_url):
    dist = analytics.elo_distribution()
    assert (dist.rated_students, dist.histogram.counts, dist.mean) == (0, (), None)


def test_participation_per_exam_counts_and_means(db_url):
    with session_scope() as db:
        _exam(db, NOW - timedelta(days=20), status=ExamStatus.DRAFT)
        first = _exam(db, NOW - timedelta(days=14), status=ExamStatus.RELEASED, title="First")
        second = _exam(db, NOW + timedelta(days=1), title="Second")
        _take(db, first, make_student(db), points=40, scaled_score=70.0)
        _take(db, first, make_student(db), points=20, scaled_score=40.0, is_auto_submitted=True)
        _take(db, first, make_student(db), submitted=False, points=None)
    rows = analytics.participation_per_exam(now=NOW)
    assert [r.title for r in rows] == ["First", "Second"]
    one, two = rows
    assert (one.started, one.submitted, one.auto_submitted) == (3, 2, 1)
    assert one.mean_points == pytest.approx(30.0) and one.mean_scaled == pytest.approx(55.0)
    assert one.phase == ExamPhase.RELEASED
    assert (two.started, two.submitted, two.mean_points, two.phase) == (
        0,
        0,
        None,
        ExamPhase.SCHEDULED,
    )
    assert second.id == two.exam_id
    assert (one.calibrated, one.on_common_scale) == (True, False)
    assert (two.calibrated, two.on_common_scale) == (False, False)


def test_participation_says_which_exams_are_on_the_common_scale(db_url):
    with session_scope() as db:
        statuses = [LinkStatus.ORIGIN, LinkStatus.LINKED, LinkStatus.NOT_LINKED, None]
        for day, status in zip((30, 20, 10, 5), statuses, strict=True):
            exam = _exam(db, NOW - timedelta(days=day), status=ExamStatus.RELEASED)
            exam.link_status = status
            exam.is_provisional = status is None
            db.add(exam)
    rows = analytics.participation_per_exam(now=NOW)
    assert [r.on_common_scale for r in rows] == [True, True, False, False]
    assert [r.calibrated for r in rows] == [True, True, True, False]


def test_analytics_functions_issue_a_fixed_number_of_queries(db_url):
    def run() -> int:
        with count_queries() as seen:
            analytics.analytics_totals(now=NOW)
            analytics.score_distribution(exam_id)
            analytics.user_growth_by_month(now=NOW)
            analytics.retention_by_cohort(now=NOW)
            analytics.elo_distribution()
            analytics.participation_per_exam(now=NOW)
        return len(seen)

    with session_scope() as db:
        exam = _exam(db, NOW - timedelta(days=3))
        exam_id = exam.id
        _take(db, exam, make_student(db), points=10)
    few = run()
    with session_scope() as db:
        exam = db.get(Exam, exam_id)
        for k in range(40):
            other = _exam(db, NOW - timedelta(days=100 + k))
            student = make_student(db)
            _take(db, other, student, points=k)
            _take(db, exam, student, points=k)
            db.add(StudentRating(student_id=student.id, elo=1100.0 + k, exams_rated=2))
    assert run() == few == 7  # one each, plus the exam lookup of score_distribution


def test_month_range_crosses_years():
    assert analytics.month_range("2024-11", "2025-02") == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]


# ---------------------------------------------------------------------------
# Scopes: a teacher's groups, the page's group filter
# ---------------------------------------------------------------------------
def _group(db: Session, name: str, *members: Student, archived: bool = False) -> int:
    group = StudentGroup(
        name=name, invite_code=f"code{name}", archived_at=NOW if archived else None
    )
    db.add(group)
    db.flush()
    for student in members:
        db.add(GroupMember(group_id=group.id, student_id=student.id))
    db.flush()
    return group.id


def _two_groups() -> tuple[int, int, int]:
    """Group A: two students (one rated, both submitted); group B and nobody's: one each.

    Returns (A, B, the exam)."""
    with session_scope() as db:
        a1, a2, b1, loner = (make_student(db, first_name=name) for name in ("A1", "A2", "B1", "C"))
        for student, month in ((a1, 1), (a2, 2), (b1, 1), (loner, 3)):
            student.created_at = datetime(2025, month, 5, tzinfo=UTC)
            student.last_seen_at = NOW - timedelta(days=2)
        loner.is_reachable = False
        group_a = _group(db, "A", a1, a2)
        group_b = _group(db, "B", b1)
        _group(db, "Old", a1, archived=True)
        first = _exam(db, datetime(2025, 1, 20, 8, tzinfo=UTC), status=ExamStatus.RELEASED)
        second = _exam(db, datetime(2025, 3, 20, 8, tzinfo=UTC), status=ExamStatus.RELEASED)
        _take(db, first, a1, points=10, scaled_score=20.0, max_points=40)
        _take(db, second, a1, points=30, scaled_score=60.0, max_points=40)
        _take(db, second, a2, points=20, scaled_score=40.0, max_points=40)
        _take(db, second, b1, points=40, scaled_score=100.0, max_points=40)
        _take(db, first, loner, points=0, scaled_score=0.0, max_points=40)
        _take(db, second, loner, submitted=False)
        db.add(StudentRating(student_id=a1.id, elo=1250.0, exams_rated=2))
        db.add(StudentRating(student_id=b1.id, elo=1400.0, exams_rated=1))
        db.add(StudentRating(student_id=loner.id, elo=1000.0, exams_rated=1))
        return group_a, group_b, second.id


def test_analytics_of_a_group_leave_out_the_students_outside_it(db_url):
    group_a, _group_b, exam_id = _two_groups()
    only_a = Scope(frozenset({group_a}))

    totals = analytics.analytics_totals(now=NOW, scope=only_a)
    assert (totals.students, totals.active_students, totals.reachable_students) == (2, 2, 2)
    assert (totals.sessions, totals.submitted_sessions) == (3, 3)
    assert (totals.exams, totals.released_exams) == (2, 2)  # exams are not students' data
    everyone = analytics.analytics_totals(now=NOW)
    assert (everyone.students, everyone.reachable_students, everyone.sessions) == (4, 3, 6)

    dist = analytics.score_distribution(exam_id, scope=only_a)
    assert (dist.participants, dist.scored) == (2, 2)  # B1's full marks are not in it
    assert dist.mean_scaled == pytest.approx(50.0) and dist.mean_points == pytest.approx(25.0)
    assert dist.points.counts[-1] == 0
    assert analytics.score_distribution(exam_id).participants == 3

    growth = analytics.user_growth_by_month(now=NOW, scope=only_a)
    assert [(g.month, g.new_students) for g in growth] == [
        ("2025-01", 1),
        ("2025-02", 1),
        ("2025-03", 0),
        ("2025-04", 0),
    ]

    retention = analytics.retention_by_cohort(now=NOW, scope=only_a)
    assert [(c.month, c.retained) for c in retention.cohorts] == [
        ("2025-01", (1, 0, 1, 0)),
        ("2025-03", (1, 0)),
    ]

    elo = analytics.elo_distribution(scope=only_a)
    assert (elo.rated_students, elo.mean) == (1, 1250.0)

    rows = analytics.participation_per_exam(now=NOW, scope=only_a)
    assert [(r.started, r.submitted) for r in rows] == [(1, 1), (2, 2)]  # every exam listed
    assert rows[1].mean_scaled == pytest.approx(50.0)
    assert [(r.started, r.submitted) for r in analytics.participation_per_exam(now=NOW)] == [
        (2, 2),
        (4, 3),
    ]


def test_analytics_of_an_empty_scope_count_nobody(db_url):
    _group_a, _group_b, exam_id = _two_groups()
    nobody = Scope(frozenset())
    totals = analytics.analytics_totals(now=NOW, scope=nobody)
    assert (totals.students, totals.active_students, totals.sessions) == (0, 0, 0)
    assert analytics.score_distribution(exam_id, scope=nobody).participants == 0
    assert analytics.user_growth_by_month(now=NOW, scope=nobody) == ()
    assert analytics.retention_by_cohort(now=NOW, scope=nobody).cohorts == ()
    assert analytics.elo_distribution(scope=nobody).rated_students == 0
    assert all(r.started == 0 for r in analytics.participation_per_exam(now=NOW, scope=nobody))


def test_group_choices_are_the_live_groups_in_scope(db_url):
    group_a, group_b, _exam_id = _two_groups()
    everything = analytics.group_choices()
    assert [(c.group_id, c.name) for c in everything] == [(group_a, "A"), (group_b, "B")]
    mine = Scope(frozenset({group_b}))
    assert [c.name for c in analytics.group_choices(mine)] == ["B"]
    assert analytics.group_choices(Scope(frozenset())) == ()

    assert analytics.group_scope(mine, group_b, analytics.group_choices(mine)) == mine
    assert analytics.group_scope(mine, group_a, everything) is None  # not in reach
    assert analytics.group_scope(Scope.everything(), group_a, everything) == Scope(
        frozenset({group_a})
    )
    assert analytics.group_scope(Scope.everything(), 424242, everything) is None  # no such group


def test_scoped_analytics_issue_the_same_number_of_queries(db_url):
    group_a, _group_b, exam_id = _two_groups()
    with count_queries() as seen:
        scope = Scope(frozenset({group_a}))
        analytics.analytics_totals(now=NOW, scope=scope)
        analytics.score_distribution(exam_id, scope=scope)
        analytics.user_growth_by_month(now=NOW, scope=scope)
        analytics.retention_by_cohort(now=NOW, scope=scope)
        analytics.elo_distribution(scope=scope)
        analytics.participation_per_exam(now=NOW, scope=scope)
    assert len(seen) == 7
