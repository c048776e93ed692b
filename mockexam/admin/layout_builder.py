"""The answer-sheet layout builder of the new-exam form (issue 21).

A template (national certificate, DTM block, custom) fills a table of sections;
the admin adds, removes and moves sections and sets each one's titles (uz, ru,
en), subject, kind, number of exercises, options (2–6: A–B … A–F), parts (none,
a/b, a/b/c) and points per item. Under the table the real answer sheet in its
preview mode shows what students will get, and a JSON box exports the layout or
imports one (scoring/layout.py's format).

Everything the browser sends is only a wish: the rows live in this state, every
handler checks its arguments, and the layout the exam is created with is the
rows' JSON read back through `validate_layout_json` on the server; a refusal
shows every problem (`LayoutError.text(lang)`) and nothing is saved.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import AdminState
from mockexam.admin.i18n import t, texts
from mockexam.errors import LANGUAGES
from mockexam.scoring.grading import FREE, MCQ
from mockexam.scoring.layout import (
    MAX_OPTIONS,
    MAX_SECTIONS,
    MIN_OPTIONS,
    OFFICIAL_SCORES,
    POINTS,
    SCALED,
    Layout,
    LayoutError,
    validate_layout_json,
)
from mockexam.scoring.layout_templates import SUBJECTS, TEMPLATES
from mockexam.scoring.points import format_points
from mockexam.ui.answer_sheet import answer_sheet, layout_sections

LETTERS = "ABCDEF"
PART_CHOICES: tuple[str, ...] = ("", "ab", "abc")
"""A free-response section's parts: none (one answer: 36), a/b (36a, 36b), a/b/c."""
MAX_FIELD_CHARS = 200
MAX_JSON_CHARS = 100_000
ROW_FIELDS = frozenset(
    {"title_uz", "title_ru", "title_en", "subject", "kind", "count", "options", "parts", "points"}
)
TEMPLATE_NAMES: tuple[str, ...] = tuple(TEMPLATES)


class SectionRow(TypedDict):
    """One row of the sections table, as the inputs hold it (text; checked when built)."""

    key: str
    title_uz: str
    title_ru: str
    title_en: str
    subject: str
    kind: str
    count: str
    options: str  # the number of options, "2".."6"
    parts: str  # "", "ab", "abc"
    points: str
    first: str  # "" = continue after the previous section (kept from a template or import)


def _row_of(section: Any, first: int | None) -> SectionRow:
    titles = section.titles
    return {
        "key": section.key,
        "title_uz": titles.get("uz", ""),
        "title_ru": titles.get("ru", ""),
        "title_en": titles.get("en", ""),
        "subject": section.subject,
        "kind": section.kind,
        "count": str(section.count),
        "options": str(len(section.options) or 4),
        "parts": "".join(section.parts) if "".join(section.parts) in PART_CHOICES else "ab",
        "points": format_points(section.points, "en"),
        "first": "" if first is None else str(first),
    }


def rows_of_layout(layout: Layout) -> list[SectionRow]:
    """The table's rows showing `layout`."""
    return [_row_of(section, section.first) for section in layout.sections]


def _number(text: str, *, whole: bool) -> Any:
    """The row's text as a number, or the text itself (then validate_layout_json names it)."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return text
    if whole:
        return int(value) if value == int(value) else value
    return value


def layout_json_of_rows(
    rows: list[SectionRow], *, template: str, official_score: str
) -> dict[str, Any]:
    """The rows as layout JSON (version 1), not yet checked."""
    sections = []
    for row in rows:
        kind = row["kind"]
        count = int(row["options"]) if row["options"].isdigit() else 0
        titles = {
            lang: row[f"title_{lang}"].strip()  # type: ignore[literal-required]
            for lang in LANGUAGES
            if row[f"title_{lang}"].strip()  # type: ignore[literal-required]
        }
        sections.append(
            {
                "key": row["key"],
                "titles": titles,
                "subject": row["subject"],
                "kind": kind,
                "count": _number(row["count"], whole=True),
                "options": list(LETTERS[:count]) if kind == MCQ else [],
                "parts": list(row["parts"]) if kind == FREE else [],
                "points": _number(row["points"], whole=False),
                "first": int(row["first"]) if row["first"].isdigit() else None,
            }
        )
    return {
        "version": 1,
        "template": template,
        "official_score": official_score,
        "sections": sections,
    }


def build_layout(rows: list[SectionRow], *, template: str, official_score: str) -> Layout:
    """The rows as a checked `Layout`; LayoutError names every problem."""
    return validate_layout_json(
        layout_json_of_rows(rows, template=template, official_score=official_score)
    )


def preview_items(layout: Layout) -> list[dict[str, Any]]:
    """The sheet's `items` prop for `layout`."""
    return [
        {
            "label": item.label,
            "number": item.number,
            "sub_part": item.sub_part,
            "kind": item.kind,
            "options": list(item.options),
            "section": item.section,
        }
        for item in layout.items()
    ]


