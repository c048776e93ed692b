"""Who is using the admin panel: a server-side admin identity behind a session token.

`AdminState` is the root of every admin state. The admin's id lives only in
the backend-only `_admin_id`. The browser holds nothing but the random
session token from `services.admin_auth.login`, in a cookie that the login
route (`POST /admin/api/login`, mockexam/api.py) sets: HttpOnly, so no script
of the origin can read it (a script injected into the Mini App, which shares
the origin, gets nothing), SameSite=Strict, Secure under https, Path=/ so the
websocket handshake at `/_event` carries it. The state reads the token from
that handshake's Cookie header, on the server (`router.headers.cookie`: Reflex
keeps request cookies out of what it sends the page); after signing in the
page navigates in full, so a new websocket brings the new cookie.

Every handler of every admin state starts with `await self._require_admin()`,
which re-validates that token against the database each time (expiry, logout,
deactivation count at once) and returns the admin id, or None after wiping the
page's data, in which case the handler does nothing. A student's Mini App
tab, or any websocket client that calls an admin handler by name, has no
valid token and so gets nothing and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.config import settings
from mockexam.errors import MockExamError
from mockexam.parsing import parse_id
from mockexam.services import access, admin_auth, admins
from mockexam.services.access import Capability
from mockexam.services.transactions import in_session
from mockexam.ui.i18n import known_language, pick

logger = logging.getLogger(__name__)
T = TypeVar("T")

ADMIN_ROOT = "/admin"
LOGIN_ROUTE = f"{ADMIN_ROOT}/login"
TEACHER_HOME = f"{ADMIN_ROOT}/groups"  # where a teacher lands (their groups and results)
# The HTTP routes that sign in and out (mockexam/api.py): they set and clear the cookie.
LOGIN_API = f"{ADMIN_ROOT}/api/login"
LOGOUT_API = f"{ADMIN_ROOT}/api/logout"
# The session cookie. A new name: the old `mockexam_admin` (Path=/admin) was written
# by JavaScript, so readable by scripts; the login route expires any left behind.
TOKEN_COOKIE = "mockexam_admin_session"
LEGACY_TOKEN_COOKIE = "mockexam_admin"
LEGACY_TOKEN_PATH = "/admin"
# A failed sign-in's message, for the login page the route sends the browser back to
# (HttpOnly and short-lived like the session; nothing the admin typed is in it).
LOGIN_ERROR_COOKIE = "mockexam_login_error"
MAX_TOKEN_CHARS = 200
MAX_USERNAME_CHARS = 64
MAX_PASSWORD_CHARS = 256
# The panel's language before (and without) a sign-in: the login page, the first paint.
# The admin's own choice (Admin.language) replaces it at every handler's check.
LANGUAGE_COOKIE = "mockexam_admin_lang"


DB_UNAVAILABLE = (
    "Ma’lumotlar bazasi javob bermayapti; bir daqiqadan keyin qayta urinib ko‘ring.",
    "База данных недоступна; попробуйте через минуту.",
    "The database is unavailable; try again in a minute.",
)


class Failed:
    """What `_service` returns when the service refused: its message is in the page's `error`."""

    def __repr__(self) -> str:
        return "FAILED"


FAILED: Final = Failed()


class AuthStatus:
    PENDING = "pending"  # nothing checked yet (first paint)
    OK = "ok"
    DENIED = "denied"  # no token, or an expired / revoked one
    FORBIDDEN = "forbidden"  # signed in, but the account's role does not open this page
    UNAVAILABLE = "unavailable"  # the database could not be reached


