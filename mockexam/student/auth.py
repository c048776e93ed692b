"""Who is using the Mini App: Telegram's signed initData, then the tab's own credential.

Every student page loads with `student_on_load(PageState.load)`: the browser
reads the raw initData (Telegram's `WebApp.initData`, or the `#tgWebAppData`
fragment when Telegram's script is absent, kept in sessionStorage across
in-app navigation) and the tab's credential (if it has one), and hands both to
the page's `load(init_data)`. The first call signs in (`_sign_in`) and keeps
the student's id in the backend-only `_student_id`; later calls on the same
tab reuse it. Nothing the client sends is trusted as an identity without a
signature, and every handler reads the id from here, never from its payload.

Signing in (rules and reasons: mockexam/telegram/webapp_session.py):
1. fresh initData (younger than INITDATA_MAX_AGE_SECONDS) signs in whoever it
   names — Telegram's word now beats any credential the tab kept;
2. otherwise the tab's credential (issued after 1., renewed while the Mini App
   is open) signs its student in again — after a backend restart or a new
   page — if it is genuine and unexpired and, when Telegram's initData came
   along (authentic but older), it names the same Telegram user;
3. anything else is refused.
The credential goes back to the tab through `session_credential`, a
sessionStorage var (never a URL, never logged).
"""

from __future__ import annotations

import logging
import time

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.config import settings
from mockexam.errors import MockExamError
from mockexam.parsing import parse_id
from mockexam.services import groups
from mockexam.services.students import (
    SUPPORTED_LANGUAGES,
    login_student,
    set_language,
    stored_student,
)
from mockexam.telegram.webapp_auth import (
    InitDataError,
    InitDataProblem,
    TelegramUser,
    parse_init_data,
)
from mockexam.telegram.webapp_session import (
    MAX_CREDENTIAL_CHARS,
    RENEW_AFTER_SECONDS,
    STORAGE_KEY,
    CredentialError,
    check_credential,
    initdata_max_age,
    issue_credential,
    split_sign_in,
)
from mockexam.ui.telegram import INIT_DATA_JS

logger = logging.getLogger(__name__)

MAX_INIT_DATA_CHARS = 4096
# initData older than this is no use even beside a credential (it only names the user).
_ANY_AGE = 10 * 365 * 24 * 3600


class AuthStatus:
    PENDING = "pending"  # nothing checked yet (first paint)
    OK = "ok"
    DENIED = "denied"  # no initData, a forged / stale one, or a bad credential
    UNAVAILABLE = "unavailable"  # the database could not be reached


