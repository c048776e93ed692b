"""The frame of every admin page: a sidebar on the left, the page on the right (desktop first).

`admin_page(...)` shows the page's content only once `AdminState` has checked
the tab's session (the page's on_load does that); before, a spinner, and for
a missing or ended session a link to the login page. Above it, for a signed-in
admin, the red banner while the worker is not running (admin/health_banner.py).
Small shared pieces (stat cards, notices, section cards) live here too.
"""

from __future__ import annotations

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, LOGIN_ROUTE, LOGOUT_API, AdminState, AuthStatus
from mockexam.admin.health_banner import health_banner
from mockexam.admin.i18n import t
from mockexam.admin.login import NativeForm, backend_action, language_switch
from mockexam.models import AdminRole
from mockexam.ui.document_language import document_language

SIDEBAR_WIDTH = "15rem"
CONTENT_MAX_WIDTH = "88rem"

NAV: tuple[tuple[str, tuple[str, str, str], str, str], ...] = (
    ("exams", ("Imtihonlar", "Экзамены", "Exams"), ADMIN_ROOT, "file-text"),
    ("analytics", ("Tahlil", "Аналитика", "Analytics"), f"{ADMIN_ROOT}/analytics", "chart-column"),
    ("students", ("O‘quvchilar", "Ученики", "Students"), f"{ADMIN_ROOT}/students", "users"),
    ("groups", ("Guruhlar", "Группы", "Groups"), f"{ADMIN_ROOT}/groups", "users-round"),
    (
        "practice",
        ("Mashqlar banki", "Банк упражнений", "Practice bank"),
        f"{ADMIN_ROOT}/practice",
        "book-open",
    ),
    ("broadcasts", ("Xabarlar", "Рассылки", "Broadcasts"), f"{ADMIN_ROOT}/broadcasts", "megaphone"),
    (
        "audit",
        ("Audit jurnali", "Журнал действий", "Audit log"),
        f"{ADMIN_ROOT}/audit",
        "scroll-text",
    ),
    ("admins", ("Adminlar", "Администраторы", "Admins"), f"{ADMIN_ROOT}/admins", "shield-user"),
)


def _nav_link(
    key: str, label: tuple[str, str, str], href: str, icon: str, active: str
) -> rx.Component:
    is_active = key == active
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(t(*label), size="3", weight="medium" if is_active else "regular"),
            spacing="3",
            align="center",
            padding_x="0.75rem",
            padding_y="0.5rem",
            border_radius="var(--radius-3)",
            background_color="var(--accent-a3)" if is_active else "transparent",
            color="var(--accent-11)" if is_active else "var(--gray-11)",
            _hover={"background_color": "var(--gray-a3)"},
            width="100%",
        ),
        href=href,
        underline="none",
        id=f"nav-{key}",
        aria_current="page" if is_active else None,
        width="100%",
    )


# The sections a role does not open are left out of its sidebar (the pages refuse it
# anyway: each handler checks the capability). Teachers: their groups; the accounts
# page: owners.
TEACHER_SECTIONS = frozenset({"groups", "analytics"})


def _shown_to_role(key: str, link: rx.Component) -> rx.Component:
    if key == "admins":
        return rx.cond(AdminState.role == AdminRole.OWNER.value, link)
    if key in TEACHER_SECTIONS:
        return link
    return rx.cond(AdminState.role != AdminRole.TEACHER.value, link)


