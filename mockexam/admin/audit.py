"""The audit log page `/admin/audit`: who did what, when (newest first, 50 per page)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import header_row, pager_buttons, step_offset
from mockexam.admin.i18n import count_text, pick, t
from mockexam.admin.layout import admin_page, card, error_callout
from mockexam.config import settings
from mockexam.localtime import local_text
from mockexam.services.audit import AuditEntry, list_entries
from mockexam.services.transactions import in_session

PAGE_SIZE = 50
# The filter menu: "" = everything, else an action prefix.
FILTERS: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("all", ("Hammasi", "Все", "Everything")),
    (
        "exam.",
        (
            "Imtihonlar (yaratish, tahrirlash, e’lon qilish, o‘chirish, eksport)",
            "Экзамены (создание, правка, публикация, удаление, экспорт)",
            "Exams (create, edit, publish, delete, export)",
        ),
    ),
    ("key.", ("Javoblar kalitlari", "Ключи ответов", "Answer keys")),
    ("item.", ("Savollarni chiqarib tashlash", "Исключение вопросов", "Item exclusion")),
    ("exam.recalibrate", ("Qayta kalibrlash", "Перекалибровка", "Recalibration")),
    ("broadcast.", ("Xabarlar", "Рассылки", "Broadcasts")),
    ("admin.", ("Adminlar va kirishlar", "Администраторы и входы", "Admins and sign-ins")),
)
# What an entry is about (the English is the code itself, as before).
ENTITY_NAMES: dict[str, tuple[str, str, str]] = {
    "exam": ("imtihon", "экзамен", "exam"),
    "admin": ("admin", "администратор", "admin"),
    "broadcast": ("xabar", "рассылка", "broadcast"),
    "practicequestion": ("mashq savoli", "вопрос упражнений", "practicequestion"),
    "practicetopic": ("mashq mavzusi", "тема упражнений", "practicetopic"),
    "group": ("guruh", "группа", "group"),
}
MAX_DETAILS_CHARS = 300
# A moment in the details: ISO UTC ("2026-11-22T09:00:00Z"; older rows "2026-11-22 05:00:00+00:00").
ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)


class AuditRow(TypedDict):
    entry_id: int
    when: str
    admin: str
    action: str
    target: str
    href: str
    details: str


def _shown(value: Any) -> Any:
    """The details as an admin reads them: ISO moments in local time (22.11.2026 14:00)."""
    if isinstance(value, str) and len(value) <= 40 and ISO_MOMENT.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return local_text(moment, seconds=bool(moment.second))
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def audit_row(entry: AuditEntry, lang: str = "en") -> AuditRow:
    names = ENTITY_NAMES.get(entry.entity)
    entity = pick(lang, *names) if names is not None else entry.entity
    target = entity + (f" #{entry.entity_id}" if entry.entity_id is not None else "")
    pages = {"exam": "exams", "group": "groups"}
    href = (
        f"{ADMIN_ROOT}/{pages[entry.entity]}/{entry.entity_id}"
        if entry.entity in pages and entry.entity_id is not None
        else ""
    )
    details = json.dumps(_shown(entry.details), ensure_ascii=False, default=str, sort_keys=True)
    if details == "{}":
        details = ""
    if len(details) > MAX_DETAILS_CHARS:
        details = details[: MAX_DETAILS_CHARS - 1] + "…"
    return {
        "entry_id": entry.entry_id,
        "when": local_text(entry.created_at),
        "admin": entry.admin,
        "action": entry.action,
        "target": target,
        "href": href,
        "details": details,
    }


class AuditState(AdminState):
    """One page of the audit log and its filter."""

    rows: list[AuditRow] = []
    total: int = 0
    offset: int = 0
    action_filter: str = "all"
    loaded: bool = False
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        offset = self.offset
        prefix = None if self.action_filter == "all" else self.action_filter
        result = await self._service(
            in_session(
                lambda db: list_entries(db, limit=PAGE_SIZE, offset=offset, action_prefix=prefix),
                readonly=True,
            )
        )
        if result is FAILED:
            return
        lang = self._lang()
        self.rows = [audit_row(e, lang) for e in result.entries]
        self.total = result.total
        self.loaded = True

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self.offset = 0
        await self._read()

    @rx.event
    async def set_filter(self, value: Any):
        """Show one kind of action (a prefix from FILTERS)."""
        if await self._require_admin() is None:
            return
        if not isinstance(value, str) or value not in {key for key, _ in FILTERS}:
            return
        self.action_filter = value
        self.offset = 0
        await self._read()

    @rx.event
    async def page(self, step: int):
        if await self._require_admin() is None:
            return
        offset = step_offset(self.offset, step, page_size=PAGE_SIZE, total=self.total)
        if offset is not None:
            self.offset = offset
            await self._read()


def _row(r: rx.Var[AuditRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["when"], size="2", white_space="nowrap")),
        rx.table.cell(r["admin"]),
        rx.table.cell(rx.code(r["action"], variant="soft")),
        rx.table.cell(
            rx.cond(r["href"] != "", rx.link(r["target"], href=r["href"]), rx.text(r["target"]))
        ),
        rx.table.cell(
            rx.text(
                r["details"],
                size="1",
                color="var(--gray-11)",
                font_family="var(--code-font-family)",
            )
        ),
        class_name="audit-row",
    )


def audit_page() -> rx.Component:
    return admin_page(
        error_callout(AuditState.error, callout_id="audit-error"),
        card(
            rx.hstack(
                rx.select.root(
                    rx.select.trigger(id="audit-filter"),
                    rx.select.content(
                        *(rx.select.item(t(*label), value=key) for key, label in FILTERS)
                    ),
                    value=AuditState.action_filter,
                    on_change=AuditState.set_filter,
                ),
                rx.spacer(),
                rx.text(
                    AuditState.total,
                    count_text(
                        AuditState.total,
                        uz=" ta yozuv",
                        ru=(" запись", " записи", " записей"),
                        en=(" entry", " entries"),
                    ),
                    size="2",
                    color="var(--gray-11)",
                ),
                align="center",
                width="100%",
            ),
            rx.table.root(
                header_row(
                    t("Qachon", "Когда", "When") + f" ({settings.local_timezone})",
                    t("Administrator", "Администратор", "Admin"),
                    t("Amal", "Действие", "Action"),
                    t("Obyekt", "Объект", "On"),
                    t("Tafsilotlar", "Подробности", "Details"),
                ),
                rx.table.body(rx.foreach(AuditState.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
                id="audit-table",
            ),
            rx.hstack(
                rx.spacer(),
                *pager_buttons(
                    AuditState,
                    PAGE_SIZE,
                    t("Yangiroq", "Новее", "Newer"),
                    t("Eskiroq", "Старее", "Older"),
                ),
                width="100%",
            ),
        ),
        active="audit",
        title=t("Audit jurnali", "Журнал действий", "Audit log"),
        subtitle=t(
            "Adminlarning har bir o‘zgarishi: kim, qachon, nima",
            "Все изменения администраторов: кто, когда, что",
            "Every change an admin made: who, when, what",
        ),
    )


AUDIT_ROUTE = f"{ADMIN_ROOT}/audit"
AUDIT_ON_LOAD = [AdminState.check_session, AuditState.load]
