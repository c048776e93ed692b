"""The practice bank's data on the page: the topic × difficulty summary, the topics, one page of questions.

`PracticeBankState` reads all three in one service call (`_read`), so every
change elsewhere on the page (the question form, the import, the topics)
ends by returning `PracticeBankState.refresh`. The summary also counts each
topic's active questions per language (uz · ru · en): students get questions
in their own language first, so a thin language shows where they fall back to
another. The list is filtered by topic, difficulty, kind, language, active or
not and a text / `#id` / bank code search, 25 rows a page; each row shows its
language and bank code, can be switched on or off and deleted (the service
refuses a question that students were given: its message is shown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.components import header_row, pager_buttons, step_offset
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.models import ItemKind
from mockexam.parsing import parse_id, parse_int
from mockexam.scoring.layout_templates import SUBJECTS
from mockexam.services import practice_bank as bank
from mockexam.services.transactions import in_session
from mockexam.ui.practice_sheet import math_text

PAGE_SIZE = 25
MAX_SEARCH_CHARS = 100
FIRST_LINE_CHARS = 140
LEVELS = (1, 2, 3, 4, 5)
# A topic × difficulty cell with fewer active questions than this is "thin" (amber);
# none at all is a gap (red). A light session takes one question per topic.
THIN_BELOW = 3
# The list's kind badge ("mcq" / "free" are the codes the filter sends).
KIND_LABELS: dict[str, tuple[str, str, str]] = {
    ItemKind.MULTIPLE_CHOICE.value: ("Test", "Тест", "MCQ"),
    ItemKind.FREE_RESPONSE.value: ("Ochiq", "Свободный", "free"),
}
FILTER_CHOICES: dict[str, tuple[str, ...]] = {
    "level": ("all", *(str(n) for n in LEVELS)),
    "kind": ("all", *KIND_LABELS),
    "status": ("all", "active", "inactive"),
    "language": ("all", *bank.LANGUAGES),
}


class SummaryRow(TypedDict):
    topic: str
    cells: list[int]  # active questions at difficulty 1..5
    total: int
    languages: list[int]  # active questions in each of bank.LANGUAGES


class TopicView(TypedDict):
    topic_id: int
    code: str
    name: str
    name_uz: str
    name_ru: str
    name_en: str
    subject: str
    questions: int
    active_questions: int
    first: bool
    last: bool


class QuestionView(TypedDict):
    question_id: int
    topic: str
    subject: str
    level: int
    kind: str
    first_line: str
    answer: str
    has_image: bool
    times_given: int
    active: bool
    language: str  # a code of bank.LANGUAGES
    bank_code: str  # "" when it has none


def first_line(text: str, limit: int = FIRST_LINE_CHARS) -> str:
    """The first non-empty line of a question, cut short without splitting a `$…$` formula."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[:limit]
    if cut.count("$") % 2:  # inside a formula: stop before it
        cut = cut[: cut.rfind("$")]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip() + " …"


def question_view(row: bank.QuestionRow) -> QuestionView:
    if row.kind == ItemKind.MULTIPLE_CHOICE:
        answer = ", ".join(row.accepted_answers)
    else:
        answer = " | ".join(row.accepted_answers)
    return {
        "question_id": row.question_id,
        "topic": row.topic,
        "subject": row.subject,
        "level": row.difficulty,
        "kind": row.kind,
        "first_line": first_line(row.text),
        "answer": answer,
        "has_image": bool(row.image_path),
        "times_given": row.times_given,
        "active": row.is_active,
        "language": row.language,
        "bank_code": row.bank_code or "",
    }


def topic_view(row: bank.TopicRow, *, first: bool, last: bool) -> TopicView:
    return {
        "topic_id": row.topic_id,
        "code": row.code,
        "name": row.name,
        "name_uz": row.names.get("uz", ""),
        "name_ru": row.names.get("ru", ""),
        "name_en": row.names.get("en", ""),
        "subject": row.subject,
        "questions": row.questions,
        "active_questions": row.active_questions,
        "first": first,
        "last": last,
    }


