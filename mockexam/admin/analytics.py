"""The analytics page `/admin/analytics`: totals and Plotly charts from SQL aggregates.

Totals (students, active in 30 days, exams, sessions); the score
distribution of a chosen exam (scaled score or raw points); user growth by
month; retention by cohort month; the Elo distribution; participation per
exam. Every number comes from `services.analytics` (aggregates, never rows);
the figures live in their own small substates.
"""

from __future__ import annotations

from typing import TypedDict

import plotly.graph_objects as go
import reflex as rx

from mockexam import admin_charts as charts
from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import plot
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, stat
from mockexam.parsing import parse_id
from mockexam.scoring.points import format_points
from mockexam.services import analytics

ANALYTICS_ROUTE = f"{ADMIN_ROOT}/analytics"
METRICS = ("scaled", "points")


class ExamChoice(TypedDict):
    exam_id: str
    label: str


def _short(title: str, limit: int = 24) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


class AnalyticsState(AdminState):
    """Headline totals and the exams one can pick for the score distribution."""

    loaded: bool = False
    students: int = 0
    active_students: int = 0
    reachable_students: int = 0
    exams: int = 0
    released_exams: int = 0
    sessions: int = 0
    submitted_sessions: int = 0
    as_of: str = ""
    exam_choices: list[ExamChoice] = []
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def load(self):
        """on_load: totals and every chart (one service call each, in one worker thread)."""
        if await self._require_admin() is None:
            return None

        def read():
            return (
                analytics.analytics_totals(),
                analytics.user_growth_by_month(),
                analytics.retention_by_cohort(),
                analytics.elo_distribution(),
                analytics.participation_per_exam(),
            )

        result = await self._service(read)
        if result is FAILED:
            return None
        totals, growth, retention, elo, participation = result
        self.loaded = True
        self.students = totals.students
        self.active_students = totals.active_students
        self.reachable_students = totals.reachable_students
        self.exams = totals.exams
        self.released_exams = totals.released_exams
        self.sessions = totals.sessions
        self.submitted_sessions = totals.submitted_sessions
        self.as_of = local_text(totals.as_of)
        with_sessions = [p for p in participation if p.submitted > 0]
        self.exam_choices = [
            {
                "exam_id": str(p.exam_id),
                "label": f"{p.title} ({local_text(p.window_start)[:10]}, "
                + self._text(
                    f"{p.submitted} ta topshirgan",
                    f"сдали: {p.submitted}",
                    f"{p.submitted} submitted",
                )
                + ")",
            }
            for p in reversed(with_sessions)
        ]
        figures = await self.get_state(AnalyticsChartsState)
        figures._show(growth, retention, elo, participation)
        latest = next((p.exam_id for p in reversed(with_sessions)), None)
        return ScoreChartState.choose(str(latest)) if latest is not None else None


class AnalyticsChartsState(AdminState):
    """Growth, retention, Elo and participation figures."""

    growth: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    retention: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    elo: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    participation: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    elo_summary: str = ""

    def _forget(self) -> None:
        self.reset()

    def _show(
        self,
        growth: tuple[analytics.MonthlyGrowth, ...],
        retention: analytics.CohortRetention,
        elo: analytics.EloDistribution,
        participation: tuple[analytics.ExamParticipation, ...],
    ) -> None:
        lang = self._lang()
        if growth:
            self.growth = charts.user_growth_figure(
                months=[g.month for g in growth],
                new_students=[g.new_students for g in growth],
                cumulative=[g.total_students for g in growth],
                lang=lang,
            )
        else:
            self.growth = charts.blank_admin_figure(
                message=self._text(
                    "Hali o‘quvchilar yo‘q.", "Учеников пока нет.", "No students yet."
                )
            )
        if retention.cohorts:
            self.retention = charts.retention_heatmap_figure(
                cohorts=[c.month for c in retention.cohorts],
                cohort_sizes=[c.size for c in retention.cohorts],
                shares=[list(c.shares) for c in retention.cohorts],
                lang=lang,
            )
        else:
            self.retention = charts.blank_admin_figure(
                message=self._text(
                    "Hali topshirilgan imtihonlar yo‘q.",
                    "Сданных экзаменов пока нет.",
                    "No submitted exams yet.",
                )
            )
        if elo.rated_students:
            self.elo = charts.elo_distribution_figure(
                ratings=charts.Histogram(
                    edges=tuple(elo.histogram.edges), counts=tuple(elo.histogram.counts)
                ),
                lang=lang,
            )
            n, mean, median = elo.rated_students, f"{elo.mean:.0f}", f"{elo.median:.0f}"
            self.elo_summary = self._text(
                f"{n} ta reytingli · o‘rtacha {mean} · mediana {median}",
                f"с рейтингом: {n} · среднее {mean} · медиана {median}",
                f"{n} rated · mean {mean} · median {median}",
            )
        else:
            self.elo = charts.blank_admin_figure(
                message=self._text(
                    "Hali hech kimda reyting yo‘q.",
                    "Рейтинга пока нет ни у кого.",
                    "Nobody is rated yet.",
                )
            )
            self.elo_summary = ""
        if participation:
            self.participation = charts.participation_figure(
                exam_titles=[f"{_short(p.title)} #{p.exam_id}" for p in participation],
                participants=[p.started for p in participation],
                submitted=[p.submitted for p in participation],
                lang=lang,
            )
        else:
            self.participation = charts.blank_admin_figure(
                message=self._text(
                    "Hali e’lon qilingan imtihonlar yo‘q.",
                    "Опубликованных экзаменов пока нет.",
                    "No published exams yet.",
                )
            )


