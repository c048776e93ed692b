"""The history page `/app/history` (spec §7): every exam taken, and the Elo trend.

Rows of released exams open their results; an exam in progress or waiting
for its results is shown as such and opens the exam page. The Elo chart is a
small Plotly figure built by `mockexam.charts`.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import plotly.graph_objects as go
import reflex as rx

from mockexam.charts import (
    CHART_HEIGHT,
    PLOT_CONFIG,
    elo_trend_figure,
    shared_blank_figure,
)
from mockexam.models import SessionStatus
from mockexam.scoring.points import format_fraction
from mockexam.services.history import EloSeries, HistoryEntry, get_elo_series, get_history
from mockexam.services.reports import report_link
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.certificate import download_script
from mockexam.student.components import (
    in_reader_language,
    link_button,
    loaded_content,
    message_card,
    primary_button,
    provisional_note_texts,
    read_or_fail,
)
from mockexam.student.i18n import pick, tr
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.backend import BACKEND_ORIGIN
from mockexam.ui.intl import local_datetime, local_number
from mockexam.ui.layout import section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)


class HistoryRow(TypedDict):
    session_id: int
    title: str
    date_iso: str
    status: str
    href: str
    points: str  # "143.7/189" (English), "" until released
    points_comma: str  # "143,7/189" (Uzbek, Russian)
    exercises: str  # "38/45"
    has_scaled: bool
    scaled: float
    grade: str  # "" while provisional (services/history.py `calibrated_only`)
    has_elo: bool
    elo_change: int
    elo_change_text: str
    is_provisional: bool
    own_scale: bool  # released on its own scale while others are linked: not comparable


def _signed(change: int) -> str:
    if change > 0:
        return f"+{change}"
    return f"\u2212{-change}" if change < 0 else "\u00b10"


def _fraction(value: float | None, total: float | None, lang: str = "en") -> str:
    return format_fraction(value, total, lang)


def _row(entry: HistoryEntry, any_linked: bool = False) -> HistoryRow:
    released = entry.is_released
    change = round(entry.elo_change) if entry.elo_change is not None else 0
    return {
        "session_id": entry.session_id,
        "title": entry.exam_title,
        "date_iso": iso_utc(entry.exam_date),
        "status": str(entry.status),
        "href": f"{APP_ROOT}/results/{entry.session_id}"
        if released
        else f"{APP_ROOT}/exam/{entry.exam_id}",
        "points": _fraction(entry.points, entry.max_points),
        "points_comma": _fraction(entry.points, entry.max_points, "ru"),
        "exercises": _fraction(entry.exercises, entry.max_exercises),
        "has_scaled": entry.scaled_score is not None,
        "scaled": round(entry.scaled_score or 0.0, 1),
        "grade": entry.grade or "",
        "has_elo": entry.elo_change is not None,
        "elo_change": change,
        "elo_change_text": _signed(change),
        "is_provisional": entry.is_provisional,
        "own_scale": released
        and any_linked
        and not entry.is_provisional
        and not entry.on_common_scale,
    }


def _elo_figure(series: EloSeries, entries: list[HistoryEntry], lang: str) -> go.Figure:
    """The trend, each exam at its date as in the list (day.month: the same in every language)."""
    exam_dates = {e.exam_id: e.exam_date for e in entries}
    return elo_trend_figure(
        start_elo=series.start or 0.0,
        elos=[p.elo_after for p in series.points],
        tick_labels=[f"{exam_dates.get(p.exam_id, p.date):%d.%m}" for p in series.points],
        hover_titles=[p.exam_title for p in series.points],
        start_label=pick(lang, "Boshlanish", "Старт", "Start"),
        # Hollow: rated by its takers, off the linked scale (only once some exam is on it).
        own_scale=[not p.on_common_scale for p in series.points]
        if any(p.on_common_scale for p in series.points)
        else None,
    )


class HistoryState(StudentState):
    """The caller's exams, newest first, and their Elo over time."""

    loaded: bool = False
    failed: bool = False
    rows: list[HistoryRow] = []
    provisional_note: dict[str, str] = {}  # why a provisional row has no grade, by language
    has_chart: bool = False
    report_path: str = ""  # the signed link to the parents' report ("" before any result)
    elo_mixed: bool = False  # some exams rated on the linked scale, some on their own
    elo_now: int = 0
    elo_figure: go.Figure = rx.field(default_factory=shared_blank_figure)

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read the history and the Elo series (one worker thread)."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return
        found = await read_or_fail(
            self,
            lambda: (get_history(student_id=student_id), get_elo_series(student_id=student_id)),
            logger,
            "history of student %s could not be read",
            student_id,
        )
        if found is None:
            return
        entries, series = found
        any_linked = any(e.on_common_scale for e in entries)
        self.rows = [_row(e, any_linked) for e in entries]
        provisional = any(e.is_provisional for e in entries)
        self.provisional_note = provisional_note_texts() if provisional else {}
        self.has_chart = bool(series.points)
        released = any(e.status == SessionStatus.RELEASED for e in entries)
        self.report_path = report_link(student_id=student_id, lang=self.lang) if released else ""
        self.elo_mixed = any(p.on_common_scale for p in series.points) and not all(
            p.on_common_scale for p in series.points
        )
        if series.points:
            self.elo_now = round(series.current or 0.0)
            self.elo_figure = _elo_figure(series, entries, self.lang)
        self.failed, self.loaded = False, True


