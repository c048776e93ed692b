"""One exam's results `/app/results/[session_id]` (spec §3.8): scores, grade, Elo, every item.

Only the session's owner sees it, and only after the exam is released: for
anyone else the page says "not found" (whether the session exists is not
told), and before the release "results come out after the window closes".
The state is cleared before every read, so nothing of an earlier page (or of
another student) lingers.

The page follows the exam's layout: a DTM block test (official score: points)
shows 143,7/189 first and the 0–100 scaled score beside it, the certificate the
scaled score first; a sheet of two sections or more lists each section's
subtotal (and the block's own scaled score where it was measured), and the
review puts each section's heading over its items.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.errors import MockExamError, NotFoundError, PermissionDeniedError
from mockexam.scoring.layout import POINTS
from mockexam.scoring.points import points_number
from mockexam.services.history import (
    HistoryEntry,
    ItemResult,
    SectionResult,
    SessionResults,
    get_history,
    get_session_results,
)
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.certificate import CertificateState, certificate_card
from mockexam.student.components import (
    card_header,
    error_callout,
    in_reader_language,
    link_button,
    message_card,
    page_skeleton,
    provisional_note_texts,
    provisional_score_label,
    toast_new_awards,
)
from mockexam.student.i18n import tr
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.i18n import russian_form
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
    section: int  # index into ResultsState.sections
    first: bool  # the first item of its section on a sheet of two sections or more


class SectionView(TypedDict):
    index: int
    uz: str  # the section's title in each language
    ru: str
    en: str
    numbers: str  # "1–10"
    each: dict[str, str]  # "1,1 points each" by language (the number is formatted there)
    points: float
    max_points: float
    digits: int  # decimals the points need (143.7: 1)
    max_digits: int  # decimals the maximum needs (93: 0, so 71,3/93 and not /93,0)
    exercises: int
    max_exercises: int
    has_scaled: bool  # the block's own Rasch score was measured
    scaled: float


def decimals(*values: float | None) -> int:
    """Decimals needed to show every value exactly (55 → 0, 143.7 → 1, 0.55 → 2)."""
    out = 0
    for value in values:
        number = points_number(value)
        if isinstance(number, float):
            out = max(out, len(repr(number).split(".")[1]))
    return out


def _each(points: float) -> dict[str, str]:
    """ "har biri 1,1 ball", "1,1 балла за задание", "1.1 points each" (the points of one item)."""
    number = str(points_number(points))
    local = number.replace(".", ",")
    return {
        "uz": f"har biri {local} ball",
        "ru": f"{local} {russian_form(points, 'балл', 'балла', 'баллов')} за задание",
        "en": f"{number} {'point' if points == 1 else 'points'} each",
    }


def _section_view(section: SectionResult) -> SectionView:
    numbers = (
        str(section.first) if section.first == section.last else f"{section.first}–{section.last}"
    )
    return {
        "index": section.index,
        "uz": section.title("uz"),
        "ru": section.title("ru"),
        "en": section.title("en"),
        "numbers": numbers,
        "each": _each(section.item_points),
        "points": float(section.points or 0),
        "max_points": float(section.max_points or 0),
        "digits": decimals(section.points, section.max_points),
        "max_digits": decimals(section.max_points),
        "exercises": section.exercises or 0,
        "max_exercises": section.max_exercises or 0,
        "has_scaled": section.scaled is not None,
        "scaled": round(float(section.scaled or 0.0), 1),
    }


def _item_status(item: ItemResult) -> str:
    if item.is_excluded:
        return ItemStatus.EXCLUDED
    if item.answer is None:
        return ItemStatus.BLANK
    return ItemStatus.RIGHT if item.is_correct else ItemStatus.WRONG


def _item_view(item: ItemResult, first: bool = False) -> ItemView:
    return {
        "label": item.label,
        "answer": item.answer or "",
        "correct": list(item.accepted_answers),
        "status": _item_status(item),
        "flagged": item.is_flagged,
        "section": item.section,
        "first": first,
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
    points: float = 0
    max_points: float = 0
    points_digits: int = 0  # decimals the points need (143.7: 1)
    max_digits: int = 0  # decimals the maximum needs (189: 0, so 143,7/189 and not /189,0)
    official_points: bool = False  # the layout's official score is the points (DTM)
    sections: list[SectionView] = []
    exercises: int = 0
    max_exercises: int = 0
    scaled: float = 0.0
    scaled_se: float = 0.0
    has_scaled: bool = False
    has_se: bool = False
    grade: str = ""  # "" while provisional (services/history.py `calibrated_only`)
    has_elo: bool = False
    elo_before: int = 0
    elo_after: int = 0
    elo_change: int = 0
    elo_change_text: str = ""
    is_provisional: bool = False
    provisional_note: dict[str, str] = {}  # why no grade and no ±, by language
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
        return await toast_new_awards(
            student_id, self.lang, see_all_href=f"{APP_ROOT}/achievements"
        )

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
            ("points_digits", 0),
            ("max_digits", 0),
            ("official_points", False),
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
        if self.sections:
            self.sections = []
        if self.provisional_note:
            self.provisional_note = {}

    def _show(self, results: SessionResults) -> None:
        entry = results.entry
        self.title = entry.exam_title
        self.date_iso = iso_utc(entry.exam_date)
        self.points = entry.points or 0
        self.max_points = entry.max_points or 0
        self.points_digits = decimals(entry.points, entry.max_points)
        self.max_digits = decimals(entry.max_points)
        self.official_points = entry.official_score == POINTS
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
        if entry.is_provisional:
            self.provisional_note = provisional_note_texts()
        self.is_auto_submitted = entry.is_auto_submitted
        grouped = len(results.sections) >= 2
        self.sections = [_section_view(section) for section in results.sections] if grouped else []
        previous = None
        views = []
        for item in results.items:
            views.append(_item_view(item, first=grouped and item.section != previous))
            previous = item.section
        self.items = views
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
                in_reader_language(ResultsState.provisional_note),
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


def _title(view: rx.Var) -> rx.Var[str]:
    """A section's title (a SectionView) in the reader's language."""
    return rx.match(StudentState.lang, ("ru", view["ru"]), ("en", view["en"]), view["uz"]).to(str)


def _points(value: rx.Var, digits: rx.Var[int]) -> rx.Component:
    return local_number(value.to(float), StudentState.lang, digits)


def _scaled_number(size: str) -> rx.Component:
    lang = StudentState.lang
    return rx.hstack(
        rx.text(
            rx.cond(ResultsState.has_scaled, local_number(ResultsState.scaled, lang, 1), "—"),
            size=size,
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
    )


def _scaled_label() -> rx.Component:
    return rx.text(
        rx.cond(
            ResultsState.is_provisional,
            provisional_score_label(),
            tr("Ball (0–100)", "Балл (0–100)", "Score (0–100)"),
        ),
        size="2",
        color=theme.HINT,
    )


def _headline() -> rx.Component:
    """The official score, big: the points of a DTM block test, else the scaled score."""
    digits = ResultsState.points_digits
    return rx.cond(
        ResultsState.official_points,
        rx.vstack(
            rx.text(tr("Ball", "Баллы", "Points"), size="2", color=theme.HINT),
            rx.hstack(
                rx.text(
                    _points(ResultsState.points, digits),
                    size="9",
                    weight="bold",
                    color=theme.ACCENT,
                    line_height="1",
                ),
                rx.text(
                    "/",
                    _points(ResultsState.max_points, ResultsState.max_digits),
                    size="5",
                    color=theme.HINT,
                ),
                align="baseline",
                spacing="1",
                id="results-points",
            ),
            spacing="2",
            align="start",
        ),
        rx.vstack(_scaled_label(), _scaled_number("9"), spacing="2", align="start"),
    )


def _second_figure() -> rx.Component:
    """Beside the exercises: the scaled score (DTM), else the points."""
    digits = ResultsState.points_digits
    return rx.cond(
        ResultsState.official_points,
        rx.vstack(_scaled_label(), _scaled_number("6"), spacing="1", align="start", flex="1"),
        _figure(
            tr("Ball", "Баллы", "Points"),
            _points(ResultsState.points, digits),
            _points(ResultsState.max_points, ResultsState.max_digits),
            "results-points",
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
                _headline(),
                rx.spacer(),
                # No grade while provisional (the note under the summary says why).
                rx.cond(
                    ResultsState.grade != "",
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
                ),
                width="100%",
                align="end",
            ),
            rx.separator(size="4"),
            rx.hstack(
                _second_figure(),
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


# --- the sections -------------------------------------------------------------------------


def _section_row(view: rx.Var[SectionView]) -> rx.Component:
    lang = StudentState.lang
    each = view["each"]
    digits = view["digits"].to(int)
    return rx.hstack(
        rx.vstack(
            rx.text(_title(view), size="2", weight="bold"),
            rx.text(
                view["numbers"].to(str),
                " · ",
                rx.match(lang, ("ru", each["ru"]), ("en", each["en"]), each["uz"]),
                size="1",
                color=theme.HINT,
            ),
            spacing="0",
            align="start",
            flex="1",
            min_width="0",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(_points(view["points"], digits), size="3", weight="bold"),
                rx.text(
                    "/",
                    _points(view["max_points"], view["max_digits"].to(int)),
                    size="2",
                    color=theme.HINT,
                ),
                spacing="1",
                align="baseline",
                class_name="section-points",
            ),
            rx.text(
                view["exercises"].to_string(),
                "/",
                view["max_exercises"].to_string(),
                tr(" topshiriq", " заданий", " exercises"),
                size="1",
                color=theme.HINT,
            ),
            rx.cond(
                view["has_scaled"].to(bool),
                rx.text(
                    "0–100: ",
                    local_number(view["scaled"].to(float), lang, 1),
                    size="1",
                    color=theme.HINT,
                    class_name="section-scaled",
                ),
            ),
            spacing="0",
            align="end",
        ),
        width="100%",
        align="center",
        padding_y="0.5rem",
        border_bottom=f"1px solid {theme.tg_color('section-separator-color', 'var(--gray-a4)')}",
        id="section-" + view["index"].to_string(),
        class_name="results-section",
    )


def _sections() -> rx.Component:
    return rx.cond(
        ResultsState.sections.length() > 0,
        section_card(
            rx.vstack(
                card_header(tr("Bo‘limlar", "Разделы", "Sections"), rx.fragment()),
                rx.box(rx.foreach(ResultsState.sections, _section_row), width="100%"),
                spacing="2",
                width="100%",
            ),
            id="results-sections",
        ),
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


def _item_heading(item: rx.Var[ItemView]) -> rx.Component:
    """The section's title over its first item (all items shown, two sections or more)."""
    view = ResultsState.sections[item["section"].to(int)]
    return rx.cond(
        item["first"].to(bool) & (ResultsState.item_filter == "all"),
        rx.text(
            _title(view),
            size="2",
            weight="bold",
            padding_top="0.75rem",
            padding_bottom="0.25rem",
            class_name="items-section-heading",
        ),
    )


def _item_row(item: rx.Var[ItemView]) -> rx.Component:
    return rx.fragment(_item_heading(item), _item_grid(item))


def _item_grid(item: rx.Var[ItemView]) -> rx.Component:
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
                    certificate_card(),
                    _sections(),
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
RESULTS_ON_LOAD = [student_on_load(ResultsState.load), student_on_load(CertificateState.load)]
