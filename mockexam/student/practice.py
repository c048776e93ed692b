"""The practice page `/app/practice` (spec §7): start a light or medium session, see past ones.

Practice is what students do between the weekly exams: 6 questions in 30
minutes or 10 in 60, drawn from the question bank with balanced topics (no
question again until its topic is used up), optionally aimed at the
student's level. It never touches the Elo rating, Rasch scores or streaks.
The page shows a session in progress (continue), the two modes, the
"adaptive" choice with the level it would aim at, overall accuracy by topic,
and the history; starting redirects to `/app/practice/<id>`. The draw gives
each topic's questions in the student's language first. When more than
one subject has questions the student chooses the subject first, and the
draw stays in it.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.errors import MockExamError, ValidationError
from mockexam.scoring.layout_templates import subject_name
from mockexam.scoring.practice import PRACTICE_MODES
from mockexam.services.practice import PracticeHub, practice_hub, start_practice
from mockexam.services.practice_bank import LANGUAGES
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    card_header,
    error_callout,
    loaded_content,
    message_card,
    primary_button,
    read_or_fail,
)
from mockexam.student.i18n import MINUTES, count_text, pick, tr
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.intl import local_datetime
from mockexam.ui.layout import section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

PRACTICE_ROUTE = f"{APP_ROOT}/practice"


class HistoryRow(TypedDict):
    href: str
    mode: str
    date_iso: str
    score: str  # "4/6"
    percent: int
    is_adaptive: bool
    is_auto: bool


class TopicRow(TypedDict):
    name: str
    percent: int
    text: str  # "7/9"


class SubjectChoice(TypedDict):
    code: str
    name: str  # in the student's language
    questions: int


def _percent(right: int, total: int) -> int:
    return round(100 * right / total) if total else 0


class PracticeHubState(StudentState):
    """The caller's practice: what runs, what can start, what was done."""

    loaded: bool = False
    failed: bool = False
    bank_size: int = 0
    light_questions: int = 0
    medium_questions: int = 0
    open_href: str = ""
    open_mode: str = ""
    open_answered: int = 0
    open_total: int = 0
    open_seconds_left: int = 0
    adaptive: bool = False
    target_level: int = 3
    has_exam_level: bool = False
    sessions_done: int = 0
    accuracy: int = 0
    has_accuracy: bool = False
    topics: list[TopicRow] = []
    history: list[HistoryRow] = []
    starting: str = ""  # the mode being started
    start_error: str = ""
    subjects: list[SubjectChoice] = []  # subjects with active questions
    subject: str = ""  # the chosen one ("" when the bank has one subject or none)

    _mode_sizes: dict[str, int] = {}  # questions each mode takes

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read the caller's practice."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return
        lang = self.lang
        hub = await read_or_fail(
            self,
            lambda: practice_hub(student_id=student_id, lang=lang),
            logger,
            "practice of student %s could not be read",
            student_id,
        )
        if hub is None:
            return
        self._show(hub)

    def _show(self, hub: PracticeHub) -> None:
        modes = {m.mode: m for m in hub.modes}
        self.bank_size = hub.bank_size
        self._mode_sizes = {m.mode: m.questions for m in hub.modes}
        self.light_questions = modes["light"].available if "light" in modes else 0
        self.medium_questions = modes["medium"].available if "medium" in modes else 0
        self.subjects = [
            {
                "code": s.subject,
                "name": subject_name(s.subject, self.lang),
                "questions": s.questions,
            }
            for s in hub.subjects
        ]
        codes = [s.subject for s in hub.subjects]
        if len(codes) < 2:
            self.subject = ""
        elif self.subject not in codes:
            self.subject = codes[0]
        self._size_modes()
        current = hub.open_session
        self.open_href = f"{PRACTICE_ROUTE}/{current.practice_id}" if current else ""
        self.open_mode = current.mode if current else ""
        self.open_answered = len(current.saved) if current else 0
        self.open_total = current.total if current else 0
        self.open_seconds_left = current.seconds_left if current else 0
        self.target_level = hub.target_difficulty
        self.has_exam_level = hub.has_exam_ability
        self.sessions_done = hub.sessions_done
        self.has_accuracy = hub.accuracy is not None
        self.accuracy = round(100 * (hub.accuracy or 0.0))
        self.topics = [
            {
                "name": t.topic_name,
                "percent": _percent(t.correct, t.total),
                "text": f"{t.correct}/{t.total}",
            }
            for t in hub.topics
        ]
        self.history = [
            {
                "href": f"{PRACTICE_ROUTE}/{h.practice_id}",
                "mode": h.mode,
                "date_iso": iso_utc(h.started_at),
                "score": f"{h.score or 0}/{h.total}",
                "percent": _percent(h.score or 0, h.total),
                "is_adaptive": h.is_adaptive,
                "is_auto": h.is_auto_submitted,
            }
            for h in hub.history
        ]
        self.start_error = ""
        self.failed, self.loaded = False, True

    def _size_modes(self) -> None:
        """The questions each mode would give in the chosen subject."""
        if not self.subject:
            return
        size = next((s["questions"] for s in self.subjects if s["code"] == self.subject), 0)
        self.light_questions = min(self._mode_sizes.get("light", 0), size)
        self.medium_questions = min(self._mode_sizes.get("medium", 0), size)

    @rx.event
    def set_subject(self, value: str) -> None:
        """The subject the next session draws from (one of those with questions)."""
        if self._signed_in() is None or not isinstance(value, str):
            return
        if any(s["code"] == value for s in self.subjects):
            self.subject = value
            self._size_modes()

    @rx.event
    def set_adaptive(self, value: bool) -> None:
        """Aim the next session at the student's level, or not (a plain yes/no)."""
        if self._signed_in() is not None and isinstance(value, bool):
            self.adaptive = value

    @rx.event
    async def start(self, mode: str):
        """Start a session of `mode` for the caller (or go back to the one in progress)."""
        student_id = self._signed_in()
        if student_id is None or not isinstance(mode, str) or mode not in PRACTICE_MODES:
            return
        if self.starting:
            return
        self.starting, self.start_error = mode, ""
        adaptive = bool(self.adaptive)
        subject = self.subject or None
        language = self.lang if self.lang in LANGUAGES else None  # theirs first
        yield
        try:
            room = await rx.run_in_thread(
                lambda: start_practice(
                    student_id=student_id,
                    mode=mode,
                    adaptive=adaptive,
                    subject=subject,
                    language=language,
                )
            )
        except ValidationError:
            self.starting = ""
            self.start_error = pick(
                self.lang,
                "Savollar banki hali bo‘sh — birozdan so‘ng qayta urinib ko‘ring.",
                "Банк вопросов пока пуст — попробуйте чуть позже.",
                "The question bank is still empty; please try again later.",
            )
            return
        except (MockExamError, SQLAlchemyError):
            logger.exception("practice: student %s could not start %s", student_id, mode)
            self.starting = ""
            self.start_error = pick(
                self.lang,
                "Mashqni boshlab bo‘lmadi. Qayta urinib ko‘ring.",
                "Не удалось начать тренировку. Попробуйте ещё раз.",
                "The practice could not start. Please try again.",
            )
            return
        self.starting = ""
        yield rx.redirect(f"{PRACTICE_ROUTE}/{room.practice_id}")


