"""The exam page's "Who may take it" card: everyone, or chosen groups only.

Owners and admins choose (Capability.MANAGE); the exam id is the page's route,
the groups come from the page like any argument and the service checks them
(live groups, at least one). Students who started before a change keep their
session; the Mini App shows the others whom the exam is for.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import FAILED, AdminState
from mockexam.admin.i18n import t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.models import ExamAudienceKind
from mockexam.parsing import parse_id
from mockexam.services import groups
from mockexam.services.access import Scope
from mockexam.services.transactions import in_session

MAX_CHOSEN = 200


class AudienceGroup(TypedDict):
    group_id: int
    name: str
    chosen: bool


class AudienceState(AdminState):
    everyone: bool = True
    choices: list[AudienceGroup] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self) -> None:
        exam_id = self._route_id("exams")
        if exam_id is None:
            return

        def read(db) -> tuple[str, list[int], list[groups.GroupRow]]:
            kind, chosen = groups.exam_audience(db, exam_id)
            return kind, chosen, groups.list_groups(db, scope=Scope.everything())

        result = await self._service(in_session(read, readonly=True))
        if result is FAILED:
            return
        kind, chosen, rows = result
        self.everyone = kind != ExamAudienceKind.GROUPS
        self.choices = [
            {"group_id": r.group_id, "name": r.name, "chosen": r.group_id in chosen} for r in rows
        ]
        self.loaded = True

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self.error = self.notice = ""
        await self._read()

    @rx.event
    async def save(self, form: dict[str, Any]):
        """`form`: {"audience": "everyone" | "groups", "group_<id>": "on", …}."""
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        exam_id = self._route_id("exams")
        if exam_id is None or not isinstance(form, dict):
            return
        kind = form.get("audience")
        if kind not in (ExamAudienceKind.EVERYONE, ExamAudienceKind.GROUPS):
            self.error = self._text(
                "«Hamma» yoki «Faqat tanlangan guruhlar»ni tanlang.",
                "Выберите «Все» или «Только выбранные группы».",
                "Choose “Everyone” or “Chosen groups only”.",
            )
            return
        chosen: list[int] | None = None
        if kind == ExamAudienceKind.GROUPS:
            chosen = [
                gid
                for key, value in list(form.items())[: MAX_CHOSEN + 1]
                if isinstance(key, str)
                and key.startswith("group_")
                and value
                and (gid := parse_id(key.removeprefix("group_"))) is not None
            ]
        result = await self._service(
            in_session(lambda db: groups.set_exam_audience(db, exam_id, chosen, actor_id=me))
        )
        if result is not FAILED:
            names = ", ".join(result)
            self.notice = (
                self._text(
                    f"Endi faqat shu guruhlar uchun: {names}.",
                    f"Теперь только для групп: {names}.",
                    f"Now for these groups only: {names}.",
                )
                if result
                else self._text(
                    "Imtihon hamma uchun ochiq.", "Экзамен открыт для всех.", "Open to everyone."
                )
            )
        await self._read()


def audience_card() -> rx.Component:
    return card(
        rx.heading(t("Kim topshiradi", "Кто сдаёт", "Who may take it"), size="4"),
        error_callout(AudienceState.error, callout_id="audience-error"),
        success_callout(AudienceState.notice, callout_id="audience-notice"),
        rx.form(
            rx.vstack(
                rx.radio_group.root(
                    rx.vstack(
                        rx.radio_group.item(
                            t("Hamma", "Все", "Everyone"), value=ExamAudienceKind.EVERYONE.value
                        ),
                        rx.radio_group.item(
                            t(
                                "Faqat tanlangan guruhlar",
                                "Только выбранные группы",
                                "Chosen groups only",
                            ),
                            value=ExamAudienceKind.GROUPS.value,
                        ),
                        spacing="2",
                    ),
                    name="audience",
                    default_value=rx.cond(
                        AudienceState.everyone,
                        ExamAudienceKind.EVERYONE.value,
                        ExamAudienceKind.GROUPS.value,
                    ),
                    id="audience-kind",
                ),
                rx.flex(
                    rx.foreach(
                        AudienceState.choices,
                        lambda g: rx.checkbox(
                            g["name"],
                            name="group_" + g["group_id"].to_string(),
                            default_checked=g["chosen"].to(bool),
                            class_name="audience-group",
                            custom_attrs={"data-user-content": "true"},
                        ),
                    ),
                    wrap="wrap",
                    spacing="3",
                ),
                rx.button(t("Saqlash", "Сохранить", "Save"), type="submit", id="audience-save"),
                spacing="3",
                align="start",
            ),
            on_submit=AudienceState.save,
            reset_on_submit=False,
            key=AudienceState.choices.length().to_string() + AudienceState.everyone.to_string(),
        ),
    )
