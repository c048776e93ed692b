"""The "Answer key" tab of an exam: a grid of every item, section by section, and a
bulk-paste box.

The grid follows the exam's layout: one block per section with its title and
points. Multiple-choice items get a button per option (A–D, A–E, …; saved on
click); free-response items get a text input (saved on blur) where several
accepted answers are separated by `|`. The paste box takes the whole key at once
(`scoring.answer_key` syntax: per-line answers, or a `[s2]` section header and the
letters of that section; its example is built from the layout) and is
all-or-nothing: a bad line is reported with its line number and nothing is saved.
Every change goes through `services.exams` with the admin's id (audit log).
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.auth import DB_UNAVAILABLE, FAILED, AdminState
from mockexam.admin.components import USER_CONTENT, header_row
from mockexam.admin.exam_edit import ExamState
from mockexam.admin.i18n import count_word, t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.errors import AnswerKeyError, MockExamError, localized
from mockexam.models import ExamItem, ItemKind
from mockexam.scoring.answer_key import MAX_KEY_CHARS
from mockexam.scoring.layout import Layout, LayoutError
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services import exams as exam_service
from mockexam.services.transactions import in_session
from mockexam.text import strip_bidi
from mockexam.ui.answer_sheet import layout_sections

logger = logging.getLogger(__name__)

MAX_LABEL_CHARS = 8
MAX_ANSWER_FIELD_CHARS = 500
MAX_PASTE_CHARS = MAX_KEY_CHARS  # checked here too: nothing larger goes to a thread
PASTE_EXAMPLE = "ABCDA BCDAB …  (1–35)\n36a 12\n36b -1/2 | -0.5\n…"  # i18n: not text
"""The certificate's example (`paste_example(CERTIFICATE_MATH)`)."""


def paste_example(layout: Layout) -> str:
    """An example key for the paste box, built from the layout's sections.

    One section of multiple choice: its letters on one line; several: a `[key]` header
    before each section's letters; free response: "36a 12" lines."""
    if layout == CERTIFICATE_MATH or layout.to_json() == CERTIFICATE_MATH.to_json():
        return PASTE_EXAMPLE
    lines: list[str] = []
    several = len(layout.sections) > 1
    for section, first in zip(layout.sections, layout.firsts(), strict=True):
        last = first + section.count - 1
        if section.kind == ItemKind.MULTIPLE_CHOICE:
            letters = "".join(section.options[i % len(section.options)] for i in range(10))
            sample = (
                f"{letters[:5]} {letters[5:]} …" if section.count > 5 else letters[: section.count]
            )
            head = f"[{section.key}] " if several else ""
            lines.append(f"{head}{sample}  ({first}–{last})" if last > first else f"{head}{sample}")
        else:
            label = f"{first}{section.parts[0] if section.parts else ''}"
            lines.append(f"{label} 12")
            if len(section.parts) > 1:
                lines.append(f"{first}{section.parts[1]} -1/2 | -0.5")
            lines.append("…")
    return "\n".join(lines)


class KeyRow(TypedDict):
    label: str
    section: int
    kind: str
    options: list[str]
    answer: str  # accepted answers joined by " | "
    missing: bool
    excluded: bool
    code: str  # the item's bank code ("" none)


class KeyGroup(TypedDict):
    """One section's block of the grid."""

    index: int
    titles: dict[str, str]
    notes: dict[str, str]  # "1–10 · 1.1 points each" in uz/ru/en
    mcq: bool  # options buttons (else answer inputs)
    rows: list[KeyRow]


class PasteError(TypedDict):
    line: int
    message: str


def _row(item: ExamItem) -> KeyRow:
    return {
        "label": item.label,
        "section": item.section,
        "kind": item.kind,
        "options": list(item.options),
        "answer": " | ".join(item.accepted_answers),
        "missing": not item.accepted_answers and not item.is_excluded,
        "excluded": item.is_excluded,
        "code": item.bank_code or "",
    }


def _read(db: Any, exam_id: int) -> tuple[list[KeyRow], Layout | None]:
    """The rows and the exam's layout (None when the stored one fails the checks: then
    the grid groups by the items' sections without titles)."""
    rows = [_row(item) for item in exam_service.answer_sheet(db, exam_id)]
    try:
        layout = exam_service.exam_layout(exam_service.get_exam(db, exam_id))
    except LayoutError:
        logger.warning("exam %s: the stored layout fails the checks", exam_id)
        layout = None
    return rows, layout


