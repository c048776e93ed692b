"""Exam-end surge: 10,000 students, 55 saved answers each, all at the same deadline.

Phase 1: from the deadline until every session is auto-submitted and graded
by a real Huey consumer's sweep. Phase 2: from window close until every
result and Elo row is released. On SQLite with the SQLite queue, and on
PostgreSQL with the Redis-backed queue.

    .venv/bin/python bench/surge_bench.py [--students 10000] [--backend sqlite postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="mockexam-surge-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bootstrap.db'}")
os.environ["MOCKEXAM_ENV"] = "test"

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, func, insert, text, update  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from mockexam import db as db_module  # noqa: E402
from mockexam.config import settings  # noqa: E402
from mockexam.db import session_scope, utcnow  # noqa: E402
from mockexam.models import (  # noqa: E402
    Answer,
    EloHistory,
    Exam,
    ExamSession,
    ExamStatus,
    Student,
    metadata,
)
from mockexam.services.exams import get_items  # noqa: E402
from tests.consumer import Consumer, wait_for  # noqa: E402
from tests.factories import make_exam  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _database(backend: str) -> tuple[str, callable]:
    if backend == "sqlite":
        url = f"sqlite:///{TMP / f'surge-{uuid.uuid4().hex[:6]}.db'}"
        return url, lambda: None
    schema = f"surge_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def _populate(n: int, rng: np.random.Generator) -> tuple[int, float]:
    """An open exam with n started sessions, every answer saved; returns (exam id, seconds)."""
    t0 = time.perf_counter()
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=2), hours=10)
        items = get_items(db, exam.id)
        now = utcnow()
        db.execute(
            insert(Student),
            [
                {
                    "telegram_id": 5_000_000 + k,
                    "first_name": f"S{k}",
                    "last_name": "",
                    "language_code": "uz",
                    "is_reachable": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for k in range(n)
            ],
        )
        student_ids = list(db.exec(select(Student.id).order_by(Student.id)))
        far = now + timedelta(days=1)
        db.execute(
            insert(ExamSession),
            [
                {
                    "student_id": s,
                    "exam_id": exam.id,
                    "status": "in_progress",
                    "started_at": now - timedelta(minutes=100),
                    "deadline": far,
                    "is_auto_submitted": False,
                    "is_provisional": False,
                    "is_extreme": False,
                }
                for s in student_ids
            ],
        )
        session_ids = list(db.exec(select(ExamSession.id).order_by(ExamSession.id)))
        theta = rng.normal(0, 1, n)
        beta = rng.normal(0, 1, len(items))
        right = rng.random((n, len(items))) < 1 / (1 + np.exp(beta[None, :] - theta[:, None]))
        rows = []
        for r, sid in enumerate(session_ids):
            for c, item in enumerate(items):
                key = item.accepted_answers[0]
                wrong = next(o for o in item.options if o != key) if item.options else "999"
                rows.append(
                    {
                        "session_id": sid,
                        "exam_id": exam.id,
                        "item_id": item.id,
                        "value": key if right[r, c] else wrong,
                        "is_flagged": False,
                        "saved_at": now,
                    }
                )
            if len(rows) >= 50_000:
                db.execute(insert(Answer), rows)
                rows = []
        if rows:
            db.execute(insert(Answer), rows)
        exam_id = exam.id
    return exam_id, time.perf_counter() - t0


def _count(statement) -> int:
    with session_scope(readonly=True) as db:
        return db.exec(statement).one()


def run(backend: str, n: int) -> dict[str, float]:
    url, drop = _database(backend)
    object.__setattr__(settings, "database_url", url)
    metadata.create_all(db_module.get_engine(url))
    try:
        exam_id, setup_s = _populate(n, np.random.default_rng(1))
        extra = {"REDIS_URL": REDIS_URL} if backend == "postgres" else {}
        if extra:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        consumer = Consumer(
            database_url=url,
            queue_path=TMP / f"queue-{backend}.db",
            log_path=TMP / f"consumer-{backend}.log",
            sweep_seconds=1,
            workers=2,
            extra_env=extra,
        ).start()
        try:
            time.sleep(2.0)  # consumer up
            # Phase 1: every session's deadline is now.
            with session_scope() as db:
                deadline = utcnow()
                db.execute(
                    update(ExamSession)
                    .where(ExamSession.exam_id == exam_id)
                    .values(deadline=deadline)
                )
            t0 = time.perf_counter()
            graded = (
                select(func.count())
                .select_from(ExamSession)
                .where(col(ExamSession.graded_at).is_not(None))
            )
            wait_for(
                lambda: _count(graded) == n,
                timeout=600,
                interval=0.25,
                what="every session graded",
                log=consumer.log,
            )
            grade_s = time.perf_counter() - t0
            # Phase 2: the window closes now (grace already over).
            with session_scope() as db:
                db.execute(
                    update(Exam)
                    .where(Exam.id == exam_id)
                    .values(
                        window_end=utcnow() - timedelta(seconds=settings.deadline_grace_seconds)
                    )
                )
            t1 = time.perf_counter()

            def released() -> bool:
                with session_scope(readonly=True) as db:
                    return db.get(Exam, exam_id).status == ExamStatus.RELEASED

            wait_for(released, timeout=600, interval=0.25, what="the release", log=consumer.log)
            release_s = time.perf_counter() - t1
            elo_rows = _count(select(func.count()).select_from(EloHistory))
            results = _count(
                select(func.count())
                .select_from(ExamSession)
                .where(col(ExamSession.scaled_score).is_not(None))
            )
            assert elo_rows == n and results == n, (elo_rows, results)
        finally:
            consumer.stop()
        return {"setup": setup_s, "grade": grade_s, "release": release_s}
    finally:
        db_module.dispose_engines()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    print(f"Exam-end surge: {args.students:,} students × 55 answers, one deadline")
    print(f"{'backend':<26}{'set-up':>10}{'deadline→graded':>18}{'close→released':>17}")
    for backend in args.backend:
        label = "SQLite + SqliteHuey" if backend == "sqlite" else "PostgreSQL + Redis Huey"
        figures = run(backend, args.students)
        print(
            f"{label:<26}{figures['setup']:>9.1f}s{figures['grade']:>17.1f}s"
            f"{figures['release']:>16.1f}s"
        )
    print("targets: ≤ 60 s for each phase")


if __name__ == "__main__":
    main()