def preview_sections(layout: Layout) -> list[dict[str, Any]]:
    """The sheet's `sections` prop for `layout`."""
    return layout_sections(layout)


class LayoutBuilderState(AdminState):
    """The sections table, its preview and the JSON box (see the module docstring)."""

    template: str = "certificate_math"
    official_score: str = SCALED
    rows: list[SectionRow] = []
    problems: list[str] = []
    sheet_items: list[dict[str, Any]] = []
    sheet_sections: list[dict[str, Any]] = []
    item_total: int = 0
    points_total: str = ""
    json_text: str = ""
    json_error: str = ""
    # Bumped when the rows are replaced (template, import, move): the table's inputs are
    # uncontrolled and remount with a new key to show the new values.
    generation: int = 0

    # --- helpers ---------------------------------------------------------------------

    def _template_chosen(self, name: str) -> None:
        """A template was chosen (the new-exam form takes its duration)."""

    def _start_builder(self, name: str = "certificate_math") -> None:
        template = TEMPLATES[name]
        self.template = name
        self.official_score = template.layout.official_score
        self.rows = rows_of_layout(template.layout)
        self.json_text = ""
        self.json_error = ""
        self._replaced()

    def _replaced(self) -> None:
        self.generation += 1
        self._refresh()

    def _refresh(self) -> None:
        """Re-check the rows: the problems, the preview, the totals."""
        lang = self._lang()
        try:
            layout = self._layout()
        except LayoutError as err:
            self.problems = [problem.text(lang) for problem in err.problems]
            self.sheet_items, self.sheet_sections = [], []
            self.item_total, self.points_total = 0, ""
            return
        self.problems = []
        self.sheet_items = preview_items(layout)
        self.sheet_sections = preview_sections(layout)
        self.item_total = layout.item_count()
        self.points_total = format_points(layout.max_points(), lang)

    def _layout(self) -> Layout:
        """The rows as a checked layout (LayoutError with every problem)."""
        return build_layout(
            list(self.rows), template=self.template, official_score=self.official_score
        )

    def _edited(self) -> None:
        """A change by hand: the layout is the admin's own from now on."""
        self.template = "custom"

    def _renumber(self) -> None:
        """After adding, removing or moving sections, number them one after another."""
        self.rows = [{**row, "first": ""} for row in self.rows]

    def _index(self, index: Any) -> int | None:
        if isinstance(index, bool) or not isinstance(index, int):
            return None
        return index if 0 <= index < len(self.rows) else None

    # --- events ----------------------------------------------------------------------

    @rx.event
    async def choose_template(self, name: Any):
        """Fill the table from a template (certificate, DTM, custom)."""
        if await self._require_admin() is None:
            return
        if not isinstance(name, str) or name not in TEMPLATES:
            return
        self._start_builder(name)
        self._template_chosen(name)

    @rx.event
    async def set_official_score(self, value: Any):
        if await self._require_admin() is None:
            return
        if isinstance(value, str) and value in OFFICIAL_SCORES:
            self.official_score = value
            self._refresh()

    @rx.event
    async def add_section(self):
        """A new multiple-choice section of 10 A–D items at the end."""
        if await self._require_admin() is None:
            return
        if len(self.rows) >= MAX_SECTIONS:
            self.problems = [
                self._text(
                    f"Ko‘pi bilan {MAX_SECTIONS} ta bo‘lim.",
                    f"Не более {MAX_SECTIONS} разделов.",
                    f"At most {MAX_SECTIONS} sections.",
                )
            ]
            return
        taken = {row["key"] for row in self.rows}
        number = next(n for n in range(1, MAX_SECTIONS + 2) if f"s{n}" not in taken)
        n = len(self.rows) + 1
        last = self.rows[-1] if self.rows else None
        self.rows = [
            *self.rows,
            {
                "key": f"s{number}",
                "title_uz": f"{n}-bo‘lim",
                "title_ru": f"Раздел {n}",
                "title_en": f"Section {n}",
                "subject": last["subject"] if last else "math",
                "kind": MCQ,
                "count": "10",
                "options": "4",
                "parts": "ab",
                "points": "1",
                "first": "",
            },
        ]
        self._edited()
        self._renumber()
        self._replaced()

    @rx.event
    async def remove_section(self, index: Any):
        if await self._require_admin() is None:
            return
        found = self._index(index)
        if found is None:
            return
        self.rows = [row for i, row in enumerate(self.rows) if i != found]
        self._edited()
        self._renumber()
        self._replaced()

    @rx.event
    async def move_section(self, index: Any, step: Any):
        """Move a section one place up (step -1) or down (+1)."""
        if await self._require_admin() is None:
            return
        found = self._index(index)
        if found is None or isinstance(step, bool) or not isinstance(step, int):
            return
        if step not in (-1, 1):
            return
        other = found + step
        if not 0 <= other < len(self.rows):
            return
        rows = list(self.rows)
        rows[found], rows[other] = rows[other], rows[found]
        self.rows = rows
        self._edited()
        self._renumber()
        self._replaced()

    @rx.event
    async def set_field(self, index: Any, name: Any, value: Any):
        """One input of the table changed (checked: the row, the field, the value's shape)."""
        if await self._require_admin() is None:
            return
        found = self._index(index)
        if found is None or not isinstance(name, str) or not isinstance(value, str):
            return
        if name not in ROW_FIELDS:
            return
        value = value[:MAX_FIELD_CHARS]
        if name == "kind" and value not in (MCQ, FREE):
            return
        if name == "subject" and value not in SUBJECTS:
            return
        if name == "options" and not (value.isdigit() and MIN_OPTIONS <= int(value) <= MAX_OPTIONS):
            return
        if name == "parts":
            value = "" if value == "-" else value  # the select's "no parts" (an empty value)
            if value not in PART_CHOICES:
                return
        row = dict(self.rows[found])
        if row[name] == value:
            return
        row[name] = value
        if name == "count":
            row["first"] = row["first"] if found == 0 else ""
        rows = list(self.rows)
        rows[found] = row  # type: ignore[assignment]
        self.rows = rows
        if name not in ("title_uz", "title_ru", "title_en"):
            self._edited()
        if name == "count":
            self._renumber()
        self._refresh()

    @rx.event
    async def set_json_text(self, value: Any):
        if await self._require_admin() is None:
            return
        if isinstance(value, str):
            self.json_text = value[:MAX_JSON_CHARS]

    @rx.event
    async def export_json(self):
        """Put the layout's JSON in the box (to copy, or to keep for another exam)."""
        if await self._require_admin() is None:
            return
        self.json_error = ""
        try:
            data = self._layout().to_json()
        except LayoutError as err:
            self.json_error = err.text(self._lang())
            return
        self.json_text = json.dumps(data, ensure_ascii=False, indent=2)

    @rx.event
    async def import_json(self):
        """Read the box's JSON into the table; every problem named, nothing changed on one."""
        if await self._require_admin() is None:
            return
        self.json_error = ""
        if len(self.json_text) >= MAX_JSON_CHARS:
            self.json_error = self._text(
                "JSON juda katta.", "JSON слишком большой.", "The JSON is too large."
            )
            return
        try:
            layout = validate_layout_json(self.json_text)
        except LayoutError as err:
            self.json_error = err.text(self._lang())
            return
        self.template = layout.template
        self.official_score = layout.official_score
        self.rows = rows_of_layout(layout)
        self._replaced()


