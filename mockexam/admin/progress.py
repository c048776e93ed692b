"""A broadcast's live progress as the admin pages show it: plain values and the panel.

The numbers always come from `services.broadcasts.broadcast_progress` (the
database), so a reload, a second tab or a restarted backend shows the same
thing. While a broadcast is unfinished the page mounts a 1-second ticker
(`rx.moment` with an interval) that calls the page state's `tick`, which
re-reads the progress; the ticker goes away with the page or when the
broadcast is done.

The words of a view (kind, status, time left, the notice) are chosen on the
server in the admin's language (`progress_view(progress, lang)`); the panel's
labels follow the language switch at once (`t`).
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from mockexam.admin.components import header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import count_word, pick, t
from mockexam.models import BroadcastStatus
from mockexam.services.broadcasts import BroadcastProgress, stored_message

TICK_MS = 1000

KIND_NAMES: dict[str, tuple[str, str, str]] = {
    "new_exam": ("Yangi imtihon", "Новый экзамен", "New exam"),
    "exam_open": ("Imtihon ochildi", "Экзамен открыт", "Exam is open"),
    "results_ready": ("Natijalar tayyor", "Результаты готовы", "Results ready"),
    "custom": ("Xabar", "Сообщение", "Message"),
}
# A broadcast's status (pending, sending, done) and a channel post's (a delivery's) status.
STATUS_NAMES: dict[str, tuple[str, str, str]] = {
    "pending": ("kutilmoqda", "ожидает", "pending"),
    "sending": ("yuborilmoqda", "отправляется", "sending"),
    "done": ("tugadi", "завершена", "done"),
}
CHANNEL_STATUS_NAMES: dict[str, tuple[str, str, str]] = {
    "pending": ("kutilmoqda", "ожидает", "pending"),
    "sending": ("yuborilmoqda", "отправляется", "sending"),
    "sent": ("joylandi", "опубликован", "sent"),
    "blocked": ("bloklangan", "заблокирован", "blocked"),
    "failed": ("xato", "ошибка", "failed"),
    "unknown": ("noma’lum", "неизвестно", "unknown"),
}


def _name(names: dict[str, tuple[str, str, str]], code: str, lang: str) -> str:
    """The word for a code in `lang`; an unknown code is shown as it is."""
    triple = names.get(code)
    return pick(lang, *triple) if triple is not None else code


def _decimal(value: float, lang: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang in ("uz", "ru") else text


class ProgressView(TypedDict):
    broadcast_id: int
    kind: str
    status: str
    total: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    pending: int
    finished: int
    percent: float
    percent_text: str
    rate: str
    eta: str
    notice: str
    channel: str
    done: bool
    created: str
    text: str


def eta_text(seconds: float | None, lang: str = "en") -> str:
    """`about 2 min 5 s left` (in `lang`), or "" when unknown."""
    if seconds is None:
        return ""
    whole = max(0, round(seconds))
    if whole < 60:
        span = pick(lang, f"{whole} s", f"{whole} с", f"{whole} s")
    else:
        minutes, rest = divmod(whole, 60)
        if minutes < 60:
            span = pick(
                lang,
                f"{minutes} daq {rest} s",
                f"{minutes} мин {rest} с",
                f"{minutes} min {rest} s",
            )
        else:
            hours, minutes = divmod(minutes, 60)
            span = pick(
                lang,
                f"{hours} soat {minutes} daq",
                f"{hours} ч {minutes} мин",
                f"{hours} h {minutes} min",
            )
    return pick(lang, f"taxminan {span} qoldi", f"осталось около {span}", f"about {span} left")


def progress_view(progress: BroadcastProgress, lang: str = "en") -> ProgressView:
    """The plain values of one broadcast's progress (what the state keeps), worded in `lang`."""
    channel = ""
    if progress.channel_status:
        status = _name(CHANNEL_STATUS_NAMES, progress.channel_status, lang)
        channel = pick(lang, "Kanaldagi post: ", "Пост в канале: ", "Channel post: ") + status
        error = stored_message(progress.channel_error)
        if error is not None:
            channel += f" ({error.text(lang)})"
    sending = progress.status == BroadcastStatus.SENDING
    percent = round(100.0 * progress.fraction, 1)
    rate = _decimal(progress.rate_per_second, lang)
    return {
        "broadcast_id": progress.broadcast_id,
        "kind": _name(KIND_NAMES, progress.kind, lang),
        "status": _name(STATUS_NAMES, progress.status, lang),
        "total": progress.total,
        "sent": progress.sent,
        "blocked": progress.blocked,
        "failed": progress.failed,
        "unknown": progress.unknown,
        "pending": progress.pending + progress.sending,
        "finished": progress.finished,
        "percent": percent,
        "percent_text": _decimal(percent, lang),
        "rate": pick(lang, f"{rate} xabar/s", f"{rate} сообщ./с", f"{rate} msg/s")
        if sending
        else "",
        "eta": eta_text(progress.eta_seconds, lang) if not progress.is_done else "",
        "notice": progress.message.text(lang) if progress.message is not None else "",
        "channel": channel,
        "done": progress.is_done,
        "created": local_text(progress.created_at),
        "text": progress.text[:300],
    }


# The counts' labels (the panel's and the tables' column titles).
SENT_LABEL = ("Yuborildi", "Отправлено", "Sent")
BLOCKED_LABEL = ("Bloklagan", "Заблокировали", "Blocked")
FAILED_LABEL = ("Xato", "Ошибка", "Failed")
UNKNOWN_LABEL = ("Noma’lum", "Неизвестно", "Unknown")
PENDING_LABEL = ("Navbatda", "В очереди", "Pending")
TOTAL_LABEL = ("Jami", "Всего", "Total")
KIND_LABEL = ("Turi", "Вид", "Kind")
CREATED_LABEL = ("Yaratilgan", "Создана", "Created")
STATUS_LABEL = ("Holati", "Статус", "Status")


