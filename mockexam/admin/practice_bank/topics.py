"""The practice bank's topics: add, rename (the students' names per language), reorder, delete.

The rows come from `PracticeBankState` (read with the summary and the list);
the changes go through `services.practice_bank` with the admin's id (audit
log). A topic's code never changes (import files refer to it), and a topic
with questions cannot be deleted: the service says so and the page shows it.
Each topic belongs to a subject (`layout_templates.SUBJECTS`, chosen in the
add form and the rename dialog): students practise one subject at a time.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.components import header_row
from mockexam.admin.i18n import t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.admin.practice_bank.questions import (
    PracticeBankState,
    TopicView,
    non_text_field,
    subject_label,
    valid_id,
)
from mockexam.scoring.layout_templates import SUBJECTS
from mockexam.services import practice_bank as bank
from mockexam.services.transactions import in_session

MAX_NAME_CHARS = 80
MAX_CODE_CHARS = 40
# The students' name of a topic in each language (the form's labels).
NAME_LABELS: dict[str, tuple[str, str, str]] = {
    "uz": (
        "O‘zbekcha nomi (o‘quvchilar uchun)",
        "Название на узбекском (для учеников)",
        "Uzbek name (students)",
    ),
    "ru": (
        "Ruscha nomi (o‘quvchilar uchun)",
        "Название на русском (для учеников)",
        "Russian name (students)",
    ),
    "en": (
        "Inglizcha nomi (o‘quvchilar uchun)",
        "Название на английском (для учеников)",
        "English name (students)",
    ),
}


def _text(form: dict[str, Any], name: str, limit: int) -> str:
    """A form field, trimmed; one character over `limit` is kept so the service refuses it."""
    value = form.get(name, "")
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


def _is_step(value: Any) -> bool:
    """−1 or +1 as an int (1.0 and True compare equal to 1 but are not list indexes)."""
    return type(value) is int and value in (-1, 1)


NAME_FIELDS = tuple(f"name_{lang}" for lang in bank.LANGUAGES)


def names_from_form(form: dict[str, Any]) -> dict[str, str]:
    """The students' names (`name_uz`, `name_ru`, `name_en`) of a topic form."""
    return {lang: _text(form, f"name_{lang}", MAX_NAME_CHARS) for lang in bank.LANGUAGES}


def subject_from_form(form: dict[str, Any]) -> str:
    """The form's subject code ("" when left out: the service keeps the default)."""
    return _text(form, "subject", 40)


