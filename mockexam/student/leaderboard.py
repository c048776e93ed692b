"""The leaderboard `/app/leaderboard` (spec §5): three boards, top 50, your own rank pinned.

Names come only with the top rows (the service never returns others); the
caller's own row is always shown at the bottom ("#127 of 500"), and
highlighted in the list when it is in the top.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx

from mockexam.gamification.leaderboard import Board
from mockexam.services.leaderboard import Leaderboard, get_leaderboard
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import loaded_content, message_card, read_or_fail
from mockexam.student.i18n import tr
from mockexam.student.shell import APP_ROOT, TAB_BAR_HEIGHT, page_header, student_shell
from mockexam.text import strip_bidi
from mockexam.ui import theme
from mockexam.ui.intl import local_number
from mockexam.ui.layout import section_card

logger = logging.getLogger(__name__)

BOARDS: tuple[str, ...] = tuple(b.value for b in Board)


class RankRow(TypedDict):
    rank: int
    name: str
    value: int
    is_you: bool


class LeaderboardState(StudentState):
    """One board at a time; switching tabs reads the chosen board."""

    loaded: bool = False
    failed: bool = False
    board: str = Board.TOP_RATED.value
    rows: list[RankRow] = []
    total: int = 0
    has_you: bool = False
    you_rank: int = 0
    you_value: int = 0
    you_in_top: bool = False

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read the current board."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return
        await self._read(student_id, self.board)

    @rx.event
    async def select_board(self, board: str | list[str]):
        """Show another board; an unknown name or a tab that has not signed in changes nothing."""
        student_id = self._signed_in()
        if student_id is None or not isinstance(board, str) or board not in BOARDS:
            return
        await self._read(student_id, board)

    async def _read(self, student_id: int, board: str) -> None:
        result: Leaderboard | None = await read_or_fail(
            self,
            lambda: get_leaderboard(student_id=student_id, board=board),
            logger,
            "leaderboard %s for student %s could not be read",
            board,
            student_id,
        )
        if result is None:
            return
        self.board = board
        self.rows = [
            {"rank": r.rank, "name": strip_bidi(r.name), "value": r.value, "is_you": r.is_you}
            for r in result.rows
        ]
        self.total = result.total
        you = result.you
        self.has_you = you is not None
        self.you_rank = you.rank if you is not None else 0
        self.you_value = you.value if you is not None else 0
        self.you_in_top = any(r.is_you for r in result.rows)
        self.failed, self.loaded = False, True


# --- components --------------------------------------------------------------------------


def _value(value: rx.Var[int]) -> rx.Component:
    """The board's figure as shown: Elo, signed 30-day gain, or exams taken."""
    lang = StudentState.lang
    return rx.match(
        LeaderboardState.board,
        (
            Board.MOST_IMPROVED.value,
            rx.text(
                rx.cond(value > 0, "+", rx.cond(value < 0, "\u2212", "")),
                local_number(rx.cond(value < 0, -value, value).to(float), lang, 0),
                as_="span",
            ),
        ),
        (
            Board.MOST_ACTIVE.value,
            rx.text(value.to_string(), tr(" ta", " экз.", " exams"), as_="span"),
        ),
        rx.text(local_number(value.to(float), lang, 0), as_="span"),
    )


def _rank_disc(rank: rx.Var[int]) -> rx.Component:
    medal = rx.match(
        rank,
        (1, "#f5b301"),
        (2, "#a7b0ba"),
        (3, "#cd7f45"),
        "transparent",
    )
    return rx.center(
        rx.text(rank.to_string(), size="2", weight="bold"),
        min_width="2rem",
        height="2rem",
        padding_x="0.25rem",
        border_radius="9999px",
        background=medal,
        color=rx.cond(rank <= 3, "white", theme.HINT),
        flex_shrink="0",
    )


def _row(row: rx.Var[RankRow]) -> rx.Component:
    you = row["is_you"].to(bool)
    return rx.hstack(
        _rank_disc(row["rank"].to(int)),
        rx.text(
            row["name"].to(str),
            rx.cond(you, rx.text(tr(" (siz)", " (вы)", " (you)"), as_="span", color=theme.HINT)),
            size="3",
            weight=rx.cond(you, "bold", "regular"),
            title=row["name"].to(str),
            flex="1",
            min_width="0",
            overflow="hidden",
            text_overflow="ellipsis",
            white_space="nowrap",
        ),
        rx.text(_value(row["value"].to(int)), size="3", weight="bold", white_space="nowrap"),
        align="center",
        spacing="3",
        width="100%",
        padding_x="0.75rem",
        padding_y="0.45rem",
        border_radius="var(--radius-3)",
        background=rx.cond(
            you, f"color-mix(in srgb, {theme.BUTTON} 16%, transparent)", "transparent"
        ),
        class_name=rx.cond(you, "rank-row you", "rank-row"),
    )


def _tab(board: Board, label: rx.Var[str]) -> rx.Component:
    return rx.segmented_control.item(label, value=board.value, id=f"board-{board.value}")


