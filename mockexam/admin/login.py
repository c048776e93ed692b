"""The admin login page `/admin/login`: a plain HTML form posting to the login route.

The credentials never go over the websocket: the form posts (no JavaScript
needed) to `POST /admin/api/login` on the backend (mockexam/api.py), which
checks them (throttled by the service), sets the HttpOnly session cookie and
answers 303: to the page asked for, or back here with the reason in a
short-lived HttpOnly cookie that `load` reads from the new page's websocket
handshake. Nothing the admin typed comes back in a URL or a cookie.
"""

from __future__ import annotations

from urllib.parse import unquote

import reflex as rx
from reflex_components_core.el.elements.forms import Form

from mockexam.admin.auth import (
    DB_UNAVAILABLE,
    LOGIN_API,
    LOGIN_ERROR_COOKIE,
    MAX_PASSWORD_CHARS,
    MAX_USERNAME_CHARS,
    AdminState,
    cookie_value,
    safe_next,
)
from mockexam.admin.i18n import LANGUAGES, t
from mockexam.services.access import Capability
from mockexam.ui.backend import BACKEND_ORIGIN

MAX_ERROR_CHARS = 300

# The login route's refusals (mockexam/api.py, services/admin_auth.py) write English in
# the cookie; the page words the ones it knows in its own language. (The lock-out
# message comes already worded in the page's language: api.py reads the language cookie.)
LOGIN_REASONS: tuple[tuple[str, str, str], ...] = (
    (
        "Foydalanuvchi nomi yoki parol noto‘g‘ri.",
        "Неверное имя пользователя или пароль.",
        "Wrong username or password.",
    ),
    (
        "Foydalanuvchi nomi va parolni kiriting.",
        "Введите имя пользователя и пароль.",
        "Enter your username and password.",
    ),
    DB_UNAVAILABLE,
)


def worded_reason(text: str, lang: str) -> str:
    """A known refusal of the login route in `lang` (uz, ru, en); any other text as it is."""
    for uz, ru, en in LOGIN_REASONS:
        if text == en:
            return {"uz": uz, "ru": ru}.get(lang, en)
    return text


class NativeForm(Form):
    """A <form> the browser submits itself (Reflex's forms always prevent that)."""

    @classmethod
    def create(cls, *children, **props):
        props.setdefault("handle_submit_unique_name", "native")
        return super(Form, cls).create(*children, **props)

    def add_hooks(self) -> list[str]:
        return []


def backend_action(route: str) -> rx.Var[str]:
    """A native form's `action` for a backend route (login, logout).

    The backend's origin is known only in the browser (dev: another port); the
    prerendered page has the relative path, and React keeps a prerendered attribute
    through hydration, so the state change of hydrating is what puts the backend's
    origin in.
    """
    return rx.cond(rx.State.is_hydrated, BACKEND_ORIGIN + route, route)


class LoginState(AdminState):
    """The login page: where to go after signing in, and why the last try failed."""

    error: str = ""
    next_path: str = "/admin"

    @rx.event
    async def load(self):
        """A tab that is still signed in skips the form; else the last failure, if any."""
        self.next_path = safe_next(self.router.page.params.get("next"))
        if await self._require_admin(Capability.VIEW) is not None:
            return rx.redirect(self.next_path)
        self.error = worded_reason(login_error_text(self.router.headers.cookie), self._lang())
        return None


def login_error_text(cookie_header: str) -> str:
    """The message the login route left in its cookie (URL-quoted), as plain text."""
    quoted = cookie_value(cookie_header, LOGIN_ERROR_COOKIE, limit=3 * MAX_ERROR_CHARS)
    text = unquote(quoted.strip('"'))
    return "".join(ch for ch in text if ch.isprintable())[:MAX_ERROR_CHARS]


def language_switch() -> rx.Component:
    """The panel's language (uz / ru / en): on the login page for this browser, in the
    sidebar kept for the signed-in admin too (AdminState.set_language)."""
    return rx.select.root(
        rx.select.trigger(variant="ghost", aria_label=t("Til", "Язык", "Language")),
        rx.select.content(
            *(rx.select.item(name, value=code) for code, name in LANGUAGES),
        ),
        value=AdminState.lang,
        on_change=AdminState.set_language,
        size="2",
        id="admin-language",
    )


def login_page() -> rx.Component:
    """A centred card with the form; errors (wrong password, throttled) above the button."""
    return rx.center(
        rx.card(
            NativeForm.create(
                rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                rx.vstack(
                    rx.hstack(
                        rx.icon("graduation-cap", size=28, color="var(--accent-9)"),
                        rx.heading(
                            t("mockexam admin", "mockexam — администратор", "mockexam admin"),
                            size="6",
                        ),
                        rx.spacer(),
                        rx.icon("languages", size=16, color="var(--gray-10)"),
                        language_switch(),
                        align="center",
                        spacing="2",
                        width="100%",
                    ),
                    rx.text(
                        t(
                            "Imtihonlarni boshqarish uchun tizimga kiring.",
                            "Войдите, чтобы управлять экзаменами.",
                            "Sign in to manage exams.",
                        ),
                        color="var(--gray-11)",
                        size="2",
                    ),
                    rx.vstack(
                        rx.el.label(
                            t("Foydalanuvchi nomi", "Имя пользователя", "Username"),
                            html_for="username",
                            font_size="var(--font-size-2)",
                        ),
                        rx.input(
                            id="username",
                            name="username",
                            auto_complete="username",
                            max_length=MAX_USERNAME_CHARS,
                            size="3",
                            width="100%",
                            auto_focus=True,
                        ),
                        rx.el.label(
                            t("Parol", "Пароль", "Password"),
                            html_for="password",
                            font_size="var(--font-size-2)",
                        ),
                        rx.input(
                            id="password",
                            name="password",
                            type="password",
                            auto_complete="current-password",
                            max_length=MAX_PASSWORD_CHARS,
                            size="3",
                            width="100%",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.cond(
                        LoginState.error != "",
                        rx.callout(
                            LoginState.error,
                            icon="circle-alert",
                            color_scheme="red",
                            id="login-error",
                            width="100%",
                        ),
                    ),
                    rx.button(
                        t("Kirish", "Войти", "Sign in"),
                        type="submit",
                        size="3",
                        width="100%",
                        # Until the page runs, the form's action may still name the
                        # backend as it was built (dev: another port).
                        disabled=~rx.State.is_hydrated,
                        id="login-submit",
                    ),
                    spacing="4",
                    width="100%",
                ),
                action=backend_action(LOGIN_API),
                method="post",
                id="login-form",
            ),
            size="4",
            width="24rem",
        ),
        min_height="100vh",
        background_color="var(--gray-2)",
    )


LOGIN_ON_LOAD = LoginState.load
