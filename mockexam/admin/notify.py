"""The "Publish & notify" tab of an exam: the Notify buttons and live broadcast progress.

Notify creates the exam's broadcast (once per exam and kind: a second press
shows the same broadcast) through `tasks_telegram.notify_exam`, which commits
and starts the sender. The progress is re-read from the database every
second while the broadcast is unfinished, so it survives a page reload.
"""

from __future__ import annotations

import logging

import reflex as rx

from mockexam import tasks_telegram
from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.exam_edit import ExamState
from mockexam.admin.i18n import t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.admin.progress import (
    EMPTY_PROGRESS,
    TELEGRAM_OFF,
    ProgressView,
    history_table,
    progress_panel,
    progress_view,
    sending_notice,
)
from mockexam.config import settings
from mockexam.models import ExamPhase
from mockexam.services import broadcasts
from mockexam.services.transactions import in_session

logger = logging.getLogger(__name__)

NOTIFY_KINDS = ("new", "open", "results")
HISTORY_LIMIT = 10


class NotifyState(AdminState):
    """The exam's broadcasts: the current one live, earlier ones in a table."""

    exam_id: int = 0
    has_current: bool = False
    current: ProgressView = EMPTY_PROGRESS
    earlier: list[ProgressView] = []
    delivery_enabled: bool = True
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, exam_id: int, *, current_id: int | None = None) -> None:
        def read() -> tuple[
            list[broadcasts.BroadcastProgress], broadcasts.BroadcastProgress | None
        ]:
            def run(db):
                rows = broadcasts.list_broadcasts(db, exam_id=exam_id, limit=HISTORY_LIMIT)
                chosen = None
                if current_id is not None:
                    chosen = next((r for r in rows if r.broadcast_id == current_id), None)
                    if chosen is None:
                        chosen = broadcasts.broadcast_progress(db, current_id)
                return rows, chosen

            return in_session(run, readonly=True)()

        result = await self._service(read)
        if result is FAILED:
            return
        rows, chosen = result
        current = (
            chosen or next((r for r in rows if not r.is_done), None) or (rows[0] if rows else None)
        )
        self.exam_id = exam_id
        self.delivery_enabled = settings.telegram_enabled
        lang = self._lang()
        self.has_current = current is not None
        self.current = progress_view(current, lang) if current is not None else EMPTY_PROGRESS
        self.earlier = [
            progress_view(r, lang)
            for r in rows
            if current is None or r.broadcast_id != current.broadcast_id
        ]

    @rx.event
    async def load(self):
        """on_load: the exam's latest (or unfinished) broadcast and the earlier ones."""
        if await self._require_admin() is None:
            return
        self.error, self.notice = "", ""
        exam_id = self._route_id()
        if exam_id is not None:
            await self._read(exam_id)

    @rx.event
    async def notify(self, kind: str):
        """Announce the exam: "new" (DM + channel post), "open" (reminder) or "results"."""
        admin_id = await self._require_admin()
        if admin_id is None or kind not in NOTIFY_KINDS:
            return
        exam_id = self._route_id()
        if exam_id is None:
            return
        self.error, self.notice = "", ""
        created = await self._service(
            lambda: tasks_telegram.notify_exam(exam_id, kind=kind, admin_id=admin_id)
        )
        if created is FAILED:
            return
        if created.created:
            self.notice = sending_notice(self._lang(), created.total)
        else:
            self.notice = self._text(
                "Bu e’lon allaqachon qilingan; quyida uning holati.",
                "Это объявление уже отправлялось; ниже — ход рассылки.",
                "This announcement was already made; here is its progress.",
            )
        await self._read(exam_id, current_id=created.broadcast_id)

    @rx.event
    async def tick(self, _now: str = ""):
        """The 1-second ticker: re-read the current broadcast's progress."""
        if await self._require_admin() is None or not self.has_current:
            return
        current_id = self.current.get("broadcast_id")
        progress = await self._service(
            in_session(lambda db: broadcasts.broadcast_progress(db, current_id), readonly=True)
        )
        if progress is FAILED:
            return
        self.current = progress_view(progress, self._lang())


