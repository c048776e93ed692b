"""The admin login page `/admin/login`: username + password (throttled by the service)."""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.auth import (
    MAX_PASSWORD_CHARS,
    MAX_USERNAME_CHARS,
    AdminState,
    AuthStatus,
    safe_next,
)
from mockexam.errors import MockExamError
from mockexam.services import admin_auth

logger = logging.getLogger(__name__)


class LoginState(AdminState):
    """The login form: username + password, throttled by the service."""

    error: str = ""
    busy: bool = False

    def _forget(self) -> None:
        self.busy = False

    @rx.event
    async def load(self):
        """A tab that is still signed in skips the form."""
        self.error = ""
        if self.token and await self._require_admin() is not None:
            return rx.redirect(safe_next(self.router.page.params.get("next")))
        return None

    @rx.event
    async def submit(self, form_data: dict[str, Any]):
        """Check the credentials; on success keep the token in the cookie and go on."""
        if not isinstance(form_data, dict):
            return
        username = form_data.get("username")
        password = form_data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return
        username = username.strip()[:MAX_USERNAME_CHARS]
        if not username or not password or len(password) > MAX_PASSWORD_CHARS:
            self.error = "Enter your username and password."
            return
        client = (self.router.session.client_ip or "unknown")[:64]
        self.busy = True
        yield
        try:
            login = await rx.run_in_thread(
                lambda: admin_auth.login(username=username, password=password, client=client)
            )
        except MockExamError as err:  # wrong credentials, or throttled (says until when)
            self.error = str(err) or "Wrong username or password."
            return
        except SQLAlchemyError:
            logger.exception("admin login: the database is unavailable")
            self.error = "The database is unavailable; try again in a minute."
            return
        finally:
            self.busy = False
        self.token = login.token
        self._admin_id = login.admin_id
        self.admin_name = login.username
        self.auth_status = AuthStatus.OK
        self.error = ""
        yield rx.redirect(safe_next(self.router.page.params.get("next")))


def login_page() -> rx.Component:
    """A centred card with the form; errors (wrong password, throttled) above the button."""
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.icon("graduation-cap", size=28, color="var(--accent-9)"),
                        rx.heading("mockexam admin", size="6"),
                        align="center",
                        spacing="2",
                    ),
                    rx.text("Sign in to manage exams.", color="var(--gray-11)", size="2"),
                    rx.vstack(
                        rx.el.label(
                            "Username", html_for="username", font_size="var(--font-size-2)"
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
                            "Password", html_for="password", font_size="var(--font-size-2)"
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
                        "Sign in",
                        type="submit",
                        size="3",
                        width="100%",
                        loading=LoginState.busy,
                        # Until the page is connected a click would go nowhere.
                        disabled=~rx.State.is_hydrated,
                        id="login-submit",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
            ),
            size="4",
            width="24rem",
        ),
        min_height="100vh",
        background_color="var(--gray-2)",
    )


LOGIN_ON_LOAD = LoginState.load
