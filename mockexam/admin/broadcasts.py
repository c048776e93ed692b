"""The broadcasts page `/admin/broadcasts`: every broadcast's report and a custom message.

The newest unfinished broadcast (or the one the admin picks) is shown live,
re-read from the database every second, so it survives reloads. A custom
message goes to every reachable student (and the channel if asked) through
`tasks_telegram.send_text` (audit log, then the sender starts).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mockexam import tasks_telegram
from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import header_row
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.admin.progress import (
    BLOCKED_LABEL,
    CREATED_LABEL,
    EMPTY_PROGRESS,
    FAILED_LABEL,
    KIND_LABEL,
    SENT_LABEL,
    STATUS_LABEL,
    TELEGRAM_OFF,
    TOTAL_LABEL,
    UNKNOWN_LABEL,
    ProgressView,
    progress_panel,
    progress_view,
    sending_notice,
)
from mockexam.config import settings
from mockexam.parsing import parse_id
from mockexam.services import broadcasts
from mockexam.services.broadcasts import MAX_TEXT_CHARS
from mockexam.services.transactions import in_session
from mockexam.text import strip_bidi

# What the "also post to the channel" checkbox can send (absent: unchecked).
CHECKBOX_VALUES = ("", "on", "off", "true", "false", True, False)

LIST_LIMIT = 50


class BroadcastsState(AdminState):
    """The latest broadcasts, the one shown live, and the custom-message form."""

    rows: list[ProgressView] = []
    has_current: bool = False
    current: ProgressView = EMPTY_PROGRESS
    delivery_enabled: bool = True
    channel_configured: bool = False
    form_version: int = 0
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, current_id: int | None = None) -> None:
        rows = await self._service(
            in_session(lambda db: broadcasts.list_broadcasts(db, limit=LIST_LIMIT), readonly=True)
        )
        if rows is FAILED:
            return
        self.delivery_enabled = settings.telegram_enabled
        self.channel_configured = bool(settings.telegram_channel_id)
        lang = self._lang()
        self.rows = [progress_view(r, lang) for r in rows]
        chosen = next((r for r in rows if r.broadcast_id == current_id), None)
        if chosen is None and current_id is not None:
            chosen = await self._service(
                in_session(lambda db: broadcasts.broadcast_progress(db, current_id), readonly=True)
            )
            chosen = None if chosen is FAILED else chosen
        if chosen is None:
            chosen = next((r for r in rows if not r.is_done), None)
        self.has_current = chosen is not None
        self.current = progress_view(chosen, lang) if chosen is not None else EMPTY_PROGRESS

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self.error, self.notice = "", ""
        await self._read()

    @rx.event
    async def show(self, broadcast_id: int):
        """Show one broadcast's report in the live panel."""
        if await self._require_admin() is None:
            return
        shown = parse_id(broadcast_id)
        if shown is None:
            return
        await self._read(shown)

    @rx.event
    async def send(self, form_data: dict[str, Any]):
        """Send the admin's own message to every reachable student."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict):
            return
        text = form_data.get("text", "")
        checkbox = form_data.get("channel", "")
        self.error, self.notice = "", ""
        if isinstance(text, str):
            text = strip_bidi(text)
        if not isinstance(checkbox, str | bool) or checkbox not in CHECKBOX_VALUES:
            self.error = self._text(
                "Forma to‘g‘ri yuborilmadi; sahifani qayta yuklang.",
                "Форма отправлена некорректно; перезагрузите страницу.",
                "The form was not sent correctly; reload the page.",
            )
            return
        channel = checkbox in ("on", True, "true")
        if not isinstance(text, str) or not text.strip():
            self.error = self._text(
                "Avval xabar matnini yozing.",
                "Сначала напишите сообщение.",
                "Write the message first.",
            )
            return
        if len(text) > MAX_TEXT_CHARS:
            self.error = self._text(
                f"Xabar {MAX_TEXT_CHARS} belgidan uzun.",
                f"Сообщение длиннее {MAX_TEXT_CHARS} символов.",
                f"The message is longer than {MAX_TEXT_CHARS} characters.",
            )
            return
        created = await self._service(
            lambda: tasks_telegram.send_text(text, admin_id=admin_id, channel_post=channel)
        )
        if created is FAILED:
            return
        self.notice = sending_notice(self._lang(), created.total)
        self.form_version += 1
        await self._read(created.broadcast_id)

    @rx.event
    async def tick(self, _now: str = ""):
        """The 1-second ticker while the shown broadcast is unfinished."""
        if await self._require_admin() is None or not self.has_current:
            return
        current_id = self.current.get("broadcast_id")
        progress = await self._service(
            in_session(lambda db: broadcasts.broadcast_progress(db, current_id), readonly=True)
        )
        if progress is FAILED:
            return
        self.current = progress_view(progress, self._lang())
        if progress.is_done:
            await self._read(current_id)


def _row(r: rx.Var[ProgressView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["broadcast_id"]),
        rx.table.cell(r["kind"]),
        rx.table.cell(rx.text(r["text"], size="1", max_width="24rem", truncate=True)),
        rx.table.cell(rx.text(r["created"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.badge(r["status"], color_scheme=rx.cond(r["done"], "green", "blue"), variant="soft")
        ),
        rx.table.cell(r["sent"]),
        rx.table.cell(r["blocked"]),
        rx.table.cell(r["failed"]),
        rx.table.cell(r["unknown"]),
        rx.table.cell(r["total"]),
        rx.table.cell(
            rx.button(
                t("Hisobot", "Отчёт", "Report"),
                size="1",
                variant="soft",
                on_click=BroadcastsState.show(r["broadcast_id"].to(int)),
            )
        ),
        class_name="broadcast-row",
    )


def _compose() -> rx.Component:
    return card(
        rx.heading(
            t(
                "Xabar yetadigan barcha o‘quvchilarga xabar",
                "Сообщение всем доступным ученикам",
                "Message to every reachable student",
            ),
            size="4",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="text",
                    placeholder=t(
                        "Xabar matni (Telegram uni qanday bo‘lsa, shunday ko‘rsatadi).",
                        "Текст сообщения (Telegram покажет его как есть).",
                        "Text of the message (Telegram shows it as it is).",
                    ),
                    rows="4",
                    max_length=MAX_TEXT_CHARS,
                    width="100%",
                    id="broadcast-text",
                ),
                rx.hstack(
                    rx.cond(
                        BroadcastsState.channel_configured,
                        rx.checkbox(
                            t(
                                "Kanalga ham joylash",
                                "Опубликовать и в канале",
                                "Also post to the channel",
                            ),
                            name="channel",
                        ),
                    ),
                    rx.spacer(),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button(
                                rx.icon("send", size=16),
                                t("Yuborish…", "Отправить…", "Send…"),
                                id="broadcast-send",
                            )
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title(
                                t(
                                    "Xabar yetadigan barcha o‘quvchilarga yuborilsinmi?",
                                    "Отправить это сообщение всем доступным ученикам?",
                                    "Send this message to every reachable student?",
                                )
                            ),
                            rx.alert_dialog.description(
                                t(
                                    "Yuborish boshlangach, xabarni qaytarib bo‘lmaydi.",
                                    "Начавшуюся рассылку нельзя отозвать.",
                                    "A broadcast cannot be recalled once it is going out.",
                                )
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(
                                    rx.button(
                                        t("Bekor qilish", "Отмена", "Cancel"),
                                        variant="soft",
                                        color_scheme="gray",
                                    )
                                ),
                                rx.alert_dialog.action(
                                    rx.button(
                                        t("Yuborish", "Отправить", "Send"),
                                        # The dialog lives in a portal, outside the form.
                                        on_click=rx.call_script(
                                            "document.getElementById('broadcast-form')"
                                            ".requestSubmit()"
                                        ),
                                        id="broadcast-send-confirm",
                                    )
                                ),
                                spacing="3",
                                justify="end",
                                margin_top="1rem",
                            ),
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=BroadcastsState.send,
            reset_on_submit=False,
            key=BroadcastsState.form_version.to_string(),
            id="broadcast-form",
        ),
    )


def broadcasts_page() -> rx.Component:
    return admin_page(
        error_callout(BroadcastsState.error, callout_id="broadcasts-error"),
        success_callout(BroadcastsState.notice, callout_id="broadcasts-notice"),
        rx.cond(
            ~BroadcastsState.delivery_enabled,
            rx.callout(
                t(*TELEGRAM_OFF),
                icon="triangle-alert",
                color_scheme="amber",
                id="telegram-off",
            ),
        ),
        rx.cond(
            BroadcastsState.has_current,
            card(
                progress_panel(BroadcastsState.current, tick=BroadcastsState.tick),
                id="broadcast-live",
            ),
        ),
        _compose(),
        card(
            rx.heading(t("So‘nggi xabarlar", "Последние рассылки", "Latest broadcasts"), size="4"),
            rx.table.root(
                header_row(
                    "#",
                    t(*KIND_LABEL),
                    t("Matn", "Текст", "Text"),
                    *(
                        t(*label)
                        for label in (
                            CREATED_LABEL,
                            STATUS_LABEL,
                            SENT_LABEL,
                            BLOCKED_LABEL,
                            FAILED_LABEL,
                            UNKNOWN_LABEL,
                        )
                    ),
                    t(*TOTAL_LABEL),
                    "",
                ),
                rx.table.body(rx.foreach(BroadcastsState.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
                id="broadcasts-table",
            ),
        ),
        active="broadcasts",
        title=t("Xabarlar", "Рассылки", "Broadcasts"),
        subtitle=t(
            "E’lonlar, eslatmalar, natijalar va o‘z xabarlaringiz",
            "Объявления, напоминания, результаты и ваши сообщения",
            "Announcements, reminders, results and your own messages",
        ),
    )


BROADCASTS_ROUTE = f"{ADMIN_ROOT}/broadcasts"
BROADCASTS_ON_LOAD = [AdminState.check_session, BroadcastsState.load]
