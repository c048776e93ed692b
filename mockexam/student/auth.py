"""Who is using the Mini App: Telegram's signed initData, then the tab's own credential.

Every student page loads with `student_on_load(PageState.load)`: the browser
reads the raw initData (Telegram's `WebApp.initData`, or the `#tgWebAppData`
fragment when Telegram's script is absent, kept in sessionStorage across
in-app navigation) and the tab's credential (if it has one), and hands both to
the page's `load(init_data)`. The first call signs in (`_sign_in`) and keeps
the student's id in the backend-only `_student_id`; later calls on the same
tab reuse it. Nothing the client sends is trusted as an identity without a
signature, and every handler reads the id from here, never from its payload.

Asking the browser costs a websocket round trip per page load, and at an
exam's opening minute connects are the bottleneck (docs/plans/issue-25.md). So
the on_load is the page state's `open_page`, which asks only when the server
cannot decide alone: a tab already signed in needs nothing (`_sign_in` ignores
what the browser would send), and a Mini App launch carries Telegram's signed
initData in the URL's hash, which reaches the server in every event's router
data (`asPath`): fresh, it signs in by rule 1 below, as the script's answer
would. A hash without initData, with a stale or forged one (the tab's
credential may still sign it in), or with the web sign-in's `mx_session`
handoff (only the script can take it into sessionStorage) leaves it to the
script as before.

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

import inspect
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

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
    WebAppInitData,
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
# A launch hash longer than this is no Telegram launch (initData, theme and version, encoded).
MAX_LAUNCH_HASH_CHARS = 4 * MAX_INIT_DATA_CHARS
LAUNCH_INIT_DATA = "tgWebAppData"  # Telegram's launch parameter (mockexam/telegram/webapp_link.py)
WEB_SIGN_IN_HANDOFF = "mx_session"  # the web sign-in's credential handoff (api.py, INIT_DATA_JS)
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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give every page state with a `load` its own `open_page` handler (its on_load).

        An event runs on the state its handler belongs to, and Reflex fetches that
        state's substates with it: a handler inherited from here would load every
        student page's state for each connect, so each page state gets its own.
        """
        if "load" in cls.__dict__ and "open_page" not in cls.__dict__:
            cls.open_page = open_page
        super().__init_subclass__(**kwargs)

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
                return await self._sign_in_fresh(data)
        return await self._sign_in_credential(credential or "", raw)

    async def _sign_in_fresh(self, data: WebAppInitData) -> int | None:
        """Rule 1: fresh initData signs in whoever it names (and joins the group it invites to)."""
        student_id = await self._sign_in_user(data.user)
        if student_id is not None and data.start_param:
            await self._join_from_invite(student_id, data.start_param)
        return student_id

    async def _signed_in_without_script(self) -> bool:
        """Whether this page load may do without asking the browser (INIT_DATA_JS).

        Yes when the tab is signed in (`_sign_in` would ignore the browser's answer), or
        when the launch URL's hash carries fresh initData and that signs the tab in.
        No for the web sign-in's handoff, which only the script takes, and when the hash
        has no initData or an unusable one: the script sends it with the tab's credential,
        which `_sign_in` weighs (a stale initData beside a credential is rule 2).
        """
        hash_params = _launch_params(self.router.url.fragment)
        if hash_params is None or WEB_SIGN_IN_HANDOFF in hash_params:
            return False
        if self._student_id is not None:
            return True
        raw = hash_params.get(LAUNCH_INIT_DATA, "")
        if not raw or len(raw) > MAX_INIT_DATA_CHARS:
            return False
        try:
            data = parse_init_data(
                raw, bot_token=settings.webapp_token, max_age_seconds=initdata_max_age()
            )
        except InitDataError as error:
            logger.debug("Mini App launch hash not used (%s): asking the browser", error.reason)
            return False
        status = self.auth_status
        if await self._sign_in_fresh(data) is None:
            self.auth_status = status  # the database failed: the script's load tries again
            return False
        return True

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


def _launch_params(fragment: str) -> dict[str, str] | None:
    """The URL hash's parameters, the first value of each (as `URLSearchParams.get` reads
    them in INIT_DATA_JS); None when the hash is too long to be a Telegram launch."""
    if len(fragment) > MAX_LAUNCH_HASH_CHARS:
        return None
    params: dict[str, str] = {}
    for key, value in parse_qsl(fragment, keep_blank_values=True):
        params.setdefault(key, value)
    return params


async def open_page(self: StudentState) -> Any:
    """A student page's on_load (`student_on_load`): sign in on the server when it can,
    then run the page's `load`; otherwise ask the browser, whose answer calls `load`.

    Installed on each page state by `StudentState.__init_subclass__` (not a method here:
    a handler on StudentState would fetch every page's state). Public like every handler:
    it takes no payload, and the hash it reads counts only with Telegram's signature.
    """
    load = type(self).event_handlers["load"]
    if not await self._signed_in_without_script():
        return rx.call_script(INIT_DATA_JS, callback=load)
    return await load.fn(self)  # in this event: no second trip through the event queue


def student_on_load(load: rx.EventHandler) -> rx.event.EventSpec:
    """A page's on_load: `open_page` of the state whose `load` it is (see the module)."""
    page = load.state
    if (
        page is None
        or not issubclass(page, StudentState)
        or page.event_handlers.get("load") is not load
        or not inspect.iscoroutinefunction(load.fn)
    ):
        raise TypeError(f"{load} is not the async `load` handler of a student page state")
    return page.event_handlers["open_page"]()
