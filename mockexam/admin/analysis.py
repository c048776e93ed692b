"""Item analysis of an exam `/admin/exams/<id>/analysis`: the item table, Plotly charts, exclusion.

The table (β ± SE, infit/outfit with ZSTD, facility, discrimination,
responses, flags, option choices) comes from `services.item_analysis` with
flagged rows highlighted. Charts: a Wright map, difficulty vs facility,
infit/outfit with the fit band, and for a chosen item its characteristic
curve with observed proportions by ability group and (multiple choice) its
option-choice bars. Excluding or restoring an item recalibrates a released
exam at once through `services.release.exclude_item` (audit log).

States stay small: the table in `AnalysisState`, the three exam-wide
figures in `AnalysisChartsState`, the chosen item's two figures in
`ItemChartsState`.
"""

from __future__ import annotations

from typing import TypedDict

import plotly.graph_objects as go
import reflex as rx

from mockexam import admin_charts as charts
from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import header_row, plot
from mockexam.admin.layout import admin_page, card, error_callout, stat, success_callout
from mockexam.models import ItemKind
from mockexam.services import item_analysis as analysis_service
from mockexam.services import release
from mockexam.services.item_analysis import ItemAnalysis, ItemRow

ANALYSIS_ROUTE = f"{ADMIN_ROOT}/exams/[exam_id]/analysis"
FLAG_NAMES = {
    "infit_misfit": "infit",
    "outfit_misfit": "outfit",
    "too_easy": "too easy",
    "too_hard": "too hard",
    "negative_discrimination": "neg. discrimination",
    "extreme": "extreme",
    "excluded": "excluded",
}


class ItemView(TypedDict):
    label: str
    kind: str
    key: str
    beta: str
    infit: str
    outfit: str
    facility: str
    discrimination: str
    responses: int
    flags: str
    flagged: bool
    excluded: bool
    options: str
    has_curve: bool


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _fit(mnsq: float | None, z: float | None) -> str:
    if mnsq is None:
        return "—"
    return f"{mnsq:.2f} ({z:+.1f})" if z is not None else f"{mnsq:.2f}"


def item_view(row: ItemRow) -> ItemView:
    beta = _num(row.beta)
    if row.beta is not None and row.beta_se is not None:
        beta += f" ± {row.beta_se:.2f}"
    options = " · ".join(
        f"{'∅' if o.option == '' else o.option}{'*' if o.is_key else ''} {o.count}"
        for o in row.option_counts
    )
    return {
        "label": row.label,
        "kind": "MC" if row.kind == ItemKind.MULTIPLE_CHOICE else "free",
        "key": " | ".join(row.accepted_answers),
        "beta": beta,
        "infit": _fit(row.infit, row.infit_z),
        "outfit": _fit(row.outfit, row.outfit_z),
        "facility": "—" if row.facility is None else f"{100 * row.facility:.0f}%",
        "discrimination": _num(row.discrimination),
        "responses": row.n_responses,
        "flags": ", ".join(FLAG_NAMES.get(str(f), str(f)) for f in row.flags),
        "flagged": bool(row.flags) and not row.is_excluded,
        "excluded": row.is_excluded,
        "options": options,
        "has_curve": row.beta is not None and not row.is_excluded,
    }


def exam_figures(data: ItemAnalysis) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Wright map, difficulty vs facility and the fit chart of the exam's active items."""
    active = [i for i in data.items if not i.is_excluded]
    flagged = [i.label for i in active if i.flags]
    calibrated = [i for i in active if i.beta is not None]
    hist = data.persons.histogram
    if calibrated and hist.counts:
        wright = charts.wright_map_figure(
            persons=charts.Histogram(edges=tuple(hist.edges), counts=tuple(hist.counts)),
            item_labels=[i.label for i in calibrated],
            item_betas=[float(i.beta) for i in calibrated],
            flagged=flagged,
        )
    else:
        wright = charts.blank_admin_figure(message="No calibration: too few participants.")
    scatter = charts.difficulty_facility_figure(
        item_labels=[i.label for i in active],
        betas=[i.beta for i in active],
        facilities=[i.facility for i in active],
        flagged=flagged,
    )
    fit = charts.fit_figure(
        item_labels=[i.label for i in active],
        infit=[i.infit for i in active],
        outfit=[i.outfit for i in active],
        low=data.fit_low,
        high=data.fit_high,
    )
    return wright, scatter, fit