PRACTICE_ON_LOAD = student_on_load(PracticeHubState.load)


# --- components --------------------------------------------------------------------------

MODE_NAMES = {
    "light": ("Yengil", "Лёгкая", "Light"),
    "medium": ("O‘rta", "Средняя", "Medium"),
}


def mode_name(mode: rx.Var[str]) -> rx.Var[str]:
    """A mode's name in the student's language."""
    return rx.match(
        mode,
        ("light", tr(*MODE_NAMES["light"])),
        ("medium", tr(*MODE_NAMES["medium"])),
        mode,
    )


def _open_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.icon("pencil-line", size=20, color=theme.ACCENT),
                rx.text(
                    tr("Davom etayotgan mashq", "Тренировка идёт", "Practice in progress"),
                    size="3",
                    weight="bold",
                ),
                align="center",
                spacing="2",
            ),
            rx.text(
                mode_name(PracticeHubState.open_mode),
                " · ",
                PracticeHubState.open_answered.to_string(),
                "/",
                PracticeHubState.open_total.to_string(),
                tr(" javob berilgan", " отвечено", " answered"),
                size="2",
                color=theme.HINT,
            ),
            rx.link(
                primary_button(
                    rx.icon("play", size=16),
                    tr("Davom etish", "Продолжить", "Continue"),
                    id="practice-continue",
                ),
                href=PracticeHubState.open_href,
                width="100%",
                underline="none",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        id="practice-open",
        border=f"1.5px solid {theme.BUTTON}",
    )


