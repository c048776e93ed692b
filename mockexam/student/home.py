"""The public home page `/`: the next (or open) exam with a countdown, and how many study.

No identity is needed: everything here is public. The data comes from
`services.overview`, read in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.config import settings
from mockexam.services.overview import PublicOverview, get_public_overview
from mockexam.ui import theme
from mockexam.ui.countdown import countdown
from mockexam.ui.layout import mobile_page, section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

WINDOW_FORMAT = "ddd D MMM, HH:mm"


class HomeState(rx.State):
    """What the home page shows; filled by `load` on every visit."""

    loaded: bool = False
    unavailable: bool = False
    student_count: int = 0
    has_exam: bool = False
    exam_title: str = ""
    exam_is_open: bool = False
    exam_duration_minutes: int = 0
    window_start_iso: str = ""
    window_end_iso: str = ""
    seconds_until_start: int = 0
    seconds_until_end: int = 0

    @rx.event
    async def load(self) -> None:
        """Read the public overview from the database (off the event loop)."""
        try:
            overview: PublicOverview = await rx.run_in_thread(get_public_overview)
        except SQLAlchemyError:
            logger.exception("home page: reading the public overview failed")
            self.loaded, self.unavailable = True, True
            return
        self.unavailable = False
        self.student_count = overview.student_count
        exam = overview.exam
        self.has_exam = exam is not None
        if exam is not None:
            self.exam_title = exam.title
            self.exam_is_open = exam.is_open
            self.exam_duration_minutes = exam.duration_minutes
            self.window_start_iso = iso_utc(exam.window_start)
            self.window_end_iso = iso_utc(exam.window_end)
            self.seconds_until_start = exam.seconds_until_start
            self.seconds_until_end = exam.seconds_until_end
        self.loaded = True


def _local_time(iso: rx.Var[str]) -> rx.Component:
    return rx.moment(iso, format=WINDOW_FORMAT, local=True)


def _exam_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.badge(
                    rx.cond(HomeState.exam_is_open, "Open now", "Next exam"),
                    color_scheme=rx.cond(HomeState.exam_is_open, "green", "indigo"),
                    variant="soft",
                    size="2",
                ),
                rx.spacer(),
                rx.text(
                    HomeState.exam_duration_minutes.to_string() + " min",
                    size="2",
                    color=theme.HINT,
                ),
                width="100%",
                align="center",
            ),
            rx.heading(HomeState.exam_title, size="6", weight="bold"),
            rx.hstack(
                rx.icon("calendar", size=16, color=theme.HINT),
                rx.text(
                    _local_time(HomeState.window_start_iso),
                    " → ",
                    _local_time(HomeState.window_end_iso),
                    size="2",
                    color=theme.HINT,
                ),
                align="center",
                spacing="2",
            ),
            rx.box(
                rx.text(
                    rx.cond(HomeState.exam_is_open, "Closes in", "Starts in"),
                    size="2",
                    color=theme.HINT,
                ),
                rx.text(
                    countdown(
                        seconds=rx.cond(
                            HomeState.exam_is_open,
                            HomeState.seconds_until_end,
                            HomeState.seconds_until_start,
                        ),
                        done_text="now",
                        on_done=HomeState.load,
                    ),
                    size="8",
                    weight="bold",
                    color=theme.ACCENT,
                ),
                width="100%",
                padding_top="0.5rem",
            ),
            spacing="3",
            align="start",
        ),
        id="next-exam",
    )


def _no_exam_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.icon("calendar-clock", size=28, color=theme.HINT),
            rx.heading("No exam scheduled yet", size="4"),
            rx.text(
                "The next weekly mock exam will appear here as soon as it is published.",
                size="2",
                color=theme.HINT,
            ),
            spacing="2",
            align="start",
        ),
        id="no-exam",
    )


def _students_line() -> rx.Component:
    return rx.hstack(
        rx.icon("users", size=18, color=theme.HINT),
        rx.text(
            rx.text.strong(HomeState.student_count.to_string(), id="student-count"),
            rx.cond(HomeState.student_count == 1, " student", " students"),
            " preparing with mockexam",
            size="2",
            color=theme.HINT,
        ),
        align="center",
        spacing="2",
        padding_x="0.25rem",
    )


def _telegram_button() -> rx.Component:
    username = settings.telegram_bot_username
    if not username:
        return rx.fragment()
    return rx.link(
        rx.button(
            rx.icon("send", size=16),
            "Open in Telegram",
            size="3",
            width="100%",
            background_color=theme.BUTTON,
            color=theme.BUTTON_TEXT,
        ),
        href=f"https://t.me/{username}",
        is_external=True,
        width="100%",
    )


def home_page() -> rx.Component:
    """`/`: the header, the next exam (or why there is none) and the student count."""
    return mobile_page(
        rx.vstack(
            rx.heading("mockexam", size="7", weight="bold", color=theme.TEXT),
            rx.text(
                "Weekly timed math mock exams in Telegram: raw score, scaled score, grade.",
                size="3",
                color=theme.HINT,
            ),
            spacing="1",
        ),
        rx.cond(
            HomeState.loaded,
            rx.cond(
                HomeState.unavailable,
                rx.callout(
                    "The exam schedule cannot be read right now. Please try again shortly.",
                    icon="triangle-alert",
                    color_scheme="red",
                ),
                rx.fragment(
                    rx.cond(HomeState.has_exam, _exam_card(), _no_exam_card()),
                    _students_line(),
                ),
            ),
            rx.skeleton(height="11rem", width="100%", border_radius="var(--radius-4)"),
        ),
        _telegram_button(),
    )
