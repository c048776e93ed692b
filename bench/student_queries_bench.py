"""Student read paths at scale: dashboard, history and leaderboard (with own rank) per call.

Data: 100,000 students, 100 weekly released exams (participation drawn per
student from Beta(1, 3.5): about 22 % per exam, ~2.2 M sessions and Elo rows),
their streaks and achievements, the 30-day gains, and one exam open now with
5 % of the students in it. Then each service is called for random students;
p50/p95 are per call, through the service (session, queries, dataclasses).
Targets (issue 4): p95 ≤ 20 ms for dashboard and history, ≤ 50 ms per
leaderboard board, on SQLite and PostgreSQL.

    .venv/bin/python bench/student_queries_bench.py [--students 100000] [--exams 100]
        [--calls 500] [--backend sqlite postgres]

Figures here (2 vCPUs, SQLite 3.40, PostgreSQL 15 on the same machine, 500 calls each):

    p50 / p95 ms        SQLite        PostgreSQL
    dashboard         1.84 / 2.41    6.59 /  9.31
    history           1.59 / 2.70    4.95 /  7.09
    top rated         1.34 / 1.96    4.30 /  5.11
    most improved     1.50 / 2.17    4.52 /  5.18
    most active       1.43 / 2.05    4.57 /  4.98
    elo series        1.10 / 1.57    3.59 /  4.59
    achievements      2.49 / 2.97    8.26 / 10.53

Loading takes ~3–4 min per backend. Before the leaderboard kept its ranks,
PostgreSQL needed 30–66 ms p95 per board (two 100k-row counts per read).

PostgreSQL: TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the data goes to a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="mockexam-student-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bootstrap.db'}")
os.environ["MOCKEXAM_ENV"] = "test"

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from mockexam import db as db_module  # noqa: E402
from mockexam.config import settings  # noqa: E402
from mockexam.db import session_scope, utcnow  # noqa: E402
from mockexam.gamification.achievements import ACHIEVEMENTS, AchievementKind  # noqa: E402
from mockexam.gamification.leaderboard import Board  # noqa: E402
from mockexam.gamification.streaks import streaks_from_matrix  # noqa: E402
from mockexam.models import (  # noqa: E402
    AchievementAward,
    EloHistory,
    Exam,
    ExamSession,
    Streak,
    Student,
    StudentRating,
    metadata,
)
from mockexam.services.achievements import ensure_achievements, get_achievements  # noqa: E402
from mockexam.services.dashboard import get_dashboard  # noqa: E402
from mockexam.services.history import get_elo_series, get_history  # noqa: E402
from mockexam.services.leaderboard import (  # noqa: E402
    get_leaderboard,
    refresh_ranks,
    refresh_recent_gains,
)

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = 20_000


def _database(backend: str) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = TMP / f"students-{uuid.uuid4().hex[:6]}.db"
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


def _insert(conn, table, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL (5× faster to load), executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f'COPY "{table.__tablename__}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row.get(c) for c in columns])
        return
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


def _first_column(mask: np.ndarray) -> np.ndarray:
    """Per row, the first True column, or -1."""
    first = mask.argmax(axis=1)
    return np.where(mask.any(axis=1), first, -1)


def populate(n_students: int, n_exams: int, seed: int = 4) -> dict[str, float]:
    """Write the data set straight into the tables; returns counts and timings."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    now = utcnow().replace(microsecond=0)
    engine = db_module.get_engine()
    metadata.create_all(engine)
    with session_scope() as session:
        ensure_achievements(session)
    codes = {a.code: k + 1 for k, a in enumerate(ACHIEVEMENTS)}  # ids in seeding order

    propensity = rng.beta(1.0, 3.5, n_students)
    taken = rng.random((n_students, n_exams)) < propensity[:, None]
    ability = rng.normal(0, 1, n_students)
    scores = np.clip(50 + 12.5 * (ability[:, None] + rng.normal(0, 0.5, taken.shape)), 0, 100)
    scores = np.round(scores, 2)
    deltas = np.where(taken, rng.normal(3 * ability[:, None], 12, taken.shape), 0.0)
    elo_after = 1200 + np.cumsum(deltas, axis=1)
    elo_before = elo_after - deltas

    first_start = now - timedelta(days=7 * n_exams - 5)
    starts = [first_start + timedelta(days=7 * e) for e in range(n_exams)]
    released = [s + timedelta(hours=3, minutes=10) for s in starts]

    with engine.begin() as conn:
        _insert(
            conn,
            Student,
            [
                {
                    "id": k + 1,
                    "telegram_id": 10_000_000 + k,
                    "first_name": f"Student{k}",
                    "last_name": "Bench",
                    "username": None,
                    "language_code": "uz",
                    "is_reachable": True,
                    "created_at": first_start,
                    "updated_at": first_start,
                }
                for k in range(n_students)
            ],
        )
        exams = [
            {
                "id": e + 1,
                "title": f"Mock exam {e + 1}",
                "description": "",
                "window_start": starts[e],
                "window_end": starts[e] + timedelta(hours=3),
                "duration_minutes": 150,
                "status": "released",
                "grading_scheme": "percentile",
                "created_at": starts[e] - timedelta(days=7),
                "updated_at": released[e],
                "published_at": starts[e] - timedelta(days=6),
                "released_at": released[e],
                "is_provisional": False,
                "n_participants": int(taken[:, e].sum()),
            }
            for e in range(n_exams)
        ]
        open_start = now - timedelta(hours=1)
        exams.append(
            exams[-1]
            | {
                "id": n_exams + 1,
                "title": "Mock exam (open now)",
                "window_start": open_start,
                "window_end": open_start + timedelta(hours=6),
                "status": "published",
                "released_at": None,
                "n_participants": None,
            }
        )
        _insert(conn, Exam, exams)

        session_id = np.zeros(taken.shape, dtype=np.int64)
        next_id = 1
        for e in range(n_exams):
            who = np.flatnonzero(taken[:, e])
            session_id[who, e] = np.arange(next_id, next_id + len(who))
            next_id += len(who)
            start, end = starts[e], starts[e] + timedelta(hours=3)
            points = np.round(scores[who, e] * 0.55).astype(int)
            _insert(
                conn,
                ExamSession,
                [
                    {
                        "id": int(session_id[s, e]),
                        "student_id": int(s) + 1,
                        "exam_id": e + 1,
                        "status": "released",
                        "started_at": start,
                        "deadline": start + timedelta(minutes=150, seconds=30),
                        "submitted_at": start + timedelta(minutes=100),
                        "is_auto_submitted": bool(k % 17 == 0),
                        "graded_at": end,
                        "points": int(p),
                        "max_points": 55,
                        "exercises": int(p * 45 // 55),
                        "max_exercises": 45,
                        "theta": float((scores[s, e] - 50) / 12.5),
                        "theta_se": 0.3,
                        "scaled_score": float(scores[s, e]),
                        "scaled_score_se": 3.75,
                        "is_provisional": False,
                        "is_extreme": False,
                        "grade": "B",
                        "released_at": released[e],
                    }
                    for k, (s, p) in enumerate(zip(who, points, strict=True))
                ],
            )
            _insert(
                conn,
                EloHistory,
                [
                    {
                        "session_id": int(session_id[s, e]),
                        "student_id": int(s) + 1,
                        "exam_id": e + 1,
                        "elo_before": float(elo_before[s, e]),
                        "elo_after": float(elo_after[s, e]),
                        "k_factor": 20.0,
                        "expected": 0.5,
                        "actual": 0.5,
                        "created_at": released[e],
                    }
                    for s in who
                ],
            )
        in_open = np.flatnonzero(rng.random(n_students) < 0.05)
        _insert(
            conn,
            ExamSession,
            [
                {
                    "id": next_id + k,
                    "student_id": int(s) + 1,
                    "exam_id": n_exams + 1,
                    "status": "in_progress",
                    "started_at": open_start + timedelta(minutes=5),
                    "deadline": open_start + timedelta(minutes=155, seconds=30),
                    "is_auto_submitted": False,
                    "is_provisional": False,
                    "is_extreme": False,
                }
                for k, s in enumerate(in_open)
            ],
        )

        counts = taken.sum(axis=1)
        rated = np.flatnonzero(counts)
        _insert(
            conn,
            StudentRating,
            [
                {
                    "student_id": int(s) + 1,
                    "elo": float(elo_after[s, -1]),
                    "exams_rated": int(counts[s]),
                    "updated_at": released[-1],
                }
                for s in rated
            ],
        )
        streak_thresholds = [int(a.threshold) for a in ACHIEVEMENTS if a.kind == "streak"]
        streaks = streaks_from_matrix(taken, thresholds=streak_thresholds)
        _insert(
            conn,
            Streak,
            [
                {
                    "student_id": int(s) + 1,
                    "current": int(streaks.current[s]),
                    "longest": int(streaks.longest[s]),
                    "last_exam_id": int(streaks.last_column[s]) + 1,
                    "updated_at": released[-1],
                }
                for s in rated
            ],
        )

        # Awards: the first exam at which each rule held (as the pipeline would have written).
        cumulative = np.cumsum(taken, axis=1)
        filled = np.where(taken, scores, np.nan)
        previous = np.full(taken.shape, np.nan)
        last_score = np.full(n_students, np.nan)
        for e in range(n_exams):
            previous[:, e] = last_score
            last_score = np.where(taken[:, e], scores[:, e], last_score)
        gain = np.where(taken, filled - previous, np.nan)
        awards: list[dict] = []
        for spec in ACHIEVEMENTS:
            t = spec.threshold
            if spec.kind == AchievementKind.MILESTONE:
                first = _first_column(taken & (scores >= t))
            elif spec.kind == AchievementKind.EXAMS:
                first = _first_column(taken & (cumulative >= t))
            elif spec.kind == AchievementKind.STREAK:
                first = streaks.first_reached[int(t)]
            else:
                first = _first_column(np.nan_to_num(gain, nan=-1e9) >= t)
            for s in np.flatnonzero(first >= 0):
                e = int(first[s])
                awards.append(
                    {
                        "student_id": int(s) + 1,
                        "achievement_id": codes[spec.code],
                        "session_id": int(session_id[s, e]),
                        "awarded_at": released[e],
                        "seen_at": None if e >= n_exams - 1 else released[e] + timedelta(days=1),
                    }
                )
        _insert(conn, AchievementAward, awards)
        if conn.dialect.name == "postgresql":
            for table in ("student", "exam", "examsession", "elohistory", "achievementaward"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                    )
                )
    load_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    with session_scope() as session:  # what every release does after Elo
        refresh_recent_gains(session, now=now)
        refresh_ranks(session)
    refresh_seconds = time.perf_counter() - t1
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {
        "sessions": float(taken.sum()),
        "awards": float(len(awards)),
        "load_seconds": load_seconds,
        "refresh_seconds": refresh_seconds,
        "rated": float(len(rated)),
    }


