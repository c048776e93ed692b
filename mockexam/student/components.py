"""Pieces the Mini App pages share: load states, message cards, buttons, award toasts,
the note of a provisional result.

Each page module keeps its own texts and layout; what is here is markup or
state logic that reads the same on several pages (the "could not be read"
callout, the skeleton while loading, the sign-in-then-read step, the toasts
of new awards), so that it looks and behaves the same everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.errors import MockExamError
from mockexam.gamification.achievement_texts import achievement_names
from mockexam.services.achievements import (
    EarnedAchievement,
    mark_achievements_seen,
    new_achievements,
)
from mockexam.student.auth import StudentState
from mockexam.student.i18n import pick, tr
from mockexam.telegram.messages import provisional_note
from mockexam.ui import theme
from mockexam.ui.i18n import LANGUAGE_CODES, count_word
from mockexam.ui.layout import section_card

logger = logging.getLogger(__name__)

T = TypeVar("T")


# --- state helpers -------------------------------------------------------------------------


class LoadedPage(Protocol):
    """A page state that shows a skeleton until `loaded`, then its data or a failure."""

    loaded: bool
    failed: bool


async def read_or_fail(
    page: LoadedPage, read: Callable[[], T], log: logging.Logger, message: str, *args: object
) -> T | None:
    """`read()` in a worker thread; on a service or database error log it and mark `page` failed.

    None means the page now shows its failure callout; the caller stops there.
    """
    try:
        return await rx.run_in_thread(read)
    except (MockExamError, SQLAlchemyError):
        log.exception(message, *args)
        page.failed, page.loaded = True, True
        return None


# The combined toast names this many awards, then says how many more ("… and 2 more").
NAMED_IN_TOAST = 3


async def toast_new_awards(
    student_id: int,
    lang: str,
    new: list[EarnedAchievement] | None = None,
    *,
    see_all_href: str | None = None,
) -> list[Any] | None:
    """A toast for the awards the student has not seen yet (read now unless given); then
    they are marked seen.

    One award: "New achievement!" with its name. Several (a first exam brings four): one
    toast, "3 new achievements" with their names, and, given `see_all_href` (the
    achievements page), a button there, instead of a stack of toasts over the score.
    Whichever page the student opens first (home, results, achievements) shows it, once.
    """
    try:
        if new is None:
            new = await rx.run_in_thread(lambda: new_achievements(student_id=student_id))
        if not new:
            return None
        award_ids = [a.award_id for a in new]
        await rx.run_in_thread(
            lambda: mark_achievements_seen(student_id=student_id, award_ids=award_ids)
        )
    except SQLAlchemyError:
        logger.exception("could not read or mark the new awards of student %s", student_id)
        return None
    names = [achievement_names(a.code, a.name).get(lang, a.name) for a in new]
    if len(names) == 1:
        return [
            rx.toast.success(
                pick(lang, "Yangi yutuq!", "Новое достижение!", "New achievement!"),
                description=names[0],
                duration=6000,
                position="top-center",
                class_name="award-toast",
            )
        ]
    action = (
        {
            "action": {
                "label": pick(lang, "Ko‘rish", "Смотреть", "See them"),
                "on_click": rx.redirect(see_all_href),
            }
        }
        if see_all_href
        else {}
    )
    return [
        rx.toast.success(
            new_awards_title(len(names), lang),
            description=new_awards_description(names, lang),
            duration=8000,
            position="top-center",
            class_name="award-toast",
            **action,
        )
    ]


def new_awards_title(count: int, lang: str) -> str:
    """ "3 ta yangi yutuq", "3 новых достижения", "3 new achievements" (count ≥ 2)."""
    return f"{count} " + count_word(
        lang,
        count,
        uz="ta yangi yutuq",
        ru=("новое достижение", "новых достижения", "новых достижений"),
        en=("new achievement", "new achievements"),
    )


def new_awards_description(names: list[str], lang: str) -> str:
    """The first NAMED_IN_TOAST names, then how many more: "First exam, Halfway and 2 more"."""
    shown = ", ".join(names[:NAMED_IN_TOAST])
    more = len(names) - NAMED_IN_TOAST
    if more <= 0:
        return shown
    return shown + pick(lang, f" va yana {more} ta", f" и ещё {more}", f" and {more} more")


# --- a provisional result ------------------------------------------------------------------


def provisional_note_texts() -> dict[str, str]:
    """Why a provisional result shows no grade and no ±, by language (uz, ru, en): the words
    of the results-ready DM (telegram/messages.py), with the configured calibration minimum.
    A page state keeps this dict, so a language switch needs no round trip."""
    return {lang: provisional_note(lang) for lang in LANGUAGE_CODES}


def in_reader_language(by_language: rx.Var[dict[str, str]]) -> rx.Var[str]:
    """The entry of a {uz, ru, en} dict Var in the reader's language."""
    return rx.match(
        StudentState.lang,
        ("ru", by_language["ru"]),
        ("en", by_language["en"]),
        by_language["uz"],
    ).to(str)