def _groups(rows: list[KeyRow], layout: Layout | None) -> list[KeyGroup]:
    """The rows in one block per section, in sheet order."""
    views = layout_sections(layout) if layout is not None else []
    groups: dict[int, KeyGroup] = {}
    for row in rows:
        index = row["section"]
        if index not in groups:
            view = views[index] if index < len(views) else None
            groups[index] = {
                "index": index,
                "titles": view["titles"] if view else {},
                "notes": view["notes"] if view else {},
                "mcq": row["kind"] == ItemKind.MULTIPLE_CHOICE,
                "rows": [],
            }
        groups[index]["rows"].append(row)
    return list(groups.values())


def split_answers(value: str) -> list[str]:
    """`"0.5 | 1/2"` → `["0.5", "1/2"]` (blank parts dropped, bidi controls removed).

    A bidi control would make a stored answer show as another in the key table.
    """
    return [part.strip() for part in strip_bidi(value).split("|") if part.strip()]


class KeyState(AdminState):
    """The answer-key grid and the paste box of `/admin/exams/<id>`."""

    exam_id: int = 0
    loaded: bool = False
    mcq_rows: list[KeyRow] = []
    free_rows: list[KeyRow] = []
    groups: list[KeyGroup] = []
    example: str = PASTE_EXAMPLE
    paste_errors: list[PasteError] = []
    paste_version: int = 0
    codes_text: str = ""  # the items' bank codes as the paste box shows them
    codes_count: int = 0
    codes_errors: list[PasteError] = []
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    def _show(self, rows: list[KeyRow], layout: Layout | None) -> None:
        coded = [r for r in rows if r["code"]]
        self.codes_text = "\n".join(f"{r['label']} {r['code']}" for r in coded)
        self.codes_count = len(coded)
        self.mcq_rows = [r for r in rows if r["kind"] == ItemKind.MULTIPLE_CHOICE]
        self.free_rows = [r for r in rows if r["kind"] != ItemKind.MULTIPLE_CHOICE]
        self.groups = _groups(rows, layout)
        self.example = paste_example(layout) if layout is not None else PASTE_EXAMPLE
        self.loaded = True

    async def _reload(self) -> None:
        exam_id = self._route_id()
        if exam_id is None:
            return
        found = await self._service(in_session(lambda db: _read(db, exam_id), readonly=True))
        if found is not FAILED:
            rows, layout = found
            self.exam_id = exam_id
            self._show(rows, layout)

    @rx.event
    async def load(self):
        """on_load: the items and their accepted answers."""
        if await self._require_admin() is None:
            return
        self.error, self.notice, self.paste_errors = "", "", []
        await self._reload()

    async def _set(self, admin_id: int, label: Any, answers: list[str]):
        if not isinstance(label, str) or not label or len(label) > MAX_LABEL_CHARS:
            return None
        exam_id = self.exam_id
        if not exam_id:
            return None
        self.error, self.notice = "", ""
        result = await self._service(
            in_session(
                lambda db: exam_service.set_item_key(db, exam_id, label, answers, admin_id=admin_id)
            )
        )
        if result is not FAILED:
            answers = " | ".join(result.accepted_answers)
            self.notice = self._text(
                f"{result.label}-savol: {answers}",
                f"Задание {result.label}: {answers}",
                f"Item {result.label}: {answers}",
            )
        await self._reload()
        return ExamState.refresh

    @rx.event
    async def set_choice(self, label: str, letter: str):
        """The key of a multiple-choice item (one of its options)."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(letter, str) or len(letter) > MAX_LABEL_CHARS:
            return None
        return await self._set(admin_id, label, [letter])

    @rx.event
    async def set_free(self, label: str, value: str):
        """The accepted answers of a free-response item, separated by `|`."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(value, str):
            return None
        if len(value) > MAX_ANSWER_FIELD_CHARS:
            self.error = self._text(
                f"{label}-savol: javoblar juda uzun.",
                f"Задание {label}: ответы слишком длинные.",
                f"Item {label}: the answers are too long.",
            )
            return None
        current = next((r for r in self.free_rows if r["label"] == label), None)
        if current is not None and split_answers(value) == split_answers(current["answer"]):
            return None  # nothing changed (a blur without an edit)
        return await self._set(admin_id, label, split_answers(value))

    def _pasted(self, text: object, empty: tuple[str, str, str]) -> bool:
        """Whether a paste is text to parse; else the reason is in `error`."""
        if not isinstance(text, str) or not text.strip():
            self.error = self._text(*empty)
            return False
        if len(text) > MAX_PASTE_CHARS:
            self.error = self._text(
                f"Matn {MAX_PASTE_CHARS:,} belgidan uzun.".replace(",", " "),
                f"Текст длиннее {MAX_PASTE_CHARS:,} символов.".replace(",", " "),
                f"The paste is longer than {MAX_PASTE_CHARS:,} characters.",
            )
            return False
        return True

    @rx.event
    async def import_key(self, form_data: dict[str, Any]):
        """The bulk paste: every line parses or nothing is saved."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict) or not self.exam_id:
            return None
        text = form_data.get("key_text", "")
        self.error, self.notice, self.paste_errors = "", "", []
        if not self._pasted(
            text,
            (
                "Avval javoblar kalitini joylang.",
                "Сначала вставьте ключ ответов.",
                "Paste the answer key first.",
            ),
        ):
            return None
        exam_id = self.exam_id
        try:
            result = await rx.run_in_thread(
                in_session(
                    lambda db: exam_service.import_answer_key(db, exam_id, text, admin_id=admin_id)
                )
            )
        except AnswerKeyError as err:
            self.paste_errors = [
                {"line": n, "message": localized(m, self._lang())} for n, m in err.errors[:50]
            ]
            n = len(err.errors)
            lines = count_word(
                self._lang(), n, uz="qatorni", ru=("строку", "строки", "строк"),
                en=("line", "lines"),
            )  # fmt: skip
            self.error = self._text(
                f"Hech narsa saqlanmadi: {n} ta {lines} tuzatish kerak (pastda).",
                f"Ничего не сохранено: нужно исправить {n} {lines} (см. ниже).",
                f"Nothing was saved: {n} {lines} to fix (see below).",
            )
            return None
        except MockExamError as err:
            self.error = err.text(self._lang())
            return None
        except SQLAlchemyError:
            logger.exception("answer key import failed in the database")
            self.error = self._text(*DB_UNAVAILABLE)
            return None
        n, left = result.updated, ", ".join(result.missing)
        items = count_word(
            self._lang(), n, uz="ta savol", ru=("задания", "заданий", "заданий"),
            en=("item", "items"),
        )  # fmt: skip
        self.notice = self._text(
            f"{n} {items} kaliti saqlandi." + (f" Hali kalitsiz: {left}." if left else ""),
            f"Ключ сохранён для {n} {items}." + (f" Ещё без ключа: {left}." if left else ""),
            f"Saved the key for {n} {items}." + (f" Still without a key: {left}." if left else ""),
        )
        self.paste_version += 1
        await self._reload()
        return ExamState.refresh

    @rx.event
    async def import_codes(self, form_data: dict[str, Any]):
        """Bank codes pasted per item (`12 ALG-017`): every line good or nothing is saved."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict) or not self.exam_id:
            return None
        text = form_data.get("codes_text", "")
        self.error, self.notice, self.codes_errors = "", "", []
        if not self._pasted(
            text,
            (
                "Avval kodlarni joylang (“12 ALG-017”).",
                "Сначала вставьте коды («12 ALG-017»).",
                "Paste the codes first (“12 ALG-017”).",
            ),
        ):
            return None
        exam_id = self.exam_id

        def save(db: Any) -> int:
            return exam_service.set_bank_codes(db, exam_id, text, admin_id=admin_id)

        try:
            changed = await rx.run_in_thread(in_session(save))
        except AnswerKeyError as err:
            self.codes_errors = [
                {"line": n, "message": localized(m, self._lang())} for n, m in err.errors[:50]
            ]
            self.error = self._text(
                "Bank kodlari saqlanmadi: pastdagi qatorlarni tuzating.",
                "Коды банка не сохранены: исправьте строки ниже.",
                "The bank codes were not saved: fix the lines below.",
            )
            return None
        except MockExamError as err:
            self.error = err.text(self._lang())
            return None
        except SQLAlchemyError:
            logger.exception("bank codes could not be saved")
            self.error = self._text(*DB_UNAVAILABLE)
            return None
        self.notice = self._text(
            f"Bank kodlari saqlandi ({changed} ta savol o‘zgardi).",
            f"Коды банка сохранены (изменено заданий: {changed}).",
            f"Bank codes saved ({changed} item(s) changed).",
        )
        await self._reload()
        return None


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _line_problems(errors: rx.Var[list[PasteError]], row_class: str, table_id: str) -> rx.Component:
    """The problems of a paste, line by line (shown only when there are some)."""
    return rx.cond(
        errors.length() > 0,
        rx.table.root(
            header_row(t("Qator", "Строка", "Line"), t("Muammo", "Ошибка", "Problem")),
            rx.table.body(
                rx.foreach(
                    errors,
                    lambda e: rx.table.row(
                        rx.table.cell(e["line"]),
                        rx.table.cell(e["message"]),
                        class_name=row_class,
                    ),
                )
            ),
            size="1",
            variant="surface",
            id=table_id,
        ),
    )


