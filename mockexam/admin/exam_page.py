"""The exam page `/admin/exams/<id>`: header with lifecycle buttons and five tabs.

Tabs: Details (edit + PDF, the answer sheet's layout card and, for a draft, the
layout builder to change it), Answer key, Publish & notify, Live monitor,
Results. Each tab has its own small state; the page loads the first three
at once and the monitor and results when their tab is opened.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mockexam.admin.answer_key import KeyState, key_tab
from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.exam_audience import AudienceState
from mockexam.admin.exam_edit import (
    ExamState,
    details_tab,
    exam_actions,
    exam_messages,
    exam_summary,
    layout_card,
)
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.admin.layout_builder import LayoutBuilderState, layout_builder, rows_of_layout
from mockexam.admin.monitor import MonitorState, monitor_tab
from mockexam.admin.notify import NotifyState, notify_tab
from mockexam.admin.results import ResultsState, results_tab
from mockexam.errors import ExamLockedError, msg
from mockexam.models import ExamPhase, ExamStatus
from mockexam.scoring.layout import LayoutError
from mockexam.services import exams as exam_service
from mockexam.services.transactions import in_session

EXAM_ROUTE = f"{ADMIN_ROOT}/exams/[exam_id]"
TABS = ("details", "key", "notify", "monitor", "results")


class ExamTabsState(ExamState):
    """Which tab is open; opening the monitor or results loads them."""

    tab: str = "details"

    @rx.event
    async def open_tab(self, tab: str):
        if await self._require_admin() is None or tab not in TABS:
            return None
        self.tab = tab
        if tab == "monitor":
            return MonitorState.load
        if tab == "results":
            return ResultsState.load
        return None

    @rx.event
    async def reset_tab(self):
        """on_load: every visit starts on the Details tab."""
        if await self._require_admin() is None:
            return
        self.tab = "details"


class DraftLayoutState(LayoutBuilderState):
    """The builder on a draft's page: its current layout, then `services.exams.set_layout`
    (drafts only; keys of items whose kind and options stay are kept)."""

    layout_exam_id: int = 0
    layout_open: bool = False
    layout_error: str = ""
    layout_notice: str = ""

    @rx.event
    async def open_layout(self):
        """Show the builder with the draft's layout as it is stored."""
        if await self._require_admin() is None:
            return
        exam_id = self._route_id()
        if exam_id is None:
            return
        self.layout_error, self.layout_notice = "", ""

        found = await self._service(
            in_session(lambda db: _draft_layout(db, exam_id), readonly=True),
            error_var="layout_error",
        )
        if found is FAILED:
            return
        self.layout_exam_id = exam_id
        self.template = found.template
        self.official_score = found.official_score
        self.rows = rows_of_layout(found)
        self.json_text, self.json_error = "", ""
        self._replaced()
        self.layout_open = True

    @rx.event
    async def close_layout(self):
        """Hide the builder (the Cancel button, and every visit of an exam page)."""
        if await self._require_admin() is None:
            return
        self.layout_open = False
        self.layout_error, self.layout_notice = "", ""

    @rx.event
    async def apply_layout(self):
        """Give the draft the builder's layout (checked on the server, every problem named)."""
        admin_id = await self._require_admin()
        exam_id = self.layout_exam_id
        if admin_id is None or not exam_id or exam_id != self._route_id():
            return None
        self.layout_error, self.layout_notice = "", ""
        try:
            layout = self._layout()
        except LayoutError as err:
            self.layout_error = err.text(self._lang())
            self._refresh()
            return None
        change = await self._service(
            in_session(lambda db: exam_service.set_layout(db, exam_id, layout, admin_id=admin_id)),
            error_var="layout_error",
        )
        if change is FAILED:
            return None
        kept, cleared = len(change.kept), len(change.cleared)
        self.layout_notice = self._text(
            f"Varaqa yangilandi: {kept} ta kalit saqlandi, {cleared} tasi o‘chirildi.",
            f"Бланк обновлён: ключей сохранено {kept}, сброшено {cleared}.",
            f"Answer sheet changed: {kept} keys kept, {cleared} cleared.",
        )
        self.layout_open = False
        return [ExamState.refresh, KeyState.load]


def _draft_layout(db: Any, exam_id: int) -> Any:
    exam = exam_service.get_exam(db, exam_id)
    if exam.status != ExamStatus.DRAFT:
        raise ExamLockedError(
            msg(
                "Varaqani faqat qoralamada o‘zgartirish mumkin.",
                "Бланк можно менять только у черновика.",
                "Only a draft's answer sheet can be changed.",
            )
        )
    return exam_service.exam_layout(exam)


