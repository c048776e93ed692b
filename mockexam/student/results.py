"""One exam's results `/app/results/[session_id]` (spec §3.8): scores, grade, Elo, every item.

Only the session's owner sees it, and only after the exam is released: for
anyone else the page says "not found" (whether the session exists is not
told), and before the release "results come out after the window closes".
The state is cleared before every read, so nothing of an earlier page (or of
another student) lingers.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.errors import MockExamError, NotFoundError, PermissionDeniedError
from mockexam.services.history import (
    HistoryEntry,
    ItemResult,
    SessionResults,
    get_history,
    get_session_results,
)
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    card_header,
    error_callout,
    link_button,
    message_card,
    page_skeleton,
    toast_new_awards,
)
from mockexam.student.i18n import tr
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.intl import local_datetime, local_number
from mockexam.ui.layout import section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

HISTORY_HREF = f"{APP_ROOT}/history"


class ResultsView:
    LOADING = "loading"
    READY = "ready"
    NOT_FOUND = "not_found"  # no such session, or not the caller's
    NOT_RELEASED = "not_released"  # the caller's, results not out yet
    FAILED = "failed"  # the database could not be read


class ItemStatus:
    RIGHT = "right"
    WRONG = "wrong"
    BLANK = "blank"
    EXCLUDED = "excluded"  # removed from scoring by the admin


FILTERS = ("all", "wrong", "blank", "flagged")


class ItemView(TypedDict):
    label: str
    answer: str
    correct: list[str]
    status: str
    flagged: bool


def _item_status(item: ItemResult) -> str:
    if item.is_excluded:
        return ItemStatus.EXCLUDED
    if item.answer is None:
        return ItemStatus.BLANK
    return ItemStatus.RIGHT if item.is_correct else ItemStatus.WRONG


def _item_view(item: ItemResult) -> ItemView:
    return {
        "label": item.label,
        "answer": item.answer or "",
        "correct": list(item.accepted_answers),
        "status": _item_status(item),
        "flagged": item.is_flagged,
    }


def _signed(change: int) -> str:
    """`+12`, `−8` (a true minus sign) or `±0`."""
    if change > 0:
        return f"+{change}"
    return f"\u2212{-change}" if change < 0 else "\u00b10"


def _read(student_id: int, session_id: int) -> SessionResults | HistoryEntry:
    """The released results, or (not released yet) the caller's own history entry.

    NotFoundError for a session that is missing or someone else's.
    """
    try:
        return get_session_results(student_id=student_id, session_id=session_id)
    except PermissionDeniedError:
        for entry in get_history(student_id=student_id):
            if entry.session_id == session_id:
                return entry
        raise NotFoundError("This exam result does not exist or is not yours.") from None


class ResultsState(StudentState):
    """The results of one of the caller's sessions (the id comes from the path)."""

    view: str = ResultsView.LOADING
    title: str = ""
    date_iso: str = ""
    points: int = 0
    max_points: int = 0
    exercises: int = 0
    max_exercises: int = 0
    scaled: float = 0.0
    scaled_se: float = 0.0
    has_scaled: bool = False
    has_se: bool = False
    grade: str = ""
    has_elo: bool = False
    elo_before: int = 0
    elo_after: int = 0
    elo_change: int = 0
    elo_change_text: str = ""
    is_provisional: bool = False
    is_auto_submitted: bool = False
    items: list[ItemView] = []
    item_filter: str = "all"
    n_right: int = 0
    n_wrong: int = 0
    n_blank: int = 0
    n_flagged: int = 0
    n_excluded: int = 0

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read this session's results (owner only, after release)."""
        self._clear()
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return None
        session_id = self._path_id()
        if session_id is None:
            self.view = ResultsView.NOT_FOUND
            return None
        try:
            found = await rx.run_in_thread(lambda: _read(student_id, session_id))
        except NotFoundError:
            self.view = ResultsView.NOT_FOUND
            return None
        except (MockExamError, SQLAlchemyError):
            logger.exception("results of session %s could not be read", session_id)
            self.view = ResultsView.FAILED
            return None
        if isinstance(found, HistoryEntry):
            self.title = found.exam_title
            self.date_iso = iso_utc(found.exam_date)
            self.view = ResultsView.NOT_RELEASED
            return None
        self._show(found)
        return await toast_new_awards(student_id, self.lang)

    @rx.event
    def set_item_filter(self, name: str) -> None:
        """Show all items, or only the wrong / blank / flagged ones."""
        if isinstance(name, str) and name in FILTERS:
            self.item_filter = name

    def _clear(self) -> None:
        for name, default in (
            ("view", ResultsView.LOADING),
            ("title", ""),
            ("date_iso", ""),
            ("points", 0),
            ("max_points", 0),
            ("exercises", 0),
            ("max_exercises", 0),
            ("scaled", 0.0),
            ("scaled_se", 0.0),
            ("has_scaled", False),
            ("has_se", False),
            ("grade", ""),
            ("has_elo", False),
            ("elo_before", 0),
            ("elo_after", 0),
            ("elo_change", 0),
            ("elo_change_text", ""),
            ("is_provisional", False),
            ("is_auto_submitted", False),
            ("item_filter", "all"),
            ("n_right", 0),
            ("n_wrong", 0),
            ("n_blank", 0),
            ("n_flagged", 0),
            ("n_excluded", 0),
        ):
            if getattr(self, name) != default:
                setattr(self, name, default)
        if self.items:
            self.items = []

    def _show(self, results: SessionResults) -> None:
        entry = results.entry
        self.title = entry.exam_title
        self.date_iso = iso_utc(entry.exam_date)
        self.points = entry.points or 0
        self.max_points = entry.max_points or 0
        self.exercises = entry.exercises or 0
        self.max_exercises = entry.max_exercises or 0
        self.has_scaled = entry.scaled_score is not None
        self.scaled = round(entry.scaled_score or 0.0, 1)
        self.has_se = entry.scaled_score_se is not None
        self.scaled_se = round(entry.scaled_score_se or 0.0, 1)
        self.grade = entry.grade or ""
        self.has_elo = entry.elo_before is not None and entry.elo_after is not None
        if self.has_elo:
            self.elo_before = round(entry.elo_before or 0)
            self.elo_after = round(entry.elo_after or 0)
            self.elo_change = self.elo_after - self.elo_before
            self.elo_change_text = _signed(self.elo_change)
        self.is_provisional = entry.is_provisional
        self.is_auto_submitted = entry.is_auto_submitted
        self.items = [_item_view(item) for item in results.items]
        statuses = [item["status"] for item in self.items]
        self.n_right = statuses.count(ItemStatus.RIGHT)
        self.n_wrong = statuses.count(ItemStatus.WRONG)
        self.n_blank = statuses.count(ItemStatus.BLANK)
        self.n_excluded = statuses.count(ItemStatus.EXCLUDED)
        self.n_flagged = sum(1 for item in self.items if item["flagged"])
        self.view = ResultsView.READY