CODES_EXAMPLE = "12 ALG-017\n36a GEO-004"


def _codes_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(t("Bank kodlari", "Коды банка заданий", "Item bank codes"), size="4"),
            rx.badge(KeyState.codes_count, id="codes-count"),
            align="center",
            spacing="2",
        ),
        rx.text(
            t(
                "Bir xil kod — bir xil savol: boshqa haftalardagi umumiy savollar orqali "
                "ballar bitta shkalaga bog‘lanadi. Har qatorda “12 ALG-017”; “13 -” kodni "
                "o‘chiradi.",
                "Один код — один и тот же вопрос: через общие задания баллы разных недель "
                "ставятся на одну шкалу. По строке «12 ALG-017»; «13 -» убирает код.",
                "The same code is the same question: through common items the weeks' scores "
                "are put on one scale. One line per item, “12 ALG-017”; “13 -” removes a code.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="codes_text",
                    default_value=KeyState.codes_text,
                    key=KeyState.codes_text,
                    placeholder=CODES_EXAMPLE,
                    rows="6",
                    width="100%",
                    font_family="var(--code-font-family)",
                    id="codes-paste",
                    custom_attrs=USER_CONTENT,
                ),
                rx.button(
                    t("Kodlarni saqlash", "Сохранить коды", "Save the codes"),
                    type="submit",
                    variant="soft",
                    id="codes-save",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=KeyState.import_codes,
            reset_on_submit=False,
            width="100%",
        ),
        _line_problems(KeyState.codes_errors, "codes-error", "codes-errors"),
    )