def measure(
    name: str, call: Callable[[int], object], students: np.ndarray, warmup: int = 20
) -> tuple[str, float, float, float]:
    for sid in students[:warmup]:
        call(int(sid))
    times = []
    for sid in students[warmup:]:
        t = time.perf_counter()
        call(int(sid))
        times.append((time.perf_counter() - t) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    return name, float(p50), float(p95), float(max(times))


def run(backend: str, n_students: int, n_exams: int, calls: int) -> None:
    url, drop = _database(backend)
    previous = settings.database_url
    object.__setattr__(settings, "database_url", url)
    try:
        info = populate(n_students, n_exams)
        print(
            f"\n{backend}: {n_students:,} students, {n_exams} released exams, "
            f"{int(info['sessions']):,} sessions and Elo rows, {int(info['awards']):,} awards, "
            f"{int(info['rated']):,} rated; loaded in {info['load_seconds']:.0f} s; "
            f"30-day gains and ranks computed in {info['refresh_seconds']:.1f} s"
        )
        rng = np.random.default_rng(99)
        now = utcnow()
        picks = rng.integers(1, n_students + 1, calls + 20)
        checks: list[tuple[str, Callable[[int], object]]] = [
            ("dashboard", lambda s: get_dashboard(student_id=s, now=now)),
            ("history", lambda s: get_history(student_id=s)),
            *[
                (
                    f"leaderboard {b.value}",
                    lambda s, b=b: get_leaderboard(student_id=s, board=b, now=now),
                )
                for b in Board
            ],
            ("elo series", lambda s: get_elo_series(student_id=s)),
            ("achievements", lambda s: get_achievements(student_id=s)),
        ]
        print(f"{'service':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   ({calls} calls each)")
        for name, call in checks:
            _, p50, p95, worst = measure(name, call, picks)
            print(f"{name:<28}{p50:>9.2f}{p95:>9.2f}{worst:>9.1f}")
    finally:
        object.__setattr__(settings, "database_url", previous)
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--exams", type=int, default=100)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    try:
        for backend in args.backend:
            run(backend, args.students, args.exams, args.calls)
    finally:
        db_module.dispose_engines()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
