"""The "Live monitor" tab of an exam: started, in progress, submitted, auto-submitted.

Counts come from `services.exam_results.live_monitor` (one aggregate query).
While the exam is scheduled or open the tab re-reads them every few seconds
on its own (a ticker mounted only then).
"""

from __future__ import annotations

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import t
from mockexam.admin.layout import card, error_callout, stat
from mockexam.models import ExamPhase
from mockexam.services import exam_results

MONITOR_TICK_MS = 5000


class MonitorState(AdminState):
    """The live counts of the page's exam."""

    loaded: bool = False
    phase: str = ""
    started: int = 0
    in_progress: int = 0
    overdue: int = 0
    submitted: int = 0
    auto_submitted: int = 0
    not_started: int = 0
    reachable_not_started: int = 0
    students: int = 0
    submitted_percent: int = 0
    last_started: str = ""
    last_submitted: str = ""
    as_of: str = ""
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        exam_id = self._route_id()
        if exam_id is None:
            return
        monitor = await self._service(lambda: exam_results.live_monitor(exam_id))
        if monitor is FAILED:
            return
        self.error = ""
        self.loaded = True
        self.phase = str(monitor.phase)
        self.started = monitor.started
        self.in_progress = monitor.in_progress
        self.overdue = monitor.overdue
        self.submitted = monitor.submitted
        self.auto_submitted = monitor.auto_submitted
        self.not_started = monitor.not_started
        self.reachable_not_started = monitor.reachable_not_started
        self.students = monitor.students
        self.submitted_percent = round(100 * monitor.submitted_fraction)
        self.last_started = local_text(monitor.last_started_at) or "—"
        self.last_submitted = local_text(monitor.last_submitted_at) or "—"
        self.as_of = local_text(monitor.as_of)

    @rx.event
    async def load(self):
        """on_load (and the tab's refresh button)."""
        if await self._require_admin() is None:
            return
        await self._read()

    @rx.event
    async def tick(self, _now: str = ""):
        """The ticker while the exam is scheduled or open."""
        if await self._require_admin() is None:
            return
        await self._read()


def monitor_tab() -> rx.Component:
    live = (MonitorState.phase == ExamPhase.OPEN) | (MonitorState.phase == ExamPhase.SCHEDULED)
    return rx.vstack(
        error_callout(MonitorState.error, callout_id="monitor-error"),
        card(
            rx.hstack(
                rx.heading(t("Jonli kuzatuv", "Мониторинг", "Live monitor"), size="4"),
                rx.cond(
                    live,
                    rx.badge(
                        t(
                            "har 5 soniyada yangilanadi",
                            "обновляется каждые 5 с",
                            "updating every 5 s",
                        ),
                        color_scheme="green",
                        variant="soft",
                    ),
                ),
                rx.spacer(),
                rx.text(
                    t("holat: ", "на ", "as of "),
                    MonitorState.as_of,
                    size="1",
                    color="var(--gray-10)",
                ),
                rx.icon_button(
                    rx.icon("refresh-cw", size=16),
                    variant="soft",
                    on_click=MonitorState.load,
                    title=t("Yangilash", "Обновить", "Refresh"),
                ),
                align="center",
                width="100%",
            ),
            rx.hstack(
                stat(
                    t("Boshlagan", "Начали", "Started"),
                    MonitorState.started,
                    stat_id="monitor-started",
                ),
                stat(
                    t("Jarayonda", "В процессе", "In progress"),
                    MonitorState.in_progress,
                    stat_id="monitor-in-progress",
                ),
                stat(
                    t("Topshirgan", "Сдали", "Submitted"),
                    MonitorState.submitted,
                    stat_id="monitor-submitted",
                ),
                stat(
                    t("Avtomatik topshirilgan", "Сданы автоматически", "Auto-submitted"),
                    MonitorState.auto_submitted,
                    stat_id="monitor-auto-submitted",
                ),
                stat(
                    t(
                        "Muddati o‘tgan, hali yopilmagan",
                        "Срок вышел, ещё не закрыты",
                        "Past deadline, not swept yet",
                    ),
                    MonitorState.overdue,
                    stat_id="monitor-overdue",
                ),
                stat(
                    t("Boshlamagan", "Не начали", "Not started"),
                    MonitorState.not_started,
                    stat_id="monitor-not-started",
                ),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.progress(value=MonitorState.submitted_percent, max=100, size="2"),
            rx.text(
                t(
                    "Boshlanganlardan topshirilgani: ",
                    "Сдано из начатых: ",
                    "Submitted of the started sessions: ",
                ),
                MonitorState.submitted_percent,
                "% · ",
                t(
                    "xabar yetadigan, lekin boshlamagan o‘quvchilar: ",
                    "доступных учеников, не начавших: ",
                    "reachable students who have not started: ",
                ),
                MonitorState.reachable_not_started,
                t(" · oxirgi boshlash ", " · последнее начало ", " · last start "),
                MonitorState.last_started,
                t(" · oxirgi topshirish ", " · последняя сдача ", " · last submission "),
                MonitorState.last_submitted,
                size="2",
                color="var(--gray-11)",
            ),
        ),
        rx.cond(
            live, rx.moment(interval=MONITOR_TICK_MS, on_change=MonitorState.tick, display="none")
        ),
        spacing="4",
        width="100%",
    )
