"""The frame of every Mini App page: sign-in gate, header, bottom tabs, Telegram bridge.

`student_shell(content, ...)` shows `content` only once the tab has signed
in; before that a skeleton, and for a missing or forged initData a friendly
"open this from the Telegram bot" page with no data. Top-level pages get the
bottom tab bar; inner pages (exam, results) get a back link and Telegram's
own Back button instead.
"""

from __future__ import annotations

import reflex as rx

from mockexam.config import settings
from mockexam.student.auth import AuthStatus, StudentState
from mockexam.student.components import card_skeleton, error_callout, message_card, primary_button
from mockexam.student.i18n import LANGUAGES, tr
from mockexam.telegram.webapp_auth import LOGIN_WIDGET_ROUTE
from mockexam.ui import theme
from mockexam.ui.backend import BACKEND_ORIGIN
from mockexam.ui.document_language import STUDENT_LANGUAGE_KEY, document_language
from mockexam.ui.layout import mobile_page
from mockexam.ui.telegram import (
    LOGIN_STATE_KEY,
    READ_INIT_DATA_JS,
    SESSION_STORAGE_KEY,
    telegram_bridge,
)

APP_ROOT = "/app"
TAB_BAR_HEIGHT = "3.75rem"


def _tab(icon: str, label: rx.Var[str], href: str, active: bool, tab_id: str) -> rx.Component:
    colour = theme.LINK if active else theme.HINT
    return rx.link(
        rx.vstack(
            rx.icon(icon, size=22, color=colour),
            rx.text(label, size="1", weight="medium", color=colour),
            spacing="0",
            align="center",
        ),
        href=href,
        id=tab_id,
        underline="none",
        flex="1",
        display="flex",
        justify_content="center",
        padding_y="0.4rem",
        aria_current="page" if active else None,
    )


def tab_bar(active: str) -> rx.Component:
    """The five top-level sections, fixed to the bottom above the home indicator."""
    tabs = (
        ("house", tr("Bosh sahifa", "Главная", "Home"), APP_ROOT, "home"),
        ("target", tr("Mashq", "Тренировка", "Practice"), f"{APP_ROOT}/practice", "practice"),
        ("history", tr("Tarix", "История", "History"), f"{APP_ROOT}/history", "history"),
        ("award", tr("Yutuqlar", "Награды", "Awards"), f"{APP_ROOT}/achievements", "awards"),
        ("trophy", tr("Reyting", "Рейтинг", "Ranking"), f"{APP_ROOT}/leaderboard", "ranking"),
    )
    return rx.hstack(
        *(_tab(icon, label, href, key == active, f"tab-{key}") for icon, label, href, key in tabs),
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="20",
        spacing="0",
        background_color=theme.SECTION_BG,
        border_top=f"1px solid {theme.tg_color('section-separator-color', 'var(--gray-a5)')}",
        padding_bottom="env(safe-area-inset-bottom)",
        min_height=TAB_BAR_HEIGHT,
    )


def language_switch() -> rx.Component:
    """UZ / RU / EN, the current one highlighted."""
    return rx.hstack(
        *(
            rx.button(
                code.upper(),
                title=name,
                id=f"lang-{code}",
                size="1",
                variant="soft",
                background_color=rx.cond(
                    StudentState.lang == code, theme.BUTTON, theme.SECONDARY_BG
                ),
                color=rx.cond(StudentState.lang == code, theme.BUTTON_TEXT, theme.LINK),
                aria_pressed=rx.cond(StudentState.lang == code, "true", "false"),
                on_click=StudentState.switch_language(code),
            )
            for code, name in LANGUAGES
        ),
        spacing="1",
    )


def page_header(title: rx.Var[str] | str, back_href: str = "") -> rx.Component:
    """A page title; inner pages get a back link (Telegram also shows its Back button)."""
    back = (
        rx.link(
            rx.icon("chevron-left", size=24, color=theme.LINK),
            href=back_href,
            id="back-link",
            aria_label="back",
            display="flex",
        )
        if back_href
        else rx.fragment()
    )
    return rx.hstack(
        back,
        rx.heading(title, size="6", weight="bold", color=theme.TEXT),
        align="center",
        spacing="2",
        width="100%",
    )


# The Telegram Login Widget for a browser outside Telegram (a classroom computer): the
# script Telegram serves draws the button; its redirect goes to the backend's
# /auth/telegram (mockexam/api.py) with a one-time state that only this tab keeps.
WIDGET_JS = (
    "(() => { const box = document.getElementById('telegram-login');"
    " if (!box || box.dataset.ready) return; box.dataset.ready = '1';"
    " const bytes = new Uint8Array(24); window.crypto.getRandomValues(bytes);"
    " const state = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');"
    f" window.sessionStorage.setItem('{LOGIN_STATE_KEY}', state);"
    " const s = document.createElement('script'); s.async = true;"
    " s.src = 'https://telegram.org/js/telegram-widget.js?22';"
    " s.setAttribute('data-telegram-login', box.dataset.bot);"
    " s.setAttribute('data-size', 'large');"
    " s.setAttribute('data-request-access', 'write');"
    " s.setAttribute('data-auth-url', box.dataset.authBase + '?state=' + state);"
    " box.appendChild(s); })()"
)