def _draft_layout_card() -> rx.Component:
    """A draft's "change the answer sheet" (the builder, then apply)."""
    return card(
        error_callout(DraftLayoutState.layout_error, callout_id="layout-error"),
        success_callout(DraftLayoutState.layout_notice, callout_id="layout-notice"),
        rx.cond(
            DraftLayoutState.layout_open,
            rx.vstack(
                layout_builder(),
                rx.hstack(
                    rx.button(
                        t("Varaqani saqlash", "Сохранить бланк", "Save the answer sheet"),
                        on_click=DraftLayoutState.apply_layout,
                        id="layout-apply",
                    ),
                    rx.button(
                        t("Bekor qilish", "Отмена", "Cancel"),
                        on_click=DraftLayoutState.close_layout,
                        variant="soft",
                        color_scheme="gray",
                    ),
                    spacing="3",
                ),
                spacing="3",
                width="100%",
            ),
            rx.button(
                rx.icon("layout-list", size=16),
                t("Varaqani o‘zgartirish", "Изменить бланк", "Change the answer sheet"),
                on_click=DraftLayoutState.open_layout,
                variant="soft",
                id="layout-open",
            ),
        ),
    )


def _not_found() -> rx.Component:
    return rx.callout(
        rx.hstack(
            rx.text(
                t(
                    "Bunday imtihon yo‘q (yoki o‘chirilgan).",
                    "Такого экзамена нет (или он удалён).",
                    "This exam does not exist (or was deleted).",
                )
            ),
            rx.link(t("Imtihonlarga qaytish", "К экзаменам", "Back to the exams"), href=ADMIN_ROOT),
            spacing="2",
        ),
        icon="circle-alert",
        color_scheme="red",
        id="exam-not-found",
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            exam_summary(),
            rx.spacer(),
            rx.cond(
                ExamState.phase == ExamPhase.RELEASED,
                rx.link(
                    rx.button(
                        rx.icon("chart-scatter", size=16),
                        t("Savollar tahlili", "Анализ заданий", "Item analysis"),
                        variant="soft",
                    ),
                    href=f"{ADMIN_ROOT}/exams/" + ExamState.exam_id.to_string() + "/analysis",
                    id="open-analysis",
                ),
            ),
            rx.cond(
                ExamState.phase == ExamPhase.RELEASED,
                rx.link(
                    rx.button(
                        rx.icon("shield-check", size=16),
                        t("Shkala va ko‘chirish", "Шкала и списывание", "Scale and copying"),
                        variant="soft",
                    ),
                    href=f"{ADMIN_ROOT}/exams/" + ExamState.exam_id.to_string() + "/integrity",
                    id="open-integrity",
                ),
            ),
            exam_actions(),
            align="center",
            width="100%",
            spacing="3",
        ),
        exam_messages(),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(
                    t("Ma’lumotlar", "Сведения", "Details"), value="details", id="tab-details"
                ),
                rx.tabs.trigger(
                    rx.hstack(
                        t("Javoblar kaliti", "Ключ ответов", "Answer key"),
                        rx.cond(
                            ExamState.missing_count > 0,
                            rx.badge(ExamState.missing_count, color_scheme="amber", size="1"),
                        ),
                        spacing="2",
                        align="center",
                    ),
                    value="key",
                    id="tab-key",
                ),
                rx.tabs.trigger(
                    t("E’lon va xabar", "Публикация и уведомления", "Publish & notify"),
                    value="notify",
                    id="tab-notify",
                ),
                rx.tabs.trigger(
                    t("Jonli kuzatuv", "Мониторинг", "Live monitor"),
                    value="monitor",
                    id="tab-monitor",
                ),
                rx.tabs.trigger(
                    t("Natijalar", "Результаты", "Results"), value="results", id="tab-results"
                ),
                size="2",
            ),
            rx.box(
                rx.tabs.content(
                    rx.vstack(
                        details_tab(),
                        layout_card(),
                        rx.cond(ExamState.phase == ExamPhase.DRAFT, _draft_layout_card()),
                        spacing="4",
                        width="100%",
                    ),
                    value="details",
                ),
                rx.tabs.content(key_tab(), value="key"),
                rx.tabs.content(notify_tab(), value="notify"),
                rx.tabs.content(monitor_tab(), value="monitor"),
                rx.tabs.content(results_tab(), value="results"),
                padding_top="1.25rem",
            ),
            value=ExamTabsState.tab,
            on_change=ExamTabsState.open_tab,
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def exam_page() -> rx.Component:
    return admin_page(
        rx.cond(
            ExamState.loaded,
            rx.cond(ExamState.not_found, _not_found(), _body()),
            rx.spinner(size="3"),
        ),
        active="exams",
        title=rx.cond(ExamState.title != "", ExamState.title, t("Imtihon", "Экзамен", "Exam")),
    )


EXAM_ON_LOAD = [
    AdminState.check_session,
    ExamTabsState.reset_tab,
    ExamState.load,
    AudienceState.load,
    KeyState.load,
    NotifyState.load,
    DraftLayoutState.close_layout,
]