def _tabs() -> rx.Component:
    return rx.segmented_control.root(
        _tab(Board.TOP_RATED, tr("Eng kuchli", "Лучшие", "Top rated")),
        _tab(Board.MOST_IMPROVED, tr("O‘sish", "Рост", "Improved")),
        _tab(Board.MOST_ACTIVE, tr("Faollar", "Активные", "Most active")),
        value=LeaderboardState.board,
        on_change=LeaderboardState.select_board,
        size="2",
        radius="full",
        width="100%",
        id="board-tabs",
    )


def _caption() -> rx.Component:
    return rx.text(
        rx.match(
            LeaderboardState.board,
            (
                Board.MOST_IMPROVED.value,
                tr(
                    "So‘nggi 30 kunda Elo reyting o‘sishi",
                    "Прирост рейтинга Эло за 30 дней",
                    "Elo gain over the last 30 days",
                ),
            ),
            (
                Board.MOST_ACTIVE.value,
                tr("Topshirilgan imtihonlar soni", "Число сданных экзаменов", "Exams taken"),
            ),
            tr("Elo reyting bo‘yicha", "По рейтингу Эло", "By Elo rating"),
        ),
        size="2",
        color=theme.HINT,
        padding_x="0.25rem",
    )


def _own_rank() -> rx.Component:
    lang = StudentState.lang
    rank = LeaderboardState.you_rank.to_string()
    total = LeaderboardState.total.to_string()
    return rx.box(
        rx.cond(
            LeaderboardState.has_you,
            rx.hstack(
                rx.icon("user", size=18, color=theme.BUTTON_TEXT),
                rx.text(
                    rx.match(
                        lang,
                        ("ru", "#" + rank + " из " + total),
                        ("en", "#" + rank + " of " + total),
                        total + " tadan #" + rank,
                    ),
                    size="3",
                    weight="bold",
                    id="own-rank-text",
                ),
                rx.spacer(),
                rx.text(_value(LeaderboardState.you_value), size="3", weight="bold"),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.text(
                rx.match(
                    LeaderboardState.board,
                    (
                        Board.MOST_IMPROVED.value,
                        tr(
                            "So‘nggi 30 kunda natijangiz yo‘q — keyingi imtihonni topshiring.",
                            "За 30 дней у вас нет результатов — сдайте следующий экзамен.",
                            "No results from you in the last 30 days: take the next exam.",
                        ),
                    ),
                    tr(
                        "Siz hali reytingda yo‘qsiz — birinchi imtihon natijasidan keyin "
                        "paydo bo‘lasiz.",
                        "Вас пока нет в рейтинге — вы появитесь после результатов первого "
                        "экзамена.",
                        "You are not ranked yet: you appear after your first exam's results.",
                    ),
                ),
                size="2",
            ),
        ),
        position="sticky",
        bottom=f"calc({TAB_BAR_HEIGHT} + env(safe-area-inset-bottom) + 0.5rem)",
        z_index="5",
        padding_x="1rem",
        padding_y="0.8rem",
        border_radius="var(--radius-4)",
        background=theme.BUTTON,
        color=theme.BUTTON_TEXT,
        # A page-coloured shadow fills the gap above the tab bar, so rows
        # scrolling underneath do not peek through it.
        box_shadow=f"var(--shadow-4), 0 0.75rem 0 0.5rem {theme.BG}",
        data_in_top=rx.cond(LeaderboardState.you_in_top, "true", "false"),
        id="own-rank",
    )


def _rows() -> rx.Component:
    return rx.cond(
        LeaderboardState.rows.length() > 0,
        section_card(
            rx.vstack(
                rx.foreach(LeaderboardState.rows, _row),
                spacing="0",
                margin_x="-0.75rem",
                margin_y="-0.5rem",
            ),
            id="leaderboard-rows",
        ),
        message_card(
            "trophy",
            tr("Reyting hali bo‘sh", "Рейтинг пока пуст", "No ranking yet"),
            tr(
                "Birinchi imtihon natijalari chiqqach, bu yerda eng yaxshilar paydo bo‘ladi.",
                "Лучшие появятся здесь после результатов первого экзамена.",
                "The best appear here once the first exam's results are out.",
            ),
            card_id="leaderboard-empty",
            heading_size="4",
            spacing="2",
        ),
    )


def leaderboard_page() -> rx.Component:
    """`/app/leaderboard`: three boards, the top 50 by name and the caller's own rank."""
    return student_shell(
        page_header(tr("Reyting", "Рейтинг", "Leaderboard")),
        _tabs(),
        loaded_content(
            LeaderboardState,
            rx.vstack(
                _caption(),
                _rows(),
                _own_rank(),
                rx.box(id="leaderboard-ready"),
                spacing="3",
                align="stretch",
                width="100%",
            ),
            failed_text=tr(
                "Reytingni o‘qib bo‘lmadi. Birozdan so‘ng qayta urinib ko‘ring.",
                "Не удалось загрузить рейтинг. Попробуйте чуть позже.",
                "The leaderboard could not be read. Please try again shortly.",
            ),
        ),
        tab="ranking",
    )


LEADERBOARD_ROUTE = f"{APP_ROOT}/leaderboard"
LEADERBOARD_ON_LOAD = student_on_load(LeaderboardState.load)