def provisional_score_label() -> rx.Var[str]:
    """The label of a provisional 0–100 score (a percentage of points, not the scale)."""
    return tr("Ball (ballar foizi)", "Балл (% от максимума)", "Score (% of points)")


# --- load states ---------------------------------------------------------------------------


def data_unreadable_text() -> rx.Var[str]:
    """The usual "your data could not be read" of a page whose read failed."""
    return tr(
        "Ma’lumotlarni o‘qib bo‘lmadi. Birozdan so‘ng qayta urinib ko‘ring.",
        "Не удалось загрузить данные. Попробуйте чуть позже.",
        "Your data could not be read. Please try again shortly.",
    )


def error_callout(text: rx.Var[str], **props: Any) -> rx.Component:
    """A red callout for something that failed (a read, the server)."""
    return rx.callout(text, icon="triangle-alert", color_scheme="red", **props)


def card_skeleton(height: str) -> rx.Component:
    """A full-width grey placeholder with a card's corners."""
    return rx.skeleton(height=height, width="100%", border_radius="var(--radius-4)")


def page_skeleton() -> rx.Component:
    """What a page shows while its data is read."""
    return card_skeleton("18rem")


def loaded_content(
    page: type[rx.State],
    content: rx.Component,
    failed_text: rx.Var[str] | None = None,
) -> rx.Component:
    """A skeleton until `page.loaded`, then `content`, or a callout when `page.failed`."""
    return rx.cond(
        page.loaded,  # type: ignore[attr-defined]
        rx.cond(
            page.failed,  # type: ignore[attr-defined]
            error_callout(failed_text if failed_text is not None else data_unreadable_text()),
            content,
        ),
        page_skeleton(),
    )


# --- cards, notes and buttons ------------------------------------------------------------


def message_card(
    icon: str,
    title: rx.Var[str],
    text: rx.Var[str],
    *extra: rx.Component,
    card_id: str,
    icon_size: int = 32,
    heading_size: str = "5",
    spacing: str = "3",
    **stack_props: Any,
) -> rx.Component:
    """A card with a large hint-coloured icon, a heading, a line of text and what follows."""
    return section_card(
        rx.vstack(
            rx.icon(icon, size=icon_size, color=theme.HINT),
            rx.heading(title, size=heading_size),
            rx.text(text, size="2", color=theme.HINT),
            *extra,
            spacing=spacing,
            align="start",
            **stack_props,
        ),
        id=card_id,
    )


def empty_note(
    title: rx.Var[str], text: rx.Var[str], note_id: str, title_size: str
) -> rx.Component:
    """A bold line and a hint line inside a card: "nothing here yet" and why."""
    return rx.vstack(
        rx.text(title, size=title_size, weight="bold"),
        rx.text(text, size="2", color=theme.HINT),
        spacing="1",
        align="start",
        id=note_id,
    )


def card_header(title: rx.Var[str], aside: rx.Component, **props: Any) -> rx.Component:
    """A card's bold title with something on the right (a link, a count)."""
    return rx.hstack(
        rx.text(title, size="3", weight="bold"),
        rx.spacer(),
        aside,
        width="100%",
        **props,
    )


def primary_button(*children: Any, size: str = "3", **props: Any) -> rx.Component:
    """A full-width button in Telegram's button colours."""
    return rx.button(
        *children,
        size=size,
        width="100%",
        background_color=theme.BUTTON,
        color=theme.BUTTON_TEXT,
        **props,
    )


def link_button(button: rx.Component, href: str | rx.Var[str], **props: Any) -> rx.Component:
    """`button` as a full-width link to `href` (no underline)."""
    return rx.link(button, href=href, width="100%", underline="none", **props)


def auto_submitted_badge(badge_id: str, **props: Any) -> rx.Component:
    """ "Submitted automatically when time ran out" (the exam's and practice's)."""
    return rx.badge(
        tr(
            "Vaqt tugagach avtomatik topshirildi",
            "Сдано автоматически по истечении времени",
            "Submitted automatically when time ran out",
        ),
        color_scheme="amber",
        variant="soft",
        id=badge_id,
        **props,
    )
