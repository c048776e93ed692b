"""The students page `/admin/students`: a searchable, sortable list (50 per page).

Rating, exams taken, current/longest streak and whether the bot can reach
them, from `services.student_directory.list_students` (one query per page).
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import (
    name_cell,
    pager_buttons,
    search_form,
    sort_header,
    step_offset,
)
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import admin_page, card, error_callout
from mockexam.services import student_directory
from mockexam.services.student_directory import StudentListRow, StudentSort
from mockexam.text import strip_bidi

STUDENTS_ROUTE = f"{ADMIN_ROOT}/students"
PAGE_SIZE = 50
MAX_SEARCH_CHARS = 100
REACHABLE_FILTERS = ("all", "reachable", "unreachable")


class StudentView(TypedDict):
    student_id: int
    name: str
    username: str
    telegram_id: str
    language: str
    elo: str
    exams: int
    streak: int
    best_streak: int
    reachable: bool
    reason: str
    joined: str
    last_seen: str


def student_view(row: StudentListRow) -> StudentView:
    return {
        "student_id": row.student_id,
        "name": strip_bidi(row.name),  # rows stored before names were cleaned at login
        "username": f"@{strip_bidi(row.username)}" if row.username else "",
        "telegram_id": str(row.telegram_id),
        "language": row.language_code,
        "elo": "—" if row.elo is None else f"{row.elo:.0f}",
        "exams": row.exams_taken,
        "streak": row.current_streak,
        "best_streak": row.longest_streak,
        "reachable": row.is_reachable,
        "reason": row.unreachable_reason or "",
        "joined": local_text(row.created_at)[:10],
        "last_seen": local_text(row.last_seen_at) or "—",
    }


class StudentsState(AdminState):
    """One page of the student list, its search, sort and reachability filter."""

    loaded: bool = False
    rows: list[StudentView] = []
    total: int = 0
    offset: int = 0
    sort: str = StudentSort.JOINED.value
    descending: bool = True
    search: str = ""
    reachable: str = "all"
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        search, sort, descending, offset = self.search, self.sort, self.descending, self.offset
        reachable = {"all": None, "reachable": True, "unreachable": False}[self.reachable]
        page = await self._service(
            lambda: student_directory.list_students(
                search=search or None,
                sort=sort,
                descending=descending,
                limit=PAGE_SIZE,
                offset=offset,
                reachable=reachable,
            )
        )
        if page is FAILED:
            return
        self.error = ""
        self.loaded = True
        self.total = page.total
        self.rows = [student_view(r) for r in page.rows]

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self.offset = 0
        await self._read()

    @rx.event
    async def find(self, form_data: dict[str, Any]):
        """Search by a part of the name or username, or a telegram id."""
        if await self._require_admin() is None or not isinstance(form_data, dict):
            return
        text = form_data.get("search", "")
        if not isinstance(text, str):
            return
        self.search = text.strip()[:MAX_SEARCH_CHARS]
        self.offset = 0
        await self._read()

    @rx.event
    async def sort_by(self, column: str):
        """Sort by a column; the same column again flips the direction."""
        if await self._require_admin() is None:
            return
        if not isinstance(column, str) or column not in {s.value for s in StudentSort}:
            return
        if column == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, column != StudentSort.NAME
        self.offset = 0
        await self._read()

    @rx.event
    async def set_reachable(self, value: str | list[str]):
        """All students, only reachable ones, or only those the bot cannot reach."""
        if await self._require_admin() is None or value not in REACHABLE_FILTERS:
            return
        self.reachable = value
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


def _header(label: str | rx.Var[str], column: str | None) -> rx.Component:
    return sort_header(label, column, state=StudentsState, id_prefix="students-sort-")


def _row(r: rx.Var[StudentView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(name_cell(r["name"], r["username"])),
        rx.table.cell(rx.code(r["telegram_id"], variant="ghost")),
        rx.table.cell(r["language"]),
        rx.table.cell(r["elo"]),
        rx.table.cell(r["exams"]),
        rx.table.cell(
            r["streak"],
            " (",
            t("eng yaxshisi", "рекорд", "best"),
            " ",
            r["best_streak"],
            ")",
        ),
        rx.table.cell(
            rx.cond(
                r["reachable"],
                rx.badge(t("ha", "да", "yes"), color_scheme="green", variant="soft"),
                rx.badge(
                    t("yo‘q", "нет", "no"), color_scheme="red", variant="soft", title=r["reason"]
                ),
            )
        ),
        rx.table.cell(rx.text(r["joined"], size="2")),
        rx.table.cell(rx.text(r["last_seen"], size="2")),
        class_name="student-row",
    )


def students_page() -> rx.Component:
    return admin_page(
        error_callout(StudentsState.error, callout_id="students-error"),
        card(
            rx.hstack(
                search_form(
                    on_submit=StudentsState.find,
                    input_id="students-search",
                    max_length=MAX_SEARCH_CHARS,
                    width="20rem",
                ),
                rx.segmented_control.root(
                    rx.segmented_control.item(t("Hammasi", "Все", "All"), value="all"),
                    rx.segmented_control.item(
                        t("Xabar yetadi", "Доступны", "Reachable"), value="reachable"
                    ),
                    rx.segmented_control.item(
                        t("Xabar yetmaydi", "Недоступны", "Unreachable"), value="unreachable"
                    ),
                    value=StudentsState.reachable,
                    on_change=StudentsState.set_reachable,
                ),
                rx.spacer(),
                rx.text(
                    StudentsState.total,
                    count_text(
                        StudentsState.total,
                        uz=" ta o‘quvchi",
                        ru=(" ученик", " ученика", " учеников"),
                        en=(" student", " students"),
                    ),
                    size="2",
                    id="students-total",
                ),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        _header(t("O‘quvchi", "Ученик", "Student"), StudentSort.NAME.value),
                        _header("Telegram id", None),
                        _header(t("Til", "Язык", "Lang"), None),
                        _header("Elo", StudentSort.RATING.value),
                        _header(t("Imtihonlar", "Экзамены", "Exams"), StudentSort.EXAMS.value),
                        _header(t("Seriya", "Серия", "Streak"), StudentSort.STREAK.value),
                        _header(t("Xabar yetadi", "Доступен", "Reachable"), None),
                        _header(
                            t("Qo‘shilgan", "Присоединился", "Joined"), StudentSort.JOINED.value
                        ),
                        _header(
                            t("Oxirgi faollik", "Был в сети", "Last seen"),
                            StudentSort.LAST_SEEN.value,
                        ),
                    )
                ),
                rx.table.body(rx.foreach(StudentsState.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
                id="students-table",
            ),
            rx.hstack(
                rx.spacer(),
                *pager_buttons(
                    StudentsState,
                    PAGE_SIZE,
                    t("Oldingi", "Назад", "Previous"),
                    t("Keyingi", "Далее", "Next"),
                ),
                width="100%",
            ),
        ),
        active="students",
        title=t("O‘quvchilar", "Ученики", "Students"),
        subtitle=t(
            "Reyting, topshirilgan imtihonlar, seriyalar va bot ularga yoza oladimi",
            "Рейтинг, сданные экзамены, серии и может ли бот им написать",
            "Rating, exams taken, streaks and whether the bot can reach them",
        ),
    )


STUDENTS_ON_LOAD = [AdminState.check_session, StudentsState.load]
