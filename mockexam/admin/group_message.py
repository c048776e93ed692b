"""“Message this group”: a card of the group page `/admin/groups/[group_id]`.

A teacher (for their own groups) or an admin or owner (any group) writes a text
that the bot sends to the group's reachable members only
(`services.broadcasts.send_group_message`, then the sender starts after the
commit, as for every broadcast). The group is the page's, read from the route on
the server; nothing the page sends names it. Each handler asks for
`Capability.MESSAGE` and the service refuses a group outside the caller's scope
as missing, so a teacher of another group gets an error and changes nothing.

The card lists the latest messages to the group with their delivery counts, as
they stood at the last load or send ("Refresh" reads them again).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mockexam import tasks_telegram
from mockexam.admin.auth import FAILED
from mockexam.admin.components import USER_CONTENT, header_row
from mockexam.admin.group_page import GroupPageState
from mockexam.admin.i18n import t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.admin.progress import (
    BLOCKED_LABEL,
    CREATED_LABEL,
    FAILED_LABEL,
    SENT_LABEL,
    STATUS_LABEL,
    TELEGRAM_OFF,
    TOTAL_LABEL,
    UNKNOWN_LABEL,
    ProgressView,
    progress_view,
    sending_notice,
)
from mockexam.config import settings
from mockexam.services import access, broadcasts
from mockexam.services.access import Capability
from mockexam.services.broadcasts import MAX_TEXT_CHARS
from mockexam.services.transactions import in_session
from mockexam.text import strip_bidi

HISTORY_LIMIT = 10


class GroupMessageState(GroupPageState):
    """The page's group: the message form and the latest messages sent to it."""

    messages: list[ProgressView] = []
    delivery_enabled: bool = True
    loaded: bool = False
    form_version: int = 0
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, me: int) -> None:
        """The latest messages to the route's group, if the caller's scope covers it."""
        result = await self._in_group(
            me,
            lambda db, group_id, scope: broadcasts.list_group_messages(
                db, group_id, scope=scope, limit=HISTORY_LIMIT
            ),
        )
        if result is None:
            return
        if result is FAILED:
            self.messages, self.loaded = [], False
            return
        lang = self._lang()
        self.messages = [progress_view(p, lang) for p in result]
        self.delivery_enabled = settings.telegram_enabled
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load of the group page (and the Refresh button)."""
        if (me := await self._require_admin(Capability.MESSAGE)) is None:
            return
        self.error = self.notice = ""
        await self._read(me)

    @rx.event
    async def send(self, form_data: dict[str, Any]):
        """Send the text to the route's group (its reachable members), then start the sender."""
        if (me := await self._require_admin(Capability.MESSAGE)) is None:
            return
        self.error = self.notice = ""
        group_id = self._page_group()
        if group_id is None:
            return
        text = form_data.get("text", "") if isinstance(form_data, dict) else ""
        text = strip_bidi(text) if isinstance(text, str) else ""
        role = self._admin_role

        def act() -> broadcasts.CreatedBroadcast:
            def create(db) -> broadcasts.CreatedBroadcast:
                scope = access.scope_for(db, admin_id=me, role=role)
                return broadcasts.send_group_message(
                    db, group_id=group_id, text=text, admin_id=me, scope=scope
                )

            created = in_session(create)()  # committed: the sender finds the rows
            tasks_telegram.start_delivery()
            return created

        created = await self._service(act)
        if created is not FAILED:
            self.notice = sending_notice(self._lang(), created.total)
            self.form_version += 1  # a fresh, empty form
        await self._read(me)


# ---- the card ----------------------------------------------------------------------------


def _message_row(m: rx.Var[ProgressView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(m["created"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.text(
                m["text"], size="2", max_width="22rem", truncate=True, custom_attrs=USER_CONTENT
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.badge(
                    m["status"],
                    color_scheme=rx.cond(m["done"].to(bool), "green", "blue"),
                    variant="soft",
                ),
                rx.progress(value=m["percent"].to(int), max=100, size="1", width="6rem"),
                spacing="1",
            )
        ),
        rx.table.cell(m["sent"]),
        rx.table.cell(m["blocked"]),
        rx.table.cell(m["failed"]),
        rx.table.cell(m["unknown"]),
        rx.table.cell(m["total"]),
        class_name="group-message-row",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(
                name="text",
                placeholder=t(
                    "Guruh o‘quvchilariga xabar (Telegram uni qanday bo‘lsa, shunday ko‘rsatadi).",
                    "Сообщение ученикам группы (Telegram покажет его как есть).",
                    "A message to the group's students (Telegram shows it as it is).",
                ),
                rows="4",
                max_length=MAX_TEXT_CHARS,
                required=True,
                width="100%",
                id="group-message-text",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("refresh-cw", size=16),
                    t("Yangilash", "Обновить", "Refresh"),
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=GroupMessageState.load,
                    id="group-message-refresh",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("send", size=16),
                    t("Yuborish", "Отправить", "Send"),
                    type="submit",
                    id="group-message-send",
                ),
                width="100%",
                align="center",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=GroupMessageState.send,
        reset_on_submit=False,
        key=GroupMessageState.form_version.to_string(),
        id="group-message-form",
        width="100%",
    )


def group_message_card() -> rx.Component:
    """The “message this group” card: the form, its outcome, the latest messages."""
    return card(
        rx.heading(t("Guruhga xabar", "Сообщение группе", "Message this group"), size="4"),
        rx.text(
            t(
                "Bot xabarni faqat shu guruh o‘quvchilariga yuboradi (botni bloklaganlar bundan "
                "mustasno). Yuborilgan xabarni qaytarib bo‘lmaydi.",
                "Бот отправит сообщение только ученикам этой группы (кроме заблокировавших "
                "бота). Отправленное сообщение нельзя отозвать.",
                "The bot sends it to this group's students only (not to those who blocked the "
                "bot). A message cannot be recalled once it is sent.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        error_callout(GroupMessageState.error, callout_id="group-message-error"),
        success_callout(GroupMessageState.notice, callout_id="group-message-notice"),
        rx.cond(
            GroupMessageState.loaded & ~GroupMessageState.delivery_enabled,
            rx.callout(
                t(*TELEGRAM_OFF),
                icon="triangle-alert",
                color_scheme="amber",
                size="1",
                id="group-message-telegram-off",
            ),
        ),
        _form(),
        rx.cond(
            GroupMessageState.messages.length() > 0,
            rx.table.root(
                header_row(
                    t(*CREATED_LABEL),
                    t("Matn", "Текст", "Text"),
                    t(*STATUS_LABEL),
                    t(*SENT_LABEL),
                    t(*BLOCKED_LABEL),
                    t(*FAILED_LABEL),
                    t(*UNKNOWN_LABEL),
                    t(*TOTAL_LABEL),
                ),
                rx.table.body(rx.foreach(GroupMessageState.messages, _message_row)),
                size="1",
                variant="surface",
                width="100%",
                id="group-messages-table",
            ),
            rx.cond(
                GroupMessageState.loaded,
                rx.text(
                    t(
                        "Bu guruhga hali xabar yuborilmagan.",
                        "Этой группе ещё не писали.",
                        "No messages to this group yet.",
                    ),
                    size="2",
                    color="var(--gray-11)",
                    id="group-messages-empty",
                ),
            ),
        ),
        id="group-message-card",
    )
