"""One practice session `/app/practice/[practice_id]`: the questions, then the results.

While it runs: the sheet (one question at a time, Markdown + KaTeX, autosave
exactly like the exam's: the browser keeps every change and posts it over HTTP to
`save_url` with the signed `save_token` — mockexam/api.py answers with the ack,
no Reflex event) under a countdown from the server deadline; at zero the sheet
submits by itself (the same way, `save_url + "/submit"`), and the sweep submits an
abandoned session. Once the submit is answered the sheet calls `refresh`, and the
same route shows the results: score, a per-topic bar chart, and every question
with the student's answer, the right one and the explanation.

The sheet shows one question at a time; the student's place survives a reload
or a backend restart (which rebuilds this state from the database): the sheet
keeps it in the browser and reports each move (`move`), stored on the session
(`current_position`), and opens at it on every page load.

The session is the one in the route, and it must be the caller's: the
service finds it by id and refuses anyone else's (the page then says "not
found"); the HTTP routes take the student from the sheet token, made for this
student and session. Only the answers travel in the payload; the labels are
checked against the session's own questions on the server. Practice never touches
the Elo rating, Rasch scores or streaks.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, TypedDict

import plotly.graph_objects as go
import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.api import practice_sheet_path
from mockexam.charts import PLOT_CONFIG, shared_blank_figure, topic_breakdown_figure
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    MockExamError,
    NotFoundError,
)
from mockexam.parsing import parse_id
from mockexam.services.practice import (
    PracticePhase,
    PracticeRoom,
    get_practice_room,
    practice_sheet_token,
    set_practice_position,
)
from mockexam.services.practice_bank import LETTERS
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    auto_submitted_badge,
    card_skeleton,
    error_callout,
    link_button,
    message_card,
    primary_button,
)
from mockexam.student.i18n import SHEET_SYNC_TEXTS, error_text, texts_by_language, tr
from mockexam.student.practice import PRACTICE_ROUTE, mode_name
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.answer_sheet import (
    forget_sheet,
    sheet_banner,
    sheet_clock,
    sheet_gate,
    sheet_notice,
)
from mockexam.ui.backend import BACKEND_ORIGIN
from mockexam.ui.countdown import countdown
from mockexam.ui.layout import section_card
from mockexam.ui.practice_sheet import forget_place, math_text, practice_sheet
from mockexam.ui.telegram import haptic

logger = logging.getLogger(__name__)

PRACTICE_SESSION_ROUTE = f"{PRACTICE_ROUTE}/[practice_id]"
IMAGE_ROUTE = "/api/practice/image"  # as in mockexam/api.py


class View:
    LOADING = "loading"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class SheetItemView(TypedDict):
    label: str
    kind: str
    text: str
    options: list[str]
    image_url: str
    topic: str
    difficulty: int


class OptionView(TypedDict):
    letter: str
    text: str
    chosen: bool
    right: bool


class ReviewView(TypedDict):
    label: str
    topic: str
    kind: str
    text: str
    image_url: str
    options: list[OptionView]
    given: str
    correct_answer: str
    is_correct: bool
    is_blank: bool
    explanation: str


def image_url(image_path: str | None) -> str:
    return f"{IMAGE_ROUTE}/{image_path}" if image_path else ""


class PracticeSessionState(StudentState):
    """One practice session of the signed-in student: the one in the route."""

    phase: str = View.LOADING
    mode: str = ""
    is_adaptive: bool = False
    total: int = 0
    score: int = 0
    percent: int = 0
    is_auto_submitted: bool = False
    seconds_left: int = 0
    sheet_key: str = ""
    items: list[SheetItemView] = []
    saved: dict[str, dict[str, Any]] = {}
    load_id: str = ""
    save_url: str = ""  # where the sheet posts its saves (while in progress)
    save_token: str = ""  # the sheet's credential for them (practice_sheet_token)
    notice: str = ""
    position: str = "1"  # the label of the question the student is on, as stored at the load
    review: list[ReviewView] = []
    topic_figure: go.Figure = rx.field(default_factory=functools.partial(shared_blank_figure, 80))

    _shown: int | None = None  # the session whose data the vars hold

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read the session in the route as it is now."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            self._clear()
            return None
        practice_id = self._path_id()
        if practice_id is None or practice_id != self._shown:
            self._clear()
        if practice_id is None:
            self.phase = View.NOT_FOUND
            return None
        self.notice = ""
        return await self._read(student_id, practice_id)

    @rx.event
    async def refresh(self):
        """Read again (the countdown reached zero, or "try again")."""
        student_id, practice_id = self._signed_in(), self._path_id()
        if student_id is None or practice_id is None:
            return None
        return await self._read(student_id, practice_id)

    async def _read(self, student_id: int, practice_id: int, *, then: Any = None):
        lang = self.lang
        try:
            room = await rx.run_in_thread(
                lambda: get_practice_room(student_id=student_id, practice_id=practice_id, lang=lang)
            )
        except NotFoundError:
            self._clear()
            self.phase = View.NOT_FOUND
            return None
        except (MockExamError, SQLAlchemyError):
            logger.exception("practice %s of student %s could not be read", practice_id, student_id)
            self.phase = View.FAILED
            return None
        return self._show(room, student_id, then=then)

    def _clear(self) -> None:
        self._shown = None
        self.phase = View.LOADING
        self.items, self.saved, self.review = [], {}, []
        self.sheet_key, self.notice, self.save_url, self.save_token = "", "", "", ""

    def _show(self, room: PracticeRoom, student_id: int, *, then: Any = None):
        self._shown = room.practice_id
        was = self.phase
        self.mode, self.is_adaptive, self.total = room.mode, room.is_adaptive, room.total
        self.is_auto_submitted = room.is_auto_submitted
        self.seconds_left = room.seconds_left
        self.sheet_key = f"p{room.practice_id}"
        events: list[Any] = list(then or [])
        if room.phase == PracticePhase.IN_PROGRESS:
            self.items = [
                {
                    "label": q.label,
                    "kind": q.kind,
                    "text": q.text,
                    "options": q.options,
                    "image_url": image_url(q.image_path),
                    "topic": q.topic_name,
                    "difficulty": q.difficulty,
                }
                for q in room.questions
            ]
            self.saved = {label: {"value": value} for label, value in room.saved.items()}
            self.position = str(room.position)
            self.save_url = practice_sheet_path(room.practice_id)
            self.save_token = practice_sheet_token(
                student_id=student_id, practice_id=room.practice_id, deadline=room.deadline
            )
            self.review = []
        else:
            self.items, self.saved = [], {}
            self.save_url, self.save_token = "", ""
            self.score = room.score or 0
            self.percent = round(100 * self.score / room.total) if room.total else 0
            self.review = [_review_view(r) for r in room.review]
            if room.topics:
                self.topic_figure = topic_breakdown_figure(
                    topics=[t.topic_name for t in room.topics],
                    correct=[t.correct for t in room.topics],
                    totals=[t.total for t in room.topics],
                )
            if was == PracticePhase.IN_PROGRESS:
                events += [forget_sheet(self.sheet_key), forget_place(self.sheet_key)]
        self.load_id = uuid.uuid4().hex[:12]
        self.phase = room.phase
        return events or None

    @rx.event
    async def sheet_closed(self):
        """The sheet's save was refused as closed (the deadline passed, or the session was
        submitted elsewhere) or its credential as no longer good: read the session again
        and, if it is over, say why."""
        student_id, practice_id = self._signed_in(), self._path_id()
        if student_id is None or practice_id is None or practice_id != self._shown:
            return None
        if self.phase != PracticePhase.IN_PROGRESS:
            return None  # the page already shows the results (as the exam's sheet_closed)
        events = await self._read(student_id, practice_id)
        if self.phase == PracticePhase.SUBMITTED:
            closed = DeadlinePassedError() if self.is_auto_submitted else AlreadySubmittedError()
            self.notice = error_text(closed, self.lang)
            return [*(events or []), haptic("warning")]
        return events

    @rx.event
    async def move(self, label: str):
        """Remember which question of the caller's session the student is on (a label)."""
        student_id, practice_id = self._signed_in(), self._path_id()
        if student_id is None or practice_id is None or practice_id != self._shown:
            return  # the sheet tells the server its place again once the page has loaded
        position = parse_id(label, maximum=len(self.items)) if isinstance(label, str) else None
        if position is None:
            return  # not one of this sheet's labels: nothing to remember
        try:
            await rx.run_in_thread(
                lambda: set_practice_position(
                    student_id=student_id, practice_id=practice_id, position=position
                )
            )
        except MockExamError as error:  # over meanwhile, or not the caller's: nothing to keep
            logger.info("practice %s: the place was not stored: %s", practice_id, error)
        except SQLAlchemyError:
            logger.exception(
                "practice %s: the place of student %s not stored", practice_id, student_id
            )