def _mcq_cell(row: rx.Var[KeyRow]) -> rx.Component:
    return rx.hstack(
        rx.text(
            row["label"],
            weight="bold",
            size="2",
            width="2.2rem",
            color=rx.cond(row["missing"], "var(--amber-11)", "var(--gray-12)"),
        ),
        rx.segmented_control.root(
            rx.foreach(
                row["options"].to(list[str]),
                lambda option: rx.segmented_control.item(option, value=option),
            ),
            value=row["answer"].to(str),
            on_change=lambda letter: KeyState.set_choice(row["label"].to(str), letter),
            size="1",
            id="key-" + row["label"].to(str),
        ),
        _code_badge(row),
        spacing="2",
        align="center",
        opacity=rx.cond(row["excluded"], "0.45", "1"),
    )


def _code_badge(row: rx.Var[KeyRow]) -> rx.Component:
    return rx.cond(
        row["code"].to(str) != "",
        rx.badge(
            row["code"].to(str),
            size="1",
            variant="outline",
            color_scheme="gray",
            custom_attrs=USER_CONTENT,
        ),
    )


def _free_cell(row: rx.Var[KeyRow]) -> rx.Component:
    return rx.hstack(
        rx.text(
            row["label"],
            weight="bold",
            size="2",
            width="2.6rem",
            color=rx.cond(row["missing"], "var(--amber-11)", "var(--gray-12)"),
        ),
        rx.input(
            default_value=row["answer"].to(str),
            key=row["label"].to(str) + ":" + row["answer"].to(str),
            placeholder=t("masalan 0.5 | 1/2", "напр. 0.5 | 1/2", "e.g. 0.5 | 1/2"),
            on_blur=lambda value: KeyState.set_free(row["label"].to(str), value),
            size="2",
            width="100%",
            id="key-" + row["label"].to(str),
        ),
        _code_badge(row),
        spacing="2",
        align="center",
        width="100%",
        opacity=rx.cond(row["excluded"], "0.45", "1"),
    )