# --- the page's pieces ----------------------------------------------------------------


def _subject_items() -> list[rx.Component]:
    return [rx.select.item(t(uz, ru, en), value=code) for code, (uz, ru, en) in SUBJECTS.items()]


def _cell_input(row: rx.Var, index: rx.Var, name: str, **props: Any) -> rx.Component:
    return rx.input(
        default_value=row[name].to(str),
        on_blur=lambda value: LayoutBuilderState.set_field(index, name, value),
        size="1",
        **props,
    )


def _section_row(row: rx.Var, index: rx.Var) -> rx.Component:
    is_mcq = row["kind"].to(str) == MCQ
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                _cell_input(row, index, "title_uz", placeholder="uz", max_length=80, width="13rem"),
                _cell_input(row, index, "title_ru", placeholder="ru", max_length=80, width="13rem"),
                _cell_input(row, index, "title_en", placeholder="en", max_length=80, width="13rem"),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(*_subject_items()),
                value=row["subject"].to(str),
                on_change=lambda value: LayoutBuilderState.set_field(index, "subject", value),
                size="1",
            )
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(
                    rx.select.item(t("Test", "Тест", "Multiple choice"), value=MCQ),
                    rx.select.item(t("Ochiq javob", "Открытый ответ", "Free response"), value=FREE),
                ),
                value=row["kind"].to(str),
                on_change=lambda value: LayoutBuilderState.set_field(index, "kind", value),
                size="1",
            )
        ),
        rx.table.cell(
            _cell_input(row, index, "count", type="number", min=1, max=300, width="4.5rem")
        ),
        rx.table.cell(
            rx.cond(
                is_mcq,
                rx.select.root(
                    rx.select.trigger(),
                    rx.select.content(
                        *(
                            rx.select.item(f"{n}: A–{LETTERS[n - 1]}", value=str(n))
                            for n in range(MIN_OPTIONS, MAX_OPTIONS + 1)
                        )
                    ),
                    value=row["options"].to(str),
                    on_change=lambda value: LayoutBuilderState.set_field(index, "options", value),
                    size="1",
                ),
                rx.select.root(
                    rx.select.trigger(),
                    rx.select.content(
                        rx.select.item(t("Qismsiz", "Без частей", "No parts"), value="-"),
                        rx.select.item("a, b", value="ab"),
                        rx.select.item("a, b, c", value="abc"),
                    ),
                    value=rx.cond(row["parts"].to(str) == "", "-", row["parts"].to(str)),
                    on_change=lambda value: LayoutBuilderState.set_field(index, "parts", value),
                    size="1",
                ),
            )
        ),
        rx.table.cell(
            _cell_input(row, index, "points", input_mode="decimal", max_length=8, width="4.5rem")
        ),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-up", size=14),
                    on_click=LayoutBuilderState.move_section(index, -1),
                    variant="ghost",
                    size="1",
                    type="button",
                    aria_label=t("Yuqoriga", "Вверх", "Move up"),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=14),
                    on_click=LayoutBuilderState.move_section(index, 1),
                    variant="ghost",
                    size="1",
                    type="button",
                    aria_label=t("Pastga", "Вниз", "Move down"),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    on_click=LayoutBuilderState.remove_section(index),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    type="button",
                    aria_label=t("O‘chirish", "Удалить", "Remove"),
                ),
                spacing="1",
            )
        ),
        id=f"layout-row-{index}",
    )


