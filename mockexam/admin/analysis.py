"""Item analysis of an exam `/admin/exams/<id>/analysis`: the item table, Plotly charts, exclusion.

The table (β ± SE, infit/outfit with ZSTD, facility, discrimination,
responses, flags, option choices) comes from `services.item_analysis` with
flagged rows highlighted. Charts: a Wright map, difficulty vs facility,
infit/outfit with the fit band, and for a chosen item its characteristic
curve with observed proportions by ability group and (multiple choice) its
option-choice bars. Excluding or restoring an item recalibrates a released
exam at once through `services.release.exclude_item` (audit log).

The table has a Section column (the layout's section title in the admin's
language) and, for a sheet of two sections or more, a Section filter: one
section's items (a DTM block) in the table and the exam-wide figures; the
persons and the test statistics stay the whole exam's. The filter starts from
every section again on another exam. Everything the admin reads is in uz/ru/en:
`t(…)` in the components, `_text`/`count_word` in the handlers, figures drawn
with `lang`.

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
from mockexam.admin.i18n import count_text, count_word, pick, t
from mockexam.admin.layout import admin_page, card, error_callout, stat, success_callout
from mockexam.models import ItemKind
from mockexam.services import item_analysis as analysis_service
from mockexam.services import release
from mockexam.services.item_analysis import ItemAnalysis, ItemRow
from mockexam.services.release import ReleaseSummary

ANALYSIS_ROUTE = f"{ADMIN_ROOT}/exams/[exam_id]/analysis"
ALL_SECTIONS = "all"
"""The section filter's value for every item of the exam."""
FLAG_NAMES: dict[str, tuple[str, str, str]] = {
    "infit_misfit": ("infit me’yordan tashqari", "infit вне нормы", "infit"),
    "outfit_misfit": ("outfit me’yordan tashqari", "outfit вне нормы", "outfit"),
    "too_easy": ("juda oson", "слишком лёгкий", "too easy"),
    "too_hard": ("juda qiyin", "слишком трудный", "too hard"),
    "negative_discrimination": (
        "manfiy diskriminatsiya",
        "отриц. дискриминация",
        "neg. discrimination",
    ),
    "extreme": ("hamma to‘g‘ri yoki hamma xato", "все верно или все неверно", "extreme"),
    "excluded": ("chiqarib tashlangan", "исключён", "excluded"),
}
"""What a flag code (services.item_analysis.ItemFlag) reads as, in uz, ru, en."""


class ItemView(TypedDict):
    label: str
    section: int  # index into AnalysisState.sections
    kind: str  # "mcq" | "free" (worded in the page)
    key: str
    beta: str
    infit: str
    outfit: str
    facility: str
    discrimination: str
    responses: int
    flags: list[str]  # ItemFlag codes (worded in the page)
    flagged: bool
    excluded: bool
    options: str
    has_curve: bool


class SectionView(TypedDict):
    value: str  # the filter's value: the section's index as text
    key: str
    uz: str
    ru: str
    en: str
    items: int


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
        "section": row.section,
        "kind": "mcq" if row.kind == ItemKind.MULTIPLE_CHOICE else "free",
        "key": " | ".join(row.accepted_answers),
        "beta": beta,
        "infit": _fit(row.infit, row.infit_z),
        "outfit": _fit(row.outfit, row.outfit_z),
        "facility": "—" if row.facility is None else f"{100 * row.facility:.0f}%",
        "discrimination": _num(row.discrimination),
        "responses": row.n_responses,
        "flags": [str(f) for f in row.flags],
        "flagged": bool(row.flags) and not row.is_excluded,
        "excluded": row.is_excluded,
        "options": options,
        "has_curve": row.beta is not None and not row.is_excluded,
    }


def section_views(data: ItemAnalysis) -> list[SectionView]:
    """The exam's sections for the Section column and filter (titles in the three languages)."""
    return [
        {
            "value": str(s.index),
            "key": s.key,
            "uz": s.title("uz"),
            "ru": s.title("ru"),
            "en": s.title("en"),
            "items": s.item_count,
        }
        for s in data.sections
    ]