class PracticeTopicsState(AdminState):
    """The topic being renamed (a dialog) and the topics card's messages."""

    rename_id: int = 0  # the topic in the rename dialog (0: closed)
    rename_code: str = ""
    rename_name: str = ""
    rename_names: dict[str, str] = {}
    rename_subject: str = "math"
    form_version: int = 0
    add_version: int = 0
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self.error, self.notice, self.rename_id = "", "", 0

    @rx.event
    async def add_topic(self, form_data: dict[str, Any]):
        """A new topic (at the end of the students' order)."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict):
            return None
        self.error, self.notice = "", ""
        wrong = non_text_field(form_data, ("code", "name", "subject", *NAME_FIELDS))
        if wrong is not None:
            self.error = self._text(
                f"Qo‘shilmadi: {wrong} maydoni matn emas.",
                f"Не добавлено: поле {wrong} — не текст.",
                f"Not added: the field {wrong} is not text.",
            )
            return None
        code = _text(form_data, "code", MAX_CODE_CHARS)
        name = _text(form_data, "name", MAX_NAME_CHARS)
        names = names_from_form(form_data)
        subject = subject_from_form(form_data) or None
        created = await self._service(
            in_session(
                lambda db: (
                    bank.create_topic(
                        db, code=code, name=name, names=names, subject=subject, admin_id=admin_id
                    ).code
                )
            )
        )
        if created is FAILED:
            return None
        self.notice = self._text(
            f"{created!r} mavzusi qo‘shildi.",
            f"Тема {created!r} добавлена.",
            f"Topic {created!r} added.",
        )
        self.add_version += 1
        return PracticeBankState.refresh

    @rx.event
    async def start_rename(self, topic_id: int):
        """Open the rename dialog with the topic's current names."""
        if await self._require_admin() is None or not valid_id(topic_id):
            return
        topics = await self._service(in_session(bank.list_topics, readonly=True))
        if topics is FAILED:
            return
        topic = next((t for t in topics if t.topic_id == topic_id), None)
        if topic is None:
            self.error = self._text(
                f"{topic_id}-mavzu mavjud emas.",
                f"Темы {topic_id} не существует.",
                f"Topic {topic_id} does not exist.",
            )
            return
        self.rename_id, self.rename_code, self.rename_name = topic_id, topic.code, topic.name
        self.rename_names = {lang: topic.names.get(lang, "") for lang in bank.LANGUAGES}
        self.rename_subject = topic.subject
        self.form_version += 1

    @rx.event
    async def rename_changed(self, is_open: bool):
        """The rename dialog closed."""
        if await self._require_admin() is None or not isinstance(is_open, bool):
            return
        if not is_open:
            self.rename_id = 0

    @rx.event
    async def rename_topic(self, topic_id: int, form_data: dict[str, Any]):
        """Save the admin name and the students' names of a topic."""
        admin_id = await self._require_admin()
        if admin_id is None or not valid_id(topic_id) or not isinstance(form_data, dict):
            return None
        self.error, self.notice = "", ""
        wrong = non_text_field(form_data, ("name", "subject", *NAME_FIELDS))
        if wrong is not None:
            self.error = self._text(
                f"Nomi o‘zgartirilmadi: {wrong} maydoni matn emas.",
                f"Не переименовано: поле {wrong} — не текст.",
                f"Not renamed: the field {wrong} is not text.",
            )
            return None
        name = _text(form_data, "name", MAX_NAME_CHARS)
        names = names_from_form(form_data)
        subject = subject_from_form(form_data) or None
        result = await self._service(
            in_session(
                lambda db: bank.update_topic(
                    db, topic_id, name=name, names=names, subject=subject, admin_id=admin_id
                )
            )
        )
        if result is FAILED:
            return None
        self.rename_id = 0
        self.notice = self._text(
            f"Mavzu nomi {name!r} ga o‘zgartirildi.",
            f"Тема переименована в {name!r}.",
            f"Topic renamed to {name!r}.",
        )
        return PracticeBankState.refresh

    @rx.event
    async def move_topic(self, topic_id: int, step: int):
        """One place up (−1) or down (+1) in the order students see."""
        admin_id = await self._require_admin()
        if admin_id is None or not valid_id(topic_id) or not _is_step(step):
            return None
        self.error, self.notice = "", ""
        result = await self._service(
            in_session(lambda db: bank.move_topic(db, topic_id, step=step, admin_id=admin_id))
        )
        return None if result is FAILED else PracticeBankState.refresh

    @rx.event
    async def delete_topic(self, topic_id: int):
        """Delete a topic without questions (otherwise the service says what to do)."""
        admin_id = await self._require_admin()
        if admin_id is None or not valid_id(topic_id):
            return None
        self.error, self.notice = "", ""
        result = await self._service(
            in_session(lambda db: bank.delete_topic(db, topic_id, admin_id=admin_id))
        )
        if result is FAILED:
            return None
        self.notice = self._text("Mavzu o‘chirildi.", "Тема удалена.", "Topic deleted.")
        return PracticeBankState.refresh


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
_ADMIN_NAME = t("Admin uchun nomi", "Название для администратора", "Admin name")


