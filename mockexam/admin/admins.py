"""The admins page `/admin/admins`: who may sign in, and ending their sessions.

Lists every admin (name, active or not, last sign-in, live sessions) with two
actions behind a confirmation: deactivate (signs them out everywhere at once) and
end sessions (signs them out everywhere, the account stays usable). An admin
cannot deactivate themselves nor the last active admin here (services/admins.py
says why). Re-activating is done on the server, with a new password
(`create-admin NAME --reactivate`): a deactivated account may have been
compromised, so it does not come back with its old password from a click.
Every action is in the audit log.

The target's id comes from the page, like any argument: the handler checks who
is calling (`_require_admin`) and the service checks the target exists.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, LOGIN_ROUTE, AdminState
from mockexam.admin.components import USER_CONTENT, header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.config import settings
from mockexam.parsing import parse_id
from mockexam.services.admins import (
    AdminRow,
    end_admin_sessions,
    get_admin,
    list_admins,
    set_active,
)
from mockexam.services.transactions import in_session

ADMINS_ROUTE = f"{ADMIN_ROOT}/admins"


class AdminView(TypedDict):
    admin_id: int
    username: str
    active: bool
    last_login: str
    sessions: int
    is_me: bool


UNKNOWN_ADMIN = (
    "Noma’lum admin; sahifani yangilang.",
    "Неизвестный администратор; обновите страницу.",
    "Unknown admin; reload the page.",
)


def admin_view(row: AdminRow, me: int | None) -> AdminView:
    return {
        "admin_id": row.admin_id,
        "username": row.username,
        "active": row.is_active,
        "last_login": local_text(row.last_login_at),  # "" for never
        "sessions": row.live_sessions,
        "is_me": row.admin_id == me,
    }


class AdminsState(AdminState):
    """The admin accounts and the two actions on them."""

    rows: list[AdminView] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, me: int) -> None:
        result = await self._service(in_session(list_admins, readonly=True))
        if result is FAILED:
            return
        self.rows = [admin_view(row, me) for row in result]
        self.loaded = True

    @rx.event
    async def load(self):
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        await self._read(me)

    @rx.event
    async def deactivate(self, admin_id: Any):
        """Deactivate an admin: every session of theirs ends at once (audited)."""
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        target = parse_id(admin_id)
        if target is None:
            self.error = self._text(*UNKNOWN_ADMIN)
            return

        def act(db) -> tuple[str, int]:
            admin = get_admin(db, target)
            return admin.username, set_active(db, admin, False, actor_id=me)

        result = await self._service(in_session(act))
        if result is not FAILED:
            name, ended = result
            self.notice = self._text(
                f"{name} faolsizlantirildi; {ended} ta seans yakunlandi.",
                f"{name} деактивирован; завершено сеансов: {ended}.",
                f"{name} is deactivated; {ended} {_sessions(ended)} signed out.",
            )
        await self._read(me)

    @rx.event
    async def end_sessions(self, admin_id: Any):
        """Sign an admin out everywhere (audited); on oneself, this tab too."""
        if (me := await self._require_admin()) is None:
            return None
        self.error = self.notice = ""
        target = parse_id(admin_id)
        if target is None:
            self.error = self._text(*UNKNOWN_ADMIN)
            return None

        def act(db) -> tuple[str, int]:
            admin = get_admin(db, target)
            return admin.username, end_admin_sessions(db, admin, actor_id=me)

        result = await self._service(in_session(act))
        if result is FAILED:
            await self._read(me)
            return None
        if target == me:  # this tab's session ended with the others
            self._signed_out()
            return rx.redirect(LOGIN_ROUTE)
        name, ended = result
        self.notice = self._text(
            f"{name}: {ended} ta seans yakunlandi.",
            f"{name}: завершено сеансов: {ended}.",
            f"{name}: {ended} {_sessions(ended)} signed out.",
        )
        await self._read(me)
        return None


def _sessions(n: int) -> str:
    """ "session" / "sessions" after a count (the English notices; uz and ru need none)."""
    return "session" if n == 1 else "sessions"


def _confirm(
    trigger_label: str | rx.Var[str],
    title: rx.Var | str,
    description: str | rx.Var[str],
    action_label: str | rx.Var[str],
    on_confirm: Any,
    *,
    button_id: rx.Var | str,
    confirm_id: str,
    disabled: rx.Var | bool = False,
) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                trigger_label,
                size="1",
                variant="soft",
                color_scheme="red",
                disabled=disabled,
                id=button_id,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("Bekor qilish", "Отмена", "Cancel"), variant="soft", color_scheme="gray"
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(action_label, color_scheme="red", on_click=on_confirm, id=confirm_id)
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def _row(a: rx.Var[AdminView]) -> rx.Component:
    admin_id = a["admin_id"].to(int)
    name = a["username"].to(str)
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.text(name, weight="medium", custom_attrs=USER_CONTENT),
                rx.cond(a["is_me"], rx.badge(t("siz", "вы", "you"), variant="soft")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(
            rx.cond(
                a["active"],
                rx.badge(t("faol", "активен", "active"), color_scheme="green"),
                rx.badge(
                    t("faolsizlantirilgan", "деактивирован", "deactivated"), color_scheme="gray"
                ),
            )
        ),
        rx.table.cell(
            rx.text(
                rx.cond(
                    a["last_login"].to(str) != "",
                    a["last_login"],
                    t("hech qachon", "никогда", "never"),
                ),
                size="2",
                white_space="nowrap",
            )
        ),
        rx.table.cell(a["sessions"], text_align="center"),
        rx.table.cell(
            rx.hstack(
                _confirm(
                    t("Seanslarni yakunlash", "Завершить сеансы", "End sessions"),
                    rx.cond(
                        a["is_me"],
                        t(
                            "Barcha qurilmalarda tizimdan chiqasizmi?",
                            "Выйти на всех устройствах?",
                            "Sign yourself out everywhere?",
                        ),
                        t(
                            "Uning seanslari yakunlansinmi?",
                            "Завершить его сеансы?",
                            "End their sessions?",
                        ),
                    ),
                    t(
                        "Shu admin nomidan kirilgan barcha brauzerlar darhol tizimdan chiqariladi.",
                        "Все браузеры, где выполнен вход под этим администратором, сразу выйдут "
                        "из системы.",
                        "Every browser signed in as this admin is signed out at once.",
                    ),
                    t("Seanslarni yakunlash", "Завершить сеансы", "End sessions"),
                    AdminsState.end_sessions(admin_id),
                    button_id="end-sessions-" + name,
                    confirm_id="end-sessions-confirm",
                    disabled=a["sessions"].to(int) == 0,
                ),
                _confirm(
                    t("Faolsizlantirish", "Деактивировать", "Deactivate"),
                    t(
                        "Bu admin faolsizlantirilsinmi?",
                        "Деактивировать этого администратора?",
                        "Deactivate this admin?",
                    ),
                    t(
                        "U hamma joyda darhol tizimdan chiqariladi va serverda qayta faollashtirilmaguncha "
                        "(create-admin NAME --reactivate) kira olmaydi.",
                        "Он сразу выйдет из системы везде и не сможет войти, пока его снова не "
                        "активируют на сервере (create-admin NAME --reactivate).",
                        "They are signed out everywhere at once and cannot sign in until "
                        "re-activated on the server (create-admin NAME --reactivate).",
                    ),
                    t("Faolsizlantirish", "Деактивировать", "Deactivate"),
                    AdminsState.deactivate(admin_id),
                    button_id="deactivate-" + name,
                    confirm_id="deactivate-confirm",
                    disabled=a["is_me"] | ~a["active"].to(bool),
                ),
                spacing="2",
            )
        ),
        class_name="admin-row",
    )


def admins_page() -> rx.Component:
    return admin_page(
        error_callout(AdminsState.error, callout_id="admins-error"),
        success_callout(AdminsState.notice, callout_id="admins-notice"),
        card(
            rx.table.root(
                header_row(
                    t("Admin", "Администратор", "Admin"),
                    t("Holat", "Статус", "Status"),
                    t("Oxirgi kirish", "Последний вход", "Last sign-in")
                    + f" ({settings.local_timezone})",
                    t("Faol seanslar", "Активные сеансы", "Live sessions"),
                    "",
                ),
                rx.table.body(rx.foreach(AdminsState.rows, _row)),
                size="2",
                variant="surface",
                width="100%",
                id="admins-table",
            ),
            rx.text(
                t(
                    "Yangi adminlar, parolni tiklash va qayta faollashtirish serverda: "
                    "`python -m mockexam create-admin NAME` (parol tiklansa, admin hamma joyda "
                    "tizimdan chiqariladi; qayta faollashtirish uchun --reactivate qo‘shing).",
                    "Новые администраторы, сброс пароля и повторная активация — на сервере: "
                    "`python -m mockexam create-admin NAME` (после сброса он выходит из системы "
                    "везде; для повторной активации добавьте --reactivate).",
                    "New admins, password resets and re-activation: on the server, "
                    "`python -m mockexam create-admin NAME` (a reset signs them out everywhere; "
                    "add --reactivate to re-activate).",
                ),
                size="2",
                color="var(--gray-11)",
            ),
        ),
        active="admins",
        title=t("Adminlar", "Администраторы", "Admins"),
        subtitle=t(
            "Bu panelga kim kira oladi va ularning seanslari",
            "Кто может входить в эту панель, и их сеансы",
            "Who may sign in to this panel, and their sessions",
        ),
    )


ADMINS_ON_LOAD = [AdminState.check_session, AdminsState.load]
