"""Broadcasts over the real PTB client and the fake Bot API (in-process sender).

The consumer-process tests (SIGKILL mid-broadcast) are in test_broadcast_consumer.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import ValidationError
from mockexam.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Exam,
    Student,
    TelegramSender,
)
from mockexam.services import broadcasts
from mockexam.services.broadcasts import sender_key
from mockexam.telegram.gateway import Outcome, SendResult, TelegramGateway
from tests.factories import make_exam, make_student
from tests.telegram.conftest import WEBAPP_URL, add_students, fast_gateway

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _rows(broadcast_id: int) -> list[Delivery]:
    with session_scope(readonly=True) as db:
        rows = list(
            db.exec(
                select(Delivery)
                .where(Delivery.broadcast_id == broadcast_id)
                .order_by(col(Delivery.id))
            )
        )
        db.expunge_all()  # keep them loaded after the read-only rollback
        return rows


def _progress(broadcast_id: int) -> broadcasts.BroadcastProgress:
    with session_scope(readonly=True) as db:
        return broadcasts.broadcast_progress(db, broadcast_id)


def _custom(text: str = "Ertaga sinov imtihoni!", **kwargs) -> broadcasts.CreatedBroadcast:
    with session_scope() as db:
        return broadcasts.send_custom_broadcast(db, text=text, **kwargs)


# ---------------------------------------------------------------------------
# The big one: 1,000 recipients, 429s, 403s, 400s and a reply past the timeout
# (each 429 costs the whole second Telegram asks for: 2,000 recipients spent 20 s
# of the test's 40 s waiting, and added nothing the first thousand do not show)
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_broadcast_to_1000_students_delivers_each_message_exactly_once(db_url, telegram):
    n = 1000
    with session_scope() as db:
        chats = add_students(db, n)
    blocked = set(chats[7::33])  # ~3 %
    deactivated = {chats[5], chats[n * 3 // 4]}
    bad = {chats[11], chats[n // 2 - 1], chats[n - 2]}
    slow = chats[n * 5 // 8]
    telegram.configure(
        retry_every=100,
        retry_after=1,
        blocked=blocked,
        deactivated=deactivated,
        bad_chats=bad,
        slow_chats={slow: 2.0},
    )
    created = _custom()
    assert created.total == n

    report = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram, read_timeout=0.5))

    assert report.state == "finished"
    undeliverable = blocked | deactivated | bad
    rows = _rows(created.broadcast_id)
    by_chat = {r.chat_id: r for r in rows}
    counts = telegram.counts_by_chat()
    # every deliverable message arrived exactly once; nothing reached the others
    assert telegram.duplicates() == {}
    assert set(counts) == set(chats) - undeliverable
    for chat in set(chats) - undeliverable - {slow}:
        assert by_chat[chat].status == DeliveryStatus.SENT
        assert by_chat[chat].message_id is not None and by_chat[chat].sent_at is not None
    # the reply that came too late: delivered by Telegram, recorded as unknown, not resent
    assert by_chat[slow].status == DeliveryStatus.UNKNOWN
    assert by_chat[slow].attempts == 1
    for chat in blocked | deactivated:
        assert by_chat[chat].status == DeliveryStatus.BLOCKED
    for chat in bad:
        assert by_chat[chat].status == DeliveryStatus.FAILED
        assert "not found" in by_chat[chat].error.lower()
    # 429s were waited out and retried: some rows needed two attempts, none went twice
    assert telegram.too_many_requests >= n // 100 - 1
    assert sum(r.attempts > 1 for r in rows) == telegram.too_many_requests
    # the students who blocked the bot are unreachable now and left out next time
    with session_scope(readonly=True) as db:
        unreachable = set(
            db.exec(select(Student.telegram_id).where(col(Student.is_reachable).is_(False)))
        )
    assert unreachable == blocked | deactivated
    # the report adds up to the total
    progress = _progress(created.broadcast_id)
    assert progress.status == BroadcastStatus.DONE
    assert (progress.sent, progress.blocked, progress.failed, progress.unknown) == (
        n - len(undeliverable) - 1,
        len(blocked | deactivated),
        len(bad),
        1,
    )
    assert progress.finished == progress.total == n
    assert progress.pending == progress.sending == 0
    assert "not resent" in progress.notice
    # a second run finds nothing to do and sends nothing
    before = telegram.message_count()
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).sent == 0
    assert telegram.message_count() == before
    second = _custom("Yana bir xabar")
    assert second.total == n - len(blocked | deactivated)


# ---------------------------------------------------------------------------
# Creation, recipients, texts
# ---------------------------------------------------------------------------
def test_create_broadcast_recipients_are_reachable_students_at_creation(db):
    make_student(db, telegram_id=101)
    make_student(db, telegram_id=102)
    gone = make_student(db, telegram_id=103)
    gone.is_reachable = False
    db.add(gone)
    db.commit()
    created = broadcasts.send_custom_broadcast(db, text="  Salom  ")
    db.commit()
    make_student(db, telegram_id=104)  # joins later: not a recipient of this one
    db.commit()
    assert created.total == 2
    assert sorted(r.chat_id for r in _rows(created.broadcast_id)) == [101, 102]
    assert _progress(created.broadcast_id).text == "Salom"


def test_create_broadcast_refuses_empty_and_too_long_text(db):
    with pytest.raises(ValidationError, match="empty"):
        broadcasts.send_custom_broadcast(db, text="   ")
    with pytest.raises(ValidationError, match="4096"):
        broadcasts.send_custom_broadcast(db, text="x" * 4097)


def test_without_token_broadcasts_are_created_and_say_nothing_is_sent(db):
    assert not settings.telegram_enabled
    make_student(db, telegram_id=201)
    created = broadcasts.send_custom_broadcast(db, text="Salom")
    db.commit()
    assert created.total == 1 and not created.delivery_enabled
    progress = _progress(created.broadcast_id)
    assert progress.status == BroadcastStatus.PENDING
    assert not progress.delivery_enabled
    assert "TELEGRAM_BOT_TOKEN is unset" in progress.notice
    assert "nothing is being sent" in progress.describe()
    assert progress.eta_seconds is None
    report = broadcasts.deliver_pending()
    assert report.state == "disabled"
    from mockexam.tasks_telegram import start_delivery

    assert start_delivery() is False
    assert _rows(created.broadcast_id)[0].status == DeliveryStatus.PENDING


def test_notify_new_exam_texts_in_each_language_with_button_and_one_channel_post(
    db, telegram, monkeypatch
):
    monkeypatch.setattr(settings, "telegram_channel_id", "@mockexam_uz")
    for tid, lang in ((301, "uz"), (302, "ru"), (303, "en"), (304, "de")):
        make_student(db, telegram_id=tid, language_code=lang)
    exam = make_exam(db, title="Matematika №7", start=utcnow() + timedelta(days=2))
    db.commit()
    created = broadcasts.notify_new_exam(db, exam.id, admin_id=None)
    db.commit()
    assert created.created and created.total == 4 and created.channel_post
    again = broadcasts.notify_new_exam(db, exam.id)  # the Notify button pressed twice
    db.commit()
    assert (again.broadcast_id, again.created) == (created.broadcast_id, False)

    report = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert report.sent == 4
    by_chat = {m.chat_id: m for m in telegram.messages}
    assert "Yangi sinov imtihoni: «Matematika №7»" in by_chat[301].text
    assert "Новый пробный экзамен" in by_chat[302].text
    assert "New mock exam: “Matematika №7”" in by_chat[303].text
    assert "Yangi sinov imtihoni" in by_chat[304].text  # unknown language → Uzbek
    assert "Toshkent vaqti" in by_chat[301].text
    button = by_chat[302].reply_markup["inline_keyboard"][0][0]
    assert button == {"text": "Открыть приложение", "web_app": {"url": WEBAPP_URL}}
    post = by_chat["@mockexam_uz"]
    assert list(by_chat).count("@mockexam_uz") == 1
    assert post.reply_markup["inline_keyboard"][0][0]["url"] == (
        f"https://t.me/{telegram.username}?startapp=exam{exam.id}"
    )
    progress = _progress(created.broadcast_id)
    assert progress.channel_status == DeliveryStatus.SENT and progress.is_done


def test_announcements_whose_exam_closed_meanwhile_are_not_sent(db, telegram):
    make_student(db, telegram_id=311)
    exam = make_exam(db, start=utcnow() - timedelta(minutes=5))
    db.commit()
    created = broadcasts.notify_exam_open(db, exam.id)
    db.commit()
    with session_scope() as s:  # the outage outlasted the exam window
        s.execute(update(Exam).where(col(Exam.id) == exam.id).values(window_end=utcnow()))
    broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert telegram.message_count() == 0
    progress = _progress(created.broadcast_id)
    assert progress.is_done and progress.failed == 1
    assert "window closed" in _rows(created.broadcast_id)[0].error


def test_notify_new_exam_refuses_drafts_and_closed_exams(db):
    draft = make_exam(db, publish=False)
    with pytest.raises(ValidationError, match="publish"):
        broadcasts.notify_new_exam(db, draft.id)
    closed = make_exam(db, start=utcnow() - timedelta(days=2), hours=4)
    with pytest.raises(ValidationError, match="closed"):
        broadcasts.notify_new_exam(db, closed.id)
    with pytest.raises(ValidationError, match="open"):
        broadcasts.notify_exam_open(db, closed.id)
    with pytest.raises(ValidationError, match="released"):
        broadcasts.notify_results_ready(db, closed.id)


def test_results_ready_carries_each_students_own_score_line(db, telegram):
    from mockexam.models import EloHistory, ExamSession
    from mockexam.scoring.points import format_fraction
    from mockexam.services import release
    from tests.factories import make_cohort

    exam = make_exam(db, title="Mock 3", start=utcnow() - timedelta(hours=5), hours=4)
    make_cohort(db, exam, n=12, seed=3)
    outsider = make_student(db, telegram_id=999)  # did not take the exam
    db.commit()
    assert release.release_exam(exam.id) is not None
    with session_scope() as s:
        created = broadcasts.notify_results_ready(s, exam.id)
        again = broadcasts.notify_results_ready(s, exam.id)
    assert created.total == 12 and not again.created
    broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    by_chat = {m.chat_id: m.text for m in telegram.messages}
    assert outsider.telegram_id not in by_chat
    with session_scope(readonly=True) as s:
        rows = s.exec(
            select(ExamSession, Student.telegram_id, EloHistory)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .join(EloHistory, col(EloHistory.session_id) == ExamSession.id)
            .where(ExamSession.exam_id == exam.id)
        ).all()
        s.expunge_all()
    assert len(rows) == 12
    for es, chat, elo in rows:
        text = by_chat[chat]
        assert text.startswith("«Mock 3» natijalari tayyor.")
        assert f"Ball: {format_fraction(es.points, es.max_points, 'uz')}" in text
        assert f"Shkala bali: {es.scaled_score:.1f} ± {es.scaled_score_se:.1f}" in text
        assert f"Baho: {es.grade}" in text
        delta = round(elo.elo_after) - round(elo.elo_before)
        assert f"Elo: {round(elo.elo_before)} → {round(elo.elo_after)} ({delta:+d})" in text


def test_results_ready_of_a_provisional_exam_has_no_grade_and_no_se_and_says_why(db, telegram):
    from mockexam.models import ExamSession
    from mockexam.scoring.points import format_fraction
    from mockexam.services import release
    from tests.factories import make_cohort

    exam = make_exam(db, title="Mock 4", start=utcnow() - timedelta(hours=5), hours=4)
    make_cohort(db, exam, n=3, seed=3)
    db.commit()
    assert not release.release_exam(exam.id).calibrated  # 3 takers: provisional
    with session_scope() as s:
        broadcasts.notify_results_ready(s, exam.id)
    broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    by_chat = {m.chat_id: m.text for m in telegram.messages}
    with session_scope(readonly=True) as s:
        rows = s.exec(
            select(ExamSession, Student.telegram_id)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .where(ExamSession.exam_id == exam.id)
        ).all()
        s.expunge_all()
    assert len(rows) == 3 and all(es.grade for es, _ in rows)  # stored: a rank among three
    minimum = settings.min_participants_for_calibration
    for es, chat in rows:
        title, figures, note = by_chat[chat].split("\n")
        assert title == "«Mock 4» natijalari tayyor."
        percent = f"{es.scaled_score:.1f}".replace(".", ",")
        points = format_fraction(es.points, es.max_points, "uz")
        assert figures.startswith(f"Ball: {points} ({percent}%) · Elo: ")
        assert "Baho" not in figures and "±" not in figures and "Shkala" not in figures
        assert note.startswith(f"Dastlabki natija: bu imtihonni {minimum} nafardan kam")


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("uz", "Ball: 7/55 (12,7%) · Elo: 1200 → 1190 (-10)\nDastlabki natija: "),
        ("ru", "Баллы: 7/55 (12,7%) · Эло: 1200 → 1190 (-10)\nПредварительный результат: "),
        ("en", "Points: 7/55 (12.7%) · Elo: 1200 → 1190 (-10)\nProvisional result: "),
    ],
)
def test_provisional_score_line_in_each_language(lang, line):
    from mockexam.telegram import messages

    score = messages.ScoreLine(
        points=7,
        max_points=55,
        scaled_score=12.73,
        scaled_score_se=0.0,
        grade="A+",
        elo_before=1200,
        elo_after=1190,
        is_provisional=True,
    )
    text = messages.score_line(score, lang)
    assert text.startswith(line)
    figures, note = text.split("\n")
    assert "A+" not in text and "±" not in figures
    assert note == messages.provisional_note(lang)
    assert str(settings.min_participants_for_calibration) in messages.provisional_note(lang)
    calibrated = messages.score_line(
        messages.ScoreLine(7, 55, 41.2, 3.4, "C", 1200, 1190, is_provisional=False), lang
    )
    assert "C" in calibrated and "41.2 ± 3.4" in calibrated and "\n" not in calibrated


def test_sweep_creates_reminder_and_results_ready_once(db, telegram):
    from mockexam.tasks import run_sweep
    from tests.factories import make_cohort

    closed = make_exam(db, title="Past", start=utcnow() - timedelta(hours=5), hours=4)
    make_cohort(db, closed, n=3, seed=5)
    make_student(db, telegram_id=401)  # took no exam
    opened = make_exam(db, title="Now", start=utcnow() - timedelta(minutes=5))
    db.commit()
    run_sweep()  # releases "Past"; huey.immediate: the sender runs inline
    run_sweep()
    with session_scope(readonly=True) as s:
        keys = sorted(s.exec(select(Broadcast.dedupe_key)))
    assert keys == [f"exam_open:{opened.id}", f"results_ready:{closed.id}"]
    texts = [m.text for m in telegram.messages]
    assert sum("«Now» imtihoni boshlandi" in t for t in texts) == 4  # every reachable student
    assert sum("«Past» natijalari tayyor" in t for t in texts) == 3  # the participants only
    assert len(texts) == len({(m.chat_id, m.text) for m in telegram.messages}) == 7


# ---------------------------------------------------------------------------
# The sender: lease, crash recovery, rate, errors
# ---------------------------------------------------------------------------
def _set_lease(holder: str | None, *, expires_in: float, next_send_in: float = 0.0) -> None:
    now = utcnow()
    with session_scope() as db:
        row = db.get(TelegramSender, sender_key(settings.telegram_bot_token))
        row = row or TelegramSender(key=sender_key(settings.telegram_bot_token))
        row.holder = holder
        row.expires_at = now + timedelta(seconds=expires_in)
        row.next_send_at = now + timedelta(seconds=next_send_in)
        db.add(row)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_one_sender_per_token_a_live_lease_means_busy(db, telegram):
    make_student(db, telegram_id=501)
    db.commit()
    created = _custom()
    _set_lease("other-host:1234:abcd", expires_in=30)
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).state == "busy"
    assert telegram.message_count() == 0
    with session_scope(readonly=True) as s:
        assert broadcasts.sender_is_active(s)
    _set_lease("other-host:1234:abcd", expires_in=-1)  # it stopped renewing: expired
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).sent == 1
    assert _progress(created.broadcast_id).is_done
    with session_scope(readonly=True) as s:
        assert not broadcasts.sender_is_active(s)  # released after the run


def test_lease_of_a_killed_process_on_this_host_is_taken_over_at_once(db, telegram):
    make_student(db, telegram_id=502)
    db.commit()
    _custom()
    _set_lease(f"{socket.gethostname()}:{_dead_pid()}:dead", expires_in=50)
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).sent == 1
    _set_lease(f"{socket.gethostname()}:{os.getppid()}:live", expires_in=50)
    _custom("ikkinchi")
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).state == "busy"


def test_a_lease_holder_with_a_non_ascii_pid_is_a_live_lease_not_a_crash(db, telegram):
    make_student(db, telegram_id=503)
    db.commit()
    _custom()
    _set_lease(f"{socket.gethostname()}:\u00b2:odd", expires_in=30)  # '²'.isdigit() is True
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).state == "busy"


def test_row_in_flight_at_a_crash_becomes_unknown_and_is_never_resent(db, telegram):
    chats = add_students(db, 3)
    db.commit()
    created = _custom()
    first = _rows(created.broadcast_id)[0]
    with session_scope() as s:  # a sender claimed it and died before the answer
        s.execute(
            update(Delivery)
            .where(col(Delivery.id) == first.id)
            .values(status=DeliveryStatus.SENDING, attempts=1)
        )
    report = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert report.sent == 2
    assert [m.chat_id for m in telegram.messages] == chats[1:]
    rows = _rows(created.broadcast_id)
    assert rows[0].status == DeliveryStatus.UNKNOWN and "not resent" in rows[0].error
    assert _progress(created.broadcast_id).unknown == 1


def test_rate_is_kept_across_consecutive_senders(db, telegram):
    """A second sender starting right after the first keeps to the moment stored in the lease.

    Rate 2/s (one a second after the margin): a second sender (a fresh Sender and
    gateway: no in-memory pacing carried over) that ignored the stored moment would
    send its first message right after the first sender's last one.
    """
    rate = 2
    telegram.configure(rate_limit=rate)  # the fake answers 429 above 2 messages/s
    chats = add_students(db, 3)
    db.commit()
    _custom("birinchi")
    first = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram), rate=rate)
    _custom("ikkinchi")  # a new sender right away must keep the spacing
    second = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram), rate=rate)
    assert first.sent == second.sent == len(chats)
    assert len(telegram.messages) == 2 * len(chats)
    assert telegram.max_in_any_second() <= rate
    assert telegram.rate_limit_hits == 0
    times = telegram.message_times()
    gap = times[len(chats)] - times[len(chats) - 1]  # first sender's last → second's first
    assert gap >= 1.0  # the next sender waits a full window after the last answer


def test_the_receiver_sees_the_rate_with_a_margin_and_a_stall_is_never_caught_up(db, telegram):
    """Issue 20, item 11: the limit as the receiver counts it, and no burst after a stall.

    The fake enforces 30 messages/s on arrival (429 above it) and records when each
    message arrived; two replies are held back 0.3 s (a stall). Counted over those
    arrival times: never more than 90 % of the limit within any one second, and no
    three messages within 10 ms (a stall used to be "caught up" with back-to-back
    sends, and the hard cap then repeated that burst pattern until the end). Both
    are upper bounds on the rate, which a slow machine only makes easier to keep.
    """
    rate = 30
    n = 100
    chats = add_students(db, n)
    db.commit()
    telegram.configure(rate_limit=rate, slow_chats={chats[15]: 0.3, chats[55]: 0.3})
    _custom()
    gateway = fast_gateway(telegram, read_timeout=10.0)  # a stall, not a timeout, on a busy CI
    report = broadcasts.deliver_pending(gateway_factory=gateway, rate=rate)
    assert report.sent == n
    assert telegram.duplicates() == {} and telegram.message_count() == n
    assert telegram.rate_limit_hits == 0
    assert telegram.max_in_any_second() <= int(rate * 0.9)
    times = telegram.message_times()
    bursts = [(a, c) for a, c in zip(times, times[2:], strict=False) if c - a < 0.010]
    assert bursts == []


def test_one_chat_gets_at_most_one_message_a_second(db, telegram):
    """Telegram allows about one message a second to one chat: two broadcasts in a row
    to the same students (at a global rate of 1000/s) reach each chat a second apart."""
    make_student(db, telegram_id=701)
    make_student(db, telegram_id=702)
    db.commit()
    _custom("birinchi")
    _custom("ikkinchi")
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).sent == 4
    for chat in (701, 702):
        first, second = sorted(m.at for m in telegram.messages if m.chat_id == chat)
        assert second - first >= 1.0


def test_a_429_retry_after_is_kept_by_the_next_sender(db, telegram, monkeypatch):
    """A sender that stops right after a 429 leaves its retry_after in the lease row."""
    make_student(db, telegram_id=611)
    make_student(db, telegram_id=612)
    db.commit()
    telegram.configure(retry_every=1, retry_after=2)  # the first request gets a 429
    answered: list[float] = []
    real_after = broadcasts._Sender._after

    async def stop_after_the_429(self, result):
        if result.outcome == Outcome.RETRY_AFTER:
            answered.append(time.monotonic())
            telegram.configure(retry_every=None)
            raise broadcasts._StopError("stopped right after the 429", hold_back=False)
        await real_after(self, result)

    monkeypatch.setattr(broadcasts._Sender, "_after", stop_after_the_429)
    _custom()
    first = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert first.sent == 0 and first.retried == 1 and telegram.message_count() == 0
    monkeypatch.setattr(broadcasts._Sender, "_after", real_after)
    second = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert second.sent == 2
    waited = telegram.message_times()[0] - answered[0]
    assert waited >= 1.95  # Telegram's retry_after, although a new sender sent it


def test_a_stored_retry_after_holds_for_the_next_sender(db, telegram):
    make_student(db, telegram_id=601)
    db.commit()
    _custom()
    _set_lease(None, expires_in=-1, next_send_in=0.8)  # a 429 told the last sender to wait
    started = time.monotonic()
    broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    waited = telegram.messages[0].at - started
    assert waited >= 0.75


def test_a_5xx_is_unknown_and_never_resent_dm_or_channel_post(db, telegram, monkeypatch):
    """A 502 may come after Telegram delivered the message (the fake does exactly that)."""
    monkeypatch.setattr(settings, "telegram_channel_id", "@mockexam_uz")
    chats = add_students(db, 10)
    db.commit()
    telegram.configure(server_error_every=3, error_chats={chats[4], "@mockexam_uz"})
    created = _custom(channel_post=True)
    report = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert report.state == "finished"
    assert telegram.duplicates() == {}  # each chat received the message at most once
    assert set(telegram.counts_by_chat()) == {*chats, "@mockexam_uz"}
    assert telegram.send_requests == len(chats) + 1  # nothing was sent twice
    rows = _rows(created.broadcast_id)
    unknown = [r for r in rows if r.status == DeliveryStatus.UNKNOWN]
    assert rows[4] in unknown and all("Bad Gateway" in r.error for r in unknown)
    assert report.unknown == len(unknown) >= 3 and report.retried == 0
    assert all(r.attempts == 1 for r in rows)
    progress = _progress(created.broadcast_id)
    assert progress.channel_status == DeliveryStatus.UNKNOWN
    assert progress.unknown == len(unknown)


class _NotSentGateway(TelegramGateway):
    """Answers NETWORK_ERROR (a refused connection: provably not sent) for chosen sends."""

    def __init__(self, fake, *, fail_chats, fail_every, calls):
        super().__init__(token=fake.token, base_url=fake.base_url, read_timeout=1.0)
        self.fail_chats, self.fail_every, self.calls = fail_chats, fail_every, calls

    async def send_message(self, chat_id, text, *, button=None):
        self.calls.append(chat_id)
        if chat_id in self.fail_chats or len(self.calls) % self.fail_every == 0:
            return SendResult(Outcome.NETWORK_ERROR, error="Not sent: httpx.ConnectError")
        return await super().send_message(chat_id, text, button=button)


def test_network_errors_are_retried_with_backoff_and_bounded(db, telegram, monkeypatch):
    monkeypatch.setattr(broadcasts, "BACKOFF_FIRST_SECONDS", 0.01)
    chats = add_students(db, 10)
    db.commit()
    calls: list[int] = []
    created = _custom()
    report = broadcasts.deliver_pending(
        gateway_factory=lambda: _NotSentGateway(
            telegram, fail_chats={chats[4]}, fail_every=3, calls=calls
        )
    )
    assert report.state == "finished"
    assert report.sent == 9 and report.failed == 1 and report.retried >= 3
    assert sorted(telegram.counts_by_chat()) == sorted(set(chats) - {chats[4]})
    assert telegram.duplicates() == {}
    rows = _rows(created.broadcast_id)
    assert rows[4].status == DeliveryStatus.FAILED
    assert rows[4].attempts == broadcasts.MAX_NETWORK_ATTEMPTS
    assert "Gave up after 5 attempts" in rows[4].error
    assert any(1 < r.attempts < broadcasts.MAX_NETWORK_ATTEMPTS for r in rows)


def test_telegram_unreachable_holds_back_then_resumes(db, telegram, monkeypatch):
    chats = add_students(db, 3)
    db.commit()
    created = _custom()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    def unreachable():
        return TelegramGateway(
            token=telegram.token, base_url=f"http://127.0.0.1:{closed}/bot", connect_timeout=0.5
        )

    report = broadcasts.deliver_pending(gateway_factory=unreachable)
    assert report.state == "stopped"
    progress = _progress(created.broadcast_id)
    assert progress.pending == 3 and "unreachable" in progress.notice
    assert all(r.attempts == 0 for r in _rows(created.broadcast_id))
    assert broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram)).sent == 3
    progress = _progress(created.broadcast_id)
    assert progress.is_done and progress.notice is None
    assert sorted(telegram.counts_by_chat()) == sorted(chats)


def test_wrong_token_stops_and_says_so(db, telegram):
    add_students(db, 2)
    db.commit()
    created = _custom()
    report = broadcasts.deliver_pending(
        gateway_factory=lambda: TelegramGateway(token="1:wrong", base_url=telegram.base_url)
    )
    assert report.state == "stopped"
    assert "TELEGRAM_BOT_TOKEN" in _progress(created.broadcast_id).notice
    assert telegram.message_count() == 0


def test_students_unreachable_since_creation_are_skipped_without_a_request(db, telegram):
    chats = add_students(db, 4)
    db.commit()
    created = _custom()
    with session_scope() as s:
        s.execute(update(Student).where(Student.telegram_id == chats[2]).values(is_reachable=False))
    report = broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram))
    assert report.sent == 3 and report.skipped == 1
    assert chats[2] not in telegram.counts_by_chat()
    assert _rows(created.broadcast_id)[2].status == DeliveryStatus.BLOCKED


def test_progress_lists_broadcasts_newest_first_with_counts(db, telegram):
    add_students(db, 5)
    db.commit()
    a = _custom("a")
    b = _custom("b")
    # Not a test of timeouts: a busy CI machine once took over the default 1 s to answer.
    broadcasts.deliver_pending(gateway_factory=fast_gateway(telegram, read_timeout=10.0))
    with session_scope(readonly=True) as s:
        listed = broadcasts.list_broadcasts(s)
    assert [p.broadcast_id for p in listed] == [b.broadcast_id, a.broadcast_id]
    assert all(p.sent == 5 and p.fraction == 1.0 and p.is_done for p in listed)
    assert "5 sent" in listed[0].describe()


def test_notify_exam_entry_point_commits_then_sends(db_url, telegram):
    from mockexam.tasks_telegram import notify_exam, send_text

    with session_scope() as db:
        make_student(db, telegram_id=701)
        exam = make_exam(db, start=utcnow() + timedelta(days=1))
    created = notify_exam(exam.id)  # huey.immediate: the sender runs inline
    assert created.created and created.total == 1
    assert notify_exam(exam.id).created is False
    assert send_text("Salom!").total == 1
    assert [m.chat_id for m in telegram.messages] == [701, 701]
