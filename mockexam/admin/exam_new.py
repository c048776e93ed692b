"""The "new exam" page `/admin/exams/new`: title, window, duration, grading scheme, and the
answer sheet's layout (admin/layout_builder.py: a template, certificate / DTM / custom,
its sections, a live preview, JSON export and import).

Creates a draft with that layout through `services.exams.create_exam` (audit log),
then opens the exam's page for the question paper and the answer key. The layout
is the builder's rows read back through `validate_layout_json` on the server: a
refusal names every problem and creates nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.exam_form import exam_form_fields, local_input, parse_exam_form
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout
from mockexam.admin.layout_builder import LayoutBuilderState, layout_builder
from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import ValidationError
from mockexam.localtime import local_zone
from mockexam.models import GradingScheme
from mockexam.scoring.layout import LayoutError
from mockexam.scoring.layout_templates import TEMPLATES
from mockexam.services import exams as exam_service
from mockexam.services.transactions import in_session

NEW_EXAM_ROUTE = f"{ADMIN_ROOT}/exams/new"
FORM_ID = "new-exam-form"


def default_window() -> tuple[str, str]:
    """Next Saturday 09:00–18:00 local time, as datetime-local values."""
    today = utcnow().astimezone(local_zone())
    days = (5 - today.weekday()) % 7 or 7
    start = (today + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    return local_input(start), local_input(start.replace(hour=18))


class NewExamState(LayoutBuilderState):
    """The form's defaults, the layout builder (inherited) and the create action."""

    window_start: str = ""
    window_end: str = ""
    duration: int = settings.default_duration_minutes
    ready: bool = False
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def load(self):
        """on_load: a fresh form with next Saturday's window."""
        if await self._require_admin() is None:
            return
        self.error = ""
        self.window_start, self.window_end = default_window()
        self._start_builder()
        self.duration = settings.default_duration_minutes
        self.ready = True

    def _template_chosen(self, name: str) -> None:
        """The template's duration (150 min certificate, 180 min DTM) in the form."""
        self.duration = TEMPLATES[name].duration_minutes

    @rx.event
    async def create(self, form_data: dict[str, Any]):
        """Create the draft and open its page."""
        admin_id = await self._require_admin()
        if admin_id is None:
            return None
        self.error = ""
        try:
            fields = parse_exam_form(form_data)
        except ValidationError as err:
            self.error = err.text(self._lang())
            return None
        try:
            layout = self._layout()
        except LayoutError as err:
            self.error = err.text(self._lang())
            self._refresh()
            return None
        exam_id = await self._service(
            in_session(
                lambda db: (
                    exam_service.create_exam(
                        db,
                        title=fields.title,
                        description=fields.description,
                        window_start=fields.window_start,
                        window_end=fields.window_end,
                        duration_minutes=fields.duration_minutes,
                        grading_scheme=fields.grading_scheme,
                        layout=layout,
                        admin_id=admin_id,
                    ).id
                )
            )
        )
        if exam_id is FAILED:
            return None
        return rx.redirect(f"{ADMIN_ROOT}/exams/{exam_id}")


def new_exam_page() -> rx.Component:
    return admin_page(
        error_callout(NewExamState.error, callout_id="new-exam-error"),
        rx.cond(NewExamState.ready, _form(), rx.spinner(size="3")),
        active="exams",
        title=t("Yangi imtihon", "Новый экзамен", "New exam"),
    )


def _form() -> rx.Component:
    # Rendered once the defaults are in: uncontrolled inputs keep what the admin types.
    # The layout builder sits outside the form (its controls are the state's, not the
    # form's data); the create button submits the form by its id.
    return rx.vstack(
        card(
            rx.form(
                exam_form_fields(
                    title="",
                    description="",
                    window_start=NewExamState.window_start,
                    window_end=NewExamState.window_end,
                    duration=NewExamState.duration,
                    duration_key="duration-" + NewExamState.duration.to_string(),
                    scheme=GradingScheme.PERCENTILE.value,
                ),
                on_submit=NewExamState.create,
                reset_on_submit=False,
                width="100%",
                id=FORM_ID,
            ),
        ),
        card(layout_builder()),
        rx.text(
            t(
                "Imtihon yaratilgach, savollar PDF faylini yuklang va javoblar kalitini kiriting.",
                "После создания экзамена загрузите PDF с заданиями и введите ключ ответов.",
                "After creating the exam, upload the question paper and enter the key.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.hstack(
            rx.button(
                t("Qoralama yaratish", "Создать черновик", "Create draft"),
                type="submit",
                form=FORM_ID,
                size="3",
                id="new-exam-create",
            ),
            rx.link(
                rx.button(
                    t("Bekor qilish", "Отмена", "Cancel"),
                    variant="soft",
                    color_scheme="gray",
                ),
                href=ADMIN_ROOT,
            ),
            spacing="3",
        ),
        spacing="4",
        max_width="72rem",
        width="100%",
    )


NEW_EXAM_ON_LOAD = [AdminState.check_session, NewExamState.load]
