"""The pipeline with a real Huey consumer process: auto-submit, and a SIGKILL mid-scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import EloHistory, Exam, ExamSession, ExamStatus, StudentRating
from mockexam.services import release, sessions
from tests.consumer import Consumer, wait_for
from tests.factories import make_cohort, make_exam, make_student

pytestmark = pytest.mark.slow


@pytest.fixture
def consumer_factory(db_url, tmp_path):
    started: list[Consumer] = []

    def make(**kwargs) -> Consumer:
        consumer = Consumer(
            database_url=db_url,
            queue_path=tmp_path / "queue.db",
            log_path=tmp_path / "consumer.log",
            **kwargs,
        )
        started.append(consumer)
        return consumer.start()

    yield make
    for consumer in started:
        consumer.stop()


def test_abandoned_session_is_auto_submitted_by_the_periodic_sweep(consumer_factory):
    with session_scope() as db:
        exam = make_exam(db)
        student = make_student(db)
        es = sessions.start_session(db, student_id=student.id, exam_id=exam.id)
        sessions.save_answer(db, student_id=student.id, session_id=es.id, label="1", value="A")
        deadline = utcnow() + timedelta(seconds=2)
        db.execute(
            update(ExamSession).where(col(ExamSession.id) == es.id).values(deadline=deadline)
        )
    consumer = consumer_factory()

    def submitted():
        with session_scope(readonly=True) as db:
            row = db.get(ExamSession, es.id)
            return row if row.graded_at is not None else None

    row = wait_for(
        submitted, timeout=45, what="the sweep to auto-submit and grade", log=consumer.log
    )
    assert row.is_auto_submitted
    assert row.submitted_at == deadline
    assert row.points == 1  # the saved answer survived and was graded
    assert "Auto-submitted 1 session" in consumer.log()


def test_sigkill_while_scoring_then_restart_finishes_once(consumer_factory):
    n = 1200
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=5), hours=4)
        session_ids, _, _ = make_cohort(db, exam, n=n)
        exam_id = exam.id

    def graded_count() -> int:
        with session_scope(readonly=True) as db:
            return db.exec(
                select(func.count())
                .select_from(ExamSession)
                .where(col(ExamSession.graded_at).is_not(None))
            ).one()

    first = consumer_factory(workers=1, extra_env={"GRADING_BATCH_SIZE": "50"})
    wait_for(
        lambda: graded_count() >= 50,
        timeout=60,
        interval=0.05,
        what="grading to begin",
        log=first.log,
    )
    first.kill()
    done_before = graded_count()
    assert 0 < done_before < n, "the kill should land in the middle of grading"
    with session_scope(readonly=True) as db:
        graded_at_before = dict(
            db.exec(
                select(ExamSession.id, ExamSession.graded_at).where(
                    col(ExamSession.graded_at).is_not(None)
                )
            ).all()
        )
        assert db.get(Exam, exam_id).status == ExamStatus.PUBLISHED

    second = consumer_factory(workers=2, extra_env={"GRADING_BATCH_SIZE": "50"})

    def released():
        with session_scope(readonly=True) as db:
            return db.get(Exam, exam_id).status == ExamStatus.RELEASED

    wait_for(
        released, timeout=120, what="the restarted consumer to release the exam", log=second.log
    )
    second.stop()
    with session_scope(readonly=True) as db:
        rows = db.exec(select(ExamSession).where(ExamSession.exam_id == exam_id)).all()
        assert len(rows) == n
        assert all(r.graded_at is not None and r.scaled_score is not None for r in rows)
        for r in rows:  # graded once: a session graded before the kill kept its grading time
            if r.id in graded_at_before:
                assert r.graded_at == graded_at_before[r.id]
        history = db.exec(select(EloHistory).where(EloHistory.exam_id == exam_id)).all()
        assert sorted(h.session_id for h in history) == sorted(session_ids)
        ratings = {r.student_id: r for r in db.exec(select(StudentRating))}
        for h in history:
            assert ratings[h.student_id].exams_rated == 1
            assert ratings[h.student_id].elo == pytest.approx(h.elo_after)
    assert release.release_exam(exam_id) is None  # a re-run changes nothing


def test_window_close_releases_every_result_through_the_consumer(consumer_factory):
    """300 simulated students, known Rasch parameters: the consumer's sweep releases the exam."""
    n = 300
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=4, seconds=31), hours=4)
        session_ids, theta, _ = make_cohort(db, exam, n=n, seed=11, graded=True)
        exam_id = exam.id
    consumer = consumer_factory()

    def released():
        with session_scope(readonly=True) as db:
            return db.get(Exam, exam_id).status == ExamStatus.RELEASED

    wait_for(released, timeout=90, what="the sweep to release the exam", log=consumer.log)
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(ExamSession).where(ExamSession.exam_id == exam_id).order_by(ExamSession.id)
        ).all()
        assert [r.id for r in rows] == sorted(session_ids)
        assert all(r.scaled_score is not None and r.grade and r.theta_se > 0 for r in rows)
        history = db.exec(select(EloHistory).where(EloHistory.exam_id == exam_id)).all()
        assert sorted(h.session_id for h in history) == sorted(session_ids)
        import numpy as np

        assert np.corrcoef([r.theta for r in rows], theta)[0, 1] > 0.9
        snapshot = [(r.id, r.theta, r.grade) for r in rows]
    assert release.release_exam(exam_id) is None
    with session_scope(readonly=True) as db:
        again = [
            (r.id, r.theta, r.grade)
            for r in db.exec(
                select(ExamSession).where(ExamSession.exam_id == exam_id).order_by(ExamSession.id)
            )
        ]
    assert again == snapshot


@pytest.mark.redis
@pytest.mark.postgres
def test_scale_out_mode_runs_the_pipeline_on_a_redis_queue(pg_url, redis_queue_url, tmp_path):
    """PostgreSQL + Redis-backed Huey: two consumers (one periodic) auto-submit and release."""
    with session_scope() as db:
        closed = make_exam(db, start=utcnow() - timedelta(days=1, hours=5), hours=4)
        make_cohort(db, closed, n=40, seed=5)
        open_exam = make_exam(db, start=utcnow() - timedelta(minutes=5), hours=3)
        student = make_student(db)
        es = sessions.start_session(db, student_id=student.id, exam_id=open_exam.id)
        db.execute(
            update(ExamSession)
            .where(col(ExamSession.id) == es.id)
            .values(deadline=utcnow() + timedelta(seconds=1))
        )
        closed_id = closed.id
    env = {"REDIS_URL": redis_queue_url}
    consumers = [
        Consumer(
            database_url=pg_url,
            queue_path=tmp_path / "unused.db",
            log_path=tmp_path / f"consumer{k}.log",
            extra_env=env,
        )
        for k in range(2)
    ]
    consumers[0].start()
    consumers[1].argv_extra = ["--no-periodic"]
    consumers[1].start()
    try:

        def done():
            with session_scope(readonly=True) as db:
                swept = db.get(ExamSession, es.id)
                return (
                    db.get(Exam, closed_id).status == ExamStatus.RELEASED
                    and swept.is_auto_submitted
                    and swept.graded_at is not None
                )

        wait_for(done, timeout=60, what="auto-submit and release over Redis", log=consumers[0].log)
        assert "RedisHuey" in consumers[0].log()
        assert "periodic=False" in consumers[1].log()
        assert not (tmp_path / "unused.db").exists()  # nothing went to a SQLite queue
    finally:
        for consumer in consumers:
            consumer.stop()
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(EloHistory).where(EloHistory.exam_id == closed_id)).all()) == 40
