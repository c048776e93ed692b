"""The "new exam" page `/admin/exams/new`: title, window, duration, grading scheme.

Creates a draft with the default 45-exercise answer sheet through
`services.exams.create_exam` (audit log), then opens the exam's page for the
question paper and the answer key.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.exam_form import exam_form_fields, local_input, parse_exam_form
from mockexam.admin.layout import admin_page, card, error_callout
from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.errors import ValidationError
from mockexam.models import GradingScheme
from mockexam.services import exams as exam_service
from mockexam.services.transactions import in_session
from mockexam.telegram.messages import DISPLAY_TZ

NEW_EXAM_ROUTE = f"{ADMIN_ROOT}/exams/new"


def default_window() -> tuple[str, str]:
    """Next Saturday 09:00–18:00 Tashkent time, as datetime-local values."""
    today = utcnow().astimezone(DISPLAY_TZ)
    days = (5 - today.weekday()) % 7 or 7
    start = (today + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    return local_input(start), local_input(start.replace(hour=18))


class NewExamState(AdminState):
    """The form's defaults and the create action."""

    window_start: str = ""
    window_end: str = ""
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
        self.ready = True

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
            self.error = str(err)
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
        title="New exam",
    )


def _form() -> rx.Component:
    # Rendered once the defaults are in: uncontrolled inputs keep what the admin types.
    return rx.box(
        card(
            rx.form(
                rx.vstack(
                    exam_form_fields(
                        title="",
                        description="",
                        window_start=NewExamState.window_start,
                        window_end=NewExamState.window_end,
                        duration=settings.default_duration_minutes,
                        scheme=GradingScheme.PERCENTILE.value,
                    ),
                    rx.text(
                        "The answer sheet has the standard layout: exercises 1–35 multiple "
                        "choice (A–D), 36–45 free response with parts a) and b). After creating "
                        "the exam, upload the question paper and enter the key.",
                        size="2",
                        color="var(--gray-11)",
                    ),
                    rx.hstack(
                        rx.button("Create draft", type="submit", size="3", id="new-exam-create"),
                        rx.link(
                            rx.button("Cancel", variant="soft", color_scheme="gray"),
                            href=ADMIN_ROOT,
                        ),
                        spacing="3",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=NewExamState.create,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        max_width="52rem",
        width="100%",
    )


NEW_EXAM_ON_LOAD = [AdminState.check_session, NewExamState.load]