# --- components --------------------------------------------------------------------------


def _badge(icon: str, text: rx.Var[str], colour: str) -> rx.Component:
    return rx.badge(rx.icon(icon, size=12), text, color_scheme=colour, variant="soft")


def _status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        (
            SessionStatus.IN_PROGRESS.value,
            _badge("pencil", tr("Davom etmoqda", "Идёт", "In progress"), "amber"),
        ),
        (
            SessionStatus.SUBMITTED.value,
            _badge(
                "hourglass",
                tr("Natija kutilmoqda", "Ждёт результатов", "Waiting for results"),
                "gray",
            ),
        ),
        rx.fragment(),
    )


def _figure(label: rx.Var[str], value: rx.Component | rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=theme.HINT),
        rx.text(value, size="2", weight="bold"),
        spacing="0",
        align="start",
        min_width="0",
    )


def _released_figures(row: rx.Var[HistoryRow]) -> rx.Component:
    change = row["elo_change"].to(int)
    return rx.grid(
        _figure(
            tr("Ball", "Баллы", "Points"),
            rx.cond(StudentState.lang == "en", row["points"].to(str), row["points_comma"].to(str)),
        ),
        _figure(tr("Topshiriq", "Задания", "Exercises"), row["exercises"].to(str)),
        _figure(
            rx.cond(
                row["is_provisional"].to(bool),
                tr("Foiz", "Процент", "Percent"),
                tr("Shkala", "Шкала", "Scaled"),
            ),
            rx.cond(
                row["has_scaled"].to(bool),
                rx.fragment(
                    local_number(row["scaled"].to(float), StudentState.lang, 1),
                    rx.cond(row["is_provisional"].to(bool), "%", ""),
                ),
                "—",
            ),
        ),
        _figure(
            "Elo",
            rx.cond(
                row["has_elo"].to(bool),
                rx.text(
                    row["elo_change_text"].to(str),
                    as_="span",
                    color=rx.cond(
                        change > 0,
                        "var(--green-11)",
                        rx.cond(change < 0, "var(--red-11)", theme.HINT),
                    ),
                ),
                "—",
            ),
        ),
        columns="4",
        gap="2",
        width="100%",
    )


def _history_row(row: rx.Var[HistoryRow]) -> rx.Component:
    released = row["status"].to(str) == SessionStatus.RELEASED.value
    return rx.link(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(
                        row["title"].to(str),
                        size="3",
                        weight="bold",
                        color=theme.TEXT,
                        flex="1",
                        min_width="0",
                        overflow="hidden",
                        text_overflow="ellipsis",
                        white_space="nowrap",
                    ),
                    rx.cond(
                        released & (row["grade"].to(str) != ""),
                        rx.badge(
                            row["grade"].to(str),
                            size="2",
                            background_color=theme.BUTTON,
                            color=theme.BUTTON_TEXT,
                        ),
                    ),
                    width="100%",
                    align="center",
                    spacing="2",
                ),
                rx.hstack(
                    rx.text(
                        local_datetime(row["date_iso"].to(str), StudentState.lang, "date"),
                        size="1",
                        color=theme.HINT,
                    ),
                    _status_badge(row["status"].to(str)),
                    spacing="2",
                    align="center",
                ),
                rx.cond(released, _released_figures(row)),
                rx.cond(
                    released & row["is_provisional"].to(bool),
                    rx.text(
                        in_reader_language(HistoryState.provisional_note),
                        size="1",
                        color=theme.HINT,
                        class_name="provisional-note",
                    ),
                ),
                rx.cond(
                    row["own_scale"].to(bool),
                    rx.text(
                        tr(
                            "Bu imtihon o‘z shkalasida: balli boshqa haftalarnikiga to‘g‘ridan "
                            "to‘g‘ri solishtirilmaydi.",
                            "Этот экзамен на своей шкале: его балл нельзя прямо сравнивать "
                            "с другими неделями.",
                            "This exam is on its own scale: its score does not compare "
                            "directly with other weeks'.",
                        ),
                        size="1",
                        color=theme.HINT,
                        class_name="own-scale",
                    ),
                ),
                spacing="2",
                align="start",
                width="100%",
                min_width="0",
            ),
            rx.icon("chevron-right", size=18, color=theme.HINT, flex_shrink="0"),
            align="center",
            spacing="2",
            width="100%",
            padding_y="0.75rem",
            border_bottom=f"1px solid {theme.tg_color('section-separator-color', 'var(--gray-a4)')}",
        ),
        href=row["href"].to(str),
        underline="none",
        color=theme.TEXT,
        display="block",
        id="history-row-" + row["session_id"].to(int).to_string(),
        data_status=row["status"].to(str),
    )


