"""Who is using the Mini App: Telegram's signed initData, checked on the server.

Every student page loads with `student_on_load(PageState.load)`: the browser
reads the raw initData (Telegram's `WebApp.initData`, or the `#tgWebAppData`
fragment when Telegram's script is absent, kept in sessionStorage across
in-app navigation) and hands it to the page's `load(init_data)`. The first
call validates it (HMAC with the bot token, age) and keeps the student's id in
the backend-only `_student_id`; later calls on the same tab reuse it. Nothing
the client sends is trusted as an identity without that signature, and
every handler reads the id from here, never from its payload.
"""

from __future__ import annotations

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.config import settings
from mockexam.errors import MockExamError
from mockexam.parsing import parse_id
from mockexam.services.students import SUPPORTED_LANGUAGES, login_student, set_language
from mockexam.telegram.webapp_auth import InitDataError, validate_init_data
from mockexam.ui.telegram import INIT_DATA_JS

logger = logging.getLogger(__name__)

MAX_INIT_DATA_CHARS = 4096


class AuthStatus:
    PENDING = "pending"  # nothing checked yet (first paint)
    OK = "ok"
    DENIED = "denied"  # no initData, or a forged / stale one
    UNAVAILABLE = "unavailable"  # the database could not be reached


class StudentState(rx.State):
    """The signed-in student of this tab; every student page state derives from it."""

    lang: str = "uz"
    auth_status: str = AuthStatus.PENDING
    first_name: str = ""

    _student_id: int | None = None

    async def _sign_in(self, init_data: str) -> int | None:
        """The caller's student id: kept from an earlier check, or from a valid initData now."""
        if self._student_id is not None:
            return self._student_id
        if not isinstance(init_data, str) or not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
            self.auth_status = AuthStatus.DENIED
            return None
        try:
            user = validate_init_data(
                init_data,
                bot_token=settings.webapp_token,
                max_age_seconds=settings.initdata_max_age_seconds,
            )
        except InitDataError as error:
            logger.info("Mini App sign-in refused: %s", error.reason)
            self.auth_status = AuthStatus.DENIED
            return None
        try:
            student = await rx.run_in_thread(
                lambda: login_student(
                    telegram_id=user.id,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                    language_code=user.language_code,
                )
            )
        except SQLAlchemyError:
            logger.exception("Mini App sign-in: the database is unavailable")
            self.auth_status = AuthStatus.UNAVAILABLE
            return None
        self._student_id = student.id
        self.first_name = student.first_name
        self.lang = student.language_code if student.language_code in SUPPORTED_LANGUAGES else "uz"
        self.auth_status = AuthStatus.OK
        return self._student_id

    def _path_id(self) -> int | None:
        """The number at the end of the page's path (`/app/exam/7` → 7), or None."""
        return parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    def _signed_in(self) -> int | None:
        """The caller's student id if this tab has signed in, else None."""
        return self._student_id

    @rx.event
    async def switch_language(self, lang: str) -> None:
        """Change the interface language (kept on the student, so the bot follows it)."""
        student_id = self._signed_in()
        if student_id is None or lang not in SUPPORTED_LANGUAGES or lang == self.lang:
            return
        self.lang = lang
        try:
            await rx.run_in_thread(lambda: set_language(student_id=student_id, language=lang))
        except (MockExamError, SQLAlchemyError):
            logger.exception("could not store the language of student %s", student_id)


def student_on_load(load: rx.EventHandler) -> rx.event.EventSpec:
    """A page's on_load: read the initData in the browser, then call `load(init_data)`."""
    return rx.call_script(INIT_DATA_JS, callback=load)