def _sections_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(
                    t("Nomi (uz, ru, en)", "Название (uz, ru, en)", "Title (uz, ru, en)")
                ),
                rx.table.column_header_cell(t("Fan", "Предмет", "Subject")),
                rx.table.column_header_cell(t("Turi", "Тип", "Kind")),
                rx.table.column_header_cell(t("Soni", "Количество", "Exercises")),
                rx.table.column_header_cell(
                    t("Variantlar / qismlar", "Варианты / части", "Options / parts")
                ),
                rx.table.column_header_cell(t("Ball", "Балл", "Points")),
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(rx.foreach(LayoutBuilderState.rows, _section_row)),
        key=LayoutBuilderState.generation.to_string(),
        size="1",
        width="100%",
        id="layout-sections",
    )


def _template_select() -> rx.Component:
    return rx.hstack(
        rx.text(t("Shablon", "Шаблон", "Template"), size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(id="layout-template"),
            rx.select.content(
                *(
                    rx.select.item(t(*(template.titles[lang] for lang in LANGUAGES)), value=name)
                    for name, template in TEMPLATES.items()
                )
            ),
            value=LayoutBuilderState.template,
            on_change=LayoutBuilderState.choose_template,
        ),
        rx.text(
            t("Rasmiy natija", "Официальный результат", "Official score"), size="2", weight="medium"
        ),
        rx.select.root(
            rx.select.trigger(id="layout-official-score"),
            rx.select.content(
                rx.select.item(t("Shkala balli", "Шкальный балл", "Scaled score"), value=SCALED),
                rx.select.item(t("Ballar yig‘indisi", "Сумма баллов", "Points"), value=POINTS),
            ),
            value=LayoutBuilderState.official_score,
            on_change=LayoutBuilderState.set_official_score,
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def _problems() -> rx.Component:
    return rx.cond(
        LayoutBuilderState.problems.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.vstack(
                rx.foreach(LayoutBuilderState.problems, lambda p: rx.text(p, size="2")),
                spacing="1",
            ),
            color_scheme="red",
            id="layout-problems",
        ),
        rx.text(
            LayoutBuilderState.item_total.to_string(),
            t(" ta savol, jami ", " заданий, всего ", " items, "),
            LayoutBuilderState.points_total,
            t(" ball", " баллов", " points"),
            size="2",
            color="var(--gray-11)",
            id="layout-totals",
        ),
    )


def _json_box() -> rx.Component:
    return rx.vstack(
        rx.text_area(
            value=LayoutBuilderState.json_text,
            on_change=LayoutBuilderState.set_json_text.debounce(400),
            rows="6",
            width="100%",
            font_family="monospace",
            placeholder='{"version": 1, "sections": [...]}',
            id="layout-json",
        ),
        rx.hstack(
            rx.button(
                t("JSONga chiqarish", "Экспорт в JSON", "Export JSON"),
                on_click=LayoutBuilderState.export_json,
                type="button",
                variant="soft",
                id="layout-export",
            ),
            rx.button(
                t("JSONdan yuklash", "Импорт из JSON", "Import JSON"),
                on_click=LayoutBuilderState.import_json,
                type="button",
                variant="soft",
                id="layout-import",
            ),
            spacing="2",
        ),
        rx.cond(
            LayoutBuilderState.json_error != "",
            rx.text(
                LayoutBuilderState.json_error,
                color="var(--red-11)",
                size="2",
                id="layout-json-error",
            ),
        ),
        spacing="2",
        width="100%",
    )


PREVIEW_LABELS = texts(
    answered=("Javob berilgan", "Отвечено", "Answered"),
    unanswered=("Javobsiz", "Без ответа", "Unanswered"),
    flagged=("Belgilangan", "Отмечено", "Flagged"),
    flag=("Belgilash", "Отметить", "Flag"),
    unflag=("Belgini olish", "Снять отметку", "Unflag"),
    placeholder=("Javob", "Ответ", "Answer"),
)


def layout_builder() -> rx.Component:
    """The template select, the sections table, the totals or problems, the JSON box, the
    preview."""
    return rx.vstack(
        rx.text(t("Javoblar varaqasi", "Бланк ответов", "Answer sheet"), size="4", weight="bold"),
        _template_select(),
        rx.box(_sections_table(), overflow_x="auto", width="100%"),
        rx.button(
            rx.icon("plus", size=14),
            t("Bo‘lim qo‘shish", "Добавить раздел", "Add section"),
            on_click=LayoutBuilderState.add_section,
            type="button",
            variant="soft",
            size="2",
            id="layout-add-section",
        ),
        _problems(),
        rx.accordion.root(
            rx.accordion.item(
                header=t(
                    "JSON (eksport / import)", "JSON (экспорт / импорт)", "JSON (export / import)"
                ),
                content=_json_box(),
                value="json",
            ),
            type="single",
            collapsible=True,
            width="100%",
            variant="ghost",
        ),
        rx.text(t("Ko‘rinishi", "Предпросмотр", "Preview"), size="3", weight="bold"),
        rx.box(
            answer_sheet(
                session_key="",
                items=LayoutBuilderState.sheet_items,
                sections=LayoutBuilderState.sheet_sections,
                preview=True,
                saved={},
                disabled=False,
                labels=PREVIEW_LABELS,
                seconds_left=0,
                load_id="preview",
                lang=AdminState.lang,
                offline=False,
            ),
            max_width="26rem",
            max_height="44rem",
            overflow_y="auto",
            width="100%",
            id="layout-preview",
        ),
        spacing="3",
        width="100%",
        align="stretch",
    )