# --- the summary --------------------------------------------------------------------------


def _figure(
    label: rx.Var[str], value: rx.Component | rx.Var, total: rx.Var, figure_id: str
) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=theme.HINT, weight="medium"),
        rx.hstack(
            rx.text(value, size="6", weight="bold", line_height="1"),
            rx.text("/", total, size="3", color=theme.HINT, line_height="1"),
            spacing="1",
            align="baseline",
            id=figure_id,
        ),
        spacing="1",
        align="start",
        flex="1",
    )


def _elo_line() -> rx.Component:
    change = ResultsState.elo_change
    return rx.hstack(
        rx.icon("chart-line", size=18, color=theme.HINT),
        rx.text(tr("Elo reyting", "Рейтинг Эло", "Elo rating"), size="2", color=theme.HINT),
        rx.spacer(),
        rx.hstack(
            rx.text(
                local_number(ResultsState.elo_before.to(float), StudentState.lang, 0), size="3"
            ),
            rx.icon("arrow-right", size=14, color=theme.HINT),
            rx.text(
                local_number(ResultsState.elo_after.to(float), StudentState.lang, 0),
                size="3",
                weight="bold",
            ),
            rx.badge(
                ResultsState.elo_change_text,
                color_scheme=rx.cond(change > 0, "green", rx.cond(change < 0, "red", "gray")),
                variant="soft",
                size="2",
                id="results-elo-change",
            ),
            spacing="2",
            align="center",
            id="results-elo",
        ),
        width="100%",
        align="center",
    )