class AnalysisState(AdminState):
    """The exam's item table and test statistics; exclusion and recalibration."""

    exam_id: int = 0
    loaded: bool = False
    not_found: bool = False
    title: str = ""
    released: bool = False
    provisional: bool = False
    participants: int = 0
    alpha: str = "—"
    separation: str = "—"
    sem: str = "—"
    persons: str = "—"
    rows: list[ItemView] = []
    flagged_count: int = 0
    busy: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> ItemAnalysis | None:
        exam_id = self._route_id()
        if exam_id is None:
            self.loaded, self.not_found = True, True
            return None
        data = await self._service(lambda: analysis_service.item_analysis(exam_id))
        if data is FAILED:
            self.loaded, self.not_found = True, True
            return None
        self.exam_id = exam_id
        self.loaded, self.not_found = True, False
        self.title = data.title
        self.released = data.is_released
        self.provisional = data.is_provisional
        self.participants = data.participants
        self.alpha = _num(data.cronbach_alpha)
        self.separation = _num(data.person_separation_reliability)
        self.sem = _num(data.sem)
        p = data.persons
        self.persons = "—" if p.mean is None else f"{p.mean:.2f} ± {_num(p.sd)}"
        self.rows = [item_view(i) for i in data.items]
        self.flagged_count = sum(1 for r in self.rows if r["flagged"])
        return data

    @rx.event
    async def load(self):
        """on_load: the table, then the charts (their own substate).

        Moving inside the panel from one exam's analysis to another's keeps this tab's
        states: whatever the last exam left (its title, rows, exam-wide figures, the
        chosen item's curve and option bars) is wiped first, and the item charts are
        drawn again or left blank, never the last exam's.
        """
        if await self._require_admin() is None:
            return None
        figures = await self.get_state(AnalysisChartsState)
        item = await self.get_state(ItemChartsState)
        if self._route_id() != self.exam_id:
            for state in (self, figures, item):
                state.reset()
        self.error, self.notice = "", ""
        data = await self._read()
        if data is None:
            figures.reset()
            item.reset()
            return None
        figures._show(data)
        first = next((r["label"] for r in self.rows if r["has_curve"]), "")
        if not first:
            item.reset()
            return None
        return ItemChartsState.choose(first)

    @rx.event
    async def set_excluded(self, label: str, excluded: bool):
        """Exclude (or restore) an item; a released exam is recalibrated at once."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(label, str) or not isinstance(excluded, bool):
            return
        if self.busy or not self.exam_id or label not in {r["label"] for r in self.rows}:
            return
        exam_id = self.exam_id
        self.error, self.notice = "", ""
        self.busy = True
        yield
        summary = await self._service(
            lambda: release.exclude_item(exam_id, label, excluded=excluded, admin_id=admin_id)
        )
        self.busy = False
        if summary is FAILED:
            return
        verb = "Excluded" if excluded else "Restored"
        self.notice = f"{verb} item {label}." + (
            f" {summary.describe()}" if summary is not None else ""
        )
        data = await self._read()
        if data is not None:
            figures = await self.get_state(AnalysisChartsState)
            figures._show(data)
        yield ItemChartsState.choose(label)


class AnalysisChartsState(AdminState):
    """The exam-wide figures (kept apart from the table)."""

    wright: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    scatter: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    fit: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    drawn: bool = False

    def _forget(self) -> None:
        self.reset()

    def _show(self, data: ItemAnalysis) -> None:
        """Draw the figures of `data` (called by AnalysisState after it read the exam)."""
        self.wright, self.scatter, self.fit = exam_figures(data)
        self.drawn = True


class ItemChartsState(AdminState):
    """The chosen item's characteristic curve and option-choice bars."""

    label: str = ""
    icc: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    options: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    has_options: bool = False
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def choose(self, label: str):
        """Draw the curve (and option bars) of item `label`."""
        if await self._require_admin() is None or not isinstance(label, str):
            return
        exam_id = self._route_id()
        if exam_id is None or not label or len(label) > 8:
            return
        self.error = ""
        self.label = label

        def read():
            data = analysis_service.item_analysis(exam_id)
            row = next((i for i in data.items if i.label == label), None)
            curve = None
            if row is not None and row.beta is not None and not row.is_excluded:
                curve = analysis_service.item_characteristic_curve(exam_id, label)
            return row, curve

        result = await self._service(read)
        if result is FAILED:
            return
        row, curve = result
        if row is None:
            self.error = f"Item {label} is not on this exam's answer sheet."
            return
        if curve is None:
            self.icc = charts.blank_admin_figure(message=f"Item {label} has no calibration.")
        else:
            self.icc = charts.icc_figure(
                label=label,
                beta=curve.beta,
                group_thetas=[g.theta_mean for g in curve.groups],
                group_proportions=[g.observed for g in curve.groups],
                group_sizes=[g.n for g in curve.groups],
                theta_range=(curve.theta[0], curve.theta[-1]),
            )
        choices = [o for o in row.option_counts if o.option]
        blank = sum(o.count for o in row.option_counts if not o.option)
        self.has_options = bool(choices)
        if choices:
            self.options = charts.option_choice_figure(
                label=label,
                options=[o.option for o in choices],
                counts=[o.count for o in choices],
                correct=next((o.option for o in choices if o.is_key), None),
                blank=blank,
            )
        else:
            self.options = charts.blank_admin_figure(message="Free response: no options.")


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _row(r: rx.Var[ItemView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                r["label"],
                weight="bold",
                on_click=ItemChartsState.choose(r["label"].to(str)),
                cursor="pointer",
            )
        ),
        rx.table.cell(r["kind"]),
        rx.table.cell(rx.code(r["key"], variant="ghost")),
        rx.table.cell(r["beta"]),
        rx.table.cell(r["infit"]),
        rx.table.cell(r["outfit"]),
        rx.table.cell(r["facility"]),
        rx.table.cell(r["discrimination"]),
        rx.table.cell(r["responses"]),
        rx.table.cell(rx.text(r["options"], size="1", color="var(--gray-11)")),
        rx.table.cell(
            rx.cond(r["flags"] != "", rx.badge(r["flags"], color_scheme="red", size="1"), "")
        ),
        rx.table.cell(
            rx.cond(
                r["excluded"],
                rx.button(
                    "Restore",
                    size="1",
                    variant="soft",
                    on_click=AnalysisState.set_excluded(r["label"].to(str), False),
                    disabled=AnalysisState.busy,
                ),
                rx.button(
                    "Exclude",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=AnalysisState.set_excluded(r["label"].to(str), True),
                    disabled=AnalysisState.busy,
                    id="exclude-" + r["label"].to(str),
                ),
            )
        ),
        background_color=rx.cond(
            r["flagged"], "var(--red-a3)", rx.cond(r["excluded"], "var(--gray-a3)", "transparent")
        ),
        opacity=rx.cond(r["excluded"], "0.6", "1"),
        class_name=rx.cond(r["flagged"], "item-row item-flagged", "item-row"),
    )


