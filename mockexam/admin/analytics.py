"""The analytics page `/admin/analytics`: totals and Plotly charts from SQL aggregates.

Totals (students, active in 30 days, exams, sessions); the score
distribution of a chosen exam (scaled score or raw points); user growth by
month; retention by cohort month; the Elo distribution; participation per
exam. Every number comes from `services.analytics` (aggregates, never rows);
the figures live in their own small substates.

Teachers open the page too (Capability.VIEW), for their own groups' students.
Every handler works out the caller's reach on the server (`access.scope_for`,
from the role it has just re-read) and narrows it to the chosen group only after
checking that the reach covers it: the group filter's value from the page is an
argument like any other, never the scope itself.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from mockexam.services import access, analytics
from mockexam.services.access import Capability, Scope
from mockexam.services.transactions import in_session

ANALYTICS_ROUTE = f"{ADMIN_ROOT}/analytics"
METRICS = ("scaled", "points")
ALL_GROUPS = "all"  # the group filter's value for everyone in the caller's reach

NOTHING_SUBMITTED = ("Topshirilgan ishlar yo‘q.", "Сданных работ нет.", "No submitted sessions.")
NOT_A_GROUP_OF_YOURS = (
    "Ro‘yxatdagi guruhlardan birini tanlang.",
    "Выберите группу из списка.",
    "Choose a group from the list.",
)


class ExamChoice(TypedDict):
    exam_id: str
    label: str


class GroupOption(TypedDict):
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class AnalyticsFigures:
    """Every aggregate of the page, of one scope."""

    totals: analytics.AnalyticsTotals
    growth: tuple[analytics.MonthlyGrowth, ...]
    retention: analytics.CohortRetention
    elo: analytics.EloDistribution
    participation: tuple[analytics.ExamParticipation, ...]


@dataclass(frozen=True, slots=True)
class AnalyticsRead:
    """What one read of the page found: the filter's choices, the group shown, the figures.

    `figures` is None when there is nothing to show: the caller teaches no group, or
    (`refused`) the group asked for is out of their reach."""

    groups: tuple[analytics.GroupChoice, ...]
    reach_is_everything: bool  # owners and admins: "All students"; teachers: "All my groups"
    group_id: int | None  # the group the figures are of (None: everyone in reach)
    figures: AnalyticsFigures | None
    refused: bool = False


def _reach(admin_id: int, role: str) -> Scope:
    """The caller's reach, from the role `_require_admin` has just re-read."""
    return in_session(
        lambda db: access.scope_for(db, admin_id=admin_id, role=role), readonly=True
    )()


def _read_analytics(
    *, admin_id: int, role: str, group_id: int | None, strict: bool
) -> AnalyticsRead:
    """The caller's reach narrowed to `group_id` (if it covers it), and every aggregate of it.

    A group out of reach is refused when `strict` (the admin chose it just now), else
    dropped for everyone in reach (chosen earlier, and the teacher has since left it)."""
    reach = _reach(admin_id, role)
    nothing = reach.group_ids == frozenset()  # a teacher who teaches no group
    groups = () if nothing else analytics.group_choices(reach)
    scope: Scope | None = reach
    if group_id is not None:
        scope = analytics.group_scope(reach, group_id, groups)
        if scope is None and strict:
            return AnalyticsRead(
                groups=groups,
                reach_is_everything=reach.is_everything,
                group_id=None,
                figures=None,
                refused=True,
            )
        if scope is None:
            scope, group_id = reach, None
    if nothing:
        return AnalyticsRead(groups=(), reach_is_everything=False, group_id=None, figures=None)
    figures = AnalyticsFigures(
        totals=analytics.analytics_totals(scope=scope),
        growth=analytics.user_growth_by_month(scope=scope),
        retention=analytics.retention_by_cohort(scope=scope),
        elo=analytics.elo_distribution(scope=scope),
        participation=analytics.participation_per_exam(scope=scope),
    )
    return AnalyticsRead(
        groups=groups,
        reach_is_everything=reach.is_everything,
        group_id=group_id,
        figures=figures,
    )