def _notes() -> rx.Component:
    return rx.fragment(
        rx.cond(
            ResultsState.is_provisional,
            rx.callout(
                tr(
                    "Dastlabki ball: ishtirokchilar 10 tadan kam bo‘lgani uchun imtihon "
                    "kalibrlanmadi, ball — to‘g‘ri javoblar foizi.",
                    "Предварительный балл: участников было меньше 10, экзамен не калибровался, "
                    "балл — процент верных ответов.",
                    "Provisional: with fewer than 10 participants the exam was not calibrated; "
                    "the score is your percentage of points.",
                ),
                icon="info",
                size="1",
                color_scheme="amber",
                id="results-provisional",
            ),
        ),
        rx.cond(
            ResultsState.is_auto_submitted,
            rx.callout(
                tr(
                    "Vaqt tugaganda avtomatik topshirildi: saqlangan javoblar hisobga olindi.",
                    "Сдано автоматически по окончании времени: учтены сохранённые ответы.",
                    "Submitted automatically when time ran out: your saved answers counted.",
                ),
                icon="timer-off",
                size="1",
                color_scheme="gray",
                id="results-auto-submitted",
            ),
        ),
    )


def _summary() -> rx.Component:
    lang = StudentState.lang
    return section_card(
        rx.vstack(
            rx.vstack(
                rx.heading(ResultsState.title, size="5", weight="bold", id="results-title"),
                rx.text(
                    local_datetime(ResultsState.date_iso, lang, "date"), size="2", color=theme.HINT
                ),
                spacing="1",
                align="start",
            ),
            rx.hstack(
                rx.vstack(
                    rx.text(
                        tr("Ball (0–100)", "Балл (0–100)", "Score (0–100)"),
                        size="2",
                        color=theme.HINT,
                    ),
                    rx.hstack(
                        rx.text(
                            rx.cond(
                                ResultsState.has_scaled,
                                local_number(ResultsState.scaled, lang, 1),
                                "—",
                            ),
                            size="9",
                            weight="bold",
                            color=theme.ACCENT,
                            line_height="1",
                            id="results-scaled",
                        ),
                        rx.cond(
                            ResultsState.has_se,
                            rx.text(
                                "± ",
                                local_number(ResultsState.scaled_se, lang, 1),
                                size="3",
                                color=theme.HINT,
                                id="results-se",
                            ),
                        ),
                        align="baseline",
                        spacing="2",
                    ),
                    spacing="2",
                    align="start",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text(tr("Baho", "Оценка", "Grade"), size="2", color=theme.HINT),
                    rx.center(
                        rx.text(ResultsState.grade, size="7", weight="bold", line_height="1"),
                        min_width="3.5rem",
                        height="3.5rem",
                        padding_x="0.5rem",
                        border_radius="var(--radius-4)",
                        background=theme.BUTTON,
                        color=theme.BUTTON_TEXT,
                        id="results-grade",
                    ),
                    spacing="2",
                    align="end",
                ),
                width="100%",
                align="end",
            ),
            rx.separator(size="4"),
            rx.hstack(
                _figure(
                    tr("Ball", "Баллы", "Points"),
                    ResultsState.points.to_string(),
                    ResultsState.max_points.to_string(),
                    "results-points",
                ),
                _figure(
                    tr("Topshiriqlar", "Задания", "Exercises"),
                    ResultsState.exercises.to_string(),
                    ResultsState.max_exercises.to_string(),
                    "results-exercises",
                ),
                width="100%",
                spacing="4",
            ),
            rx.cond(ResultsState.has_elo, rx.fragment(rx.separator(size="4"), _elo_line())),
            spacing="4",
            width="100%",
        ),
        id="results-summary",
    )


# --- the items ----------------------------------------------------------------------------