def _review_view(row) -> ReviewView:
    options: list[OptionView] = [
        {
            "letter": LETTERS[i],
            "text": text,
            "chosen": row.given.upper() == LETTERS[i],
            "right": row.correct_answer == LETTERS[i],
        }
        for i, text in enumerate(row.options)
    ]
    return {
        "label": row.label,
        "topic": row.topic_name,
        "kind": row.kind,
        "text": row.text,
        "image_url": image_url(row.image_path),
        "options": options,
        "given": row.given,
        "correct_answer": " | ".join(row.accepted_answers)
        if row.kind != "mcq"
        else row.correct_answer,
        "is_correct": row.is_correct,
        "is_blank": row.given.strip() == "",
        "explanation": row.explanation,
    }


PRACTICE_SESSION_ON_LOAD = student_on_load(PracticeSessionState.load)


# --- the views ----------------------------------------------------------------------------


PRACTICE_LABELS = texts_by_language(
    **SHEET_SYNC_TEXTS,
    question=("Savol", "Вопрос", "Question"),
    level=("Qiyinlik darajasi", "Сложность", "Difficulty"),
    placeholder=("Javobingiz", "Ваш ответ", "Your answer"),
    freeHint=(
        "Son yoki kasr, masalan −3, 2,5 yoki 1/2",
        "Число или дробь, например −3, 2,5 или 1/2",
        "A number or a fraction, e.g. −3, 2.5 or 1/2",
    ),
    prev=("Oldingi", "Назад", "Back"),
    next=("Keyingi", "Далее", "Next"),
    submit=("Yakunlash", "Завершить", "Finish"),
    submitting=("Tekshirilmoqda…", "Проверяем…", "Checking…"),
    confirmTitle=("Mashqni yakunlaysizmi?", "Завершить тренировку?", "Finish the practice?"),
    confirmFinal=(
        "Natija va yechimlar darhol ko‘rinadi.",
        "Результат и решения появятся сразу.",
        "You will see your score and the solutions right away.",
    ),
    cancel=("Davom etish", "Продолжить", "Keep going"),
    confirm=("Yakunlash", "Завершить", "Finish"),
)