def _read_scores(
    *, admin_id: int, role: str, group_id: int | None, exam_id: int
) -> analytics.ScoreDistribution | None:
    """One exam's distribution over the caller's reach (narrowed to `group_id`); None when
    there is nothing in reach (no group, or the chosen group has left it)."""
    reach = _reach(admin_id, role)
    scope = reach
    if group_id is not None:
        scope = analytics.group_scope(reach, group_id, analytics.group_choices(reach))
    if scope is None or scope.group_ids == frozenset():
        return None
    return analytics.score_distribution(exam_id, scope=scope)


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
    # The group filter: "all" or a group id, and what it offers (live groups in reach).
    group_choice: str = ALL_GROUPS
    group_options: list[GroupOption] = []
    # A teacher who teaches no group: the page explains instead of showing empty charts.
    no_groups: bool = False
    error: str = ""

    # The group the figures are of (None: everyone in reach): checked against the reach
    # when chosen and again at every read. The score chart reads it from here.
    _group_id: int | None = None

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def load(self):
        """on_load: totals and every chart (one service call each, in one worker thread)."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return None
        return await self._read(me, self._group_id, strict=False)

    @rx.event
    async def choose_group(self, group_id: str):
        """Narrow the page to one group in the caller's reach ("all": everyone in it).

        A group out of reach (or not live) is refused, and nothing else changes."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return None
        self.error = ""
        wanted = None
        if group_id != ALL_GROUPS:
            wanted = parse_id(group_id if isinstance(group_id, str) else None)
            if wanted is None:
                self.error = self._text(*NOT_A_GROUP_OF_YOURS)
                return None
        return await self._read(me, wanted, strict=True)

    async def _read(self, me: int, group_id: int | None, *, strict: bool):
        role = self._admin_role
        result = await self._service(
            lambda: _read_analytics(admin_id=me, role=role, group_id=group_id, strict=strict)
        )
        if result is FAILED:
            return None
        if result.refused:
            self.error = self._text(*NOT_A_GROUP_OF_YOURS)
            return None
        figures = await self.get_state(AnalyticsChartsState)
        score = await self.get_state(ScoreChartState)
        if result.figures is None:  # a teacher without a group: the page says so
            self.reset()
            figures.reset()
            score.reset()
            self.no_groups = self.loaded = True
            return None
        totals, participation = result.figures.totals, result.figures.participation
        self.no_groups = False
        self._group_id = result.group_id
        self.group_choice = ALL_GROUPS if result.group_id is None else str(result.group_id)
        everyone = (
            self._text("Barcha o‘quvchilar", "Все ученики", "All students")
            if result.reach_is_everything
            else self._text("Barcha guruhlarim", "Все мои группы", "All my groups")
        )
        self.group_options = [
            {"value": ALL_GROUPS, "label": everyone},
            *({"value": str(g.group_id), "label": g.name} for g in result.groups),
        ]
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
        figures._show(result.figures)
        shown = parse_id(score.exam_id)
        if any(p.exam_id == shown for p in with_sessions):
            return ScoreChartState.choose(score.exam_id)  # the same exam, of these students
        latest = next((p.exam_id for p in reversed(with_sessions)), None)
        if latest is None:
            score._show_nothing()
            return None
        return ScoreChartState.choose(str(latest))