def summary_rows(summary: bank.BankSummary) -> list[SummaryRow]:
    languages = summary.languages or [[0] * len(bank.LANGUAGES) for _ in summary.topics]
    return [
        {"topic": name, "cells": list(counts), "total": sum(counts), "languages": list(by_lang)}
        for name, counts, by_lang in zip(summary.topics, summary.counts, languages, strict=True)
    ]


def non_text_field(form: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first of `names` that the form holds as something other than text, or None.

    The page only ever sends strings; anything else came from another client and is
    refused with a message rather than read as an empty field (which would clear it).
    """
    return next((n for n in names if n in form and not isinstance(form[n], str)), None)


def valid_id(value: Any) -> bool:
    """A database id as a client may send it: a positive int (not a bool), not absurdly large."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


class PracticeBankState(AdminState):
    """The summary, the topics and one page of the question list with its filters."""

    loaded: bool = False
    total_active: int = 0
    total_questions: int = 0
    summary: list[SummaryRow] = []
    level_totals: list[int] = [0, 0, 0, 0, 0]
    language_totals: list[int] = [0] * len(bank.LANGUAGES)
    topics: list[TopicView] = []
    rows: list[QuestionView] = []
    total: int = 0  # questions matching the filters
    offset: int = 0
    topic_filter: str = "all"  # "all" or a topic id
    level_filter: str = "all"
    kind_filter: str = "all"
    status_filter: str = "all"
    language_filter: str = "all"  # "all" or a code of bank.LANGUAGES
    search: str = ""
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        # Strict parsing ('²' passes isdigit() and fails int()): anything else is "all".
        topic_id = parse_id(self.topic_filter)
        level = parse_int(self.level_filter, minimum=LEVELS[0], maximum=LEVELS[-1])
        kind = self.kind_filter if self.kind_filter in KIND_LABELS else None
        active = {"active": True, "inactive": False}.get(self.status_filter)
        language = self.language_filter if self.language_filter in bank.LANGUAGES else None
        search, offset = self.search, self.offset

        def read(db):
            page = bank.list_questions(
                db,
                topic_id=topic_id,
                difficulty=level,
                kind=kind,
                active=active,
                search=search,
                offset=offset,
                limit=PAGE_SIZE,
                language=language,
            )
            return bank.bank_summary(db), bank.list_topics(db), page

        result = await self._service(in_session(read, readonly=True))
        if result is FAILED:
            return
        summary, topics, page = result
        self.loaded = True
        self.total_active, self.total_questions = summary.total_active, summary.total
        self.summary = summary_rows(summary)
        self.level_totals = [sum(column) for column in zip(*summary.counts, strict=True)] or [0] * 5
        self.language_totals = [sum(column) for column in zip(*summary.languages, strict=True)] or [
            0
        ] * len(bank.LANGUAGES)
        self.topics = [
            topic_view(t, first=i == 0, last=i == len(topics) - 1) for i, t in enumerate(topics)
        ]
        if topic_id is not None and all(t.topic_id != topic_id for t in topics):
            self.topic_filter = "all"  # the topic was deleted meanwhile
        self.rows = [question_view(r) for r in page.rows]
        self.total = page.total
        if not page.rows and self.offset > 0 and page.total > 0:
            self.offset = max(0, (page.total - 1) // PAGE_SIZE * PAGE_SIZE)
            await self._read()

    @rx.event
    async def load(self):
        """on_load: the first page (filters kept from an earlier visit in this tab)."""
        if await self._require_admin() is None:
            return
        self.error, self.notice = "", ""
        self.offset = 0
        await self._read()

    @rx.event
    async def refresh(self):
        """Re-read everything after a change made elsewhere on the page (the same page)."""
        if await self._require_admin() is None:
            return
        await self._read()

    @rx.event
    async def set_filter(self, filter_name: str, value: str | list[str]):
        """Narrow the list by topic (an id), level (1–5), kind, status or language; "all" for
        any."""
        if await self._require_admin() is None:
            return
        if not isinstance(filter_name, str) or not isinstance(value, str):
            return  # not what the page sends: ignored like any other unknown filter
        if filter_name == "topic":
            if value != "all" and parse_id(value) is None:
                return
            self.topic_filter = value
        elif filter_name in FILTER_CHOICES and value in FILTER_CHOICES[filter_name]:
            setattr(self, f"{filter_name}_filter", value)
        else:
            return
        self.offset = 0
        await self._read()

    @rx.event
    async def find(self, form_data: dict[str, Any]):
        """Search the question texts, or go to `#id`."""
        if await self._require_admin() is None or not isinstance(form_data, dict):
            return
        text = form_data.get("search", "")
        if not isinstance(text, str):
            return
        self.search = text.strip()[:MAX_SEARCH_CHARS]
        self.offset = 0
        await self._read()

    @rx.event
    async def clear_filters(self):
        if await self._require_admin() is None:
            return
        self.topic_filter = self.level_filter = self.kind_filter = self.status_filter = "all"
        self.language_filter = "all"
        self.search, self.offset = "", 0
        await self._read()

    @rx.event
    async def page(self, step: int):
        """Next (+1) or previous (−1) page."""
        if await self._require_admin() is None or type(step) is not int:
            return  # 1.0 or True would make the offset a float or pass as 1
        offset = step_offset(self.offset, step, page_size=PAGE_SIZE, total=self.total)
        if offset is not None:
            self.offset = offset
            await self._read()

    @rx.event
    async def set_active(self, question_id: int, active: bool):
        """Retire a question from new practice sessions, or bring it back."""
        admin_id = await self._require_admin()
        if admin_id is None or not valid_id(question_id) or not isinstance(active, bool):
            return
        self.error, self.notice = "", ""
        result = await self._service(
            in_session(
                lambda db: bank.set_question_active(db, question_id, active, admin_id=admin_id)
            )
        )
        if result is not FAILED:
            if active:
                self.notice = self._text(
                    f"#{question_id} savol faol.",
                    f"Вопрос #{question_id} активен.",
                    f"Question #{question_id} is active.",
                )
            else:
                self.notice = self._text(
                    f"#{question_id} savol nofaol.",
                    f"Вопрос #{question_id} неактивен.",
                    f"Question #{question_id} is inactive.",
                )
        await self._read()

    @rx.event
    async def delete_question(self, question_id: int):
        """Delete a question no student was given (otherwise the service says to deactivate it)."""
        admin_id = await self._require_admin()
        if admin_id is None or not valid_id(question_id):
            return
        self.error, self.notice = "", ""
        result = await self._service(
            in_session(lambda db: bank.delete_question(db, question_id, admin_id=admin_id))
        )
        if result is not FAILED:
            self.notice = self._text(
                f"#{question_id} savol o‘chirildi.",
                f"Вопрос #{question_id} удалён.",
                f"Question #{question_id} deleted.",
            )
        await self._read()


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
_TOPIC = t("Mavzu", "Тема", "Topic")
_ALL_TOPICS = t("Barcha mavzular", "Все темы", "All topics")


def _level(n: int) -> rx.Var[str]:
    return t(f"{n}-daraja", f"Уровень {n}", f"Level {n}")


def language_label(code: str) -> rx.Var[str]:
    """A question language's name in the admin's language."""
    return t(*bank.LANGUAGE_NAMES[code])


def subject_label(code: rx.Var[str]) -> rx.Var[str]:
    """A subject code's name in the admin's language (an unknown code as it is)."""
    return rx.match(code, *((c, t(*names)) for c, names in SUBJECTS.items()), code).to(str)


def topic_with_subject(topic: rx.Var) -> rx.Var[str]:
    """ "Algebra · Matematika": a topic's admin name and its subject (names may repeat)."""
    return topic["name"].to(str) + " · " + subject_label(topic["subject"].to(str))


def kind_label(kind: rx.Var[str]) -> rx.Var[str]:
    """A question kind's short name (mcq / free) in the admin's language."""
    return rx.match(kind, *((code, t(*names)) for code, names in KIND_LABELS.items()), kind).to(str)


def _count_cell(n: rx.Var[int]) -> rx.Component:
    return rx.table.cell(
        rx.badge(
            n,
            color_scheme=rx.cond(n == 0, "red", rx.cond(n < THIN_BELOW, "amber", "gray")),
            variant=rx.cond(n < THIN_BELOW, "solid", "soft"),
            size="2",
            min_width="2.2rem",
            justify_content="center",
        ),
        text_align="center",
    )


_LANGUAGE_EDGE = "1px solid var(--gray-a6)"  # i18n: not text (sets the language columns apart)


def _language_cell(n: rx.Var[int], index: rx.Var[int]) -> rx.Component:
    """A topic's active questions in one language (none: grey; students get another's)."""
    return rx.table.cell(
        rx.text(n, color=rx.cond(n == 0, "var(--gray-9)", "var(--gray-12)")),
        text_align="center",
        border_left=rx.cond(index == 0, _LANGUAGE_EDGE, "none"),
        class_name="language-cell",
    )


def _summary_row(r: rx.Var[SummaryRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(r["topic"], weight="medium", white_space="nowrap")),
        rx.foreach(r["cells"].to(list[int]), _count_cell),
        rx.table.cell(rx.text(r["total"], weight="bold"), text_align="center"),
        rx.foreach(r["languages"].to(list[int]), _language_cell),
        class_name="summary-row",
    )


def summary_card() -> rx.Component:
    """Active questions per topic and difficulty: where the bank is thin."""
    return card(
        rx.hstack(
            rx.heading(
                t(
                    "Mavzu, qiyinlik va til bo‘yicha faol savollar",
                    "Активные вопросы по темам, сложности и языкам",
                    "Active questions by topic, difficulty and language",
                ),
                size="4",
            ),
            rx.spacer(),
            rx.hstack(
                rx.badge("0", color_scheme="red", variant="solid"),
                rx.text(t("yo‘q", "нет", "none"), size="1", color="var(--gray-11)"),
                rx.badge(f"< {THIN_BELOW}", color_scheme="amber", variant="solid"),
                rx.text(t("kam", "мало", "thin"), size="1", color="var(--gray-11)"),
                spacing="2",
                align="center",
            ),
            align="center",
            width="100%",
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(_TOPIC),
                    *(rx.table.column_header_cell(_level(n), text_align="center") for n in LEVELS),
                    rx.table.column_header_cell(t("Jami", "Всего", "Total"), text_align="center"),
                    *(
                        rx.table.column_header_cell(
                            language_label(code),
                            text_align="center",
                            border_left=_LANGUAGE_EDGE if i == 0 else "none",
                            id=f"bank-language-{code}",
                        )
                        for i, code in enumerate(bank.LANGUAGES)
                    ),
                )
            ),
            rx.table.body(
                rx.foreach(PracticeBankState.summary, _summary_row),
                rx.table.row(
                    rx.table.row_header_cell(rx.text(_ALL_TOPICS, weight="bold")),
                    rx.foreach(
                        PracticeBankState.level_totals,
                        lambda n: rx.table.cell(rx.text(n, weight="bold"), text_align="center"),
                    ),
                    rx.table.cell(
                        rx.text(PracticeBankState.total_active, weight="bold"),
                        text_align="center",
                    ),
                    rx.foreach(
                        PracticeBankState.language_totals,
                        lambda n, i: rx.table.cell(
                            rx.text(n, weight="bold"),
                            text_align="center",
                            border_left=rx.cond(i == 0, _LANGUAGE_EDGE, "none"),
                            class_name="language-total",
                        ),
                    ),
                ),
            ),
            size="1",
            variant="surface",
            width="100%",
            id="bank-summary",
        ),
    )