BANNER_LABELS = texts_by_language(
    offline=SHEET_SYNC_TEXTS["offline"], unsent=SHEET_SYNC_TEXTS["unsent"]
)


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.icon("chevron-left", size=24, color=theme.LINK),
                href=PRACTICE_ROUTE,
                id="back-link",
                aria_label="back",
                display="flex",
            ),
            rx.vstack(
                rx.text(tr("Mashq", "Тренировка", "Practice"), size="1", color=theme.HINT),
                rx.text(
                    mode_name(PracticeSessionState.mode),
                    size="4",
                    weight="bold",
                    id="practice-title",
                ),
                spacing="0",
                align="start",
            ),
            rx.spacer(),
            sheet_clock(
                countdown(
                    seconds=PracticeSessionState.seconds_left,
                    done_text="00:00",
                    day_suffix="",
                    warn_below=30,
                    key=PracticeSessionState.load_id,
                    on_done=PracticeSessionState.refresh,
                ),
                clock_id="practice-countdown",
            ),
            align="center",
            spacing="2",
            width="100%",
        ),
        sheet_banner(BANNER_LABELS),
        spacing="2",
        width="100%",
    )


def _running_view() -> rx.Component:
    """The sheet until its submit is answered; then a placeholder while `refresh` (which
    the sheet calls) brings the results."""
    key = PracticeSessionState.sheet_key
    return rx.fragment(
        sheet_gate(
            rx.vstack(
                _header(),
                practice_sheet(
                    session_key=key,
                    items=PracticeSessionState.items,
                    saved=PracticeSessionState.saved,
                    labels=PRACTICE_LABELS,
                    seconds_left=PracticeSessionState.seconds_left,
                    load_id=PracticeSessionState.load_id,
                    position=PracticeSessionState.position,
                    save_url=PracticeSessionState.save_url,
                    save_token=PracticeSessionState.save_token,
                    lang=PracticeSessionState.lang,
                    on_move=PracticeSessionState.move,
                    on_closed=PracticeSessionState.sheet_closed,
                    on_submitted=PracticeSessionState.refresh,
                ),
                spacing="3",
                width="100%",
                id="practice-running",
            ),
            session_key=key,
            show="running",
        ),
        sheet_gate(_loading_view("practice-checking"), session_key=key, show="submitted"),
    )


