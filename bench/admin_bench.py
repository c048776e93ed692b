"""Admin item analysis and analytics at scale, against a naive per-item / per-session baseline.

Data: 100,000 submitted sessions of 55 answers (5.5 M answer rows) over
`--exams` released exams (default 10 of 10,000 sessions, three weeks apart),
30,000 students who signed up over the months before, their ratings, the
stored item statistics and person measures of every exam. Answers follow the
Rasch model (3 % left blank). Rows are written straight into the tables
(executemany in one transaction per exam on SQLite, COPY on PostgreSQL), then
ANALYZE runs, as autovacuum would have in production.

Timed, through the services (session, queries, dataclasses), median of
`--repeat` runs after one warm-up:
- item-analysis data of the newest exam: `item_analysis` (items, statistics,
  option counts, Wright-map person histogram) and `item_characteristic_curve`;
- analytics data: each of `analytics_totals`, `score_distribution`,
  `user_growth_by_month`, `retention_by_cohort`, `elo_distribution`,
  `participation_per_exam`.

The naive baseline does what a simple ORM implementation does: one COUNT (or
one-row) query per item, per option, per session, per student, per month or
per exam. Loops with more than `--sample` queries run a random sample of them
and are extrapolated linearly (printed as "sampled").

    .venv/bin/python bench/admin_bench.py [--sessions 100000] [--exams 10]
        [--students 30000] [--repeat 5] [--sample 2000] [--backend sqlite postgres]

Figures here (2 vCPUs shared with other jobs, load average 2–8, so ±50 % between
runs; SQLite 3.40, PostgreSQL 15 on the same machine; default arguments):

    median per call              SQLite     PostgreSQL
    item_analysis               20.9 ms        11.5 ms
    item_characteristic_curve   46.5 ms        32.7 ms
    = item-analysis data        67.4 ms        44.2 ms   naive 10.3 s / 4.7 s:  152× / 106×
    analytics_totals            22.8 ms        26.7 ms
    score_distribution          17.3 ms         5.7 ms
    user_growth_by_month         9.4 ms        10.5 ms
    retention_by_cohort        100.8 ms        91.1 ms
    elo_distribution            16.0 ms        40.4 ms
    participation_per_exam     164.7 ms        58.3 ms
    = analytics data           330.9 ms       232.7 ms   naive 31.4 s / 21.6 s:  95× /  93×
    results_table / live_monitor / list_students (by exams): ≤ 81 ms each

Every call stays far below 0.5 s. Per function, the loops over students and
sessions are 70–400× slower; the per-month and per-exam loops (11 and 30
queries) are about as fast as the aggregates. Loading takes ~40 s (SQLite) and
~100 s (PostgreSQL, mostly COPY of the answers and their indexes).

PostgreSQL: TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the data goes to a schema of its own, dropped at the end. SQLite: a temporary file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="mockexam-admin-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bootstrap.db'}")
os.environ["MOCKEXAM_ENV"] = "test"

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, func, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from mockexam import db as db_module  # noqa: E402
from mockexam.config import settings  # noqa: E402
from mockexam.db import session_scope  # noqa: E402
from mockexam.models import (  # noqa: E402
    Answer,
    Exam,
    ExamItem,
    ExamSession,
    Student,
    StudentRating,
    metadata,
)
from mockexam.scoring.grading import default_layout  # noqa: E402
from mockexam.services import analytics, exam_results, student_directory  # noqa: E402
from mockexam.services.item_analysis import (  # noqa: E402
    item_analysis,
    item_characteristic_curve,
)

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LAYOUT = default_layout()
N_ITEMS = len(LAYOUT)
LETTERS = np.array(["A", "B", "C", "D"])
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Databases and bulk loading
# ---------------------------------------------------------------------------
def _database(backend: str) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = TMP / f"admin-{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", drop


class Loader:
    """Bulk insert of tuples: COPY on PostgreSQL, executemany on SQLite (one open transaction)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.dbapi_connection

    def ts(self, moment: datetime | None) -> Any:
        """A timestamp as the column type stores it (SQLite: UTC text as SQLAlchemy writes it)."""
        if moment is None or self.pg:
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return bool(value) if self.pg else int(bool(value))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = self.raw.cursor()
        if self.pg:
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        cursor.close()


@dataclass
class Loaded:
    students: int
    exams: int
    sessions: int
    answers: int
    seconds: float