def _chip(name: str, label: rx.Var[str], count: rx.Var[int] | None) -> rx.Component:
    active = ResultsState.item_filter == name
    counter = rx.text(count.to_string(), as_="span", opacity="0.7") if count is not None else None
    return rx.button(
        label,
        *([counter] if counter is not None else []),
        size="1",
        radius="full",
        variant="soft",
        color_scheme="gray",
        background_color=rx.cond(active, theme.BUTTON, "var(--gray-a3)"),
        color=rx.cond(active, theme.BUTTON_TEXT, theme.TEXT),
        on_click=ResultsState.set_item_filter(name),
        id=f"filter-{name}",
        aria_pressed=rx.cond(active, "true", "false"),
    )


def _mark(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        (ItemStatus.RIGHT, rx.icon("circle-check", size=20, color="var(--green-10)")),
        (ItemStatus.WRONG, rx.icon("circle-x", size=20, color="var(--red-10)")),
        (ItemStatus.BLANK, rx.icon("circle-minus", size=20, color=theme.HINT)),
        rx.icon("circle-slash", size=20, color=theme.HINT),
    )


def _visible(item: rx.Var[ItemView]) -> rx.Var[bool]:
    chosen = ResultsState.item_filter
    status = item["status"].to(str)
    return (
        (chosen == "all")
        | ((chosen == "wrong") & (status == ItemStatus.WRONG))
        | ((chosen == "blank") & (status == ItemStatus.BLANK))
        | ((chosen == "flagged") & item["flagged"].to(bool))
    )


_ROW_COLUMNS = "2.75rem minmax(0, 1fr) minmax(0, 1fr) 1.5rem"


def _item_row(item: rx.Var[ItemView]) -> rx.Component:
    status = item["status"].to(str)
    answer_colour = rx.match(
        status,
        (ItemStatus.RIGHT, "var(--green-11)"),
        (ItemStatus.WRONG, "var(--red-11)"),
        theme.HINT,
    )
    return rx.grid(
        rx.hstack(
            rx.text(item["label"].to(str), size="2", weight="bold"),
            rx.cond(item["flagged"].to(bool), rx.icon("flag", size=12, color="var(--amber-10)")),
            spacing="1",
            align="center",
        ),
        rx.text(
            rx.cond(item["answer"].to(str) != "", item["answer"].to(str), "—"),
            size="2",
            weight="medium",
            color=answer_colour,
            overflow_wrap="anywhere",
            class_name="item-answer",
        ),
        rx.flex(
            rx.foreach(
                item["correct"].to(list[str]),
                lambda accepted: rx.code(accepted, size="2", variant="soft", color_scheme="gray"),
            ),
            wrap="wrap",
            gap="1",
            class_name="item-correct",
        ),
        _mark(status),
        columns=_ROW_COLUMNS,
        align_items="center",
        gap="2",
        padding_y="0.55rem",
        border_bottom=f"1px solid {theme.tg_color('section-separator-color', 'var(--gray-a4)')}",
        opacity=rx.cond(status == ItemStatus.EXCLUDED, "0.55", "1"),
        display=rx.cond(_visible(item), "grid", "none"),
        id="item-" + item["label"].to(str),
        data_status=status,
    )