def _score_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.text(
                mode_name(PracticeSessionState.mode),
                tr(" mashq natijasi", " · результат", " practice · result"),
                size="2",
                color=theme.HINT,
            ),
            rx.hstack(
                rx.text(
                    PracticeSessionState.score.to_string(),
                    size="9",
                    weight="bold",
                    color=theme.ACCENT,
                    id="practice-score",
                    line_height="1",
                ),
                rx.text(
                    "/ ",
                    PracticeSessionState.total.to_string(),
                    size="6",
                    color=theme.HINT,
                    id="practice-total",
                ),
                rx.spacer(),
                rx.text(
                    PracticeSessionState.percent.to_string(),
                    "%",
                    size="7",
                    weight="bold",
                    id="practice-percent",
                ),
                align="end",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                PracticeSessionState.is_auto_submitted,
                auto_submitted_badge("practice-auto-submitted"),
            ),
            rx.cond(
                PracticeSessionState.notice != "",
                rx.text(PracticeSessionState.notice, size="2", color=theme.DESTRUCTIVE),
                sheet_notice(
                    PracticeSessionState.sheet_key, id="practice-notice", color=theme.DESTRUCTIVE
                ),
            ),
            rx.text(
                tr(
                    "Mashq reyting va imtihon balliga ta’sir qilmaydi.",
                    "Тренировка не влияет на рейтинг и баллы экзаменов.",
                    "Practice does not change your rating or exam scores.",
                ),
                size="1",
                color=theme.HINT,
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        width="100%",
        id="practice-result",
    )


def _topics_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.text(tr("Mavzular bo‘yicha", "По темам", "By topic"), size="3", weight="bold"),
            rx.plotly.basic(
                data=PracticeSessionState.topic_figure,
                config=PLOT_CONFIG,
                use_resize_handler=True,
                template=go.layout.Template(),
                style={"width": "100%"},
                id="topic-chart",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="practice-topic-card",
    )


def _mark(review: rx.Var[ReviewView]) -> rx.Component:
    return rx.cond(
        review["is_correct"].to(bool),
        rx.icon("circle-check", size=22, color="var(--green-10)"),
        rx.cond(
            review["is_blank"].to(bool),
            rx.icon("circle-minus", size=22, color=theme.HINT),
            rx.icon("circle-x", size=22, color="var(--red-10)"),
        ),
    )


def _review_option(option: rx.Var[OptionView]) -> rx.Component:
    right = option["right"].to(bool)
    chosen = option["chosen"].to(bool)
    return rx.hstack(
        rx.box(
            rx.text(option["letter"].to(str), size="2", weight="bold"),
            width="1.8rem",
            height="1.8rem",
            border_radius="999px",
            display="flex",
            align_items="center",
            justify_content="center",
            flex_shrink="0",
            background_color=rx.cond(
                right, "var(--green-9)", rx.cond(chosen, "var(--red-9)", theme.SECONDARY_BG)
            ),
            color=rx.cond(right | chosen, "white", theme.TEXT),
        ),
        math_text(option["text"].to(str), style={"flex": "1", "minWidth": "0"}),
        rx.cond(
            chosen,
            rx.text(tr("siz", "вы", "you"), size="1", color=theme.HINT, flex_shrink="0"),
        ),
        align="center",
        spacing="2",
        width="100%",
        padding="0.35rem 0.5rem",
        border_radius="10px",
        border=rx.cond(
            right,
            "1.5px solid var(--green-8)",
            rx.cond(chosen, "1.5px solid var(--red-8)", "1px solid var(--gray-a4)"),
        ),
        class_name="review-option",
    )


def _free_answers(review: rx.Var[ReviewView]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(tr("Sizning javobingiz: ", "Ваш ответ: ", "Your answer: "), size="2"),
            rx.text(
                rx.cond(review["is_blank"].to(bool), "—", review["given"].to(str)),
                size="2",
                weight="bold",
                color=rx.cond(review["is_correct"].to(bool), "var(--green-11)", "var(--red-11)"),
            ),
            spacing="1",
        ),
        rx.hstack(
            rx.text(tr("To‘g‘ri javob: ", "Правильный ответ: ", "Correct answer: "), size="2"),
            rx.text(
                review["correct_answer"].to(str), size="2", weight="bold", color="var(--green-11)"
            ),
            spacing="1",
        ),
        spacing="1",
        align="start",
    )


