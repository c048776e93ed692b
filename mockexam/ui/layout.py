"""Page frames shared by every page: a narrow, mobile-first column."""

from __future__ import annotations

import reflex as rx

from mockexam.ui import theme


def mobile_page(*children: rx.Component) -> rx.Component:
    """A centred column as wide as a phone, with safe-area padding."""
    return rx.box(
        rx.vstack(
            *children,
            spacing="4",
            width="100%",
            max_width=theme.PAGE_MAX_WIDTH,
            margin_x="auto",
            align="stretch",
        ),
        min_height="100dvh",
        padding_x="1rem",
        # Telegram's fullscreen mode reports its own insets (set by the bridge).
        padding_top=(
            "max(1.25rem, calc(var(--tg-safe-area-inset-top, 0px)"
            " + var(--tg-content-safe-area-inset-top, 0px) + 0.5rem), env(safe-area-inset-top))"
        ),
        padding_bottom="max(1.5rem, env(safe-area-inset-bottom))",
        background_color=theme.BG,
        color=theme.TEXT,
    )


def section_card(*children: rx.Component, **props: object) -> rx.Component:
    """A rounded panel on the page background (Telegram's section colour)."""
    style: dict[str, object] = {
        "background_color": theme.SECTION_BG,
        "border_radius": "var(--radius-4)",
        "padding": "1.25rem",
        "box_shadow": "var(--shadow-2)",
    }
    return rx.box(*children, **{**style, **props})
