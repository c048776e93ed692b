"""The practice bank's topics: add, rename (the students' names per language), reorder, delete.

The rows come from `PracticeBankState` (read with the summary and the list);
the changes go through `services.practice_bank` with the admin's id (audit
log). A topic's code never changes (import files refer to it), and a topic
with questions cannot be deleted: the service says so and the page shows it.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.components import header_row
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.admin.practice_bank.questions import (
    PracticeBankState,
    TopicView,
    non_text_field,
    valid_id,
)
from mockexam.services import practice_bank as bank
from mockexam.services.transactions import in_session

MAX_NAME_CHARS = 80
MAX_CODE_CHARS = 40
LANGUAGE_LABELS = {"uz": "Uzbek", "ru": "Russian", "en": "English"}


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


class PracticeTopicsState(AdminState):
    """The topic being renamed (a dialog) and the topics card's messages."""

    rename_id: int = 0  # the topic in the rename dialog (0: closed)
    rename_code: str = ""
    rename_name: str = ""
    rename_names: dict[str, str] = {}
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
        wrong = non_text_field(form_data, ("code", "name", *NAME_FIELDS))
        if wrong is not None:
            self.error = f"Not added: the field {wrong} is not text."
            return None
        code = _text(form_data, "code", MAX_CODE_CHARS)
        name = _text(form_data, "name", MAX_NAME_CHARS)
        names = names_from_form(form_data)
        created = await self._service(
            in_session(
                lambda db: (
                    bank.create_topic(db, code=code, name=name, names=names, admin_id=admin_id).code
                )
            )
        )
        if created is FAILED:
            return None
        self.notice = f"Topic {created!r} added."
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
            self.error = f"Topic {topic_id} does not exist."
            return
        self.rename_id, self.rename_code, self.rename_name = topic_id, topic.code, topic.name
        self.rename_names = {lang: topic.names.get(lang, "") for lang in bank.LANGUAGES}
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
        wrong = non_text_field(form_data, ("name", *NAME_FIELDS))
        if wrong is not None:
            self.error = f"Not renamed: the field {wrong} is not text."
            return None
        name = _text(form_data, "name", MAX_NAME_CHARS)
        names = names_from_form(form_data)
        result = await self._service(
            in_session(
                lambda db: bank.update_topic(
                    db, topic_id, name=name, names=names, admin_id=admin_id
                )
            )
        )
        if result is FAILED:
            return None
        self.rename_id = 0
        self.notice = f"Topic renamed to {name!r}."
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
        self.notice = "Topic deleted."
        return PracticeBankState.refresh


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _delete_button(t: rx.Var[TopicView]) -> rx.Component:
    topic_id = t["topic_id"].to(int)
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("trash-2", size=15),
                size="1",
                variant="soft",
                color_scheme="red",
                title="Delete",
                id="delete-topic-" + t["code"].to(str),
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete the topic “", t["name"].to(str), "”?"),
            rx.alert_dialog.description(
                "Only a topic without questions can be deleted: move or delete its questions first."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete",
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


def _row(t: rx.Var[TopicView]) -> rx.Component:
    topic_id = t["topic_id"].to(int)
    return rx.table.row(
        rx.table.cell(rx.code(t["code"], variant="ghost")),
        rx.table.cell(rx.text(t["name"], weight="medium")),
        rx.table.cell(t["name_uz"]),
        rx.table.cell(t["name_ru"]),
        rx.table.cell(t["name_en"]),
        rx.table.cell(t["questions"], text_align="center"),
        rx.table.cell(t["active_questions"], text_align="center"),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("arrow-up", size=15),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    disabled=t["first"].to(bool),
                    title="Move up",
                    on_click=PracticeTopicsState.move_topic(topic_id, -1),
                    id="up-topic-" + t["code"].to(str),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=15),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    disabled=t["last"].to(bool),
                    title="Move down",
                    on_click=PracticeTopicsState.move_topic(topic_id, 1),
                    id="down-topic-" + t["code"].to(str),
                ),
                rx.icon_button(
                    rx.icon("pencil", size=15),
                    size="1",
                    variant="soft",
                    title="Rename",
                    on_click=PracticeTopicsState.start_rename(topic_id),
                    id="rename-topic-" + t["code"].to(str),
                ),
                _delete_button(t),
                spacing="2",
            )
        ),
        class_name="topic-row",
    )


def _name_inputs(values: dict[str, rx.Var[str]] | None, *, id_prefix: str) -> rx.Component:
    return rx.grid(
        *(
            rx.vstack(
                rx.text(f"{label} name (students)", size="1", color="var(--gray-11)"),
                rx.input(
                    name=f"name_{lang}",
                    default_value=values[lang] if values else "",
                    max_length=MAX_NAME_CHARS,
                    id=f"{id_prefix}-name-{lang}",
                ),
                spacing="1",
                align="stretch",
            )
            for lang, label in LANGUAGE_LABELS.items()
        ),
        columns="3",
        spacing="3",
        width="100%",
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("Add a topic", size="2", weight="medium"),
            rx.grid(
                rx.vstack(
                    rx.text("Code (for import files)", size="1", color="var(--gray-11)"),
                    rx.input(
                        name="code",
                        placeholder="e.g. combinatorics",
                        max_length=MAX_CODE_CHARS,
                        required=True,
                        id="topic-add-code",
                    ),
                    spacing="1",
                    align="stretch",
                ),
                rx.vstack(
                    rx.text("Admin name", size="1", color="var(--gray-11)"),
                    rx.input(
                        name="name",
                        placeholder="e.g. Combinatorics",
                        max_length=MAX_NAME_CHARS,
                        required=True,
                        id="topic-add-name",
                    ),
                    spacing="1",
                    align="stretch",
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            _name_inputs(None, id_prefix="topic-add"),
            rx.button(rx.icon("plus", size=16), "Add topic", type="submit", id="topic-add"),
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
            rx.dialog.title("Rename “", PracticeTopicsState.rename_code, "”"),
            rx.form(
                rx.vstack(
                    error_callout(PracticeTopicsState.error, callout_id="topic-rename-error"),
                    rx.vstack(
                        rx.text("Admin name", size="1", color="var(--gray-11)"),
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
                    _name_inputs(names, id_prefix="topic-rename"),
                    rx.text(
                        "The code stays: import files refer to it. An empty name falls back "
                        "to the Uzbek one, then the admin name.",
                        size="1",
                        color="var(--gray-10)",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button("Cancel", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button("Save", type="submit", id="topic-rename-save"),
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
        rx.heading("Topics", size="4"),
        rx.text(
            "Practice sessions draw questions balanced over these topics, shown to students "
            "in this order and in their language.",
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
                "Code", "Admin name", "Uzbek", "Russian", "English", "Questions", "Active", ""
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
