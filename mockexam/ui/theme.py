"""The look of mockexam: one radix theme, coloured by Telegram when inside it.

Inside the Telegram Mini App, Telegram sets `--tg-theme-*` CSS variables on the
page (once the Mini App script runs); in a normal browser they are missing and
the radix colours below take over. Use these constants rather than raw colours
so both places follow the same rules.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def tg_color(name: str, fallback: str) -> str:
    """A CSS colour: Telegram's `--tg-theme-<name>` when set, else `fallback`."""
    return f"var(--tg-theme-{name}, {fallback})"


BG = tg_color("bg-color", "var(--color-background)")
SECONDARY_BG = tg_color("secondary-bg-color", "var(--gray-2)")
SECTION_BG = tg_color("section-bg-color", "var(--color-panel-solid)")
TEXT = tg_color("text-color", "var(--gray-12)")
HINT = tg_color("hint-color", "var(--gray-11)")
LINK = tg_color("link-color", "var(--accent-11)")
ACCENT = tg_color("accent-text-color", "var(--accent-11)")
BUTTON = tg_color("button-color", "var(--accent-9)")
BUTTON_TEXT = tg_color("button-text-color", "var(--accent-contrast)")
DESTRUCTIVE = tg_color("destructive-text-color", "var(--red-11)")

FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PAGE_MAX_WIDTH = "30rem"


def app_theme() -> rx.Component:
    """The radix theme of the whole app (light/dark follows the system)."""
    return rx.theme(
        appearance="inherit",
        accent_color="indigo",
        gray_color="slate",
        radius="large",
        scaling="100%",
        has_background=True,
    )


APP_STYLE: dict[str, Any] = {
    "body": {
        "background_color": BG,
        "color": TEXT,
        "font_family": FONT_STACK,
        "-webkit-tap-highlight-color": "transparent",
    },
    ".radix-themes": {
        "--default-font-family": FONT_STACK,
        "background_color": BG,
        "color": TEXT,
    },
}
