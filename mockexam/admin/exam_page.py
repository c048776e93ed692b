"""The exam page `/admin/exams/<id>`: header with lifecycle buttons and five tabs.

Tabs: Details (edit + PDF), Answer key, Publish & notify, Live monitor,
Results. Each tab has its own small state; the page loads the first three
at once and the monitor and results when their tab is opened.
"""

from __future__ import annotations

import reflex as rx

from mockexam.admin.answer_key import KeyState, key_tab
from mockexam.admin.auth import ADMIN_ROOT, AdminState
from mockexam.admin.exam_edit import (
    ExamState,
    details_tab,
    exam_actions,
    exam_messages,
    exam_summary,
    layout_card,
)
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page
from mockexam.admin.monitor import MonitorState, monitor_tab
from mockexam.admin.notify import NotifyState, notify_tab
from mockexam.admin.results import ResultsState, results_tab
from mockexam.models import ExamPhase

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
                    rx.vstack(details_tab(), layout_card(), spacing="4", width="100%"),
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
    KeyState.load,
    NotifyState.load,
]