def _mode_card(
    mode: str, icon: str, title: rx.Var[str], questions: rx.Var[int], minutes: int
) -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.box(
                    rx.icon(icon, size=20, color=theme.BUTTON_TEXT),
                    padding="0.5rem",
                    border_radius="12px",
                    background_color=theme.BUTTON,
                    display="flex",
                ),
                rx.text(title, size="4", weight="bold"),
                align="center",
                spacing="2",
            ),
            rx.vstack(
                rx.text(
                    questions.to_string(),
                    count_text(
                        questions,
                        uz=" ta savol",
                        ru=(" вопрос", " вопроса", " вопросов"),
                        en=(" question", " questions"),
                    ),
                    size="2",
                    color=theme.HINT,
                ),
                rx.text(
                    str(minutes),
                    count_text(minutes, **MINUTES),
                    size="2",
                    color=theme.HINT,
                ),
                spacing="0",
                align="start",
            ),
            primary_button(
                rx.cond(
                    PracticeHubState.starting == mode,
                    rx.spinner(size="2"),
                    rx.icon("play", size=16),
                ),
                tr("Boshlash", "Начать", "Start"),
                on_click=PracticeHubState.start(mode),
                disabled=(PracticeHubState.starting != "")
                | (PracticeHubState.open_href != "")
                | (questions == 0),
                id=f"start-{mode}",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        id=f"mode-{mode}",
        padding="1rem",
    )


def _subject_choice() -> rx.Component:
    """The subject of the next session (shown when more than one has questions)."""
    return section_card(
        rx.hstack(
            rx.text(tr("Fan", "Предмет", "Subject"), size="3", weight="bold"),
            rx.select.root(
                rx.select.trigger(id="practice-subject", min_width="11rem"),
                rx.select.content(
                    rx.foreach(
                        PracticeHubState.subjects,
                        lambda s: rx.select.item(s["name"].to(str), value=s["code"].to(str)),
                    )
                ),
                value=PracticeHubState.subject,
                on_change=PracticeHubState.set_subject,
                size="3",
            ),
            align="center",
            justify="between",
            spacing="3",
            width="100%",
        ),
        padding="1rem",
        id="subject-card",
    )


def _adaptive_switch() -> rx.Component:
    return section_card(
        rx.hstack(
            rx.vstack(
                rx.text(
                    tr("Darajamga moslash", "Под мой уровень", "Match my level"),
                    size="3",
                    weight="bold",
                ),
                rx.text(
                    tr("Savollar darajasi: ", "Уровень вопросов: ", "Question level: "),
                    rx.text.strong(PracticeHubState.target_level.to_string(), " / 5"),
                    rx.cond(
                        PracticeHubState.has_exam_level,
                        tr(
                            " — oxirgi imtihon va mashqlaringiz bo‘yicha.",
                            " — по последнему экзамену и тренировкам.",
                            " — from your last exam and practice.",
                        ),
                        tr(
                            " — mashqlaringiz bo‘yicha.",
                            " — по вашим тренировкам.",
                            " — from your practice so far.",
                        ),
                    ),
                    size="2",
                    color=theme.HINT,
                ),
                spacing="1",
                align="start",
                flex="1",
            ),
            rx.switch(
                checked=PracticeHubState.adaptive,
                on_change=PracticeHubState.set_adaptive,
                id="adaptive-switch",
                size="3",
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        padding="1rem",
        id="adaptive-card",
    )


def _topic_bar(row: rx.Var[TopicRow]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row["name"].to(str), size="2"),
            rx.spacer(),
            rx.text(row["text"].to(str), size="2", color=theme.HINT),
            width="100%",
        ),
        rx.box(
            rx.box(
                width=row["percent"].to(int).to_string() + "%",
                height="100%",
                border_radius="999px",
                background_color="var(--green-9)",
            ),
            width="100%",
            height="8px",
            border_radius="999px",
            background_color=theme.SECONDARY_BG,
            overflow="hidden",
        ),
        spacing="1",
        width="100%",
    )


def _progress_card() -> rx.Component:
    return section_card(
        rx.vstack(
            card_header(
                tr("Mavzular bo‘yicha", "По темам", "By topic"),
                rx.text(
                    PracticeHubState.accuracy.to_string(),
                    "%",
                    size="3",
                    weight="bold",
                    color="var(--green-11)",
                    id="practice-accuracy",
                ),
            ),
            rx.foreach(PracticeHubState.topics, _topic_bar),
            spacing="3",
            width="100%",
        ),
        id="practice-topics",
    )