# A student signed in on the web (the Login Widget) on a shared classroom computer signs
# out here: the tab forgets its credential and its Reflex session (both in sessionStorage)
# and starts afresh at the sign-in page. Inside Telegram there is nothing to sign out of
# (Telegram is the sign-in), so the button shows only in a browser holding a web credential.
WEB_SIGN_OUT_SHOW_JS = (
    f"(() => {{ {READ_INIT_DATA_JS}"
    " const check = () => { const b = document.getElementById('web-sign-out');"
    " if (!b) return;"
    # Telegram's initData, wherever the tab has it (the live SDK, the launch hash, kept in
    # sessionStorage): a tab opened by Telegram has it, one signed in by the widget never
    # does. Read here too, not only by the page's sign-in script, which a launch signed in
    # from the hash on the server never runs (student/auth.py).
    " let web = false;"
    f" try {{ web = !!window.sessionStorage.getItem('{SESSION_STORAGE_KEY}'); }} catch (e) {{}}"
    " if (web && !read()) b.style.display = 'inline-flex'; };"
    # The credential of a sign-in that just came back from Telegram is stored by the page's
    # sign-in script, which may run after this button mounts: look again shortly.
    " check(); setTimeout(check, 800); setTimeout(check, 2500); })()"
)
WEB_SIGN_OUT_JS = (
    "(() => { try { window.sessionStorage.clear(); } catch (e) {}"
    f" window.location.replace('{APP_ROOT}'); }})()"
)


def web_sign_out() -> rx.Component:
    """ "Sign out" for a browser outside Telegram (hidden until the page finds a web sign-in)."""
    return rx.button(
        rx.icon("log-out", size=14),
        tr("Chiqish", "Выйти", "Sign out"),
        size="1",
        variant="soft",
        color_scheme="gray",
        id="web-sign-out",
        display="none",
        on_mount=rx.call_script(WEB_SIGN_OUT_SHOW_JS),
        on_click=rx.call_script(WEB_SIGN_OUT_JS),
    )


def _web_sign_in(bot: str) -> rx.Component:
    return rx.vstack(
        rx.text(
            tr(
                "Kompyuterda Telegram ilovasi yo‘qmi? Telegram orqali shu yerda kiring:",
                "Нет Telegram на этом компьютере? Войдите через Telegram здесь:",
                "No Telegram app on this computer? Sign in with Telegram here:",
            ),
            size="2",
            color=theme.HINT,
        ),
        rx.el.div(
            id="telegram-login",
            custom_attrs={"data-bot": bot, "data-auth-base": BACKEND_ORIGIN + LOGIN_WIDGET_ROUTE},
            on_mount=rx.call_script(WIDGET_JS),
        ),
        spacing="2",
        width="100%",
        align="center",
    )


def denied_view() -> rx.Component:
    """No (valid) Telegram sign-in: say how to get in, show nothing else."""
    bot = settings.telegram_bot_username
    open_bot = (
        rx.link(
            primary_button(
                rx.icon("send", size=16), tr("Botni ochish", "Открыть бота", "Open the bot")
            ),
            href=f"https://t.me/{bot}",
            is_external=True,
            width="100%",
        )
        if bot
        else rx.fragment()
    )
    return message_card(
        "lock-keyhole",
        tr(
            "Telegram bot orqali oching",
            "Откройте через Telegram-бота",
            "Open this from the Telegram bot",
        ),
        tr(
            "mockexam Telegram ichida ishlaydi. Botga o‘ting va «Imtihonlar» tugmasini "
            "bosing — kirish avtomatik bo‘ladi.",
            "mockexam работает внутри Telegram. Откройте бота и нажмите кнопку "
            "«Экзамены» — вход произойдёт автоматически.",
            "mockexam runs inside Telegram. Open the bot and tap the “Exams” button — "
            "you are signed in automatically.",
        ),
        rx.vstack(open_bot, _web_sign_in(bot) if bot else rx.fragment(), spacing="4", width="100%"),
        card_id="signin-required",
    )


def unavailable_view() -> rx.Component:
    """The database could not be reached while signing in."""
    return error_callout(
        tr(
            "Server hozir javob bermayapti. Birozdan so‘ng qayta urinib ko‘ring.",
            "Сервер сейчас не отвечает. Попробуйте чуть позже.",
            "The server is not answering right now. Please try again shortly.",
        ),
        id="unavailable",
    )


def loading_view() -> rx.Component:
    """Before the sign-in has been checked."""
    return rx.vstack(
        card_skeleton("7rem"),
        card_skeleton("11rem"),
        spacing="4",
        width="100%",
        id="loading",
    )


def student_shell(
    *content: rx.Component,
    tab: str = "",
    back_href: str = "",
    confirm_close: rx.Var[bool] | bool = False,
) -> rx.Component:
    """A Mini App page: `content` once signed in; `tab` marks a top-level page."""
    gated = rx.match(
        StudentState.auth_status,
        (AuthStatus.OK, rx.fragment(*content)),
        (AuthStatus.DENIED, denied_view()),
        (AuthStatus.UNAVAILABLE, unavailable_view()),
        loading_view(),
    )
    page = mobile_page(gated)
    signed_in = StudentState.auth_status == AuthStatus.OK
    return rx.fragment(
        telegram_bridge(back_href=back_href, confirm_close=confirm_close),
        # <html lang> follows the language the page is shown in once it is known (the
        # head script's guess stands before that); a signed-in student's is kept on the
        # device for the next load's first paint.
        document_language(
            rx.cond(StudentState.auth_status == AuthStatus.PENDING, "", StudentState.lang),
            rx.cond(signed_in, STUDENT_LANGUAGE_KEY, ""),
        ),
        rx.box(
            page,
            padding_bottom=f"calc({TAB_BAR_HEIGHT} + env(safe-area-inset-bottom))" if tab else "0",
        ),
        rx.cond(signed_in, tab_bar(tab)) if tab else rx.fragment(),
    )