def exam_figures(
    data: ItemAnalysis, *, section: int | None = None, lang: str = "en"
) -> tuple[go.Figure, go.Figure, go.Figure]:
    """Wright map, difficulty vs facility and the fit chart of the exam's active items
    (of section `section` only, when given; the persons are the whole exam's)."""
    active = [i for i in data.section_items(section) if not i.is_excluded]
    flagged = [i.label for i in active if i.flags]
    calibrated = [i for i in active if i.beta is not None]
    hist = data.persons.histogram
    if calibrated and hist.counts:
        wright = charts.wright_map_figure(
            persons=charts.Histogram(edges=tuple(hist.edges), counts=tuple(hist.counts)),
            item_labels=[i.label for i in calibrated],
            item_betas=[float(i.beta) for i in calibrated],
            flagged=flagged,
            lang=lang,
        )
    else:
        wright = charts.blank_admin_figure(
            message=pick(
                lang,
                "Kalibrlash yo‘q: ishtirokchilar juda kam.",
                "Калибровки нет: слишком мало участников.",
                "No calibration: too few participants.",
            )
        )
    scatter = charts.difficulty_facility_figure(
        item_labels=[i.label for i in active],
        betas=[i.beta for i in active],
        facilities=[i.facility for i in active],
        flagged=flagged,
        lang=lang,
    )
    fit = charts.fit_figure(
        item_labels=[i.label for i in active],
        infit=[i.infit for i in active],
        outfit=[i.outfit for i in active],
        low=data.fit_low,
        high=data.fit_high,
        lang=lang,
    )
    return wright, scatter, fit


class AnalysisState(AdminState):
    """The exam's item table and test statistics; the section filter; exclusion."""

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
    rows: list[ItemView] = []  # the chosen section's items (every item for "all")
    sections: list[SectionView] = []
    section: str = ALL_SECTIONS  # the filter: "all" or a section's index
    flagged_count: int = 0
    busy: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    def _section_index(self) -> int | None:
        """The filter's section index, None for every item."""
        return None if self.section == ALL_SECTIONS else int(self.section)

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
        self.sections = section_views(data)
        if len(self.sections) < 2 or self.section not in {s["value"] for s in self.sections}:
            self.section = ALL_SECTIONS
        self.rows = [item_view(i) for i in data.section_items(self._section_index())]
        self.flagged_count = sum(1 for r in self.rows if r["flagged"])
        return data

    async def _draw(self, data: ItemAnalysis) -> None:
        """The exam-wide figures of the chosen section."""
        figures = await self.get_state(AnalysisChartsState)
        figures._show(data, section=self._section_index(), lang=self._lang())

    def _first_curve(self) -> str:
        """The first item of the table that has a curve to draw ("" if none)."""
        return next((r["label"] for r in self.rows if r["has_curve"]), "")

    @rx.event
    async def load(self):
        """on_load: the table, then the charts (their own substate).

        Moving inside the panel from one exam's analysis to another's keeps this tab's
        states: whatever the last exam left (its title, rows, section filter, exam-wide
        figures, the chosen item's curve and option bars) is wiped first, and the item
        charts are drawn again or left blank, never the last exam's.
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
        await self._draw(data)
        first = self._first_curve()
        if not first:
            item._blank()
            return None
        return ItemChartsState.choose(first)

    @rx.event
    async def set_section(self, value: str):
        """Show one section's items (or every item, "all") in the table and the figures."""
        if await self._require_admin() is None or not isinstance(value, str):
            return None
        if not self.exam_id or value == self.section:
            return None
        if value != ALL_SECTIONS and value not in {s["value"] for s in self.sections}:
            return None
        self.section = value
        self.error, self.notice = "", ""
        data = await self._read()
        if data is None:
            return None
        await self._draw(data)
        item = await self.get_state(ItemChartsState)
        if item.label and item.label in {r["label"] for r in self.rows}:
            return None
        first = self._first_curve()
        if not first:
            item._blank()
            return None
        return ItemChartsState.choose(first)

    def _summary_text(self, summary: ReleaseSummary) -> str:
        """What a recalibration did, in the admin's language."""
        lang = self._lang()
        n, rows = summary.participants, summary.elo_rows
        people = count_word(
            lang,
            n,
            uz=" ishtirokchi",
            ru=(" участник", " участника", " участников"),
            en=(" participant", " participants"),
        )
        if summary.calibrated:
            k = summary.iterations or 0
            how = self._text(
                "Rasch kalibrlash: {k}{word}",
                "калибровка Раша за {k}{word}",
                "Rasch calibration in {k}{word}",
            ).format(
                k=k,
                word=count_word(
                    lang,
                    k,
                    uz=" iteratsiya",
                    ru=(" итерацию", " итерации", " итераций"),
                    en=(" iteration", " iterations"),
                ),
            )
        else:
            how = self._text(
                "dastlabki ballar (kalibrlash uchun ishtirokchilar juda kam)",
                "предварительные баллы (слишком мало участников для калибровки)",
                "provisional scores (too few participants to calibrate)",
            )
        verb = (
            self._text("Qayta kalibrlandi", "Перекалибровано", "Recalibrated")
            if summary.recalibrated
            else self._text("E’lon qilindi", "Опубликовано", "Released")
        )
        elo = count_word(
            lang, rows, uz=" ta yozuv", ru=(" запись", " записи", " записей"), en=(" row", " rows")
        )
        return self._text(
            "{verb}: {n}{people}, {how}, Elo reytingi: {rows}{elo}.",
            "{verb}: {n}{people}, {how}, рейтинг Elo: {rows}{elo}.",
            "{verb}: {n}{people}, {how}, {rows} Elo{elo} written.",
        ).format(verb=verb, n=n, people=people, how=how, rows=rows, elo=elo)

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
        if excluded:
            done = self._text(
                "{label}-savol chiqarib tashlandi.",
                "Вопрос {label} исключён.",
                "Excluded item {label}.",
            )
        else:
            done = self._text(
                "{label}-savol qaytarildi.", "Вопрос {label} возвращён.", "Restored item {label}."
            )
        self.notice = done.format(label=label) + (
            f" {self._summary_text(summary)}" if summary is not None else ""
        )
        data = await self._read()
        if data is not None:
            await self._draw(data)
        yield ItemChartsState.choose(label)


