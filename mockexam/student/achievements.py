"""The achievements page `/app/achievements` (spec §5, §7): earned and locked, with progress.

Earned awards show when and with which exam; locked ones how far the
student is (value of threshold). Awards not seen yet are toasted once here
or on the home or results page (`components.toast_new_awards`), whichever opens first.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypedDict

import reflex as rx

from mockexam.gamification.achievement_texts import achievement_descriptions, achievement_names
from mockexam.gamification.achievements import ACHIEVEMENTS
from mockexam.services.achievements import (
    AchievementsOverview,
    EarnedAchievement,
    LockedAchievement,
    get_achievements,
)
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    empty_note,
    loaded_content,
    read_or_fail,
    toast_new_awards,
)
from mockexam.student.i18n import tr
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.intl import local_datetime
from mockexam.ui.layout import section_card
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

# Lucide names of the catalogue's icons, rendered statically (no icon loaded at runtime).
_ICONS: tuple[str, ...] = tuple(dict.fromkeys(spec.icon for spec in ACHIEVEMENTS))


def progress_bar(percent: rx.Var[int], height: str) -> rx.Component:
    """A thin bar in the Telegram button colour (radix's follows its own accent)."""
    return rx.box(
        rx.box(
            width=percent.to_string() + "%",
            height="100%",
            border_radius="9999px",
            background=theme.BUTTON,
            transition="width 0.4s ease",
        ),
        role="progressbar",
        aria_valuenow=percent,
        aria_valuemin=0,
        aria_valuemax=100,
        width="100%",
        height=height,
        border_radius="9999px",
        background="var(--gray-a4)",
        overflow="hidden",
        margin_top="0.25rem",
    )


def award_icon(name: rx.Var[str], size: int, color: str) -> rx.Component:
    """The achievement's icon by its catalogue name (a medal for an unknown one)."""
    return rx.match(
        name,
        *((icon, rx.icon(icon, size=size, color=color)) for icon in _ICONS),
        rx.icon("award", size=size, color=color),
    )


class AwardView(TypedDict):
    """What earned and locked awards both show: icon, name and description by language."""

    code: str
    icon: str
    name: dict[str, str]
    description: dict[str, str]


class EarnedView(AwardView):
    awarded_iso: str
    exam_title: str
    is_new: bool


class LockedView(AwardView):
    value: int
    threshold: int
    percent: int


def _earned_view(award: EarnedAchievement) -> EarnedView:
    return {
        "code": award.code,
        "icon": award.icon,
        "name": achievement_names(award.code, award.name),
        "description": achievement_descriptions(award.code, award.description),
        "awarded_iso": iso_utc(award.awarded_at),
        "exam_title": award.exam_title or "",
        "is_new": award.is_new,
    }


def _locked_view(locked: LockedAchievement) -> LockedView:
    # Shown whole and rounded down, so 59.6 of 60 never reads "60 / 60" while locked.
    value = max(0, min(math.floor(locked.value), math.floor(locked.threshold)))
    return {
        "code": locked.code,
        "icon": locked.icon,
        "name": achievement_names(locked.code, locked.name),
        "description": achievement_descriptions(locked.code, locked.description),
        "value": value,
        "threshold": round(locked.threshold),
        "percent": max(0, min(100, math.floor(locked.fraction * 100))),
    }


class AchievementsState(StudentState):
    """Earned and locked achievements of the signed-in student."""

    loaded: bool = False
    failed: bool = False
    earned: list[EarnedView] = []
    locked: list[LockedView] = []
    total: int = 0

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, read the student's achievements, toast the new ones."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            return None
        overview: AchievementsOverview | None = await read_or_fail(
            self,
            lambda: get_achievements(student_id=student_id),
            logger,
            "achievements of student %s could not be read",
            student_id,
        )
        if overview is None:
            return None
        self.earned = [_earned_view(a) for a in overview.earned]
        self.locked = [_locked_view(a) for a in overview.locked]
        self.total = overview.total
        self.failed, self.loaded = False, True
        if any(a.is_new for a in overview.earned):
            return await toast_new_awards(student_id, self.lang)
        return None


# --- components --------------------------------------------------------------------------


def _icon_disc(icon: rx.Var[str], earned: bool) -> rx.Component:
    return rx.center(
        award_icon(icon, 22, theme.BUTTON_TEXT if earned else theme.HINT),
        width="2.75rem",
        height="2.75rem",
        min_width="2.75rem",
        border_radius="50%",
        background=theme.BUTTON if earned else "var(--gray-a3)",
    )


def _award_row(award: rx.Var, earned: bool, *details: rx.Component, **props: str) -> rx.Component:
    """An award's icon disc beside its `details` (`#award-<code>`, class award earned/locked)."""
    return rx.hstack(
        _icon_disc(award["icon"].to(str), earned=earned),
        rx.vstack(*details, spacing="1", align="start", **props),
        spacing="3",
        align="start",
        width="100%",
        id="award-" + award["code"].to(str),
        class_name="award earned" if earned else "award locked",
    )


def _earned_row(award: rx.Var[EarnedView]) -> rx.Component:
    lang = StudentState.lang
    return _award_row(
        award,
        True,
        rx.hstack(
            rx.text(award["name"].to(dict)[lang], size="3", weight="bold"),
            rx.cond(
                award["is_new"].to(bool),
                rx.badge(tr("Yangi", "Новое", "New"), color_scheme="green", size="1"),
            ),
            spacing="2",
            align="center",
        ),
        rx.text(award["description"].to(dict)[lang], size="2", color=theme.HINT),
        rx.text(
            local_datetime(award["awarded_iso"].to(str), lang, "date"),
            rx.cond(award["exam_title"].to(str) != "", " · " + award["exam_title"].to(str), ""),
            size="1",
            color=theme.HINT,
        ),
        min_width="0",
    )


def _locked_row(award: rx.Var[LockedView]) -> rx.Component:
    lang = StudentState.lang
    return _award_row(
        award,
        False,
        rx.hstack(
            rx.text(award["name"].to(dict)[lang], size="3", weight="bold"),
            rx.spacer(),
            rx.text(
                award["value"].to(int).to_string(),
                " / ",
                award["threshold"].to(int).to_string(),
                size="1",
                color=theme.HINT,
                weight="medium",
                white_space="nowrap",
            ),
            width="100%",
            align="center",
        ),
        rx.text(award["description"].to(dict)[lang], size="2", color=theme.HINT),
        progress_bar(award["percent"].to(int), "6px"),
        width="100%",
        min_width="0",
    )


def _section_title(text: rx.Var[str], count: rx.Component | None = None) -> rx.Component:
    return rx.hstack(
        rx.text(text, size="2", weight="bold", color=theme.HINT, text_transform="uppercase"),
        rx.spacer(),
        count or rx.fragment(),
        width="100%",
        padding_x="0.25rem",
    )


def _summary() -> rx.Component:
    earned = AchievementsState.earned.length()
    total = AchievementsState.total
    percent = rx.cond(total > 0, (earned * 100 / total).to(int), 0)
    return section_card(
        rx.hstack(
            rx.center(
                rx.icon("trophy", size=28, color=theme.BUTTON_TEXT),
                width="3.5rem",
                height="3.5rem",
                border_radius="50%",
                background=theme.BUTTON,
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text(
                    rx.match(
                        StudentState.lang,
                        ("ru", earned.to_string() + " из " + total.to_string()),
                        ("en", earned.to_string() + " of " + total.to_string()),
                        total.to_string() + " tadan " + earned.to_string(),
                    ),
                    size="6",
                    weight="bold",
                    id="awards-count",
                ),
                rx.text(
                    tr("yutuq qo‘lga kiritildi", "наград получено", "achievements earned"),
                    size="2",
                    color=theme.HINT,
                ),
                progress_bar(percent, "8px"),
                spacing="1",
                align="start",
                width="100%",
            ),
            spacing="4",
            align="center",
            width="100%",
        ),
        id="awards-summary",
    )


def _titled_card(title: rx.Var[str], card: rx.Component) -> rx.Component:
    """A section title over its card."""
    return rx.vstack(_section_title(title), card, spacing="2", align="stretch", width="100%")


def _award_rows(awards: rx.Var, row: Callable[[rx.Var], rx.Component]) -> rx.Component:
    return rx.vstack(rx.foreach(awards, row), spacing="4", width="100%")


def _earned_list() -> rx.Component:
    return _titled_card(
        tr("Qo‘lga kiritilgan", "Полученные", "Earned"),
        section_card(
            rx.cond(
                AchievementsState.earned.length() > 0,
                _award_rows(AchievementsState.earned, _earned_row),
                empty_note(
                    tr("Hali yutuq yo‘q", "Наград пока нет", "No achievements yet"),
                    tr(
                        "Birinchisi birinchi imtihon natijalari bilan keladi.",
                        "Первая придёт с результатами первого экзамена.",
                        "The first one comes with your first exam's results.",
                    ),
                    "earned-empty",
                    title_size="3",
                ),
            ),
            id="earned-list",
        ),
    )


def _locked_list() -> rx.Component:
    return rx.cond(
        AchievementsState.locked.length() > 0,
        _titled_card(
            tr("Oldinda", "Впереди", "Still to earn"),
            section_card(_award_rows(AchievementsState.locked, _locked_row), id="locked-list"),
        ),
        rx.callout(
            tr(
                "Barcha yutuqlar sizniki!",
                "Все награды ваши!",
                "You have earned every achievement!",
            ),
            icon="party-popper",
            color_scheme="green",
            id="locked-list",
        ),
    )


def achievements_page() -> rx.Component:
    """`/app/achievements`: what the student has earned and what is still ahead."""
    return student_shell(
        page_header(tr("Yutuqlar", "Награды", "Achievements")),
        loaded_content(
            AchievementsState,
            rx.vstack(
                _summary(),
                _earned_list(),
                _locked_list(),
                rx.box(id="achievements-ready"),
                spacing="4",
                align="stretch",
                width="100%",
            ),
        ),
        tab="awards",
    )


ACHIEVEMENTS_ROUTE = f"{APP_ROOT}/achievements"
ACHIEVEMENTS_ON_LOAD = student_on_load(AchievementsState.load)