class ScoreChartState(AdminState):
    """The chosen exam's score distribution (scaled score or raw points)."""

    exam_id: str = ""
    metric: str = "scaled"
    figure: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    summary: str = ""
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _draw(self) -> None:
        exam_id, metric = parse_id(self.exam_id), self.metric
        if exam_id is None:
            return
        data = await self._service(lambda: analytics.score_distribution(exam_id))
        if data is FAILED:
            return
        self.error = ""
        lang = self._lang()
        if metric == "scaled" and data.scored:
            hist = data.scaled
            self.figure = charts.score_distribution_figure(
                scores=list(hist.centers),
                counts=list(hist.counts),
                x_title=self._text(
                    "shkala bo‘yicha ball (0–100)", "шкальный балл (0–100)", "scaled score (0–100)"
                ),
                mean=data.mean_scaled,
                lang=lang,
            )
        elif data.participants:
            hist = data.points
            most = format_points(data.max_points, lang)
            self.figure = charts.score_distribution_figure(
                scores=[int(e) for e in hist.edges[:-1]],
                counts=list(hist.counts),
                x_title=self._text(
                    f"ball (maksimal {most})", f"баллы (из {most})", f"points (of {most})"
                ),
                mean=data.mean_points,
                lang=lang,
            )
        else:
            self.figure = charts.blank_admin_figure(
                message=self._text(
                    "Topshirilgan ishlar yo‘q.", "Сданных работ нет.", "No submitted sessions."
                )
            )
        n = data.participants
        submitted = self._text(f"{n} ta topshirgan", f"сдали: {n}", f"{n} submitted")
        if metric == "points" or not data.scored:
            shown = self._text("xom ballar", "первичные баллы", "raw points")
        else:
            shown = self._text("shkala ballari", "шкальные баллы", "scaled scores")
        provisional = (
            self._text(" · dastlabki", " · предварительно", " · provisional")
            if data.is_provisional
            else ""
        )
        self.summary = f"{submitted} · {shown}{provisional}"

    @rx.event
    async def choose(self, exam_id: str):
        """Show another exam's distribution."""
        if await self._require_admin() is None:
            return
        if parse_id(exam_id if isinstance(exam_id, str) else None) is None:
            self.error = self._text(
                "Ro‘yxatdan imtihonni tanlang.",
                "Выберите экзамен из списка.",
                "Choose an exam from the list.",
            )
            return
        self.exam_id = exam_id
        await self._draw()

    @rx.event
    async def set_metric(self, metric: str | list[str]):
        """Scaled score or raw points."""
        if await self._require_admin() is None or metric not in METRICS:
            return
        self.metric = metric
        await self._draw()


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _score_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(
                t("Ballar taqsimoti", "Распределение баллов", "Score distribution"), size="4"
            ),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(
                    placeholder=t("Imtihonni tanlang", "Выберите экзамен", "Choose an exam"),
                    id="score-exam",
                ),
                rx.select.content(
                    rx.foreach(
                        AnalyticsState.exam_choices,
                        lambda c: rx.select.item(c["label"], value=c["exam_id"]),
                    )
                ),
                value=ScoreChartState.exam_id,
                on_change=ScoreChartState.choose,
            ),
            rx.segmented_control.root(
                rx.segmented_control.item(t("Shkala", "Шкала", "Scaled"), value="scaled"),
                rx.segmented_control.item(t("Ball", "Баллы", "Points"), value="points"),
                value=ScoreChartState.metric,
                on_change=ScoreChartState.set_metric,
                id="score-metric",
            ),
            spacing="3",
            align="center",
            width="100%",
        ),
        error_callout(ScoreChartState.error, callout_id="score-error"),
        rx.text(ScoreChartState.summary, size="2", color="var(--gray-11)"),
        plot(ScoreChartState.figure, "score-chart"),
    )