def _paste_card() -> rx.Component:
    return card(
        rx.heading(
            t("Butun kalitni joylash", "Вставить весь ключ", "Paste the whole key"), size="4"
        ),
        rx.text(
            t(
                "Har qatorda bitta savol (“1 A”, “36a 12”, bir nechta javob “|” bilan) yoki "
                "boshida barcha test savollarining harflari bir qatorda; bo‘limlar bo‘lsa, "
                "“[s2]” sarlavhasidan keyin shu bo‘lim harflari. Qator oxirida bank kodi "
                "bo‘lishi mumkin (“12 B ALG-017”). Barcha qatorlar to‘g‘ri bo‘lmasa, hech narsa "
                "saqlanmaydi.",
                "По одному заданию в строке («1 A», «36a 12», несколько ответов через «|») "
                "или сначала буквы всех заданий с выбором ответа в одной строке; при "
                "нескольких разделах — заголовок «[s2]» и буквы этого раздела. Строку может "
                "завершать код банка («12 B ALG-017»). Ничего не сохраняется, пока все строки "
                "не верны.",
                "One item per line (“1 A”, “36a 12”, several answers with “|”), or the letters "
                "of all multiple-choice items in one line first; with sections, a “[s2]” header "
                "and that section's letters. A line may end with the item's bank code "
                "(“12 B ALG-017”). Nothing is saved unless every line is right.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="key_text",
                    placeholder=KeyState.example,
                    rows="12",
                    width="100%",
                    font_family="var(--code-font-family)",
                    id="key-paste",
                    key=KeyState.paste_version.to_string(),
                ),
                rx.button(
                    t("Tekshirish va saqlash", "Проверить и сохранить", "Check and save"),
                    type="submit",
                    id="key-paste-save",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=KeyState.import_key,
            reset_on_submit=False,
            width="100%",
        ),
        _line_problems(KeyState.paste_errors, "paste-error", "key-paste-errors"),
    )


def _group_card(group: rx.Var) -> rx.Component:
    """One section: its title and points, then its option buttons or answer inputs."""
    rows = group["rows"].to(list[KeyRow])
    return card(
        rx.cond(
            group["titles"].to(dict).contains("en"),
            rx.vstack(
                rx.heading(group["titles"].to(dict)[AdminState.lang].to(str), size="4"),
                rx.text(
                    group["notes"].to(dict)[AdminState.lang].to(str),
                    size="1",
                    color="var(--gray-10)",
                ),
                spacing="1",
            ),
            rx.heading(
                rx.cond(
                    group["mcq"].to(bool),
                    t("Test topshiriqlari", "Задания с выбором ответа", "Multiple choice"),
                    t("Ochiq javobli topshiriqlar", "Задания с открытым ответом", "Free response"),
                ),
                size="4",
            ),
        ),
        rx.cond(
            group["mcq"].to(bool),
            rx.grid(rx.foreach(rows, _mcq_cell), columns="3", spacing="3", width="100%"),
            rx.vstack(
                rx.text(
                    t(
                        "Bir nechta to‘g‘ri javob: ularni | bilan ajrating. Maydondan chiqqanda "
                        "saqlanadi.",
                        "Несколько верных ответов разделяйте знаком |. Сохраняется, когда вы "
                        "покидаете поле.",
                        "Several accepted answers: separate them with |. Saved when you leave "
                        "the field.",
                    ),
                    size="1",
                    color="var(--gray-10)",
                ),
                rx.grid(rx.foreach(rows, _free_cell), columns="2", spacing="3", width="100%"),
                spacing="2",
                width="100%",
            ),
        ),
        id="key-section-" + group["index"].to_string(),
    )


def key_tab() -> rx.Component:
    """The grid (a block per section of the layout) beside the paste box."""
    return rx.vstack(
        error_callout(KeyState.error, callout_id="key-error"),
        success_callout(KeyState.notice, callout_id="key-notice"),
        rx.grid(
            rx.vstack(
                rx.foreach(KeyState.groups, _group_card),
                spacing="4",
                width="100%",
            ),
            rx.vstack(_paste_card(), _codes_card(), spacing="4", width="100%"),
            columns="2",
            spacing="4",
            width="100%",
            style={"grid_template_columns": "minmax(0, 3fr) minmax(0, 2fr)"},
        ),
        spacing="4",
        width="100%",
    )