class AdminState(rx.State):
    """The signed-in admin of this browser tab; every admin page state derives from it."""

    auth_status: str = AuthStatus.PENDING
    admin_name: str = ""
    # The signed-in account's role (the sidebar leaves out what it does not open). Shown,
    # never trusted: every handler re-reads the role from the database.
    role: str = ""
    # uz | ru | en: what every `t(…)` of the panel (mockexam/admin/i18n.py) follows. A
    # readable cookie so the first paint and the login page are already right; the
    # server replaces it with the admin's saved choice at each check.
    lang: str = rx.Cookie(
        settings.admin_default_language,
        name=LANGUAGE_COOKIE,
        path="/",
        max_age=365 * 24 * 3600,
        same_site="strict",
    )

    _admin_id: int | None = None
    _admin_role: str = ""  # the account's role at the last check (services/access.py)

    def _session_token(self) -> str:
        """The session token of this tab's websocket handshake (its Cookie header), or ""."""
        return cookie_value(self.router.headers.cookie, TOKEN_COOKIE)

    def _forget(self) -> None:
        """Drop what this state shows (page states override to clear their data)."""

    def _signed_out(self, status: str = AuthStatus.DENIED) -> None:
        self._admin_id = None
        self._admin_role = ""
        self.admin_name = ""
        self.role = ""
        self.auth_status = status
        self._forget()

    async def _require_admin(self, capability: Capability = Capability.MANAGE) -> int | None:
        """The admin id behind this tab's token, re-checked in the database now, if the
        account's role has `capability`; else None.

        The default is the strict capability (owners and admins): a handler reviewed for
        teachers asks for less (`Capability.VIEW`) and filters what it reads by
        `_scope()`. None also wipes the calling page's data, so a handler that gets None
        returns at once and leaves nothing behind; a valid session whose role falls
        short shows the page as not for this role (FORBIDDEN), not as signed out.
        """
        token = self._session_token()
        if not token or len(token) > MAX_TOKEN_CHARS:
            self._signed_out()
            return None
        try:
            identity = await rx.run_in_thread(lambda: admin_auth.admin_for_token(token))
        except SQLAlchemyError:
            logger.exception("admin session check: the database is unavailable")
            self._signed_out(AuthStatus.UNAVAILABLE)
            return None
        if identity is None:
            self._signed_out()
            return None
        self.admin_name = identity.username
        language = known_language(identity.language, settings.admin_default_language)
        if self.lang != language:
            self.lang = language
        self._admin_role = identity.role
        if self.role != identity.role:
            self.role = identity.role
        if not access.allows(identity.role, capability):
            self._admin_id = None
            self.auth_status = AuthStatus.FORBIDDEN
            self._forget()
            return None
        self._admin_id = identity.admin_id
        self.auth_status = AuthStatus.OK
        return self._admin_id

    def _lang(self) -> str:
        """This tab's language, one of uz/ru/en whatever the cookie held."""
        return known_language(self.lang, settings.admin_default_language)

    def _text(self, uz: str, ru: str, en: str) -> str:
        """A message built in a handler, in this admin's language."""
        return pick(self._lang(), uz, ru, en)

    async def _service(self, fn: Callable[[], T], *, error_var: str = "error") -> T | Failed:
        """Run a service call in a worker thread; a refusal's message goes to `error_var`.

        MockExamError (locks, overlapping windows, incomplete key, bad input)
        is what the admin must read; a database error is logged and reported
        as unavailable.
        """
        try:
            return await rx.run_in_thread(fn)
        except MockExamError as err:
            setattr(self, error_var, err.text(self._lang()))
        except SQLAlchemyError:
            logger.exception("admin action failed in the database")
            setattr(self, error_var, self._text(*DB_UNAVAILABLE))
        return FAILED

    def _route_id(self, marker: str = "exams") -> int | None:
        """The number after `/<marker>/` in the page's path (`/admin/exams/7/analysis` → 7)."""
        parts = self.router.url.path.strip("/").split("/")
        if marker in parts:
            index = parts.index(marker) + 1
            if index < len(parts):
                return parse_id(parts[index])
        return None

    @rx.event
    async def check_session(self):
        """on_load of every admin page: a tab without a valid session goes to the login page.

        Any role passes here; the page's own loader asks for what the page needs. A
        teacher opening the panel's front page (the exams, not theirs to run) lands on
        their groups instead."""
        if await self._require_admin(Capability.VIEW) is None:
            return login_redirect(self.router.url.path)
        if (
            not access.allows(self._admin_role, Capability.MANAGE)
            and self.router.url.path.rstrip("/") == ADMIN_ROOT
        ):
            return rx.redirect(TEACHER_HOME)
        return None

    @rx.event
    async def set_language(self, lang: str):
        """Switch the panel's language (uz, ru, en); a signed-in admin keeps it for next visits."""
        if not isinstance(lang, str) or lang not in ("uz", "ru", "en"):
            return
        if self._session_token():
            # (sets lang to the saved choice) Every role keeps its own language.
            admin_id = await self._require_admin(Capability.VIEW)
            if admin_id is not None:
                try:
                    await rx.run_in_thread(
                        in_session(lambda db: admins.set_admin_language(db, admin_id, lang))
                    )
                except (MockExamError, SQLAlchemyError):
                    logger.exception("the admin's language could not be saved")
                    return
        changed = self.lang != lang
        self.lang = lang
        if changed:
            # Labels follow `lang` at once; text built on the server (summaries, figures,
            # notices) is built again by the page's loaders: reload the page.
            return rx.call_script("window.location.reload()")
        return None

    @rx.event
    async def logout(self):
        """End this session (the token stops working everywhere) and forget everything.

        The session ends in the database, so the cookie stops working at once;
        the cookie itself stays (a websocket cannot clear an HttpOnly cookie) until
        the next sign-in replaces it. `POST /admin/api/logout` (mockexam/api.py)
        does the same and clears the cookie too.
        """
        token = self._session_token()
        if await self._require_admin(Capability.VIEW) is None:
            return rx.redirect(LOGIN_ROUTE)
        try:
            await rx.run_in_thread(lambda: admin_auth.logout(token))
        except (MockExamError, SQLAlchemyError):
            logger.exception("admin logout could not revoke the session")
        self.reset()  # this state and every loaded admin page state
        return rx.redirect(LOGIN_ROUTE)


def cookie_value(header: Any, name: str, *, limit: int = MAX_TOKEN_CHARS + 1) -> str:
    """The first `name` cookie of a Cookie header ("" without one).

    Read by hand: http.cookies gives up on the whole header at the first
    cookie it does not like, and any page of the host can set cookies.
    """
    if not isinstance(header, str):
        return ""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip() == name:
            return value.strip()[:limit]
    return ""


def login_redirect(path: str) -> rx.event.EventSpec:
    """To the login page, remembering the admin page asked for (`?next=`)."""
    path = path.rstrip("/") or "/"
    if path.startswith(ADMIN_ROOT) and path != LOGIN_ROUTE and path.isascii():
        return rx.redirect(f"{LOGIN_ROUTE}?next={path}")
    return rx.redirect(LOGIN_ROUTE)


def safe_next(value: Any) -> str:
    """Where to go after signing in: an admin path of this site, nothing else."""
    if (
        isinstance(value, str)
        and value.startswith(ADMIN_ROOT + "/")
        and "//" not in value
        and "\\" not in value
        and ".." not in value
        and len(value) < 200
        and value.isascii()
        and not value.startswith(LOGIN_ROUTE)
    ):
        return value
    return ADMIN_ROOT
