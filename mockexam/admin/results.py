"""The "Results" tab of an exam: a sortable, searchable, paginated table and the exports.

Only one page of rows (50) is ever in the state; sorting, searching and
paging ask `services.exam_results.results_table` again. Exports (results and
the 0/1 response matrix, CSV or Excel) are plain links to the backend's
export route (`mockexam.api`), which checks the admin session cookie and
streams the file: nothing of it passes through the websocket or the state.

The table follows the exam's layout: one subtotal column per section when the
sheet has two sections or more (the block's own scaled score beside it where it
was measured), and the official score (points for a DTM block test) in bold.
Moving to another exam's results forgets the last exam's search, sort and page.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.bulk_jobs import bulk_button, bulk_progress
from mockexam.admin.components import (
    name_cell,
    pager_buttons,
    search_form,
    sort_header,
    step_offset,
)
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import card, error_callout
from mockexam.api import EXPORT_ROOT
from mockexam.parsing import parse_id
from mockexam.scoring.layout import POINTS, Layout
from mockexam.scoring.points import format_fraction, format_points
from mockexam.services import access, bulk, exam_results, groups
from mockexam.services.exam_results import ExportFile, ResultRow, ResultSort
from mockexam.services.transactions import in_session
from mockexam.text import strip_bidi
from mockexam.ui.backend import BACKEND_ORIGIN

PAGE_SIZE = 50
MAX_SEARCH_CHARS = 100
ALL_GROUPS = "all"
GROUP_QUERY = "?group="  # an export of one group's students (mockexam.api)


class SectionHead(TypedDict):
    key: str
    uz: str
    ru: str
    en: str
    max_points: str


class SectionCell(TypedDict):
    points: str
    scaled: str  # the block's own scaled score, "" where it was not measured


class ResultView(TypedDict):
    rank: int
    session_id: int
    name: str
    username: str
    points: str
    exercises: str
    sections: list[SectionCell]
    scaled: str
    grade: str
    elo_change: str
    elo_sign: int
    auto: bool
    misfit: bool
    fit: str
    provisional: bool
    submitted: str


def _fraction(value: float | None, total: float | None, lang: str = "en") -> str:
    if value is None:
        return "—"
    return format_fraction(value, total, lang) if total is not None else f"{value}/?"


def section_heads(layout: Layout, lang: str = "en") -> list[SectionHead]:
    """The section columns' headings (titles in the three languages, the section's maximum);
    none for a sheet of one section (its subtotal is the total)."""
    if len(layout.sections) < 2:
        return []
    maxima = layout.section_max_points()
    return [
        {
            "key": section.key,
            "uz": section.title("uz"),
            "ru": section.title("ru"),
            "en": section.title("en"),
            "max_points": format_points(top, lang),
        }
        for section, top in zip(layout.sections, maxima, strict=True)
    ]


def _section_cells(row: ResultRow, count: int, lang: str) -> list[SectionCell]:
    cells: list[SectionCell] = []
    for index in range(count):
        entry = row.section_scores[index] if index < len(row.section_scores) else {}
        scaled = entry.get("scaled")
        cells.append(
            {
                "points": "—"
                if entry.get("points") is None
                else format_points(entry["points"], lang),
                "scaled": "" if scaled is None else format_points(round(float(scaled), 1), lang),
            }
        )
    return cells


def signed(value: float | None, digits: int = 0) -> str:
    """`+12`, `−7`, `±0`, or — for None."""
    if value is None:
        return "—"
    rounded = round(value, digits)
    text = f"{abs(rounded):.{digits}f}"
    if rounded > 0:
        return f"+{text}"
    return f"\u2212{text}" if rounded < 0 else f"\u00b1{text}"


def result_view(rank: int, row: ResultRow, sections: int = 0, lang: str = "en") -> ResultView:
    """One table row as plain strings (the page shows it as it is); `sections` subtotal cells."""
    scaled = "—"
    if row.scaled_score is not None:
        scaled = f"{row.scaled_score:.1f}"
        if row.scaled_score_se is not None:
            scaled += f" ± {row.scaled_score_se:.1f}"
    fits = [f"{f:.2f}" for f in (row.person_infit, row.person_outfit) if f is not None]
    change = row.elo_change
    return {
        "rank": rank,
        "session_id": row.session_id,
        "name": strip_bidi(row.name),  # rows stored before names were cleaned at login
        "username": f"@{strip_bidi(row.username)}" if row.username else "",
        "points": _fraction(row.points, row.max_points, lang),
        "exercises": _fraction(row.exercises, row.max_exercises),
        "sections": _section_cells(row, sections, lang),
        "scaled": scaled,
        "grade": row.grade or "—",
        "elo_change": signed(change),
        "elo_sign": 0 if change is None or round(change) == 0 else (1 if change > 0 else -1),
        "auto": row.is_auto_submitted,
        "misfit": bool(row.person_misfit),
        "fit": " / ".join(fits) if fits else "—",
        "provisional": row.is_provisional,
        "submitted": local_text(row.submitted_at),
    }


class ResultsState(AdminState):
    """One page of the exam's results and how it is sorted, searched and paged."""

    loaded: bool = False
    exam_id: int = 0
    rows: list[ResultView] = []
    total: int = 0
    sort: str = ResultSort.POINTS.value
    descending: bool = True
    offset: int = 0
    search: str = ""
    error: str = ""
    sections: list[SectionHead] = []
    official_points: bool = False  # the layout's official score is the points (DTM)
    group: str = ""  # the group filter: "" everyone, else a group's id
    group_choices: list[dict[str, str]] = []  # {"value", "label"}; "all" first

    async def _scope(self) -> access.Scope | None:
        """The students the table shows: the caller's scope, narrowed to the chosen group
        (checked on the server: a group the caller may not see, or gone, says so and the
        filter goes back to everyone the caller may see)."""
        me, role = self._admin_id, self._admin_role
        if me is None:
            return None
        for group_id in dict.fromkeys((parse_id(self.group), None)):
            result = await self._service(
                in_session(
                    lambda db, g=group_id: access.group_scope(
                        db, admin_id=me, role=role, group_id=g
                    ),
                    readonly=True,
                )
            )
            if result is not FAILED:
                return result
            self.group = ""
        return None

    async def _read_groups(self) -> None:
        me, role = self._admin_id, self._admin_role
        if me is None:
            return
        result = await self._service(
            in_session(
                lambda db: groups.list_groups(
                    db, scope=access.scope_for(db, admin_id=me, role=role)
                ),
                readonly=True,
            )
        )
        if result is FAILED:
            return
        everyone = self._text("Hamma o‘quvchilar", "Все ученики", "All students")
        self.group_choices = [{"value": ALL_GROUPS, "label": everyone}] + [
            {"value": str(g.group_id), "label": g.name} for g in result
        ]

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        exam_id = self._route_id()
        if exam_id is None:
            return
        sort, descending, offset, search = self.sort, self.descending, self.offset, self.search
        lang = self._lang()
        self.error = ""
        scope = await self._scope()
        if scope is None:
            return
        page = await self._service(
            lambda: exam_results.results_table(
                exam_id,
                sort=sort,
                descending=descending,
                limit=PAGE_SIZE,
                offset=offset,
                search=search or None,
                scope=scope,
            )
        )
        if page is FAILED:
            return
        self.loaded = True
        self.exam_id = exam_id
        self.total = page.total
        self.sections = section_heads(page.layout, lang)
        self.official_points = page.layout.official_score == POINTS
        count = len(self.sections)
        self.rows = [
            result_view(offset + i + 1, row, count, lang) for i, row in enumerate(page.rows)
        ]

    @rx.event
    async def load(self):
        """on_load: the first page, best first; another exam than the last starts afresh
        (its search, sort and rows are not the last exam's)."""
        if await self._require_admin() is None:
            return
        exam_id = self._route_id()
        if exam_id is not None and exam_id != self.exam_id:
            self.loaded, self.rows, self.total, self.error = False, [], 0, ""
            self.sort, self.descending, self.search = ResultSort.POINTS.value, True, ""
            self.sections, self.official_points = [], False
            self.group = ""
        self.offset = 0
        await self._read_groups()
        await self._read()

    @rx.event
    async def sort_by(self, column: str):
        """Sort by a column; the same column again flips the direction."""
        if await self._require_admin() is None:
            return
        if not isinstance(column, str) or column not in {s.value for s in ResultSort}:
            return
        if column == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, column != ResultSort.NAME
        self.offset = 0
        await self._read()

    @rx.event
    async def page(self, step: int):
        """Next (+1) or previous (−1) page."""
        if await self._require_admin() is None:
            return
        offset = step_offset(self.offset, step, page_size=PAGE_SIZE, total=self.total)
        if offset is None:
            return
        self.offset = offset
        await self._read()

    @rx.event
    async def filter_group(self, value: str):
        """Only one group's students ("all": everyone again)."""
        if await self._require_admin() is None or not isinstance(value, str):
            return
        if value == ALL_GROUPS:
            self.group = ""
        elif (group_id := parse_id(value)) is not None:
            self.group = str(group_id)
        else:
            return
        self.offset = 0
        await self._read()

    @rx.event
    async def find(self, form_data: dict[str, Any]):
        """Filter by a part of the name or username, or a telegram id."""
        if await self._require_admin() is None or not isinstance(form_data, dict):
            return
        text = form_data.get("search", "")
        if not isinstance(text, str):
            return
        self.search = text.strip()[:MAX_SEARCH_CHARS]
        self.offset = 0
        await self._read()


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _header(label: str | rx.Var[str], column: str | None) -> rx.Component:
    return sort_header(label, column, state=ResultsState, id_prefix="sort-")