def _select(
    filter_name: str, value: rx.Var[str], items: list[rx.Component], *, select_id: str
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=select_id, min_width="7rem"),
        rx.select.content(*items),
        value=value,
        on_change=lambda v: PracticeBankState.set_filter(filter_name, v),
    )


def _filters() -> rx.Component:
    return rx.hstack(
        _select(
            "topic",
            PracticeBankState.topic_filter,
            [
                rx.select.item(_ALL_TOPICS, value="all"),
                rx.foreach(
                    PracticeBankState.topics,
                    lambda topic: rx.select.item(
                        topic_with_subject(topic), value=topic["topic_id"].to_string()
                    ),
                ),
            ],
            select_id="filter-topic",
        ),
        _select(
            "level",
            PracticeBankState.level_filter,
            [
                rx.select.item(t("Har qanday daraja", "Любой уровень", "Any level"), value="all"),
                *(rx.select.item(_level(n), value=str(n)) for n in LEVELS),
            ],
            select_id="filter-level",
        ),
        _select(
            "kind",
            PracticeBankState.kind_filter,
            [
                rx.select.item(t("Har qanday tur", "Любой тип", "Any kind"), value="all"),
                rx.select.item(
                    t("Test (variantli)", "С вариантами ответа", "Multiple choice"),
                    value=ItemKind.MULTIPLE_CHOICE.value,
                ),
                rx.select.item(
                    t("Ochiq javob", "Свободный ответ", "Free response"),
                    value=ItemKind.FREE_RESPONSE.value,
                ),
            ],
            select_id="filter-kind",
        ),
        _select(
            "language",
            PracticeBankState.language_filter,
            [
                rx.select.item(t("Har qanday til", "Любой язык", "Any language"), value="all"),
                *(rx.select.item(language_label(code), value=code) for code in bank.LANGUAGES),
            ],
            select_id="filter-language",
        ),
        rx.segmented_control.root(
            rx.segmented_control.item(t("Hammasi", "Все", "All"), value="all"),
            rx.segmented_control.item(t("Faol", "Активные", "Active"), value="active"),
            rx.segmented_control.item(t("Nofaol", "Неактивные", "Inactive"), value="inactive"),
            value=PracticeBankState.status_filter,
            on_change=lambda v: PracticeBankState.set_filter("status", v),
            id="filter-status",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    placeholder=t("Matn, #id yoki kod", "Текст, #id или код", "Text, #id or code"),
                    default_value=PracticeBankState.search,
                    max_length=MAX_SEARCH_CHARS,
                    width="11rem",
                    id="bank-search",
                ),
                rx.button(t("Qidirish", "Найти", "Search"), type="submit", variant="soft"),
                spacing="2",
            ),
            on_submit=PracticeBankState.find,
            reset_on_submit=False,
            width="auto",
            flex_shrink="0",
        ),
        rx.button(
            t("Tozalash", "Сбросить", "Clear"),
            variant="ghost",
            color_scheme="gray",
            on_click=PracticeBankState.clear_filters,
            id="bank-clear-filters",
        ),
        spacing="3",
        align="center",
        wrap="wrap",  # five filters and the search: the last ones wrap on a narrow screen
        width="100%",
    )