def populate(n_students: int, n_exams: int, n_sessions: int, seed: int = 5) -> Loaded:
    """Write the data set straight into the tables (see the module docstring)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    engine = db_module.get_engine()
    metadata.create_all(engine)
    per_exam = n_sessions // n_exams
    starts = [NOW - timedelta(days=21 * (n_exams - e)) for e in range(n_exams)]
    first_signup = starts[0] - timedelta(days=90)
    signup = np.sort(
        rng.uniform(0, (starts[-1] - first_signup).total_seconds(), n_students)
    )  # student k signs up at first_signup + signup[k]
    ability = rng.normal(0.2, 1.0, n_students)
    answers = 0
    with engine.begin() as conn:
        load = Loader(conn)
        load.insert(
            "student",
            (
                "id",
                "telegram_id",
                "first_name",
                "last_name",
                "language_code",
                "is_reachable",
                "created_at",
                "updated_at",
                "last_seen_at",
            ),
            (
                (
                    k + 1,
                    50_000_000 + k,
                    f"Student{k}",
                    "Bench",
                    "uz",
                    load.flag(k % 17 != 0),
                    load.ts(first_signup + timedelta(seconds=float(signup[k]))),
                    load.ts(first_signup + timedelta(seconds=float(signup[k]))),
                    load.ts(NOW - timedelta(days=float(rng.exponential(40)))),
                )
                for k in range(n_students)
            ),
        )
        exams_taken = np.zeros(n_students, dtype=np.int64)
        session_id = 0
        for e in range(n_exams):
            exam_id, start = e + 1, starts[e]
            end = start + timedelta(hours=3)
            eligible = int(np.searchsorted(signup, (start - first_signup).total_seconds()))
            takers = np.sort(rng.choice(eligible, size=min(per_exam, eligible), replace=False))
            n = len(takers)
            load.insert(
                "exam",
                (
                    "id",
                    "title",
                    "description",
                    "window_start",
                    "window_end",
                    "duration_minutes",
                    "status",
                    "grading_scheme",
                    "created_at",
                    "updated_at",
                    "published_at",
                    "released_at",
                    "is_provisional",
                    "n_participants",
                    "cronbach_alpha",
                    "person_separation_reliability",
                    "sem",
                    "calibration_iterations",
                ),
                [
                    (
                        exam_id,
                        f"Mock exam {exam_id}",
                        "",
                        load.ts(start),
                        load.ts(end),
                        150,
                        "released",
                        "percentile",
                        load.ts(start - timedelta(days=7)),
                        load.ts(end),
                        load.ts(start - timedelta(days=6)),
                        load.ts(end + timedelta(minutes=5)),
                        load.flag(False),
                        n,
                        0.91,
                        0.9,
                        2.8,
                        12,
                    )
                ],
            )
            beta = rng.normal(0, 1, N_ITEMS)
            beta -= beta.mean()
            keys = rng.integers(0, 4, N_ITEMS)
            item_ids = [e * N_ITEMS + c + 1 for c in range(N_ITEMS)]
            accepted = [
                [str(LETTERS[keys[c]])] if spec.options else [str(spec.number)]
                for c, spec in enumerate(LAYOUT)
            ]
            load.insert(
                "examitem",
                (
                    "id",
                    "exam_id",
                    "position",
                    "number",
                    "sub_part",
                    "kind",
                    "options",
                    "accepted_answers",
                    "points",
                    "is_excluded",
                ),
                [
                    (
                        item_ids[c],
                        exam_id,
                        c,
                        spec.number,
                        spec.sub_part,
                        spec.kind,
                        json.dumps(list(spec.options)),
                        json.dumps(accepted[c]),
                        1,
                        load.flag(False),
                    )
                    for c, spec in enumerate(LAYOUT)
                ],
            )
            theta = ability[takers] + rng.normal(0, 0.3, n)
            p = 1 / (1 + np.exp(-(theta[:, None] - beta[None, :])))
            right = rng.random((n, N_ITEMS)) < p
            blank = ~right & (rng.random((n, N_ITEMS)) < 0.03)
            wrong_letter = LETTERS[(keys[None, :] + rng.integers(1, 4, (n, N_ITEMS))) % 4]
            mcq = np.array([bool(spec.options) for spec in LAYOUT])
            key_text = np.array([a[0] for a in accepted], dtype=object)
            values = np.where(
                right,
                key_text[None, :],
                np.where(mcq[None, :], wrong_letter.astype(object), "999"),
            )
            values[blank] = ""
            points = right.sum(axis=1)
            ids = np.arange(session_id + 1, session_id + n + 1)
            session_id += n
            exams_taken[takers] += 1
            scaled = np.clip(50 + 12.5 * theta, 0, 100).round(2)
            order = np.argsort(-scaled, kind="stable")
            rank = np.empty(n, dtype=np.int64)
            rank[order] = np.arange(n)
            grades = np.array(["A+", "A", "B+", "B", "C+", "C", "D"])[
                np.searchsorted([0.1, 0.2, 0.35, 0.5, 0.65, 0.8], rank / n, side="right")
            ]
            infit = rng.normal(1.0, 0.12, n).clip(0.4)
            outfit = (infit + rng.normal(0, 0.1, n)).clip(0.3)
            auto = rng.random(n) < 0.05
            submitted = [start + timedelta(minutes=float(m)) for m in rng.uniform(40, 150, n)]
            deadline = load.ts(start + timedelta(minutes=150, seconds=30))
            load.insert(
                "examsession",
                (
                    "id",
                    "student_id",
                    "exam_id",
                    "status",
                    "started_at",
                    "deadline",
                    "submitted_at",
                    "is_auto_submitted",
                    "graded_at",
                    "points",
                    "max_points",
                    "exercises",
                    "max_exercises",
                    "theta",
                    "theta_se",
                    "scaled_score",
                    "scaled_score_se",
                    "is_provisional",
                    "is_extreme",
                    "grade",
                    "person_infit",
                    "person_outfit",
                    "released_at",
                ),
                (
                    (
                        int(ids[r]),
                        int(takers[r]) + 1,
                        exam_id,
                        "released",
                        load.ts(start),
                        deadline,
                        load.ts(submitted[r]),
                        load.flag(auto[r]),
                        load.ts(submitted[r]),
                        int(points[r]),
                        55,
                        int(points[r]) - 4 if points[r] >= 4 else 0,
                        45,
                        float(theta[r]),
                        0.32,
                        float(scaled[r]),
                        4.0,
                        load.flag(False),
                        load.flag(False),
                        str(grades[r]),
                        float(infit[r]),
                        float(outfit[r]),
                        load.ts(end + timedelta(minutes=5)),
                    )
                    for r in range(n)
                ),
            )
            saved = load.ts(start + timedelta(minutes=30))
            no = load.flag(False)
            yes_no = (load.flag(False), load.flag(True))
            value_rows = values.tolist()
            right_rows = right.tolist()
            load.insert(
                "answer",
                (
                    "session_id",
                    "exam_id",
                    "item_id",
                    "value",
                    "is_flagged",
                    "is_correct",
                    "saved_at",
                ),
                (
                    (
                        int(ids[r]),
                        exam_id,
                        item_ids[c],
                        value_rows[r][c],
                        no,
                        yes_no[right_rows[r][c]],
                        saved,
                    )
                    for r in range(n)
                    for c in range(N_ITEMS)
                ),
            )
            answers += n * N_ITEMS
            facility = right.mean(axis=0)
            total = right.sum(axis=1)
            stats = []
            for c in range(N_ITEMS):
                rest = total - right[:, c]
                disc = float(np.corrcoef(right[:, c], rest)[0, 1])
                counts = {}
                if mcq[c]:
                    chosen = values[:, c]
                    counts = {o: int((chosen == o).sum()) for o in LETTERS}
                    counts[""] = int(n - sum(counts.values()))
                se = 1 / np.sqrt(n * facility[c] * (1 - facility[c]))
                fit_in, fit_out = rng.normal(1.0, 0.08), rng.normal(1.0, 0.12)
                flags = [
                    f"{name}_misfit"
                    for name, v in (("infit", fit_in), ("outfit", fit_out))
                    if not 0.7 <= v <= 1.3
                ]
                stats.append(
                    (
                        exam_id,
                        item_ids[c],
                        n,
                        float(facility[c]),
                        disc,
                        float(beta[c]),
                        float(se),
                        float(fit_in),
                        float(fit_out),
                        float((fit_in - 1) * 10),
                        float((fit_out - 1) * 8),
                        load.flag(False),
                        json.dumps(counts),
                        json.dumps(flags),
                        load.ts(end + timedelta(minutes=5)),
                    )
                )
            load.insert(
                "itemstatistic",
                (
                    "exam_id",
                    "item_id",
                    "n_responses",
                    "facility",
                    "discrimination",
                    "beta",
                    "beta_se",
                    "infit",
                    "outfit",
                    "infit_z",
                    "outfit_z",
                    "is_extreme",
                    "option_counts",
                    "flags",
                    "computed_at",
                ),
                stats,
            )
        rated = np.flatnonzero(exams_taken)
        elo = 1200 + 120 * ability[rated] + rng.normal(0, 60, len(rated))
        load.insert(
            "studentrating",
            ("student_id", "elo", "exams_rated", "updated_at"),
            (
                (int(k) + 1, float(elo[j]), int(exams_taken[k]), load.ts(NOW))
                for j, k in enumerate(rated)
            ),
        )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return Loaded(n_students, n_exams, session_id, answers, time.perf_counter() - t0)


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def timed(call: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls after one warm-up."""
    call()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


