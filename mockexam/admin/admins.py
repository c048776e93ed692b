"""The accounts page `/admin/admins` (owners only): who may sign in, in which role.

Lists every account (name, role, active or not, last sign-in, live sessions).
An owner creates accounts (a username, a first password they hand over, a
role), changes roles (the account's sessions end, so its open tabs re-read what
they may do), and, behind a confirmation, deactivates an account (signs it out
everywhere at once) or ends its sessions. Nobody deactivates themselves or the
last active admin, and the last active owner keeps the role (services/admins.py
says why). Password resets and re-activation are done on the server
(`create-admin NAME --reactivate`): a deactivated account may have been
compromised, so it does not come back with its old password from a click.
Every action is in the audit log.

Every handler asks for Capability.OWN: an admin or a teacher gets nothing. The
target's id comes from the page, like any argument: the service checks it exists.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, LOGIN_ROUTE, AdminState
from mockexam.admin.components import USER_CONTENT, confirm_dialog, header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.config import settings
from mockexam.models import AdminRole
from mockexam.parsing import parse_id
from mockexam.services.access import ROLE_NAMES, Capability, parse_role
from mockexam.services.admins import (
    AdminRow,
    create_account,
    end_admin_sessions,
    get_admin,
    list_admins,
    set_active,
    set_role,
)
from mockexam.services.transactions import in_session

ADMINS_ROUTE = f"{ADMIN_ROOT}/admins"


class AdminView(TypedDict):
    admin_id: int
    username: str
    role: str
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
        "role": row.role,
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
        if (me := await self._require_admin(Capability.OWN)) is None:
            return
        self.error = self.notice = ""
        await self._read(me)

    @rx.event
    async def deactivate(self, admin_id: Any):
        """Deactivate an admin: every session of theirs ends at once (audited)."""
        if (me := await self._require_admin(Capability.OWN)) is None:
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
        if (me := await self._require_admin(Capability.OWN)) is None:
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

    @rx.event
    async def change_role(self, admin_id: Any, role: Any):
        """Give an account another role (owner only; audited; their sessions end)."""
        if (me := await self._require_admin(Capability.OWN)) is None:
            return
        self.error = self.notice = ""
        target = parse_id(admin_id)
        if target is None:
            self.error = self._text(*UNKNOWN_ADMIN)
            return

        def act(db) -> str:
            admin = get_admin(db, target)
            set_role(db, admin, parse_role(role), actor_id=me)
            return admin.username

        result = await self._service(in_session(act))
        if result is not FAILED:
            label = self._text(*ROLE_NAMES[parse_role(role)])
            self.notice = self._text(
                f"{result}: endi «{label}».",
                f"{result}: теперь «{label}».",
                f"{result} is now “{label}”.",
            )
        await self._read(me)

    @rx.event
    async def create(self, form: dict[str, Any]):
        """A new account (owner only): a username, a first password to hand over, a role."""
        if (me := await self._require_admin(Capability.OWN)) is None:
            return
        self.error = self.notice = ""
        if not isinstance(form, dict):
            return
        username, password, role = (form.get(k, "") for k in ("username", "password", "role"))
        result = await self._service(
            in_session(
                lambda db: (
                    create_account(
                        db, username=username, password=password, role=role, actor_id=me
                    ).username
                )
            )
        )
        if result is not FAILED:
            self.notice = self._text(
                f"{result} hisobi yaratildi. Parolni unga o‘zingiz bering.",
                f"Учётная запись {result} создана. Передайте пароль лично.",
                f"The account {result} is ready. Hand the password over yourself.",
            )
        await self._read(me)


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
    return confirm_dialog(
        rx.button(
            trigger_label,
            size="1",
            variant="soft",
            color_scheme="red",
            disabled=disabled,
            id=button_id,
        ),
        title,
        description,
        rx.button(action_label, color_scheme="red", on_click=on_confirm, id=confirm_id),
    )


def _role_item(role: AdminRole) -> rx.Component:
    return rx.select.item(t(*ROLE_NAMES[role]), value=role.value)


def _new_account_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="username",
                placeholder=t("Foydalanuvchi nomi", "Имя пользователя", "Username"),
                id="new-account-username",
                required=True,
                max_length=64,
            ),
            rx.input(
                name="password",
                type="password",
                placeholder=t("Birinchi parol", "Первый пароль", "First password"),
                id="new-account-password",
                required=True,
                max_length=256,
                auto_complete="new-password",
            ),
            rx.select.root(
                rx.select.trigger(id="new-account-role"),
                rx.select.content(*(_role_item(role) for role in AdminRole)),
                name="role",
                default_value=AdminRole.TEACHER.value,
            ),
            rx.button(
                rx.icon("user-plus", size=16),
                t("Hisob yaratish", "Создать", "Create account"),
                type="submit",
                id="new-account-submit",
            ),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        on_submit=AdminsState.create,
        reset_on_submit=True,
        id="new-account-form",
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
            rx.select.root(
                rx.select.trigger(variant="soft", id="role-" + name),
                rx.select.content(*(_role_item(role) for role in AdminRole)),
                value=a["role"].to(str),
                on_change=lambda role: AdminsState.change_role(admin_id, role),
                disabled=a["is_me"],
                size="1",
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
            rx.heading(t("Yangi hisob", "Новая учётная запись", "New account"), size="4"),
            rx.text(
                t(
                    "Egasi hammasini boshqaradi; admin imtihonlar, o‘quvchilar, guruhlar va "
                    "xabarlarni; o‘qituvchi faqat o‘z guruhlarini ko‘radi.",
                    "Владелец управляет всем; администратор — экзаменами, учениками, группами "
                    "и рассылками; преподаватель видит только свои группы.",
                    "Owners manage everything; admins run exams, students, groups and "
                    "broadcasts; teachers see only their own groups.",
                ),
                size="2",
                color="var(--gray-11)",
            ),
            _new_account_form(),
        ),
        card(
            rx.table.root(
                header_row(
                    t("Admin", "Администратор", "Admin"),
                    t("Rol", "Роль", "Role"),
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
                    "Parolni tiklash va qayta faollashtirish serverda: "
                    "`python -m mockexam create-admin NAME` (parol tiklansa, admin hamma joyda "
                    "tizimdan chiqariladi; qayta faollashtirish uchun --reactivate qo‘shing).",
                    "Сброс пароля и повторная активация — на сервере: "
                    "`python -m mockexam create-admin NAME` (после сброса он выходит из системы "
                    "везде; для повторной активации добавьте --reactivate).",
                    "Password resets and re-activation: on the server, "
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