def _history_row(row: rx.Var[HistoryRow]) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(mode_name(row["mode"].to(str)), size="2", weight="bold"),
                    rx.cond(
                        row["is_adaptive"].to(bool),
                        rx.badge(tr("moslashgan", "по уровню", "adaptive"), size="1"),
                    ),
                    rx.cond(
                        row["is_auto"].to(bool),
                        rx.badge(
                            tr("vaqt tugadi", "время вышло", "time ran out"),
                            size="1",
                            color_scheme="amber",
                        ),
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.text(
                    local_datetime(row["date_iso"].to(str), StudentState.lang),
                    size="1",
                    color=theme.HINT,
                ),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            rx.text(row["score"].to(str), size="3", weight="bold"),
            rx.icon("chevron-right", size=18, color=theme.HINT),
            align="center",
            spacing="2",
            width="100%",
            padding_y="0.55rem",
            border_bottom="1px solid var(--gray-a4)",
        ),
        href=row["href"].to(str),
        underline="none",
        color=theme.TEXT,
        width="100%",
        class_name="practice-history-row",
    )


def _history_card() -> rx.Component:
    return section_card(
        rx.vstack(
            card_header(
                tr("Mashqlar tarixi", "История тренировок", "Practice history"),
                rx.text(PracticeHubState.sessions_done.to_string(), size="2", color=theme.HINT),
            ),
            rx.cond(
                PracticeHubState.history.length() > 0,
                rx.vstack(
                    rx.foreach(PracticeHubState.history, _history_row), spacing="0", width="100%"
                ),
                rx.text(
                    tr(
                        "Hali mashq yo‘q. Birinchisini boshlang — natija darhol chiqadi.",
                        "Тренировок пока нет. Начните первую — результат сразу.",
                        "No practice yet. Start one: results come right away.",
                    ),
                    size="2",
                    color=theme.HINT,
                    id="practice-history-empty",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="practice-history",
    )


def _empty_bank() -> rx.Component:
    return message_card(
        "book-dashed",
        tr("Savollar tayyorlanmoqda", "Вопросы готовятся", "Questions are on their way"),
        tr(
            "Mashq savollari banki hali bo‘sh. Tez orada qo‘shiladi.",
            "Банк вопросов для тренировок пока пуст. Скоро пополнится.",
            "The practice question bank is still empty. It will be filled soon.",
        ),
        card_id="practice-empty-bank",
    )


def _content() -> rx.Component:
    return rx.fragment(
        rx.vstack(
            page_header(tr("Mashq", "Тренировка", "Practice")),
            rx.text(
                tr(
                    "Imtihonlar orasida qisqa mashqlar: natija darhol, reytingga ta’sir qilmaydi.",
                    "Короткие тренировки между экзаменами: результат сразу, на рейтинг не влияет.",
                    "Short sessions between the weekly exams: instant results, no effect on "
                    "your rating.",
                ),
                size="2",
                color=theme.HINT,
            ),
            spacing="1",
            width="100%",
        ),
        rx.cond(PracticeHubState.open_href != "", _open_card()),
        rx.cond(
            PracticeHubState.bank_size > 0,
            rx.fragment(
                rx.cond(PracticeHubState.subjects.length() > 1, _subject_choice()),
                rx.grid(
                    _mode_card(
                        "light",
                        "zap",
                        tr(*MODE_NAMES["light"]),
                        PracticeHubState.light_questions,
                        PRACTICE_MODES["light"].minutes,
                    ),
                    _mode_card(
                        "medium",
                        "layers",
                        tr(*MODE_NAMES["medium"]),
                        PracticeHubState.medium_questions,
                        PRACTICE_MODES["medium"].minutes,
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                _adaptive_switch(),
            ),
            _empty_bank(),
        ),
        rx.cond(
            PracticeHubState.start_error != "",
            error_callout(PracticeHubState.start_error, id="practice-start-error"),
        ),
        rx.cond(PracticeHubState.has_accuracy, _progress_card()),
        _history_card(),
        rx.box(id="practice-ready"),
    )


def practice_page() -> rx.Component:
    """`/app/practice`: the practice hub."""
    return student_shell(loaded_content(PracticeHubState, _content()), tab="practice")