def _count(label: tuple[str, str, str], value: rx.Var, colour: str, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(*label), size="1", color="var(--gray-11)"),
        rx.text(value, size="5", weight="bold", color=colour, id=test_id),
        spacing="0",
        align="start",
        min_width="5.5rem",
    )


def progress_panel(view: rx.Var[ProgressView], *, tick: rx.EventHandler) -> rx.Component:
    """Bar, counts, rate and time left, the notice; ticks every second until done."""
    return rx.vstack(
        rx.hstack(
            rx.text(
                view["kind"].to(str),
                t(" · xabar #", " · рассылка №", " · broadcast #"),
                view["broadcast_id"].to(str),
                weight="medium",
            ),
            rx.badge(
                view["status"].to(str),
                color_scheme=rx.cond(view["done"].to(bool), "green", "blue"),
                variant="soft",
                id="broadcast-status",
            ),
            rx.spacer(),
            rx.text(view["created"].to(str), size="1", color="var(--gray-10)"),
            align="center",
            width="100%",
        ),
        rx.progress(value=view["percent"].to(int), max=100, size="3", id="broadcast-progress"),
        rx.hstack(
            rx.text(
                t("Bajarildi: ", "Выполнено: ", "Done: "),
                view["finished"].to(str),
                " / ",
                view["total"].to(str),
                " (",
                view["percent_text"].to(str),
                "%)",
                size="2",
                id="broadcast-fraction",
            ),
            rx.spacer(),
            rx.text(view["rate"].to(str), size="2", color="var(--gray-11)"),
            rx.text(view["eta"].to(str), size="2", color="var(--gray-11)", id="broadcast-eta"),
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            _count(SENT_LABEL, view["sent"], "var(--green-11)", "broadcast-sent"),
            _count(BLOCKED_LABEL, view["blocked"], "var(--amber-11)", "broadcast-blocked"),
            _count(FAILED_LABEL, view["failed"], "var(--red-11)", "broadcast-failed"),
            _count(UNKNOWN_LABEL, view["unknown"], "var(--orange-11)", "broadcast-unknown"),
            _count(PENDING_LABEL, view["pending"], "var(--gray-11)", "broadcast-pending"),
            _count(TOTAL_LABEL, view["total"], "var(--gray-12)", "broadcast-total"),
            spacing="5",
            wrap="wrap",
        ),
        rx.cond(
            view["channel"].to(str) != "",
            rx.text(view["channel"].to(str), size="2", color="var(--gray-11)", id="channel-status"),
        ),
        rx.cond(
            view["notice"].to(str) != "",
            rx.callout(
                view["notice"].to(str),
                icon="info",
                color_scheme="amber",
                size="1",
                id="broadcast-notice",
                width="100%",
            ),
        ),
        rx.cond(
            ~view["done"].to(bool),
            rx.moment(interval=TICK_MS, on_change=tick, display="none"),
        ),
        spacing="3",
        width="100%",
    )


def history_table(rows: rx.Var[list[ProgressView]]) -> rx.Component:
    """Earlier broadcasts: kind, when, status, sent / blocked / failed / unknown of total."""
    return rx.table.root(
        header_row(
            "#",
            *(
                t(*label)
                for label in (
                    KIND_LABEL,
                    CREATED_LABEL,
                    STATUS_LABEL,
                    SENT_LABEL,
                    BLOCKED_LABEL,
                    FAILED_LABEL,
                    UNKNOWN_LABEL,
                )
            ),
            t(*TOTAL_LABEL),
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(
                    rx.table.cell(r["broadcast_id"]),
                    rx.table.cell(r["kind"]),
                    rx.table.cell(r["created"]),
                    rx.table.cell(r["status"]),
                    rx.table.cell(r["sent"]),
                    rx.table.cell(r["blocked"]),
                    rx.table.cell(r["failed"]),
                    rx.table.cell(r["unknown"]),
                    rx.table.cell(r["total"]),
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
    )


EMPTY_PROGRESS: ProgressView = {
    "broadcast_id": 0,
    "kind": "",
    "status": "",
    "total": 0,
    "sent": 0,
    "blocked": 0,
    "failed": 0,
    "unknown": 0,
    "pending": 0,
    "finished": 0,
    "percent": 0.0,
    "percent_text": "0",
    "rate": "",
    "eta": "",
    "notice": "",
    "channel": "",
    "done": True,
    "created": "",
    "text": "",
}


# The callout of the broadcasts page and the Notify tab when no bot token is set.
TELEGRAM_OFF = (
    "Telegram sozlanmagan (TELEGRAM_BOT_TOKEN berilmagan): xabarlar saqlanadi, lekin hech narsa "
    "yuborilmaydi.",
    "Telegram не настроен (TELEGRAM_BOT_TOKEN не задан): рассылки сохраняются, но ничего не "
    "отправляется.",
    "Telegram is not configured (TELEGRAM_BOT_TOKEN is unset): broadcasts are stored but nothing "
    "is sent.",
)


def sending_notice(lang: str, n: int) -> str:
    """ "Sending to 3 students." in `lang` (after a broadcast was created)."""
    students = count_word(
        lang, n, uz="", ru=("ученику", "ученикам", "ученикам"), en=("student", "students")
    )
    return pick(
        lang,
        f"{n} ta o‘quvchiga yuborilmoqda.",
        f"Отправляем {n} {students}.",
        f"Sending to {n} {students}.",
    )
