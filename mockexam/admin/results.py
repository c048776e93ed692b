"""The "Results" tab of an exam: a sortable, searchable, paginated table and the exports.

Only one page of rows (50) is ever in the state; sorting, searching and
paging ask `services.exam_results.results_table` again. Exports (results and
the 0/1 response matrix, CSV or Excel) are plain links to the backend's
export route (`mockexam.api`), which checks the admin session cookie and
streams the file: nothing of it passes through the websocket or the state.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.components import (
    name_cell,
    pager_buttons,
    search_form,
    sort_header,
    step_offset,
)
from mockexam.admin.exam_form import local_text
from mockexam.admin.layout import card, error_callout
from mockexam.api import EXPORT_ROOT
from mockexam.services import exam_results
from mockexam.services.exam_results import ExportFile, ResultRow, ResultSort
from mockexam.text import strip_bidi
from mockexam.ui.backend import BACKEND_ORIGIN

PAGE_SIZE = 50
MAX_SEARCH_CHARS = 100


class ResultView(TypedDict):
    rank: int
    session_id: int
    name: str
    username: str
    points: str
    exercises: str
    scaled: str
    grade: str
    elo_change: str
    elo_sign: int
    auto: bool
    misfit: bool
    fit: str
    provisional: bool
    submitted: str


def _fraction(value: int | None, total: int | None) -> str:
    return "—" if value is None else f"{value}/{total if total is not None else '?'}"


def signed(value: float | None, digits: int = 0) -> str:
    """`+12`, `−7`, `±0`, or — for None."""
    if value is None:
        return "—"
    rounded = round(value, digits)
    text = f"{abs(rounded):.{digits}f}"
    if rounded > 0:
        return f"+{text}"
    return f"\u2212{text}" if rounded < 0 else f"\u00b1{text}"


def result_view(rank: int, row: ResultRow) -> ResultView:
    """One table row as plain strings (the page shows it as it is)."""
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
        "points": _fraction(row.points, row.max_points),
        "exercises": _fraction(row.exercises, row.max_exercises),
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

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        exam_id = self._route_id()
        if exam_id is None:
            return
        sort, descending, offset, search = self.sort, self.descending, self.offset, self.search
        page = await self._service(
            lambda: exam_results.results_table(
                exam_id,
                sort=sort,
                descending=descending,
                limit=PAGE_SIZE,
                offset=offset,
                search=search or None,
            )
        )
        if page is FAILED:
            return
        self.error = ""
        self.loaded = True
        self.exam_id = exam_id
        self.total = page.total
        self.rows = [result_view(offset + i + 1, row) for i, row in enumerate(page.rows)]

    @rx.event
    async def load(self):
        """on_load: the first page, best first."""
        if await self._require_admin() is None:
            return
        self.offset = 0
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
def _header(label: str, column: str | None) -> rx.Component:
    return sort_header(label, column, state=ResultsState, id_prefix="sort-")


def _row(r: rx.Var[ResultView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["rank"]),
        rx.table.cell(name_cell(r["name"], r["username"])),
        rx.table.cell(r["points"]),
        rx.table.cell(r["exercises"]),
        rx.table.cell(
            rx.hstack(
                rx.text(r["scaled"]),
                rx.cond(r["provisional"], rx.badge("provisional", size="1", color_scheme="gray")),
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
        rx.table.cell(rx.cond(r["auto"], rx.badge("auto", color_scheme="amber", size="1"), "")),
        rx.table.cell(
            rx.cond(
                r["misfit"],
                rx.badge(r["fit"], color_scheme="red", size="1", title="person misfit: review"),
                rx.text(r["fit"], size="1", color="var(--gray-10)"),
            )
        ),
        rx.table.cell(rx.text(r["submitted"], size="1", color="var(--gray-11)")),
        class_name="result-row",
        background_color=rx.cond(r["misfit"], "var(--red-a2)", "transparent"),
    )


def export_href(file: ExportFile) -> rx.Var[str]:
    """The backend URL of this exam's export `file` (`…/admin/api/exams/7/export/results.csv`)."""
    return (
        BACKEND_ORIGIN
        + f"{EXPORT_ROOT}/"
        + ResultsState.exam_id.to_string()
        + f"/export/{file.value}"
    )


def _export_item(label: str, file: ExportFile, item_id: str) -> rx.Component:
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
                "Export",
                variant="soft",
                disabled=~ResultsState.loaded,
                id="export-menu",
            )
        ),
        rx.dropdown_menu.content(
            _export_item("Results (CSV)", ExportFile.RESULTS_CSV, "export-results-csv"),
            _export_item("Results (Excel)", ExportFile.RESULTS_XLSX, "export-results-xlsx"),
            rx.dropdown_menu.separator(),
            _export_item(
                "0/1 response matrix (CSV)", ExportFile.RESPONSES_CSV, "export-matrix-csv"
            ),
            _export_item(
                "0/1 response matrix (Excel)", ExportFile.RESPONSES_XLSX, "export-matrix-xlsx"
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
                rx.heading("Results", size="4"),
                rx.text(
                    ResultsState.total, " submitted", color="var(--gray-11)", id="results-total"
                ),
                rx.spacer(),
                search_form(
                    on_submit=ResultsState.find,
                    input_id="results-search",
                    max_length=MAX_SEARCH_CHARS,
                    width="18rem",
                ),
                _export_menu(),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        _header("#", None),
                        _header("Student", ResultSort.NAME.value),
                        _header("Points", ResultSort.POINTS.value),
                        _header("Exercises", ResultSort.EXERCISES.value),
                        _header("Scaled ± SE", ResultSort.SCALED.value),
                        _header("Grade", None),
                        _header("Elo", ResultSort.ELO_CHANGE.value),
                        _header("Auto", None),
                        _header("Person fit", ResultSort.PERSON_FIT.value),
                        _header("Submitted", ResultSort.SUBMITTED_AT.value),
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
                    rx.text(first, "–", last, " of ", ResultsState.total, size="2"),
                    rx.text("No submitted sessions yet.", size="2", color="var(--gray-11)"),
                ),
                rx.spacer(),
                *pager_buttons(
                    ResultsState,
                    PAGE_SIZE,
                    "Previous",
                    "Next",
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