class AnalysisChartsState(AdminState):
    """The exam-wide figures (kept apart from the table)."""

    wright: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    scatter: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    fit: go.Figure = rx.field(default_factory=charts.shared_blank_admin_figure)
    drawn: bool = False

    def _forget(self) -> None:
        self.reset()

    def _show(self, data: ItemAnalysis, *, section: int | None = None, lang: str = "en") -> None:
        """Draw the figures of `data` (of section `section` only, when given), worded in
        `lang` (called by AnalysisState after it read the exam)."""
        self.wright, self.scatter, self.fit = exam_figures(data, section=section, lang=lang)
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

    def _blank(self) -> None:
        """No item to draw (nothing calibrated in the table): blank figures that say so."""
        self.reset()
        self.icc = charts.blank_admin_figure(
            message=self._text(
                "Kalibrlangan savol yo‘q.", "Нет откалиброванных вопросов.", "No calibrated item."
            )
        )

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
        lang = self._lang()

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
            self.error = self._text(
                "{label} savoli bu imtihonning javob varaqasida yo‘q.",
                "Вопроса {label} нет в бланке ответов этого экзамена.",
                "Item {label} is not on this exam's answer sheet.",
            ).format(label=label)
            return
        if curve is None:
            self.icc = charts.blank_admin_figure(
                message=self._text(
                    "{label} savoli kalibrlanmagan.",
                    "Вопрос {label} не откалиброван.",
                    "Item {label} has no calibration.",
                ).format(label=label)
            )
        else:
            self.icc = charts.icc_figure(
                label=label,
                beta=curve.beta,
                group_thetas=[g.theta_mean for g in curve.groups],
                group_proportions=[g.observed for g in curve.groups],
                group_sizes=[g.n for g in curve.groups],
                theta_range=(curve.theta[0], curve.theta[-1]),
                lang=lang,
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
                lang=lang,
            )
        else:
            self.options = charts.blank_admin_figure(
                message=self._text(
                    "Ochiq javob: variantlar yo‘q.",
                    "Открытый ответ: вариантов нет.",
                    "Free response: no options.",
                )
            )


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _section_title(section: rx.Var[SectionView]) -> rx.Var[str]:
    """A section's title in the admin's language (the switch changes it at once)."""
    return rx.match(
        AdminState.lang, ("ru", section["ru"]), ("en", section["en"]), section["uz"]
    ).to(str)


def _flag_badge(flag: rx.Var[str]) -> rx.Component:
    return rx.badge(
        rx.match(flag, *((code, t(*names)) for code, names in FLAG_NAMES.items()), flag),
        color_scheme="red",
        size="1",
    )


