"""The "Answer key" tab of an exam: a grid of every item and a bulk-paste box.

Multiple-choice items get A–D buttons (saved on click); free-response items
get a text input (saved on blur) where several accepted answers are
separated by `|`. The paste box takes the whole key at once
(`scoring.answer_key` syntax) and is all-or-nothing: a bad line is reported
with its line number and nothing is saved. Every change goes through
`services.exams` with the admin's id (audit log).
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.auth import DB_UNAVAILABLE, FAILED, AdminState
from mockexam.admin.components import header_row
from mockexam.admin.exam_edit import ExamState
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.errors import AnswerKeyError, MockExamError, localized
from mockexam.models import ExamItem, ItemKind
from mockexam.scoring.answer_key import MAX_KEY_CHARS
from mockexam.services import exams as exam_service
from mockexam.services.transactions import in_session
from mockexam.text import strip_bidi

logger = logging.getLogger(__name__)

MAX_LABEL_CHARS = 8
MAX_ANSWER_FIELD_CHARS = 500
MAX_PASTE_CHARS = MAX_KEY_CHARS  # checked here too: nothing larger goes to a thread
PASTE_EXAMPLE = "ABCDA BCDAB …  (exercises 1–35)\n36a 12\n36b -1/2 | -0.5\n…"


class KeyRow(TypedDict):
    label: str
    kind: str
    options: list[str]
    answer: str  # accepted answers joined by " | "
    missing: bool
    excluded: bool


class PasteError(TypedDict):
    line: int
    message: str


def _row(item: ExamItem) -> KeyRow:
    return {
        "label": item.label,
        "kind": item.kind,
        "options": list(item.options),
        "answer": " | ".join(item.accepted_answers),
        "missing": not item.accepted_answers and not item.is_excluded,
        "excluded": item.is_excluded,
    }


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
    paste_errors: list[PasteError] = []
    paste_version: int = 0
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    def _show(self, rows: list[KeyRow]) -> None:
        self.mcq_rows = [r for r in rows if r["kind"] == ItemKind.MULTIPLE_CHOICE]
        self.free_rows = [r for r in rows if r["kind"] != ItemKind.MULTIPLE_CHOICE]
        self.loaded = True

    async def _reload(self) -> None:
        exam_id = self._route_id()
        if exam_id is None:
            return
        rows = await self._service(
            in_session(
                lambda db: [_row(i) for i in exam_service.answer_sheet(db, exam_id)], readonly=True
            )
        )
        if rows is not FAILED:
            self.exam_id = exam_id
            self._show(rows)

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
            self.notice = f"Item {result.label}: {' | '.join(result.accepted_answers)}"
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
            self.error = f"Item {label}: the answers are too long."
            return None
        current = next((r for r in self.free_rows if r["label"] == label), None)
        if current is not None and split_answers(value) == split_answers(current["answer"]):
            return None  # nothing changed (a blur without an edit)
        return await self._set(admin_id, label, split_answers(value))

    @rx.event
    async def import_key(self, form_data: dict[str, Any]):
        """The bulk paste: every line parses or nothing is saved."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict) or not self.exam_id:
            return None
        text = form_data.get("key_text", "")
        self.error, self.notice, self.paste_errors = "", "", []
        if not isinstance(text, str) or not text.strip():
            self.error = "Paste the answer key first."
            return None
        if len(text) > MAX_PASTE_CHARS:
            self.error = f"The paste is longer than {MAX_PASTE_CHARS:,} characters."
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
            self.error = f"Nothing was saved: {len(err.errors)} line(s) need fixing (see below)."
            return None
        except MockExamError as err:
            self.error = str(err)
            return None
        except SQLAlchemyError:
            logger.exception("answer key import failed in the database")
            self.error = self._text(*DB_UNAVAILABLE)
            return None
        missing = f" Still without a key: {', '.join(result.missing)}." if result.missing else ""
        self.notice = f"Saved the key for {result.updated} item(s).{missing}"
        self.paste_version += 1
        await self._reload()
        return ExamState.refresh


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
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
        spacing="2",
        align="center",
        opacity=rx.cond(row["excluded"], "0.45", "1"),
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
            placeholder="e.g. 0.5 | 1/2",
            on_blur=lambda value: KeyState.set_free(row["label"].to(str), value),
            size="2",
            width="100%",
            id="key-" + row["label"].to(str),
        ),
        spacing="2",
        align="center",
        width="100%",
        opacity=rx.cond(row["excluded"], "0.45", "1"),
    )


def _paste_card() -> rx.Component:
    return card(
        rx.heading("Paste the whole key", size="4"),
        rx.text(
            "One item per line (“1 A”, “36a 12”, several answers with “|”), or the letters of "
            "all multiple-choice items in one line first. Nothing is saved unless every line "
            "is right.",
            size="2",
            color="var(--gray-11)",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="key_text",
                    placeholder=PASTE_EXAMPLE,
                    rows="12",
                    width="100%",
                    font_family="var(--code-font-family)",
                    id="key-paste",
                    key=KeyState.paste_version.to_string(),
                ),
                rx.button("Check and save", type="submit", id="key-paste-save"),
                spacing="3",
                width="100%",
            ),
            on_submit=KeyState.import_key,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            KeyState.paste_errors.length() > 0,
            rx.table.root(
                header_row("Line", "Problem"),
                rx.table.body(
                    rx.foreach(
                        KeyState.paste_errors,
                        lambda e: rx.table.row(
                            rx.table.cell(e["line"]),
                            rx.table.cell(e["message"]),
                            class_name="paste-error",
                        ),
                    )
                ),
                size="1",
                variant="surface",
                id="key-paste-errors",
            ),
        ),
    )


def key_tab() -> rx.Component:
    """The grid (choices, free responses) beside the paste box."""
    return rx.vstack(
        error_callout(KeyState.error, callout_id="key-error"),
        success_callout(KeyState.notice, callout_id="key-notice"),
        rx.grid(
            rx.vstack(
                card(
                    rx.heading("Multiple choice", size="4"),
                    rx.grid(
                        rx.foreach(KeyState.mcq_rows, _mcq_cell),
                        columns="3",
                        spacing="3",
                        width="100%",
                    ),
                ),
                card(
                    rx.heading("Free response", size="4"),
                    rx.text(
                        "Several accepted answers: separate them with |. Saved when you leave "
                        "the field.",
                        size="1",
                        color="var(--gray-10)",
                    ),
                    rx.grid(
                        rx.foreach(KeyState.free_rows, _free_cell),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            _paste_card(),
            columns="2",
            spacing="4",
            width="100%",
            style={"grid_template_columns": "minmax(0, 3fr) minmax(0, 2fr)"},
        ),
        spacing="4",
        width="100%",
    )