def _section_header(head: rx.Var[SectionHead]) -> rx.Component:
    title = rx.match(AdminState.lang, ("ru", head["ru"]), ("en", head["en"]), head["uz"])
    return rx.table.column_header_cell(
        rx.vstack(
            rx.text(title, size="1", weight="bold", data_user_content=True),
            rx.text("/", head["max_points"], size="1", color="var(--gray-10)"),
            spacing="0",
        ),
        class_name="section-head",
        max_width="9rem",
    )


def _section_cell(cell: rx.Var[SectionCell]) -> rx.Component:
    return rx.table.cell(
        rx.hstack(
            rx.text(cell["points"]),
            rx.cond(
                cell["scaled"] != "",
                rx.text("(", cell["scaled"], ")", size="1", color="var(--gray-10)"),
            ),
            spacing="1",
            align="baseline",
        ),
        class_name="section-cell",
    )


def _official(points: bool) -> rx.Var[str]:
    """Bold for the layout's official score: the points (DTM) or the scaled score."""
    first, other = ("bold", "regular") if points else ("regular", "bold")
    return rx.cond(ResultsState.official_points, first, other)


def _row(r: rx.Var[ResultView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["rank"]),
        rx.table.cell(name_cell(r["name"], r["username"])),
        rx.table.cell(rx.text(r["points"], weight=_official(True))),
        rx.table.cell(r["exercises"]),
        rx.foreach(r["sections"].to(list[SectionCell]), _section_cell),
        rx.table.cell(
            rx.hstack(
                rx.text(r["scaled"], weight=_official(False)),
                rx.cond(
                    r["provisional"],
                    rx.badge(
                        t("dastlabki", "предварительный", "provisional"),
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(rx.badge(r["grade"], variant="soft")),
        rx.table.cell(
            rx.text(
                r["elo_change"],
                color=rx.match(
                    r["elo_sign"], (1, "var(--green-11)"), (-1, "var(--red-11)"), "var(--gray-11)"
                ),
            )
        ),
        rx.table.cell(
            rx.cond(
                r["auto"],
                rx.badge(t("avto", "авто", "auto"), color_scheme="amber", size="1"),
                "",
            )
        ),
        rx.table.cell(
            rx.cond(
                r["misfit"],
                rx.badge(
                    r["fit"],
                    color_scheme="red",
                    size="1",
                    title=t(
                        "javoblar modelga mos emas: tekshiring",
                        "ответы не согласуются с моделью: проверьте",
                        "person misfit: review",
                    ),
                ),
                rx.text(r["fit"], size="1", color="var(--gray-10)"),
            )
        ),
        rx.table.cell(rx.text(r["submitted"], size="1", color="var(--gray-11)")),
        class_name="result-row",
        background_color=rx.cond(r["misfit"], "var(--red-a2)", "transparent"),
    )


def export_href(file: ExportFile) -> rx.Var[str]:
    """The backend URL of this exam's export `file` (`…/admin/api/exams/7/export/results.csv`),
    of the chosen group's students only when the table is filtered (`?group=3`)."""
    return (
        BACKEND_ORIGIN
        + f"{EXPORT_ROOT}/"
        + ResultsState.exam_id.to_string()
        + f"/export/{file.value}"
        + rx.cond(ResultsState.group != "", GROUP_QUERY + ResultsState.group, "")
    )


def _group_filter() -> rx.Component:
    return rx.cond(
        ResultsState.group_choices.length() > 1,
        rx.select.root(
            rx.select.trigger(id="results-group", min_width="12rem"),
            rx.select.content(
                rx.foreach(
                    ResultsState.group_choices,
                    lambda g: rx.select.item(g["label"], value=g["value"]),
                )
            ),
            value=rx.cond(ResultsState.group != "", ResultsState.group, ALL_GROUPS),
            on_change=ResultsState.filter_group,
        ),
    )


def _export_item(label: rx.Var[str], file: ExportFile, item_id: str) -> rx.Component:
    # A document link (not client-side routing): the browser downloads the attachment.
    return rx.dropdown_menu.item(
        rx.el.a(label, href=export_href(file), download=True, reload_document=True, id=item_id),
        as_child=True,
    )


def _export_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                rx.icon("download", size=16),
                t("Eksport", "Экспорт", "Export"),
                variant="soft",
                disabled=~ResultsState.loaded,
                id="export-menu",
            )
        ),
        rx.dropdown_menu.content(
            _export_item(
                t("Natijalar (CSV)", "Результаты (CSV)", "Results (CSV)"),
                ExportFile.RESULTS_CSV,
                "export-results-csv",
            ),
            _export_item(
                t("Natijalar (Excel)", "Результаты (Excel)", "Results (Excel)"),
                ExportFile.RESULTS_XLSX,
                "export-results-xlsx",
            ),
            rx.dropdown_menu.separator(),
            _export_item(
                t(
                    "0/1 javoblar matritsasi (CSV)",
                    "Матрица ответов 0/1 (CSV)",
                    "0/1 response matrix (CSV)",
                ),
                ExportFile.RESPONSES_CSV,
                "export-matrix-csv",
            ),
            _export_item(
                t(
                    "0/1 javoblar matritsasi (Excel)",
                    "Матрица ответов 0/1 (Excel)",
                    "0/1 response matrix (Excel)",
                ),
                ExportFile.RESPONSES_XLSX,
                "export-matrix-xlsx",
            ),
        ),
    )


def results_tab() -> rx.Component:
    first = ResultsState.offset + 1
    last = rx.cond(
        ResultsState.offset + ResultsState.rows.length() < ResultsState.total,
        ResultsState.offset + ResultsState.rows.length(),
        ResultsState.total,
    )
    return rx.vstack(
        error_callout(ResultsState.error, callout_id="results-error"),
        card(
            rx.hstack(
                rx.heading(t("Natijalar", "Результаты", "Results"), size="4"),
                rx.text(
                    ResultsState.total,
                    count_text(
                        ResultsState.total,
                        uz=" ta topshirilgan",
                        ru=(" работа сдана", " работы сданы", " работ сдано"),
                        en=(" submitted", " submitted"),
                    ),
                    color="var(--gray-11)",
                    id="results-total",
                ),
                rx.spacer(),
                _group_filter(),
                search_form(
                    on_submit=ResultsState.find,
                    input_id="results-search",
                    max_length=MAX_SEARCH_CHARS,
                    width="18rem",
                ),
                _export_menu(),
                bulk_button(
                    t("Sertifikatlar (ZIP)", "Сертификаты (ZIP)", "Certificates (ZIP)"),
                    bulk.CERTIFICATES,
                    exam=ResultsState.exam_id.to_string(),
                    group=ResultsState.group,
                    button_id="certificates-zip",
                ),
                bulk_progress(),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        _header("#", None),
                        _header(t("O‘quvchi", "Ученик", "Student"), ResultSort.NAME.value),
                        _header(t("Ball", "Баллы", "Points"), ResultSort.POINTS.value),
                        _header(
                            t("Topshiriqlar", "Задания", "Exercises"), ResultSort.EXERCISES.value
                        ),
                        rx.foreach(ResultsState.sections, _section_header),
                        _header(
                            t("Shkala balli ± SE", "Балл по шкале ± SE", "Scaled ± SE"),
                            ResultSort.SCALED.value,
                        ),
                        _header(t("Baho", "Оценка", "Grade"), None),
                        _header("Elo", ResultSort.ELO_CHANGE.value),
                        _header(t("Avto", "Авто", "Auto"), None),
                        _header(
                            t("Modelga moslik", "Согласие с моделью", "Person fit"),
                            ResultSort.PERSON_FIT.value,
                        ),
                        _header(
                            t("Topshirilgan", "Сдано", "Submitted"), ResultSort.SUBMITTED_AT.value
                        ),
                    )
                ),
                rx.table.body(rx.foreach(ResultsState.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
                id="results-table",
            ),
            rx.hstack(
                rx.cond(
                    ResultsState.total > 0,
                    rx.text(
                        first, "–", last, t(" / ", " из ", " of "), ResultsState.total, size="2"
                    ),
                    rx.text(
                        t(
                            "Hali topshirilgan ishlar yo‘q.",
                            "Сданных работ пока нет.",
                            "No submitted sessions yet.",
                        ),
                        size="2",
                        color="var(--gray-11)",
                    ),
                ),
                rx.spacer(),
                *pager_buttons(
                    ResultsState,
                    PAGE_SIZE,
                    t("Oldingi", "Назад", "Previous"),
                    t("Keyingi", "Далее", "Next"),
                    prev_id="results-prev",
                    next_id="results-next",
                ),
                spacing="2",
                align="center",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )
