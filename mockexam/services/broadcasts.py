"""Broadcasts: who gets which message, and the one sender per bot token that delivers them.

A broadcast is a row plus one delivery row per recipient; recipients are the
students reachable when it is created. Rules the sender keeps (spec §6):

- Exactly once, or visibly in doubt. A delivery row is claimed (`sending`)
  in its own transaction immediately before its request and its outcome is
  written right after, so a crash leaves at most the one claimed row in
  doubt; the next sender turns it into `unknown` and never resends it. A
  timeout after the request went out is `unknown` too (Telegram may have
  delivered it), and so is a 5xx or an unreadable answer. Only outcomes that
  prove nothing was delivered (429, a refused connection, a pool timeout, a
  rejected token) are retried.
- One sender per bot token: a lease row (`TelegramSender`) renewed with
  every claim; a killed sender's lease expires (at once when its process is
  gone from this host), so it can never block sending for long.
- The rate as Telegram counts it, on arrival, stays under
  `TELEGRAM_MESSAGES_PER_SECOND` with a margin: at most 90 % of it within
  any one second, whatever the network does (`_Pacer` has the rules and why
  they hold at the receiver), and sends are evenly spaced — a stall is
  never "caught up" with a burst. One chat gets at most one message per
  second, a group or channel one per 3.3 s (Telegram's 20 a minute), with
  the same margin. The earliest moment a new sender may start — or a
  429's `retry_after` — lives in the lease row, so a restarted or new
  sender keeps to it too.
- 403 marks the student unreachable; unreachable students are skipped
  without a request and left out of later broadcasts.

Without `TELEGRAM_BOT_TOKEN` broadcasts are still created and their progress
says plainly that nothing is being sent. Entry points (CLI, admin UI, Huey)
create broadcasts here and start `deliver_pending()` through
`mockexam.tasks_telegram`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, insert, update
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import get_engine, insert_for, lock_for_update, session_scope, utcnow
from mockexam.errors import Msg, NotFoundError, ValidationError, msg
from mockexam.models import (
    AuditLog,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    DeliveryStatus,
    EloHistory,
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamSession,
    ExamStatus,
    GroupMember,
    SessionStatus,
    Student,
    TelegramSender,
)
from mockexam.models import Delivery as DeliveryRow
from mockexam.parsing import parse_id
from mockexam.services import audit, groups
from mockexam.services.access import Scope
from mockexam.telegram import messages
from mockexam.telegram.gateway import (
    Button,
    Outcome,
    SendResult,
    TelegramGateway,
    TelegramUnavailableError,
    gateway_from_settings,
    mini_app_link,
)
from mockexam.telegram.messages import ScoreLine, Text

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4096
LEASE_SECONDS = 60.0  # longer than one request can take (connect + write + read timeouts)
RENEW_EVERY_SECONDS = 5.0  # while waiting (429, backoff), the lease is renewed this often
RATE_MARGIN = 0.9  # the receiver sees at most this share of each limit (integer counts)
PRIVATE_CHAT_PER_SECOND = 1.0  # Telegram: about one message per second to one chat
GROUP_CHAT_PER_SECOND = 20 / 60  # … and at most 20 messages a minute to one group or channel
CLAIM_LEAD_SECONDS = 0.02  # a row is claimed this long before its send slot, not earlier
MAX_NETWORK_ATTEMPTS = 5  # a row that failed to go out this many times is `failed`
STOP_AFTER_NETWORK_ERRORS = 6  # consecutive failures: Telegram is unreachable, stop the run
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
BATCH_SIZE = 200
RATE_WINDOW_SECONDS = 10.0
REMINDER_WITHIN = timedelta(minutes=30)  # the sweep reminds of an exam opened this recently
RESULTS_WITHIN = timedelta(hours=24)  # … and announces results released this recently

_DONE_STATUSES = (
    DeliveryStatus.SENT,
    DeliveryStatus.BLOCKED,
    DeliveryStatus.FAILED,
    DeliveryStatus.UNKNOWN,
)
_EXAM_KINDS = (BroadcastKind.NEW_EXAM, BroadcastKind.EXAM_OPEN, BroadcastKind.RESULTS_READY)
NOT_CONFIGURED = "Telegram is not configured (TELEGRAM_BOT_TOKEN is unset): nothing is being sent."

# What the sender writes into broadcasts.error, channel_error and deliveries.error: English
# (the CLI prints it as it is), made from these (uz, ru, en) templates so that the admin
# pages can word it again in the admin's language (`stored_message`).
_Template = tuple[str, str, str]
NOT_CONFIGURED_TEXT: _Template = (
    "Telegram sozlanmagan (TELEGRAM_BOT_TOKEN berilmagan): hech narsa yuborilmayapti.",
    "Telegram не настроен (TELEGRAM_BOT_TOKEN не задан): ничего не отправляется.",
    NOT_CONFIGURED,
)
TOKEN_REFUSED: _Template = (
    "Telegram bot tokenini qabul qilmadi ({detail}); TELEGRAM_BOT_TOKEN ni tekshiring.",
    "Telegram отклонил токен бота ({detail}); проверьте TELEGRAM_BOT_TOKEN.",
    "Telegram refused the bot token ({detail}); check TELEGRAM_BOT_TOKEN.",
)
UNREACHABLE: _Template = (
    "Telegram bilan aloqa yo‘q ({detail}); yuborish o‘zi qayta boshlanadi.",
    "Telegram недоступен ({detail}); отправка возобновится автоматически.",
    "Telegram is unreachable ({detail}); sending resumes automatically.",
)
OUTDATED_TEXT: _Template = (
    "Yuborilmadi: xabar jo‘natilguncha imtihon vaqti tugab qoldi.",
    "Не отправлено: окно экзамена закрылось раньше, чем сообщение успело уйти.",
    "Not sent: the exam's window closed before this message could go out.",
)
NO_CHANNEL: _Template = (
    "TELEGRAM_CHANNEL_ID berilmagan.",
    "TELEGRAM_CHANNEL_ID не задан.",
    "No TELEGRAM_CHANNEL_ID.",
)
CHANNEL_STOPPED: _Template = (
    "Kanalga joylash paytida yuboruvchi to‘xtadi; qayta joylanmaydi.",
    "Отправитель остановился во время публикации в канале; повторно не публикуется.",
    "The sender stopped during the channel post; not reposted.",
)
SEND_STOPPED: _Template = (
    "Yuborish paytida yuboruvchi to‘xtadi; Telegram uni yetkazgan bo‘lishi mumkin, shuning "
    "uchun qayta yuborilmaydi.",
    "Отправитель остановился во время отправки; Telegram мог его доставить, поэтому повторно "
    "не отправляется.",
    "The sender stopped during this send; Telegram may have delivered it, so it is not resent.",
)
SKIPPED_UNREACHABLE: _Template = (
    "Yuborilmadi: o‘quvchi avvalroq botni bloklagan yoki Telegramdan chiqib ketgan.",
    "Не отправлено: ученик ранее заблокировал бота или ушёл из Telegram.",
    "Not sent: the student blocked the bot or left Telegram earlier.",
)
GAVE_UP: _Template = (
    "{attempts} urinishdan keyin to‘xtatildi: {detail}",
    "Прекращено после попыток: {attempts}; {detail}",
    "Gave up after {attempts} attempts: {detail}",
)
_STORED: tuple[_Template, ...] = (
    NOT_CONFIGURED_TEXT,
    TOKEN_REFUSED,
    UNREACHABLE,
    OUTDATED_TEXT,
    NO_CHANNEL,
    CHANNEL_STOPPED,
    SEND_STOPPED,
    SKIPPED_UNREACHABLE,
    GAVE_UP,
)


def _stored_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.*)" for index, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


_STORED_PATTERNS = tuple((_stored_pattern(t[2]), t) for t in _STORED)


def stored_message(text: str | None) -> Msg | None:
    """A sentence the sender stored (English) as a `Msg` in the three languages; a text it
    did not make (Telegram's own error) reads the same in all three."""
    if not text:
        return None
    for pattern, (uz, ru, en) in _STORED_PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return Msg(uz, ru, en, found.groupdict())
    return Msg(text, text, text)


# ---------------------------------------------------------------------------
# Creating broadcasts
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    """One student to message; `text` None means the broadcast's own text."""

    student_id: int
    chat_id: int
    text: str | None = None


@dataclass(frozen=True)
class CreatedBroadcast:
    """What a notify call did; `created` is False when this event's broadcast already existed."""

    broadcast_id: int
    total: int
    created: bool
    delivery_enabled: bool
    channel_post: bool = False


def _check_text(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError(msg("Xabar bo‘sh.", "Сообщение пустое.", "The message is empty."))
    if len(body) > MAX_TEXT_CHARS:
        raise ValidationError(
            msg(
                "Xabar uzunligi {n} belgi; Telegram ko‘pi bilan {limit} belgiga ruxsat beradi.",
                "Длина сообщения: {n}; Telegram допускает не больше {limit} символов.",
                "The message is {n} characters long; Telegram allows at most {limit}.",
                n=len(body),
                limit=MAX_TEXT_CHARS,
            )
        )
    return body


def _reachable_students(
    session: Session, exam: Exam | None = None, *, group_id: int | None = None
) -> list[tuple[int, int, str]]:
    """Every reachable student; for an exam for chosen groups, only their members; for
    `group_id`, only that group's members."""
    query = select(Student.id, Student.telegram_id, Student.language_code).where(
        col(Student.is_reachable).is_(True)
    )
    if exam is not None and exam.audience == ExamAudienceKind.GROUPS:
        members = (
            select(GroupMember.student_id)
            .join(ExamAudience, col(ExamAudience.group_id) == GroupMember.group_id)
            .where(ExamAudience.exam_id == exam.id)
        )
        query = query.where(col(Student.id).in_(members))
    if group_id is not None:
        group_members = select(GroupMember.student_id).where(GroupMember.group_id == group_id)
        query = query.where(col(Student.id).in_(group_members))
    return list(session.exec(query.order_by(Student.id)).all())


def create_broadcast(
    session: Session,
    *,
    kind: str,
    text: str,
    recipients: Iterable[Recipient] | None = None,
    exam_id: int | None = None,
    dedupe_key: str | None = None,
    channel_post: bool = False,
    admin_id: int | None = None,
    audit_details: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> CreatedBroadcast:
    """The broadcast row and one pending delivery per recipient, in the caller's transaction.

    `recipients` None: every reachable student, with `text`. A `dedupe_key`
    makes the call idempotent (the existing broadcast is returned).
    `channel_post`: also post `text` to TELEGRAM_CHANNEL_ID (if one is set).
    `audit_details`: added to the details of the audit row (with `admin_id`).
    """
    now = now or utcnow()
    text = _check_text(text)
    if kind not in {k.value for k in BroadcastKind}:
        raise ValidationError(
            msg(
                "Noma’lum xabar turi {kind}.",
                "Неизвестный вид рассылки {kind}.",
                "Unknown broadcast kind {kind}.",
                kind=repr(kind),
            )
        )
    if dedupe_key is not None:
        existing = _by_dedupe_key(session, dedupe_key)
        if existing is not None:
            return _created(existing, created=False)
    post = channel_post and bool(settings.telegram_channel_id)
    values: dict[str, Any] = {
        "kind": kind,
        "exam_id": exam_id,
        "dedupe_key": dedupe_key,
        "text": text,
        "status": BroadcastStatus.PENDING,
        "total": 0,
        "created_by_admin_id": admin_id,
        "created_at": now,
        "channel_status": DeliveryStatus.PENDING if post else None,
    }
    statement = insert_for(session, Broadcast).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    broadcast_id = session.execute(statement.returning(col(Broadcast.id))).scalar()
    if broadcast_id is None:  # a concurrent call created it first
        existing = _by_dedupe_key(session, dedupe_key or "")
        if existing is None:
            raise NotFoundError(
                msg(
                    "Xabar yaratilayotganda yo‘qolib qoldi; qayta urinib ko‘ring.",
                    "Рассылка пропала во время создания; попробуйте ещё раз.",
                    "The broadcast vanished while it was being created; try again.",
                )
            )
        return _created(existing, created=False)
    if recipients is None:
        recipients = [Recipient(sid, chat) for sid, chat, _lang in _reachable_students(session)]
    rows = [
        {
            "broadcast_id": broadcast_id,
            "student_id": r.student_id,
            "chat_id": r.chat_id,
            "text": r.text,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for r in recipients
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(DeliveryRow), rows[start : start + 5000])
    finished = not rows and not post
    session.execute(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .values(
            total=len(rows),
            status=BroadcastStatus.DONE if finished else BroadcastStatus.PENDING,
            finished_at=now if finished else None,
        )
    )
    if admin_id is not None:
        audit.record(
            session,
            admin_id=admin_id,
            action="broadcast.create",
            entity="broadcast",
            entity_id=broadcast_id,
            details={
                "kind": kind,
                "exam_id": exam_id,
                "total": len(rows),
                "channel": post,
                **(audit_details or {}),
            },
        )
    session.flush()
    logger.info(
        "Broadcast %s (%s) created for %s recipient(s)%s",
        broadcast_id,
        kind,
        len(rows),
        "" if settings.telegram_enabled else "; Telegram is not configured, nothing is sent",
    )
    return CreatedBroadcast(
        broadcast_id=broadcast_id,
        total=len(rows),
        created=True,
        delivery_enabled=settings.telegram_enabled,
        channel_post=post,
    )


def _by_dedupe_key(session: Session, key: str) -> Broadcast | None:
    return session.exec(select(Broadcast).where(Broadcast.dedupe_key == key)).first()


def _created(broadcast: Broadcast, *, created: bool) -> CreatedBroadcast:
    return CreatedBroadcast(
        broadcast_id=broadcast.id or 0,
        total=broadcast.total,
        created=created,
        delivery_enabled=settings.telegram_enabled,
        channel_post=broadcast.channel_status is not None,
    )


def send_custom_broadcast(
    session: Session, *, text: str, admin_id: int | None = None, channel_post: bool = False
) -> CreatedBroadcast:
    """An admin's own text to every reachable student (and the channel, if asked)."""
    return create_broadcast(
        session,
        kind=BroadcastKind.CUSTOM,
        text=text,
        admin_id=admin_id,
        channel_post=channel_post,
    )


def send_group_message(
    session: Session,
    *,
    group_id: int,
    text: str,
    admin_id: int,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> CreatedBroadcast:
    """A teacher's or an admin's own text to the reachable members of one live group.

    The group must exist within `scope` (a teacher's groups; outside it reads as
    missing) and not be archived; nobody else gets it, and never the channel.
    The broadcast table has no group column, so the group is written into the
    broadcast's audit row (`group_id`, `group`), which `list_group_messages` reads:
    hence `admin_id` is required (create_broadcast audits only a known admin).
    """
    group = groups.get_group(session, group_id, scope=scope)
    if group.archived_at is not None:
        raise ValidationError(
            msg(
                "«{name}» guruhi arxivda; unga xabar yuborilmaydi.",
                "Группа «{name}» в архиве; сообщения ей не отправляются.",
                "The group “{name}” is archived; it gets no messages.",
                name=group.name,
            )
        )
    text = _check_text(text)
    recipients = [
        Recipient(sid, chat) for sid, chat, _lang in _reachable_students(session, group_id=group_id)
    ]
    if not recipients:
        raise ValidationError(
            msg(
                "«{name}» guruhida bot xabar yubora oladigan o‘quvchi yo‘q (hech kim qo‘shilmagan "
                "yoki botni bloklagan).",
                "В группе «{name}» нет учеников, которым бот может написать (никто не "
                "присоединился или бот заблокирован).",
                "No one in “{name}” can get a message from the bot (nobody has joined, or they "
                "blocked the bot).",
                name=group.name,
            )
        )
    return create_broadcast(
        session,
        kind=BroadcastKind.CUSTOM,
        text=text,
        recipients=recipients,
        admin_id=admin_id,
        audit_details={"group_id": group_id, "group": group.name},
        now=now,
    )


def _exam_values(exam: Exam) -> dict[str, object]:
    return {
        "title": exam.title,
        "start": messages.format_time(exam.window_start),
        "end": messages.format_time(exam.window_end),
        "minutes": exam.duration_minutes,
    }


def _get_exam(session: Session, exam_id: int) -> Exam:
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(
            msg(
                "{exam_id}-imtihon mavjud emas.",
                "Экзамена {exam_id} не существует.",
                "Exam {exam_id} does not exist.",
                exam_id=exam_id,
            )
        )
    return exam


def notify_new_exam(
    session: Session, exam_id: int, *, admin_id: int | None = None, now: datetime | None = None
) -> CreatedBroadcast:
    """A published exam: a DM to every reachable student + one channel post (once per exam)."""
    now = now or utcnow()
    exam = _get_exam(session, exam_id)
    if exam.status != ExamStatus.PUBLISHED:
        raise ValidationError(
            msg(
                "Faqat e’lon qilingan imtihon haqida xabar berish mumkin; avval uni e’lon qiling.",
                "Объявить можно только опубликованный экзамен; сначала опубликуйте его.",
                "Only a published exam can be announced; publish it first.",
            )
        )
    if exam.window_end <= now:
        raise ValidationError(
            msg(
                "Bu imtihonning vaqti allaqachon tugagan; e’lon qiladigan narsa yo‘q.",
                "Окно этого экзамена уже закрылось; объявлять нечего.",
                "This exam's window has already closed; there is nothing to announce.",
            )
        )
    values = _exam_values(exam)
    recipients = [
        Recipient(sid, chat, messages.text(Text.NEW_EXAM, lang, **values))
        for sid, chat, lang in _reachable_students(session, exam)
    ]
    return create_broadcast(
        session,
        kind=BroadcastKind.NEW_EXAM,
        text=messages.text(Text.CHANNEL_NEW_EXAM, messages.DEFAULT_LANGUAGE, **values),
        recipients=recipients,
        exam_id=exam_id,
        dedupe_key=f"new_exam:{exam_id}",
        # A public channel hears only of exams open to everyone.
        channel_post=exam.audience != ExamAudienceKind.GROUPS,
        admin_id=admin_id,
        now=now,
    )


def notify_exam_open(
    session: Session, exam_id: int, *, admin_id: int | None = None, now: datetime | None = None
) -> CreatedBroadcast:
    """The reminder when an exam opens: a DM to every reachable student (once per exam)."""
    now = now or utcnow()
    exam = _get_exam(session, exam_id)
    if exam.status != ExamStatus.PUBLISHED or not exam.window_start <= now < exam.window_end:
        raise ValidationError(
            msg(
                "Eslatma faqat imtihon vaqti ochiq bo‘lganda yuboriladi.",
                "Напоминание отправляется, только пока окно экзамена открыто.",
                "The reminder goes out only while the exam's window is open.",
            )
        )
    values = _exam_values(exam)
    recipients = [
        Recipient(sid, chat, messages.text(Text.EXAM_OPEN, lang, **values))
        for sid, chat, lang in _reachable_students(session, exam)
    ]
    return create_broadcast(
        session,
        kind=BroadcastKind.EXAM_OPEN,
        text=messages.text(Text.EXAM_OPEN, messages.DEFAULT_LANGUAGE, **values),
        recipients=recipients,
        exam_id=exam_id,
        dedupe_key=f"exam_open:{exam_id}",
        admin_id=admin_id,
        now=now,
    )


def notify_results_ready(
    session: Session, exam_id: int, *, admin_id: int | None = None, now: datetime | None = None
) -> CreatedBroadcast:
    """ "Results ready" to each reachable participant with their own score line (once per exam)."""
    exam = _get_exam(session, exam_id)
    if exam.status != ExamStatus.RELEASED:
        raise ValidationError(
            msg(
                "Natijalar faqat e’lon qilingandan keyin xabar qilinadi.",
                "О результатах можно сообщить только после их публикации.",
                "Results can be announced only after they are released.",
            )
        )
    rows = session.exec(
        select(ExamSession, Student.telegram_id, Student.language_code, EloHistory)
        .join(Student, col(Student.id) == ExamSession.student_id)
        .join(EloHistory, col(EloHistory.session_id) == ExamSession.id, isouter=True)
        .where(
            ExamSession.exam_id == exam_id,
            ExamSession.status == SessionStatus.RELEASED,
            col(Student.is_reachable).is_(True),
        )
        .order_by(col(ExamSession.student_id))
    ).all()
    recipients = []
    for exam_session, chat_id, lang, elo in rows:
        if exam_session.scaled_score is None or exam_session.points is None:
            score = messages.text(Text.NO_RESULT, lang)
        else:
            score = messages.score_line(
                ScoreLine(
                    points=exam_session.points,
                    max_points=exam_session.max_points or 0,
                    scaled_score=exam_session.scaled_score,
                    scaled_score_se=exam_session.scaled_score_se,
                    grade=exam_session.grade or "—",
                    elo_before=elo.elo_before if elo else None,
                    elo_after=elo.elo_after if elo else None,
                    is_provisional=exam_session.is_provisional,
                ),
                lang,
            )
        body = messages.text(Text.RESULTS_READY, lang, title=exam.title, score=score)
        recipients.append(Recipient(exam_session.student_id, chat_id, body))
    return create_broadcast(
        session,
        kind=BroadcastKind.RESULTS_READY,
        text=messages.text(
            Text.RESULTS_READY, messages.DEFAULT_LANGUAGE, title=exam.title, score=""
        ).strip(),
        recipients=recipients,
        exam_id=exam_id,
        dedupe_key=f"results_ready:{exam_id}",
        admin_id=admin_id,
        now=now,
    )


def create_due_notifications(session: Session, *, now: datetime | None = None) -> list[int]:
    """The sweep's part: reminders for exams that just opened, results-ready after release.

    Idempotent (dedupe keys); only recent events count, so starting the
    system late never sends stale news. Returns the new broadcasts' ids.
    """
    now = now or utcnow()
    existing = set(
        session.exec(select(Broadcast.dedupe_key).where(col(Broadcast.dedupe_key).is_not(None)))
    )
    created: list[int] = []
    opened = session.exec(
        select(Exam.id).where(
            Exam.status == ExamStatus.PUBLISHED,
            Exam.window_start <= now,
            Exam.window_start > now - REMINDER_WITHIN,
            Exam.window_end > now,
        )
    ).all()
    for exam_id in opened:
        if f"exam_open:{exam_id}" not in existing:
            result = notify_exam_open(session, exam_id, now=now)
            created += [result.broadcast_id] if result.created else []
    released = session.exec(
        select(Exam.id).where(
            Exam.status == ExamStatus.RELEASED,
            col(Exam.released_at).is_not(None),
            col(Exam.released_at) > now - RESULTS_WITHIN,
        )
    ).all()
    for exam_id in released:
        if f"results_ready:{exam_id}" not in existing:
            result = notify_results_ready(session, exam_id, now=now)
            created += [result.broadcast_id] if result.created else []
    return created


# ---------------------------------------------------------------------------
# Progress (admin UI)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BroadcastProgress:
    """Where one broadcast stands; `message` is the sentence the admin should read, if any
    (in uz/ru/en; `notice` is its English text)."""

    broadcast_id: int
    kind: str
    status: str
    exam_id: int | None
    text: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    pending: int
    sending: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    channel_status: str | None
    channel_error: str | None
    rate_per_second: float
    eta_seconds: float | None
    delivery_enabled: bool
    message: Msg | None

    @property
    def notice(self) -> str | None:
        """The admin's sentence in English (the CLI, logs), or None."""
        return None if self.message is None else str(self.message)

    @property
    def finished(self) -> int:
        """Rows with a final outcome (sent + blocked + failed + unknown)."""
        return self.sent + self.blocked + self.failed + self.unknown

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.finished / self.total

    @property
    def is_done(self) -> bool:
        return self.status == BroadcastStatus.DONE

    def describe(self) -> str:
        head = (
            f"Broadcast {self.broadcast_id} ({self.kind}, {self.status}): "
            f"{self.sent} sent, {self.blocked} blocked, {self.failed} failed, "
            f"{self.unknown} unknown, {self.pending + self.sending} pending of {self.total}"
        )
        if self.channel_status:
            head += f"; channel post {self.channel_status}"
        if self.status == BroadcastStatus.SENDING:
            head += f"; {self.rate_per_second:.1f} msg/s"
            if self.eta_seconds is not None:
                head += f", about {self.eta_seconds:.0f} s left"
        return head + (f". {self.notice}" if self.notice else ".")


def _counts(session: Session, broadcast_ids: Sequence[int], since: datetime) -> dict[int, dict]:
    recent = case(
        (
            (col(DeliveryRow.updated_at) >= since) & col(DeliveryRow.status).in_(_DONE_STATUSES),
            1,
        ),
        else_=0,
    )
    out: dict[int, dict] = {bid: {"recent": 0} for bid in broadcast_ids}
    for bid, status, n, n_recent in session.exec(
        select(DeliveryRow.broadcast_id, DeliveryRow.status, func.count(), func.sum(recent))
        .where(col(DeliveryRow.broadcast_id).in_(broadcast_ids))
        .group_by(DeliveryRow.broadcast_id, DeliveryRow.status)
    ):
        out[bid][status] = n
        out[bid]["recent"] += int(n_recent or 0)
    return out


def _progress(broadcast: Broadcast, counts: dict, now: datetime) -> BroadcastProgress:
    pending = counts.get(DeliveryStatus.PENDING, 0)
    sending = counts.get(DeliveryStatus.SENDING, 0)
    unknown = counts.get(DeliveryStatus.UNKNOWN, 0)
    rate = 0.0
    if broadcast.status == BroadcastStatus.SENDING and broadcast.started_at is not None:
        span = min(RATE_WINDOW_SECONDS, max((now - broadcast.started_at).total_seconds(), 1.0))
        rate = counts["recent"] / span
    left = pending + sending
    # Another process (the worker) may hold the token even if this one does not:
    # visible progress means it is being sent.
    idle_without_token = not settings.telegram_enabled and rate == 0
    eta = None
    if left and not idle_without_token:
        budget, window = _limit(settings.telegram_messages_per_second)
        eta = left / (rate if rate > 0 else budget / window)
    notice = None
    if broadcast.status != BroadcastStatus.DONE and idle_without_token:
        notice = Msg(*NOT_CONFIGURED_TEXT)
    elif broadcast.error and broadcast.status != BroadcastStatus.DONE:
        notice = stored_message(broadcast.error)
    elif broadcast.status == BroadcastStatus.PENDING:
        notice = msg(
            "Fon jarayoni yuborishni boshlashi kutilmoqda.",
            "Ждём, когда фоновый обработчик начнёт отправку.",
            "Waiting for the worker to start sending.",
        )
    elif unknown:
        notice = msg(
            "Yetib borgan-bormagani noma’lum xabarlar: {n} (fon jarayoni to‘xtadi yoki Telegram "
            "o‘z vaqtida javob bermadi); ular avtomatik qayta yuborilmaydi.",
            "Неизвестно, дошли ли сообщения ({n}): фоновый обработчик остановился или Telegram "
            "не ответил вовремя; повторно они не отправляются.",
            "Messages that may or may not have arrived: {n} (the worker stopped or Telegram did "
            "not answer in time); they are not resent automatically.",
            n=unknown,
        )
    return BroadcastProgress(
        broadcast_id=broadcast.id or 0,
        kind=broadcast.kind,
        status=broadcast.status,
        exam_id=broadcast.exam_id,
        text=broadcast.text,
        created_at=broadcast.created_at,
        started_at=broadcast.started_at,
        finished_at=broadcast.finished_at,
        total=broadcast.total,
        pending=pending,
        sending=sending,
        sent=counts.get(DeliveryStatus.SENT, 0),
        blocked=counts.get(DeliveryStatus.BLOCKED, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        unknown=unknown,
        channel_status=broadcast.channel_status,
        channel_error=broadcast.channel_error,
        rate_per_second=rate,
        eta_seconds=eta,
        delivery_enabled=settings.telegram_enabled,
        message=notice,
    )


def broadcast_progress(
    session: Session, broadcast_id: int, *, now: datetime | None = None
) -> BroadcastProgress:
    """Live progress of one broadcast (two small queries; poll it every second if you like)."""
    now = now or utcnow()
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(
            msg(
                "{broadcast_id}-xabar mavjud emas.",
                "Рассылки {broadcast_id} не существует.",
                "Broadcast {broadcast_id} does not exist.",
                broadcast_id=broadcast_id,
            )
        )
    counts = _counts(session, [broadcast_id], now - timedelta(seconds=RATE_WINDOW_SECONDS))
    return _progress(broadcast, counts[broadcast_id], now)


def list_broadcasts(
    session: Session,
    *,
    limit: int = 20,
    exam_id: int | None = None,
    now: datetime | None = None,
) -> list[BroadcastProgress]:
    """The latest broadcasts (newest first), each with its progress."""
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    if exam_id is not None:
        query = query.where(Broadcast.exam_id == exam_id)
    return _progress_of(session, list(session.exec(query)), now or utcnow())


def list_group_messages(
    session: Session,
    group_id: int,
    *,
    scope: Scope | None = None,
    limit: int = 10,
    now: datetime | None = None,
) -> list[BroadcastProgress]:
    """The latest messages sent to one group (newest first), each with its progress.

    The group must exist within `scope`. Found through the broadcasts' audit rows
    (`send_group_message` writes the group there).
    """
    groups.get_group(session, group_id, scope=scope)
    sent_to_group = select(AuditLog.entity_id).where(
        AuditLog.action == "broadcast.create",
        AuditLog.entity == "broadcast",
        col(AuditLog.details)["group_id"].as_integer() == group_id,
    )
    rows = session.exec(
        select(Broadcast)
        .where(col(Broadcast.id).in_(sent_to_group))
        .order_by(col(Broadcast.id).desc())
        .limit(max(1, limit))
    )
    return _progress_of(session, list(rows), now or utcnow())


def _progress_of(
    session: Session, rows: Sequence[Broadcast], now: datetime
) -> list[BroadcastProgress]:
    counts = _counts(
        session, [b.id for b in rows if b.id], now - timedelta(seconds=RATE_WINDOW_SECONDS)
    )
    return [_progress(b, counts[b.id or 0], now) for b in rows]


def has_pending_work(session: Session, *, exclude: Sequence[int] = ()) -> bool:
    """Is any broadcast (other than `exclude`) not finished yet?"""
    return (
        session.exec(
            select(Broadcast.id)
            .where(Broadcast.status != BroadcastStatus.DONE, col(Broadcast.id).not_in(exclude))
            .limit(1)
        ).first()
        is not None
    )


# ---------------------------------------------------------------------------
# The send lease (one sender per bot token)
# ---------------------------------------------------------------------------
def sender_key(token: str) -> str:
    """The lease row's key: never the token itself."""
    return "bot:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_gone(holder: str) -> bool:
    """True when the holder was a process on this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    pid = parse_id(pid_text, maximum=2**31 - 1)  # a row anyone with the database could write
    if host != socket.gethostname() or pid is None:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _lease_is_live(row: TelegramSender | None, now: datetime) -> bool:
    return bool(
        row is not None
        and row.holder
        and row.expires_at is not None
        and row.expires_at > now
        and not _holder_is_gone(row.holder)
    )


def sender_is_active(session: Session, *, token: str | None = None) -> bool:
    """Is a live sender holding this bot token's lease right now?"""
    token = token or settings.telegram_bot_token
    if not token:
        return False
    return _lease_is_live(session.get(TelegramSender, sender_key(token)), utcnow())


OUTDATED = OUTDATED_TEXT[2]


def _is_outdated(session: Session, broadcast: Broadcast, now: datetime) -> bool:
    """An exam announcement or reminder whose exam has closed (e.g. after a long outage)."""
    if broadcast.kind not in (BroadcastKind.NEW_EXAM, BroadcastKind.EXAM_OPEN):
        return False
    exam = session.get(Exam, broadcast.exam_id) if broadcast.exam_id is not None else None
    return exam is None or exam.status != ExamStatus.PUBLISHED or exam.window_end <= now


def _drop_outdated(session: Session, broadcast: Broadcast, now: datetime) -> None:
    """Finish an outdated broadcast without sending: its unsent rows fail with the reason."""
    session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.broadcast_id == broadcast.id,
            DeliveryRow.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED, error=OUTDATED, updated_at=now)
    )
    if broadcast.channel_status == DeliveryStatus.PENDING:
        broadcast.channel_status = DeliveryStatus.FAILED
        broadcast.channel_error = OUTDATED
    broadcast.status = BroadcastStatus.DONE
    broadcast.finished_at = now
    broadcast.error = None
    session.add(broadcast)


class _LeaseLostError(Exception):
    """Another sender took over (our lease expired): stop at once."""


class _StopError(Exception):
    """Stop this run and leave the rest for later (bad token, Telegram unreachable)."""

    def __init__(self, reason: str, *, hold_back: bool = True) -> None:
        self.hold_back = hold_back
        super().__init__(reason)


# ---------------------------------------------------------------------------
# The sender
# ---------------------------------------------------------------------------
@dataclass
class SenderReport:
    """What one `deliver_pending()` call did."""

    state: str  # finished · busy (another sender holds the lease) · disabled · stopped
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    retried: int = 0
    skipped: int = 0
    broadcasts: list[int] = field(default_factory=list)
    detail: str | None = None

    def describe(self) -> str:
        text = (
            f"Sender {self.state}: {self.sent} sent, {self.blocked} blocked, {self.failed} "
            f"failed, {self.unknown} unknown, {self.retried} retried"
        )
        return text + (f" ({self.detail})" if self.detail else "")


def _limit(per_second: float) -> tuple[int, float]:
    """`per_second × RATE_MARGIN` as "at most `budget` requests within any `window` seconds".

    Counts are whole: 30/s becomes 27 per second; a rate below one per second
    after the margin (one chat's 1/s) becomes one per a window longer than 1 s.
    """
    allowed = per_second * RATE_MARGIN
    if allowed >= 1:
        return int(allowed), 1.0
    return 1, 1.0 / allowed


def _chat_limit(chat_id: int | str) -> tuple[int, float]:
    private = isinstance(chat_id, int) and chat_id > 0  # groups and channels are negative / @name
    return _limit(PRIVATE_CHAT_PER_SECOND if private else GROUP_CHAT_PER_SECOND)


class _Pacer:
    """When the next request may start, so that Telegram never counts more than the limit.

    The sender has one request in flight at a time, and Telegram counts a
    request when it arrives, some time between our start and our answer (or
    timeout). So a rule on our own clock holds at the receiver whatever the
    network and the machine's load do:

    - **the cap**: a request starts only after the answer to the request
      `budget` sends back is at least `window` old. If `budget + 1` requests
      i … i+budget arrived within less than `window`, the last one would have
      started before answer(i) + window. So Telegram never sees more than
      `budget` (90 % of the limit) within any `window`.
    - **smooth spacing**: request starts are at least `window / budget` apart,
      measured from the previous *start*: a late start (a slow answer, a busy
      machine) pushes the next ones later, it never pulls them closer, so a
      stall is never followed by a burst.
    - **per chat**: a request to a chat starts only `window` (for one chat
      1/(1 × 0.9) s, for a group or channel 60/(20 × 0.9) s) after the answer
      to the previous one to that chat.
    - **hold**: nothing starts before a 429's `retry_after`, a backoff, or the
      moment the lease row says the previous sender allows.

    A request that timed out counts as answered at the timeout: Telegram
    could still process it later; such a send is `unknown`, and rare.
    """

    def __init__(self, rate: float) -> None:
        self.budget, self.window = _limit(rate)
        self.spacing = self.window / self.budget
        self.answers: deque[float] = deque(maxlen=self.budget)  # the last answers (monotonic)
        self.next_start = time.monotonic()  # spacing and holds
        self.last_answer = float("-inf")
        # chat → the moment its next request may start (entries expire; bounded by the window)
        self.chats: dict[int | str, float] = {}
        # A new sender (with no history) may start this long after our last answer.
        self.restart_pause = max(self.window, _limit(PRIVATE_CHAT_PER_SECOND)[1])

    def earliest(self, chat_id: int | str) -> float:
        earliest = max(self.next_start, self.chats.get(chat_id, float("-inf")))
        if len(self.answers) == self.budget:
            earliest = max(earliest, self.answers[0] + self.window)
        return earliest

    def hold(self, until: float) -> None:
        self.next_start = max(self.next_start, until)

    def started(self, at: float) -> None:
        self.next_start = max(self.next_start, at + self.spacing)

    def answered(self, chat_id: int | str, at: float) -> None:
        self.answers.append(at)
        self.last_answer = at
        self.chats[chat_id] = at + _chat_limit(chat_id)[1]
        if len(self.chats) > 4 * self.budget + 64:  # forget chats whose pause is over
            self.chats = {chat: t for chat, t in self.chats.items() if t > at}


@dataclass(frozen=True)
class _Row:
    id: int
    student_id: int
    chat_id: int
    text: str
    language: str
    is_reachable: bool


class _Sender:
    """One run: hold the lease, send every pending row of every unfinished broadcast."""

    def __init__(self, gateway: TelegramGateway, *, token: str, rate: float) -> None:
        if rate <= 0:
            raise ValidationError("TELEGRAM_MESSAGES_PER_SECOND must be positive.")
        self.gateway = gateway
        self.key = sender_key(token)
        self.holder = _holder_name()
        self.pacer = _Pacer(rate)
        self.renewed_at = 0.0
        self.network_streak = 0
        self.report = SenderReport(state="finished")
        self._conn: Connection | None = None

    @contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[Connection]:
        """A short write transaction on the run's own connection (the hot path skips the ORM).

        `durable=False` (outcomes only) lets PostgreSQL acknowledge the commit
        before its WAL flush: if the database server itself crashed, a lost
        outcome leaves the row `sending`, which the next sender turns into
        `unknown`, never a resend. Claims are always durable.
        """
        if self._conn is None or self._conn.closed:
            self._conn = get_engine().connect()
        with self._conn.begin():
            if not durable and self._conn.dialect.name == "postgresql":
                self._conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            yield self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- lease ------------------------------------------------------------------
    def acquire(self) -> bool:
        now = utcnow()
        with session_scope() as db:
            db.execute(
                insert_for(db, TelegramSender)
                .values(key=self.key, updated_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = db.exec(
                lock_for_update(db, select(TelegramSender).where(TelegramSender.key == self.key))
            ).one()
            if _lease_is_live(row, now):
                return False
            if row.holder and row.expires_at and row.expires_at > now:
                logger.warning(
                    "Sender %s is gone from this host; taking over its lease", row.holder
                )
            row.holder = self.holder
            row.expires_at = now + timedelta(seconds=LEASE_SECONDS)
            row.updated_at = now
            db.add(row)
            wait = (row.next_send_at - now).total_seconds() if row.next_send_at else 0.0
            # Sends in flight when a sender died: Telegram may have them; never resend.
            lost = db.execute(
                update(DeliveryRow)
                .where(DeliveryRow.status == DeliveryStatus.SENDING)
                .values(
                    status=DeliveryStatus.UNKNOWN,
                    error=SEND_STOPPED[2],
                    updated_at=now,
                )
            ).rowcount
            db.execute(
                update(Broadcast)
                .where(Broadcast.channel_status == DeliveryStatus.SENDING)
                .values(
                    channel_status=DeliveryStatus.UNKNOWN,
                    channel_error=CHANNEL_STOPPED[2],
                )
            )
        if lost:
            logger.warning("%s delivery(ies) were in flight when a sender stopped: unknown", lost)
        self.pacer.hold(time.monotonic() + max(0.0, min(wait, 3600.0)))
        self.renewed_at = time.monotonic()
        return True

    def release(self) -> None:
        """Give the lease up, leaving the moment the next sender (with no history) may start."""
        now = utcnow()
        pause = self.pacer.last_answer + self.pacer.restart_pause - time.monotonic()
        with session_scope() as db:
            row = db.exec(
                select(TelegramSender).where(
                    TelegramSender.key == self.key, TelegramSender.holder == self.holder
                )
            ).first()
            if row is None:
                return
            if pause > 0:
                after_us = now + timedelta(seconds=pause)
                row.next_send_at = max(row.next_send_at or after_us, after_us)
            row.holder = None
            row.expires_at = None
            row.updated_at = now
            db.add(row)

    def _renew(
        self, db: Session | Connection, now: datetime, *, next_send_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {
            "expires_at": now + timedelta(seconds=LEASE_SECONDS),
            "updated_at": now,
        }
        if next_send_at is not None:
            values["next_send_at"] = next_send_at
        renewed = db.execute(
            update(TelegramSender)
            .where(TelegramSender.key == self.key, TelegramSender.holder == self.holder)
            .values(**values)
        ).rowcount
        if renewed != 1:
            raise _LeaseLostError
        self.renewed_at = time.monotonic()

    async def _sleep_until(self, target: float) -> None:
        """Wait for a monotonic moment, renewing the lease on the way."""
        while (remaining := target - time.monotonic()) > 0:
            await asyncio.sleep(min(remaining, RENEW_EVERY_SECONDS))
            if time.monotonic() - self.renewed_at >= RENEW_EVERY_SECONDS:
                with self._tx() as conn:
                    self._renew(conn, utcnow())

    # -- the run ----------------------------------------------------------------
    async def run(self) -> SenderReport:
        try:
            async with self.gateway:
                while (broadcast_id := self._next_broadcast(self.report.broadcasts)) is not None:
                    self.report.broadcasts.append(broadcast_id)
                    await self._send_broadcast(broadcast_id)
        except TelegramUnavailableError as err:
            self._stop(str(err), hold_back=True)
        except _StopError as err:
            self._stop(str(err), hold_back=err.hold_back)
        except _LeaseLostError:
            self.report.state = "stopped"
            self.report.detail = "another sender took over the lease"
            logger.warning("Lost the send lease; another sender continues")
        return self.report

    def _stop(self, reason: str, *, hold_back: bool) -> None:
        self.report.state = "stopped"
        self.report.detail = reason
        logger.warning("Sending stopped: %s", reason)
        if hold_back:
            with session_scope() as db:
                db.execute(
                    update(Broadcast)
                    .where(Broadcast.status != BroadcastStatus.DONE)
                    .values(error=reason[:500])
                )

    def _next_broadcast(self, seen: Sequence[int]) -> int | None:
        """The oldest unfinished broadcast not yet handled in this run."""
        with session_scope(readonly=True) as db:
            return db.exec(
                select(Broadcast.id)
                .where(Broadcast.status != BroadcastStatus.DONE, col(Broadcast.id).not_in(seen))
                .order_by(col(Broadcast.id))
                .limit(1)
            ).first()

    async def _send_broadcast(self, broadcast_id: int) -> None:
        now = utcnow()
        with session_scope() as db:
            broadcast = db.get(Broadcast, broadcast_id)
            if broadcast is None:
                return
            if _is_outdated(db, broadcast, now):
                _drop_outdated(db, broadcast, now)
                logger.info("Broadcast %s is outdated (its exam closed); not sent", broadcast_id)
                return
            broadcast.status = BroadcastStatus.SENDING
            broadcast.started_at = broadcast.started_at or now
            broadcast.error = None
            db.add(broadcast)
            kind, exam_id, text = broadcast.kind, broadcast.exam_id, broadcast.text
            channel_pending = broadcast.channel_status == DeliveryStatus.PENDING
        logger.info("Sending broadcast %s (%s)", broadcast_id, kind)
        if channel_pending:
            await self._post_channel(broadcast_id, kind, exam_id, text)
        while rows := self._pending_rows(broadcast_id, text):
            for row in rows:
                await self._deliver(row, kind)
        self._finish(broadcast_id)

    def _pending_rows(self, broadcast_id: int, default_text: str) -> list[_Row]:
        with session_scope(readonly=True) as db:
            result = db.exec(
                select(
                    DeliveryRow.id,
                    DeliveryRow.student_id,
                    DeliveryRow.chat_id,
                    DeliveryRow.text,
                    Student.language_code,
                    Student.is_reachable,
                )
                .join(Student, col(Student.id) == DeliveryRow.student_id)
                .where(
                    DeliveryRow.broadcast_id == broadcast_id,
                    DeliveryRow.status == DeliveryStatus.PENDING,
                )
                .order_by(col(DeliveryRow.id))
                .limit(BATCH_SIZE)
            ).all()
        return [
            _Row(rid, sid, chat, body or default_text, lang, reachable)
            for rid, sid, chat, body, lang, reachable in result
        ]

    def _finish(self, broadcast_id: int) -> None:
        now = utcnow()
        with session_scope() as db:
            broadcast = db.get(Broadcast, broadcast_id)
            open_rows = db.exec(
                select(func.count())
                .select_from(DeliveryRow)
                .where(
                    DeliveryRow.broadcast_id == broadcast_id,
                    col(DeliveryRow.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                )
            ).one()
            channel_open = broadcast is not None and broadcast.channel_status in (
                DeliveryStatus.PENDING,
                DeliveryStatus.SENDING,
            )
            if broadcast is None or open_rows or channel_open:
                return
            broadcast.status = BroadcastStatus.DONE
            broadcast.finished_at = now
            broadcast.error = None
            db.add(broadcast)
        logger.info("Broadcast %s finished", broadcast_id)

    def _button(self, language: str) -> Button | None:
        url = settings.webapp_url
        if not url.startswith("https://"):
            return None  # Telegram accepts only HTTPS Mini App URLs
        return Button(messages.text(Text.OPEN_APP, language), url, web_app=True)

    # -- one delivery -----------------------------------------------------------
    def _skip_unreachable(self, row: _Row) -> None:
        with session_scope() as db:
            db.execute(
                update(DeliveryRow)
                .where(col(DeliveryRow.id) == row.id, DeliveryRow.status == DeliveryStatus.PENDING)
                .values(
                    status=DeliveryStatus.BLOCKED,
                    error=SKIPPED_UNREACHABLE[2],
                    updated_at=utcnow(),
                )
            )
        self.report.skipped += 1
        self.report.blocked += 1

    def _next_slot_wall(self, now: datetime, chat_id: int | str) -> datetime:
        """When a new sender may start should this one die during the send about to go out.

        Kept in the lease row: the planned start plus the restart pause (the
        answer is not known yet; `release()` writes the exact value).
        """
        ahead = max(0.0, self.pacer.earliest(chat_id) - time.monotonic())
        return now + timedelta(seconds=ahead + self.pacer.restart_pause)

    async def _send_slot(self, chat_id: int | str) -> None:
        """Wait until the pacer allows a request to this chat, and take the slot."""
        await self._sleep_until(self.pacer.earliest(chat_id))
        self.pacer.started(time.monotonic())

    def _claim(self, row: _Row) -> int | None:
        """Mark the row `sending` (renewing the lease); its attempts, or None if not pending."""
        now = utcnow()
        with self._tx() as conn:
            self._renew(conn, now, next_send_at=self._next_slot_wall(now, row.chat_id))
            return conn.execute(
                update(DeliveryRow)
                .where(col(DeliveryRow.id) == row.id, DeliveryRow.status == DeliveryStatus.PENDING)
                .values(
                    status=DeliveryStatus.SENDING,
                    attempts=DeliveryRow.attempts + 1,
                    updated_at=now,
                )
                .returning(col(DeliveryRow.attempts))
            ).scalar()

    async def _deliver(self, row: _Row, kind: str) -> None:
        if not row.is_reachable:
            self._skip_unreachable(row)
            return
        # Claim just ahead of the slot (so the claim's commit does not stretch the spacing),
        # never during a long wait (a crash then would leave an unsent row in doubt).
        await self._sleep_until(self.pacer.earliest(row.chat_id) - CLAIM_LEAD_SECONDS)
        attempts = self._claim(row)
        if attempts is None:
            return  # changed under us (should not happen while we hold the lease)
        await self._send_slot(row.chat_id)
        try:
            result = await self.gateway.send_message(
                row.chat_id, row.text, button=self._button(row.language)
            )
        finally:
            self.pacer.answered(row.chat_id, time.monotonic())
        self._record(row, result, attempts)
        await self._after(result)

    def _record(self, row: _Row, result: SendResult, attempts: int) -> None:
        """Write one outcome right after the answer (or the timeout)."""
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now, "error": result.error}
        outcome = result.outcome
        with self._tx(durable=False) as db:
            if outcome == Outcome.SENT:
                values |= {"status": DeliveryStatus.SENT, "message_id": result.message_id}
                values |= {"sent_at": now, "error": None}
                self.report.sent += 1
            elif outcome == Outcome.BLOCKED:
                values["status"] = DeliveryStatus.BLOCKED
                db.execute(
                    update(Student)
                    .where(col(Student.id) == row.student_id)
                    .values(is_reachable=False, unreachable_reason=result.error, updated_at=now)
                )
                self.report.blocked += 1
            elif outcome == Outcome.BAD_REQUEST:
                values["status"] = DeliveryStatus.FAILED
                self.report.failed += 1
            elif outcome == Outcome.UNKNOWN:
                values["status"] = DeliveryStatus.UNKNOWN
                self.report.unknown += 1
            elif outcome == Outcome.NETWORK_ERROR and attempts >= MAX_NETWORK_ATTEMPTS:
                values["status"] = DeliveryStatus.FAILED
                values["error"] = GAVE_UP[2].format(attempts=attempts, detail=result.error)
                self.report.failed += 1
            else:  # RETRY_AFTER, NETWORK_ERROR, INVALID_TOKEN: provably not delivered
                values["status"] = DeliveryStatus.PENDING
                self.report.retried += 1
            if outcome == Outcome.RETRY_AFTER:
                self._renew(db, now, next_send_at=now + timedelta(seconds=result.retry_after))
            db.execute(
                update(DeliveryRow)
                .where(
                    col(DeliveryRow.id) == row.id,
                    col(DeliveryRow.status).in_([DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN]),
                )
                .values(**values)
            )

    async def _after(self, result: SendResult) -> None:
        """Wait or stop as the outcome demands."""
        if result.outcome == Outcome.RETRY_AFTER:
            logger.info("Telegram asked to wait %.0f s (429)", result.retry_after)
            self.pacer.hold(time.monotonic() + result.retry_after)
            return
        if result.outcome == Outcome.INVALID_TOKEN:
            raise _StopError(TOKEN_REFUSED[2].format(detail=result.error))
        if result.outcome != Outcome.NETWORK_ERROR:
            self.network_streak = 0
            return
        self.network_streak += 1
        if self.network_streak >= STOP_AFTER_NETWORK_ERRORS:
            raise _StopError(UNREACHABLE[2].format(detail=result.error))
        backoff = min(BACKOFF_FIRST_SECONDS * 2 ** (self.network_streak - 1), BACKOFF_MAX_SECONDS)
        logger.info("Network error (%s); retrying in %.1f s", result.error, backoff)
        self.pacer.hold(time.monotonic() + backoff)

    # -- the channel post ---------------------------------------------------------
    async def _post_channel(
        self, broadcast_id: int, kind: str, exam_id: int | None, text: str
    ) -> None:
        channel = settings.telegram_channel_id
        link = None
        if kind in _EXAM_KINDS and exam_id is not None:
            username = settings.telegram_bot_username or self.gateway.bot_username
            link = Button(
                messages.text(Text.CHANNEL_BUTTON, messages.DEFAULT_LANGUAGE),
                mini_app_link(username, f"exam{exam_id}"),
                web_app=False,
            )
        attempts = 0
        while True:
            if not channel:
                self._set_channel(broadcast_id, DeliveryStatus.FAILED, NO_CHANNEL[2])
                return
            await self._sleep_until(self.pacer.earliest(channel) - CLAIM_LEAD_SECONDS)
            now = utcnow()
            with session_scope() as db:
                self._renew(db, now, next_send_at=self._next_slot_wall(now, channel))
                claimed = db.execute(
                    update(Broadcast)
                    .where(
                        col(Broadcast.id) == broadcast_id,
                        Broadcast.channel_status == DeliveryStatus.PENDING,
                    )
                    .values(channel_status=DeliveryStatus.SENDING)
                ).rowcount
            if not claimed:
                return
            await self._send_slot(channel)
            attempts += 1
            try:
                result = await self.gateway.post_to_channel(channel, text, link=link)
            finally:
                self.pacer.answered(channel, time.monotonic())
            status = {
                Outcome.SENT: DeliveryStatus.SENT,
                Outcome.UNKNOWN: DeliveryStatus.UNKNOWN,
                Outcome.BLOCKED: DeliveryStatus.FAILED,
                Outcome.BAD_REQUEST: DeliveryStatus.FAILED,
            }.get(result.outcome, DeliveryStatus.PENDING)
            if status == DeliveryStatus.PENDING and attempts >= MAX_NETWORK_ATTEMPTS:
                status = DeliveryStatus.FAILED
            self._set_channel(broadcast_id, status, result.error, message_id=result.message_id)
            if result.outcome == Outcome.RETRY_AFTER:
                with session_scope() as db:
                    now = utcnow()
                    self._renew(db, now, next_send_at=now + timedelta(seconds=result.retry_after))
            await self._after(result)
            if status != DeliveryStatus.PENDING:
                return

    def _set_channel(
        self,
        broadcast_id: int,
        status: str,
        error: str | None,
        *,
        message_id: int | None = None,
    ) -> None:
        with session_scope() as db:
            db.execute(
                update(Broadcast)
                .where(col(Broadcast.id) == broadcast_id)
                .values(
                    channel_status=status,
                    channel_error=error,
                    channel_message_id=message_id,
                )
            )


def deliver_pending(
    *,
    gateway_factory: Callable[[], TelegramGateway] | None = None,
    rate: float | None = None,
) -> SenderReport:
    """Send everything pending, as the one sender for this bot token (blocking).

    Returns at once with state `busy` when another live sender holds the
    lease (it will send this too), `disabled` without a token. Safe to call
    any number of times from anywhere: a worker, the CLI, a test.
    """
    token = settings.telegram_bot_token
    if not token:
        return SenderReport(state="disabled", detail=NOT_CONFIGURED)
    factory = gateway_factory or gateway_from_settings
    rate = rate or settings.telegram_messages_per_second
    total = SenderReport(state="finished")
    while True:
        sender = _Sender(factory(), token=token, rate=rate)
        if not sender.acquire():
            return total if total.broadcasts else SenderReport(state="busy")
        try:
            report = asyncio.run(sender.run())
        finally:
            sender.close()
            try:
                sender.release()
            except Exception:  # a lost database must not hide the error that got us here
                logger.exception("Could not release the send lease; it expires by itself")
        _merge(total, report)
        if report.state != "finished":
            return total
        # A broadcast created while we were releasing found the lease taken: look again.
        with session_scope(readonly=True) as db:
            if not has_pending_work(db, exclude=total.broadcasts):
                return total


def _merge(total: SenderReport, part: SenderReport) -> None:
    total.state = part.state
    total.detail = part.detail
    for name in ("sent", "blocked", "failed", "unknown", "retried", "skipped"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.broadcasts += [b for b in part.broadcasts if b not in total.broadcasts]