def notify_tab() -> rx.Component:
    """Notify buttons by phase, the live progress of the current broadcast, and earlier ones."""
    phase = ExamState.phase
    return rx.vstack(
        error_callout(NotifyState.error, callout_id="notify-error"),
        success_callout(NotifyState.notice, callout_id="notify-notice"),
        rx.cond(
            ~NotifyState.delivery_enabled,
            rx.callout(
                t(*TELEGRAM_OFF),
                icon="triangle-alert",
                color_scheme="amber",
                id="telegram-off",
            ),
        ),
        card(
            rx.heading(
                t("E’lon qilish va xabar berish", "Публикация и оповещение", "Publish and notify"),
                size="4",
            ),
            rx.match(
                phase,
                (
                    ExamPhase.DRAFT,
                    rx.text(
                        t(
                            "Avval imtihonni e’lon qiling (yuqoridagi tugma), keyin bu yerda "
                            "xabar bering.",
                            "Сначала опубликуйте экзамен (кнопка вверху), затем объявите о нём "
                            "здесь.",
                            "Publish the exam first (button at the top); then announce it here.",
                        ),
                        color="var(--gray-11)",
                    ),
                ),
                (
                    ExamPhase.RELEASED,
                    rx.hstack(
                        rx.button(
                            rx.icon("bell", size=16),
                            t(
                                "Xabar berish: natijalar tayyor",
                                "Оповестить: результаты готовы",
                                "Notify: results ready",
                            ),
                            on_click=NotifyState.notify("results"),
                            id="notify-results",
                        ),
                        rx.text(
                            t(
                                "Har bir ishtirokchi o‘z natijasini oladi.",
                                "Каждый участник получит свой результат.",
                                "Each participant gets their own score.",
                            ),
                            size="2",
                            color="var(--gray-11)",
                        ),
                        align="center",
                        spacing="3",
                    ),
                ),
                (
                    ExamPhase.CLOSED,
                    rx.text(
                        t(
                            "Imtihon vaqti tugadi; natijalar e’lon qilingach, ular haqida xabar "
                            "beriladi.",
                            "Окно экзамена закрыто; о результатах сообщают после их публикации.",
                            "The window has closed; results are announced after they are released.",
                        ),
                        color="var(--gray-11)",
                    ),
                ),
                rx.hstack(
                    rx.button(
                        rx.icon("megaphone", size=16),
                        t(
                            "Xabar berish: yangi imtihon",
                            "Оповестить: новый экзамен",
                            "Notify: new exam",
                        ),
                        on_click=NotifyState.notify("new"),
                        id="notify-new",
                    ),
                    rx.cond(
                        phase == ExamPhase.OPEN,
                        rx.button(
                            rx.icon("bell", size=16),
                            t(
                                "Xabar berish: imtihon ochildi",
                                "Оповестить: экзамен открыт",
                                "Notify: exam is open",
                            ),
                            variant="soft",
                            on_click=NotifyState.notify("open"),
                            id="notify-open",
                        ),
                    ),
                    rx.text(
                        t(
                            "Xabar yetadigan har bir o‘quvchiga shaxsiy xabar va kanalga bitta post.",
                            "Личное сообщение каждому доступному ученику и один пост в канале.",
                            "A DM to every reachable student, and one post to the channel.",
                        ),
                        size="2",
                        color="var(--gray-11)",
                    ),
                    align="center",
                    spacing="3",
                ),
            ),
        ),
        rx.cond(
            NotifyState.has_current,
            card(progress_panel(NotifyState.current, tick=NotifyState.tick), id="notify-progress"),
        ),
        rx.cond(
            NotifyState.earlier.length() > 0,
            card(
                rx.heading(
                    t(
                        "Bu imtihonning oldingi xabarlari",
                        "Прежние рассылки этого экзамена",
                        "Earlier broadcasts of this exam",
                    ),
                    size="4",
                ),
                history_table(NotifyState.earlier),
            ),
        ),
        spacing="4",
        width="100%",
    )