@dataclass
class Naive:
    """A naive loop: its queries, how many ran, and the (extrapolated) seconds for all."""

    queries: int
    ran: int
    seconds: float

    @property
    def sampled(self) -> bool:
        return self.ran < self.queries


def naive_loop(
    statements: Callable[[int], Any], n: int, sample: int, rng: np.random.Generator
) -> Naive:
    """Run `statements(k)` for k in range(n) (or a random sample), one query each, in one session."""
    picks = np.arange(n) if n <= sample else rng.choice(n, size=sample, replace=False)
    with session_scope(readonly=True) as db:
        t = time.perf_counter()
        for k in picks:
            db.exec(statements(int(k))).first()
        seconds = time.perf_counter() - t
    return Naive(n, len(picks), seconds * n / max(len(picks), 1))


def combine(*parts: Naive) -> Naive:
    return Naive(
        sum(p.queries for p in parts), sum(p.ran for p in parts), sum(p.seconds for p in parts)
    )


def naive_item_analysis(exam_id: int, sample: int, rng: np.random.Generator) -> Naive:
    """Per item: responses and right answers; per MCQ option (and blank): choices; per session:
    its right answers (the person's raw score for the ability histogram)."""
    with session_scope(readonly=True) as db:
        items = db.exec(
            select(ExamItem.id, ExamItem.options).where(ExamItem.exam_id == exam_id)
        ).all()
        sessions = db.exec(
            select(ExamSession.id).where(
                ExamSession.exam_id == exam_id, col(ExamSession.submitted_at).is_not(None)
            )
        ).all()
    per_item: list[Any] = []
    for item_id, options in items:
        base = select(func.count(Answer.id)).where(
            Answer.exam_id == exam_id, Answer.item_id == item_id
        )
        per_item.append(base)
        per_item.append(base.where(col(Answer.is_correct).is_(True)))
        per_item += [base.where(Answer.value == o) for o in [*options, ""] if options]
    return combine(
        naive_loop(lambda k: per_item[k], len(per_item), sample, rng),
        naive_loop(
            lambda k: select(func.count(Answer.id)).where(
                Answer.session_id == sessions[k], col(Answer.is_correct).is_(True)
            ),
            len(sessions),
            sample,
            rng,
        ),
    )


