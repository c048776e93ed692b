"""The leaderboard `/app/leaderboard` (spec §5): three boards, top 50, your own rank pinned.

Names come only with the top rows (the service never returns others); the
caller's own row is always shown at the bottom ("#127 of 500"), and
highlighted in the list when it is in the top.

A student in a study group also gets a fourth tab, "My group": the top-rated
board among that group's members (issue 22), with a choice of group when they
are in several. The groups offered are read on the server from the student's
own memberships at every load; a group id from the page is only a choice among
those, and the service checks the membership again.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import reflex as rx

from mockexam.gamification.leaderboard import Board
from mockexam.services.leaderboard import (
    Leaderboard,
    LeaderboardGroup,
    get_leaderboard,
    student_groups,
)
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
GROUP_BOARD = "group"  # "My group": the top-rated board among one group's members


class RankRow(TypedDict):
    rank: int
    name: str
    value: int
    is_you: bool


class GroupChoice(TypedDict):
    id: str  # the choice's value on the page
    name: str


class LeaderboardState(StudentState):
    """One board at a time; switching tabs reads the chosen board."""

    loaded: bool = False
    failed: bool = False
    board: str = Board.TOP_RATED.value  # one of BOARDS, or GROUP_BOARD
    groups: list[GroupChoice] = []  # the student's live groups: the "My group" tab's choices
    group_id: str = ""  # the group the group board shows (one of `groups`)
    group_name: str = ""
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
        await self._read(student_id, self.board, self.group_id, refresh_groups=True)

    @rx.event
    async def select_board(self, board: str | list[str]):
        """Show another board; an unknown name, the group board of a student in no group,
        or a tab that has not signed in changes nothing."""
        student_id = self._signed_in()
        if student_id is None or not isinstance(board, str):
            return
        if board in BOARDS or (board == GROUP_BOARD and self.groups):
            await self._read(student_id, board, self.group_id)

    @rx.event
    async def select_group(self, group_id: str | list[str]):
        """Show another of the student's groups; any other id changes nothing."""
        student_id = self._signed_in()
        if student_id is None or not isinstance(group_id, str):
            return
        if any(g["id"] == group_id for g in self.groups):
            await self._read(student_id, GROUP_BOARD, group_id)

    async def _read(
        self, student_id: int, board: str, group_id: str, *, refresh_groups: bool = False
    ) -> None:
        """Read `board` (of group `group_id`, or the student's first group, for the group
        board); the student's groups too when asked or when the group board is read."""

        def read() -> tuple[list[LeaderboardGroup] | None, Leaderboard]:
            if board != GROUP_BOARD:
                groups = student_groups(student_id=student_id) if refresh_groups else None
                return groups, get_leaderboard(student_id=student_id, board=board)
            groups = student_groups(student_id=student_id)
            chosen = next((g for g in groups if str(g.id) == group_id), None)
            chosen = chosen or (groups[0] if groups else None)
            if chosen is None:  # no longer in a live group: the overall board instead
                return groups, get_leaderboard(student_id=student_id)
            return groups, get_leaderboard(student_id=student_id, group_id=chosen.id)

        read_result = await read_or_fail(
            self,
            read,
            logger,
            "leaderboard %s (group %r) for student %s could not be read",
            board,
            group_id,
            student_id,
        )
        if read_result is None:
            return
        groups, result = read_result
        if groups is not None:
            self.groups = [{"id": str(g.id), "name": strip_bidi(g.name)} for g in groups]
        if result.group is not None:
            self.board = GROUP_BOARD
            self.group_id, self.group_name = str(result.group.id), strip_bidi(result.group.name)
        else:
            self.board = result.board.value
            if not any(g["id"] == self.group_id for g in self.groups):
                self.group_id, self.group_name = "", ""
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


def _tab(board: str, label: rx.Var[str]) -> rx.Component:
    return rx.segmented_control.item(label, value=board, id=f"board-{board}")


def _tabs() -> rx.Component:
    in_group = LeaderboardState.groups.length() > 0
    return rx.segmented_control.root(
        _tab(Board.TOP_RATED.value, tr("Eng kuchli", "Лучшие", "Top rated")),
        _tab(Board.MOST_IMPROVED.value, tr("O‘sish", "Рост", "Improved")),
        _tab(Board.MOST_ACTIVE.value, tr("Faollar", "Активные", "Most active")),
        rx.cond(in_group, _tab(GROUP_BOARD, tr("Guruhim", "Моя группа", "My group"))),
        value=LeaderboardState.board,
        on_change=LeaderboardState.select_board,
        # Four tabs share a 360px-wide phone only at the smaller size.
        size=rx.cond(in_group, "1", "2"),
        radius="full",
        width="100%",
        id="board-tabs",
    )


def _group_choice() -> rx.Component:
    """Which of the student's groups the group board shows (only when there are several).

    A select, not a second row of tabs: a group's name may be long, and a student may be
    in more groups than tabs fit across a phone.
    """
    return rx.cond(
        (LeaderboardState.board == GROUP_BOARD) & (LeaderboardState.groups.length() > 1),
        rx.hstack(
            rx.text(tr("Guruh", "Группа", "Group"), size="2", color=theme.HINT),
            rx.select.root(
                rx.select.trigger(id="group-choice", flex="1", min_width="0"),
                rx.select.content(
                    rx.foreach(
                        LeaderboardState.groups,
                        lambda g: rx.select.item(g["name"].to(str), value=g["id"].to(str)),
                    )
                ),
                value=LeaderboardState.group_id,
                on_change=LeaderboardState.select_group,
                size="2",
            ),
            align="center",
            spacing="3",
            width="100%",
            padding_x="0.25rem",
        ),
    )


def _group_caption() -> rx.Var[str]:
    """The group board's caption, naming the group."""
    name = LeaderboardState.group_name
    return rx.match(
        StudentState.lang,
        ("ru", "Группа «" + name + "» — по рейтингу Эло"),
        ("en", "Group “" + name + "”, by Elo rating"),
        "«" + name + "» guruhi — Elo reyting bo‘yicha",
    )


def _caption() -> rx.Component:
    return rx.text(
        rx.match(
            LeaderboardState.board,
            (GROUP_BOARD, _group_caption()),
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
            rx.cond(
                LeaderboardState.board == GROUP_BOARD,
                tr(
                    "Guruhingizda hali hech kimda natija yo‘q: ular birinchi imtihondan "
                    "keyin shu yerda paydo bo‘ladi.",
                    "В вашей группе пока ни у кого нет результатов: они появятся здесь "
                    "после первого экзамена.",
                    "No one in your group has results yet: they appear here after the first exam.",
                ),
                tr(
                    "Birinchi imtihon natijalari chiqqach, bu yerda eng yaxshilar paydo bo‘ladi.",
                    "Лучшие появятся здесь после результатов первого экзамена.",
                    "The best appear here once the first exam's results are out.",
                ),
            ),
            card_id="leaderboard-empty",
            heading_size="4",
            spacing="2",
        ),
    )


def leaderboard_page() -> rx.Component:
    """`/app/leaderboard`: three boards (and "My group"), the top 50 by name and the caller's
    own rank."""
    return student_shell(
        page_header(tr("Reyting", "Рейтинг", "Leaderboard")),
        _tabs(),
        loaded_content(
            LeaderboardState,
            rx.vstack(
                _group_choice(),
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