def _delete_button(r: rx.Var[QuestionView]) -> rx.Component:
    question_id = r["question_id"].to(int)
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("trash-2", size=15),
                size="1",
                variant="soft",
                color_scheme="red",
                title=t("O‘chirish", "Удалить", "Delete"),
                id="delete-q-" + question_id.to_string(),
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                t("Savol o‘chirilsinmi: #", "Удалить вопрос #", "Delete question #"),
                question_id.to_string(),
                "?",
            ),
            rx.alert_dialog.description(
                t(
                    "O‘quvchilarga mashqda berilgan savolni o‘chirib bo‘lmaydi (natijalari "
                    "uni saqlaydi): o‘rniga uni nofaol qiling.",
                    "Вопрос, который ученики получали в тренировках, удалить нельзя (он "
                    "нужен их результатам): вместо этого сделайте его неактивным.",
                    "A question that students were given in practice cannot be deleted "
                    "(their results keep it): deactivate it instead.",
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("Bekor qilish", "Отмена", "Cancel"), variant="soft", color_scheme="gray"
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        t("O‘chirish", "Удалить", "Delete"),
                        color_scheme="red",
                        on_click=PracticeBankState.delete_question(question_id),
                        id="delete-q-confirm",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def _row(
    r: rx.Var[QuestionView], edit_button: Callable[[rx.Var[int]], rx.Component]
) -> rx.Component:
    question_id = r["question_id"].to(int)
    return rx.table.row(
        rx.table.cell(rx.text("#", r["question_id"], color="var(--gray-11)", size="2")),
        rx.table.cell(
            rx.text(r["topic"], size="2", white_space="nowrap"),
            rx.text(subject_label(r["subject"].to(str)), size="1", color="var(--gray-10)"),
        ),
        rx.table.cell(r["level"], text_align="center"),
        rx.table.cell(rx.badge(kind_label(r["kind"].to(str)), variant="soft", color_scheme="gray")),
        rx.table.cell(
            rx.badge(r["language"].to(str), variant="outline", color_scheme="gray"),
            class_name="question-language",
        ),
        rx.table.cell(
            rx.vstack(
                rx.box(
                    math_text(r["first_line"].to(str)),
                    font_size="var(--font-size-2)",
                    css={"& p": {"margin": "0"}},
                ),
                rx.hstack(
                    rx.text(
                        t("javob ", "ответ ", "answer "),
                        rx.code(r["answer"], variant="ghost"),
                        size="1",
                    ),
                    rx.cond(
                        r["bank_code"].to(str) != "",
                        rx.text(
                            t("kod ", "код ", "code "),
                            rx.code(r["bank_code"].to(str), variant="ghost"),
                            size="1",
                            class_name="question-code",
                        ),
                    ),
                    rx.cond(
                        r["has_image"],
                        rx.hstack(
                            rx.icon("image", size=12),
                            rx.text(t("rasm", "рисунок", "image"), size="1"),
                            spacing="1",
                            align="center",
                        ),
                    ),
                    spacing="3",
                    color="var(--gray-10)",
                    align="center",
                ),
                spacing="1",
                align="start",
            ),
            max_width="34rem",
        ),
        rx.table.cell(r["times_given"], text_align="center"),
        rx.table.cell(
            rx.switch(
                checked=r["active"].to(bool),
                on_change=lambda checked: PracticeBankState.set_active(question_id, checked),
                id="active-q-" + question_id.to_string(),
            )
        ),
        rx.table.cell(
            rx.hstack(edit_button(question_id), _delete_button(r), spacing="2"),
        ),
        class_name="question-row",
        data_active=r["active"].to_string(),
        opacity=rx.cond(r["active"], "1", "0.6"),
    )


def questions_card(edit_button: Callable[[rx.Var[int]], rx.Component]) -> rx.Component:
    """Filters, one page of questions, and the pager; `edit_button` opens the form for a row."""
    return card(
        _filters(),
        error_callout(PracticeBankState.error, callout_id="bank-error"),
        success_callout(PracticeBankState.notice, callout_id="bank-notice"),
        rx.cond(
            PracticeBankState.rows.length() > 0,
            rx.table.root(
                header_row(
                    "#",
                    _TOPIC,
                    t("Daraja", "Уровень", "Level"),
                    t("Tur", "Тип", "Kind"),
                    t("Til", "Язык", "Language"),
                    t("Savol", "Вопрос", "Question"),
                    t("Berilgan", "Выдан", "Given"),
                    t("Faol", "Активен", "Active"),
                    "",
                ),
                rx.table.body(rx.foreach(PracticeBankState.rows, lambda r: _row(r, edit_button))),
                size="1",
                variant="surface",
                width="100%",
                id="questions-table",
            ),
            rx.cond(
                PracticeBankState.loaded,
                rx.text(
                    rx.cond(
                        PracticeBankState.total_questions > 0,
                        t(
                            "Bu filtrlarga mos savol yo‘q.",
                            "Под эти фильтры не подходит ни один вопрос.",
                            "No question matches these filters.",
                        ),
                        t(
                            "Bank bo‘sh: savol qo‘shing yoki fayl import qiling.",
                            "Банк пуст: добавьте вопрос или импортируйте файл.",
                            "The bank is empty: add a question or import a file.",
                        ),
                    ),
                    color="var(--gray-11)",
                    id="questions-empty",
                ),
                rx.spinner(),
            ),
        ),
        rx.hstack(
            rx.text(
                PracticeBankState.total,
                count_text(
                    PracticeBankState.total,
                    uz=" ta savol",
                    ru=(" вопрос", " вопроса", " вопросов"),
                    en=(" question", " questions"),
                ),
                size="2",
                id="questions-total",
            ),
            rx.spacer(),
            *pager_buttons(
                PracticeBankState,
                PAGE_SIZE,
                t("Oldingi", "Назад", "Previous"),
                t("Keyingi", "Далее", "Next"),
            ),
            width="100%",
            align="center",
        ),
    )