class StudentState(rx.State):
    """The signed-in student of this tab; every student page state derives from it."""

    lang: str = "uz"
    auth_status: str = AuthStatus.PENDING
    first_name: str = ""
    # The tab's own credential, kept in its sessionStorage (the server writes, the page's
    # INIT_DATA_JS reads it back). Whatever a client puts here is never trusted: only
    # `check_credential` on what `load` receives decides.
    session_credential: str = rx.SessionStorage("", name=STORAGE_KEY)
    # What opening a group's invite link did ("You have joined …"), shown once on the page.
    group_notice: str = ""

    _student_id: int | None = None
    _telegram_id: int | None = None
    _credential_issued: float = 0.0  # when (time.time()) this state last issued one
    _signed_in_since: float = 0.0  # the Telegram sign-in behind it (credentials keep it)

    async def _sign_in(self, init_data: str) -> int | None:
        """The caller's student id: kept from an earlier check, or signed in now (see above)."""
        if self._student_id is not None:
            self._renew_credential()
            return self._student_id
        if (
            not isinstance(init_data, str)
            or not init_data
            or len(init_data) > MAX_INIT_DATA_CHARS + MAX_CREDENTIAL_CHARS + 1
        ):
            self.auth_status = AuthStatus.DENIED
            return None
        credential, raw = split_sign_in(init_data)
        if len(raw) > MAX_INIT_DATA_CHARS:
            self.auth_status = AuthStatus.DENIED
            return None
        if credential is None or raw:
            try:
                data = parse_init_data(
                    raw, bot_token=settings.webapp_token, max_age_seconds=initdata_max_age()
                )
            except InitDataError as error:
                if credential is None or error.reason != InitDataProblem.STALE:
                    logger.info("Mini App sign-in refused: %s", error.reason)
                    self.auth_status = AuthStatus.DENIED
                    return None
            else:
                student_id = await self._sign_in_user(data.user)
                if student_id is not None and data.start_param:
                    await self._join_from_invite(student_id, data.start_param)
                return student_id
        return await self._sign_in_credential(credential or "", raw)

    async def _sign_in_credential(self, credential: str, init_data: str) -> int | None:
        """Sign in again with the tab's credential; `init_data` is "" or authentic but old."""
        try:
            claim = check_credential(credential)
            telegram = None
            if init_data:  # it only names the user now: any age, but Telegram's signature
                telegram = parse_init_data(
                    init_data, bot_token=settings.webapp_token, max_age_seconds=_ANY_AGE
                ).user
        except (CredentialError, InitDataError) as error:
            logger.info("Mini App sign-in refused: %s", getattr(error, "reason", error))
            self.auth_status = AuthStatus.DENIED
            return None
        if telegram is not None and telegram.id != claim.telegram_id:
            logger.info("Mini App sign-in refused: the credential is another Telegram user's")
            self.auth_status = AuthStatus.DENIED
            return None
        try:
            row = await rx.run_in_thread(lambda: stored_student(claim.student_id))
        except SQLAlchemyError:
            logger.exception("Mini App sign-in: the database is unavailable")
            self.auth_status = AuthStatus.UNAVAILABLE
            return None
        if row is None or row.telegram_id != claim.telegram_id:
            logger.info("Mini App sign-in refused: the credential's student is gone")
            self.auth_status = AuthStatus.DENIED
            return None
        self._signed_in_as(
            row.id, row.telegram_id, row.first_name, row.language_code, since=claim.signed_in_at
        )
        return self._student_id

    def _signed_in_as(
        self,
        student_id: int,
        telegram_id: int,
        name: str,
        language: str,
        *,
        since: float | None = None,
    ) -> None:
        """Signed in: by fresh initData (`since` None: now) or by a credential (its `since`)."""
        self._signed_in_since = time.time() if since is None else since
        self._student_id = student_id
        self._telegram_id = telegram_id
        self.first_name = name
        self.lang = language if language in SUPPORTED_LANGUAGES else "uz"
        self.auth_status = AuthStatus.OK
        self._renew_credential(force=True)

    def _renew_credential(self, *, force: bool = False) -> None:
        """A fresh credential for the tab when the last one is older than RENEW_AFTER_SECONDS."""
        if self._student_id is None or self._telegram_id is None:
            return
        now = time.time()
        if not force and now - self._credential_issued < RENEW_AFTER_SECONDS:
            return
        self.session_credential = issue_credential(
            student_id=self._student_id,
            telegram_id=self._telegram_id,
            since=self._signed_in_since or now,
            now=now,
        )
        self._credential_issued = now

    async def _sign_in_user(self, user: TelegramUser) -> int | None:
        """Register or refresh the student fresh initData names, and sign them in."""
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
        self._signed_in_as(student.id, user.id, student.first_name, student.language_code)
        return self._student_id

    async def _join_from_invite(self, student_id: int, start_param: str) -> None:
        """The Mini App was opened from a group's invite (`startapp=g_<code>`): join it and
        say so on the page (signed initData carries the parameter, so nobody else can
        put a student in a group through it)."""
        try:
            notice = await rx.run_in_thread(lambda: groups.join_from_start(student_id, start_param))
        except SQLAlchemyError:
            logger.exception("Mini App invite: the database is unavailable")
            return
        if notice is not None:
            self.group_notice = notice.text(self.lang)

    def _path_id(self) -> int | None:
        """The number at the end of the page's path (`/app/exam/7` → 7), or None."""
        return parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    def _signed_in(self) -> int | None:
        """The caller's student id if this tab has signed in, else None (renews the credential:
        every handler that asks is a sign the Mini App is open)."""
        self._renew_credential()
        return self._student_id

    @rx.event
    async def keep_signed_in(self, _tick: str = "") -> None:
        """The open Mini App's periodic tick (ui/telegram.py): keep the credential fresh.

        The answer sheet may save over HTTP for hours without a Reflex event; this
        keeps a reconnect after a backend restart signed in throughout an exam.
        """
        self._renew_credential()

    @rx.event
    def dismiss_group_notice(self) -> None:
        """Close the "you have joined the group" note (only this tab's own text)."""
        self.group_notice = ""

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
