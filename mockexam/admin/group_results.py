"""The results card of a group's page: one of the group's exams, the group against everyone.

A teacher's main view of their class (an admin sees it on any group's page): pick one
of the group's exams (the newest first), see how many took it, the group's mean
against everyone's, the group's own ranking, who missed it, and per item the share of
the group that got it right against everyone's (the items where the class is behind
are marked), and download the exports of the group's students only.

The group comes from the route and every read goes through the caller's scope
(services/access.py): a teacher's request for another group's page reads as missing.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import FAILED
from mockexam.admin.bulk_jobs import bulk_button, bulk_progress
from mockexam.admin.components import USER_CONTENT, header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.group_page import GroupPageState
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import card, error_callout
from mockexam.api import EXPORT_ROOT
from mockexam.parsing import parse_id
from mockexam.services import access, bulk, group_results
from mockexam.services.access import Capability
from mockexam.services.exam_results import ExportFile
from mockexam.ui.backend import BACKEND_ORIGIN

BEHIND = 0.15
"""An item is marked when the group's share right is this far below everyone's."""


class ExamChoice(TypedDict):
    value: str
    label: str


class UpcomingView(TypedDict):
    title: str
    when: str


class ResultLineView(TypedDict):
    rank: int
    name: str
    score: str
    grade: str


class ItemView(TypedDict):
    label: str
    group: str
    everyone: str
    group_width: str
    behind: bool


def _number(value: float | None, points: bool = True) -> str:
    """Points as they are written (36, 37.5); a scaled score with one decimal (48.0)."""
    if value is None:
        return "—"
    return f"{value:g}" if points and float(value).is_integer() else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


class GroupResultsState(GroupPageState):
    exams: list[ExamChoice] = []
    upcoming: list[UpcomingView] = []
    exam_id: str = ""
    group_id: int = 0
    members: int = 0
    took: int = 0
    group_mean: str = "—"
    everyone_mean: str = "—"
    everyone_took: int = 0
    difference: str = ""
    ahead: bool = False
    uses_points: bool = False
    results: list[ResultLineView] = []
    missed: list[str] = []
    items: list[ItemView] = []
    behind_count: int = 0
    loaded: bool = False
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, me: int, wanted: int | None) -> None:
        def read(db: Any, group_id: int, scope: access.Scope) -> tuple[Any, Any, Any, int]:
            exams = group_results.group_exams(db, group_id, scope=scope)
            upcoming = group_results.upcoming_exams(db, group_id, scope=scope)
            ids = [e.exam_id for e in exams]
            chosen = wanted if wanted in ids else (ids[0] if ids else None)
            if chosen is None:
                return exams, None, upcoming, group_id
            report = group_results.group_exam_report(db, group_id, chosen, scope=scope)
            return exams, report, upcoming, group_id

        result = await self._in_group(me, read)
        if result is None:
            return
        if result is FAILED:
            self.loaded = False
            self.results, self.missed, self.items, self.exams = [], [], [], []
            self.upcoming = []
            return
        exams, report, upcoming, group_id = result
        self.group_id = group_id
        self.upcoming = [
            {
                "title": u.title,
                "when": f"{local_text(u.window_start)} – {local_text(u.window_end)}",
            }
            for u in upcoming
        ]
        self.exams = [
            {"value": str(e.exam_id), "label": f"{e.title} · {local_text(e.window_start)}"}
            for e in exams
        ]
        self.loaded = True
        if report is None:
            self.exam_id, self.results, self.missed, self.items = "", [], [], []
            self.took = self.members = self.everyone_took = self.behind_count = 0
            return
        self.exam_id = str(report.exam_id)
        self.members, self.took, self.everyone_took = (
            report.members,
            report.took,
            report.everyone_took,
        )
        self.uses_points = report.uses_points
        self.group_mean = _number(report.group_mean)
        self.everyone_mean = _number(report.everyone_mean)
        if report.group_mean is not None and report.everyone_mean is not None:
            gap = report.group_mean - report.everyone_mean
            self.difference = f"{gap:+.1f}"
            self.ahead = gap >= 0
        else:
            self.difference, self.ahead = "", False
        self.results = [
            {
                "rank": n,
                "name": r.name,
                "score": _number(r.score, report.uses_points),
                "grade": r.grade or "—",
            }
            for n, r in enumerate(report.results, start=1)
        ]
        self.missed = [name for _sid, name in report.missed]
        self.items = [
            {
                "label": i.label,
                "group": _share(i.group_correct),
                "everyone": _share(i.everyone_correct),
                "group_width": f"{round((i.group_correct or 0) * 100)}%",
                "behind": i.group_correct is not None
                and i.everyone_correct is not None
                and i.everyone_correct - i.group_correct >= BEHIND,
            }
            for i in report.items
        ]
        self.behind_count = sum(1 for i in self.items if i["behind"])

    @rx.event
    async def load(self):
        """on_load: the group's newest exam."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        self.error = ""
        await self._read(me, None)

    @rx.event
    async def choose_exam(self, exam_id: Any):
        """Another of the group's exams (an id that is not one of them reads the newest)."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        wanted = parse_id(exam_id)
        if wanted is None:
            return
        self.error = ""
        await self._read(me, wanted)


def _export_href(file: ExportFile) -> rx.Var[str]:
    return (
        BACKEND_ORIGIN
        + f"{EXPORT_ROOT}/"
        + GroupResultsState.exam_id
        + f"/export/{file.value}?group="
        + GroupResultsState.group_id.to_string()
    )


def _export_links() -> rx.Component:
    def link(label: rx.Var[str], file: ExportFile, link_id: str) -> rx.Component:
        return rx.el.a(
            rx.button(rx.icon("download", size=14), label, size="1", variant="soft"),
            href=_export_href(file),
            download=True,
            reload_document=True,
            id=link_id,
        )

    return rx.hstack(
        link(
            t("Natijalar (Excel)", "Результаты (Excel)", "Results (Excel)"),
            ExportFile.RESULTS_XLSX,
            "group-export-xlsx",
        ),
        link(
            t("Natijalar (CSV)", "Результаты (CSV)", "Results (CSV)"),
            ExportFile.RESULTS_CSV,
            "group-export-csv",
        ),
        link(
            t("Javoblar 0/1 (CSV)", "Ответы 0/1 (CSV)", "Responses 0/1 (CSV)"),
            ExportFile.RESPONSES_CSV,
            "group-export-matrix",
        ),
        bulk_button(
            t("Sertifikatlar (ZIP)", "Сертификаты (ZIP)", "Certificates (ZIP)"),
            bulk.CERTIFICATES,
            exam=GroupResultsState.exam_id,
            group=GroupResultsState.group_id.to_string(),
            button_id="group-certificates-zip",
        ),
        bulk_button(
            t(
                "Hisobotlar ota-onalar uchun (ZIP)",
                "Отчёты для родителей (ZIP)",
                "Reports for parents (ZIP)",
            ),
            bulk.REPORTS,
            exam="",
            group=GroupResultsState.group_id.to_string(),
            button_id="group-reports-zip",
        ),
        bulk_progress(),
        spacing="2",
        wrap="wrap",
        align="center",
    )


def _figure(
    label: rx.Var[str], value: rx.Var | str, figure_id: str, note: Any = None
) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="6", weight="bold", id=figure_id),
        note if note is not None else rx.fragment(),
        spacing="1",
        min_width="8rem",
    )


def _figures() -> rx.Component:
    score = rx.cond(
        GroupResultsState.uses_points,
        t("ball", "баллы", "points"),
        t("shkala balli", "шкальный балл", "scaled score"),
    )
    return rx.flex(
        _figure(
            t("Topshirdi", "Сдали", "Took it"),
            rx.text.span(GroupResultsState.took, " / ", GroupResultsState.members),
            "group-took",
        ),
        _figure(
            rx.text.span(t("Guruh o‘rtachasi", "Среднее группы", "Group mean"), " (", score, ")"),
            GroupResultsState.group_mean,
            "group-mean",
            rx.cond(
                GroupResultsState.difference != "",
                rx.badge(
                    GroupResultsState.difference,
                    " ",
                    t("hammaga nisbatan", "к общему", "vs everyone"),
                    color_scheme=rx.cond(GroupResultsState.ahead, "grass", "red"),
                    id="group-difference",
                ),
            ),
        ),
        _figure(
            rx.text.span(t("Hammaning o‘rtachasi", "Среднее всех", "Everyone's mean")),
            GroupResultsState.everyone_mean,
            "everyone-mean",
            rx.text(
                GroupResultsState.everyone_took,
                count_text(
                    GroupResultsState.everyone_took,
                    uz=" o‘quvchi",
                    ru=(" ученик", " ученика", " учеников"),
                    en=(" student", " students"),
                ),
                size="1",
                color="var(--gray-10)",
            ),
        ),
        spacing="6",
        wrap="wrap",
    )


def _ranking() -> rx.Component:
    return rx.table.root(
        header_row(
            "#",
            t("O‘quvchi", "Ученик", "Student"),
            t("Ball", "Балл", "Score"),
            t("Baho", "Оценка", "Grade"),
        ),
        rx.table.body(
            rx.foreach(
                GroupResultsState.results,
                lambda r: rx.table.row(
                    rx.table.cell(r["rank"]),
                    rx.table.cell(rx.text(r["name"], weight="medium", custom_attrs=USER_CONTENT)),
                    rx.table.cell(r["score"]),
                    rx.table.cell(r["grade"]),
                    class_name="group-result-row",
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
        id="group-results-table",
    )


def _missed() -> rx.Component:
    return rx.vstack(
        rx.heading(
            t("Topshirmaganlar", "Не сдали", "Did not take it"),
            " (",
            GroupResultsState.missed.length(),
            ")",
            size="3",
        ),
        rx.cond(
            GroupResultsState.missed.length() > 0,
            rx.flex(
                rx.foreach(
                    GroupResultsState.missed,
                    lambda name: rx.badge(
                        name, variant="surface", color_scheme="amber", custom_attrs=USER_CONTENT
                    ),
                ),
                wrap="wrap",
                spacing="2",
                id="group-missed",
            ),
            rx.text(
                t("Hamma topshirdi.", "Сдали все.", "Everyone took it."),
                size="2",
                color="var(--gray-11)",
                id="group-missed-none",
            ),
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _item_row(i: rx.Var[ItemView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(i["label"], weight="medium")),
        rx.table.cell(
            rx.hstack(
                rx.box(
                    rx.box(
                        height="100%",
                        width=i["group_width"],
                        background=rx.cond(i["behind"], "var(--red-9)", "var(--accent-9)"),
                        border_radius="3px",
                    ),
                    width="6rem",
                    height="0.5rem",
                    background="var(--gray-a4)",
                    border_radius="3px",
                ),
                rx.text(i["group"], size="2"),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(rx.text(i["everyone"], size="2", color="var(--gray-11)")),
        class_name=rx.cond(i["behind"], "group-item-row behind", "group-item-row"),
        background_color=rx.cond(i["behind"], "var(--red-a2)", "transparent"),
    )


def _items() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t("Savollar bo‘yicha", "По заданиям", "By item"), size="3"),
            rx.cond(
                GroupResultsState.behind_count > 0,
                rx.badge(
                    GroupResultsState.behind_count,
                    t(" tasida ortda", " — отставание", " behind"),
                    color_scheme="red",
                    id="group-behind",
                ),
            ),
            align="center",
            spacing="2",
        ),
        rx.text(
            t(
                "To‘g‘ri javob berganlar ulushi: guruhda va hammada. Qizil — guruh 15 foizdan "
                "ko‘proq ortda qolgan savollar.",
                "Доля верных ответов: в группе и у всех. Красным — задания, где группа "
                "отстаёт больше чем на 15 процентных пунктов.",
                "The share who got it right: in the group and among everyone. Red: items "
                "where the group is more than 15 points behind.",
            ),
            size="1",
            color="var(--gray-11)",
        ),
        rx.scroll_area(
            rx.table.root(
                header_row(
                    t("Savol", "Задание", "Item"),
                    t("Guruh", "Группа", "Group"),
                    t("Hamma", "Все", "Everyone"),
                ),
                rx.table.body(rx.foreach(GroupResultsState.items, _item_row)),
                size="1",
                variant="ghost",
                width="100%",
                id="group-items-table",
            ),
            max_height="26rem",
            type="auto",
        ),
        spacing="2",
        width="100%",
    )


def _upcoming() -> rx.Component:
    return rx.cond(
        GroupResultsState.upcoming.length() > 0,
        rx.vstack(
            rx.heading(t("Keyingi imtihonlar", "Ближайшие экзамены", "Coming up"), size="3"),
            rx.foreach(
                GroupResultsState.upcoming,
                lambda u: rx.hstack(
                    rx.icon("calendar", size=14, color="var(--accent-9)"),
                    rx.text(u["title"], weight="medium", size="2", custom_attrs=USER_CONTENT),
                    rx.text(u["when"], size="2", color="var(--gray-11)"),
                    spacing="2",
                    align="center",
                    class_name="group-upcoming",
                ),
            ),
            spacing="1",
            id="group-upcoming",
        ),
    )


def group_results_card() -> rx.Component:
    """The results of the group's exams (mounted on the group page)."""
    return card(
        rx.hstack(
            rx.heading(t("Natijalar", "Результаты", "Results"), size="4"),
            rx.spacer(),
            rx.cond(
                GroupResultsState.exams.length() > 0,
                rx.select.root(
                    rx.select.trigger(id="group-exam-select", min_width="16rem"),
                    rx.select.content(
                        rx.foreach(
                            GroupResultsState.exams,
                            lambda e: rx.select.item(e["label"], value=e["value"]),
                        )
                    ),
                    value=GroupResultsState.exam_id,
                    on_change=GroupResultsState.choose_exam,
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        error_callout(GroupResultsState.error, callout_id="group-results-error"),
        _upcoming(),
        rx.cond(
            GroupResultsState.exam_id != "",
            rx.vstack(
                _figures(),
                _export_links(),
                rx.grid(
                    rx.vstack(_ranking(), _missed(), spacing="4", width="100%"),
                    _items(),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="5",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                GroupResultsState.loaded,
                rx.text(
                    t(
                        "Bu guruhda hali imtihon bo‘lmagan.",
                        "У этой группы ещё не было экзаменов.",
                        "This group has had no exam yet.",
                    ),
                    color="var(--gray-11)",
                    id="group-results-empty",
                ),
            ),
        ),
        id="group-results",
    )