def _chart_card() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(
                        tr("Elo reyting", "Рейтинг Эло", "Elo rating"), size="2", color=theme.HINT
                    ),
                    rx.text(
                        local_number(HistoryState.elo_now.to(float), StudentState.lang, 0),
                        size="7",
                        weight="bold",
                        line_height="1",
                        id="history-elo-now",
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.spacer(),
                rx.icon("chart-line", size=22, color=theme.HINT),
                width="100%",
                align="start",
            ),
            rx.box(
                rx.plotly.basic(
                    data=HistoryState.elo_figure,
                    config=PLOT_CONFIG,
                    use_resize_handler=True,
                    template=go.layout.Template(),
                    style={"width": "100%", "height": f"{CHART_HEIGHT}px"},
                    id="elo-chart",
                ),
                width="100%",
                height=f"{CHART_HEIGHT}px",
                margin_x="-0.25rem",
            ),
            rx.cond(
                HistoryState.elo_mixed,
                rx.text(
                    tr(
                        "To‘liq nuqtalar: umumiy shkaladagi imtihonlar, reyting varaq "
                        "qiyinligidan — o‘sishingiz ko‘rinadi. Bo‘sh nuqtalar: o‘z shkalasidagi "
                        "imtihonlar, reyting boshqa ishtirokchilarga nisbatan.",
                        "Закрашенные точки — экзамены на общей шкале: рейтинг считается от "
                        "трудности варианта, и ваш рост виден. Пустые — экзамены на своей "
                        "шкале: рейтинг относительно других участников.",
                        "Filled points: exams on the common scale, rated from the paper's "
                        "difficulty, so your growth shows. Hollow: exams on their own scale, "
                        "rated against the other takers.",
                    ),
                    size="1",
                    color=theme.HINT,
                    id="elo-scale-note",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="elo-card",
    )


def _empty() -> rx.Component:
    return message_card(
        "history",
        tr("Hali imtihon topshirilmagan", "Экзаменов пока нет", "No exams yet"),
        tr(
            "Topshirgan imtihonlaringiz va Elo reytingingiz o‘zgarishi shu yerda "
            "ko‘rinadi. Keyingi imtihon bosh sahifada.",
            "Здесь появятся ваши экзамены и график рейтинга Эло. Следующий экзамен — на главной.",
            "Your exams and your Elo trend appear here. The next exam is on the home screen.",
        ),
        link_button(
            primary_button(tr("Keyingi imtihon", "Следующий экзамен", "Next exam")), APP_ROOT
        ),
        card_id="history-empty",
    )


def _report_link() -> rx.Component:
    """The parents' report (PDF): scores on the linked scale, Elo, strengths, achievements."""
    return rx.el.a(
        rx.button(
            rx.icon("file_text", size=16),
            tr(
                "Ota-onalar uchun hisobot (PDF)",
                "Отчёт для родителей (PDF)",
                "Report for parents (PDF)",
            ),
            variant="soft",
            size="2",
            width="100%",
        ),
        href=BACKEND_ORIGIN + HistoryState.report_path,
        download="report.pdf",
        on_click=[rx.prevent_default, rx.call_script(download_script("report-download"))],
        id="report-download",
        width="100%",
    )


def history_page() -> rx.Component:
    """`/app/history`: the student's exams and Elo trend."""
    return student_shell(
        page_header(tr("Imtihonlar tarixi", "История экзаменов", "Exam history")),
        loaded_content(
            HistoryState,
            rx.cond(
                HistoryState.rows.length() > 0,
                rx.vstack(
                    rx.cond(HistoryState.has_chart, _chart_card()),
                    rx.cond(HistoryState.report_path != "", _report_link()),
                    section_card(
                        rx.foreach(HistoryState.rows, _history_row),
                        id="history-list",
                        padding_y="0.25rem",
                        style={"& > a:last-of-type > div": {"border_bottom": "none"}},
                    ),
                    rx.box(id="history-ready"),
                    spacing="4",
                    align="stretch",
                    width="100%",
                ),
                _empty(),
            ),
        ),
        tab="history",
    )


HISTORY_ROUTE = f"{APP_ROOT}/history"
HISTORY_ON_LOAD = student_on_load(HistoryState.load)
