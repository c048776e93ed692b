"""The Mini App's home screen `/app` (spec §7): score, Elo, streaks, awards, the exam card.

One `get_dashboard` call per visit, run in a worker thread. New awards are
toasted once and then marked seen.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx

from mockexam.gamification.achievement_texts import achievement_names
from mockexam.services.achievements import EarnedAchievement
from mockexam.services.dashboard import Dashboard, ExamCardState, get_dashboard
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    card_header,
    empty_note,
    in_reader_language,
    link_button,
    loaded_content,
    message_card,
    primary_button,
    provisional_note_texts,
    provisional_score_label,
    read_or_fail,
    toast_new_awards,
)
from mockexam.student.i18n import tr
from mockexam.student.results import decimals
from mockexam.student.shell import APP_ROOT, language_switch, student_shell, web_sign_out
from mockexam.ui import theme
from mockexam.ui.countdown import countdown
from mockexam.ui.i18n import count_word
from mockexam.ui.intl import local_datetime, local_number
from mockexam.ui.layout import section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

ACHIEVEMENTS_HREF = f"{APP_ROOT}/achievements"


class AwardView(TypedDict):
    code: str
    icon: str
    name: dict[str, str]
    awarded_iso: str


def _award_view(award: EarnedAchievement) -> AwardView:
    return {
        "code": award.code,
        "icon": award.icon.replace("_", "-"),
        "name": achievement_names(award.code, award.name),
        "awarded_iso": iso_utc(award.awarded_at),
    }


POINTS_WORDS = {"uz": " ball", "ru": (" балл", " балла", " баллов"), "en": (" point", " points")}
"""The word after a number of points (42/55 баллов, 143,7/189 баллов, 1 балл)."""


class DashboardState(StudentState):
    """What the home screen shows; refreshed on every visit and when a countdown ends."""

    loaded: bool = False
    failed: bool = False
    name: str = ""
    has_score: bool = False
    scaled_score: float = 0.0
    scaled_score_se: float = 0.0
    has_se: bool = False  # a provisional score has none (nothing was measured)
    is_provisional: bool = False
    provisional_note: dict[str, str] = {}  # why no grade and no ±, by language
    grade: str = ""  # "" while provisional (services/history.py `calibrated_only`)
    points: float = 0
    max_points: float = 0
    points_digits: int = 0  # decimals the points need (143.7: 1)
    max_digits: int = 0  # decimals the maximum needs (189: 0, so 143,7/189 and not /189,0)
    points_words: dict[str, str] = {}  # the word after the maximum, by language (189 баллов)
    latest_title: str = ""
    latest_session_id: int = 0
    has_elo: bool = False
    elo: int = 0
    exams_taken: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    awards: list[AwardView] = []

    has_exam: bool = False
    exam_id: int = 0
    exam_title: str = ""
    exam_state: str = ""
    exam_duration: int = 0
    exam_start_iso: str = ""
    exam_end_iso: str = ""
    exam_session_id: int = 0
    seconds_until_start: int = 0
    seconds_until_end: int = 0
    seconds_until_deadline: int = 0

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read the dashboard (off the event loop)."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return None
        return await self._read(student_id)

    @rx.event
    async def refresh(self):
        """Re-read after a countdown reached zero (the exam opened or closed)."""
        student_id = self._signed_in()
        if student_id is None:
            return DASHBOARD_ON_LOAD
        return await self._read(student_id)

    async def _read(self, student_id: int):
        board: Dashboard | None = await read_or_fail(
            self,
            lambda: get_dashboard(student_id=student_id),
            logger,
            "dashboard of student %s could not be read",
            student_id,
        )
        if board is None:
            return None
        self._show(board)
        return await toast_new_awards(
            student_id, self.lang, board.new_achievements, see_all_href=ACHIEVEMENTS_HREF
        )

    def _show(self, board: Dashboard) -> None:
        self.failed = False
        self.name = board.name
        latest = board.latest
        self.has_score = latest is not None and latest.scaled_score is not None
        if latest is not None:
            self.scaled_score = round(latest.scaled_score or 0.0, 1)
            self.has_se = latest.scaled_score_se is not None
            self.scaled_score_se = round(latest.scaled_score_se or 0.0, 1)
            self.is_provisional = latest.is_provisional
            self.provisional_note = provisional_note_texts() if latest.is_provisional else {}
            self.grade = latest.grade or ""
            self.points = latest.points or 0
            self.max_points = latest.max_points or 0
            self.points_digits = decimals(latest.points, latest.max_points)
            self.max_digits = decimals(latest.max_points)
            self.points_words = {
                lang: count_word(lang, self.max_points, **POINTS_WORDS)
                for lang in ("uz", "ru", "en")
            }
            self.latest_title = latest.exam_title
            self.latest_session_id = latest.session_id
        self.has_elo = board.elo is not None
        self.elo = round(board.elo or 0)
        self.exams_taken = board.exams_taken
        self.current_streak = board.current_streak
        self.longest_streak = board.longest_streak
        self.awards = [_award_view(a) for a in board.recent_achievements]
        card = board.exam
        self.has_exam = card is not None
        if card is not None:
            self.exam_id = card.exam_id
            self.exam_title = card.title
            self.exam_state = card.state.value
            self.exam_duration = card.duration_minutes
            self.exam_start_iso = iso_utc(card.window_start)
            self.exam_end_iso = iso_utc(card.window_end)
            self.exam_session_id = card.session_id or 0
            self.seconds_until_start = card.seconds_until_start
            self.seconds_until_end = card.seconds_until_end
            self.seconds_until_deadline = card.seconds_until_deadline or 0
        self.loaded = True


# --- the exam card -------------------------------------------------------------------


def _exam_button(label: rx.Var[str], href: rx.Var[str], button_id: str) -> rx.Component:
    return link_button(primary_button(label, id=button_id), href)


def _big_countdown(caption: rx.Var[str], seconds: rx.Var[int]) -> rx.Component:
    return rx.box(
        rx.text(caption, size="2", color=theme.HINT),
        rx.text(
            countdown(
                seconds=seconds,
                done_text=tr("hozir", "сейчас", "now"),
                on_done=DashboardState.refresh,
            ),
            size="7",
            weight="bold",
            color=theme.ACCENT,
        ),
        width="100%",
    )


def _countdown_and_open(
    caption: rx.Var[str], seconds: rx.Var[int], label: rx.Var[str], exam_href: rx.Var[str]
) -> rx.Component:
    """A countdown over the button that opens the exam page (`#exam-open`)."""
    return rx.vstack(
        _big_countdown(caption, seconds),
        _exam_button(label, exam_href, "exam-open"),
        width="100%",
        spacing="3",
    )


def _exam_card() -> rx.Component:
    exam_href = f"{APP_ROOT}/exam/" + DashboardState.exam_id.to_string()
    state = DashboardState.exam_state
    badge_colour = rx.match(
        state,
        (ExamCardState.UPCOMING.value, "indigo"),
        (ExamCardState.NOT_STARTED.value, "green"),
        (ExamCardState.IN_PROGRESS.value, "amber"),
        "gray",
    )
    badge_text = rx.match(
        state,
        (ExamCardState.UPCOMING.value, tr("Keyingi imtihon", "Следующий экзамен", "Next exam")),
        (ExamCardState.NOT_STARTED.value, tr("Ochiq", "Открыт", "Open now")),
        (ExamCardState.IN_PROGRESS.value, tr("Davom etmoqda", "Идёт", "In progress")),
        (ExamCardState.SUBMITTED.value, tr("Topshirildi", "Сдан", "Submitted")),
        tr("Natijalar chiqdi", "Результаты готовы", "Results are out"),
    )
    body = rx.match(
        state,
        (
            ExamCardState.UPCOMING.value,
            _countdown_and_open(
                tr("Boshlanishiga", "До начала", "Starts in"),
                DashboardState.seconds_until_start,
                tr("Kutish zaliga", "В зал ожидания", "Go to the lobby"),
                exam_href,
            ),
        ),
        (
            ExamCardState.NOT_STARTED.value,
            _countdown_and_open(
                tr("Yopilishiga", "До закрытия", "Closes in"),
                DashboardState.seconds_until_end,
                tr("Boshlash", "Начать", "Start"),
                exam_href,
            ),
        ),
        (
            ExamCardState.IN_PROGRESS.value,
            _countdown_and_open(
                tr("Qolgan vaqt", "Осталось времени", "Time left"),
                DashboardState.seconds_until_deadline,
                tr("Davom ettirish", "Продолжить", "Continue"),
                exam_href,
            ),
        ),
        (
            ExamCardState.SUBMITTED.value,
            rx.vstack(
                _big_countdown(
                    tr("Natijalargacha", "До результатов", "Results in"),
                    DashboardState.seconds_until_end,
                ),
                rx.text(
                    tr(
                        "Natijalar imtihon oynasi yopilgach e’lon qilinadi.",
                        "Результаты появятся после закрытия окна экзамена.",
                        "Results come out when the exam window closes.",
                    ),
                    size="2",
                    color=theme.HINT,
                ),
                width="100%",
                spacing="2",
            ),
        ),
        _exam_button(
            tr("Natijalarni ko‘rish", "Посмотреть результаты", "See the results"),
            f"{APP_ROOT}/results/" + DashboardState.exam_session_id.to_string(),
            "exam-results",
        ),
    )
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.badge(badge_text, color_scheme=badge_colour, variant="soft", size="2"),
                rx.spacer(),
                rx.text(
                    DashboardState.exam_duration.to_string(),
                    tr(" daqiqa", " мин", " min"),
                    size="2",
                    color=theme.HINT,
                ),
                width="100%",
                align="center",
            ),
            rx.heading(DashboardState.exam_title, size="5", weight="bold", id="exam-title"),
            rx.hstack(
                rx.icon("calendar", size=16, color=theme.HINT),
                rx.text(
                    local_datetime(DashboardState.exam_start_iso, StudentState.lang),
                    " → ",
                    local_datetime(DashboardState.exam_end_iso, StudentState.lang),
                    size="2",
                    color=theme.HINT,
                ),
                align="center",
                spacing="2",
            ),
            body,
            spacing="3",
            align="start",
            width="100%",
        ),
        id="exam-card",
    )


def _practice_link(link_id: str) -> rx.Component:
    """The way from an empty state to practice (`/app/practice`)."""
    return link_button(
        primary_button(
            rx.icon("target", size=16),
            tr("Mashq qilish", "Потренироваться", "Practise now"),
        ),
        f"{APP_ROOT}/practice",
        id=link_id,
        margin_top="0.25rem",
    )


def _practice_card() -> rx.Component:
    """A standing entry to practice: short sessions between the weekly exams."""
    return rx.link(
        section_card(
            rx.hstack(
                rx.box(
                    rx.icon("target", size=22, color=theme.BUTTON_TEXT),
                    padding="0.55rem",
                    border_radius="12px",
                    background_color=theme.BUTTON,
                    display="flex",
                ),
                rx.vstack(
                    rx.text(tr("Mashq", "Тренировка", "Practice"), size="3", weight="bold"),
                    rx.text(
                        tr(
                            "6 savol · 30 daqiqa yoki 10 savol · 60 daqiqa",
                            "6 вопросов · 30 минут или 10 · 60 минут",
                            "6 questions · 30 min, or 10 · 60 min",
                        ),
                        size="2",
                        color=theme.HINT,
                    ),
                    spacing="0",
                    align="start",
                    flex="1",
                ),
                rx.icon("chevron-right", size=20, color=theme.HINT),
                align="center",
                spacing="3",
                width="100%",
            ),
            padding="1rem",
        ),
        href=f"{APP_ROOT}/practice",
        underline="none",
        color=theme.TEXT,
        width="100%",
        id="practice-card",
    )


def _no_exam_card() -> rx.Component:
    return message_card(
        "calendar-clock",
        tr(
            "Hozircha rejalashtirilgan imtihon yo‘q",
            "Пока нет запланированного экзамена",
            "No upcoming exam yet",
        ),
        tr(
            "Keyingi haftalik imtihon e’lon qilinishi bilan shu yerda paydo bo‘ladi. "
            "Unga qadar mashq qilib turing.",
            "Следующий еженедельный экзамен появится здесь, как только его опубликуют. "
            "А пока — потренируйтесь.",
            "The next weekly exam appears here as soon as it is published. "
            "Until then, try practice.",
        ),
        _practice_link("no-exam-practice"),
        card_id="no-exam",
        icon_size=28,
        heading_size="4",
        spacing="2",
    )


# --- figures ---------------------------------------------------------------------------


def _stat(label: rx.Var[str], value: rx.Component, stat_id: str, icon: str) -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=16, color=theme.HINT),
                rx.text(label, size="1", color=theme.HINT, weight="medium"),
                spacing="1",
                align="center",
            ),
            rx.text(value, size="6", weight="bold", id=stat_id),
            spacing="1",
            align="start",
        ),
        padding="0.9rem",
    )


def _score_card() -> rx.Component:
    return section_card(
        rx.cond(
            DashboardState.has_score,
            rx.vstack(
                rx.text(
                    rx.cond(
                        DashboardState.is_provisional,
                        provisional_score_label(),
                        tr("Oxirgi ball (0–100)", "Последний балл (0–100)", "Latest score (0–100)"),
                    ),
                    size="2",
                    color=theme.HINT,
                ),
                rx.hstack(
                    rx.text(
                        local_number(DashboardState.scaled_score, StudentState.lang, 1),
                        size="9",
                        weight="bold",
                        color=theme.ACCENT,
                        id="scaled-score",
                        line_height="1",
                    ),
                    # Provisional: neither a grade nor a ± (the note below says why).
                    rx.vstack(
                        rx.cond(
                            DashboardState.grade != "",
                            rx.badge(
                                DashboardState.grade,
                                size="3",
                                variant="solid",
                                id="grade",
                                background_color=theme.BUTTON,
                                color=theme.BUTTON_TEXT,
                            ),
                        ),
                        rx.cond(
                            DashboardState.has_se,
                            rx.text(
                                "± ",
                                local_number(DashboardState.scaled_score_se, StudentState.lang, 1),
                                size="1",
                                color=theme.HINT,
                                id="scaled-score-se",
                            ),
                        ),
                        spacing="1",
                        align="start",
                    ),
                    align="end",
                    spacing="3",
                ),
                rx.text(
                    DashboardState.latest_title,
                    " · ",
                    local_number(
                        DashboardState.points, StudentState.lang, DashboardState.points_digits
                    ),
                    "/",
                    local_number(
                        DashboardState.max_points, StudentState.lang, DashboardState.max_digits
                    ),
                    rx.match(
                        StudentState.lang,
                        ("ru", DashboardState.points_words["ru"]),
                        ("en", DashboardState.points_words["en"]),
                        DashboardState.points_words["uz"],
                    ),
                    size="2",
                    color=theme.HINT,
                    id="latest-points",
                ),
                rx.cond(
                    DashboardState.is_provisional,
                    rx.text(
                        in_reader_language(DashboardState.provisional_note),
                        size="1",
                        color=theme.HINT,
                        id="provisional-note",
                    ),
                ),
                spacing="2",
                align="start",
            ),
            rx.vstack(
                empty_note(
                    tr("Hali natija yo‘q", "Результатов пока нет", "No results yet"),
                    tr(
                        "Birinchi haftalik imtihonni topshiring — ballingiz, bahoingiz va "
                        "reytingingiz shu yerda chiqadi. Unga qadar mashq qiling.",
                        "Сдайте первый еженедельный экзамен — здесь появятся ваш балл, оценка "
                        "и рейтинг. А пока — потренируйтесь.",
                        "Take your first weekly exam: your score, grade and rating appear here. "
                        "Meanwhile, practise.",
                    ),
                    "no-score",
                    title_size="4",
                ),
                _practice_link("no-score-practice"),
                spacing="2",
                width="100%",
            ),
        ),
        id="score-card",
    )


def _awards() -> rx.Component:
    return section_card(
        rx.vstack(
            card_header(
                tr("So‘nggi yutuqlar", "Последние награды", "Recent achievements"),
                rx.link(
                    tr("Hammasi", "Все", "All"),
                    href=ACHIEVEMENTS_HREF,
                    size="2",
                    color=theme.LINK,
                ),
            ),
            rx.cond(
                DashboardState.awards.length() > 0,
                rx.vstack(
                    rx.foreach(
                        DashboardState.awards,
                        lambda award: rx.hstack(
                            rx.box(
                                rx.icon("award", size=20, color=theme.ACCENT),
                                padding="0.4rem",
                                border_radius="full",
                                background_color=theme.SECONDARY_BG,
                            ),
                            rx.text(
                                award["name"].to(dict)[StudentState.lang], size="2", weight="medium"
                            ),
                            align="center",
                            spacing="3",
                        ),
                    ),
                    spacing="2",
                    align="start",
                ),
                rx.text(
                    tr(
                        "Hali yutuq yo‘q — birinchisi birinchi imtihon bilan keladi.",
                        "Наград пока нет — первая придёт с первым экзаменом.",
                        "No achievements yet: the first comes with your first exam.",
                    ),
                    size="2",
                    color=theme.HINT,
                ),
            ),
            spacing="3",
            width="100%",
        ),
        id="recent-awards",
    )


def _group_notice() -> rx.Component:
    """What opening a group's invite did (joined, already in, or a stale link)."""
    return rx.callout(
        rx.hstack(
            rx.text(StudentState.group_notice, id="group-notice"),
            rx.spacer(),
            rx.icon_button(
                rx.icon("x", size=14),
                variant="ghost",
                size="1",
                on_click=StudentState.dismiss_group_notice,
                aria_label=tr("Yopish", "Закрыть", "Close"),
            ),
            width="100%",
            align="center",
        ),
        icon="users",
        color_scheme="blue",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.fragment(
        rx.hstack(
            rx.vstack(
                rx.text(tr("Salom,", "Привет,", "Hello,"), size="2", color=theme.HINT),
                rx.heading(DashboardState.name, size="6", weight="bold", id="student-name"),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            rx.vstack(language_switch(), web_sign_out(), spacing="1", align="end"),
            width="100%",
            align="center",
        ),
        rx.cond(StudentState.group_notice != "", _group_notice()),
        rx.cond(DashboardState.has_exam, _exam_card(), _no_exam_card()),
        _score_card(),
        rx.grid(
            _stat(
                tr("Elo reyting", "Рейтинг Эло", "Elo rating"),
                rx.cond(
                    DashboardState.has_elo,
                    local_number(DashboardState.elo.to(float), StudentState.lang),
                    "—",
                ),
                "elo",
                "chart-line",
            ),
            _stat(
                tr("Imtihonlar", "Экзамены", "Exams taken"),
                DashboardState.exams_taken.to_string(),
                "exams-taken",
                "book-open-check",
            ),
            _stat(
                tr("Seriya", "Серия", "Streak"),
                DashboardState.current_streak.to_string(),
                "current-streak",
                "flame",
            ),
            _stat(
                tr("Eng uzun seriya", "Лучшая серия", "Longest streak"),
                DashboardState.longest_streak.to_string(),
                "longest-streak",
                "trophy",
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        _practice_card(),
        _awards(),
        rx.box(id="dashboard-ready"),
    )


def dashboard_page() -> rx.Component:
    """`/app`: the student's home screen."""
    return student_shell(
        loaded_content(DashboardState, _content()),
        tab="home",
    )


DASHBOARD_ON_LOAD = student_on_load(DashboardState.load)