class AnalyticsChartsState(AdminState):
    """Growth, retention, Elo, participation and progress-on-the-scale figures."""

    growth: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    retention: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    elo: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    participation: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    progress: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    elo_summary: str = ""

    def _forget(self) -> None:
        self.reset()

    def _show(self, data: AnalyticsFigures) -> None:
        growth, retention = data.growth, data.retention
        elo, participation = data.elo, data.participation
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
        scored = [p for p in participation if p.calibrated and p.mean_scaled is not None]
        if scored:
            self.progress = charts.scale_progress_figure(
                exam_titles=[f"{_short(p.title)} #{p.exam_id}" for p in scored],
                means=[p.mean_scaled or 0.0 for p in scored],
                on_common_scale=[p.on_common_scale for p in scored],
                lang=lang,
            )
        else:
            self.progress = charts.blank_admin_figure(
                message=self._text(
                    "Hali kalibrlangan natijalar yo‘q.",
                    "Откалиброванных результатов пока нет.",
                    "No calibrated results yet.",
                )
            )
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

    def _show_nothing(self) -> None:
        """No exam to show: none of the students in view has submitted one."""
        self.exam_id = self.summary = self.error = ""
        self.figure = charts.blank_admin_figure(message=self._text(*NOTHING_SUBMITTED))

    async def _draw(self, me: int) -> None:
        exam_id, metric = parse_id(self.exam_id), self.metric
        if exam_id is None:
            return
        group_id = (await self.get_state(AnalyticsState))._group_id
        role = self._admin_role
        data = await self._service(
            lambda: _read_scores(admin_id=me, role=role, group_id=group_id, exam_id=exam_id)
        )
        if data is FAILED:
            return
        if data is None:  # no group in reach, or the chosen one has left it
            self.figure = charts.blank_admin_figure(message=self._text(*NOT_A_GROUP_OF_YOURS))
            self.summary = ""
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
            self.figure = charts.blank_admin_figure(message=self._text(*NOTHING_SUBMITTED))
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
        """Show another exam's distribution (of the students the page is filtered to)."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        if parse_id(exam_id if isinstance(exam_id, str) else None) is None:
            self.error = self._text(
                "Ro‘yxatdan imtihonni tanlang.",
                "Выберите экзамен из списка.",
                "Choose an exam from the list.",
            )
            return
        self.exam_id = exam_id
        await self._draw(me)

    @rx.event
    async def set_metric(self, metric: str | list[str]):
        """Scaled score or raw points."""
        if (me := await self._require_admin(Capability.VIEW)) is None or metric not in METRICS:
            return
        self.metric = metric
        await self._draw(me)


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


def _group_filter() -> rx.Component:
    """The group filter: everyone in the caller's reach, or one of its live groups."""
    return rx.cond(
        (AnalyticsState.group_options.length() > 1) & ~AnalyticsState.no_groups,
        rx.select.root(
            rx.select.trigger(
                placeholder=t("Guruh", "Группа", "Group"),
                id="analytics-group",
                aria_label=t("Guruh bo‘yicha", "По группе", "By group"),
            ),
            rx.select.content(
                rx.foreach(
                    AnalyticsState.group_options,
                    lambda o: rx.select.item(o["label"], value=o["value"]),
                )
            ),
            value=AnalyticsState.group_choice,
            on_change=AnalyticsState.choose_group,
        ),
    )


def _no_groups_note() -> rx.Component:
    """What a teacher without a group sees instead of the charts."""
    return rx.callout(
        t(
            "Tahlil sizning guruhlaringiz o‘quvchilari bo‘yicha ko‘rsatiladi, sizga esa hali "
            "guruh biriktirilmagan. Admin sizni guruhga o‘qituvchi qilib qo‘shganidan keyin "
            "bu yerda natijalar paydo bo‘ladi.",
            "Аналитика показывает учеников ваших групп, а за вами пока не закреплена ни одна "
            "группа. Когда администратор назначит вас преподавателем группы, здесь появятся "
            "её показатели.",
            "Analytics shows the students of your groups, and you have no group yet. Once "
            "an admin makes you a teacher of a group, its figures appear here.",
        ),
        icon="users",
        color_scheme="blue",
        id="analytics-no-groups",
        width="100%",
    )


def analytics_page() -> rx.Component:
    return admin_page(
        error_callout(AnalyticsState.error, callout_id="analytics-error"),
        rx.cond(AnalyticsState.no_groups, _no_groups_note(), _analytics_content()),
        active="analytics",
        title=t("Tahlil", "Аналитика", "Analytics"),
        subtitle=rx.cond(
            AnalyticsState.as_of != "",
            t("Holat: ", "По состоянию на ", "As of ") + AnalyticsState.as_of,
            "",
        ),
        actions=_group_filter(),
    )


def _analytics_content() -> rx.Component:
    return rx.vstack(
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
            card(
                rx.heading(
                    t(
                        "Umumiy shkalada o‘sish",
                        "Рост на общей шкале",
                        "Progress on the common scale",
                    ),
                    size="4",
                ),
                rx.text(
                    t(
                        "Har imtihonning o‘rtacha shkala bali. Umumiy savollar orqali "
                        "bog‘langan imtihonlar bir shkalada: chiziq qog‘ozlarning "
                        "qiyinligini emas, o‘quvchilarning o‘sishini ko‘rsatadi. Bo‘sh "
                        "nuqta: o‘z shkalasidagi imtihon.",
                        "Средний шкальный балл каждого экзамена. Экзамены, связанные через "
                        "общие задания, на одной шкале: линия показывает рост учеников, а "
                        "не трудность вариантов. Полая точка — экзамен на своей шкале.",
                        "Each exam's mean scaled score. Exams linked through common items "
                        "share one scale: the line shows the students' growth, not the "
                        "papers' difficulty. Hollow: an exam on its own scale.",
                    ),
                    size="1",
                    color="var(--gray-10)",
                ),
                plot(AnalyticsChartsState.progress, "progress-chart"),
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
        spacing="5",
        width="100%",
        align="stretch",
    )


ANALYTICS_ON_LOAD = [AdminState.check_session, AnalyticsState.load]