def analytics_page() -> rx.Component:
    return admin_page(
        error_callout(AnalyticsState.error, callout_id="analytics-error"),
        rx.hstack(
            stat(
                t("O‘quvchilar", "Ученики", "Students"),
                AnalyticsState.students,
                stat_id="total-students",
            ),
            stat(
                t("Faol (30 kun)", "Активные (30 дней)", "Active (30 days)"),
                AnalyticsState.active_students,
                stat_id="total-active",
            ),
            stat(
                t("Xabar yetadiganlar", "Доступны для рассылки", "Reachable"),
                AnalyticsState.reachable_students,
                stat_id="total-reachable",
            ),
            stat(t("Imtihonlar", "Экзамены", "Exams"), AnalyticsState.exams, stat_id="total-exams"),
            stat(
                t("Natijasi chiqqan", "С результатами", "Released"),
                AnalyticsState.released_exams,
                stat_id="total-released",
            ),
            stat(
                t("Urinishlar", "Попытки", "Sessions"),
                AnalyticsState.sessions,
                stat_id="total-sessions",
            ),
            stat(
                t("Topshirilgan", "Сдано", "Submitted"),
                AnalyticsState.submitted_sessions,
                stat_id="total-submitted",
            ),
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        _score_card(),
        rx.grid(
            card(
                rx.heading(
                    t(
                        "O‘quvchilar soni oyma-oy",
                        "Рост числа учеников по месяцам",
                        "User growth by month",
                    ),
                    size="4",
                ),
                plot(AnalyticsChartsState.growth, "growth-chart"),
            ),
            card(
                rx.heading(
                    t(
                        "Qo‘shilgan oy bo‘yicha qaytish",
                        "Удержание по месяцу регистрации",
                        "Retention by cohort month",
                    ),
                    size="4",
                ),
                rx.text(
                    t(
                        "Har oyning yangi ishtirokchilaridan k oydan keyin imtihon "
                        "topshirganlar ulushi.",
                        "Доля новых участников каждого месяца, сдавших экзамен через k месяцев.",
                        "Share of each month's new participants who took an exam k months later.",
                    ),
                    size="1",
                    color="var(--gray-10)",
                ),
                plot(AnalyticsChartsState.retention, "retention-chart"),
            ),
            card(
                rx.hstack(
                    rx.heading(
                        t("Elo taqsimoti", "Распределение Elo", "Elo distribution"), size="4"
                    ),
                    rx.spacer(),
                    rx.text(AnalyticsChartsState.elo_summary, size="1", color="var(--gray-10)"),
                    width="100%",
                ),
                plot(AnalyticsChartsState.elo, "elo-chart"),
            ),
            card(
                rx.heading(
                    t(
                        "Imtihonlar bo‘yicha ishtirok",
                        "Участие по экзаменам",
                        "Participation per exam",
                    ),
                    size="4",
                ),
                plot(AnalyticsChartsState.participation, "participation-chart"),
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
        active="analytics",
        title=t("Tahlil", "Аналитика", "Analytics"),
        subtitle=rx.cond(
            AnalyticsState.as_of != "",
            t("Holat: ", "По состоянию на ", "As of ") + AnalyticsState.as_of,
            "",
        ),
    )


ANALYTICS_ON_LOAD = [AdminState.check_session, AnalyticsState.load]