def _delete_button(row: rx.Var[TopicView]) -> rx.Component:
    topic_id = row["topic_id"].to(int)
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("trash-2", size=15),
                size="1",
                variant="soft",
                color_scheme="red",
                title=t("O‘chirish", "Удалить", "Delete"),
                id="delete-topic-" + row["code"].to(str),
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                t("Mavzu o‘chirilsinmi: ", "Удалить тему ", "Delete the topic "),
                "“",
                row["name"].to(str),
                "”?",
            ),
            rx.alert_dialog.description(
                t(
                    "Faqat savollari yo‘q mavzuni o‘chirish mumkin: avval uning savollarini "
                    "boshqa mavzuga o‘tkazing yoki o‘chiring.",
                    "Удалить можно только тему без вопросов: сначала перенесите или удалите "
                    "её вопросы.",
                    "Only a topic without questions can be deleted: move or delete its "
                    "questions first.",
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
                        on_click=PracticeTopicsState.delete_topic(topic_id),
                        id="delete-topic-confirm",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def _row(row: rx.Var[TopicView]) -> rx.Component:
    topic_id = row["topic_id"].to(int)
    return rx.table.row(
        rx.table.cell(rx.code(row["code"], variant="ghost")),
        rx.table.cell(rx.text(row["name"], weight="medium")),
        rx.table.cell(subject_label(row["subject"].to(str)), class_name="topic-subject"),
        rx.table.cell(row["name_uz"]),
        rx.table.cell(row["name_ru"]),
        rx.table.cell(row["name_en"]),
        rx.table.cell(row["questions"], text_align="center"),
        rx.table.cell(row["active_questions"], text_align="center"),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-up", size=15),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    disabled=row["first"].to(bool),
                    title=t("Yuqoriga", "Выше", "Move up"),
                    on_click=PracticeTopicsState.move_topic(topic_id, -1),
                    id="up-topic-" + row["code"].to(str),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=15),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    disabled=row["last"].to(bool),
                    title=t("Pastga", "Ниже", "Move down"),
                    on_click=PracticeTopicsState.move_topic(topic_id, 1),
                    id="down-topic-" + row["code"].to(str),
                ),
                rx.icon_button(
                    rx.icon("pencil", size=15),
                    size="1",
                    variant="soft",
                    title=t("Nomini o‘zgartirish", "Переименовать", "Rename"),
                    on_click=PracticeTopicsState.start_rename(topic_id),
                    id="rename-topic-" + row["code"].to(str),
                ),
                _delete_button(row),
                spacing="2",
            )
        ),
        class_name="topic-row",
    )


def _name_inputs(values: dict[str, rx.Var[str]] | None, *, id_prefix: str) -> rx.Component:
    return rx.grid(
        *(
            rx.vstack(
                rx.text(t(*label), size="1", color="var(--gray-11)"),
                rx.input(
                    name=f"name_{lang}",
                    default_value=values[lang] if values else "",
                    max_length=MAX_NAME_CHARS,
                    id=f"{id_prefix}-name-{lang}",
                ),
                spacing="1",
                align="stretch",
            )
            for lang, label in NAME_LABELS.items()
        ),
        columns="3",
        spacing="3",
        width="100%",
    )


def _subject_select(
    value: rx.Var[str] | str, *, select_id: str, key: rx.Var[str] | None = None
) -> rx.Component:
    """The subject of a topic (a native select inside the form: its value is submitted)."""
    return rx.vstack(
        rx.text(t("Fan", "Предмет", "Subject"), size="1", color="var(--gray-11)"),
        rx.select.root(
            rx.select.trigger(id=select_id),
            rx.select.content(
                *(rx.select.item(t(*names), value=code) for code, names in SUBJECTS.items())
            ),
            name="subject",
            default_value=value,
            **({} if key is None else {"key": key}),
        ),
        spacing="1",
        align="stretch",
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("Mavzu qo‘shish", "Добавить тему", "Add a topic"), size="2", weight="medium"),
            rx.grid(
                rx.vstack(
                    rx.text(
                        t(
                            "Kod (import fayllari uchun)",
                            "Код (для файлов импорта)",
                            "Code (for import files)",
                        ),
                        size="1",
                        color="var(--gray-11)",
                    ),
                    rx.input(
                        name="code",
                        placeholder=t(
                            "masalan, combinatorics",
                            "например, combinatorics",
                            "e.g. combinatorics",
                        ),
                        max_length=MAX_CODE_CHARS,
                        required=True,
                        id="topic-add-code",
                    ),
                    spacing="1",
                    align="stretch",
                ),
                rx.vstack(
                    rx.text(_ADMIN_NAME, size="1", color="var(--gray-11)"),
                    rx.input(
                        name="name",
                        placeholder=t(
                            "masalan, Kombinatorika",
                            "например, Комбинаторика",
                            "e.g. Combinatorics",
                        ),
                        max_length=MAX_NAME_CHARS,
                        required=True,
                        id="topic-add-name",
                    ),
                    spacing="1",
                    align="stretch",
                ),
                _subject_select(bank.DEFAULT_SUBJECT, select_id="topic-add-subject"),
                columns="3",
                spacing="3",
                width="100%",
            ),
            _name_inputs(None, id_prefix="topic-add"),
            rx.button(
                rx.icon("plus", size=16),
                t("Mavzuni qo‘shish", "Добавить тему", "Add topic"),
                type="submit",
                id="topic-add",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=PracticeTopicsState.add_topic,
        reset_on_submit=False,
        key=PracticeTopicsState.add_version.to_string(),
        width="100%",
    )