def _table() -> rx.Component:
    heads = (
        "Item",
        "Kind",
        "Key",
        "β ± SE",
        "Infit (ZSTD)",
        "Outfit (ZSTD)",
        "Facility",
        "Discrim.",
        "Resp.",
        "Choices (* key, ∅ blank)",
        "Flags",
        "",
    )
    return card(
        rx.hstack(
            rx.heading("Items", size="4"),
            rx.badge(AnalysisState.flagged_count, " flagged", color_scheme="red", variant="soft"),
            rx.spacer(),
            rx.text("Click an item for its curve and choices.", size="1", color="var(--gray-10)"),
            align="center",
            width="100%",
        ),
        rx.box(
            rx.table.root(
                header_row(*heads),
                rx.table.body(rx.foreach(AnalysisState.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
                id="items-table",
            ),
            overflow_x="auto",
            width="100%",
        ),
    )


def _charts() -> rx.Component:
    return rx.vstack(
        card(
            rx.heading("Wright map", size="4"), plot(AnalysisChartsState.wright, "wright-map", 520)
        ),
        rx.grid(
            card(
                rx.heading("Difficulty vs facility", size="4"),
                plot(AnalysisChartsState.scatter, "difficulty-facility"),
            ),
            card(
                rx.heading("Infit / outfit by item", size="4"),
                plot(AnalysisChartsState.fit, "fit-chart"),
            ),
            columns="2",
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _item_charts() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading("Item ", ItemChartsState.label, size="4", id="chosen-item"),
            rx.spacer(),
            rx.select(
                AnalysisState.rows.map(lambda r: r["label"].to(str)),
                value=ItemChartsState.label,
                on_change=ItemChartsState.choose,
                size="2",
                id="item-select",
            ),
            align="center",
            width="100%",
        ),
        error_callout(ItemChartsState.error, callout_id="item-error"),
        rx.grid(
            plot(ItemChartsState.icc, "icc-chart"),
            plot(ItemChartsState.options, "options-chart"),
            columns="2",
            spacing="4",
            width="100%",
        ),
    )


def _body() -> rx.Component:
    return rx.vstack(
        error_callout(AnalysisState.error, callout_id="analysis-error"),
        success_callout(AnalysisState.notice, callout_id="analysis-notice"),
        rx.cond(
            AnalysisState.busy,
            rx.callout(
                rx.hstack(rx.spinner(), rx.text("Recalibrating the exam…"), spacing="2"),
                color_scheme="blue",
                id="recalibrating",
            ),
        ),
        rx.cond(
            ~AnalysisState.released,
            rx.callout(
                "Results are not released yet: facility and choices are live counts; "
                "difficulties and fit appear after the calibration at window close.",
                icon="info",
                color_scheme="blue",
            ),
        ),
        rx.cond(
            AnalysisState.released & AnalysisState.provisional,
            rx.callout(
                "Too few participants to calibrate: scores are provisional, no Rasch measures.",
                icon="info",
                color_scheme="amber",
            ),
        ),
        rx.hstack(
            stat("Participants", AnalysisState.participants, stat_id="analysis-participants"),
            stat("Cronbach's α", AnalysisState.alpha, stat_id="analysis-alpha"),
            stat("Person separation rel.", AnalysisState.separation, stat_id="analysis-psr"),
            stat("SEM (raw points)", AnalysisState.sem, stat_id="analysis-sem"),
            stat("Persons θ mean ± SD", AnalysisState.persons, stat_id="analysis-persons"),
            spacing="3",
            width="100%",
        ),
        _charts(),
        _item_charts(),
        _table(),
        spacing="4",
        width="100%",
    )


def analysis_page() -> rx.Component:
    return admin_page(
        rx.cond(
            AnalysisState.loaded,
            rx.cond(
                AnalysisState.not_found,
                rx.callout(
                    "This exam does not exist.",
                    icon="circle-alert",
                    color_scheme="red",
                    id="analysis-not-found",
                ),
                _body(),
            ),
            rx.spinner(size="3"),
        ),
        active="exams",
        title=rx.cond(
            AnalysisState.title != "", "Item analysis · " + AnalysisState.title, "Item analysis"
        ),
        actions=rx.link(
            rx.button(rx.icon("chevron-left", size=16), "Exam", variant="soft"),
            href=f"{ADMIN_ROOT}/exams/" + AnalysisState.exam_id.to_string(),
        ),
    )


ANALYSIS_ON_LOAD = [AdminState.check_session, AnalysisState.load]
