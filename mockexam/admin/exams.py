"""The admin home `/admin`: every exam with its status and counts, and "New exam"."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import USER_CONTENT, header_row, pager_buttons, step_offset
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import admin_page, card, error_callout, phase_badge, stat
from mockexam.config import settings
from mockexam.services.exams import ExamListEntry, list_exams
from mockexam.services.transactions import in_session

PAGE_SIZE = 50


class ExamRow(TypedDict):
    exam_id: int
    href: str
    title: str
    phase: str
    window: str
    duration: int
    has_pdf: bool
    sessions: int
    submitted: int
    auto_submitted: int
    missing_key: int


def exam_row(entry: ExamListEntry) -> ExamRow:
    return {
        "exam_id": entry.exam_id,
        "href": f"{ADMIN_ROOT}/exams/{entry.exam_id}",
        "title": entry.title,
        "phase": entry.phase.value,
        "window": f"{local_text(entry.window_start)} – {local_text(entry.window_end)}",
        "duration": entry.duration_minutes,
        "has_pdf": entry.has_pdf,
        "sessions": entry.sessions,
        "submitted": entry.submitted,
        "auto_submitted": entry.auto_submitted,
        "missing_key": entry.missing_key,
    }


class ExamsState(AdminState):
    """One page of the exam list and the number of exams per phase."""

    loaded: bool = False
    rows: list[ExamRow] = []
    total: int = 0
    offset: int = 0
    drafts: int = 0
    scheduled: int = 0
    open_now: int = 0
    closed: int = 0
    released: int = 0
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        offset = self.offset
        listing = await self._service(
            in_session(lambda db: list_exams(db, limit=PAGE_SIZE, offset=offset), readonly=True)
        )
        if listing is FAILED:
            return
        self.loaded = True
        self.rows = [exam_row(e) for e in listing.entries]
        self.total = listing.total
        counts = listing.counts
        self.drafts = counts.draft
        self.scheduled = counts.scheduled
        self.open_now = counts.open
        self.closed = counts.closed
        self.released = counts.released

    @rx.event
    async def load(self):
        """on_load: the newest exams first."""
        if await self._require_admin() is None:
            return
        self.error = ""
        self.offset = 0
        await self._read()

    @rx.event
    async def page(self, step: int):
        """Next (+1) or previous (−1) page of exams."""
        if await self._require_admin() is None:
            return
        offset = step_offset(self.offset, step, page_size=PAGE_SIZE, total=self.total)
        if offset is not None:
            self.offset = offset
            await self._read()


def _row(r: rx.Var[ExamRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(r["title"], href=r["href"], weight="medium", custom_attrs=USER_CONTENT),
        ),
        rx.table.cell(phase_badge(r["phase"].to(str))),
        rx.table.cell(rx.text(r["window"], size="2")),
        rx.table.cell(r["duration"], t(" daq.", " мин", " min")),
        rx.table.cell(
            rx.cond(
                r["has_pdf"],
                rx.icon("file-check", size=16, color="var(--green-10)"),
                rx.icon("file-x", size=16, color="var(--gray-8)"),
            )
        ),
        rx.table.cell(
            rx.cond(
                r["missing_key"].to(int) > 0,
                rx.badge(
                    r["missing_key"],
                    t(" ta kalitsiz", " без ключа", " missing"),
                    color_scheme="amber",
                    size="1",
                ),
                rx.icon("check", size=16, color="var(--green-10)"),
            )
        ),
        rx.table.cell(r["sessions"]),
        rx.table.cell(r["submitted"]),
        rx.table.cell(r["auto_submitted"]),
        class_name="exam-row",
        data_phase=r["phase"].to(str),
    )


def exams_page() -> rx.Component:
    return admin_page(
        error_callout(ExamsState.error, callout_id="exams-error"),
        rx.hstack(
            stat(t("Qoralamalar", "Черновики", "Drafts"), ExamsState.drafts, stat_id="count-draft"),
            stat(
                t("Rejalashtirilgan", "Запланированы", "Scheduled"),
                ExamsState.scheduled,
                stat_id="count-scheduled",
            ),
            stat(
                t("Hozir ochiq", "Открыты сейчас", "Open now"),
                ExamsState.open_now,
                stat_id="count-open",
            ),
            stat(t("Yopilgan", "Закрыты", "Closed"), ExamsState.closed, stat_id="count-closed"),
            stat(
                t("Natijalar chiqqan", "Итоги опубликованы", "Released"),
                ExamsState.released,
                stat_id="count-released",
            ),
            spacing="3",
            width="100%",
        ),
        card(
            rx.cond(
                ExamsState.rows.length() > 0,
                rx.table.root(
                    header_row(
                        t("Imtihon", "Экзамен", "Exam"),
                        t("Holat", "Статус", "Status"),
                        t("Oyna", "Окно", "Window") + f" ({settings.local_timezone})",
                        t("Davomiyligi", "Длительность", "Duration"),
                        "PDF",
                        t("Kalit", "Ключ", "Key"),
                        t("Boshlagan", "Начали", "Started"),
                        t("Topshirgan", "Сдали", "Submitted"),
                        t("Avtomatik", "Автоматически", "Auto"),
                    ),
                    rx.table.body(rx.foreach(ExamsState.rows, _row)),
                    variant="surface",
                    width="100%",
                    id="exams-table",
                ),
                rx.cond(
                    ExamsState.loaded,
                    rx.text(
                        t(
                            "Hali imtihon yo‘q: birinchisini yarating.",
                            "Экзаменов пока нет: создайте первый.",
                            "No exams yet: create the first one.",
                        ),
                        color="var(--gray-11)",
                    ),
                    rx.spinner(),
                ),
            ),
            rx.hstack(
                rx.text(
                    ExamsState.total,
                    count_text(
                        ExamsState.total,
                        uz=" ta imtihon",
                        ru=(" экзамен", " экзамена", " экзаменов"),
                        en=(" exam", " exams"),
                    ),
                    size="2",
                    color="var(--gray-11)",
                ),
                rx.spacer(),
                *pager_buttons(ExamsState, PAGE_SIZE),
                width="100%",
                align="center",
            ),
        ),
        active="exams",
        title=t("Imtihonlar", "Экзамены", "Exams"),
        subtitle=t(
            "Qoralama → e’lon qilingan (rejalashtirilgan, ochiq, yopilgan) → natijalar chiqdi",
            "Черновик → опубликован (запланирован, открыт, закрыт) → итоги опубликованы",
            "Draft → published (scheduled, open, closed) → results released",
        ),
        actions=rx.link(
            rx.button(
                rx.icon("plus", size=16),
                t("Yangi imtihon", "Новый экзамен", "New exam"),
                size="3",
                id="new-exam",
            ),
            href=f"{ADMIN_ROOT}/exams/new",
        ),
    )


EXAMS_ON_LOAD = [AdminState.check_session, ExamsState.load]
