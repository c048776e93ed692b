"""Scale-out mode: Huey consumers on the Redis queue and PostgreSQL, SIGKILLed mid-work.

One consumer is killed while it calibrates an exam (inside the release
transaction, the exam row locked) or while it sends a broadcast; then two
consumers (one with the periodic sweep, one `--no-periodic`, as `make
run-scale` runs them) finish the work from the database alone. Nothing is
applied twice: Elo rows, achievement awards, Telegram deliveries (counted by
the fake Bot API, which also enforces the rate).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import (
    AchievementAward,
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    EloHistory,
    Exam,
    ExamSession,
    ExamStatus,
    StudentRating,
    TelegramSender,
)
from mockexam.services import broadcasts, release
from mockexam.tasks import run_sweep
from tests.consumer import Consumer, wait_for
from tests.factories import make_cohort, make_exam
from tests.telegram.conftest import WEBAPP_URL, add_students, fake_api  # noqa: F401
from tests.telegram.fake_bot_api import FakeBotAPI

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

RATE = 200  # messages per second: the senders' setting and the fake's enforced limit


@pytest.fixture
def consumers(pg_url, redis_queue_url, fake_api, tmp_path):  # noqa: F811
    """Start consumer processes on the Redis queue, Telegram pointed at the fake."""
    started: list[Consumer] = []
    env = {
        "REDIS_URL": redis_queue_url,
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_BASE_URL": fake_api.base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": str(RATE),
        "WEBAPP_URL": WEBAPP_URL,
    }

    def start(*, periodic: bool = True) -> Consumer:
        consumer = Consumer(
            database_url=pg_url,
            queue_path=tmp_path / "unused.db",
            log_path=tmp_path / f"consumer-{len(started)}.log",
            extra_env=env,
        )
        if not periodic:
            consumer.argv_extra = ["--no-periodic"]
        started.append(consumer)
        return consumer.start()

    yield start
    for consumer in started:
        consumer.stop()
    assert not (tmp_path / "unused.db").exists()  # nothing went to a SQLite queue


def _schema(pg_url: str) -> str:
    """The schema of a test database's URL (`options=-csearch_path=<schema> -c…`)."""
    return unquote(pg_url.rsplit("search_path%3D", 1)[1]).split("&")[0].split()[0]


def _release_in_progress(schema: str) -> bool:
    """Another connection holds the exam row lock (`SELECT … FOR UPDATE`): a release is running."""
    with session_scope(readonly=True) as db:
        return bool(
            db.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relname = 'exam' "
                    "AND l.mode = 'RowShareLock' AND l.granted AND l.pid <> pg_backend_pid()"
                ),
                {"schema": schema},
            ).scalar()
        )


def _count(model, *where) -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_consumer_sigkilled_mid_calibration_then_the_sweeps_release_once(
    pg_url,
    consumers,
    fake_api: FakeBotAPI,  # noqa: F811
):
    n = 1500
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=4, minutes=5), hours=4)
        session_ids, _, _ = make_cohort(db, exam, n=n, seed=3, graded=True)
        exam_id = exam.id
    fake_api.configure(rate_limit=RATE)
    schema = _schema(pg_url)

    first = consumers()
    wait_for(
        lambda: _release_in_progress(schema),
        timeout=60,
        interval=0.01,
        what="the first consumer to be inside the release transaction",
        log=first.log,
    )
    first.kill()
    # The killed transaction left nothing behind.
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam_id).status == ExamStatus.PUBLISHED
    assert _count(EloHistory, EloHistory.exam_id == exam_id) == 0
    assert _count(AchievementAward) == 0
    assert fake_api.counts_by_chat() == Counter()

    second = consumers()
    consumers(periodic=False)

    def results_sent() -> bool:
        with session_scope(readonly=True) as db:
            if db.get(Exam, exam_id).status != ExamStatus.RELEASED:
                return False
            statuses = db.exec(select(Broadcast.status).where(Broadcast.exam_id == exam_id)).all()
        return bool(statuses) and all(s == BroadcastStatus.DONE for s in statuses)

    wait_for(results_sent, timeout=120, what="release and the results message", log=second.log)
    with session_scope(readonly=True) as db:
        history = db.exec(select(EloHistory).where(EloHistory.exam_id == exam_id)).all()
        assert sorted(h.session_id for h in history) == sorted(session_ids)  # one each
        ratings = db.exec(select(StudentRating)).all()
        assert len(ratings) == n
        assert all(r.exams_rated == 1 for r in ratings)
        awards = db.exec(select(AchievementAward.student_id, AchievementAward.achievement_id)).all()
        graded = db.exec(
            select(func.count())
            .select_from(ExamSession)
            .where(ExamSession.exam_id == exam_id, col(ExamSession.scaled_score).is_not(None))
        ).one()
    assert graded == n
    assert awards, "a release gives first-exam awards"
    assert len(awards) == len(set(awards))
    assert fake_api.duplicates() == {}, "a student got the results message twice"
    assert len(fake_api.counts_by_chat()) == n  # every participant got it once
    assert fake_api.rate_limit_hits == 0
    # Another sweep and another release change nothing.
    assert release.release_exam(exam_id) is None
    run_sweep()
    assert _count(EloHistory, EloHistory.exam_id == exam_id) == n
    assert _count(AchievementAward) == len(awards)


def _statuses(broadcast_id: int) -> dict[int, str]:
    with session_scope(readonly=True) as db:
        return dict(
            db.exec(
                select(Delivery.chat_id, Delivery.status).where(
                    Delivery.broadcast_id == broadcast_id
                )
            ).all()
        )


def test_consumer_sigkilled_mid_broadcast_on_the_redis_queue_each_message_sent_once(
    consumers,
    fake_api: FakeBotAPI,  # noqa: F811
):
    n = 400
    with session_scope() as db:
        chats = add_students(db, n)
        created = broadcasts.send_custom_broadcast(db, text="Natijalar tez orada")
    slow_chat = chats[n // 3]  # delivered, its answer held 6 s: the kill lands in flight
    fake_api.configure(rate_limit=RATE, slow_chats={slow_chat: 6.0})

    def in_flight() -> bool:
        if _statuses(created.broadcast_id).get(slow_chat) != DeliveryStatus.SENDING:
            return False
        return fake_api.counts_by_chat()[slow_chat] == 1

    periodic = consumers()
    other = consumers(periodic=False)
    wait_for(in_flight, timeout=60, interval=0.02, what="a third of the broadcast sent")
    with session_scope(readonly=True) as db:
        holder = db.exec(select(TelegramSender.holder)).one()
    sender = next(c for c in (periodic, other) if f":{c.process.pid}:" in holder)
    sender.kill()
    assert len(fake_api.counts_by_chat()) < n, "the kill should land mid-broadcast"
    if sender is periodic:
        consumers()  # the sweep runs on the periodic consumer: start it again

    def finished():
        with session_scope(readonly=True) as db:
            return db.get(Broadcast, created.broadcast_id).status == BroadcastStatus.DONE

    wait_for(finished, timeout=120, what="the broadcast to finish after the kill")
    counts = fake_api.counts_by_chat()
    assert fake_api.duplicates() == {}
    statuses = _statuses(created.broadcast_id)
    tally = Counter(statuses.values())
    assert tally[DeliveryStatus.SENT] == n - 1
    assert statuses[slow_chat] == DeliveryStatus.UNKNOWN  # in flight at the kill: never resent
    assert counts[slow_chat] == 1
    assert all(counts[chat] == 1 for chat in chats)
    assert fake_api.rate_limit_hits == 0
    assert fake_api.max_in_any_second() <= RATE