def _review_card(review: rx.Var[ReviewView]) -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.text(review["label"].to(str), ".", size="3", weight="bold"),
                rx.badge(review["topic"].to(str), variant="soft", size="1"),
                rx.spacer(),
                _mark(review),
                align="center",
                spacing="2",
                width="100%",
            ),
            math_text(review["text"].to(str)),
            rx.cond(
                review["image_url"].to(str) != "",
                rx.box(
                    rx.image(
                        src=BACKEND_ORIGIN + review["image_url"].to(str),
                        max_width="100%",
                        max_height="220px",
                        alt="",
                    ),
                    background_color="#ffffff",
                    padding="0.6rem",
                    border_radius="12px",
                    display="flex",
                    justify_content="center",
                ),
            ),
            rx.cond(
                review["kind"].to(str) == "mcq",
                rx.vstack(
                    rx.foreach(review["options"].to(list[OptionView]), _review_option),
                    spacing="2",
                    width="100%",
                ),
                _free_answers(review),
            ),
            rx.cond(
                review["explanation"].to(str) != "",
                rx.box(
                    rx.hstack(
                        rx.icon("lightbulb", size=16, color="var(--amber-10)"),
                        rx.text(tr("Yechim", "Решение", "Solution"), size="2", weight="bold"),
                        spacing="1",
                        align="center",
                    ),
                    math_text(review["explanation"].to(str), style={"fontSize": "0.93rem"}),
                    background_color="var(--amber-a2)",
                    border_radius="12px",
                    padding="0.7rem 0.8rem",
                    width="100%",
                ),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        padding="1rem",
        width="100%",
        id="review-" + review["label"].to(str),
        data_correct=rx.cond(review["is_correct"].to(bool), "true", "false"),
        class_name="review-card",
    )


def _results_view() -> rx.Component:
    return rx.vstack(
        page_header(
            tr("Mashq natijasi", "Результат тренировки", "Practice results"), PRACTICE_ROUTE
        ),
        _score_card(),
        _topics_card(),
        rx.foreach(PracticeSessionState.review, _review_card),
        rx.hstack(
            link_button(
                primary_button(
                    rx.icon("rotate-ccw", size=16),
                    tr("Yana mashq", "Ещё тренировка", "Practice again"),
                ),
                PRACTICE_ROUTE,
                id="practice-again",
            ),
            width="100%",
        ),
        rx.link(
            tr("Bosh sahifaga", "На главную", "Back to home"),
            href=APP_ROOT,
            color=theme.LINK,
            size="2",
            align_self="center",
            id="back-to-dashboard",
        ),
        rx.box(id="practice-results-ready"),
        spacing="4",
        width="100%",
        id="practice-results",
    )


def _not_found_view() -> rx.Component:
    return rx.vstack(
        page_header(tr("Mashq", "Тренировка", "Practice"), PRACTICE_ROUTE),
        message_card(
            "search-x",
            tr("Mashq topilmadi", "Тренировка не найдена", "Practice not found"),
            tr(
                "Bunday mashq yo‘q yoki u sizga tegishli emas.",
                "Такой тренировки нет, или она не ваша.",
                "There is no such practice session, or it is not yours.",
            ),
            link_button(
                primary_button(tr("Mashqlarga", "К тренировкам", "To practice")), PRACTICE_ROUTE
            ),
            card_id="practice-not-found",
        ),
        spacing="4",
        width="100%",
    )


def _failed_view() -> rx.Component:
    return rx.vstack(
        page_header(tr("Mashq", "Тренировка", "Practice"), PRACTICE_ROUTE),
        error_callout(
            tr(
                "Ma’lumotlarni o‘qib bo‘lmadi. Birozdan so‘ng qayta urinib ko‘ring.",
                "Не удалось загрузить данные. Попробуйте чуть позже.",
                "The practice could not be loaded. Please try again shortly.",
            ),
            id="practice-failed",
        ),
        rx.button(
            rx.icon("refresh-cw", size=16),
            tr("Qayta urinish", "Повторить", "Try again"),
            variant="soft",
            on_click=PracticeSessionState.refresh,
        ),
        spacing="4",
        width="100%",
    )


def _loading_view(view_id: str = "practice-loading") -> rx.Component:
    return rx.vstack(
        card_skeleton("3rem"),
        card_skeleton("16rem"),
        spacing="4",
        width="100%",
        id=view_id,
    )


def practice_session_page() -> rx.Component:
    """`/app/practice/<id>`: the running session, or its results."""
    return student_shell(
        rx.match(
            PracticeSessionState.phase,
            (PracticePhase.IN_PROGRESS, _running_view()),
            (PracticePhase.SUBMITTED, _results_view()),
            (View.NOT_FOUND, _not_found_view()),
            (View.FAILED, _failed_view()),
            _loading_view(),
        ),
        back_href=PRACTICE_ROUTE,
        confirm_close=PracticeSessionState.phase == PracticePhase.IN_PROGRESS,
    )