def sidebar(active: str) -> rx.Component:
    """The admin's sections, the signed-in name and the logout button."""
    return rx.vstack(
        rx.hstack(
            rx.icon("graduation-cap", size=24, color="var(--accent-9)"),
            rx.heading("mockexam", size="5"),
            rx.badge(t("admin", "админ", "admin"), variant="soft", size="1"),
            align="center",
            spacing="2",
            padding_x="0.75rem",
            padding_bottom="1rem",
        ),
        *(
            _shown_to_role(key, _nav_link(key, label, href, icon, active))
            for key, label, href, icon in NAV
        ),
        rx.spacer(),
        rx.hstack(
            rx.icon("languages", size=16, color="var(--gray-10)"),
            language_switch(),
            align="center",
            spacing="2",
            padding_x="0.75rem",
        ),
        rx.cond(
            # A signed-in account on a page its role does not open can still sign out.
            (AdminState.auth_status == AuthStatus.OK)
            | (AdminState.auth_status == AuthStatus.FORBIDDEN),
            rx.vstack(
                rx.separator(),
                rx.hstack(
                    rx.icon("shield-check", size=16, color="var(--gray-10)"),
                    rx.text(
                        AdminState.admin_name, size="2", color="var(--gray-11)", id="admin-name"
                    ),
                    align="center",
                    spacing="2",
                    padding_x="0.75rem",
                ),
                # A form the browser posts itself to the logout route: only an HTTP
                # answer can clear the HttpOnly session cookie (mockexam/api.py).
                NativeForm.create(
                    rx.button(
                        rx.icon("log-out", size=16),
                        t("Chiqish", "Выйти", "Log out"),
                        type="submit",
                        variant="ghost",
                        color_scheme="gray",
                        id="logout",
                        width="100%",
                        justify_content="start",
                    ),
                    action=backend_action(LOGOUT_API),
                    method="post",
                    id="logout-form",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="1.25rem 0.75rem",
        border_right="1px solid var(--gray-a5)",
        background_color="var(--gray-2)",
        spacing="1",
        align="start",
    )


def _gate() -> rx.Component:
    return rx.match(
        AdminState.auth_status,
        (
            AuthStatus.UNAVAILABLE,
            rx.callout(
                t(
                    "Ma’lumotlar bazasi javob bermayapti. Bir daqiqadan keyin sahifani yangilang.",
                    "База данных недоступна. Обновите страницу через минуту.",
                    "The database is unavailable. Reload the page in a minute.",
                ),
                icon="triangle-alert",
                color_scheme="red",
            ),
        ),
        (
            AuthStatus.DENIED,
            rx.callout(
                rx.hstack(
                    rx.text(
                        t(
                            "Siz tizimga kirmagansiz yoki seansingiz tugagan.",
                            "Вы не вошли в систему, или ваш сеанс завершён.",
                            "You are not signed in, or your session has ended.",
                        )
                    ),
                    rx.link(t("Kirish", "Войти", "Sign in"), href=LOGIN_ROUTE, id="gate-login"),
                    spacing="2",
                ),
                icon="lock",
                color_scheme="amber",
            ),
        ),
        (
            AuthStatus.FORBIDDEN,
            rx.callout(
                t(
                    "Bu sahifa sizning rolingiz uchun emas. Boshqa bo‘limni tanlang yoki "
                    "egasidan so‘rang.",
                    "Эта страница недоступна для вашей роли. Выберите другой раздел или "
                    "обратитесь к владельцу.",
                    "This page is not open to your role. Choose another section, or ask an owner.",
                ),
                icon="shield-x",
                color_scheme="amber",
                id="gate-forbidden",
            ),
        ),
        rx.hstack(
            rx.spinner(size="3"),
            rx.text(
                t("Seans tekshirilmoqda…", "Проверяем сеанс…", "Checking your session…"),
                color="var(--gray-11)",
            ),
        ),
    )


def admin_page(
    *content: rx.Component,
    active: str,
    title: str | rx.Var[str],
    subtitle: str | rx.Var[str] | None = None,
    actions: rx.Component | None = None,
) -> rx.Component:
    """A full admin page: sidebar, a header with the title and actions, and `content`."""
    header = rx.hstack(
        rx.vstack(
            rx.heading(title, size="7", id="page-title"),
            rx.text(subtitle, color="var(--gray-11)", size="2") if subtitle is not None else None,
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        actions if actions is not None else rx.fragment(),
        align="end",
        width="100%",
    )
    return rx.hstack(
        # <html lang> follows the panel's language (its cookie, then the admin's choice).
        document_language(rx.cond(rx.State.is_hydrated, AdminState.lang, "")),
        sidebar(active),
        rx.box(
            rx.vstack(
                # Mounted (and so checked) only once the tab's admin session is.
                rx.cond(AdminState.auth_status == AuthStatus.OK, health_banner()),
                header,
                rx.cond(
                    AdminState.auth_status == AuthStatus.OK,
                    rx.vstack(*content, spacing="5", width="100%", align="stretch"),
                    _gate(),
                ),
                spacing="5",
                width="100%",
                max_width=CONTENT_MAX_WIDTH,
                align="stretch",
            ),
            flex="1",
            min_width="0",
            padding="2rem 2.5rem 4rem",
        ),
        spacing="0",
        align="start",
        width="100%",
        min_height="100vh",
        background_color="var(--color-background)",
        color="var(--gray-12)",
        id="admin-root",
    )


def card(*children: rx.Component, **props: object) -> rx.Component:
    """A bordered panel (radix card) stretching the page's width."""
    return rx.card(
        rx.vstack(*children, spacing="3", width="100%", align="stretch"),
        size="3",
        width="100%",
        **props,
    )


def section_title(text: str | rx.Var[str], *extra: rx.Component) -> rx.Component:
    return rx.hstack(rx.heading(text, size="4"), rx.spacer(), *extra, align="center", width="100%")


def stat(
    label: str | rx.Var[str],
    value: rx.Var | str,
    *,
    stat_id: str,
    hint: str | rx.Var[str] | None = None,
) -> rx.Component:
    """One number with its label (totals, counts)."""
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color="var(--gray-11)"),
            rx.text(value, size="7", weight="bold", id=stat_id, line_height="1.1"),
            rx.text(hint, size="1", color="var(--gray-10)") if hint is not None else rx.fragment(),
            spacing="1",
            align="start",
        ),
        size="2",
        flex="1",
        min_width="9rem",
    )


def error_callout(message: rx.Var[str], *, callout_id: str) -> rx.Component:
    """A red notice shown while `message` is not empty (refusals from the services)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-alert", color_scheme="red", id=callout_id, width="100%"),
    )


def success_callout(message: rx.Var[str], *, callout_id: str) -> rx.Component:
    """A green notice shown while `message` is not empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-check", color_scheme="green", id=callout_id, width="100%"),
    )


def phase_badge(phase: rx.Var[str]) -> rx.Component:
    """draft / scheduled / open / closed / released, each its own colour (and word)."""
    return rx.badge(
        rx.match(
            phase,
            ("draft", t("qoralama", "черновик", "draft")),
            ("scheduled", t("rejalashtirilgan", "запланирован", "scheduled")),
            ("open", t("ochiq", "открыт", "open")),
            ("closed", t("yopilgan", "закрыт", "closed")),
            ("released", t("natijalar chiqdi", "итоги опубликованы", "released")),
            phase,
        ),
        color_scheme=rx.match(
            phase,
            ("draft", "gray"),
            ("scheduled", "blue"),
            ("open", "green"),
            ("closed", "amber"),
            ("released", "violet"),
            "gray",
        ),
        variant="soft",
        size="2",
    )