def _items() -> rx.Component:
    chosen = ResultsState.item_filter
    empty = rx.match(
        chosen,
        ("wrong", ResultsState.n_wrong == 0),
        ("blank", ResultsState.n_blank == 0),
        ("flagged", ResultsState.n_flagged == 0),
        False,
    )
    return section_card(
        rx.vstack(
            card_header(
                tr("Javoblar", "Ответы", "Answers"),
                rx.text(
                    ResultsState.n_right.to_string(),
                    tr(" to‘g‘ri", " верно", " right"),
                    size="2",
                    color=theme.HINT,
                ),
                align="center",
            ),
            rx.flex(
                _chip("all", tr("Hammasi", "Все", "All"), None),
                _chip("wrong", tr("Xato", "Ошибки", "Wrong"), ResultsState.n_wrong),
                _chip("blank", tr("Bo‘sh", "Пустые", "Blank"), ResultsState.n_blank),
                _chip(
                    "flagged", tr("Belgilangan", "Отмеченные", "Flagged"), ResultsState.n_flagged
                ),
                wrap="wrap",
                gap="2",
                id="results-filters",
            ),
            rx.grid(
                rx.text("№", size="1", color=theme.HINT),
                rx.text(tr("Sizniki", "Ваш", "Yours"), size="1", color=theme.HINT),
                rx.text(tr("To‘g‘ri", "Верный", "Correct"), size="1", color=theme.HINT),
                rx.box(),
                columns=_ROW_COLUMNS,
                gap="2",
                width="100%",
                padding_top="0.25rem",
            ),
            rx.box(
                rx.foreach(ResultsState.items, _item_row),
                rx.cond(
                    empty,
                    rx.text(
                        tr("Bunday savol yo‘q.", "Таких заданий нет.", "No such items."),
                        size="2",
                        color=theme.HINT,
                        padding_y="0.75rem",
                        id="items-empty",
                    ),
                ),
                width="100%",
                id="results-items",
            ),
            rx.cond(
                ResultsState.n_excluded > 0,
                rx.text(
                    tr(
                        "Xiralashgan savollar baholashdan chiqarilgan.",
                        "Бледные задания исключены из подсчёта.",
                        "Faded items were removed from scoring.",
                    ),
                    size="1",
                    color=theme.HINT,
                ),
            ),
            spacing="3",
            width="100%",
        ),
        id="results-answers",
    )


# --- the other views ------------------------------------------------------------------------


def _message(
    icon: str, title: rx.Var[str], text: rx.Var[str], view_id: str, *extra
) -> rx.Component:
    history_link = link_button(
        rx.button(
            tr("Imtihonlar tarixi", "История экзаменов", "Exam history"),
            size="3",
            width="100%",
            variant="soft",
        ),
        HISTORY_HREF,
    )
    return message_card(icon, title, text, *extra, history_link, card_id=view_id)


def _not_released() -> rx.Component:
    return _message(
        "hourglass",
        tr("Natijalar hali chiqmagan", "Результатов ещё нет", "Results are not out yet"),
        tr(
            "Natijalar imtihon oynasi yopilgandan keyin e’lon qilinadi — tayyor bo‘lganda bot "
            "xabar beradi.",
            "Результаты появятся после закрытия окна экзамена — бот сообщит, когда они будут "
            "готовы.",
            "Results come out after the exam window closes; the bot tells you when they are ready.",
        ),
        "results-not-released",
        rx.text(ResultsState.title, size="3", weight="bold"),
    )


def _not_found() -> rx.Component:
    return _message(
        "search-x",
        tr("Natija topilmadi", "Результат не найден", "Result not found"),
        tr(
            "Bunday natija yo‘q yoki u sizga tegishli emas.",
            "Такого результата нет, или он принадлежит не вам.",
            "This result does not exist or is not yours.",
        ),
        "results-not-found",
    )


def results_page() -> rx.Component:
    """`/app/results/[session_id]`: one released exam of the caller, item by item."""
    return student_shell(
        page_header(tr("Natijalar", "Результаты", "Results"), back_href=HISTORY_HREF),
        rx.match(
            ResultsState.view,
            (
                ResultsView.READY,
                rx.vstack(
                    _summary(),
                    _notes(),
                    _items(),
                    rx.box(id="results-ready"),
                    spacing="4",
                    align="stretch",
                    width="100%",
                ),
            ),
            (ResultsView.NOT_RELEASED, _not_released()),
            (ResultsView.NOT_FOUND, _not_found()),
            (
                ResultsView.FAILED,
                error_callout(
                    tr(
                        "Natijalarni o‘qib bo‘lmadi. Birozdan so‘ng qayta urinib ko‘ring.",
                        "Не удалось загрузить результаты. Попробуйте чуть позже.",
                        "The results could not be read. Please try again shortly.",
                    ),
                    id="results-failed",
                ),
            ),
            page_skeleton(),
        ),
        back_href=HISTORY_HREF,
    )


RESULTS_ROUTE = f"{APP_ROOT}/results/[session_id]"
RESULTS_ON_LOAD = student_on_load(ResultsState.load)