def _rename_dialog() -> rx.Component:
    names = {lang: PracticeTopicsState.rename_names[lang].to(str) for lang in bank.LANGUAGES}
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                t("Nomini o‘zgartirish: ", "Переименовать ", "Rename "),
                "“",
                PracticeTopicsState.rename_code,
                "”",
            ),
            rx.form(
                rx.vstack(
                    error_callout(PracticeTopicsState.error, callout_id="topic-rename-error"),
                    rx.grid(
                        rx.vstack(
                            rx.text(_ADMIN_NAME, size="1", color="var(--gray-11)"),
                            rx.input(
                                name="name",
                                default_value=PracticeTopicsState.rename_name,
                                max_length=MAX_NAME_CHARS,
                                required=True,
                                id="topic-rename-name",
                            ),
                            spacing="1",
                            align="stretch",
                            width="100%",
                        ),
                        _subject_select(
                            PracticeTopicsState.rename_subject,
                            select_id="topic-rename-subject",
                            key=PracticeTopicsState.form_version.to_string(),
                        ),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    _name_inputs(names, id_prefix="topic-rename"),
                    rx.text(
                        t(
                            "Kod o‘zgarmaydi: import fayllari unga tayanadi. Bo‘sh nom o‘rniga "
                            "o‘zbekcha nom, u ham bo‘lmasa admin nomi ko‘rsatiladi.",
                            "Код не меняется: на него ссылаются файлы импорта. Вместо пустого "
                            "названия показывается узбекское, а если нет и его — название для "
                            "администратора.",
                            "The code stays: import files refer to it. An empty name falls back "
                            "to the Uzbek one, then the admin name.",
                        ),
                        size="1",
                        color="var(--gray-10)",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                t("Bekor qilish", "Отмена", "Cancel"),
                                variant="soft",
                                color_scheme="gray",
                                type="button",
                            )
                        ),
                        rx.button(
                            t("Saqlash", "Сохранить", "Save"),
                            type="submit",
                            id="topic-rename-save",
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=lambda form: PracticeTopicsState.rename_topic(
                    PracticeTopicsState.rename_id, form
                ),
                reset_on_submit=False,
                key=PracticeTopicsState.form_version.to_string(),
                width="100%",
            ),
            max_width="40rem",
        ),
        open=PracticeTopicsState.rename_id > 0,
        on_open_change=PracticeTopicsState.rename_changed,
    )


def topics_card() -> rx.Component:
    """The topics table, the add form and the rename dialog."""
    return card(
        rx.heading(t("Mavzular", "Темы", "Topics"), size="4"),
        rx.text(
            t(
                "Mashqlar savollarni tanlangan fan mavzulari bo‘yicha teng taqsimlab oladi; "
                "o‘quvchilar mavzularni shu tartibda va o‘z tilida ko‘radi.",
                "Тренировки берут вопросы поровну из тем выбранного предмета; ученики видят "
                "темы в этом порядке и на своём языке.",
                "Practice sessions draw questions balanced over the chosen subject's topics, "
                "shown to students in this order and in their language.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.cond(
            PracticeTopicsState.rename_id == 0,
            error_callout(PracticeTopicsState.error, callout_id="topics-error"),
        ),
        success_callout(PracticeTopicsState.notice, callout_id="topics-notice"),
        rx.table.root(
            header_row(
                t("Kod", "Код", "Code"),
                _ADMIN_NAME,
                t("Fan", "Предмет", "Subject"),
                t("O‘zbekcha", "Узбекский", "Uzbek"),
                t("Ruscha", "Русский", "Russian"),
                t("Inglizcha", "Английский", "English"),
                t("Savollar", "Вопросы", "Questions"),
                t("Faol", "Активные", "Active"),
                "",
            ),
            rx.table.body(rx.foreach(PracticeBankState.topics, _row)),
            size="1",
            variant="surface",
            width="100%",
            id="topics-table",
        ),
        rx.separator(),
        _add_form(),
        _rename_dialog(),
    )
