"""The practice bank page `/admin/practice`: the bank's shape, its questions, import, topics.

The header counts active and all questions and shows, per topic and
difficulty, how many active questions practice can draw from (thin cells
in amber, empty ones in red). Below, three tabs: the question list (with
the add / edit dialog), the file import, and the topics.
"""

from __future__ import annotations

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, AdminState
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, stat
from mockexam.admin.practice_bank.question_form import (
    QuestionFormState,
    edit_button,
    new_question_button,
    question_dialog,
)
from mockexam.admin.practice_bank.question_import import QuestionImportState, import_card
from mockexam.admin.practice_bank.questions import (
    PracticeBankState,
    questions_card,
    summary_card,
)
from mockexam.admin.practice_bank.topics import PracticeTopicsState, topics_card

PRACTICE_BANK_ROUTE = f"{ADMIN_ROOT}/practice"


def _stats() -> rx.Component:
    return rx.vstack(
        stat(
            t("Faol savollar", "Активные вопросы", "Active questions"),
            PracticeBankState.total_active,
            stat_id="count-active",
        ),
        stat(
            t("Barcha savollar", "Все вопросы", "All questions"),
            PracticeBankState.total_questions,
            stat_id="count-questions",
        ),
        stat(
            t("Mavzular", "Темы", "Topics"),
            PracticeBankState.topics.length(),
            stat_id="count-topics",
        ),
        spacing="3",
        align="stretch",
        width="13rem",
        min_width="13rem",
    )


def practice_bank_page() -> rx.Component:
    return admin_page(
        rx.hstack(_stats(), summary_card(), spacing="4", width="100%", align="stretch"),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger(
                    t("Savollar", "Вопросы", "Questions"), value="questions", id="tab-questions"
                ),
                rx.tabs.trigger(t("Import", "Импорт", "Import"), value="import", id="tab-import"),
                rx.tabs.trigger(t("Mavzular", "Темы", "Topics"), value="topics", id="tab-topics"),
                size="2",
            ),
            rx.box(
                rx.tabs.content(questions_card(edit_button), value="questions"),
                rx.tabs.content(import_card(), value="import"),
                rx.tabs.content(topics_card(), value="topics"),
                padding_top="1.25rem",
            ),
            default_value="questions",
            width="100%",
        ),
        question_dialog(),
        active="practice",
        title=t("Mashq savollari banki", "Банк вопросов для тренировок", "Practice bank"),
        subtitle=t(
            "Mashqlar shu savollardan olinadi: fan va mavzular, qiyinlik 1–5, test yoki ochiq "
            "javob",
            "Из этих вопросов собираются тренировки: предметы и темы, сложность 1–5, с "
            "вариантами или со свободным ответом",
            "The questions practice mode draws from: subjects and topics, difficulty 1–5, MCQ "
            "or free",
        ),
        actions=new_question_button(),
    )


PRACTICE_BANK_ON_LOAD = [
    AdminState.check_session,
    PracticeBankState.load,
    QuestionFormState.load,
    QuestionImportState.load,
    PracticeTopicsState.load,
]
