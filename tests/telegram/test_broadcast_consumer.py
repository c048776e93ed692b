"""A broadcast through the real Huey consumer: SIGKILL halfway, restart, nobody gets it twice."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus
from mockexam.services import broadcasts
from tests.consumer import Consumer, wait_for
from tests.telegram.conftest import WEBAPP_URL, add_students

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

RATE = 100  # messages per second: the sender's setting and the fake's enforced limit


@pytest.fixture
def consumers(db_url, fake_api, tmp_path):
    """Start consumer processes whose Telegram settings point at the fake Bot API."""
    started: list[Consumer] = []
    env = {
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_BASE_URL": fake_api.base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": str(RATE),
        "WEBAPP_URL": WEBAPP_URL,
    }

    def start() -> Consumer:
        consumer = Consumer(
            database_url=db_url,
            queue_path=tmp_path / "queue.db",
            log_path=tmp_path / f"consumer-{len(started)}.log",
            extra_env=env,
        )
        started.append(consumer)
        return consumer.start()

    yield start
    for consumer in started:
        consumer.stop()


def _statuses(broadcast_id: int) -> dict[int, str]:
    with session_scope(readonly=True) as db:
        return dict(
            db.exec(
                select(Delivery.chat_id, Delivery.status).where(
                    Delivery.broadcast_id == broadcast_id
                )
            ).all()
        )


def test_sigkill_halfway_through_a_broadcast_then_restart_sends_each_message_once(
    db_url, fake_api, consumers
):
    n = 300
    with session_scope() as db:
        chats = add_students(db, n)
        created = broadcasts.send_custom_broadcast(db, text="Imtihon natijalari tez orada")
    # A third of the way in, the fake delivers one message and holds its answer for
    # 6 s (under the 10 s read timeout): the kill lands between claim and record.
    slow_chat = chats[n // 3]
    fake_api.configure(rate_limit=RATE, slow_chats={slow_chat: 6.0})

    def in_flight() -> bool:
        if _statuses(created.broadcast_id).get(slow_chat) != DeliveryStatus.SENDING:
            return False
        return fake_api.counts_by_chat()[slow_chat] == 1  # delivered, answer still pending

    # No task is enqueued: the consumer's periodic sweep finds the unsent broadcast.
    first = consumers()
    wait_for(
        in_flight,
        timeout=60,
        interval=0.02,
        what="the first consumer to be waiting for Telegram's answer a third of the way in",
        log=first.log,
    )
    first.kill()
    delivered_before = set(fake_api.counts_by_chat())
    assert len(delivered_before) < n, "the kill should land in the middle of the broadcast"
    in_doubt = [c for c, s in _statuses(created.broadcast_id).items() if s == "sending"]
    assert in_doubt == [slow_chat]  # exactly the one claimed row is in flight

    second = consumers()

    def finished():
        with session_scope(readonly=True) as db:
            return db.get(Broadcast, created.broadcast_id).status == BroadcastStatus.DONE

    wait_for(finished, timeout=90, what="the restarted consumer to finish", log=second.log)
    second.stop()

    counts = fake_api.counts_by_chat()
    assert fake_api.duplicates() == {}, "a recipient got the broadcast twice"
    statuses = _statuses(created.broadcast_id)
    tally = Counter(statuses.values())
    assert tally[DeliveryStatus.SENT] + tally[DeliveryStatus.UNKNOWN] == n
    assert tally[DeliveryStatus.UNKNOWN] == 1
    # the row in flight at the kill ends unknown and was delivered exactly once, not resent
    assert statuses[slow_chat] == DeliveryStatus.UNKNOWN
    assert counts[slow_chat] == 1
    for chat in chats:
        if statuses[chat] == DeliveryStatus.SENT:
            assert counts[chat] == 1
        else:  # the row in flight at the kill: maybe delivered, never resent
            assert counts[chat] <= 1
            assert chat in in_doubt
    assert delivered_before <= set(counts)
    # the rate held across the crash and the takeover
    assert fake_api.rate_limit_hits == 0
    assert fake_api.max_in_any_second() <= RATE
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(Delivery).where(
                Delivery.broadcast_id == created.broadcast_id,
                col(Delivery.attempts) != 1,
            )
        ).all()
    assert rows == []  # nobody was tried twice