def _row(r: rx.Var[ItemView]) -> rx.Component:
    section = AnalysisState.sections[r["section"].to(int)].to(SectionView)
    return rx.table.row(
        rx.table.cell(
            rx.link(
                r["label"],
                weight="bold",
                on_click=ItemChartsState.choose(r["label"].to(str)),
                cursor="pointer",
            )
        ),
        rx.table.cell(
            rx.text(_section_title(section), size="1", data_user_content=True),
            class_name="item-section",
        ),
        rx.table.cell(
            rx.cond(
                r["kind"] == "mcq",
                t("Test", "Тест", "MC"),
                t("Ochiq", "Открытый", "free"),
            )
        ),
        rx.table.cell(rx.code(r["key"], variant="ghost")),
        rx.table.cell(r["beta"]),
        rx.table.cell(r["infit"]),
        rx.table.cell(r["outfit"]),
        rx.table.cell(r["facility"]),
        rx.table.cell(r["discrimination"]),
        rx.table.cell(r["responses"]),
        rx.table.cell(rx.text(r["options"], size="1", color="var(--gray-11)")),
        rx.table.cell(
            rx.flex(
                rx.foreach(r["flags"].to(list[str]), _flag_badge),
                wrap="wrap",
                gap="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                r["excluded"],
                rx.button(
                    t("Qaytarish", "Вернуть", "Restore"),
                    size="1",
                    variant="soft",
                    on_click=AnalysisState.set_excluded(r["label"].to(str), False),
                    disabled=AnalysisState.busy,
                ),
                rx.button(
                    t("Chiqarish", "Исключить", "Exclude"),
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


def _section_filter() -> rx.Component:
    """All items, or one section's (shown for a sheet of two sections or more)."""
    return rx.cond(
        AnalysisState.sections.length() > 1,
        rx.hstack(
            rx.text(t("Bo‘lim", "Раздел", "Section"), size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(min_width="14rem"),
                rx.select.content(
                    rx.select.item(
                        t("Barcha bo‘limlar", "Все разделы", "All sections"), value=ALL_SECTIONS
                    ),
                    rx.foreach(
                        AnalysisState.sections,
                        lambda s: rx.select.item(_section_title(s), value=s["value"].to(str)),
                    ),
                ),
                value=AnalysisState.section,
                on_change=AnalysisState.set_section,
                size="2",
                id="section-filter",
            ),
            rx.cond(
                AnalysisState.section != ALL_SECTIONS,
                rx.text(
                    t(
                        "Jadval va grafiklarda faqat shu bo‘lim savollari; α, SEM va θ butun "
                        "imtihon bo‘yicha.",
                        "В таблице и на графиках только вопросы этого раздела; α, SEM и θ — "
                        "по всему экзамену.",
                        "The table and charts show this section's items; α, SEM and θ are "
                        "for the whole exam.",
                    ),
                    size="1",
                    color="var(--gray-10)",
                ),
            ),
            align="center",
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
    )


def _table() -> rx.Component:
    heads = (
        t("Savol", "Вопрос", "Item"),
        t("Bo‘lim", "Раздел", "Section"),
        t("Turi", "Тип", "Kind"),
        t("Kalit", "Ключ", "Key"),
        "β ± SE",
        t("Infit (ZSTD)", "Инфит (ZSTD)", "Infit (ZSTD)"),
        t("Outfit (ZSTD)", "Аутфит (ZSTD)", "Outfit (ZSTD)"),
        t("Yechilganlik", "Решаемость", "Facility"),
        t("Diskrim.", "Дискрим.", "Discrim."),
        t("Javoblar", "Ответы", "Resp."),
        t("Tanlovlar (* kalit, ∅ bo‘sh)", "Выбор (* ключ, ∅ пусто)", "Choices (* key, ∅ blank)"),
        t("Belgilar", "Отметки", "Flags"),
        "",
    )
    return card(
        rx.hstack(
            rx.heading(t("Savollar", "Вопросы", "Items"), size="4"),
            rx.badge(
                AnalysisState.flagged_count,
                count_text(
                    AnalysisState.flagged_count,
                    uz=" ta belgilangan",
                    ru=(" вопрос отмечен", " вопроса отмечены", " вопросов отмечено"),
                    en=(" flagged", " flagged"),
                ),
                color_scheme="red",
                variant="soft",
            ),
            rx.spacer(),
            rx.text(
                t(
                    "Egri chizig‘i va tanlovlarini ko‘rish uchun savolni bosing.",
                    "Нажмите на вопрос, чтобы увидеть его кривую и выбор ответов.",
                    "Click an item for its curve and choices.",
                ),
                size="1",
                color="var(--gray-10)",
            ),
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
            rx.heading(t("Wright xaritasi", "Карта Райта", "Wright map"), size="4"),
            plot(AnalysisChartsState.wright, "wright-map", 520),
        ),
        rx.grid(
            card(
                rx.heading(
                    t(
                        "Qiyinlik va yechilganlik",
                        "Трудность и решаемость",
                        "Difficulty vs facility",
                    ),
                    size="4",
                ),
                plot(AnalysisChartsState.scatter, "difficulty-facility"),
            ),
            card(
                rx.heading(
                    t(
                        "Savollar bo‘yicha infit / outfit",
                        "Инфит / аутфит по вопросам",
                        "Infit / outfit by item",
                    ),
                    size="4",
                ),
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
            rx.heading(
                t("Savol ", "Вопрос ", "Item "), ItemChartsState.label, size="4", id="chosen-item"
            ),
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
                rx.hstack(
                    rx.spinner(),
                    rx.text(
                        t(
                            "Imtihon qayta kalibrlanmoqda…",
                            "Экзамен перекалибруется…",
                            "Recalibrating the exam…",
                        )
                    ),
                    spacing="2",
                ),
                color_scheme="blue",
                id="recalibrating",
            ),
        ),
        rx.cond(
            ~AnalysisState.released,
            rx.callout(
                t(
                    "Natijalar hali e’lon qilinmagan: yechilganlik va tanlovlar joriy hisob; "
                    "qiyinlik va moslik oyna yopilgach, kalibrlashdan keyin chiqadi.",
                    "Результаты ещё не опубликованы: решаемость и выбор ответов — текущие "
                    "подсчёты; трудность и согласие появятся после калибровки при закрытии окна.",
                    "Results are not released yet: facility and choices are live counts; "
                    "difficulties and fit appear after the calibration at window close.",
                ),
                icon="info",
                color_scheme="blue",
            ),
        ),
        rx.cond(
            AnalysisState.released & AnalysisState.provisional,
            rx.callout(
                t(
                    "Kalibrlash uchun ishtirokchilar juda kam: ballar dastlabki, Rasch "
                    "o‘lchovlari yo‘q.",
                    "Слишком мало участников для калибровки: баллы предварительные, мер Раша нет.",
                    "Too few participants to calibrate: scores are provisional, no Rasch measures.",
                ),
                icon="info",
                color_scheme="amber",
            ),
        ),
        rx.hstack(
            stat(
                t("Ishtirokchilar", "Участники", "Participants"),
                AnalysisState.participants,
                stat_id="analysis-participants",
            ),
            stat(
                t("Kronbax α", "α Кронбаха", "Cronbach's α"),
                AnalysisState.alpha,
                stat_id="analysis-alpha",
            ),
            stat(
                t(
                    "Ajratish ishonchliligi",
                    "Надёжность разделения",
                    "Person separation rel.",
                ),
                AnalysisState.separation,
                stat_id="analysis-psr",
            ),
            stat(
                t("SEM (xom ball)", "SEM (сырые баллы)", "SEM (raw points)"),
                AnalysisState.sem,
                stat_id="analysis-sem",
            ),
            stat(
                t(
                    "Ishtirokchilar θ: o‘rtacha ± SD",
                    "θ участников: среднее ± SD",
                    "Persons θ mean ± SD",
                ),
                AnalysisState.persons,
                stat_id="analysis-persons",
            ),
            spacing="3",
            width="100%",
        ),
        _section_filter(),
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
                    t("Bunday imtihon yo‘q.", "Такого экзамена нет.", "This exam does not exist."),
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
            AnalysisState.title != "",
            t("Savollar tahlili · ", "Анализ вопросов · ", "Item analysis · ")
            + AnalysisState.title,
            t("Savollar tahlili", "Анализ вопросов", "Item analysis"),
        ),
        actions=rx.link(
            rx.button(
                rx.icon("chevron-left", size=16), t("Imtihon", "Экзамен", "Exam"), variant="soft"
            ),
            href=f"{ADMIN_ROOT}/exams/" + AnalysisState.exam_id.to_string(),
        ),
    )


ANALYSIS_ON_LOAD = [AdminState.check_session, AnalysisState.load]