def _months(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    months = analytics.month_range(analytics.month_of(first), analytics.month_of(last))
    out = []
    for m in months:
        start = datetime(int(m[:4]), int(m[5:7]), 1, tzinfo=UTC)
        out.append((start, (start + timedelta(days=32)).replace(day=1)))
    return out


def naive_analytics(sample: int, rng: np.random.Generator) -> dict[str, Naive]:
    """The same data, one query per student / session / month / exam."""
    since = NOW - timedelta(days=analytics.ACTIVE_DAYS)
    with session_scope(readonly=True) as db:
        students = db.exec(select(Student.id).order_by(Student.id)).all()
        exams = db.exec(select(Exam.id).order_by(Exam.id)).all()
        newest = exams[-1]
        sessions = db.exec(select(ExamSession.id).where(ExamSession.exam_id == newest)).all()
        first = db.exec(select(func.min(Student.created_at))).one()
    months = _months(first, NOW)
    out = {
        "analytics_totals": naive_loop(
            lambda k: select(func.count(ExamSession.id)).where(
                ExamSession.student_id == students[k], col(ExamSession.submitted_at) >= since
            ),
            len(students),
            sample,
            rng,
        ),
        "score_distribution": naive_loop(
            lambda k: select(ExamSession.scaled_score, ExamSession.points).where(
                ExamSession.id == sessions[k]
            ),
            len(sessions),
            sample,
            rng,
        ),
        "user_growth_by_month": naive_loop(
            lambda k: select(func.count(Student.id)).where(
                Student.created_at >= months[k][0], Student.created_at < months[k][1]
            ),
            len(months),
            sample,
            rng,
        ),
        "retention_by_cohort": naive_loop(
            lambda k: select(ExamSession.submitted_at).where(
                ExamSession.student_id == students[k], col(ExamSession.submitted_at).is_not(None)
            ),
            len(students),
            sample,
            rng,
        ),
        "elo_distribution": naive_loop(
            lambda k: select(StudentRating.elo).where(StudentRating.student_id == students[k]),
            len(students),
            sample,
            rng,
        ),
    }
    per_exam = []
    for exam_id in exams:
        base = select(func.count(ExamSession.id)).where(ExamSession.exam_id == exam_id)
        per_exam += [
            base,
            base.where(col(ExamSession.submitted_at).is_not(None)),
            base.where(col(ExamSession.is_auto_submitted).is_(True)),
        ]
    out["participation_per_exam"] = naive_loop(lambda k: per_exam[k], len(per_exam), sample, rng)
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms" if seconds < 10 else f"{seconds:9.1f} s "


def _naive_text(n: Naive) -> str:
    how = f"{n.queries:,} q" + (f", {n.ran:,} sampled" if n.sampled else "")
    return f"{_ms(n.seconds)}  ({how})"


def run(backend: str, args: argparse.Namespace) -> None:
    url, drop = _database(backend)
    previous = settings.database_url
    object.__setattr__(settings, "database_url", url)
    try:
        loaded = populate(args.students, args.exams, args.sessions)
        print(
            f"\n{backend}: {loaded.students:,} students, {loaded.exams} released exams, "
            f"{loaded.sessions:,} sessions, {loaded.answers:,} answers; "
            f"loaded in {loaded.seconds:.0f} s"
        )
        rng = np.random.default_rng(17)
        exam_id = loaded.exams  # the newest
        fast = {
            "item_analysis": timed(lambda: item_analysis(exam_id), args.repeat),
            "item_characteristic_curve": timed(
                lambda: item_characteristic_curve(exam_id, "17"), args.repeat
            ),
        }
        naive_items = naive_item_analysis(exam_id, args.sample, rng)
        analytics_calls: dict[str, Callable[[], object]] = {
            "analytics_totals": lambda: analytics.analytics_totals(now=NOW),
            "score_distribution": lambda: analytics.score_distribution(exam_id),
            "user_growth_by_month": lambda: analytics.user_growth_by_month(now=NOW),
            "retention_by_cohort": lambda: analytics.retention_by_cohort(now=NOW),
            "elo_distribution": lambda: analytics.elo_distribution(),
            "participation_per_exam": lambda: analytics.participation_per_exam(now=NOW),
        }
        fast_analytics = {name: timed(call, args.repeat) for name, call in analytics_calls.items()}
        naive_parts = naive_analytics(args.sample, rng)

        print(f"{'':<28}{'services (median)':>18}   {'naive baseline':<40}{'ratio':>8}")
        items_total = sum(fast.values())
        for name, seconds in fast.items():
            print(f"{name:<28}{_ms(seconds):>18}")
        print(
            f"{'= item-analysis data':<28}{_ms(items_total):>18}   "
            f"{_naive_text(naive_items):<40}{naive_items.seconds / items_total:>7.0f}×"
        )
        for name, seconds in fast_analytics.items():
            n = naive_parts[name]
            print(
                f"{name:<28}{_ms(seconds):>18}   {_naive_text(n):<40}{n.seconds / seconds:>7.0f}×"
            )
        total_fast = sum(fast_analytics.values())
        total_naive = combine(*naive_parts.values())
        print(
            f"{'= analytics data':<28}{_ms(total_fast):>18}   "
            f"{_naive_text(total_naive):<40}{total_naive.seconds / total_fast:>7.0f}×"
        )
        slowest = max([*fast.values(), *fast_analytics.values()])
        print(f"slowest single call: {_ms(slowest).strip()} (target ≤ 500 ms)")
        others: dict[str, Callable[[], object]] = {
            "results_table (by scaled)": lambda: exam_results.results_table(
                exam_id, sort="scaled", limit=50
            ),
            "live_monitor": lambda: exam_results.live_monitor(exam_id, now=NOW),
            "list_students (by exams)": lambda: student_directory.list_students(sort="exams"),
            "list_students (search)": lambda: student_directory.list_students(search="ent12"),
        }
        print("other admin reads (no baseline):")
        for name, call in others.items():
            print(f"{name:<28}{_ms(timed(call, args.repeat)):>18}")
    finally:
        object.__setattr__(settings, "database_url", previous)
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--exams", type=int, default=10)
    parser.add_argument("--students", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    try:
        for backend in args.backend:
            run(backend, args)
    finally:
        db_module.dispose_engines()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
